"""Figures of the linear-model experiments (matplotlib, static)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .linear import ZERO_TOL

MODEL_LABELS = {
    "linear_regression": "LinearRegression",
    "lasso": "Lasso (L1)",
    "ridge": "Ridge (L2)",
}


def wine_coefficients(coefficients: pd.DataFrame, *, features: str = "raw") -> Figure:
    """Coefficients per model on the wine data, one panel per model.

    Exact zeros are drawn as open circles on the zero line so that the
    sparsity of Lasso is visible next to the dense LinearRegression and Ridge.
    Only the fully converged runs (default ``max_iter``) are shown.
    """
    data = coefficients[coefficients["features"] == features]
    data = data[data["max_iter"].isna() | (data["max_iter"] == data["max_iter"].max())]
    models = [m for m in MODEL_LABELS if m in set(data["model"])]
    feature_order = list(dict.fromkeys(data["feature"]))
    fig, axes = plt.subplots(1, len(models), figsize=(3.0 * len(models) + 1.5, 4.2), sharey=True)
    axes = np.atleast_1d(axes)
    y = np.arange(len(feature_order))
    for ax, model, color in zip(axes, models, ["#0072B2", "#D55E00", "#009E73"], strict=False):
        coef = data[data["model"] == model].set_index("feature").loc[feature_order, "coef"]
        zero = np.abs(coef.to_numpy()) <= ZERO_TOL
        ax.barh(y[~zero], coef.to_numpy()[~zero], color=color, height=0.7)
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
        ax.set_title(f"{MODEL_LABELS[model]}\n{int((~zero).sum())} of {len(zero)} nonzero")
        ax.set_xlabel("coefficient")
        if zero.any():
            ax.legend(loc="lower right", fontsize=8)
    axes[0].set_yticks(y, feature_order)
    axes[0].invert_yaxis()
    fig.suptitle(f"Wine, {features} features: the class label regressed on 13 measurements")
    fig.tight_layout()
    return fig
