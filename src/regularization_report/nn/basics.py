"""Experiment A: the PyTorch basics of the study note, measured.

Small, fast experiments, each returning tidy frames (and a few values):

- :func:`loss_fits`: a line fit by MSE, MAE and Huber loss on data with a
  growing share of outliers, over seeds;
- :func:`optimizer_curves`: SGD, SGD with momentum and Adam training the same
  MLP on digits, over seeds (the project's training core);
- :func:`activation_table`: activation functions and their autograd
  derivatives, checked against the closed forms;
- :func:`backprop_check`: a two-layer network's gradients written by hand,
  checked against autograd;
- :func:`perceptron_runs` and :func:`xor_mlp`: Rosenblatt's perceptron on two
  separable iris species and on XOR, and an MLP that solves XOR;
- :func:`dataloader_check`: a ``Dataset``/``DataLoader`` over a real table;
- :func:`save_load_roundtrip`: checkpoint, reload with ``weights_only=True``,
  identical predictions.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from regularization_report.data.bundled import Split
from regularization_report.nn.models import MLPConfig
from regularization_report.nn.training import (
    TensorBatches,
    TensorData,
    TrainConfig,
    load_checkpoint,
    save_checkpoint,
    seed_everything,
    train_mlp,
)

LOSSES = {
    "MSE": nn.MSELoss(reduction="none"),
    "MAE": nn.L1Loss(reduction="none"),
    "Huber": nn.HuberLoss(reduction="none", delta=1.0),
}


# --- losses on data with outliers ------------------------------------------------------
def line_data(
    seed: int, n: int, outlier_fraction: float, *, slope: float = 2.0, intercept: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``y = slope x + intercept + N(0, 0.3)``; a fraction of the points shifted up by 4 to 8."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    y = slope * x + intercept + rng.normal(0, 0.3, n)
    outlier = np.zeros(n, dtype=bool)
    outlier[rng.permutation(n)[: round(outlier_fraction * n)]] = True
    y[outlier] += rng.uniform(4, 8, outlier.sum())
    return x, y, outlier


def loss_fits(
    seeds: list[int], outlier_fractions: list[float], *, n: int = 100, steps: int = 600
) -> pd.DataFrame:
    """Slope and intercept fitted by each loss, per outlier fraction and seed.

    All (fraction, seed) problems are fitted at once as independent lines
    (Adam is per coordinate, so summing their losses does not couple them).
    """
    problems = [(f, s) for f in outlier_fractions for s in seeds]
    xs, ys = zip(*[line_data(s, n, f)[:2] for f, s in problems], strict=True)
    X = torch.tensor(np.stack(xs), dtype=torch.float32)
    Y = torch.tensor(np.stack(ys), dtype=torch.float32)
    rows = []
    for name, loss_fn in LOSSES.items():
        params = torch.zeros(len(problems), 2, requires_grad=True)
        optimizer = torch.optim.Adam([params], lr=0.05)
        for _ in range(steps):
            optimizer.zero_grad()
            prediction = params[:, :1] * X + params[:, 1:]
            loss_fn(prediction, Y).mean(dim=1).sum().backward()
            optimizer.step()
        for (fraction, seed), (slope, intercept) in zip(problems, params.tolist(), strict=True):
            rows.append(
                {
                    "loss": name,
                    "outlier_fraction": fraction,
                    "seed": seed,
                    "slope": slope,
                    "intercept": intercept,
                }
            )
    return pd.DataFrame(rows)


def loss_fit_points(seed: int, outlier_fraction: float, n: int = 100) -> pd.DataFrame:
    x, y, outlier = line_data(seed, n, outlier_fraction)
    return pd.DataFrame({"x": x, "y": y, "outlier": outlier})


# --- optimizers ---------------------------------------------------------------------------
OPTIMIZERS = {
    "SGD": {"optimizer": "sgd", "lr": 0.05},
    "SGD + momentum": {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9},
    "Adam": {"optimizer": "adam", "lr": 0.001},
}


def optimizer_curves(data: TensorData, seeds: list[int], *, epochs: int) -> pd.DataFrame:
    """Training loss and validation accuracy per epoch for each optimizer and seed."""
    frames = []
    model_config = MLPConfig(data.n_features, data.n_classes, hidden=(64,))
    for name, settings in OPTIMIZERS.items():
        config = TrainConfig(epochs=epochs, batch_size=64, **settings)
        for seed in seeds:
            _, result = train_mlp(model_config, config, data, seed=seed)
            h = result.history[["epoch", "train_loss", "val_loss", "val_acc"]].copy()
            h.insert(0, "seed", seed)
            h.insert(0, "optimizer", name)
            frames.append(h)
    return pd.concat(frames, ignore_index=True)


# --- activations ------------------------------------------------------------------------------
def activation_table(points: int = 161) -> pd.DataFrame:
    """Value, autograd derivative and closed-form derivative of each activation on [-4, 4]."""
    x = torch.linspace(-4, 4, points, dtype=torch.float64)
    closed = {
        "sigmoid": lambda t: torch.sigmoid(t) * (1 - torch.sigmoid(t)),
        "tanh": lambda t: 1 - torch.tanh(t) ** 2,
        "relu": lambda t: (t > 0).double(),
        "leaky_relu": lambda t: torch.where(t > 0, 1.0, 0.01).double(),
    }
    functions = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda t: nn.functional.leaky_relu(t, 0.01),
        "gelu": nn.functional.gelu,
    }
    frames = []
    for name, f in functions.items():
        xg = x.clone().requires_grad_(True)
        value = f(xg)
        (derivative,) = torch.autograd.grad(value.sum(), xg)
        frames.append(
            pd.DataFrame(
                {
                    "activation": name,
                    "x": x.numpy(),
                    "value": value.detach().numpy(),
                    "derivative": derivative.numpy(),
                    "derivative_closed_form": closed[name](x).numpy() if name in closed else np.nan,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# --- forward and backward by hand ------------------------------------------------------------
def backprop_check(split: Split, *, seed: int = 0, hidden: int = 8) -> pd.DataFrame:
    """Gradients of a tanh network with softmax cross-entropy: chain rule by hand vs autograd.

    Forward: ``h = tanh(X W1^T + b1)``, ``z = h W2^T + b2``, ``L = mean CE(z, y)``.
    Backward: ``dz = (softmax(z) - onehot(y)) / n``, ``dW2 = dz^T h``, ``db2 = sum dz``,
    ``dh = dz W2``, ``da = dh (1 - h^2)``, ``dW1 = da^T X``, ``db1 = sum da``.
    """
    seed_everything(seed)
    X = torch.tensor(split.X_train, dtype=torch.float64)
    X = (X - X.mean(0)) / X.std(0)
    y = torch.tensor(split.y_train)
    n, d = X.shape
    k = int(y.max()) + 1
    W1 = (0.5 * torch.randn(hidden, d, dtype=torch.float64)).requires_grad_(True)
    b1 = torch.zeros(hidden, dtype=torch.float64, requires_grad=True)
    W2 = (0.5 * torch.randn(k, hidden, dtype=torch.float64)).requires_grad_(True)
    b2 = torch.zeros(k, dtype=torch.float64, requires_grad=True)
    h = torch.tanh(X @ W1.T + b1)
    z = h @ W2.T + b2
    nn.functional.cross_entropy(z, y).backward()
    with torch.no_grad():
        dz = (torch.softmax(z, dim=1) - nn.functional.one_hot(y, k).double()) / n
        manual = {"W2": dz.T @ h, "b2": dz.sum(0)}
        da = (dz @ W2) * (1 - h**2)
        manual.update({"W1": da.T @ X, "b1": da.sum(0)})
    autograd = {"W1": W1.grad, "b1": b1.grad, "W2": W2.grad, "b2": b2.grad}
    return pd.DataFrame(
        [
            {
                "parameter": name,
                "shape": "x".join(map(str, autograd[name].shape)),
                "max_abs_grad": autograd[name].abs().max().item(),
                "max_abs_diff": (manual[name] - autograd[name]).abs().max().item(),
            }
            for name in ("W1", "b1", "W2", "b2")
        ]
    )


# --- the perceptron and XOR -------------------------------------------------------------------
def perceptron(X: np.ndarray, y: np.ndarray, epochs: int) -> tuple[list[int], np.ndarray, float]:
    """Rosenblatt's rule (y in {0, 1}): mistakes per epoch, final weights and bias."""
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        wrong = 0
        for xi, yi in zip(X, y, strict=True):
            predicted = float(xi @ w + b > 0)
            if predicted != yi:
                w, b = w + (yi - predicted) * xi, b + (yi - predicted)
                wrong += 1
        mistakes.append(wrong)
    return mistakes, w, b


XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def perceptron_runs(
    iris: pd.DataFrame, *, epochs: int = 20
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Perceptron on setosa vs versicolor (petal length and width) and on XOR.

    Returns mistakes per epoch, the final separating lines, and the points.
    """
    two = iris[iris["target"] < 2]
    X_iris = two[["petal length (cm)", "petal width (cm)"]].to_numpy()
    y_iris = two["target"].to_numpy(dtype=float)
    problems = {"iris": (X_iris, y_iris), "xor": (XOR_X, XOR_Y)}
    mistakes_rows, lines, points = [], [], []
    for name, (X, y) in problems.items():
        mistakes, w, b = perceptron(X, y, epochs)
        mistakes_rows += [
            {"problem": name, "epoch": e, "mistakes": m} for e, m in enumerate(mistakes, 1)
        ]
        lines.append({"problem": name, "w1": w[0], "w2": w[1], "b": b})
        points += [
            {"problem": name, "x1": p[0], "x2": p[1], "label": int(t)}
            for p, t in zip(X, y, strict=True)
        ]
    return pd.DataFrame(mistakes_rows), pd.DataFrame(lines), pd.DataFrame(points)


def xor_mlp(
    seeds: list[int], widths: list[int], *, steps: int = 300, grid: int = 41
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train ``2 -> width -> 1`` tanh networks on XOR from several seeds.

    Returns one row per (width, seed) with whether all four points are right,
    and the decision surface of the first seed of the widest network.
    """
    X = torch.tensor(XOR_X, dtype=torch.float32)
    y = torch.tensor(XOR_Y, dtype=torch.float32)
    rows = []
    surface = pd.DataFrame()
    for width in widths:
        for seed in seeds:
            seed_everything(seed)
            net = nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 1))
            optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
            for _ in range(steps):
                optimizer.zero_grad()
                loss = nn.functional.binary_cross_entropy_with_logits(net(X).squeeze(1), y)
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                solved = bool(((net(X).squeeze(1) > 0).float() == y).all())
            rows.append({"width": width, "seed": seed, "solved": solved, "final_loss": loss.item()})
            if width == max(widths) and seed == seeds[0]:
                g = torch.linspace(-0.5, 1.5, grid)
                g1, g2 = torch.meshgrid(g, g, indexing="xy")
                with torch.no_grad():
                    p = torch.sigmoid(net(torch.stack([g1.flatten(), g2.flatten()], 1))).squeeze(1)
                surface = pd.DataFrame(
                    {
                        "x1": g1.flatten().numpy(),
                        "x2": g2.flatten().numpy(),
                        "probability": p.numpy(),
                    }
                )
    return pd.DataFrame(rows), surface


