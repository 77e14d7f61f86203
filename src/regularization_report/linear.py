"""Penalized linear models with scikit-learn: the course reproductions and helpers.

Objectives (scikit-learn's conventions, which matter when comparing numbers):

* Lasso:      (1 / (2 n)) ||y - Xw||^2 + alpha ||w||_1
* Ridge:      ||y - Xw||^2 + alpha ||w||^2          (no 1/n factor)
* ElasticNet: (1 / (2 n)) ||y - Xw||^2 + alpha l1_ratio ||w||_1
              + (alpha (1 - l1_ratio) / 2) ||w||^2
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

log = logging.getLogger(__name__)

FEATURE_SCALINGS = ("raw", "standardized")
# Coefficients at or below this magnitude count as zero in n_nonzero. Lasso's
# coordinate descent gives exact zeros; the tolerance only guards float noise.
ZERO_TOL = 1e-12


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    mse = mean_squared_error(y_true, y_pred)
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
    }


def count_nonzero(coef: np.ndarray, tol: float = ZERO_TOL) -> int:
    return int(np.sum(np.abs(coef) > tol))


def make_model(name: str, alpha: float | None, max_iter: int | None, features: str) -> Pipeline:
    """One of the course's models, optionally behind a StandardScaler."""
    if features not in FEATURE_SCALINGS:
        raise ValueError(f"features must be one of {FEATURE_SCALINGS}, got {features!r}")
    estimator: RegressorMixin
    if name == "linear_regression":
        estimator = LinearRegression()
    elif name == "lasso":
        estimator = Lasso(alpha=alpha, max_iter=max_iter if max_iter is not None else 1000)
    elif name == "ridge":
        estimator = Ridge(alpha=alpha, max_iter=max_iter)
    else:
        raise ValueError(f"unknown model {name!r}; choose linear_regression, lasso or ridge")
    steps = [StandardScaler()] if features == "standardized" else []
    return make_pipeline(*steps, estimator)


def wine_course(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    alpha: float,
    short_max_iter: int,
    test_size: float,
    random_state: int,
    feature_scalings: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reproduce the course's wine experiment (C1) and its standardized twin (C2).

    The class label (0, 1, 2) is the regression target, as in the course. For
    each feature scaling: LinearRegression, Lasso(alpha) and Ridge(alpha) with
    default iterations, then Lasso and Ridge with ``max_iter=short_max_iter``.

    Returns ``(metrics, coefficients)`` in the contract's long format.
    """
    X_train, X_test, y_train, y_test = train_test_split(
        X, y.astype(float), test_size=test_size, random_state=random_state
    )
    runs = [("linear_regression", None, None)]
    runs += [("lasso", alpha, None), ("ridge", alpha, None)]
    runs += [("lasso", alpha, short_max_iter), ("ridge", alpha, short_max_iter)]
    metric_rows, coef_rows = [], []
    for features in feature_scalings:
        for name, run_alpha, max_iter in runs:
            model = make_model(name, run_alpha, max_iter, features)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                model.fit(X_train, y_train)
            for w in caught:
                if issubclass(w.category, ConvergenceWarning):
                    log.info(f"{name} max_iter={max_iter} ({features}): did not converge")
            estimator = model[-1]
            used_max_iter = getattr(estimator, "max_iter", None)
            coef = np.asarray(estimator.coef_, dtype=float).ravel()
            key = {
                "model": name,
                "alpha": run_alpha,
                "max_iter": used_max_iter,
                "features": features,
            }
            metric_rows.append(
                {
                    **key,
                    **regression_metrics(y_test, model.predict(X_test)),
                    "n_nonzero": count_nonzero(coef),
                }
            )
            coef_rows += [
                {**key, "feature": feature, "coef": value}
                for feature, value in zip(X.columns, coef, strict=True)
            ]
    metrics = pd.DataFrame(metric_rows).astype({"max_iter": "Int64"})
    coefficients = pd.DataFrame(coef_rows).astype({"max_iter": "Int64"})
    return metrics, coefficients


def wine_course_values(
    metrics: pd.DataFrame, coefficients: pd.DataFrame, *, short_max_iter: int
) -> dict:
    """The numbers the report quotes from the wine experiment, keyed by scaling and run.

    Runs are named ``linear_regression``, ``lasso``, ``ridge`` and, for the
    short runs, ``lasso_max_iter_<k>`` and ``ridge_max_iter_<k>``.
    """
    n_features = int(coefficients["feature"].nunique())
    values: dict = {"n_features": n_features, "short_max_iter": short_max_iter}
    for features, group in metrics.groupby("features", sort=True):
        entry = {}
        for row in group.itertuples():
            short = not pd.isna(row.max_iter) and row.max_iter == short_max_iter
            label = f"{row.model}_max_iter_{short_max_iter}" if short else row.model
            entry[label] = {
                "alpha": None if pd.isna(row.alpha) else float(row.alpha),
                "mae": float(row.mae),
                "mse": float(row.mse),
                "rmse": float(row.rmse),
                "n_nonzero": int(row.n_nonzero),
                "n_zero": n_features - int(row.n_nonzero),
            }
        values[str(features)] = entry
    return values
