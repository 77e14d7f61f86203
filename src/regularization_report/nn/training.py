"""The training core every neural-network experiment uses.

The loop is the course's six steps (load a batch, ``zero_grad``, forward,
loss, ``backward``, ``step``) in :func:`train_one_epoch`, with
:func:`evaluate` (``model.eval()`` under ``torch.no_grad()``: where dropout
and batch norm change behaviour) and :func:`fit` around them: per-epoch
history, weight penalties, gradient clipping, early stopping, and divergence
recorded as a result instead of raised.

Typical use (one run; a job runs several seeds this way)::

    configure_threads(threads)                      # once per job
    data = TensorData.from_split(load_split(path), device=resolve_device("auto"))
    model, result = train_mlp(MLPConfig(64, 10), TrainConfig(epochs=50), data, seed=0)
    write_history(result.history, "history.csv")
    save_checkpoint("model.pt", model, result=result)
    model2, checkpoint = load_checkpoint("model.pt")   # weights_only=True

Determinism: on the CPU the same configs and seed give byte-identical
history files (one seed per run via :func:`seed_everything`, a private
generator for the batch order, no wall-clock values in the history).
"""

from __future__ import annotations

import copy
import logging
import math
import os
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from regularization_report.files import atomic_open, write_csv
from regularization_report.nn.models import MLP, MLPConfig, decay_and_no_decay

log = logging.getLogger(__name__)

OPTIMIZERS = ("sgd", "adam", "adamw")


# --- job setup ----------------------------------------------------------------
def resolve_device(name: str = "cpu") -> torch.device:
    """``auto``: CUDA when present, else the CPU; ``cpu``; ``cuda`` (an error without a GPU)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "device: cuda was requested but torch.cuda.is_available() is False; "
            "set device: auto (falls back to the CPU) or device: cpu"
        )
    if name not in {"cpu", "cuda"}:
        raise ValueError(f"device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


def configure_threads(threads: int) -> int:
    """Give torch exactly the job's ``threads`` so parallel jobs do not oversubscribe cores."""
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    torch.set_num_threads(threads)
    return torch.get_num_threads()


def set_deterministic(enabled: bool) -> None:
    """Ask PyTorch for deterministic kernels (CUDA: cuBLAS workspace, no cuDNN autotuning).

    On the CPU our runs are deterministic already; on CUDA some kernels (atomic
    adds in reductions and some backward passes) differ run to run, and this
    switch trades speed for identical results. An operation without a
    deterministic implementation then raises instead of silently differing.
    """
    if enabled:
        # Must be set before cuBLAS starts; harmless on the CPU.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(enabled)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = enabled


def seed_everything(seed: int) -> None:
    """The single place a run is seeded: Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeds the legacy global state libraries use
    torch.manual_seed(seed)


# --- data -----------------------------------------------------------------------
@dataclass(frozen=True)
class TensorData:
    """Train/validation/test tensors on one device, features standardized with train statistics."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    @classmethod
    def from_split(
        cls, split: Any, *, device: torch.device | str = "cpu", standardize: bool = True
    ) -> TensorData:
        """From a :class:`regularization_report.data.bundled.Split` (or anything with its arrays).

        Standardization uses the training rows only (mean 0, standard deviation
        1 per feature; constant features, like the blank border pixels of
        digits, are centred and left unscaled), so no validation or test
        information leaks into training.
        """
        X_train = np.asarray(split.X_train, dtype=np.float64)
        mean = X_train.mean(axis=0) if standardize else np.zeros(X_train.shape[1])
        std = X_train.std(axis=0) if standardize else np.ones(X_train.shape[1])
        std = np.where(std > 0, std, 1.0)

        def features(X: np.ndarray) -> torch.Tensor:
            scaled = (np.asarray(X, dtype=np.float64) - mean) / std
            return torch.as_tensor(scaled.astype(np.float32), device=device)

        def labels(y: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.asarray(y), device=device)

        return cls(
            features(split.X_train),
            labels(split.y_train),
            features(split.X_val),
            labels(split.y_val),
            features(split.X_test),
            labels(split.y_test),
        )

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        return int(torch.cat([self.y_train, self.y_val, self.y_test]).max().item()) + 1


