"""Experiment C8: the same penalties trained in PyTorch, checked against scikit-learn.

One ``nn.Linear`` and full-batch gradient steps, with the study note's loop
(zero_grad, forward, loss, backward, step). Three ways to add a penalty:

* ``lasso_subgradient``: alpha * ||w||_1 added to the loss; autograd uses
  the subgradient sign(w) (0 at exactly 0). The weights hop around zero by
  about lr * alpha every step and are almost never exactly 0.
* ``lasso_proximal``: the loss is the data term only; after each step the
  weights go through the proximal operator of lr * alpha * ||.||_1,
  soft-thresholding, which maps every |w_j| <= lr * alpha to exactly 0
  (ISTA, proximal gradient descent).
* ``ridge``: alpha / (2 n) * ||w||^2 added to the loss. Its objective is
  smooth, so Nesterov momentum may speed it up safely (the standardized
  diabetes features are ill-conditioned: plain gradient descent needs
  thousands of steps); the Lasso variants take plain steps, which is what
  the proximal-gradient (ISTA) guarantee is about.

The data term is 0.5 * mean squared error, i.e. (1/(2n))||y - Xw - b||^2,
which is Lasso's scaling in scikit-learn. Ridge in scikit-learn minimizes
||y - Xw - b||^2 + alpha ||w||^2, with no 1/n: dividing it by 2n gives the
loss above with alpha / (2n), the same minimizer. The intercept is never
penalized. Everything runs in float64 so that agreement is limited by
convergence, not by rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

METHODS = ("lasso_subgradient", "lasso_proximal", "ridge")


@dataclass
class TorchFit:
    method: str
    coef: np.ndarray
    intercept: float
    history: pd.DataFrame  # step, objective (scikit-learn's objective for the model)
    learning_rate: float


def soft_threshold_(weight: torch.Tensor, threshold: float) -> None:
    """In place: w <- sign(w) * max(|w| - threshold, 0)."""
    weight.copy_(torch.sign(weight) * torch.clamp(weight.abs() - threshold, min=0.0))


def lipschitz_step(X: np.ndarray, ridge_term: float = 0.0) -> float:
    """1 / L for the data term 0.5 * mean((y - Xw - b)^2) (+ ridge_term/2 ||w||^2).

    L is the largest eigenvalue of the Hessian [X 1]^T [X 1] / n (plus the
    ridge term); a step of 1/L makes gradient and proximal steps descend.
    """
    Xb = np.column_stack([X, np.ones(len(X))])
    hessian = Xb.T @ Xb / len(X)
    hessian[:-1, :-1] += ridge_term * np.eye(X.shape[1])
    return float(1.0 / np.linalg.eigvalsh(hessian)[-1])


def sklearn_objective(method: str, X, y, coef, intercept, alpha: float) -> float:
    r = y - X @ coef - intercept
    if method.startswith("lasso"):
        return float(r @ r / (2 * len(y)) + alpha * np.abs(coef).sum())
    return float(r @ r + alpha * coef @ coef)


def fit_torch_linear(
    X: np.ndarray,
    y: np.ndarray,
    *,
    method: str,
    alpha: float,
    n_steps: int,
    momentum: float = 0.0,
    record_every: int = 10,
) -> TorchFit:
    """Train ``nn.Linear`` from zero weights with one of :data:`METHODS`.

    ``momentum`` (Nesterov) is for ``ridge`` only: the non-smooth Lasso
    variants keep plain steps.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = X.shape
    ridge_term = alpha / n if method == "ridge" else 0.0
    if momentum and method != "ridge":
        raise ValueError(f"momentum is only used for ridge, got {momentum} for {method}")
    lr = lipschitz_step(X, ridge_term)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    model = nn.Linear(p, 1, dtype=torch.float64)
    with torch.no_grad():  # a deterministic start: every weight and the bias at 0
        model.weight.zero_()
        model.bias.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, nesterov=momentum > 0)
    history = []
    for step in range(1, n_steps + 1):
        optimizer.zero_grad()
        prediction = model(Xt).squeeze(1)
        loss = 0.5 * torch.mean((yt - prediction) ** 2)
        if method == "lasso_subgradient":
            loss = loss + alpha * model.weight.abs().sum()
        elif method == "ridge":
            loss = loss + ridge_term / 2 * (model.weight**2).sum()
        loss.backward()
        optimizer.step()
        if method == "lasso_proximal":
            with torch.no_grad():
                soft_threshold_(model.weight, lr * alpha)
        if step % record_every == 0 or step == n_steps:
            coef = model.weight.detach().numpy()[0].copy()
            b = float(model.bias.detach()[0])
            history.append((step, sklearn_objective(method, X, y, coef, b, alpha)))
    return TorchFit(
        method=method,
        coef=model.weight.detach().numpy()[0].copy(),
        intercept=float(model.bias.detach()[0]),
        history=pd.DataFrame(history, columns=["step", "objective"]),
        learning_rate=lr,
    )


