"""Config resolution of the neural-network runs, and the aggregation helpers."""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from regularization_report.nn import spec as nn_spec
from regularization_report.nn.models import MLPConfig
from regularization_report.nn.summary import comparison_table, mean_ci
from regularization_report.nn.training import TrainConfig

REPO = Path(__file__).resolve().parents[1]


def _nn(profile: str = "config") -> dict:
    nn = yaml.safe_load((REPO / "config/config.yaml").read_text())["nn"]
    if profile == "test":
        from snakemake.utils import update_config

        update_config(nn, yaml.safe_load((REPO / "config/test.yaml").read_text())["nn"])
    return nn


def test_config_keys_match_the_dataclasses() -> None:
    assert set(nn_spec.TRAIN_KEYS) == {f.name for f in dataclasses.fields(TrainConfig)}
    fields = {f.name for f in dataclasses.fields(MLPConfig)}
    assert set(nn_spec.MODEL_KEYS) == fields - {"in_features", "out_features"}


def test_layers_override_in_order() -> None:
    nn = _nn()
    spec = nn_spec.run_spec(nn, "batchnorm", "batch_norm")
    assert spec["model"]["hidden"] == [100, 100, 100]  # experiment over nn.model
    assert spec["model"]["batch_norm"] is True  # variant over experiment
    assert spec["model"]["dropout"] == nn["model"]["dropout"]  # nn.model default kept
    assert spec["train"]["optimizer"] == "sgd"
    assert spec["seeds"] == nn["seeds"]
    # Every resolved spec builds valid dataclasses.
    for _, experiment, variant in nn_spec.runs(nn):
        spec = nn_spec.run_spec(nn, experiment, variant)
        TrainConfig.from_dict(spec["train"])
        MLPConfig(in_features=4, out_features=2, **spec["model"])


def test_default_profile_has_at_least_five_seeds_and_test_profile_few() -> None:
    assert len(_nn()["seeds"]) >= 5
    test = _nn("test")
    assert 1 <= len(test["seeds"]) <= 2
    assert test["max_epochs"] <= 5
    for _, experiment, variant in nn_spec.runs(test):
        assert nn_spec.run_spec(test, experiment, variant)["train"]["epochs"] <= 5


def test_learning_rate_grid_makes_one_variant_per_rate() -> None:
    nn = _nn()
    names = nn_spec.variants(nn, "lr_sweep")
    lrs = nn["experiments"]["lr_sweep"]["lrs"]
    assert len(names) == 2 * len(lrs)
    assert names[nn_spec.lr_variant("plain", lrs[0])]["train"]["lr"] == lrs[0]


def test_only_restricts_variants_and_names_a_typo() -> None:
    nn = copy.deepcopy(_nn())
    nn["experiments"]["dropout"]["only"] = ["rate0.0"]
    assert list(nn_spec.variants(nn, "dropout")) == ["rate0.0"]
    nn["experiments"]["dropout"]["only"] = ["rate0.05"]
    with pytest.raises(ValueError, match=r"rate0\.05"):
        nn_spec.variants(nn, "dropout")


def test_comparison_rows_must_name_trained_runs() -> None:
    nn = copy.deepcopy(_nn())
    assert nn_spec.comparison_rows(nn)[0]["label"] == "none"
    nn["comparison_table"]["rows"].append({"regularizer": "maxnorm", "run": "dropout/rate0.9"})
    with pytest.raises(ValueError, match="maxnorm"):
        nn_spec.comparison_rows(nn)


def test_mean_ci_is_a_student_t_interval() -> None:
    ci = mean_ci([1.0, 2.0, 3.0, float("nan")])
    assert ci["n"] == 3 and ci["mean"] == 2.0
    # t(0.975, 2) = 4.303; sd = 1; half width 4.303 / sqrt(3)
    assert ci["high"] - ci["mean"] == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)
    assert math.isnan(mean_ci([5.0])["low"]) and mean_ci([])["n"] == 0


