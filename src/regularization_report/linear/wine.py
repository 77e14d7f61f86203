"""Penalized linear models with scikit-learn: the course's wine reproduction (C1/C2).

The objectives and their conventions (Lasso's 1/(2n), Ridge's none) are
documented in :mod:`regularization_report.linear.penalties`.
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

from regularization_report.linear.penalties import count_nonzero

log = logging.getLogger(__name__)

FEATURE_SCALINGS = ("raw", "standardized")


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    mse = mean_squared_error(y_true, y_pred)
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
    }


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


def wine_feature_scales(
    X: pd.DataFrame,
    y: pd.Series,
    coefficients: pd.DataFrame,
    *,
    test_size: float,
    random_state: int,
    short_max_iter: int,
) -> pd.DataFrame:
    """Why a feature's raw coefficient says little about its weight in the fit (C2).

    One row per feature: its standard deviation on the training split (as
    StandardScaler computes it), the converged raw and standardized
    coefficients of LinearRegression and Lasso, and the raw Lasso
    *contribution* |coef| x sd, the change in prediction for a one-sd change
    of the feature. For LinearRegression, raw coef x sd equals the
    standardized coefficient exactly; Lasso's penalty, which is charged on the
    raw coefficient, breaks that equality.
    """
    X_train, _, _, _ = train_test_split(
        X, y.astype(float), test_size=test_size, random_state=random_state
    )
    sd = X_train.std(ddof=0)
    max_iter = coefficients["max_iter"]
    converged = coefficients[max_iter.isna() | (max_iter != short_max_iter)]

    def coef(model: str, features: str) -> pd.Series:
        rows = converged[(converged["model"] == model) & (converged["features"] == features)]
        return rows.set_index("feature")["coef"].reindex(sd.index)

    table = pd.DataFrame(
        {
            "feature": sd.index,
            "sd": sd.to_numpy(),
            "ols_coef_raw": coef("linear_regression", "raw").to_numpy(),
            "lasso_coef_raw": coef("lasso", "raw").to_numpy(),
            "lasso_coef_standardized": coef("lasso", "standardized").to_numpy() + 0.0,
        }
    )
    table["lasso_contribution_raw"] = table["lasso_coef_raw"].abs() * table["sd"]
    return table.sort_values("sd", ascending=False, ignore_index=True)


def wine_scale_values(scales: pd.DataFrame) -> dict:
    """Numbers the C2 prose quotes about feature scales and which features Lasso keeps."""
    largest, second = scales.iloc[0], scales.iloc[1]
    contribution_rank = scales["lasso_contribution_raw"].rank(ascending=False, method="min")
    kept_raw = scales.loc[scales["lasso_coef_raw"].abs() > 0, "feature"]
    kept_std = scales.loc[scales["lasso_coef_standardized"].abs() > 0, "feature"]
    return {
        "largest_sd_feature": str(largest["feature"]),
        "largest_sd": float(largest["sd"]),
        "second_sd_feature": str(second["feature"]),
        "second_sd": float(second["sd"]),
        "smallest_sd_feature": str(scales.iloc[-1]["feature"]),
        "smallest_sd": float(scales.iloc[-1]["sd"]),
        "largest_lasso_coef_raw": float(largest["lasso_coef_raw"]),
        "largest_lasso_contribution_raw": float(largest["lasso_contribution_raw"]),
        "largest_contribution_rank": int(contribution_rank.iloc[0]),
        "lasso_kept_raw": sorted(map(str, kept_raw)),
        "lasso_kept_standardized": sorted(map(str, kept_std)),
        "lasso_kept_raw_only": sorted(set(map(str, kept_raw)) - set(map(str, kept_std))),
        "lasso_kept_standardized_only": sorted(set(map(str, kept_std)) - set(map(str, kept_raw))),
    }
