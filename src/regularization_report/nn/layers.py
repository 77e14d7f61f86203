"""E3: Dropout and BatchNorm1d written from their definitions.

Both are drop-in replacements for ``torch.nn.Dropout`` and
``torch.nn.BatchNorm1d``: the same parameter and buffer names (so state_dicts
load either way), the same behaviour in ``train()`` and ``eval()`` mode, and
for Dropout the same random mask when the random generator is in the same
state. ``tests/test_layers.py`` checks each claim against PyTorch.
"""

from __future__ import annotations

import torch
from torch import nn


class Dropout(nn.Module):
    """Inverted dropout (Srivastava et al. 2014, with the scaling moved to training).

    In training each unit is kept with probability ``1 - p`` and the kept
    units are multiplied by ``1 / (1 - p)``, so the expected output equals the
    input and evaluation needs no rescaling: in ``eval()`` mode the layer is the
    identity. The mask is drawn as PyTorch's CPU kernel draws it (one Bernoulli
    per element, ``bernoulli_(1 - p)``), from ``generator`` or the global one.
    """

    def __init__(self, p: float = 0.5, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.generator = generator

    def mask(self, x: torch.Tensor) -> torch.Tensor:
        """A fresh scaled mask: 0 for dropped units, ``1 / (1 - p)`` for kept ones."""
        keep = 1.0 - self.p
        noise = torch.empty_like(x).bernoulli_(keep, generator=self.generator)
        return noise.div_(keep)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * self.mask(x)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(nn.Module):
    """Batch normalization of a ``(batch, features)`` input (Ioffe and Szegedy 2015, Alg. 1).

    Training: normalize each feature with the batch mean and the biased batch
    variance, then scale by ``weight`` (gamma) and shift by ``bias`` (beta);
    update the running estimates with an exponential moving average,
    ``running = (1 - momentum) * running + momentum * batch_statistic``, using
    the *unbiased* batch variance for ``running_var`` (as PyTorch does).
    Evaluation: normalize with the running estimates, so an example's output
    no longer depends on the other examples in its batch.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"expected input of shape (batch, {self.num_features}), got {tuple(x.shape)}"
            )
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    "Expected more than 1 value per channel when training, got a batch of "
                    f"{n}; use a batch size of at least 2 or call eval()"
                )
            mean = x.mean(dim=0)
            var = x.var(dim=0, unbiased=False)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(mean, alpha=self.momentum)
                unbiased = var * (n / (n - 1))
                self.running_var.mul_(1 - self.momentum).add_(unbiased, alpha=self.momentum)
                self.num_batches_tracked.add_(1)
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        return x_hat * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
