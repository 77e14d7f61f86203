"""Experiment B: normalization is not regularization (iris, the course's setting).

The course fits sepal length on petal length for the virginica rows of iris,
rescales the feature with min-max and z-score, and fits LinearRegression,
Lasso and Ridge. Rescaling never changes what least squares predicts; it does
change how hard a fixed penalty alpha bites, because the penalty is charged on
the coefficient and the coefficient's size depends on the feature's units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import Lasso, LinearRegression, Ridge

from regularization_report.linear.penalties import lasso_alpha_max

# raw: the measurement in cm; min_max: (x - min) / (max - min) in [0, 1];
# z_score: (x - mean) / sd with the population sd (StandardScaler's).
SCALINGS = ("raw", "min_max", "z_score")
MODELS = ("linear_regression", "lasso", "ridge")

# The two ideas side by side (the study note's 6.1 contrast, made explicit).
CONCEPTS = [
    {
        "aspect": "What it changes",
        "normalization": "the data: each feature's location and scale",
        "regularization": "the objective: a penalty on the size of the weights",
    },
    {
        "aspect": "When it acts",
        "normalization": "before training (fit on the training data, applied to all data)",
        "regularization": "during training, in every gradient or coordinate step",
    },
    {
        "aspect": "Purpose",
        "normalization": "features on one scale: stable, faster optimization",
        "regularization": "less overfitting: simpler weights that generalize",
    },
    {
        "aspect": "Effect on least squares",
        "normalization": "none on predictions: the slope rescales, the fitted line stays",
        "regularization": "shrinks weights toward 0 (L2) or sets some exactly to 0 (L1)",
    },
    {
        "aspect": "Knob",
        "normalization": "which scaler (min-max, z-score)",
        "regularization": "the strength alpha (and the L1 share in ElasticNet)",
    },
    {
        "aspect": "How they interact",
        "normalization": "sets the units in which the penalty is measured",
        "regularization": "its effect at a fixed alpha depends on those units",
    },
]


def scale_feature(x: np.ndarray, scaling: str) -> tuple[np.ndarray, float, float]:
    """``(x_scaled, shift, scale)`` with ``x_scaled = (x - shift) / scale``."""
    x = np.asarray(x, dtype=float)
    if scaling == "raw":
        shift, scale = 0.0, 1.0
    elif scaling == "min_max":
        shift, scale = float(x.min()), float(x.max() - x.min())
    elif scaling == "z_score":
        shift, scale = float(x.mean()), float(x.std())
    else:
        raise ValueError(f"unknown scaling {scaling!r}; choose from {SCALINGS}")
    return (x - shift) / scale, shift, scale


def _model(name: str, alpha: float):
    if name == "linear_regression":
        return LinearRegression()
    if name == "lasso":
        return Lasso(alpha=alpha)
    if name == "ridge":
        return Ridge(alpha=alpha)
    raise ValueError(f"unknown model {name!r}; choose from {MODELS}")


def iris_normalization(
    frame: pd.DataFrame,
    *,
    species: int,
    feature: str,
    target: str,
    alpha: float,
    feature_scalings: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scatter points and fitted lines for each feature scaling.

    Returns ``(points, fits)``: ``points`` has one row per flower and scaling
    (``scaling, x, y``); ``fits`` one row per scaling and model with the slope
    in the scaled units, the slope converted back to target units per cm
    (``slope / scale``), the intercept, the training MSE and the Lasso
    threshold ``lasso_alpha_max`` above which Lasso's slope is exactly zero.
    """
    for column in (feature, target, "target"):
        if column not in frame.columns:
            raise ValueError(f"column {column!r} not in the iris table; columns: {list(frame)}")
    rows = frame[frame["target"] == species]
    if rows.empty:
        raise ValueError(f"no iris rows with target == {species}")
    x_raw = rows[feature].to_numpy(dtype=float)
    y = rows[target].to_numpy(dtype=float)
    points, fits = [], []
    for scaling in feature_scalings:
        x, _, scale = scale_feature(x_raw, scaling)
        points.append(pd.DataFrame({"scaling": scaling, "x": x, "y": y}))
        threshold = lasso_alpha_max(x[:, None], y)
        for name in MODELS:
            model = _model(name, alpha).fit(x[:, None], y)
            slope = float(model.coef_[0])
            residual = y - model.predict(x[:, None])
            fits.append(
                {
                    "scaling": scaling,
                    "model": name,
                    "alpha": None if name == "linear_regression" else alpha,
                    "slope": slope,
                    "intercept": float(model.intercept_),
                    "slope_per_cm": slope / scale,
                    "train_mse": float(residual @ residual / len(y)),
                    "feature_scale": scale,
                    "lasso_alpha_max": threshold,
                }
            )
    return pd.concat(points, ignore_index=True), pd.DataFrame(fits)


def iris_normalization_values(fits: pd.DataFrame, *, n_rows: int, alpha: float) -> dict:
    """The numbers the normalization chapter quotes, keyed by scaling and model."""
    values: dict = {"n_rows": n_rows, "alpha": alpha}
    for scaling, group in fits.groupby("scaling", sort=False):
        by_model = group.set_index("model")
        ols = float(by_model.loc["linear_regression", "slope"])
        values[str(scaling)] = {
            "lasso_alpha_max": float(group["lasso_alpha_max"].iloc[0]),
            "feature_scale": float(group["feature_scale"].iloc[0]),
            "ridge_shrinkage": float(by_model.loc["ridge", "slope"]) / ols,
            **{
                str(model): {
                    "slope": float(row["slope"]),
                    "slope_per_cm": float(row["slope_per_cm"]),
                    "intercept": float(row["intercept"]),
                    "train_mse": float(row["train_mse"]),
                }
                for model, row in by_model.iterrows()
            },
        }
    slopes = fits[fits["model"] == "linear_regression"]["slope_per_cm"]
    values["ols_slope_per_cm_spread"] = float(slopes.max() - slopes.min())
    values["lasso_all_zero"] = bool((fits[fits["model"] == "lasso"]["slope"] == 0).all())
    return values
