"""Figures of the neural-network experiments, drawn from the aggregated tables.

Each function takes the frames the workflow wrote (``results/nn/*.csv``,
``results/tables/nn_comparison.csv``) and returns a matplotlib Figure;
``scripts/plot_nn_figure.py`` saves it with ``plotting.save_figure``. No
function trains or loads a model.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regularization_report.figures import style as plotting  # noqa: F401  (applies the shared style)
from regularization_report.nn.summary import ACCURACY_THRESHOLD, mean_ci, penalty_strength_table

DATASET_LABELS = {"digits": "digits", "breast_cancer": "breast cancer"}
VARIANT_LABELS = {"plain": "without BN", "batch_norm": "with BN", "clipping": "with clipping"}
BN_COLORS = {"plain": "#D55E00", "batch_norm": "#0072B2", "clipping": "#009E73"}


def _datasets(frame: pd.DataFrame) -> list[str]:
    order = list(DATASET_LABELS)
    found = list(dict.fromkeys(frame["dataset"]))
    return sorted(found, key=lambda d: (order.index(d) if d in order else len(order), d))


def _label(dataset: str) -> str:
    return DATASET_LABELS.get(dataset, dataset)


def _rate(variant: str) -> float:
    return float(variant.removeprefix("rate"))


def _rate_colors(rates: list[float]) -> dict[float, tuple]:
    cmap = plt.get_cmap("viridis")
    span = max(len(rates) - 1, 1)
    return {r: cmap(0.9 * i / span) for i, r in enumerate(sorted(rates))}


def _errorbar(ax, x, frame_groups, column, **kwargs) -> None:
    means, lows, highs = [], [], []
    for group in frame_groups:
        ci = mean_ci(group[column].tolist())
        means.append(ci["mean"])
        lows.append(ci["mean"] - ci["low"] if math.isfinite(ci["low"]) else 0.0)
        highs.append(ci["high"] - ci["mean"] if math.isfinite(ci["high"]) else 0.0)
    ax.errorbar(x, means, yerr=[lows, highs], capsize=3, **kwargs)


# --- E1 dropout -----------------------------------------------------------------------
def dropout_curves(curves: pd.DataFrame) -> Figure:
    """Top row: training loss (log axis, it spans decades). Bottom row: validation loss
    on a linear axis, so its rise after the optimum stays visible. One line per rate."""
    data = curves[curves["experiment"] == "dropout"]
    datasets = _datasets(data)
    rates = sorted({_rate(v) for v in data["variant"]})
    colors = _rate_colors(rates)
    fig, axes = plt.subplots(
        2, len(datasets), figsize=(4.2 * len(datasets), 6.0), squeeze=False, sharex="col"
    )
    for col, dataset in enumerate(datasets):
        for variant in sorted(set(data["variant"]), key=_rate):
            rate = _rate(variant)
            for row, metric in enumerate(("train_loss", "val_loss")):
                c = data[
                    (data["dataset"] == dataset)
                    & (data["variant"] == variant)
                    & (data["metric"] == metric)
                ].sort_values("epoch")
                ax = axes[row][col]
                ax.plot(c["epoch"], c["mean"], "-", color=colors[rate], lw=1.4, label=f"{rate:g}")
                if metric == "val_loss":
                    ax.fill_between(c["epoch"], c["low"], c["high"], color=colors[rate], alpha=0.15)
        axes[0][col].set_yscale("log")
        axes[0][col].set_title(_label(dataset))
        axes[0][col].set_ylabel("training loss (eval mode, log)")
        axes[1][col].set_ylabel("validation loss")
        axes[1][col].set_xlabel("epoch")
    axes[0][-1].legend(title="dropout rate p", fontsize=8)
    fig.tight_layout()
    return fig


def dropout_gap(summary: pd.DataFrame) -> Figure:
    data = summary[summary["experiment"] == "dropout"].copy()
    data["rate"] = data["dropout"].astype(float)
    datasets = _datasets(data)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    offsets = np.linspace(-0.012, 0.012, len(datasets))
    for offset, dataset in zip(offsets, datasets, strict=True):
        d = data[data["dataset"] == dataset]
        rates = sorted(d["rate"].unique())
        groups = [d[d["rate"] == r] for r in rates]
        x = np.asarray(rates) + offset
        color = "#0072B2" if dataset == datasets[0] else "#D55E00"
        _errorbar(axes[0], x, groups, "final_gap", fmt="o-", color=color, label=_label(dataset))
        _errorbar(
            axes[0], x, groups, "final_gap_batch", fmt="o:", color=color, mfc="white", label=None
        )
        _errorbar(axes[1], x, groups, "best_epoch", fmt="o-", color=color, label=_label(dataset))
        _errorbar(axes[2], x, groups, "best_val_loss", fmt="o-", color=color, label=_label(dataset))
    axes[0].plot([], [], "o-", color="gray", label="eval-mode training loss")
    axes[0].plot([], [], "o:", color="gray", mfc="white", label="train-mode batch loss")
    axes[0].legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("validation - training loss")
    axes[0].set_title("final gap")
    axes[1].set_ylabel("epoch")
    axes[1].set_title("lowest validation loss at")
    axes[2].set_ylabel("cross-entropy")
    axes[2].set_title("lowest validation loss")
    for ax in axes:
        ax.set_xlabel("dropout rate")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def dropout_mc(analyses: pd.DataFrame) -> Figure:
    data = analyses[(analyses["experiment"] == "dropout") & (analyses["analysis"] == "mc_dropout")]
    data = data[data["variant"].map(_rate) > 0]
    datasets = _datasets(data)
    rates = sorted({_rate(v) for v in data["variant"]})
    colors = _rate_colors([0.0, *rates])
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        for variant in sorted(set(data["variant"]), key=_rate):
            d = data[(data["dataset"] == dataset) & (data["variant"] == variant)]
            mc = d[d["quantity"] == "loss"].groupby("x")["value"].mean()
            eval_loss = d[d["quantity"] == "eval_loss"]["value"].mean()
            color = colors[_rate(variant)]
            ax.plot(
                mc.index, mc.to_numpy(), "o-", ms=3, color=color, label=f"p = {_rate(variant):g}"
            )
            ax.axhline(eval_loss, color=color, ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_xlabel("masks averaged, T")
        ax.set_ylabel("validation cross-entropy")
        ax.set_title(_label(dataset))
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def dropout_sparsity(analyses: pd.DataFrame) -> Figure:
    data = analyses[
        (analyses["experiment"] == "dropout")
        & (analyses["analysis"] == "sparsity")
        & (analyses["quantity"] == "zero_fraction")
    ].copy()
    data["rate"] = data["variant"].map(_rate)
    datasets = _datasets(data)
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        d = data[data["dataset"] == dataset]
        for layer in sorted(d["x"].unique()):
            dl = d[d["x"] == layer]
            rates = sorted(dl["rate"].unique())
            _errorbar(
                ax,
                rates,
                [dl[dl["rate"] == r] for r in rates],
                "value",
                fmt="o-",
                label=f"hidden layer {int(layer)}",
            )
        ax.set_xlabel("dropout rate")
        ax.set_ylabel("fraction of zero activations")
        ax.set_title(_label(dataset))
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- E2 batch normalization ---------------------------------------------------------------
def _band(ax, steps: pd.DataFrame, column: str, **kwargs) -> None:
    rows = [{"step": step, **mean_ci(g[column].tolist())} for step, g in steps.groupby("step")]
    frame = pd.DataFrame(rows)
    (line,) = ax.plot(frame["step"], frame["mean"], **kwargs)
    ax.fill_between(frame["step"], frame["low"], frame["high"], color=line.get_color(), alpha=0.2)


def batchnorm_accuracy(steps: pd.DataFrame) -> Figure:
    data = steps[steps["experiment"] == "batchnorm"]
    datasets = _datasets(data)
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        for variant in ("plain", "batch_norm"):
            d = data[(data["dataset"] == dataset) & (data["variant"] == variant)]
            if len(d):
                _band(ax, d, "val_acc", color=BN_COLORS[variant], label=VARIANT_LABELS[variant])
        ax.set_xlabel("training step")
        ax.set_ylabel("validation accuracy")
        ax.set_ylim(0, 1)
        ax.set_title(_label(dataset))
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def batchnorm_percentiles(steps: pd.DataFrame) -> Figure:
    data = steps[steps["experiment"] == "batchnorm"]
    datasets = _datasets(data)
    fig, axes = plt.subplots(
        len(datasets), 2, figsize=(8.4, 3.0 * len(datasets)), squeeze=False, sharex="row"
    )
    for row, dataset in enumerate(datasets):
        for col, variant in enumerate(("plain", "batch_norm")):
            ax = axes[row][col]
            d = data[(data["dataset"] == dataset) & (data["variant"] == variant)]
            if not len(d):
                continue
            seed = d["seed"].min()
            d = d[d["seed"] == seed].sort_values("step")
            color = BN_COLORS[variant]
            ax.plot(d["step"], d["unit_p50"], color=color, lw=1.6, label="50th")
            ax.plot(d["step"], d["unit_p15"], color=color, lw=0.9, ls="--", label="15th, 85th")
            ax.plot(d["step"], d["unit_p85"], color=color, lw=0.9, ls="--")
            ax.set_title(f"{_label(dataset)}, {VARIANT_LABELS[variant]} (seed {seed})")
            ax.set_xlabel("training step")
            ax.set_ylabel("input of the sigmoid")
        axes[row][0].legend(fontsize=8, title="percentile")
    fig.tight_layout()
    return fig


def batchnorm_lr_sweep(summary: pd.DataFrame) -> Figure:
    data = summary[summary["experiment"] == "lr_sweep"].copy()
    data["kind"] = np.where(data["batch_norm"].astype(bool), "batch_norm", "plain")
    datasets = _datasets(data)
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.6 * len(datasets), 3.4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        d = data[data["dataset"] == dataset]
        for kind, factor in (("plain", 0.93), ("batch_norm", 1.07)):
            dk = d[d["kind"] == kind]
            lrs = sorted(dk["lr"].unique())
            groups = [dk[(dk["lr"] == lr) & ~dk["diverged"].astype(bool)] for lr in lrs]
            x = np.asarray(lrs) * factor
            _errorbar(
                ax,
                x,
                groups,
                "final_val_acc",
                fmt="o-",
                color=BN_COLORS[kind],
                label=VARIANT_LABELS[kind],
            )
            diverged = dk[dk["diverged"].astype(bool)]
            if len(diverged):
                ax.scatter(
                    diverged["lr"] * factor,
                    np.zeros(len(diverged)),
                    marker="x",
                    s=40,
                    color=BN_COLORS[kind],
                    label=f"diverged ({VARIANT_LABELS[kind]})",
                )
        ax.axhline(ACCURACY_THRESHOLD, color="gray", ls=":", lw=1, label="threshold")
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("learning rate (SGD)")
        ax.set_ylabel("final validation accuracy")
        ax.set_title(_label(dataset))
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def batchnorm_batch_size(analyses: pd.DataFrame) -> Figure:
    data = analyses[
        (analyses["experiment"] == "batchnorm") & (analyses["analysis"] == "batch_size_eval")
    ]
    # Only networks with batch norm have train-mode rows; the plain network's
    # eval-mode accuracy must not enter the eval-mode line.
    with_bn = data[data["quantity"] == "acc"][["dataset", "variant"]].drop_duplicates()
    data = data.merge(with_bn, on=["dataset", "variant"])
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    for i, dataset in enumerate(_datasets(data)):
        d = data[data["dataset"] == dataset]
        acc = d[d["quantity"] == "acc"].groupby("x")["value"].mean()
        color = ["#0072B2", "#D55E00", "#009E73"][i % 3]
        ax.plot(
            acc.index, acc.to_numpy(), "o-", color=color, label=f"{_label(dataset)}, train mode"
        )
        ax.axhline(
            d[d["quantity"] == "eval_acc"]["value"].mean(),
            color=color,
            ls="--",
            lw=1,
            label=f"{_label(dataset)}, eval mode",
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size at inference")
    ax.set_ylabel("validation accuracy")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- D norms during training --------------------------------------------------------------
def norms_training(steps: pd.DataFrame) -> Figure:
    data = steps[steps["experiment"] == "norms"]
    dataset = _datasets(data)[0]
    data = data[data["dataset"] == dataset]
    variants = [v for v in ("plain", "batch_norm", "clipping") if v in set(data["variant"])]
    fig, axes = plt.subplots(
        2, len(variants), figsize=(3.8 * len(variants), 5.6), squeeze=False, sharey="row"
    )
    layer_cols = [c for c in data.columns if c.startswith("grad_norm_") and data[c].notna().any()]
    cmap = plt.get_cmap("viridis")
    for col, variant in enumerate(variants):
        d = data[data["variant"] == variant]
        # Show a run that diverged when there is one (the event the figure is about),
        # else the first seed; the title says which and what happened.
        # Step 0 (before training) has no gradients; after it, a non-finite norm
        # or loss means the run diverged.
        trained = d[d["step"] > 0]
        blown = ~np.isfinite(
            trained[[c for c in (*layer_cols, "batch_loss") if c in trained]].to_numpy(dtype=float)
        ).all(axis=1)
        diverged_seeds = sorted(trained.loc[blown, "seed"].unique())
        seed = diverged_seeds[0] if diverged_seeds else d["seed"].min()
        d = d[(d["seed"] == seed) & (d["step"] > 0)].sort_values("step")
        for i, grad_col in enumerate(layer_cols):
            name = grad_col.removeprefix("grad_norm_")
            color = cmap(0.9 * i / max(len(layer_cols) - 1, 1))
            for row, prefix in enumerate(("grad_norm_", "weight_norm_")):
                values = d[f"{prefix}{name}"].replace([np.inf, -np.inf], np.nan)
                axes[row][col].plot(d["step"], values, color=color, lw=0.8, label=name)
                finite = values.notna()
                if not finite.all() and finite.any():
                    last = d.loc[finite[finite].index[-1]]
                    axes[row][col].plot(
                        last["step"], last[f"{prefix}{name}"], "x", color="black", ms=8
                    )
        what = "diverged" if diverged_seeds else "no divergence"
        axes[0][col].set_title(f"{VARIANT_LABELS.get(variant, variant)}: seed {seed}, {what}")
        for row in range(2):
            axes[row][col].set_yscale("log")
            axes[row][col].set_xlabel("training step")
    axes[0][0].set_ylabel("gradient norm (per layer)")
    axes[1][0].set_ylabel("weight norm (per layer)")
    axes[0][-1].legend(fontsize=7, title="layer", ncols=2)
    fig.tight_layout()
    return fig


# --- E4 penalties ------------------------------------------------------------------------
PENALTY_STYLES = {
    "sgd": ("SGD", "#000000", "-"),
    "sgd_l2": ("SGD + L2 in loss", "#0072B2", "-"),
    "sgd_weight_decay": ("SGD weight_decay", "#56B4E9", "--"),
    "sgd_l1": ("SGD + L1 in loss", "#009E73", "-"),
    "adam": ("Adam", "#7f7f7f", "-"),
    "adam_l2": ("Adam + L2 in loss", "#D55E00", "-"),
    "adam_weight_decay": ("Adam weight_decay", "#E69F00", "--"),
    "adamw": ("AdamW", "#CC79A7", ":"),
}


def penalties_equivalence(curves: pd.DataFrame, equivalence: pd.DataFrame) -> Figure:
    data = curves[(curves["experiment"] == "penalties") & (curves["metric"] == "weight_norm")]
    dataset = _datasets(data)[0]
    data = data[data["dataset"] == dataset]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.2, 1]})
    for variant, (label, color, style) in PENALTY_STYLES.items():
        c = data[data["variant"] == variant].sort_values("epoch")
        if len(c):
            axes[0].plot(c["epoch"], c["mean"], style, color=color, label=label, lw=1.4)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("weight norm (all layers)")
    axes[0].set_title(_label(dataset))
    axes[0].legend(fontsize=7, ncols=2)
    eq = equivalence[equivalence["dataset"] == dataset]
    pairs = list(dict.fromkeys(zip(eq["variant_a"], eq["variant_b"], strict=True)))
    for y, (a, b) in enumerate(pairs):
        d = eq[(eq["variant_a"] == a) & (eq["variant_b"] == b)]
        axes[1].scatter(np.maximum(d["relative_diff"], 1e-12), np.full(len(d), y), color="#0072B2")
    axes[1].set_yticks(
        range(len(pairs)),
        [f"{PENALTY_STYLES[a][0]}\nvs {PENALTY_STYLES[b][0]}" for a, b in pairs],
        fontsize=8,
    )
    axes[1].set_xscale("log")
    axes[1].set_xlabel("||a - b|| / ||a|| of the final weights (one dot per seed)")
    axes[1].invert_yaxis()
    fig.tight_layout()
    return fig


def penalties_l1_histogram(histogram: pd.DataFrame) -> Figure:
    datasets = _datasets(histogram)
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.0 * len(datasets), 3.4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        d = histogram[histogram["dataset"] == dataset]
        for variant in dict.fromkeys(d["variant"]):
            h = d[d["variant"] == variant].sort_values("bin_low")
            label, color, _ = PENALTY_STYLES.get(variant, (variant, None, "-"))
            share = h["count"] / h["n_weights"]
            ax.stairs(
                share,
                np.r_[h["bin_low"].to_numpy(), h["bin_high"].iloc[-1]],
                color=color,
                lw=1.6,
                label=label,
            )
        ax.set_xscale("log")
        ax.set_xlabel("|weight| of the first layer")
        ax.set_ylabel("share of weights")
        ax.set_title(_label(dataset))
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- E5 comparison ------------------------------------------------------------------------
def comparison(table: pd.DataFrame) -> Figure:
    """Paired differences against the baseline row, on the test split, with zero marked.

    Differences, not levels: a shared axis through zero shows how large each
    change is next to its interval, where a truncated accuracy axis would
    magnify a difference of one or two test examples.
    """
    datasets = _datasets(table)
    regularizers = list(dict.fromkeys(table["regularizer"]))[1:]
    baseline = str(table["regularizer"].iloc[0]).replace("_", " ")
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 0.45 * len(regularizers) + 1.8), sharey=True)
    offsets = np.linspace(-0.15, 0.15, len(datasets))
    colors = ["#0072B2", "#D55E00", "#009E73"]
    for i, (offset, dataset) in enumerate(zip(offsets, datasets, strict=True)):
        d = table[table["dataset"] == dataset].set_index("regularizer").loc[regularizers]
        y = np.arange(len(regularizers)) + offset
        for ax, metric, scale in zip(axes, ("acc", "gap"), (100.0, 1.0), strict=True):
            mean = scale * d[f"{metric}_diff_mean"].to_numpy(dtype=float)
            low = np.nan_to_num(mean - scale * d[f"{metric}_diff_low"].to_numpy(dtype=float))
            high = np.nan_to_num(scale * d[f"{metric}_diff_high"].to_numpy(dtype=float) - mean)
            ax.errorbar(
                mean,
                y,
                xerr=[low, high],
                fmt="o",
                capsize=3,
                color=colors[i % 3],
                label=_label(dataset),
            )
    for ax in axes:
        ax.axvline(0, color="gray", lw=1)
    axes[0].set_yticks(range(len(regularizers)), [r.replace("_", " ") for r in regularizers])
    axes[0].invert_yaxis()
    axes[0].set_xlabel(f"test accuracy minus {baseline} (percentage points)")
    axes[1].set_xlabel(f"test gap minus {baseline}'s (test - training loss)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def penalty_strength(summary: pd.DataFrame, test_rows: pd.DataFrame) -> Figure:
    """E5 sweep: paired test-accuracy and gap differences against no regularization
    for each L1 and L2 strength, on a log strength axis, with zero marked."""
    table = penalty_strength_table(summary, test_rows)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    colors = {"l1": "#009E73", "l2": "#0072B2"}
    markers = ["o", "s", "^"]
    for i, (dataset, d) in enumerate(table.groupby("dataset") if len(table) else []):
        for penalty, g in d.groupby("penalty"):
            for ax, metric, scale in zip(axes, ("acc", "gap"), (100.0, 1.0), strict=True):
                mean = scale * g[f"{metric}_diff_mean"].to_numpy(dtype=float)
                ax.errorbar(
                    g["strength"],
                    mean,
                    yerr=[
                        np.nan_to_num(mean - scale * g[f"{metric}_diff_low"].to_numpy(dtype=float)),
                        np.nan_to_num(
                            scale * g[f"{metric}_diff_high"].to_numpy(dtype=float) - mean
                        ),
                    ],
                    fmt=markers[i % 3] + "-",
                    capsize=3,
                    color=colors[penalty],
                    label=f"{penalty.upper()}, {_label(dataset)}",
                )
    for ax in axes:
        ax.axhline(0, color="gray", lw=1)
        ax.set_xscale("log")
        ax.set_xlabel("penalty strength (lambda of the loss term)")
    axes[0].set_ylabel("test accuracy minus none (points)")
    axes[1].set_ylabel("test gap minus none's")
    if len(table):
        axes[1].legend(fontsize=7)
    else:
        axes[0].text(
            0.5, 0.5, "no strength sweep in this profile", ha="center", transform=axes[0].transAxes
        )
    fig.tight_layout()
    return fig


FIGURES: dict[str, Callable[..., Figure]] = {
    "fig-dropout-curves": dropout_curves,
    "fig-dropout-gap": dropout_gap,
    "fig-dropout-mc": dropout_mc,
    "fig-dropout-sparsity": dropout_sparsity,
    "fig-batchnorm-accuracy": batchnorm_accuracy,
    "fig-batchnorm-percentiles": batchnorm_percentiles,
    "fig-batchnorm-lr-sweep": batchnorm_lr_sweep,
    "fig-batchnorm-batch-size": batchnorm_batch_size,
    "fig-norms-training": norms_training,
    "fig-penalties-equivalence": penalties_equivalence,
    "fig-penalties-l1-histogram": penalties_l1_histogram,
    "fig-comparison": comparison,
    "fig-penalty-strength": penalty_strength,
}
