"""Figures of the linear-model experiments (matplotlib, static).

Every function takes the tidy tables a compute job wrote and returns a
matplotlib Figure; nothing here fits a model. scikit-learn is not imported,
so plotting jobs stay light.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regularization_report.linear.penalties import ZERO_TOL

MODEL_LABELS = {
    "linear_regression": "LinearRegression",
    "lasso": "Lasso (L1)",
    "elastic_net": "ElasticNet",
    "ridge": "Ridge (L2)",
}
MODEL_COLORS = {
    "linear_regression": "#0072B2",
    "lasso": "#D55E00",
    "elastic_net": "#CC79A7",
    "ridge": "#009E73",
}
SCALING_LABELS = {
    "raw": "raw",
    "min_max": "min-max scaled",
    "z_score": "z-score",
    "standardized": "standardized",
}
FEATURE_COLORS = plt.get_cmap("tab10").colors


def _feature_colors(features: list[str]) -> dict[str, tuple]:
    return {f: FEATURE_COLORS[i % len(FEATURE_COLORS)] for i, f in enumerate(features)}


# --- C1/C2 ------------------------------------------------------------------------------


def wine_coefficients(coefficients: pd.DataFrame) -> Figure:
    """Coefficients per model (columns) and feature scaling (rows) on the wine data.

    Exact zeros are drawn as open circles on the zero line so that the
    sparsity of Lasso is visible next to the dense LinearRegression and Ridge.
    Only the converged runs (default ``max_iter``) are shown.
    """
    converged = coefficients[
        coefficients["max_iter"].isna()
        | (coefficients["max_iter"] == coefficients["max_iter"].max())
    ]
    scalings = list(dict.fromkeys(converged["features"]))
    models = [m for m in ("linear_regression", "lasso", "ridge") if m in set(converged["model"])]
    feature_order = list(dict.fromkeys(converged["feature"]))
    fig, axes = plt.subplots(
        len(scalings),
        len(models),
        figsize=(3.0 * len(models) + 1.8, 3.9 * len(scalings)),
        sharey=True,
        squeeze=False,
    )
    y = np.arange(len(feature_order))
    for row, scaling in enumerate(scalings):
        for ax, model in zip(axes[row], models, strict=True):
            rows = converged[(converged["features"] == scaling) & (converged["model"] == model)]
            coef = rows.set_index("feature").loc[feature_order, "coef"].to_numpy()
            zero = np.abs(coef) <= ZERO_TOL
            ax.barh(y[~zero], coef[~zero], color=MODEL_COLORS[model], height=0.7)
            ax.scatter(
                np.zeros(zero.sum()),
                y[zero],
                facecolors="white",
                edgecolors="black",
                zorder=3,
                s=28,
                label="exactly 0",
            )
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_title(
                f"{MODEL_LABELS[model]}, {SCALING_LABELS.get(scaling, scaling)}\n"
                f"{int((~zero).sum())} of {len(zero)} nonzero"
            )
            if row == len(scalings) - 1:
                ax.set_xlabel("coefficient")
            if zero.any():
                ax.legend(loc="lower right", fontsize=8)
        axes[row, 0].set_yticks(y, feature_order)
    axes[0, 0].invert_yaxis()
    fig.suptitle("Wine: the class label regressed on 13 measurements")
    fig.tight_layout()
    return fig


# --- B ----------------------------------------------------------------------------------


def iris_scaling(points: pd.DataFrame, fits: pd.DataFrame, *, feature: str, target: str) -> Figure:
    """One panel per feature scaling: the virginica scatter and the three fitted lines."""
    scalings = list(dict.fromkeys(points["scaling"]))
    fig, axes = plt.subplots(1, len(scalings), figsize=(4.0 * len(scalings), 3.8), sharey=True)
    axes = np.atleast_1d(axes)
    styles = {"linear_regression": "-", "lasso": "--", "ridge": ":"}
    for ax, scaling in zip(axes, scalings, strict=True):
        pts = points[points["scaling"] == scaling]
        ax.scatter(pts["x"], pts["y"], s=16, color="0.45", alpha=0.7, label="virginica flowers")
        grid = np.linspace(pts["x"].min(), pts["x"].max(), 50)
        for fit in fits[fits["scaling"] == scaling].itertuples():
            label = MODEL_LABELS[fit.model]
            if fit.model != "linear_regression":
                label += f" (alpha {fit.alpha:g}): slope {fit.slope:.3g}"
            else:
                label += f": slope {fit.slope:.3g}"
            ax.plot(
                grid,
                fit.intercept + fit.slope * grid,
                styles[fit.model],
                color=MODEL_COLORS[fit.model],
                linewidth=2,
                label=label,
            )
        ax.set_title(SCALING_LABELS[scaling] + (" (cm)" if scaling == "raw" else ""))
        ax.set_xlabel(feature if scaling == "raw" else f"{feature}, {SCALING_LABELS[scaling]}")
        ax.legend(fontsize=7.5, loc="upper left")
    axes[0].set_ylabel(target)
    fig.tight_layout()
    return fig


# --- C3 ---------------------------------------------------------------------------------


def regularization_paths(
    lasso_path: pd.DataFrame, entry_order: pd.DataFrame, paths: pd.DataFrame
) -> Figure:
    """Diabetes: the exact Lasso path, then ElasticNet and Ridge on the shared alpha grid.

    The exact path is drawn through its breakpoints (dots), linear in alpha
    between them; the log axis starts at the grid's smallest alpha. Numbers
    on the Lasso panel give the order in which features enter.
    """
    features = list(dict.fromkeys(lasso_path["feature"]))
    colors = _feature_colors(features)
    alpha_lo = paths["alpha"].min()
    alpha_hi = paths["alpha"].max()
    fig, axes = plt.subplots(1, 4, figsize=(17.5, 4.6), sharey=True)
    wide = lasso_path.pivot(index="alpha", columns="feature", values="coef").sort_index()
    breaks = wide.index.to_numpy()
    dense = np.unique(np.concatenate([np.geomspace(alpha_lo, alpha_hi, 400), breaks[breaks > 0]]))
    ax = axes[0]
    for f in features:
        coef = np.interp(dense, breaks, wide[f].to_numpy(), right=0.0)
        ax.plot(dense, coef, color=colors[f], linewidth=1.6, label=f)
        on_axis = breaks[breaks >= alpha_lo]
        ax.plot(on_axis, wide.loc[on_axis, f], "o", color=colors[f], markersize=2.5)
    for event in entry_order[entry_order["action"] == "enter"].itertuples():
        if event.alpha >= alpha_lo:
            ax.annotate(
                str(event.step),
                (event.alpha, 0),
                textcoords="offset points",
                xytext=(0, 6 if event.step % 2 else -12),
                ha="center",
                fontsize=7,
                color=colors[event.feature],
            )
    ax.set_title("Lasso: exact path (LARS), entry steps")
    for ax, model in zip(axes[1:3], ("elastic_net", "ridge"), strict=True):
        rows = paths[paths["model"] == model]
        for f in features:
            r = rows[rows["feature"] == f].sort_values("alpha")
            ax.plot(r["alpha"], r["coef"], color=colors[f], linewidth=1.6)
        ax.set_title(MODEL_LABELS[model])
    # The Lasso path against its L1-norm fraction (Efron et al. 2004, ESL Fig. 3.10):
    # on this linear axis the segments between breakpoints are straight lines.
    l1 = wide.abs().sum(axis=1)
    fraction = (l1 / l1.max()).to_numpy()
    order = np.argsort(fraction)
    ax = axes[3]
    for f in features:
        ax.plot(fraction[order], wide[f].to_numpy()[order], "o-", color=colors[f], lw=1.4, ms=2.5)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("L1-norm fraction |w|_1 / max |w|_1 (linear)")
    ax.set_title("Lasso: exact path, L1-norm axis")
    for ax in axes[:3]:
        ax.set_xscale("log")
        ax.set_xlim(alpha_hi, alpha_lo)  # strong penalty on the left, as the path unfolds
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlabel("alpha (Lasso convention, log scale)")
    axes[0].set_ylabel("coefficient (standardized features)")
    axes[0].legend(fontsize=7, ncol=2, loc="lower left")
    fig.tight_layout()
    return fig


def alpha_selection(cv: pd.DataFrame, split_summary: pd.DataFrame, choice: dict) -> Figure:
    """Left: K-fold CV error with the minimum and the one-standard-error choice.
    Right: train and test error over repeated splits (mean, 10-90 percentile band)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    cv = cv.sort_values("alpha")
    left.plot(cv["alpha"], cv["mse_mean"], color=MODEL_COLORS["lasso"], label="mean over folds")
    left.fill_between(
        cv["alpha"],
        cv["mse_mean"] - cv["mse_se"],
        cv["mse_mean"] + cv["mse_se"],
        color=MODEL_COLORS["lasso"],
        alpha=0.2,
        label="± one standard error",
    )
    left.axvline(choice["alpha_min"], color="black", linestyle="--", label="minimum")
    left.axvline(choice["alpha_1se"], color="black", linestyle=":", label="one-standard-error rule")
    left.axhline(
        choice["mse_limit"], color="0.5", linewidth=0.8, label="minimum + one standard error"
    )
    left.set_title(f"Lasso, {choice['n_folds']}-fold cross-validation")
    left.set_ylabel("validation MSE")
    s = split_summary.sort_values("alpha")
    for split, color in (("train", "#0072B2"), ("test", MODEL_COLORS["lasso"])):
        right.plot(s["alpha"], s[f"{split}_mean"], color=color, label=f"{split}, mean")
        right.fill_between(
            s["alpha"],
            s[f"{split}_p10"],
            s[f"{split}_p90"],
            color=color,
            alpha=0.2,
            label=f"{split}, 10-90th percentile",
        )
    right.set_title(f"Lasso, {choice['n_repeats']} random train/test splits")
    right.set_ylabel("MSE")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("alpha (log scale)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- C4 ---------------------------------------------------------------------------------


def sparsity_vs_alpha(tables: dict[str, pd.DataFrame]) -> Figure:
    """Nonzero coefficients against alpha, one panel per dataset."""
    fig, axes = plt.subplots(1, len(tables), figsize=(5.2 * len(tables), 3.9), squeeze=False)
    for ax, (dataset, table) in zip(axes[0], tables.items(), strict=True):
        n_features = int(table["n_features"].iloc[0])
        for model in ("ridge", "elastic_net", "lasso"):
            rows = table[table["model"] == model].sort_values("alpha")
            ax.step(
                rows["alpha"],
                rows["n_nonzero"],
                where="mid",
                color=MODEL_COLORS[model],
                linewidth=2,
                label=MODEL_LABELS[model],
            )
        ax.set_xscale("log")
        ax.set_ylim(-0.5, n_features + 0.5)
        ax.set_title(f"{dataset} ({n_features} features)")
        ax.set_xlabel("alpha (Lasso convention, log scale)")
        ax.set_ylabel("nonzero coefficients")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- C5 ---------------------------------------------------------------------------------


def constraint_geometry(grid: pd.DataFrame, optima: pd.DataFrame, features: list[str]) -> Figure:
    """Loss contours with the L1 diamond and the L2 disc at several budgets, and the optima."""
    w1 = np.sort(grid["w1"].unique())
    w2 = np.sort(grid["w2"].unique())
    loss = grid.pivot(index="w2", columns="w1", values="loss").loc[w2, w1].to_numpy()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 5.0))
    w_ls = None
    for ax, norm in zip(axes, ("l1", "l2"), strict=True):
        rows = optima[optima["norm"] == norm].sort_values("budget")
        # the contour through each optimum: the smallest loss the ball can reach
        levels = np.unique(rows["loss"].to_numpy())
        ax.contourf(w1, w2, loss, levels=25, cmap="Greys_r", alpha=0.3)
        ax.contour(w1, w2, loss, levels=levels, colors="0.2", linewidths=1.0, linestyles="--")
        theta = np.linspace(0, 2 * np.pi, 400)
        for r in rows.itertuples():
            if norm == "l1":
                ball = r.budget * np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]])
                ax.plot(ball[:, 0], ball[:, 1], color=MODEL_COLORS["lasso"], linewidth=1.4)
            else:
                ax.plot(
                    r.budget * np.cos(theta),
                    r.budget * np.sin(theta),
                    color=MODEL_COLORS["ridge"],
                    linewidth=1.4,
                )
            ax.plot(r.w1, r.w2, "o", color="black", markersize=6, zorder=4)
            ax.annotate(
                f"{r.budget_fraction:g}",
                (r.w1, r.w2),
                textcoords="offset points",
                xytext=(5, 5),
                fontsize=8,
            )
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_aspect("equal")
        ax.set_xlabel(f"weight of {features[0]}")
        ax.set_ylabel(f"weight of {features[1]}")
        zeros = int((rows["n_zero"] > 0).sum())
        name = "L1 diamonds (Lasso)" if norm == "l1" else "L2 discs (Ridge)"
        ax.set_title(f"{name}: {zeros} of {len(rows)} optima have a zero weight", fontsize=10)
        if w_ls is None:
            w_ls = np.unravel_index(np.argmin(loss), loss.shape)
        ax.plot(w1[w_ls[1]], w2[w_ls[0]], "*", color="black", markersize=10, label="least squares")
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def lp_unit_balls(balls: pd.DataFrame) -> Figure:
    """The unit 'circles' ||w||_p = 1 for several p in one panel."""
    fig, ax = plt.subplots(figsize=(6.2, 5.0))
    ps = sorted(balls["p"].unique())
    cmap = plt.get_cmap("plasma")
    for i, p in enumerate(ps):
        rows = balls[balls["p"] == p]
        label = "p = ∞" if np.isinf(p) else f"p = {p:g}"
        color = cmap(0.85 * i / max(len(ps) - 1, 1))  # the palest end is hard to see
        ax.plot(rows["x"], rows["y"], color=color, linewidth=2, label=label)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_aspect("equal")
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title("Unit balls $\\|w\\|_p = 1$")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    return fig


