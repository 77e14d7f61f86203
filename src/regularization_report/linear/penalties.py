"""The mathematics of L1, L2 and ElasticNet penalties, in numpy only.

scikit-learn's conventions, which matter whenever numbers are compared:

* Lasso:      (1 / (2 n)) ||y - Xw||^2 + alpha ||w||_1
* Ridge:      ||y - Xw||^2 + alpha ||w||^2          (no 1/n factor)
* ElasticNet: (1 / (2 n)) ||y - Xw||^2 + alpha l1_ratio ||w||_1
              + (alpha (1 - l1_ratio) / 2) ||w||^2

Dividing Ridge's objective by 2 n shows that Ridge with ``alpha = n a`` is
ElasticNet with ``l1_ratio = 0`` at ``alpha = a``: one penalty strength in the
Lasso convention therefore places all three models on one axis
(:func:`ridge_alpha`). This module is light (no scikit-learn import) so that
plotting jobs can use it.
"""

from __future__ import annotations

import numpy as np

# Coefficients at or below this magnitude count as zero. Coordinate descent,
# LARS and the proximal step give exact zeros; the tolerance only guards
# against float noise in values that went through a CSV.
ZERO_TOL = 1e-12


def count_nonzero(coef: np.ndarray, tol: float = ZERO_TOL) -> int:
    return int(np.sum(np.abs(np.asarray(coef)) > tol))


def soft_threshold(z: np.ndarray, threshold: float) -> np.ndarray:
    """The proximal operator of ``threshold * ||.||_1``: sign(z) max(|z| - threshold, 0)."""
    z = np.asarray(z, dtype=float)
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


def center(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-centred ``X`` and centred ``y``: what ``fit_intercept=True`` fits on."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    return X - X.mean(axis=0), y - y.mean()


def lasso_alpha_max(X: np.ndarray, y: np.ndarray) -> float:
    """Smallest Lasso alpha whose solution is all zeros: max_j |x_j^T y| / n (centred data).

    At w = 0 the subgradient condition of the Lasso objective reads
    |x_j^T y| / n <= alpha for every j; the largest left side is the threshold.
    """
    Xc, yc = center(X, y)
    return float(np.max(np.abs(Xc.T @ yc)) / len(yc))


def ridge_alpha(alpha, n_samples: int):
    """scikit-learn's Ridge alpha equivalent to ElasticNet(alpha, l1_ratio=0) on n rows."""
    return alpha * n_samples


def ridge_closed_form(X: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Ridge with intercept: w = (Xc^T Xc + alpha I)^-1 Xc^T yc, b = mean(y) - mean(X) w."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    Xc, yc = center(X, y)
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y.mean() - X.mean(axis=0) @ w)


def lasso_objective(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, alpha: float) -> float:
    r = np.asarray(y, dtype=float) - np.asarray(X, dtype=float) @ w - b
    return float(r @ r / (2 * len(r)) + alpha * np.abs(w).sum())


def ridge_objective(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, alpha: float) -> float:
    r = np.asarray(y, dtype=float) - np.asarray(X, dtype=float) @ w - b
    return float(r @ r + alpha * w @ w)


def log_alpha_grid(alpha_max: float, n_alphas: int, min_ratio: float, max_ratio: float = 1.0):
    """``n_alphas`` values from ``max_ratio * alpha_max`` down to ``min_ratio * alpha_max``."""
    if not 0 < min_ratio < max_ratio:
        raise ValueError(f"need 0 < min_ratio < max_ratio, got {min_ratio} and {max_ratio}")
    return np.geomspace(max_ratio * alpha_max, min_ratio * alpha_max, n_alphas)
