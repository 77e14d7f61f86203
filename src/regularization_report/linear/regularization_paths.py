"""Regularization paths (C3) and sparsity against alpha (C4).

Every path here is fitted on standardized features (population sd, as
StandardScaler), so that one alpha means the same thing for every feature.
Penalty strengths use the Lasso convention (see :mod:`.penalties`): Lasso,
ElasticNet and Ridge share one alpha axis, Ridge being fitted by scikit-learn
at ``alpha_ridge = n * alpha``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge, enet_path, lars_path
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import StandardScaler

from regularization_report.linear.penalties import (
    ZERO_TOL,
    count_nonzero,
    lasso_alpha_max,
    log_alpha_grid,
    ridge_alpha,
)

PATH_MODELS = ("lasso", "elastic_net", "ridge")


def standardize(X: np.ndarray) -> np.ndarray:
    return StandardScaler().fit_transform(np.asarray(X, dtype=float))


# --- the exact Lasso path ------------------------------------------------------


def exact_lasso_path(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All breakpoints of the Lasso path by LARS with the Lasso modification.

    Returns ``(alphas, coefs)`` with ``alphas`` decreasing from the all-zero
    threshold to 0 (least squares when n > p) and ``coefs`` of shape
    (n_features, n_breakpoints). Between breakpoints the path is linear in
    alpha, so these points describe it exactly (Efron et al. 2004).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    alphas, _, coefs = lars_path(Xc, yc, method="lasso")
    return alphas, coefs


def lasso_path_frame(alphas: np.ndarray, coefs: np.ndarray, features: list[str]) -> pd.DataFrame:
    """The contract's long format: ``alpha, feature, coef`` for every breakpoint."""
    return pd.DataFrame(
        {
            "alpha": np.repeat(alphas, len(features)),
            "feature": np.tile(features, len(alphas)),
            "coef": coefs.T.ravel() + 0.0,  # + 0.0 turns -0.0 into 0.0
        }
    )


def entry_order(alphas: np.ndarray, coefs: np.ndarray, features: list[str]) -> pd.DataFrame:
    """When each feature enters or leaves the Lasso path: ``step, feature, alpha, action``.

    A feature *enters* at breakpoint k when it is zero there and nonzero just
    below it; it *leaves* at breakpoint k when it was nonzero just above and is
    exactly zero there (LARS's Lasso modification drops it). Steps count
    events from the largest alpha down.
    """
    active = np.abs(coefs) > ZERO_TOL
    events = []
    for k in range(len(alphas) - 1):
        for j in np.flatnonzero(~active[:, k] & active[:, k + 1]):
            events.append((alphas[k], 0, features[j], "enter"))
    for k in range(1, len(alphas)):
        for j in np.flatnonzero(active[:, k - 1] & ~active[:, k]):
            events.append((alphas[k], 1, features[j], "leave"))
    events.sort(key=lambda e: (-e[0], e[1], e[2]))
    return pd.DataFrame(
        [
            {"step": step, "feature": feature, "alpha": alpha, "action": action}
            for step, (alpha, _, feature, action) in enumerate(events, start=1)
        ],
        columns=["step", "feature", "alpha", "action"],
    )


def interpolate_path(path: pd.DataFrame, alpha: float | np.ndarray) -> pd.DataFrame:
    """Coefficients of an exact path (``lasso_path.csv``) at any alpha, by linear interpolation."""
    wide = path.pivot(index="alpha", columns="feature", values="coef").sort_index()
    features = list(dict.fromkeys(path["feature"]))
    grid = wide.index.to_numpy()
    alphas = np.atleast_1d(np.asarray(alpha, dtype=float))
    coefs = {
        f: np.interp(alphas, grid, wide[f].to_numpy(), right=0.0) for f in features
    }  # above the first breakpoint every coefficient is 0
    return pd.DataFrame({"alpha": alphas, **coefs})


# --- penalty paths on a grid (C3 Ridge/ElasticNet, C4 sparsity) ---------------------


