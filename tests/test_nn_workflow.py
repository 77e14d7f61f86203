"""The neural-network part of the workflow on the test profile: contracts and behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from snakemake.utils import update_config

from regularization_report.nn import spec as nn_spec
from regularization_report.nn.analyses import run_variant
from regularization_report.nn.training import set_deterministic

REPO = Path(__file__).resolve().parents[1]
HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "train_acc", "val_acc"]
NN_FIGURES = [
    "fig-dropout-curves",
    "fig-dropout-gap",
    "fig-dropout-mc",
    "fig-dropout-sparsity",
    "fig-batchnorm-accuracy",
    "fig-batchnorm-percentiles",
    "fig-batchnorm-lr-sweep",
    "fig-batchnorm-batch-size",
    "fig-norms-training",
    "fig-penalties-equivalence",
    "fig-penalties-l1-histogram",
    "fig-comparison",
    "fig-basics-loss-fits",
    "fig-basics-optimizers",
    "fig-basics-activations",
    "fig-basics-perceptron",
]


def _test_nn() -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "config/test.yaml").read_text()))
    return config["nn"]


@pytest.mark.workflow
def test_every_run_wrote_its_history_and_summary_row(test_run: Path) -> None:
    nn = _test_nn()
    summary = pd.read_csv(test_run / "results/nn/summary.csv")
    assert list(summary.columns[:4]) == ["dataset", "experiment", "variant", "seed"]
    for column in ("final_val_acc", "best_val_acc", "best_epoch", "diverged", "diverged_epoch"):
        assert column in summary.columns
    expected = {(d, e, v, s) for d, e, v in nn_spec.runs(nn) for s in nn["seeds"]}
    found = set(summary[["dataset", "experiment", "variant", "seed"]].itertuples(index=False))
    assert found == expected
    for dataset, experiment, variant, seed in expected:
        run = test_run / nn_spec.run_dir(dataset, experiment, variant, seed)
        history = pd.read_csv(run / "history.csv")
        assert list(history.columns[:5]) == HISTORY_COLUMNS
        assert history["epoch"].iloc[0] == 0
        record = json.loads((run / "run.json").read_text())
        assert record["epochs_run"] == history["epoch"].iloc[-1]
        assert (run / "model.pt").stat().st_size > 0


@pytest.mark.workflow
def test_forced_divergence_is_a_result_not_a_crash(test_run: Path) -> None:
    summary = pd.read_csv(test_run / "results/nn/summary.csv")
    row = summary[(summary["experiment"] == "norms") & (summary["variant"] == "forced_divergence")]
    assert len(row) == 1
    row = row.iloc[0]
    assert bool(row["diverged"]) and row["status"] == "diverged"
    assert 1 <= row["diverged_epoch"] <= _test_nn()["max_epochs"]
    history = pd.read_csv(
        test_run
        / nn_spec.run_dir(row["dataset"], "norms", "forced_divergence", row["seed"])
        / "history.csv"
    )
    assert history["epoch"].iloc[-1] == row["diverged_epoch"]
    # The other runs trained normally, and the report values count the divergence.
    assert not summary.drop(row.name)["diverged"].astype(bool).any()
    values = json.loads((test_run / "results/report_values.json").read_text())
    assert values["nn"]["n_diverged"] == 1


@pytest.mark.workflow
def test_jobs_use_the_configured_threads(test_run: Path) -> None:
    summary = pd.read_csv(test_run / "results/nn/summary.csv")
    assert set(summary["threads"]) == {_test_nn()["threads"]}
    assert set(summary["device"]) == {"cpu"}


@pytest.mark.workflow
def test_nn_figures_and_values_are_published(test_run: Path) -> None:
    index = pd.read_csv(test_run / "report/figures/index.csv")
    assert set(NN_FIGURES) <= set(index["id"])
    for fig_id in NN_FIGURES:
        for ext in (".png", ".svg", ".pdf"):
            assert (test_run / "report/figures" / f"{fig_id}{ext}").stat().st_size > 1000
    values = json.loads((test_run / "results/report_values.json").read_text())
    assert values["basics"]["save_load"]["identical_predictions"] is True
    assert values["nn"]["n_seeds"] == len(_test_nn()["seeds"])
    table = pd.read_csv(test_run / "results/tables/nn_comparison.csv")
    labels = [r["regularizer"] for r in _test_nn()["comparison_table"]["rows"]]
    assert table["regularizer"].tolist() == labels


def test_a_training_job_gives_byte_identical_files_twice(tmp_path: Path) -> None:
    from regularization_report.data.bundled import export_bundled, process_bundled

    export_bundled("breast_cancer", tmp_path / "raw")
    npz = tmp_path / "breast_cancer.npz"
    process_bundled(
        tmp_path / "raw", npz, task="classification", test_size=0.2, val_size=0.2, seed=101
    )
    spec = nn_spec.run_spec(_test_nn(), "batchnorm", "batch_norm")
    spec["seeds"] = [3]
    names = ("history.csv", "steps.csv", "model.pt", "run.json")
    outputs = []
    try:
        # The third run asks for deterministic kernels: on the CPU it changes nothing
        # but the record of the switch.
        for attempt, deterministic in (("first", False), ("second", False), ("third", True)):
            run_variant(
                npz,
                spec,
                dataset="breast_cancer",
                experiment="batchnorm",
                variant="batch_norm",
                out_root=tmp_path / attempt,
                deterministic=deterministic,
            )
            assert torch.are_deterministic_algorithms_enabled() is deterministic
            run = (
                tmp_path / attempt / nn_spec.run_dir("breast_cancer", "batchnorm", "batch_norm", 3)
            )
            outputs.append([(run / name).read_bytes() for name in names])
    finally:
        set_deterministic(False)
    assert outputs[0] == outputs[1]
    assert outputs[2][:3] == outputs[0][:3]
    assert json.loads(outputs[2][3])["deterministic"] is True
    assert json.loads(outputs[0][3])["deterministic"] is False
    first = tmp_path / "first" / nn_spec.run_dir("breast_cancer", "batchnorm", "batch_norm", 3)
    steps = pd.read_csv(first / "steps.csv")
    assert {"unit_p15", "unit_p50", "unit_p85", "val_acc"} <= set(steps.columns)
