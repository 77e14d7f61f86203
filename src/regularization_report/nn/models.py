"""The one neural network every experiment trains: a configurable MLP.

``MLPConfig`` holds the architecture; ``MLP(config)`` builds it. Each hidden
block is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``: batch norm
sits before the nonlinearity, as in Ioffe and Szegedy (2015), and dropout
after it, as in Srivastava et al. (2014).

>>> model = MLP(MLPConfig(in_features=64, out_features=10, hidden=(32, 32), dropout=0.5))
>>> model(torch.zeros(4, 64)).shape
torch.Size([4, 10])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "identity": nn.Identity,
}


@dataclass(frozen=True)
class MLPConfig:
    """Architecture of :class:`MLP`. Stored beside every checkpoint."""

    in_features: int  # number of input features (digits: 64, breast_cancer: 30)
    out_features: int  # number of classes (logits; the loss applies the softmax)
    hidden: tuple[int, ...] = (256, 256)  # width of each hidden layer; () is a linear model
    activation: str = "relu"  # one of ACTIVATIONS
    dropout: float = 0.0  # drop probability after each hidden activation
    batch_norm: bool = False  # BatchNorm1d between each hidden Linear and its activation
    layers: str = "torch"  # "torch" (nn.Dropout, nn.BatchNorm1d) or "scratch" (layers.py)

    def __post_init__(self) -> None:
        # Lists (from YAML or JSON) become tuples so configs compare and hash.
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.in_features < 1 or self.out_features < 1:
            raise ValueError(f"in_features and out_features must be >= 1, got {self}")
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"every hidden width must be >= 1, got hidden={self.hidden}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; choose from {sorted(ACTIVATIONS)}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.layers not in {"torch", "scratch"}:
            raise ValueError(f"layers must be 'torch' or 'scratch', got {self.layers!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists, numbers, strings): safe for JSON and ``weights_only``."""
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MLPConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown MLPConfig keys {unknown}; known keys are {sorted(known)}")
        return cls(**data)


class MLP(nn.Module):
    """Fully connected classifier built from an :class:`MLPConfig`."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        if config.layers == "scratch":
            from regularization_report.nn.layers import BatchNorm1d, Dropout
        else:
            BatchNorm1d, Dropout = nn.BatchNorm1d, nn.Dropout
        self.linears = nn.ModuleList()
        self.norms = nn.ModuleList()
        self.activations = nn.ModuleList()
        self.dropouts = nn.ModuleList()
        width = config.in_features
        for hidden in config.hidden:
            self.linears.append(nn.Linear(width, hidden))
            self.norms.append(BatchNorm1d(hidden) if config.batch_norm else nn.Identity())
            self.activations.append(ACTIVATIONS[config.activation]())
            self.dropouts.append(Dropout(config.dropout) if config.dropout > 0 else nn.Identity())
            width = hidden
        self.output = nn.Linear(width, config.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear, norm, activation, dropout in zip(
            self.linears, self.norms, self.activations, self.dropouts, strict=True
        ):
            x = dropout(activation(norm(linear(x))))
        return self.output(x)

    def trace(self, x: torch.Tensor) -> dict[str, list[torch.Tensor] | torch.Tensor]:
        """Forward pass that also returns what each hidden layer computed.

        ``pre_activations[i]`` is the input of layer ``i``'s nonlinearity (after
        batch norm when it is on: the quantity of the BN paper's Figure 1);
        ``activations[i]`` is the nonlinearity's output before dropout.
        Respects ``train()``/``eval()`` like ``forward``.
        """
        pre_activations, activations = [], []
        for linear, norm, activation, dropout in zip(
            self.linears, self.norms, self.activations, self.dropouts, strict=True
        ):
            z = norm(linear(x))
            a = activation(z)
            pre_activations.append(z)
            activations.append(a)
            x = dropout(a)
        return {
            "pre_activations": pre_activations,
            "activations": activations,
            "logits": self.output(x),
        }

    def weight_layers(self) -> list[tuple[str, nn.Linear]]:
        """The Linear layers, named ``l1 .. lN`` (hidden) and ``out``, input to output."""
        named = [(f"l{i + 1}", linear) for i, linear in enumerate(self.linears)]
        return [*named, ("out", self.output)]


def decay_and_no_decay(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """Split parameters into those a weight penalty applies to and those it does not.

    Only the weight matrices of Linear layers are penalized; biases and the
    scale and shift of batch norm are not (their size does not measure the
    model's complexity, and shrinking BN's scale fights the normalization).
    Every penalty in this project (L1 or L2 in the loss, optimizer weight
    decay) uses this one split, which is what makes them comparable.
    """
    decay, no_decay = [], []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad:
                continue
            if isinstance(module, nn.Linear) and name == "weight":
                decay.append(param)
            else:
                no_decay.append(param)
    return decay, no_decay


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
