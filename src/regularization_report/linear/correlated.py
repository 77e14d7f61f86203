"""Experiment C6: correlated features. Lasso picks one, Ridge shares, ElasticNet groups.

The data are constructed so the truth is known: a hidden signal z drives the
target, y = signal_coef * z + noise, and ``group_size`` features are noisy
copies of z (x_j = z + within_group_noise * e_j, pairwise correlation
1 / (1 + within_group_noise^2)). ``n_noise_features`` more features are
independent of everything. No single group feature is "the" cause: any mix
of them predicts equally well, so the penalty decides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet, Lasso, Ridge

from regularization_report.linear.penalties import ZERO_TOL, ridge_alpha
from regularization_report.linear.regularization_paths import penalty_paths, standardize


def correlated_design(
    *,
    n_samples: int,
    group_size: int,
    n_noise_features: int,
    within_group_noise: float,
    signal_coef: float,
    noise: float,
    seed: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``(X, y)``: features ``group_1..k`` (copies of z) then ``noise_1..m``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n_samples)
    group = z[:, None] + within_group_noise * rng.standard_normal((n_samples, group_size))
    other = rng.standard_normal((n_samples, n_noise_features))
    y = signal_coef * z + noise * rng.standard_normal(n_samples)
    columns = [f"group_{i + 1}" for i in range(group_size)]
    columns += [f"noise_{i + 1}" for i in range(n_noise_features)]
    return pd.DataFrame(np.hstack([group, other]), columns=columns), y


def _fit(model: str, X: np.ndarray, y: np.ndarray, alpha: float, l1_ratio: float) -> np.ndarray:
    if model == "lasso":
        estimator = Lasso(alpha=alpha, tol=1e-10, max_iter=100_000)
    elif model == "elastic_net":
        estimator = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10, max_iter=100_000)
    elif model == "ridge":
        estimator = Ridge(alpha=ridge_alpha(alpha, len(y)))
    else:
        raise ValueError(f"unknown model {model!r}")
    return estimator.fit(X, y).coef_


def correlated_features(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    alphas: np.ndarray,
    alpha: float,
    l1_ratio: float,
    n_resamples: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paths over ``alphas`` and, at ``alpha``, coefficients and selection frequency.

    Returns ``(paths, coefficients)``; ``coefficients`` has ``model, feature,
    coef, selected_share`` where ``selected_share`` is the share of
    ``n_resamples`` bootstrap resamples in which the feature's coefficient
    is nonzero: Lasso's pick within the group changes from resample to
    resample, ElasticNet keeps the whole group.
    """
    features = list(X.columns)
    Xs = standardize(X.to_numpy())
    paths = penalty_paths(Xs, y, features, alphas=alphas, l1_ratio=l1_ratio)
    rng = np.random.default_rng(seed)
    rows = []
    resamples = [rng.integers(0, len(y), len(y)) for _ in range(n_resamples)]
    for model in ("lasso", "elastic_net", "ridge"):
        coef = _fit(model, Xs, y, alpha, l1_ratio)
        counts = np.zeros(len(features))
        for idx in resamples:
            boot = _fit(model, standardize(X.to_numpy()[idx]), y[idx], alpha, l1_ratio)
            counts += np.abs(boot) > ZERO_TOL
        rows += [
            {"model": model, "feature": f, "coef": float(c), "selected_share": float(s)}
            for f, c, s in zip(features, coef, counts / n_resamples, strict=True)
        ]
    return paths, pd.DataFrame(rows)


def correlated_values(X: pd.DataFrame, coefficients: pd.DataFrame, **settings) -> dict:
    group = [c for c in X.columns if c.startswith("group_")]
    corr = np.corrcoef(X[group].to_numpy(), rowvar=False)
    off_diagonal = corr[~np.eye(len(group), dtype=bool)]
    values: dict = {
        **settings,
        "group_features": group,
        "mean_within_group_correlation": float(off_diagonal.mean()),
    }
    for model, rows in coefficients.groupby("model"):
        in_group = rows[rows["feature"].isin(group)]
        values[str(model)] = {
            "n_group_nonzero": int((in_group["coef"].abs() > ZERO_TOL).sum()),
            "n_noise_nonzero": int(
                (rows.loc[~rows["feature"].isin(group), "coef"].abs() > ZERO_TOL).sum()
            ),
            "group_coef_sum": float(in_group["coef"].sum()),
            "group_coef_min": float(in_group["coef"].min()),
            "group_coef_max": float(in_group["coef"].max()),
            "group_selected_share_min": float(in_group["selected_share"].min()),
            "group_selected_share_max": float(in_group["selected_share"].max()),
            # the expected number of group features kept in a resample: the sum of the shares
            "group_expected_kept": float(in_group["selected_share"].sum()),
            "group_kept": in_group.loc[in_group["coef"].abs() > ZERO_TOL, "feature"].tolist(),
        }
    return values
