"""Figures of experiment A (the PyTorch basics), drawn from ``results/basics/*.csv``."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regularization_report.figures import style as plotting  # noqa: F401  (applies the shared style)
from regularization_report.nn.summary import mean_ci

LOSS_COLORS = {"MSE": "#D55E00", "MAE": "#0072B2", "Huber": "#009E73"}


def loss_fits(fits: pd.DataFrame, points: pd.DataFrame) -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    ax = axes[0]
    clean, outliers = points[~points["outlier"]], points[points["outlier"]]
    ax.scatter(clean["x"], clean["y"], s=10, color="#7f7f7f", label="data")
    ax.scatter(
        outliers["x"], outliers["y"], s=22, facecolors="none", edgecolors="black", label="outliers"
    )
    share = len(outliers) / len(points)
    example = fits[np.isclose(fits["outlier_fraction"], share)]
    example = example[example["seed"] == example["seed"].min()]
    grid = np.linspace(-1, 1, 2)
    ax.plot(grid, 2 * grid + 1, color="black", ls=":", label="true line")
    for row in example.itertuples():
        ax.plot(grid, row.slope * grid + row.intercept, color=LOSS_COLORS[row.loss], label=row.loss)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{share:.0%} outliers")
    ax.legend(fontsize=8)
    ax = axes[1]
    for loss, group in fits.groupby("loss", sort=False):
        rows = []
        for fraction, g in group.groupby("outlier_fraction"):
            rows.append({"fraction": fraction, **mean_ci((g["slope"] - 2.0).abs().tolist())})
        r = pd.DataFrame(rows)
        ax.plot(r["fraction"], r["mean"], "o-", color=LOSS_COLORS[loss], label=loss)
        # An absolute error cannot be negative: the Student-t band is cut at zero.
        low = r["low"].clip(lower=0)
        ax.fill_between(r["fraction"], low, r["high"], color=LOSS_COLORS[loss], alpha=0.2)
    ax.set_xlabel("share of outliers")
    ax.set_ylabel("|fitted slope - true slope|")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def optimizers(curves: pd.DataFrame) -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
    colors = dict(
        zip(curves["optimizer"].unique(), ["#D55E00", "#E69F00", "#0072B2"], strict=False)
    )
    for name, group in curves.groupby("optimizer", sort=False):
        for ax, metric in zip(axes, ("train_loss", "val_acc"), strict=True):
            rows = [{"epoch": e, **mean_ci(g[metric].tolist())} for e, g in group.groupby("epoch")]
            r = pd.DataFrame(rows)
            ax.plot(r["epoch"], r["mean"], color=colors[name], label=name)
            ax.fill_between(r["epoch"], r["low"], r["high"], color=colors[name], alpha=0.2)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("training cross-entropy")
    axes[1].set_ylabel("validation accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def activations(table: pd.DataFrame) -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4), sharex=True)
    for name, group in table.groupby("activation", sort=False):
        axes[0].plot(group["x"], group["value"], label=name)
        axes[1].plot(group["x"], group["derivative"], label=name)
    axes[0].set_ylim(-1.5, 4.1)
    axes[0].set_ylabel("f(x)")
    axes[1].set_ylabel("f'(x) by autograd")
    for ax in axes:
        ax.set_xlabel("x")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def perceptron(
    mistakes: pd.DataFrame, lines: pd.DataFrame, points: pd.DataFrame, surface: pd.DataFrame
) -> Figure:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    ax = axes[0]
    iris = points[points["problem"] == "iris"]
    for label, name, color in ((0, "setosa", "#0072B2"), (1, "versicolor", "#D55E00")):
        p = iris[iris["label"] == label]
        ax.scatter(p["x1"], p["x2"], s=12, color=color, label=name)
    line = lines[lines["problem"] == "iris"].iloc[0]
    grid = np.linspace(iris["x1"].min() - 0.3, iris["x1"].max() + 0.3, 2)
    if line["w2"] != 0:
        ax.plot(
            grid, -(line["w1"] * grid + line["b"]) / line["w2"], color="black", label="perceptron"
        )
    ax.set_ylim(iris["x2"].min() - 0.3, iris["x2"].max() + 0.3)
    ax.set_xlabel("petal length (cm)")
    ax.set_ylabel("petal width (cm)")
    ax.set_title("iris: linearly separable")
    ax.legend(fontsize=8)
    ax = axes[1]
    for problem, color in (("iris", "#0072B2"), ("xor", "#D55E00")):
        m = mistakes[mistakes["problem"] == problem]
        ax.plot(
            m["epoch"],
            m["mistakes"],
            "o-",
            ms=3,
            color=color,
            label=problem.upper() if problem == "xor" else problem,
        )
    ax.set_xlabel("pass over the data")
    ax.set_ylabel("mistakes")
    ax.set_title("perceptron mistakes per pass")
    ax.legend(fontsize=8)
    ax = axes[2]
    n = int(np.sqrt(len(surface)))
    x1 = surface["x1"].to_numpy().reshape(n, n)
    x2 = surface["x2"].to_numpy().reshape(n, n)
    prob = surface["probability"].to_numpy().reshape(n, n)
    mesh = ax.contourf(x1, x2, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
    ax.contour(x1, x2, prob, levels=[0.5], colors="black", linewidths=1)
    xor = points[points["problem"] == "xor"]
    ax.scatter(
        xor["x1"],
        xor["x2"],
        c=xor["label"],
        cmap="RdBu_r",
        edgecolors="black",
        s=60,
        vmin=0,
        vmax=1,
    )
    fig.colorbar(mesh, ax=ax, label="P(class 1)")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("XOR: one hidden layer")
    ax.grid(False)
    fig.tight_layout()
    return fig


FIGURES: dict[str, Callable[..., Figure]] = {
    "fig-basics-loss-fits": loss_fits,
    "fig-basics-optimizers": optimizers,
    "fig-basics-activations": activations,
    "fig-basics-perceptron": perceptron,
}