# --- Dataset / DataLoader -----------------------------------------------------------------------
class TableDataset(Dataset):
    """Rows of a CSV table: features as float32, the ``target`` column as a class index."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        frame = pd.read_csv(path)
        self.X = torch.tensor(frame.drop(columns="target").to_numpy(), dtype=torch.float32)
        self.y = torch.tensor(frame["target"].to_numpy(), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.X[i], self.y[i]


def dataloader_check(path: str | os.PathLike[str], *, batch_size: int = 64, seed: int = 0) -> dict:
    """One epoch of a shuffled DataLoader over the table, and of TensorBatches: same rows once."""
    dataset = TableDataset(path)
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    sizes, seen = [], []
    for xb, yb in loader:
        sizes.append(len(yb))
        seen.append(xb)
    rows = torch.cat(seen)
    batches = TensorBatches(dataset.X, dataset.y, batch_size, seed=seed)
    sliced = torch.cat([xb for xb, _ in batches])

    def as_set(t: torch.Tensor) -> set[tuple[float, ...]]:
        return {tuple(r) for r in t.tolist()}

    return {
        "n_rows": len(dataset),
        "n_features": dataset.X.shape[1],
        "batch_size": batch_size,
        "n_batches": len(sizes),
        "last_batch_size": sizes[-1],
        "rows_seen": int(rows.shape[0]),
        "every_row_once": as_set(rows) == as_set(dataset.X) and len(rows) == len(dataset),
        "tensor_batches": len(batches),
        "tensor_batches_same_rows": as_set(sliced) == as_set(rows),
    }


# --- save and load -----------------------------------------------------------------
class _CodeOnLoad:
    def __reduce__(self):
        return (print, ("a checkpoint ran code while it was loaded",))


def save_load_roundtrip(data: TensorData, path: str | os.PathLike[str], *, seed: int = 0) -> dict:
    """Train, save the state_dict with its config, reload with weights_only=True, compare."""
    model_config = MLPConfig(
        data.n_features, data.n_classes, hidden=(32,), dropout=0.2, batch_norm=True
    )
    train_config = TrainConfig(epochs=10, batch_size=32, optimizer="adam", lr=0.01)
    model, _ = train_mlp(model_config, train_config, data, seed=seed)
    save_checkpoint(path, model, train_config=train_config, extra={"seed": seed})
    loaded, checkpoint = load_checkpoint(path)
    model.eval()
    with torch.no_grad():
        before, after = model(data.X_test), loaded(data.X_test)
    refused = Path(path).with_name("code_on_load.pt")
    torch.save({"state_dict": {}, "payload": _CodeOnLoad()}, refused)
    try:
        load_checkpoint(refused)
        code_refused = False
    except pickle.UnpicklingError:
        code_refused = True
    finally:
        refused.unlink()
    return {
        "identical_predictions": bool(torch.equal(before, after)),
        "max_abs_diff": (before - after).abs().max().item(),
        "n_test": len(data.y_test),
        "config_restored": checkpoint["model_config"] == model_config.to_dict(),
        "code_checkpoint_refused": code_refused,
        "file_bytes": Path(path).stat().st_size,
    }


def summary_values(
    fits: pd.DataFrame,
    optimizers: pd.DataFrame,
    activations: pd.DataFrame,
    backprop: pd.DataFrame,
    mistakes: pd.DataFrame,
    xor: pd.DataFrame,
    loader: dict,
    roundtrip: dict,
) -> dict[str, Any]:
    """The numbers the basics chapter quotes."""
    slope_error = (
        fits.assign(error=(fits["slope"] - 2.0).abs())
        .groupby(["loss", "outlier_fraction"])["error"]
        .mean()
    )
    worst_fraction = float(fits["outlier_fraction"].max())
    last = optimizers[optimizers["epoch"] == optimizers["epoch"].max()]
    opt = last.groupby("optimizer")[["train_loss", "val_acc"]].mean()
    closed = activations.dropna(subset=["derivative_closed_form"])
    iris = mistakes[mistakes["problem"] == "iris"]
    xor_mistakes = mistakes[mistakes["problem"] == "xor"]
    solved = xor.groupby("width")["solved"].mean()
    return {
        "loss_fits": {
            "true_slope": 2.0,
            "worst_fraction": worst_fraction,
            "slope_error": {
                loss: {f"{f:g}": float(v) for (lo, f), v in slope_error.items() if lo == loss}
                for loss in LOSSES
            },
            "n_seeds": int(fits["seed"].nunique()),
        },
        "optimizers": {
            name: {"final_train_loss": float(r.train_loss), "final_val_acc": float(r.val_acc)}
            for name, r in opt.iterrows()
        },
        "optimizer_epochs": int(optimizers["epoch"].max()),
        "activation_max_derivative_error": float(
            (closed["derivative"] - closed["derivative_closed_form"]).abs().max()
        ),
        "sigmoid_max_derivative": float(
            activations[activations["activation"] == "sigmoid"]["derivative"].max()
        ),
        "backprop_max_abs_diff": float(backprop["max_abs_diff"].max()),
        "perceptron": {
            "iris_first_clean_epoch": int(iris[iris["mistakes"] == 0]["epoch"].min()),
            "xor_last_mistakes": int(xor_mistakes["mistakes"].iloc[-1]),
            "xor_min_mistakes": int(xor_mistakes["mistakes"].min()),
            "epochs": int(mistakes["epoch"].max()),
        },
        "xor_mlp": {
            f"width{int(w)}": {
                "solved_fraction": float(v),
                "n_seeds": int((xor["width"] == w).sum()),
            }
            for w, v in solved.items()
        },
        "dataloader": loader,
        "save_load": roundtrip,
    }
