"""Experiment C9: an interactive alpha explorer (plotly) and its static twin.

One slider moves the penalty strength alpha (Lasso convention; Ridge fitted
at n * alpha, see :mod:`.penalties`). Left: the Lasso and Ridge coefficients
at that alpha; right: train and test error of both against alpha, with the
current alpha marked. Everything the page shows is precomputed on the
diabetes training split; the HTML needs no server and loads no script from
the network (plotly.js is inlined).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from regularization_report.data.bundled import Split
from regularization_report.linear.penalties import (
    ZERO_TOL,
    lasso_alpha_max,
    log_alpha_grid,
    ridge_alpha,
)

EXPLORER_DIV_ID = "alpha-explorer"
MODELS = ("lasso", "ridge")
MODEL_LABELS = {"lasso": "Lasso (L1)", "ridge": "Ridge (L2)"}
MODEL_COLORS = {"lasso": "#D55E00", "ridge": "#009E73"}


def explorer_alphas(split: Split, *, n_alphas: int, min_ratio: float) -> np.ndarray:
    """The slider's grid: from the Lasso all-zero threshold down to ``min_ratio`` of it."""
    X = np.vstack([split.X_train, split.X_val]).astype(float)
    y = np.concatenate([split.y_train, split.y_val]).astype(float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return log_alpha_grid(lasso_alpha_max(X, y), n_alphas, min_ratio)


def alpha_explorer_data(split: Split, *, alphas: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coefficients and errors of Lasso and Ridge at every alpha.

    Trains on the training and validation rows (standardized with their own
    mean and sd) and tests on the test rows. A second fit on the training rows
    alone is scored on the validation rows (``val_mse``): that, not the test
    error, is what chooses alpha (:func:`explorer_values`). Returns
    ``(coefficients, errors)``: ``model, alpha, feature, coef`` and ``model,
    alpha, n_nonzero, train_mse, val_mse, test_mse``.
    """
    from sklearn.preprocessing import StandardScaler

    X = np.vstack([split.X_train, split.X_val]).astype(float)
    y = np.concatenate([split.y_train, split.y_val]).astype(float)
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]
    scaler = StandardScaler().fit(X)
    Xs, Xt = scaler.transform(X), scaler.transform(split.X_test.astype(float))
    y_mean = float(y.mean())
    fits = _paths(Xs, y - y_mean, alphas)
    # Selection fit: training rows only, scored on the validation rows.
    Xtr, ytr = split.X_train.astype(float), split.y_train.astype(float)
    sel_scaler = StandardScaler().fit(Xtr)
    Xv = sel_scaler.transform(split.X_val.astype(float))
    sel_fits = _paths(sel_scaler.transform(Xtr), ytr - ytr.mean(), alphas)
    coefficients, errors = [], []
    for model in MODELS:
        coefs, sel = fits[model], sel_fits[model]
        for k, alpha in enumerate(alphas):
            w = coefs[:, k]
            coefficients.append(
                pd.DataFrame(
                    {"model": model, "alpha": alpha, "feature": split.feature_names, "coef": w}
                )
            )
            errors.append(
                {
                    "model": model,
                    "alpha": alpha,
                    "n_nonzero": int(np.sum(np.abs(w) > ZERO_TOL)),
                    "train_mse": float(np.mean((Xs @ w + y_mean - y) ** 2)),
                    "val_mse": float(np.mean((Xv @ sel[:, k] + ytr.mean() - split.y_val) ** 2)),
                    "test_mse": float(np.mean((Xt @ w + y_mean - split.y_test) ** 2)),
                }
            )
    return pd.concat(coefficients, ignore_index=True), pd.DataFrame(errors)


def _paths(X: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> dict[str, np.ndarray]:
    """Lasso and Ridge coefficients (features x alphas) on centred ``y``, no intercept."""
    from sklearn.linear_model import Ridge, enet_path

    _, lasso, _ = enet_path(X, y, l1_ratio=1.0, alphas=alphas, tol=1e-8, max_iter=100_000)
    ridge = np.column_stack(
        [Ridge(alpha=ridge_alpha(a, len(y)), fit_intercept=False).fit(X, y).coef_ for a in alphas]
    )
    return {"lasso": lasso, "ridge": ridge}


def explorer_values(errors: pd.DataFrame) -> dict:
    """Per model: alpha chosen on the validation rows, and its test error (scored once)."""
    out: dict = {"n_alphas": int(errors["alpha"].nunique()), "chosen_on": "validation"}
    for model, rows in errors.groupby("model"):
        best = rows.loc[rows["val_mse"].idxmin()]
        out[str(model)] = {
            "chosen_alpha": float(best["alpha"]),
            "chosen_at_grid_edge": bool(
                best["alpha"] in (rows["alpha"].min(), rows["alpha"].max())
            ),
            "val_mse_at_chosen": float(best["val_mse"]),
            "test_mse_at_chosen": float(best["test_mse"]),
            "n_nonzero_at_chosen": int(best["n_nonzero"]),
            "smallest_alpha_test_mse": float(rows.loc[rows["alpha"].idxmin(), "test_mse"]),
            "largest_alpha_test_mse": float(rows.loc[rows["alpha"].idxmax(), "test_mse"]),
        }
    return out


def _title(alpha: float, errors_at: pd.DataFrame, n_features: int) -> str:
    lasso = errors_at.loc["lasso"]
    ridge = errors_at.loc["ridge"]
    return (
        f"alpha = {alpha:.3g}: Lasso keeps {int(lasso['n_nonzero'])} of {n_features} features "
        f"(test MSE {lasso['test_mse']:.0f}); Ridge keeps {int(ridge['n_nonzero'])} "
        f"(test MSE {ridge['test_mse']:.0f})"
    )


def alpha_explorer_figure(coefficients: pd.DataFrame, errors: pd.DataFrame):
    """The plotly figure: bars per feature, error curves, one slider over alpha."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    alphas = np.sort(errors["alpha"].unique())[::-1]  # slider: strong penalty on the left
    features = list(dict.fromkeys(coefficients["feature"]))
    coef = {
        m: coefficients[coefficients["model"] == m].pivot(
            index="alpha", columns="feature", values="coef"
        )[features]
        for m in MODELS
    }
    err = {m: errors[errors["model"] == m].set_index("alpha").sort_index() for m in MODELS}
    start = len(alphas) // 2
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.1,
        subplot_titles=("Coefficients (standardized features)", "Mean squared error"),
    )
    for m in MODELS:  # traces 0, 1: the bars the slider moves
        fig.add_trace(
            go.Bar(
                x=features,
                y=coef[m].loc[alphas[start]].to_numpy(),
                name=MODEL_LABELS[m],
                marker_color=MODEL_COLORS[m],
                legendgroup=m,
            ),
            row=1,
            col=1,
        )
    for m in MODELS:  # traces 2-5: error curves, fixed
        for split, dash in (("train", "dot"), ("test", "solid")):
            fig.add_trace(
                go.Scatter(
                    x=err[m].index,
                    y=err[m][f"{split}_mse"],
                    mode="lines",
                    line={"color": MODEL_COLORS[m], "dash": dash},
                    name=f"{MODEL_LABELS[m]}, {split}",
                    legendgroup=m,
                ),
                row=1,
                col=2,
            )
    for m in MODELS:  # traces 6, 7: the current alpha on each test curve
        fig.add_trace(
            go.Scatter(
                x=[alphas[start]],
                y=[err[m].loc[alphas[start], "test_mse"]],
                mode="markers",
                marker={
                    "color": MODEL_COLORS[m],
                    "size": 11,
                    "line": {"color": "black", "width": 1},
                },
                name=f"{MODEL_LABELS[m]} at this alpha",
                showlegend=False,
            ),
            row=1,
            col=2,
        )
    errors_by_alpha = errors.set_index(["alpha", "model"]).sort_index()
    steps = []
    for alpha in alphas:
        steps.append(
            {
                "label": f"{alpha:.3g}",
                "method": "update",
                "args": [
                    {
                        "y": [
                            coef["lasso"].loc[alpha].to_numpy(),
                            coef["ridge"].loc[alpha].to_numpy(),
                            [err["lasso"].loc[alpha, "test_mse"]],
                            [err["ridge"].loc[alpha, "test_mse"]],
                        ],
                        "x": [features, features, [alpha], [alpha]],
                    },
                    {"title.text": _title(alpha, errors_by_alpha.loc[alpha], len(features))},
                    [0, 1, 6, 7],
                ],
            }
        )
    low = min(coef[m].to_numpy().min() for m in MODELS)
    high = max(coef[m].to_numpy().max() for m in MODELS)
    pad = 0.05 * (high - low)
    fig.update_yaxes(range=[low - pad, high + pad], title_text="coefficient", row=1, col=1)
    fig.update_xaxes(type="log", title_text="alpha (log scale)", row=1, col=2)
    fig.update_yaxes(title_text="MSE", row=1, col=2)
    fig.update_layout(
        title={
            "text": _title(alphas[start], errors_by_alpha.loc[alphas[start]], len(features)),
            "font": {"size": 14},
        },
        barmode="group",
        height=520,
        margin={"t": 90, "b": 40, "l": 60, "r": 20},
        legend={"orientation": "h", "y": -0.45},
        template="plotly_white",
        sliders=[
            {
                "active": start,
                "currentvalue": {"prefix": "alpha = "},
                "pad": {"t": 60},
                "steps": steps,
            }
        ],
    )
    return fig


def explorer_html(fig) -> str:
    """A self-contained HTML fragment: one div, plotly.js inlined, no network access."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=True,
        div_id=EXPLORER_DIV_ID,
        config={"displaylogo": False, "responsive": True},
    )


def raw_html_block(fragment: str) -> str:
    """``fragment`` as a Pandoc raw HTML block: passed through to HTML, dropped elsewhere.

    The fence is one backtick longer than any run of backticks in the
    fragment (plotly.js has some), so nothing inside can close it.
    """
    longest = max((len(run) for run in re.findall(r"`+", fragment)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{=html}}\n{fragment}\n{fence}\n"