def sklearn_reference(X: np.ndarray, y: np.ndarray, *, alpha: float) -> dict[str, tuple]:
    """scikit-learn's Lasso and Ridge at ``alpha``, converged tightly: name -> (coef, intercept)."""
    from sklearn.linear_model import Lasso, Ridge

    lasso = Lasso(alpha=alpha, tol=1e-12, max_iter=1_000_000).fit(X, y)
    ridge = Ridge(alpha=alpha).fit(X, y)
    return {
        "lasso": (lasso.coef_.copy(), float(lasso.intercept_)),
        "ridge": (ridge.coef_.copy(), float(ridge.intercept_)),
    }


def compare_with_sklearn(
    X: np.ndarray,
    y: np.ndarray,
    features: list[str],
    *,
    alpha: float,
    n_steps: int,
    ridge_momentum: float,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Fit all three PyTorch variants and scikit-learn; return ``(coefficients, history, values)``.

    ``coefficients``: ``feature, sklearn_lasso, torch_lasso_proximal,
    torch_lasso_subgradient, sklearn_ridge, torch_ridge``; ``history``:
    ``method, step, objective, relative_gap`` where the gap is (objective -
    optimum) / optimum, the optimum being scikit-learn's objective at its own
    solution (the two models' objectives have different scales).
    """
    reference = sklearn_reference(X, y, alpha=alpha)
    fits = {
        m: fit_torch_linear(
            X,
            y,
            method=m,
            alpha=alpha,
            n_steps=n_steps,
            momentum=ridge_momentum if m == "ridge" else 0.0,
        )
        for m in METHODS
    }
    table = pd.DataFrame(
        {  # + 0.0 turns -0.0 (a zero that came from a negative side) into 0.0
            "feature": features,
            "sklearn_lasso": reference["lasso"][0] + 0.0,
            "torch_lasso_proximal": fits["lasso_proximal"].coef + 0.0,
            "torch_lasso_subgradient": fits["lasso_subgradient"].coef + 0.0,
            "sklearn_ridge": reference["ridge"][0] + 0.0,
            "torch_ridge": fits["ridge"].coef + 0.0,
        }
    )
    histories = []
    for method, fit in fits.items():
        key = "lasso" if method.startswith("lasso") else "ridge"
        best = sklearn_objective(method, X, y, *reference[key], alpha)
        h = fit.history.assign(method=method, relative_gap=(fit.history["objective"] - best) / best)
        histories.append(h[["method", "step", "objective", "relative_gap"]])
    history = pd.concat(histories, ignore_index=True)

    sk = table["sklearn_lasso"].to_numpy()
    prox = table["torch_lasso_proximal"].to_numpy()
    sub = table["torch_lasso_subgradient"].to_numpy()
    nonzero = sk != 0
    ridge_sk, ridge_t = table["sklearn_ridge"].to_numpy(), table["torch_ridge"].to_numpy()
    values = {
        "alpha": alpha,
        "n_steps": n_steps,
        "ridge_momentum": ridge_momentum,
        "n_features": len(features),
        "learning_rate_lasso": fits["lasso_proximal"].learning_rate,
        "learning_rate_ridge": fits["ridge"].learning_rate,
        "n_zero_sklearn": int((sk == 0).sum()),
        "n_zero_proximal": int((prox == 0).sum()),
        "n_zero_subgradient": int((sub == 0).sum()),
        "zeros_agree": bool(np.array_equal(sk == 0, prox == 0)),
        "zero_features": [f for f, z in zip(features, sk == 0, strict=True) if z],
        "max_relative_diff_proximal": float(
            np.max(np.abs(prox - sk)[nonzero] / np.abs(sk[nonzero]))
        ),
        "max_relative_diff_ridge": float(np.max(np.abs(ridge_t - ridge_sk) / np.abs(ridge_sk))),
        # how close the subgradient method gets to 0 where the exact answer is 0
        "subgradient_min_abs_at_zeros": float(np.min(np.abs(sub[~nonzero])))
        if (~nonzero).any()
        else None,
        "subgradient_max_abs_at_zeros": float(np.max(np.abs(sub[~nonzero])))
        if (~nonzero).any()
        else None,
        "final_relative_gap": {
            m: float(history[history["method"] == m]["relative_gap"].iloc[-1]) for m in METHODS
        },
    }
    return table, history, values
