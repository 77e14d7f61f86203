"""Experiment D (first part): vector and matrix norms by hand, by numpy and by torch.

"By hand" means the textbook definition written out in plain Python (loops
over the entries, no numpy): the three columns of every table then agree
because the definitions agree, not because one library calls another.

* ||x||_p = (sum_i |x_i|^p)^(1/p),  ||x||_inf = max_i |x_i|
* Frobenius: sqrt(sum_ij a_ij^2); 1-norm: largest column sum of |a_ij|;
  inf-norm: largest row sum; spectral: largest singular value; nuclear: sum
  of the singular values, found here by one-sided Jacobi rotations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

INF = math.inf
MATRIX_NORMS = ("frobenius", "one", "inf", "spectral", "nuclear")


def lp_norm(x: Sequence[float], p: float) -> float:
    """||x||_p by the definition (for 0 < p < 1 a quasi-norm: not a norm)."""
    if p <= 0:
        raise ValueError(f"p must be positive, got {p}")
    values = [abs(float(v)) for v in x]
    if p == INF:
        return max(values)
    return sum(v**p for v in values) ** (1.0 / p)


def p_label(p: float) -> str:
    """How a p is written in tables and value keys: "1", "2", "5", "inf"."""
    return "inf" if p == INF else f"{p:g}"


def singular_values_by_hand(
    matrix: Sequence[Sequence[float]], max_sweeps: int = 100
) -> list[float]:
    """Singular values, descending, by one-sided Jacobi rotations (Hestenes' method).

    Pairs of columns are rotated until every two are orthogonal; A V then has
    orthogonal columns whose lengths are the singular values. Working on A
    itself (not on A^T A) keeps small singular values accurate. Plain Python.
    """
    rows = [[float(v) for v in row] for row in matrix]
    if len(rows[0]) > len(rows):  # A and A^T have the same singular values
        rows = [list(col) for col in zip(*rows, strict=True)]
    cols = [list(col) for col in zip(*rows, strict=True)]
    n = len(cols)
    for _ in range(max_sweeps):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                a = sum(x * x for x in cols[p])
                b = sum(x * x for x in cols[q])
                g = sum(x * y for x, y in zip(cols[p], cols[q], strict=True))
                if g == 0.0 or abs(g) <= 1e-15 * math.sqrt(a * b):
                    continue
                rotated = True
                zeta = (b - a) / (2.0 * g)
                t = (1.0 if zeta >= 0 else -1.0) / (abs(zeta) + math.sqrt(1.0 + zeta * zeta))
                c = 1.0 / math.sqrt(1.0 + t * t)
                s = c * t
                cols[p], cols[q] = (
                    [c * x - s * y for x, y in zip(cols[p], cols[q], strict=True)],
                    [s * x + c * y for x, y in zip(cols[p], cols[q], strict=True)],
                )
        if not rotated:
            break
    return sorted((math.sqrt(sum(x * x for x in col)) for col in cols), reverse=True)


def matrix_norm_by_hand(matrix: Sequence[Sequence[float]], norm: str) -> float:
    rows = [[float(v) for v in row] for row in matrix]
    if norm == "frobenius":
        return math.sqrt(sum(v * v for row in rows for v in row))
    if norm == "one":
        return max(sum(abs(row[j]) for row in rows) for j in range(len(rows[0])))
    if norm == "inf":
        return max(sum(abs(v) for v in row) for row in rows)
    if norm == "spectral":
        return singular_values_by_hand(rows)[0]
    if norm == "nuclear":
        return sum(singular_values_by_hand(rows))
    raise ValueError(f"unknown matrix norm {norm!r}; choose from {MATRIX_NORMS}")


# numpy.linalg.norm's and torch.linalg.matrix_norm's names for each norm
_NUMPY_ORD = {"frobenius": "fro", "one": 1, "inf": np.inf, "spectral": 2, "nuclear": "nuc"}
_TORCH_ORD = {"frobenius": "fro", "one": 1, "inf": math.inf, "spectral": 2, "nuclear": "nuc"}


def vector_norm_table(x: Sequence[float], ps: Sequence[float]) -> pd.DataFrame:
    """``p, by_hand, numpy, torch`` for each p (float64 throughout)."""
    import torch

    tx = torch.tensor(list(x), dtype=torch.float64)
    rows = []
    for p in ps:
        rows.append(
            {
                "p": p_label(p),
                "by_hand": lp_norm(x, p),
                "numpy": float(np.linalg.norm(np.asarray(x, dtype=float), ord=p)),
                "torch": float(torch.linalg.vector_norm(tx, ord=p)),
            }
        )
    return pd.DataFrame(rows)


def matrix_norm_table(matrix: Sequence[Sequence[float]]) -> pd.DataFrame:
    """``norm, by_hand, numpy, torch`` for the five matrix norms."""
    import torch

    a = np.asarray(matrix, dtype=float)
    ta = torch.tensor(a, dtype=torch.float64)
    return pd.DataFrame(
        [
            {
                "norm": norm,
                "by_hand": matrix_norm_by_hand(matrix, norm),
                "numpy": float(np.linalg.norm(a, ord=_NUMPY_ORD[norm])),
                "torch": float(torch.linalg.matrix_norm(ta, ord=_TORCH_ORD[norm])),
            }
            for norm in MATRIX_NORMS
        ]
    )


def norms_values(
    vectors: pd.DataFrame,
    matrices: pd.DataFrame,
    x: Sequence[float],
    p: float,
    matrix: Sequence[Sequence[float]],
) -> dict:
    """Numbers the norms chapter quotes, plus the largest disagreement between methods."""
    columns = ["by_hand", "numpy", "torch"]
    spread = max(
        float((t[columns].max(axis=1) - t[columns].min(axis=1)).max()) for t in (vectors, matrices)
    )
    singular = singular_values_by_hand(matrix)
    return {
        "x": list(map(float, x)),
        "p": p_label(p),
        "vector": {r.p: float(r.by_hand) for r in vectors.itertuples()},
        "matrix": [list(map(float, row)) for row in matrix],
        "matrix_norms": {str(r.norm): float(r.by_hand) for r in matrices.itertuples()},
        "singular_values": singular,
        "rank": sum(s > 1e-10 * singular[0] for s in singular),
        "max_disagreement": spread,
    }
