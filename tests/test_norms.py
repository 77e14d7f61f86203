"""D: vector and matrix norms by hand agree with numpy and torch (the course's examples too)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from regularization_report.linear.norms import (
    lp_norm,
    matrix_norm_by_hand,
    matrix_norm_table,
    norms_values,
    singular_values_by_hand,
    vector_norm_table,
)

COURSE_X = [1, 10, 1, 1, 1]
COURSE_A = [[1, 2, 3], [1, 2, 3], [4, 6, 8]]


def test_course_vector_by_definition() -> None:
    assert lp_norm(COURSE_X, 1) == 14
    assert lp_norm(COURSE_X, 2) == pytest.approx(math.sqrt(104))
    assert lp_norm(COURSE_X, 5) == pytest.approx((4 + 10**5) ** 0.2)
    assert lp_norm(COURSE_X, math.inf) == 10
    # the large entry dominates more as p grows: ||x||_p falls towards max |x_i|
    norms = [lp_norm(COURSE_X, p) for p in (1, 2, 5, 20, math.inf)]
    assert norms == sorted(norms, reverse=True)


@pytest.mark.parametrize("p", [1, 1.5, 2, 3, 5, math.inf])
def test_vector_norms_agree_with_numpy_and_torch(p: float) -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = rng.normal(size=7)
        expected = np.linalg.norm(x, ord=p)
        assert lp_norm(x, p) == pytest.approx(expected, rel=1e-12)
        assert float(torch.linalg.vector_norm(torch.tensor(x), ord=p)) == pytest.approx(expected)


def test_p_below_one_breaks_the_triangle_inequality() -> None:
    a, b = [1.0, 0.0], [0.0, 1.0]
    total = [1.0, 1.0]
    assert lp_norm(total, 0.5) > lp_norm(a, 0.5) + lp_norm(b, 0.5)  # not a norm
    assert lp_norm(total, 1) <= lp_norm(a, 1) + lp_norm(b, 1)


def test_singular_values_by_hand_match_numpy_also_when_rank_deficient() -> None:
    rng = np.random.default_rng(0)
    for shape in ((2, 2), (3, 5), (6, 4), (8, 8)):
        a = rng.normal(size=shape)
        np.testing.assert_allclose(
            singular_values_by_hand(a.tolist()), np.linalg.svd(a)[1], rtol=1e-12, atol=1e-12
        )
    low_rank = rng.normal(size=(6, 2)) @ rng.normal(size=(2, 5))  # rank 2
    singular = singular_values_by_hand(low_rank.tolist())
    np.testing.assert_allclose(singular, np.linalg.svd(low_rank)[1], atol=1e-12)
    assert max(singular[2:]) < 1e-12


def test_course_matrix_norms_by_hand() -> None:
    assert matrix_norm_by_hand(COURSE_A, "frobenius") == 12.0  # sqrt(144)
    assert matrix_norm_by_hand(COURSE_A, "one") == 14.0  # column 3: 3 + 3 + 8
    assert matrix_norm_by_hand(COURSE_A, "inf") == 18.0  # row 3: 4 + 6 + 8
    singular = singular_values_by_hand(COURSE_A)
    np.testing.assert_allclose(singular, np.linalg.svd(np.array(COURSE_A, float))[1], atol=1e-12)
    assert singular[-1] == pytest.approx(0.0, abs=1e-12)  # rows 1 and 2 are equal: rank 2
    # Frobenius^2 is the sum of squared singular values
    assert sum(s * s for s in singular) == pytest.approx(144.0)


def test_tables_agree_across_the_three_methods() -> None:
    vectors = vector_norm_table(COURSE_X, [1, 2, 5, math.inf])
    matrices = matrix_norm_table(COURSE_A)
    assert list(vectors.columns) == ["p", "by_hand", "numpy", "torch"]
    assert vectors["p"].tolist() == ["1", "2", "5", "inf"]
    assert list(matrices["norm"]) == ["frobenius", "one", "inf", "spectral", "nuclear"]
    for table in (vectors, matrices):
        for column in ("numpy", "torch"):
            np.testing.assert_allclose(table[column], table["by_hand"], rtol=1e-12)
    values = norms_values(vectors, matrices, COURSE_X, 5, COURSE_A)
    assert values["rank"] == 2 and values["max_disagreement"] < 1e-12
    assert values["vector"]["5"] == pytest.approx(lp_norm(COURSE_X, 5))


def test_random_matrix_norms_agree_with_numpy() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 6))
    for norm, ord_ in (
        ("frobenius", "fro"),
        ("one", 1),
        ("inf", np.inf),
        ("spectral", 2),
        ("nuclear", "nuc"),
    ):
        assert matrix_norm_by_hand(a.tolist(), norm) == pytest.approx(
            np.linalg.norm(a, ord=ord_), rel=1e-10
        )
    with pytest.raises(ValueError, match="unknown matrix norm"):
        matrix_norm_by_hand(a.tolist(), "max")