# --- C6 ---------------------------------------------------------------------------------


def correlated_features(paths: pd.DataFrame, coefficients: pd.DataFrame, *, alpha: float) -> Figure:
    """Paths of the three models on the constructed data; group features in colour."""
    features = list(dict.fromkeys(paths["feature"]))
    group = [f for f in features if f.startswith("group_")]
    group_colors = dict(
        zip(group, ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"], strict=False)
    )
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharey=True)
    for ax, model in zip(axes, ("lasso", "elastic_net", "ridge"), strict=True):
        rows = paths[paths["model"] == model]
        for f in features:
            r = rows[rows["feature"] == f].sort_values("alpha")
            in_group = f in group_colors
            ax.plot(
                r["alpha"],
                r["coef"],
                color=group_colors.get(f, "0.6"),
                linewidth=2 if in_group else 1,
                linestyle="-" if in_group else "--",
                label=f,
            )
        ax.axvline(alpha, color="black", linestyle=":", linewidth=1)
        at = coefficients[coefficients["model"] == model]
        n_group = int((at[at["feature"].isin(group)]["coef"].abs() > ZERO_TOL).sum())
        ax.set_title(
            f"{MODEL_LABELS[model]}: {n_group} of {len(group)} group features at dotted alpha"
        )
        ax.set_xscale("log")
        ax.set_xlim(rows["alpha"].max(), rows["alpha"].min())
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlabel("alpha (Lasso convention, log scale)")
    axes[0].set_ylabel("coefficient (standardized features)")
    axes[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


# --- C7 ---------------------------------------------------------------------------------


def logistic_sparsity(metrics: pd.DataFrame) -> Figure:
    """Share of nonzero weights and test accuracy against C, per dataset and penalty."""
    datasets = list(dict.fromkeys(metrics["dataset"]))
    fig, axes = plt.subplots(len(datasets), 2, figsize=(10, 3.4 * len(datasets)), squeeze=False)
    colors = {"l1": MODEL_COLORS["lasso"], "l2": MODEL_COLORS["ridge"]}
    for row, dataset in enumerate(datasets):
        for penalty in ("l1", "l2"):
            rows = metrics[(metrics["dataset"] == dataset) & (metrics["penalty"] == penalty)]
            rows = rows.sort_values("C")
            label = penalty.upper()
            axes[row, 0].plot(
                rows["C"], rows["nonzero_share"], "o-", color=colors[penalty], label=label
            )
            axes[row, 1].plot(
                rows["C"],
                rows["test_accuracy"],
                "o-",
                color=colors[penalty],
                label=f"{label}, test",
            )
            axes[row, 1].plot(
                rows["C"],
                rows["train_accuracy"],
                "o:",
                color=colors[penalty],
                alpha=0.6,
                markersize=3,
                label=f"{label}, train",
            )
        axes[row, 0].set_ylabel(f"{dataset}\nshare of nonzero weights")
        axes[row, 0].set_ylim(-0.03, 1.03)
        axes[row, 1].set_ylabel("accuracy")
        for ax in axes[row]:
            ax.set_xscale("log")
            ax.legend(fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("C = 1 / penalty strength (log scale)")
    fig.tight_layout()
    return fig


def digits_coefficients(coefficients: pd.DataFrame, *, C: float) -> Figure:
    """The 8 x 8 weight image of each digit's one-vs-rest model, L1 above L2."""
    rows = coefficients[(coefficients["dataset"] == "digits")]
    c_values = np.sort(rows["C"].unique())
    chosen = c_values[np.argmin(np.abs(np.log(c_values) - np.log(C)))]
    rows = rows[rows["C"] == chosen]
    classes = sorted(rows["model_class"].unique())
    fig, axes = plt.subplots(2, len(classes), figsize=(1.25 * len(classes) + 0.8, 3.2))
    limit = rows["coef"].abs().max()
    image = None
    for r, penalty in enumerate(("l1", "l2")):
        for ax, cls in zip(axes[r], classes, strict=True):
            w = rows[(rows["penalty"] == penalty) & (rows["model_class"] == cls)]["coef"].to_numpy()
            image = ax.imshow(w.reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
            zero_share = np.mean(np.abs(w) <= ZERO_TOL)
            ax.set_title(f"{cls}: {zero_share:.0%} zero", fontsize=7)
        axes[r, 0].set_ylabel(penalty.upper(), fontsize=10)
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
    fig.suptitle(f"Digits, one-vs-rest logistic regression at C = {chosen:g}", fontsize=10)
    return fig


# --- C8 ---------------------------------------------------------------------------------


def torch_vs_sklearn(table: pd.DataFrame, history: pd.DataFrame) -> Figure:
    """Left: coefficients, scikit-learn against PyTorch. Right: relative objective gap by step."""
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [1.3, 1]}
    )
    features = table["feature"].tolist()
    y = np.arange(len(features))
    series = [
        ("sklearn_lasso", "scikit-learn Lasso", MODEL_COLORS["lasso"], "o", 70),
        ("torch_lasso_proximal", "PyTorch Lasso, proximal", "black", "x", 40),
        ("torch_lasso_subgradient", "PyTorch Lasso, subgradient", "#E69F00", "^", 25),
        ("sklearn_ridge", "scikit-learn Ridge", MODEL_COLORS["ridge"], "s", 60),
        ("torch_ridge", "PyTorch Ridge", "black", "+", 50),
    ]
    for column, label, color, marker, size in series:
        filled = marker in {"o", "s", "^"}
        left.scatter(
            table[column],
            y,
            s=size,
            marker=marker,
            label=label,
            facecolors="none" if filled else color,
            edgecolors=color if filled else None,
            linewidths=1.3,
            zorder=3,
        )
    left.axvline(0, color="black", linewidth=0.6)
    # Symmetric log: the subgradient's residual nonzeros (around 1e-3) stay visible
    # next to coefficients in the tens.
    left.set_xscale("symlog", linthresh=1e-4)
    left.set_yticks(y, features)
    left.invert_yaxis()
    left.set_xlabel("coefficient (standardized features; symmetric log, linear within ±1e-4)")
    left.legend(fontsize=7.5, loc="lower left")
    labels = {
        "lasso_subgradient": ("Lasso, subgradient", "#E69F00"),
        "lasso_proximal": ("Lasso, proximal", "black"),
        "ridge": ("Ridge", MODEL_COLORS["ridge"]),
    }
    floor = 1e-16
    for method, (label, color) in labels.items():
        rows = history[history["method"] == method]
        right.plot(rows["step"], np.maximum(rows["relative_gap"], floor), color=color, label=label)
    right.set_yscale("log")
    right.set_xlabel("gradient step")
    right.set_ylabel("relative distance to scikit-learn's optimum")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --- C9 (the static twin of the interactive explorer) -----------------------------------


def alpha_explorer_static(
    coefficients: pd.DataFrame, errors: pd.DataFrame, *, n_panels: int
) -> Figure:
    """Small multiples at ``n_panels`` alphas spread over the slider's grid."""
    alphas = np.sort(errors["alpha"].unique())[::-1]
    picks = alphas[np.unique(np.linspace(0, len(alphas) - 1, n_panels).round().astype(int))]
    features = list(dict.fromkeys(coefficients["feature"]))
    ncols = 3
    nrows = int(np.ceil(len(picks) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(12, 3.1 * nrows), sharey=True, squeeze=False)
    x = np.arange(len(features))
    low, high = coefficients["coef"].min(), coefficients["coef"].max()
    err = errors.set_index(["alpha", "model"])
    for ax, alpha in zip(axes.ravel(), picks, strict=False):
        for offset, model in ((-0.2, "lasso"), (0.2, "ridge")):
            rows = coefficients[(coefficients["model"] == model) & (coefficients["alpha"] == alpha)]
            coef = rows.set_index("feature").loc[features, "coef"].to_numpy()
            ax.bar(
                x + offset, coef, width=0.4, color=MODEL_COLORS[model], label=MODEL_LABELS[model]
            )
        lasso, ridge = err.loc[(alpha, "lasso")], err.loc[(alpha, "ridge")]
        ax.set_title(
            f"alpha = {alpha:.3g}: Lasso keeps {int(lasso['n_nonzero'])}\n"
            f"test MSE Lasso {lasso['test_mse']:.0f}, Ridge {ridge['test_mse']:.0f}",
            fontsize=9,
        )
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(x, features, rotation=60, fontsize=7)
        ax.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
    for ax in axes.ravel()[len(picks) :]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=8)
    for row in axes:
        row[0].set_ylabel("coefficient")
    fig.tight_layout()
    return fig
