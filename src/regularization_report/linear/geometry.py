"""Experiment C5: why L1 gives exact zeros and L2 does not, seen in two dimensions.

A real two-feature least-squares problem (two standardized diabetes features,
centred target, no intercept) has elliptical loss contours. Minimizing it
inside an L1 ball (a diamond) or an L2 ball (a disc) of budget t is the
constrained form of the Lasso and of Ridge: the optimum is where the smallest
reachable contour touches the ball. A diamond has corners on the axes, where
one coordinate is exactly zero, and the contours usually touch there; a disc
has none. Numpy only.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from regularization_report.linear.norms import lp_norm


def two_feature_problem(frame: pd.DataFrame, features: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Standardized ``X`` (n x 2, population sd) and centred ``y`` from a raw data table."""
    missing = [f for f in features if f not in frame.columns]
    if missing or len(features) != 2:
        raise ValueError(
            f"need two feature columns of the table, got {features} (missing {missing})"
        )
    X = frame[features].to_numpy(dtype=float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = frame["target"].to_numpy(dtype=float)
    return X, y - y.mean()


def squared_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(1 / (2 n)) ||y - X w||^2 for one w (shape (2,)) or many (shape (m, 2))."""
    w = np.atleast_2d(w)
    r = y[None, :] - w @ X.T
    out = np.sum(r * r, axis=1) / (2 * len(y))
    return out if out.size > 1 else out[0]


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.solve(X.T @ X, X.T @ y)


def l1_constrained(X: np.ndarray, y: np.ndarray, budget: float) -> np.ndarray:
    """argmin (1/2n)||y - Xw||^2 subject to ||w||_1 <= budget, exactly, for two features.

    If least squares lies inside the diamond it is the answer. Otherwise the
    optimum is on the boundary (the loss is convex), which is four segments
    between the corners (±t, 0), (0, ±t): on each the loss is a parabola in
    the segment parameter, minimized in closed form and clipped to [0, 1].
    """
    w_ls = least_squares(X, y)
    if np.abs(w_ls).sum() <= budget:
        return w_ls
    corners = [np.array(c, dtype=float) * budget for c in ((1, 0), (0, 1), (-1, 0), (0, -1))]
    best, best_loss = corners[0], np.inf
    for a, b in itertools.pairwise([*corners, corners[0]]):
        d = b - a
        Xd = X @ d
        s = np.clip(Xd @ (y - X @ a) / (Xd @ Xd), 0.0, 1.0)
        w = a + s * d
        loss = squared_loss(X, y, w)
        if loss < best_loss:
            best, best_loss = w, loss
    return best


def l2_constrained(X: np.ndarray, y: np.ndarray, budget: float, tol: float = 1e-13) -> np.ndarray:
    """argmin (1/2n)||y - Xw||^2 subject to ||w||_2 <= budget.

    Outside the disc, the optimum is the Ridge solution w(lam) = (X^T X / n +
    lam I)^-1 X^T y / n whose norm equals the budget; the norm falls as lam
    grows, so bisection on log(lam) finds it.
    """
    w_ls = least_squares(X, y)
    if np.linalg.norm(w_ls) <= budget:
        return w_ls
    n = len(y)
    gram, xty = X.T @ X / n, X.T @ y / n

    def ridge(lam: float) -> np.ndarray:
        return np.linalg.solve(gram + lam * np.eye(len(gram)), xty)

    lo, hi = -30.0, 30.0  # log(lam); the norm at lam = e^30 is far below any budget used here
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.linalg.norm(ridge(np.exp(mid))) > budget:
            lo = mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    return ridge(np.exp(hi))


def constrained_optima(X: np.ndarray, y: np.ndarray, budget_fractions: list[float]) -> pd.DataFrame:
    """L1 and L2 optima for budgets that are fractions of least squares' own norm.

    Columns: ``norm, budget_fraction, budget, w1, w2, loss, n_zero``.
    """
    w_ls = least_squares(X, y)
    rows = []
    for norm, p, solve in (("l1", 1, l1_constrained), ("l2", 2, l2_constrained)):
        for fraction in budget_fractions:
            budget = fraction * lp_norm(w_ls, p)
            w = solve(X, y, budget)
            rows.append(
                {
                    "norm": norm,
                    "budget_fraction": fraction,
                    "budget": budget,
                    "w1": float(w[0]),
                    "w2": float(w[1]),
                    "loss": float(squared_loss(X, y, w)),
                    # exact zeros: the corner solution sets a coordinate to 0.0 exactly
                    "n_zero": int(np.sum(w == 0.0)),
                }
            )
    return pd.DataFrame(rows)


def loss_grid(
    X: np.ndarray, y: np.ndarray, *, grid_size: int, margin: float = 0.25
) -> pd.DataFrame:
    """The loss on a square grid that holds 0 and least squares: ``w1, w2, loss``."""
    w_ls = least_squares(X, y)
    half = (1 + margin) * np.max(np.abs(w_ls))
    axis = np.linspace(-half, half, grid_size)
    w1, w2 = np.meshgrid(axis, axis, indexing="xy")
    W = np.column_stack([w1.ravel(), w2.ravel()])
    return pd.DataFrame({"w1": W[:, 0], "w2": W[:, 1], "loss": squared_loss(X, y, W)})


def lp_unit_ball(p: float, n_points: int) -> pd.DataFrame:
    """Points on the unit sphere of the Lp (quasi-)norm in 2-D: ``p, x, y``.

    Each direction (cos θ, sin θ) is divided by its own Lp norm. For p < 1
    the set is not convex (a star), which is why p >= 1 is needed for a norm.
    """
    theta = np.linspace(0.0, 2 * np.pi, n_points)
    u = np.column_stack([np.cos(theta), np.sin(theta)])
    norms = np.array([lp_norm(v, p) for v in u])
    points = u / norms[:, None]
    return pd.DataFrame({"p": p, "x": points[:, 0], "y": points[:, 1]})


def geometry_values(
    optima: pd.DataFrame, features: list[str], w_ls: np.ndarray, ps: list[float]
) -> dict:
    l1 = optima[optima["norm"] == "l1"]
    l2 = optima[optima["norm"] == "l2"]
    return {
        "features": features,
        "least_squares": [float(v) for v in w_ls],
        "budget_fractions": [float(f) for f in l1["budget_fraction"]],
        "l1_fractions_with_zero": [float(f) for f in l1.loc[l1["n_zero"] > 0, "budget_fraction"]],
        "l2_fractions_with_zero": [float(f) for f in l2.loc[l2["n_zero"] > 0, "budget_fraction"]],
        # which feature the corner solutions drop
        "l1_zero_features": sorted(
            {features[0] if r.w1 == 0 else features[1] for r in l1.itertuples() if r.n_zero}
        ),
        "lp_ball_ps": [float(p) if np.isfinite(p) else "inf" for p in ps],
    }
