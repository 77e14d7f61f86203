"""The linear part of the workflow on the test config: contract files, figures, explorer page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regularization_report.linear.regularization_paths import interpolate_path

pytestmark = pytest.mark.workflow

LINEAR_FIGURES = [
    "fig-wine-coefficients",
    "fig-iris-scaling",
    "fig-regularization-paths",
    "fig-alpha-selection",
    "fig-sparsity-vs-alpha",
    "fig-constraint-geometry",
    "fig-lp-unit-balls",
    "fig-correlated-features",
    "fig-logistic-sparsity",
    "fig-digits-coefficients",
    "fig-torch-vs-sklearn",
    "fig-alpha-explorer",
]


def test_diabetes_contract_files(test_run: Path) -> None:
    path = pd.read_csv(test_run / "results/linear/diabetes/lasso_path.csv")
    assert list(path.columns) == ["alpha", "feature", "coef"]
    assert path["feature"].nunique() == 10
    assert path["alpha"].min() == 0.0  # the path runs down to least squares
    top = path[path["alpha"] == path["alpha"].max()]
    assert (top["coef"] == 0).all()  # and starts where every coefficient is zero
    order = pd.read_csv(test_run / "results/linear/diabetes/entry_order.csv")
    assert list(order.columns) == ["step", "feature", "alpha", "action"]
    assert set(order["action"]) <= {"enter", "leave"}
    entered = order[order["action"] == "enter"].drop_duplicates("feature")
    assert set(entered["feature"]) == set(path["feature"])
    # the first feature to enter is the only nonzero one just below the first breakpoint
    alphas = np.sort(path["alpha"].unique())[::-1]
    just_below = interpolate_path(path, (alphas[0] + alphas[1]) / 2).drop(columns="alpha")
    assert list(just_below.columns[(just_below != 0).iloc[0]]) == [order["feature"].iloc[0]]


def test_wine_contract_files_and_scales(test_run: Path) -> None:
    metrics = pd.read_csv(test_run / "results/linear/wine_course/metrics.csv")
    assert set(metrics["features"]) == {"raw", "standardized"}
    scales = pd.read_csv(test_run / "results/tables/wine_feature_scales.csv")
    values = json.loads((test_run / "results/report_values.json").read_text())["wine_course"]
    assert values["scales"]["largest_sd_feature"] == scales["feature"].iloc[0]
    kept = set(scales.loc[scales["lasso_coef_raw"] != 0, "feature"])
    assert set(values["scales"]["lasso_kept_raw"]) == kept
    assert len(kept) == values["raw"]["lasso"]["n_nonzero"]


def test_linear_figures_are_written_indexed_and_the_explorer_is_offline(test_run: Path) -> None:
    index = pd.read_csv(test_run / "report/figures/index.csv", keep_default_na=False)
    indexed = index.set_index("id")
    for fig_id in LINEAR_FIGURES:
        assert fig_id in indexed.index, fig_id
        assert indexed.loc[fig_id, "caption"].strip(), fig_id
        assert (test_run / indexed.loc[fig_id, "script"]).is_file()
        for ext in (".png", ".svg", ".pdf"):
            assert (test_run / "report/figures" / f"{fig_id}{ext}").stat().st_size > 1000
    page = (test_run / "report/figures/fig-alpha-explorer.html").read_text(encoding="utf-8")
    assert 'id="alpha-explorer"' in page and "<script src=" not in page


def test_every_linear_value_file_is_merged(test_run: Path) -> None:
    values = json.loads((test_run / "results/report_values.json").read_text())
    for part in (
        "iris_normalization",
        "penalty_paths_wine",
        "penalty_paths_diabetes",
        "diabetes_lasso",
        "constraint_geometry",
        "correlated_features",
        "logistic_l1_l2",
        "torch_linear",
        "alpha_explorer",
        "lp_norms",
    ):
        assert part in values, part
    assert values["torch_linear"]["zeros_agree"] is True
    assert values["lp_norms"]["max_disagreement"] < 1e-9
