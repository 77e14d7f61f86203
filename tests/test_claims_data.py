"""Selection discipline and the batch-norm eval-mode fix, checked on a real test-profile run.

Each check recomputes a reported value from the lower-level files the
workflow wrote (analyses, per-row test results, metric grids), so a value
computed from the wrong rows or chosen on the wrong split fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def values(test_run: Path) -> dict:
    return json.loads((test_run / "results/report_values.json").read_text())


def test_batchnorm_eval_mode_uses_the_bn_network_only(test_run: Path, values: dict) -> None:
    analyses = pd.read_csv(test_run / "results/nn/analyses.csv")
    rows = analyses[
        (analyses["experiment"] == "batchnorm")
        & (analyses["analysis"] == "batch_size_eval")
        & (analyses["quantity"] == "eval_acc")
    ]
    assert set(rows["variant"]) == {"plain", "batch_norm"}  # both record eval accuracy
    for dataset, group in rows.groupby("dataset"):
        reported = values["nn"]["batchnorm"][dataset]["batch_size_eval"]["eval_acc"]["mean"]
        bn_only = group[group["variant"] == "batch_norm"]["value"].mean()
        assert reported == pytest.approx(bn_only)
        summary = pd.read_csv(test_run / "results/nn/summary.csv")
        bn = summary[(summary["experiment"] == "batchnorm") & (summary["variant"] == "batch_norm")]
        # The eval-mode pass is the BN network's own final validation accuracy.
        assert reported == pytest.approx(bn[bn["dataset"] == dataset]["final_val_acc"].mean())


def test_comparison_is_scored_on_test_rows_and_paired(test_run: Path, values: dict) -> None:
    table = pd.read_csv(test_run / "results/tables/nn_comparison.csv")
    summary = pd.read_csv(test_run / "results/nn/summary.csv")
    rows = pd.read_csv(test_run / "results/nn/test_rows.csv")
    assert set(table["scored_on"]) == {"test"}
    early = table[table["regularizer"] == "early_stopping"]
    assert set(early["chosen_on"]) == {"epoch (validation loss)"}
    for row in table.itertuples():
        runs = summary[
            (summary["experiment"] == row.experiment) & (summary["variant"] == row.variant)
        ]
        runs = runs[runs["dataset"] == row.dataset]
        # Per-row test results reproduce each run's test accuracy.
        assert row.test_acc_mean == pytest.approx(runs["test_acc"].mean())
        mine = rows[(rows["experiment"] == row.experiment) & (rows["variant"] == row.variant)]
        assert len(mine) == row.n_test_rows * row.n_seeds
    base = table.iloc[0]
    for row in table.iloc[1:].itertuples():
        assert row.acc_diff_mean == pytest.approx(row.test_acc_mean - base["test_acc_mean"])
        assert row.acc_diff_low <= row.acc_diff_mean <= row.acc_diff_high
        entry = values["nn"]["comparison"][row.dataset][row.regularizer]["acc_diff"]
        assert entry["differs"] == (row.acc_diff_low > 0 or row.acc_diff_high < 0)


def test_logistic_c_is_chosen_on_validation_rows(test_run: Path, values: dict) -> None:
    metrics = pd.read_csv(test_run / "results/linear/logistic_l1_l2/metrics.csv")
    for (dataset, penalty), rows in metrics.groupby(["dataset", "penalty"]):
        rows = rows.sort_values("C")
        chosen = rows.loc[rows["val_accuracy"].idxmax()]
        entry = values["logistic_l1_l2"][dataset][penalty]
        assert entry["chosen_c"] == pytest.approx(chosen["C"])
        assert entry["test_accuracy_at_chosen"] == pytest.approx(chosen["test_accuracy"])
        # With the intercept nearly unpenalized, no C falls below the majority rate.
        assert rows["test_accuracy"].min() >= rows["majority_rate"].iloc[0] - 1e-9


def test_explorer_alpha_is_chosen_on_validation_rows(test_run: Path, values: dict) -> None:
    errors = pd.read_csv(test_run / "results/linear/alpha_explorer/errors.csv")
    for model, rows in errors.groupby("model"):
        chosen = rows.loc[rows["val_mse"].idxmin()]
        entry = values["alpha_explorer"][model]
        assert entry["chosen_alpha"] == pytest.approx(chosen["alpha"])
        assert entry["test_mse_at_chosen"] == pytest.approx(chosen["test_mse"])
        at_edge = chosen["alpha"] in (rows["alpha"].min(), rows["alpha"].max())
        assert entry["chosen_at_grid_edge"] == at_edge