def _test_rows(variant: str, experiment: str, correct: list[list[int]]) -> pd.DataFrame:
    """Test rows of one variant: one list of 0/1 per seed, row losses 0.5 where wrong."""
    frames = []
    for seed, row_correct in enumerate(correct):
        frames.append(
            pd.DataFrame(
                {
                    "dataset": "d",
                    "experiment": experiment,
                    "variant": variant,
                    "seed": seed,
                    "row": range(len(row_correct)),
                    "correct": row_correct,
                    "loss": [0.1 if c else 0.5 for c in row_correct],
                    "train_loss": 0.05,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_comparison_table_reads_the_named_runs_and_pairs_them() -> None:
    summary = pd.DataFrame(
        {
            "dataset": ["d"] * 4,
            "experiment": ["dropout", "dropout", "comparison", "comparison"],
            "variant": ["rate0.0", "rate0.0", "l2", "l2"],
            "seed": [0, 1, 0, 1],
            "final_epoch": [10] * 4,
            "patience": [0, 0, 0, 0],
            "diverged": [False] * 4,
        }
    )
    n = 40
    base = [[1] * 30 + [0] * 10, [1] * 28 + [0] * 12]
    better = [[1] * 38 + [0] * 2, [1] * 39 + [0] * 1]  # right wherever the baseline is, and more
    rows_frame = pd.concat(
        [_test_rows("rate0.0", "dropout", base), _test_rows("l2", "comparison", better)]
    )
    rows = [
        {"label": "none", "experiment": "dropout", "variant": "rate0.0"},
        {"label": "l2", "experiment": "comparison", "variant": "l2"},
    ]
    table = comparison_table(summary, rows_frame, rows, ["d"], resamples=500)
    assert list(table["regularizer"]) == ["none", "l2"]
    assert table["test_acc_mean"].tolist() == pytest.approx([58 / (2 * n), 77 / (2 * n)])
    l2 = table.iloc[1]
    assert l2["acc_diff_mean"] == pytest.approx((77 - 58) / (2 * n))
    assert l2["acc_differs"] and l2["acc_diff_low"] > 0
    assert l2["gap_differs"] and l2["gap_diff_high"] < 0
    assert table["n_seeds"].tolist() == [2, 2] and l2["n_test_rows"] == n
    assert l2["chosen_on"] == "nothing (fixed epochs)" and l2["scored_on"] == "test"


def test_bootstrap_over_seeds_and_rows() -> None:
    from regularization_report.nn.summary import bootstrap_seeds_rows

    rng = np.random.default_rng(0)
    # No difference: the interval covers zero and nothing "differs".
    noise = rng.normal(0, 1, size=(5, 200))
    found = bootstrap_seeds_rows(noise - noise.mean())
    assert found["low"] < 0 < found["high"] and found["p_two_sided"] > 0.05
    # Rows add width: with identical seeds the interval is not zero-width.
    same_seeds = np.tile(rng.integers(0, 2, size=200), (5, 1)).astype(float)
    found = bootstrap_seeds_rows(same_seeds)
    assert found["high"] - found["low"] > 0.05
    # Seeds add width too: seed offsets widen the interval.
    offsets = same_seeds + np.linspace(-0.2, 0.2, 5)[:, None]
    assert bootstrap_seeds_rows(offsets)["high"] - bootstrap_seeds_rows(offsets)["low"] > (
        found["high"] - found["low"]
    )


def test_prose_formats_values_and_tolerates_missing_paths() -> None:
    from regularization_report.nn.summary import Prose

    prose = Prose({"a": {"b": {"mean": 0.12345, "low": 0.1, "high": 0.15}}, "n": 5, "xs": [1, 2]})
    assert prose.num("a", "b") == "0.123"
    assert prose.ci("a", "b", digits=2) == "0.12 (95% interval 0.10 to 0.15)"
    assert prose.pct("a", "b") == "12.3%"
    assert prose.num("n") == "5" and prose.get("xs", 1) == 2
    assert prose.num("a", "missing") == "n/a" and prose.ci("nothing") == "n/a"
    assert prose.join([0.1, 1, 10]) == "0.1, 1 and 10" and prose.join([]) == "none"
    assert prose.join([0.1, 1], digits=2) == "0.10 and 1"
    assert prose.g("n") == "5" and prose.sci("a", "b") == "1.2e-01"
    assert prose.label("breast_cancer") == "breast cancer" and prose.label("adamw") == "AdamW"
