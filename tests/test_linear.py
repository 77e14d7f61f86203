"""Penalized linear models on real data: closed forms, the exact path, geometry, B, C2, C6, C7.

Every check compares two independent routes to the same number (scikit-learn
against a formula, an exact path against a converged solver, a constrained
optimum against its Lagrangian form), on the bundled datasets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge

from regularization_report.data.bundled import load_bundled_frame
from regularization_report.linear.correlated import correlated_design, correlated_features
from regularization_report.linear.geometry import (
    constrained_optima,
    l1_constrained,
    l2_constrained,
    least_squares,
    two_feature_problem,
)
from regularization_report.linear.normalization import iris_normalization
from regularization_report.linear.penalties import (
    lasso_alpha_max,
    ridge_alpha,
    ridge_closed_form,
    soft_threshold,
)
from regularization_report.linear.regularization_paths import (
    choose_alpha,
    entry_order,
    exact_lasso_path,
    interpolate_path,
    lasso_path_frame,
    penalty_paths,
    sparsity,
    standardize,
)
from regularization_report.linear.wine import wine_course, wine_feature_scales


@pytest.fixture(scope="module")
def diabetes() -> tuple[pd.DataFrame, np.ndarray]:
    frame = load_bundled_frame("diabetes")
    return frame.drop(columns="target"), frame["target"].to_numpy(dtype=float)


@pytest.fixture(scope="module")
def wine() -> tuple[pd.DataFrame, pd.Series]:
    frame = load_bundled_frame("wine")
    return frame.drop(columns="target"), frame["target"]


def tight_lasso(alpha: float, **kwargs) -> Lasso:
    return Lasso(alpha=alpha, tol=1e-12, max_iter=1_000_000, **kwargs)


# --- closed forms -----------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.1, 10.0, 1000.0])
def test_ridge_equals_its_closed_form(diabetes, wine, alpha: float) -> None:
    for X, y in (diabetes, (wine[0], wine[1].to_numpy(dtype=float))):
        model = Ridge(alpha=alpha).fit(X, y)
        w, b = ridge_closed_form(X.to_numpy(), y, alpha)
        np.testing.assert_allclose(model.coef_, w, rtol=1e-8, atol=1e-10)
        assert model.intercept_ == pytest.approx(b, rel=1e-10)


def test_ridge_at_n_alpha_is_elastic_net_without_l1(diabetes) -> None:
    """The shared alpha axis: Ridge(n * a) minimizes the same as ElasticNet(a, l1_ratio=0)."""
    X = standardize(diabetes[0].to_numpy())
    y = diabetes[1]
    a = 2.0
    ridge = Ridge(alpha=ridge_alpha(a, len(y))).fit(X, y)
    enet = ElasticNet(alpha=a, l1_ratio=0.0, tol=1e-12, max_iter=1_000_000).fit(X, y)
    np.testing.assert_allclose(enet.coef_, ridge.coef_, rtol=1e-6)


@pytest.fixture(scope="module")
def orthonormal(diabetes) -> tuple[np.ndarray, np.ndarray]:
    """Q with orthonormal, centred columns spanning the centred diabetes features; centred y."""
    X, y = diabetes
    Xc = X.to_numpy() - X.to_numpy().mean(axis=0)
    Q, _ = np.linalg.qr(Xc)
    return Q, y - y.mean()


@pytest.mark.parametrize("alpha", [0.05, 0.5, 1.5, 3.0])
def test_lasso_on_orthonormal_design_soft_thresholds_least_squares(orthonormal, alpha) -> None:
    Q, y = orthonormal
    n = len(y)
    np.testing.assert_allclose(Q.T @ Q, np.eye(Q.shape[1]), atol=1e-12)
    w_ls = Q.T @ y
    # (1/2n)||y - Qw||^2 + alpha||w||_1 separates into (1/2n)(w_j^2 - 2 w_j b_j) + alpha|w_j|
    expected = soft_threshold(w_ls, n * alpha)
    lasso = tight_lasso(alpha).fit(Q, y)
    np.testing.assert_allclose(lasso.coef_, expected, rtol=1e-7, atol=1e-9)
    assert np.array_equal(lasso.coef_ == 0, expected == 0)  # the same exact zeros
    assert np.sum(expected == 0) > 0 or alpha == 0.05  # the larger alphas do threshold


@pytest.mark.parametrize("alpha", [0.1, 1.0, 100.0])
def test_ridge_on_orthonormal_design_is_uniform_shrinkage(orthonormal, alpha: float) -> None:
    Q, y = orthonormal
    w_ls = Q.T @ y
    ridge = Ridge(alpha=alpha).fit(Q, y)
    np.testing.assert_allclose(ridge.coef_, w_ls / (1 + alpha), rtol=1e-10)
    assert np.all(ridge.coef_ != 0)  # shrinks, never zeroes


@pytest.mark.parametrize("scaled", [False, True])
def test_alpha_max_is_exactly_where_lasso_becomes_all_zero(diabetes, wine, scaled: bool) -> None:
    for X, y in (diabetes, (wine[0], wine[1].to_numpy(dtype=float))):
        X = standardize(X.to_numpy()) if scaled else X.to_numpy()
        a_max = lasso_alpha_max(X, y)
        assert np.all(tight_lasso(a_max).fit(X, y).coef_ == 0)
        assert np.all(tight_lasso(2 * a_max).fit(X, y).coef_ == 0)
        assert np.count_nonzero(tight_lasso(a_max * (1 - 1e-3)).fit(X, y).coef_) >= 1
        # ElasticNet's threshold is alpha_max / l1_ratio
        enet = ElasticNet(alpha=a_max / 0.5, l1_ratio=0.5, tol=1e-12).fit(X, y)
        assert np.all(enet.coef_ == 0)


# --- the exact Lasso path and the entry order -------------------------------------------


@pytest.fixture(scope="module")
def diabetes_path(diabetes):
    X, y = diabetes
    Xs = standardize(X.to_numpy())
    alphas, coefs = exact_lasso_path(Xs, y)
    return Xs, y, list(X.columns), alphas, coefs


def test_exact_path_equals_lasso_between_and_at_breakpoints(diabetes_path) -> None:
    Xs, y, features, alphas, coefs = diabetes_path
    path = lasso_path_frame(alphas, coefs, features)
    assert list(path.columns) == ["alpha", "feature", "coef"]
    assert alphas[0] == pytest.approx(lasso_alpha_max(Xs, y), rel=1e-12)
    assert alphas[-1] == 0.0  # ends at least squares (n > p)
    np.testing.assert_allclose(
        coefs[:, -1], LinearRegression().fit(Xs, y).coef_, rtol=1e-8, atol=1e-8
    )
    mids = np.sqrt(alphas[1:-2] * alphas[2:-1])  # geometric midpoints between breakpoints
    for alpha in [*alphas[1:-1], *mids]:
        interpolated = interpolate_path(path, alpha)[features].to_numpy()[0]
        solver = tight_lasso(alpha).fit(Xs, y).coef_
        np.testing.assert_allclose(interpolated, solver, rtol=1e-6, atol=1e-6)


def test_entry_order_replays_the_active_sets(diabetes_path) -> None:
    _, _, features, alphas, coefs = diabetes_path
    order = entry_order(alphas, coefs, features)
    assert list(order.columns) == ["step", "feature", "alpha", "action"]
    assert set(order["action"]) <= {"enter", "leave"}
    assert order["step"].tolist() == list(range(1, len(order) + 1))
    assert order["alpha"].is_monotonic_decreasing
    # Replaying enter/leave events gives the active set on every segment of the path.
    for k in range(len(alphas) - 1):
        events = order[order["alpha"] >= alphas[k]]
        active: set[str] = set()
        for e in events.itertuples():
            (active.add if e.action == "enter" else active.discard)(e.feature)
        midpoint = coefs[:, k : k + 2].mean(axis=1)
        assert active == {f for f, c in zip(features, midpoint, strict=True) if c != 0}


def test_penalty_paths_and_sparsity(diabetes) -> None:
    X, y = diabetes
    Xs = standardize(X.to_numpy())
    a_max = lasso_alpha_max(Xs, y)
    alphas = np.geomspace(3 * a_max, 1e-3 * a_max, 12)
    paths = penalty_paths(Xs, y, list(X.columns), alphas=alphas, l1_ratio=0.5)
    table = sparsity(paths)
    lasso = table[table["model"] == "lasso"].set_index("alpha")["n_nonzero"]
    ridge = table[table["model"] == "ridge"]["n_nonzero"]
    assert lasso.loc[alphas[0]] == 0 and lasso.loc[alphas[-1]] == X.shape[1]
    assert (ridge == X.shape[1]).all()  # L2 never zeroes a coefficient
    row = paths[(paths["model"] == "ridge") & (paths["alpha"] == alphas[5])]
    expected = Ridge(alpha=len(y) * alphas[5]).fit(Xs, y).coef_
    np.testing.assert_allclose(row["coef"], expected, rtol=1e-8)


def test_one_standard_error_rule_takes_the_largest_alpha_within_one_se() -> None:
    cv = pd.DataFrame(
        {
            "alpha": [8.0, 4.0, 2.0, 1.0, 0.5],
            "mse_mean": [20.0, 12.5, 11.0, 10.0, 10.2],
            "mse_se": [1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    choice = choose_alpha(cv)
    assert choice["alpha_min"] == 1.0
    assert choice["alpha_1se"] == 2.0  # 11.0 <= 10 + 1; 12.5 is not
    assert choice["mse_limit"] == 11.0


# --- C5: geometry -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_features(diabetes):
    X, y = diabetes
    return two_feature_problem(X.assign(target=y), ["bmi", "bp"])


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.75])
def test_l1_constrained_optimum_is_the_lasso_at_its_multiplier(two_features, fraction) -> None:
    X, y = two_features
    n = len(y)
    budget = fraction * np.abs(least_squares(X, y)).sum()
    w = l1_constrained(X, y, budget)
    assert np.abs(w).sum() == pytest.approx(budget, rel=1e-10)
    # KKT: the multiplier is the largest |x_j^T r| / n; the Lasso there is the same point
    multiplier = np.max(np.abs(X.T @ (y - X @ w))) / n
    lasso = tight_lasso(multiplier, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(lasso.coef_, w, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.75])
def test_l2_constrained_optimum_is_ridge_on_the_circle(two_features, fraction) -> None:
    X, y = two_features
    n = len(y)
    budget = fraction * np.linalg.norm(least_squares(X, y))
    w = l2_constrained(X, y, budget)
    assert np.linalg.norm(w) == pytest.approx(budget, rel=1e-9)
    # the gradient of the loss is parallel to w (tangency), pointing outwards
    gradient = X.T @ (y - X @ w) / n
    cos = gradient @ w / (np.linalg.norm(gradient) * np.linalg.norm(w))
    assert cos == pytest.approx(1.0, abs=1e-9)
    # no point of the circle does better
    theta = np.linspace(0, 2 * np.pi, 20_000)
    circle = budget * np.column_stack([np.cos(theta), np.sin(theta)])
    losses = np.sum((y[None, :] - circle @ X.T) ** 2, axis=1) / (2 * n)
    assert np.sum((y - X @ w) ** 2) / (2 * n) <= losses.min() + 1e-9


def test_small_l1_budgets_give_corner_solutions_and_l2_never_does(two_features) -> None:
    X, y = two_features
    optima = constrained_optima(X, y, [0.1, 0.25, 0.5, 0.75])
    w_ls = least_squares(X, y)
    _, coefs = exact_lasso_path(X, y)
    # the second feature enters the path at this share of the least-squares L1 norm
    enters = np.abs(coefs[:, 1]).sum() / np.abs(w_ls).sum()
    l1 = optima[optima["norm"] == "l1"]
    assert ((l1["budget_fraction"] < enters) == (l1["n_zero"] == 1)).all()
    assert (optima.loc[optima["norm"] == "l2", "n_zero"] == 0).all()


# --- B: normalization -------------------------------------------------------------------


def test_normalization_changes_the_penalty_not_least_squares() -> None:
    frame = load_bundled_frame("iris")
    points, fits = iris_normalization(
        frame,
        species=2,
        feature="petal length (cm)",
        target="sepal length (cm)",
        alpha=1.0,
        feature_scalings=["raw", "min_max", "z_score"],
    )
    assert len(points) == 3 * 50
    ols = fits[fits["model"] == "linear_regression"]
    np.testing.assert_allclose(ols["slope_per_cm"], ols["slope_per_cm"].iloc[0], rtol=1e-12)
    np.testing.assert_allclose(ols["train_mse"], ols["train_mse"].iloc[0], rtol=1e-12)
    for scaling, group in fits.groupby("scaling"):
        lasso = group[group["model"] == "lasso"].iloc[0]
        assert (lasso["slope"] == 0) == (lasso["lasso_alpha_max"] <= 1.0), scaling
        x = points.loc[points["scaling"] == scaling, "x"].to_numpy()
        y = points.loc[points["scaling"] == scaling, "y"].to_numpy()
        ridge_slope = group.loc[group["model"] == "ridge", "slope"].iloc[0]
        assert ridge_slope == pytest.approx(ridge_closed_form(x[:, None], y, 1.0)[0][0])
    # the same alpha shrinks the min-max slope more than the raw one, the z-score one least
    shrink = {
        s: g.set_index("model").loc["ridge", "slope"]
        / g.set_index("model").loc["linear_regression", "slope"]
        for s, g in fits.groupby("scaling")
    }
    assert shrink["min_max"] < shrink["raw"] < shrink["z_score"] < 1


# --- C2: feature scales -----------------------------------------------------------------


def test_raw_coefficient_times_sd_is_the_standardized_coefficient(wine) -> None:
    X, y = wine
    _, coefficients = wine_course(
        X,
        y,
        alpha=0.05,
        short_max_iter=5,
        test_size=0.3,
        random_state=101,
        feature_scalings=["raw", "standardized"],
    )
    scales = wine_feature_scales(
        X, y, coefficients, test_size=0.3, random_state=101, short_max_iter=5
    )
    ols_std = coefficients[
        (coefficients["model"] == "linear_regression")
        & (coefficients["features"] == "standardized")
    ].set_index("feature")["coef"]
    np.testing.assert_allclose(
        scales["ols_coef_raw"] * scales["sd"], ols_std.loc[scales["feature"]], rtol=1e-8
    )
    assert scales["sd"].is_monotonic_decreasing
    assert scales.loc[0, "feature"] == X.std(ddof=0).idxmax()


# --- C6: correlated features ------------------------------------------------------------


def test_lasso_picks_fewer_of_a_correlated_group_than_elastic_net() -> None:
    design = {
        "n_samples": 200,
        "group_size": 3,
        "n_noise_features": 3,
        "within_group_noise": 0.05,
        "signal_coef": 3.0,
        "noise": 3.0,
        "seed": 0,
    }
    X, y = correlated_design(**design)
    again, _ = correlated_design(**design)
    pd.testing.assert_frame_equal(X, again)  # the construction is seeded
    assert np.corrcoef(X["group_1"], X["group_2"])[0, 1] > 0.99
    _, coefficients = correlated_features(
        X, y, alphas=np.array([3.0, 1.5, 0.1]), alpha=1.5, l1_ratio=0.5, n_resamples=10, seed=0
    )
    group = coefficients[coefficients["feature"].str.startswith("group_")]
    kept = group.assign(kept=group["coef"] != 0).groupby("model")["kept"].sum()
    assert kept["lasso"] < kept["elastic_net"] == kept["ridge"] == 3
    enet = group[group["model"] == "elastic_net"]["coef"]
    assert enet.max() - enet.min() < 0.1 * enet.mean()  # ElasticNet shares almost equally
    noise = coefficients[~coefficients["feature"].str.startswith("group_")]
    assert (noise[noise["model"] == "ridge"]["coef"] != 0).all()


# --- C7: logistic regression ------------------------------------------------------------


def test_l1_logistic_regression_is_sparse_and_l2_is_not() -> None:
    from regularization_report.data.bundled import Split, split_dataset
    from regularization_report.linear.logistic import logistic_sparsity

    frame = load_bundled_frame("breast_cancer")
    X = frame.drop(columns="target").to_numpy(dtype=np.float32)
    y = frame["target"].to_numpy()
    parts = split_dataset(X, y, task="classification", test_size=0.2, val_size=0.2, seed=101)
    split = Split(**parts, feature_names=list(frame.columns[:-1]), task="classification")
    metrics, coefficients = logistic_sparsity(
        split, dataset="breast_cancer", c_values=np.array([1e-3, 0.05, 1.0]), max_iter=1000
    )
    l1 = metrics[metrics["penalty"] == "l1"].set_index("C")
    l2 = metrics[metrics["penalty"] == "l2"].set_index("C")
    assert l1.loc[1e-3, "n_nonzero"] == 0  # a strong enough L1 penalty removes every weight
    assert 0 < l1.loc[0.05, "n_nonzero"] < l1.loc[0.05, "n_weights"]
    assert (l2["nonzero_share"] == 1.0).all()
    assert l1.loc[0.05, "test_accuracy"] > 0.9  # a handful of features classifies well
    assert len(coefficients) == 2 * 3 * X.shape[1]
    # liblinear shuffles the rows; with its seed fixed a rerun is identical
    _, again = logistic_sparsity(
        split, dataset="breast_cancer", c_values=np.array([1e-3, 0.05, 1.0]), max_iter=1000
    )
    pd.testing.assert_frame_equal(coefficients, again)