def penalty_paths(
    X: np.ndarray,
    y: np.ndarray,
    features: list[str],
    *,
    alphas: np.ndarray,
    l1_ratio: float,
) -> pd.DataFrame:
    """Lasso, ElasticNet(l1_ratio) and Ridge coefficients on one alpha grid.

    ``X`` must be standardized. Columns: ``model, alpha, sklearn_alpha,
    feature, coef`` where ``alpha`` is the shared strength (Lasso convention)
    and ``sklearn_alpha`` what scikit-learn was given (``n * alpha`` for Ridge).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]
    n = len(yc)
    frames = []
    for model, ratio in (("lasso", 1.0), ("elastic_net", l1_ratio)):
        grid, coefs, _ = enet_path(
            Xc, yc, l1_ratio=ratio, alphas=alphas, tol=1e-8, max_iter=100_000
        )
        frames.append(_long(model, grid, grid, coefs, features))
    ridge = np.column_stack(
        [Ridge(alpha=ridge_alpha(a, n), fit_intercept=False).fit(Xc, yc).coef_ for a in alphas]
    )
    frames.append(_long("ridge", alphas, ridge_alpha(alphas, n), ridge, features))
    return pd.concat(frames, ignore_index=True)


def _long(model, alphas, sklearn_alphas, coefs, features) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": model,
            "alpha": np.repeat(alphas, len(features)),
            "sklearn_alpha": np.repeat(sklearn_alphas, len(features)),
            "feature": np.tile(features, len(alphas)),
            "coef": np.asarray(coefs).T.ravel(),
        }
    )


def sparsity(paths: pd.DataFrame) -> pd.DataFrame:
    """Nonzero count per model and alpha: ``model, alpha, n_nonzero, n_features``."""
    grouped = paths.groupby(["model", "alpha"], sort=False)["coef"]
    out = grouped.agg(n_nonzero=count_nonzero, n_features="size").reset_index()
    return out.sort_values(["model", "alpha"], ascending=[True, False], ignore_index=True)


def path_grid(X: np.ndarray, y: np.ndarray, *, n_alphas: int, min_ratio: float, max_ratio: float):
    """The shared alpha grid: ``n_alphas`` values around the Lasso all-zero threshold."""
    return log_alpha_grid(lasso_alpha_max(X, y), n_alphas, min_ratio, max_ratio)


def sparsity_values(table: pd.DataFrame, *, alpha_max: float, l1_ratio: float) -> dict:
    """Numbers the C4 prose quotes for one dataset."""
    out: dict = {
        "n_features": int(table["n_features"].iloc[0]),
        "lasso_alpha_max": alpha_max,
        "l1_ratio": l1_ratio,
    }
    for model, group in table.groupby("model"):
        zero = group[group["n_nonzero"] == 0]
        full = group[group["n_nonzero"] == group["n_features"]]
        out[str(model)] = {
            "min_nonzero": int(group["n_nonzero"].min()),
            "max_nonzero": int(group["n_nonzero"].max()),
            # smallest grid alpha where every coefficient is zero (None: never)
            "all_zero_from_alpha": float(zero["alpha"].min()) if len(zero) else None,
            # largest grid alpha where every coefficient is nonzero (None: never)
            "all_nonzero_below_alpha": float(full["alpha"].max()) if len(full) else None,
        }
    return out


# --- choosing alpha: K-fold CV and repeated splits (C3) ---------------------------


def _lasso_grid_fit(X: np.ndarray, y: np.ndarray, alphas: np.ndarray):
    """Standardize on these rows, fit the Lasso at every alpha; return a predictor."""
    scaler = StandardScaler().fit(X)
    Xs = scaler.transform(X)
    y_mean = float(np.mean(y))
    _, coefs, _ = enet_path(Xs, y - y_mean, l1_ratio=1.0, alphas=alphas, tol=1e-8, max_iter=100_000)

    def predict(X_new: np.ndarray) -> np.ndarray:  # shape (n_rows, n_alphas)
        return scaler.transform(X_new) @ coefs + y_mean

    return coefs, predict


def _mse(y: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    return np.mean((predictions - np.asarray(y, dtype=float)[:, None]) ** 2, axis=0)


def lasso_cv_error(
    X: np.ndarray, y: np.ndarray, *, alphas: np.ndarray, n_folds: int, seed: int
) -> pd.DataFrame:
    """K-fold CV of Pipeline(StandardScaler, Lasso) over a grid.

    Columns: ``alpha, mse_mean, mse_se, n_nonzero`` where ``mse_se`` is the
    standard error of the fold mean (sd over folds / sqrt(K)) and
    ``n_nonzero`` counts the coefficients of the fit on all rows.
    """
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    folds = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    errors = []
    for train, val in folds.split(X):
        _, predict = _lasso_grid_fit(X[train], y[train], alphas)
        errors.append(_mse(y[val], predict(X[val])))
    errors = np.asarray(errors)
    coefs, _ = _lasso_grid_fit(X, y, alphas)
    return pd.DataFrame(
        {
            "alpha": alphas,
            "mse_mean": errors.mean(axis=0),
            "mse_se": errors.std(axis=0, ddof=1) / np.sqrt(n_folds),
            "n_nonzero": [count_nonzero(c) for c in coefs.T],
        }
    )


def choose_alpha(cv: pd.DataFrame) -> dict[str, float]:
    """The CV minimum and the one-standard-error choice.

    The one-standard-error rule takes the largest alpha (the simplest model)
    whose mean CV error is within one standard error of the minimum.
    """
    best = cv.loc[cv["mse_mean"].idxmin()]
    limit = best["mse_mean"] + best["mse_se"]
    within = cv[cv["mse_mean"] <= limit]
    return {
        "alpha_min": float(best["alpha"]),
        "alpha_1se": float(within["alpha"].max()),
        "mse_limit": float(limit),
    }


def lasso_test_error(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, alpha: float
) -> dict[str, float]:
    """Fit at one alpha on all training rows; test MSE and nonzero count."""
    coefs, predict = _lasso_grid_fit(X_train, y_train, np.array([alpha]))
    return {
        "test_mse": float(_mse(y_test, predict(X_test))[0]),
        "n_nonzero": count_nonzero(coefs[:, 0]),
    }


def repeated_split_errors(
    X: np.ndarray,
    y: np.ndarray,
    *,
    alphas: np.ndarray,
    n_repeats: int,
    test_size: float,
    seed: int,
) -> pd.DataFrame:
    """Train and test MSE against alpha over ``n_repeats`` random splits.

    Columns: ``repeat, alpha, train_mse, test_mse``; split r uses seed + r.
    """
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    frames = []
    for repeat in range(n_repeats):
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=test_size, random_state=seed + repeat
        )
        _, predict = _lasso_grid_fit(X_tr, y_tr, alphas)
        frames.append(
            pd.DataFrame(
                {
                    "repeat": repeat,
                    "alpha": alphas,
                    "train_mse": _mse(y_tr, predict(X_tr)),
                    "test_mse": _mse(y_te, predict(X_te)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def split_error_summary(errors: pd.DataFrame) -> pd.DataFrame:
    """Mean and the 10th/90th percentiles of train and test MSE per alpha."""
    grouped = errors.groupby("alpha")
    out = pd.DataFrame(
        {
            f"{split}_{stat}": getattr(grouped[f"{split}_mse"], fn)(*args)
            for split in ("train", "test")
            for stat, fn, args in (
                ("mean", "mean", ()),
                ("p10", "quantile", (0.1,)),
                ("p90", "quantile", (0.9,)),
            )
        }
    )
    return out.reset_index().sort_values("alpha", ascending=False, ignore_index=True)


# --- the experiments as the workflow runs them -------------------------------------------


def penalty_paths_experiment(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    n_alphas: int,
    alpha_min_ratio: float,
    alpha_max_ratio: float,
    l1_ratio: float,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """C3/C4 on one dataset: ``(paths, sparsity table, values)``, standardized features."""
    features = list(X.columns)
    Xs = standardize(X.to_numpy())
    y = np.asarray(y, dtype=float)
    alphas = path_grid(
        Xs, y, n_alphas=n_alphas, min_ratio=alpha_min_ratio, max_ratio=alpha_max_ratio
    )
    paths = penalty_paths(Xs, y, features, alphas=alphas, l1_ratio=l1_ratio)
    table = sparsity(paths)
    values = sparsity_values(table, alpha_max=lasso_alpha_max(Xs, y), l1_ratio=l1_ratio)
    values["n_rows"] = len(y)
    return paths, table, values


def diabetes_lasso_experiment(
    X: pd.DataFrame,
    y: np.ndarray,
    split,
    *,
    n_alphas: int,
    alpha_min_ratio: float,
    cv_folds: int,
    n_repeats: int,
    test_size: float,
    seed: int,
) -> dict:
    """C3's Lasso part: exact path, entry order, CV choice of alpha, repeated splits.

    ``X, y`` is the whole table (the exact path and the repeated splits use
    every row, as Efron et al. did); ``split`` is the project's fixed split:
    cross-validation runs on its training and validation rows, and the chosen
    alphas are scored once on its test rows.
    """
    features = list(X.columns)
    y = np.asarray(y, dtype=float)
    alphas, coefs = exact_lasso_path(standardize(X.to_numpy()), y)
    path = lasso_path_frame(alphas, coefs, features)
    order = entry_order(alphas, coefs, features)

    X_fit = np.vstack([split.X_train, split.X_val]).astype(float)
    y_fit = np.concatenate([split.y_train, split.y_val]).astype(float)
    grid = log_alpha_grid(lasso_alpha_max(standardize(X_fit), y_fit), n_alphas, alpha_min_ratio)
    cv = lasso_cv_error(X_fit, y_fit, alphas=grid, n_folds=cv_folds, seed=seed)
    choice = choose_alpha(cv)
    X_test, y_test = split.X_test.astype(float), split.y_test.astype(float)
    errors = repeated_split_errors(
        X.to_numpy(dtype=float), y, alphas=grid, n_repeats=n_repeats, test_size=test_size, seed=seed
    )
    summary = split_error_summary(errors)

    cv_at = cv.set_index("alpha")
    chosen = {}
    for name in ("alpha_min", "alpha_1se"):
        a = choice[name]
        chosen[name.removeprefix("alpha_")] = {
            "alpha": a,
            "cv_mse": float(cv_at.loc[a, "mse_mean"]),
            **lasso_test_error(X_fit, y_fit, X_test, y_test, a),
        }
    smallest = summary.loc[summary["alpha"].idxmin()]
    best_test = summary.loc[summary["test_mean"].idxmin()]
    enters = order[order["action"] == "enter"]
    leaves = order[order["action"] == "leave"]
    values = {
        "n_rows": len(y),
        "n_features": len(features),
        "alpha_max": float(alphas[0]),
        "n_breakpoints": len(alphas),
        "entry_sequence": enters["feature"].tolist(),
        "leave_events": [
            {"feature": r.feature, "alpha": float(r.alpha), "step": int(r.step)}
            for r in leaves.itertuples()
        ],
        "n_events": len(order),
        "cv": {
            "n_folds": cv_folds,
            "n_train_rows": len(y_fit),
            "n_test_rows": len(y_test),
            "mse_limit": choice["mse_limit"],
            **chosen,
        },
        "splits": {
            "n_repeats": n_repeats,
            "test_size": test_size,
            "best_alpha": float(best_test["alpha"]),
            "best_test_mean": float(best_test["test_mean"]),
            "smallest_alpha": float(smallest["alpha"]),
            "smallest_alpha_train_mean": float(smallest["train_mean"]),
            "smallest_alpha_test_mean": float(smallest["test_mean"]),
            "largest_alpha_test_mean": float(summary.loc[summary["alpha"].idxmax(), "test_mean"]),
        },
    }
    return {
        "lasso_path": path,
        "entry_order": order,
        "cv_error": cv,
        "split_errors": errors,
        "choice": {**choice, "n_folds": cv_folds, "n_repeats": n_repeats},
        "values": values,
    }
