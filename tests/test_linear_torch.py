"""C8: penalties trained in PyTorch agree with scikit-learn on the diabetes data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from regularization_report.data.bundled import load_bundled_frame
from regularization_report.linear.penalties import soft_threshold
from regularization_report.linear.regularization_paths import standardize
from regularization_report.linear.torch_linear import (
    compare_with_sklearn,
    fit_torch_linear,
    sklearn_reference,
    soft_threshold_,
)

ALPHA = 1.0  # a strength at which scikit-learn's Lasso zeroes some diabetes features


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny tensors: one thread is fastest, and a thread pool on a busy machine is far slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def diabetes() -> tuple[np.ndarray, np.ndarray, list[str]]:
    frame = load_bundled_frame("diabetes")
    X = frame.drop(columns="target")
    return standardize(X.to_numpy()), frame["target"].to_numpy(dtype=float), list(X.columns)


@pytest.fixture(scope="module")
def reference(diabetes):
    X, y, _ = diabetes
    return sklearn_reference(X, y, alpha=ALPHA)


def test_proximal_lasso_matches_sklearn_with_the_same_exact_zeros(diabetes, reference) -> None:
    X, y, _ = diabetes
    sk, sk_intercept = reference["lasso"]
    assert 0 < np.sum(sk == 0) < len(sk)  # the comparison covers zeros and nonzeros
    fit = fit_torch_linear(X, y, method="lasso_proximal", alpha=ALPHA, n_steps=600)
    nonzero = sk != 0
    np.testing.assert_allclose(fit.coef[nonzero], sk[nonzero], rtol=1e-3)
    assert np.array_equal(fit.coef == 0, sk == 0)  # exactly 0.0 where scikit-learn has 0.0
    assert fit.intercept == pytest.approx(sk_intercept, rel=1e-6)


def test_subgradient_lasso_gets_close_but_never_exactly_zero(diabetes, reference) -> None:
    X, y, _ = diabetes
    sk, _ = reference["lasso"]
    fit = fit_torch_linear(X, y, method="lasso_subgradient", alpha=ALPHA, n_steps=600)
    assert not np.any(fit.coef == 0)
    # it does descend: the objective ends within a few percent of the optimum ...
    r = y - X @ sk - reference["lasso"][1]
    best = r @ r / (2 * len(y)) + ALPHA * np.abs(sk).sum()
    assert fit.history["objective"].iloc[-1] < 1.05 * best
    # ... and the large coefficients are close, the zero ones small but not zero
    big = np.abs(sk) > 5
    np.testing.assert_allclose(fit.coef[big], sk[big], rtol=0.1)


def test_ridge_in_torch_matches_sklearn_despite_the_missing_one_over_n(diabetes, reference):
    """scikit-learn's Ridge has no 1/(2n): the PyTorch loss uses alpha / (2n) to match it."""
    X, y, _ = diabetes
    sk, sk_intercept = reference["ridge"]
    fit = fit_torch_linear(X, y, method="ridge", alpha=ALPHA, n_steps=600, momentum=0.9)
    np.testing.assert_allclose(fit.coef, sk, rtol=1e-6)
    assert fit.intercept == pytest.approx(sk_intercept, rel=1e-9)
    # with the penalty at alpha (no 1/(2n)) PyTorch would solve a different problem
    wrong = fit_torch_linear(
        X, y, method="ridge", alpha=ALPHA * 2 * len(y), n_steps=600, momentum=0.9
    )
    assert np.max(np.abs(wrong.coef - sk) / np.abs(sk)) > 0.1


def test_compare_with_sklearn_table_and_values(diabetes) -> None:
    X, y, features = diabetes
    table, history, values = compare_with_sklearn(
        X, y, features, alpha=ALPHA, n_steps=600, ridge_momentum=0.9
    )
    assert list(table.columns) == [
        "feature",
        "sklearn_lasso",
        "torch_lasso_proximal",
        "torch_lasso_subgradient",
        "sklearn_ridge",
        "torch_ridge",
    ]
    assert values["zeros_agree"] and values["max_relative_diff_proximal"] < 1e-3
    assert values["n_zero_subgradient"] == 0 < values["n_zero_sklearn"]
    assert set(history["method"]) == {"lasso_subgradient", "lasso_proximal", "ridge"}


def test_soft_threshold_in_torch_and_numpy_agree() -> None:
    z = np.array([-3.0, -0.5, 0.0, 0.2, 0.5, 2.0])
    w = torch.tensor(z)
    soft_threshold_(w, 0.5)
    np.testing.assert_array_equal(w.numpy(), soft_threshold(z, 0.5))
    np.testing.assert_array_equal(soft_threshold(z, 0.5), [-2.5, 0.0, 0.0, 0.0, 0.0, 1.5])


def test_momentum_is_refused_for_the_lasso(diabetes) -> None:
    X, y, _ = diabetes
    with pytest.raises(ValueError, match="momentum is only used for ridge"):
        fit_torch_linear(X, y, method="lasso_proximal", alpha=ALPHA, n_steps=1, momentum=0.9)