class TensorBatches:
    """Mini-batches of in-memory tensors: one ``randperm`` per epoch, then slices.

    No per-sample Python (unlike a ``DataLoader`` over a ``TensorDataset``).
    The order comes from a private generator seeded once, so it does not
    depend on, or disturb, the global random state that dropout uses.
    ``batch_size=None`` gives full-batch training.
    """

    def __init__(
        self,
        X: torch.Tensor,
        y: torch.Tensor,
        batch_size: int | None,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        self.X, self.y = X, y
        self.n = len(X)
        self.batch_size = self.n if batch_size is None else min(int(batch_size), self.n)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.batch_size
        return math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.shuffle:
            order = torch.randperm(self.n, generator=self.generator).to(self.X.device)
            X, y = self.X[order], self.y[order]
        else:
            X, y = self.X, self.y
        for i in range(len(self)):
            start = i * self.batch_size
            yield X[start : start + self.batch_size], y[start : start + self.batch_size]


# --- configuration -------------------------------------------------------------------
@dataclass(frozen=True)
class TrainConfig:
    """How a model trains. Saved beside every checkpoint; every field has a plain type."""

    epochs: int = 50  # maximum number of passes over the training set
    batch_size: int | None = 64  # None: full batch
    optimizer: str = "sgd"  # sgd | adam | adamw
    lr: float = 0.01
    momentum: float = 0.0  # SGD only
    adam_eps: float = 1e-8  # Adam/AdamW epsilon (PyTorch's default; Keras uses 1e-7)
    weight_decay: float = (
        0.0  # the optimizer's own decay (coupled for sgd/adam, decoupled for adamw)
    )
    l1: float = 0.0  # penalty l1 * sum|w| added to the loss
    l2: float = 0.0  # penalty l2 / 2 * sum w^2 added to the loss (same gradient as weight_decay=l2)
    clip_grad_norm: float | None = None  # rescale gradients whose total norm exceeds this
    patience: int | None = None  # early stopping: stop after this many epochs without a better
    min_delta: float = 0.0  # validation loss (by more than min_delta); None trains all epochs
    restore_best: bool = True  # with early stopping, end with the weights of the best epoch
    evaluate_train: bool = True  # eval-mode pass over the training set each epoch (train_loss)
    # Per-layer gradient norms every step (history columns grad_norm_*): costs about a
    # third of the loop's speed on small MLPs, so only runs that plot them turn it on.
    track_grad_norms: bool = False
    eval_batch_size: int = 4096  # rows per forward pass in evaluate()
    # Which parameters a penalty touches: see models.decay_and_no_decay (weights of
    # Linear layers only; biases and batch norm's scale and shift are never penalized).

    def __post_init__(self) -> None:
        if self.epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {self.batch_size}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        for name in ("momentum", "weight_decay", "l1", "l2", "min_delta"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.momentum and self.optimizer != "sgd":
            raise ValueError(f"momentum applies to sgd only, got optimizer={self.optimizer!r}")
        if self.clip_grad_norm is not None and self.clip_grad_norm <= 0:
            raise ValueError(f"clip_grad_norm must be > 0 or None, got {self.clip_grad_norm}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be >= 1 or None, got {self.patience}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig keys {unknown}; known keys are {sorted(known)}")
        return cls(**data)


# --- the loop ----------------------------------------------------------------------------
def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer, with weight decay on Linear weights only (see decay_and_no_decay)."""
    decay, no_decay = decay_and_no_decay(model)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum)
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=config.lr, eps=config.adam_eps)
    return torch.optim.AdamW(groups, lr=config.lr, eps=config.adam_eps)


def weight_penalty(model: nn.Module, *, l1: float = 0.0, l2: float = 0.0) -> torch.Tensor | None:
    """``l1 * sum|w| + l2 / 2 * sum w^2`` over the penalized weights; None when both are 0.

    The factor 1/2 makes the L2 gradient ``l2 * w``: exactly what SGD's
    ``weight_decay=l2`` adds, so the two are the same algorithm.
    """
    if not l1 and not l2:
        return None
    decay, _ = decay_and_no_decay(model)
    total = decay[0].new_zeros(())
    for w in decay:
        if l1:
            total = total + l1 * w.abs().sum()
        if l2:
            total = total + 0.5 * l2 * w.pow(2).sum()
    return total


def layer_weights(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The weight matrices whose norms the history tracks, named for its columns.

    An :class:`MLP` names them ``l1 .. lN`` and ``out``; any other module gets
    every parameter with two or more dimensions, named by its path.
    """
    if isinstance(model, MLP):
        return [(name, layer.weight) for name, layer in model.weight_layers()]
    return [
        (name.removesuffix(".weight").replace(".", "_"), p)
        for name, p in model.named_parameters()
        if p.dim() >= 2
    ]


@dataclass
class EpochStats:
    """What one pass over the training batches measured (train mode)."""

    loss: float  # mean batch loss without the penalty (nan/inf when the run diverged)
    acc: float  # fraction of training rows classified correctly, in train mode
    steps: int
    grad_norm_mean: float = math.nan  # total gradient norm before clipping, mean over steps
    grad_norm_max: float = math.nan
    layer_grad_norms: dict[str, float] = field(default_factory=dict)  # mean over steps


StepHook = Callable[[int, torch.Tensor, torch.Tensor | None], None]


def train_one_epoch(
    model: nn.Module,
    batches: Any,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    *,
    on_step: StepHook | None = None,
    first_step: int = 0,
) -> EpochStats:
    """One epoch of the six-step loop; returns train-mode loss, accuracy and gradient norms.

    Per step, the loop only keeps references (the detached batch loss, the
    predicted classes): sums and the one synchronisation happen once, at the end
    of the epoch, so the loop costs little more than a bare one.
    ``on_step(step, batch_loss, layer_grad_norms)`` is called after each update,
    when given (it may synchronise).
    """
    model.train()
    weights = layer_weights(model) if config.track_grad_norms else []
    tracked = config.track_grad_norms or config.clip_grad_norm is not None
    params = [p for p in model.parameters() if p.requires_grad]
    device = params[0].device
    batch_losses: list[torch.Tensor] = []
    batch_sizes: list[int] = []
    predicted: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    total_norms: list[torch.Tensor] = []
    layer_norm_steps: list[torch.Tensor] = []
    for X, y in batches:  # 1. load a mini-batch
        optimizer.zero_grad(set_to_none=True)  # 2. reset the gradients
        logits = model(X)  # 3. forward pass (the hypothesis)
        loss = loss_fn(logits, y)  # 4. loss ...
        penalty = weight_penalty(model, l1=config.l1, l2=config.l2)
        objective = loss if penalty is None else loss + penalty  # ... plus any weight penalty
        objective.backward()  # 5. backward pass
        layer_norms = None
        if tracked:
            grads = [p.grad for p in params if p.grad is not None]
            total_norm = torch.nn.utils.get_total_norm(grads)
            total_norms.append(total_norm)
            if weights:
                layer_norms = torch.stack([torch.linalg.vector_norm(w.grad) for _, w in weights])
                layer_norm_steps.append(layer_norms)
            if config.clip_grad_norm is not None:
                torch.nn.utils.clip_grads_with_norm_(params, config.clip_grad_norm, total_norm)
        optimizer.step()  # 6. update the parameters
        batch_losses.append(loss.detach())
        batch_sizes.append(len(y))
        if y.dtype == torch.long and logits.dim() == 2:
            predicted.append(logits.detach().argmax(dim=1))
            targets.append(y)
        if on_step is not None:
            on_step(first_step + len(batch_losses), batch_losses[-1], layer_norms)
    steps, n_rows = len(batch_losses), sum(batch_sizes)
    if not steps:
        raise ValueError("the epoch had no batches: is the training set empty?")
    sizes = torch.tensor(batch_sizes, device=device, dtype=batch_losses[0].dtype)
    loss_sum = torch.dot(torch.stack(batch_losses), sizes)
    correct = (torch.cat(predicted) == torch.cat(targets)).sum() if predicted else None
    grad_norm_mean = grad_norm_max = math.nan
    if total_norms:
        norms = torch.stack(total_norms)
        grad_norm_mean, grad_norm_max = norms.mean().item(), norms.max().item()
    layer_means = torch.stack(layer_norm_steps).mean(dim=0).tolist() if layer_norm_steps else []
    return EpochStats(
        loss=loss_sum.item() / n_rows,
        acc=correct.item() / n_rows if correct is not None else 0.0,
        steps=steps,
        grad_norm_mean=grad_norm_mean,
        grad_norm_max=grad_norm_max,
        layer_grad_norms={
            name: value for (name, _), value in zip(weights, layer_means, strict=True)
        },
    )


@torch.no_grad()
def evaluate(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    *,
    batch_size: int = 4096,
) -> tuple[float, float]:
    """Mean loss and accuracy in eval mode (dropout off, batch norm on running statistics).

    ``loss_fn`` must average over the batch (the default, cross-entropy, does).
    Restores the model's previous train/eval mode.
    """
    loss_fn = loss_fn or nn.functional.cross_entropy
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=X.device)
    correct = torch.zeros((), device=X.device, dtype=torch.long)
    for start in range(0, len(X), batch_size):
        xb, yb = X[start : start + batch_size], y[start : start + batch_size]
        logits = model(xb)
        loss_sum += loss_fn(logits, yb) * len(yb)
        if yb.dtype == torch.long and logits.dim() == 2:
            correct += (logits.argmax(dim=1) == yb).sum()
    model.train(was_training)
    n = max(len(X), 1)
    return loss_sum.item() / n, correct.item() / n


def weight_norms(model: nn.Module) -> dict[str, float]:
    """L2 (Frobenius) norm of each tracked weight matrix, and of all of them together."""
    norms = {name: torch.linalg.vector_norm(w.detach()).item() for name, w in layer_weights(model)}
    norms["total"] = math.sqrt(sum(v * v for v in norms.values()))
    return norms


@dataclass
class FitResult:
    """A finished run. ``status`` is completed, early_stopped or diverged."""

    history: pd.DataFrame
    status: str
    epochs_run: int  # epochs trained (the last history row)
    best_epoch: int  # epoch of the lowest validation loss (0 = before training)
    diverged_epoch: int | None = None  # first epoch whose loss was nan or infinite
    restored_epoch: int | None = None  # early stopping put back this epoch's weights
    steps: pd.DataFrame | None = None  # one row per logged step, when step_log_every > 0

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    def summary(self) -> dict[str, Any]:
        """Final and best metrics of the run, as plain values (one summary.csv row).

        ``final_*`` describe the model the run ends with: the last epoch, or the
        restored epoch after early stopping. ``best_*`` are at the epoch of the
        lowest validation loss.
        """
        h = self.history
        last = h.iloc[-1]
        if self.restored_epoch is not None:
            last = h.loc[h["epoch"] == self.restored_epoch].iloc[0]
        finite = h[np.isfinite(h["val_loss"])]
        best = finite.loc[finite["val_loss"].idxmin()] if len(finite) else last
        out: dict[str, Any] = {
            "status": self.status,
            "diverged": self.diverged,
            "diverged_epoch": self.diverged_epoch,
            "epochs_run": self.epochs_run,
            "final_epoch": int(last["epoch"]),
            "best_epoch": int(best["epoch"]),
        }
        for col in ("train_loss", "val_loss", "train_acc", "val_acc", "train_loss_batch"):
            out[f"final_{col}"] = float(last[col])
            out[f"best_{col}"] = float(best[col])
        out["final_gap"] = out["final_val_loss"] - out["final_train_loss"]
        out["best_gap"] = out["best_val_loss"] - out["best_train_loss"]
        out["max_val_acc"] = float(finite["val_acc"].max()) if len(finite) else math.nan
        return out


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def fit(
    model: nn.Module,
    data: TensorData,
    config: TrainConfig,
    *,
    seed: int = 0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    step_metrics: Callable[[nn.Module], Mapping[str, float]] | None = None,
    step_log_every: int = 0,
) -> FitResult:
    """Train ``model`` on ``data.X_train``; evaluate on ``data.X_val`` after every epoch.

    The history has one row per epoch, epoch 0 being the model before
    training. A run whose training or validation loss becomes nan or infinite
    stops and is returned with ``status="diverged"`` and the epoch: divergence
    is a result, not an exception. The batch order comes from ``seed``.

    With ``step_log_every > 0``, ``FitResult.steps`` gets a row before
    training and after every ``step_log_every``-th update: the batch loss,
    each layer's gradient norm (before clipping) and weight norm, and the
    columns ``step_metrics(model)`` returns (called in eval mode, without
    gradients).
    """
    loss_fn = loss_fn or nn.functional.cross_entropy
    optimizer = make_optimizer(model, config)
    batches = TensorBatches(data.X_train, data.y_train, config.batch_size, seed=seed)
    layer_names = [name for name, _ in layer_weights(model)]
    rows: list[dict[str, Any]] = []
    step_rows: list[dict[str, Any]] = []

    def record_step(
        step: int, epoch: int, batch_loss: torch.Tensor | None, norms: torch.Tensor | None
    ) -> None:
        # Synchronises (``.item()``): only on logged steps.
        out: dict[str, Any] = {
            "step": step,
            "epoch": epoch,
            "batch_loss": batch_loss.item() if batch_loss is not None else math.nan,
        }
        norm_values = norms.tolist() if norms is not None else [math.nan] * len(layer_names)
        for name, value in zip(layer_names, norm_values, strict=True):
            out[f"grad_norm_{name}"] = value
        for name, value in weight_norms(model).items():
            if name != "total":
                out[f"weight_norm_{name}"] = value
        if step_metrics is not None:
            with torch.no_grad():
                was_training = model.training
                model.eval()
                out.update(step_metrics(model))
                model.train(was_training)
        step_rows.append(out)

    def row(epoch: int, stats: EpochStats | None) -> dict[str, Any]:
        val_loss, val_acc = evaluate(
            model, data.X_val, data.y_val, loss_fn, batch_size=config.eval_batch_size
        )
        if config.evaluate_train:
            train_loss, train_acc = evaluate(
                model, data.X_train, data.y_train, loss_fn, batch_size=config.eval_batch_size
            )
        else:
            train_loss = train_acc = math.nan
        # A diverged model's accuracy (argmax of nan logits) means nothing: record none.
        if not math.isfinite(val_loss):
            val_acc = math.nan
        if not math.isfinite(train_loss):
            train_acc = math.nan
        batch_acc = stats.acc if stats and math.isfinite(stats.loss) else math.nan
        norms = weight_norms(model)
        out = {
            "epoch": epoch,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "train_acc": train_acc,
            "val_acc": val_acc,
            "train_loss_batch": stats.loss if stats else math.nan,
            "train_acc_batch": batch_acc,
            "steps": stats.steps if stats else 0,
            "grad_norm_mean": stats.grad_norm_mean if stats else math.nan,
            "grad_norm_max": stats.grad_norm_max if stats else math.nan,
            "weight_norm": norms["total"],
        }
        for name in layer_names:
            out[f"weight_norm_{name}"] = norms[name]
        for name in layer_names:
            out[f"grad_norm_{name}"] = (
                stats.layer_grad_norms.get(name, math.nan) if stats else math.nan
            )
        return out

    on_step: StepHook | None = None
    current_epoch = 0
    if step_log_every > 0:
        record_step(0, 0, None, None)

        def on_step(step: int, batch_loss: torch.Tensor, norms: torch.Tensor | None) -> None:
            if step % step_log_every == 0:
                record_step(step, current_epoch, batch_loss, norms)

    rows.append(row(0, None))
    best_loss = rows[0]["val_loss"]
    best_epoch = 0
    best_state = copy.deepcopy(model.state_dict()) if config.patience else None
    status, diverged_epoch = "completed", None
    step = 0
    for epoch in range(1, config.epochs + 1):
        current_epoch = epoch
        stats = train_one_epoch(
            model, batches, loss_fn, optimizer, config, on_step=on_step, first_step=step
        )
        step += stats.steps
        rows.append(row(epoch, stats))
        last = rows[-1]
        if not _finite(stats.loss, last["val_loss"]) or (
            config.evaluate_train and not math.isfinite(last["train_loss"])
        ):
            status, diverged_epoch = "diverged", epoch
            log.info(f"diverged at epoch {epoch}: loss {stats.loss}, val {last['val_loss']}")
            break
        if last["val_loss"] < best_loss - config.min_delta:
            best_loss, best_epoch = last["val_loss"], epoch
            if best_state is not None:
                best_state = copy.deepcopy(model.state_dict())
        elif config.patience and epoch - best_epoch >= config.patience:
            status = "early_stopped"
            break
    restored_epoch = None
    if status == "early_stopped" and config.restore_best and best_state is not None:
        model.load_state_dict(best_state)
        restored_epoch = best_epoch
    history = pd.DataFrame(rows)
    finite = history[np.isfinite(history["val_loss"])]
    best_epoch = int(finite.loc[finite["val_loss"].idxmin(), "epoch"]) if len(finite) else 0
    return FitResult(
        history=history,
        status=status,
        epochs_run=int(history["epoch"].iloc[-1]),
        best_epoch=best_epoch,
        diverged_epoch=diverged_epoch,
        restored_epoch=restored_epoch,
        steps=pd.DataFrame(step_rows) if step_log_every > 0 else None,
    )


def train_mlp(
    model_config: MLPConfig,
    train_config: TrainConfig,
    data: TensorData,
    *,
    seed: int,
    **fit_kwargs: Any,
) -> tuple[MLP, FitResult]:
    """Seed, build the MLP on the data's device, and :func:`fit` it. One run = one seed."""
    seed_everything(seed)
    model = MLP(model_config).to(data.X_train.device)
    result = fit(model, data, train_config, seed=seed, **fit_kwargs)
    return model, result


# --- files ---------------------------------------------------------------------------------
def write_history(history: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """history.csv: fixed float format, so equal runs give byte-identical files."""
    write_csv(history, path)


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    *,
    model_config: MLPConfig | None = None,
    train_config: TrainConfig | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Save the ``state_dict`` with the resolved configs (plain types: loadable with weights_only).

    ``model_config`` defaults to ``model.config`` for an :class:`MLP`.
    """
    if model_config is None and isinstance(model, MLP):
        model_config = model.config
    payload = {
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "model_config": model_config.to_dict() if model_config else None,
        "train_config": train_config.to_dict() if train_config else None,
        "extra": dict(extra or {}),
        "torch_version": str(torch.__version__),
    }
    # Saved through a file object: torch names the archive's root folder after a
    # path's file name (here a random temporary one), which would make equal
    # models give different bytes.
    with atomic_open(path, "wb") as handle:
        torch.save(payload, handle)


def load_checkpoint(
    path: str | os.PathLike[str], *, map_location: str | torch.device = "cpu"
) -> tuple[MLP, dict[str, Any]]:
    """Rebuild the MLP from a checkpoint, loaded with ``weights_only=True``.

    ``weights_only=True`` unpickles tensors and plain containers only, so a
    file that carries arbitrary objects (code) is refused instead of run.
    Returns the model in eval mode and the checkpoint dictionary.
    """
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ValueError(
            f"{path} is not a checkpoint written by save_checkpoint (no 'state_dict' key)"
        )
    if checkpoint.get("model_config") is None:
        raise ValueError(
            f"{path} has no model_config; rebuild the model yourself and load "
            "checkpoint['state_dict'] into it"
        )
    model = MLP(MLPConfig.from_dict(checkpoint["model_config"]))
    model.load_state_dict(checkpoint["state_dict"])
    model.to(map_location).eval()
    return model, checkpoint
