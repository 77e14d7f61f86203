"""The loop of the linear part's jobs (regularization_report.linear.experiments)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from regularization_report.linear.experiments import EXPERIMENTS, run_all, split_names


def test_split_names_groups_files_by_run() -> None:
    nested = split_names(
        {"wine__metrics": "a.csv", "wine__values": "a.json", "penalty_paths_wine__paths": "b.csv"}
    )
    assert nested == {
        "wine": {"metrics": "a.csv", "values": "a.json"},
        "penalty_paths_wine": {"paths": "b.csv"},
    }
    for bad in ("metrics", "wine__"):
        with pytest.raises(ValueError, match="is not '<job>__<name>'"):
            split_names({bad: "a.csv"})


def test_run_all_calls_each_run_in_order_with_its_own_files_and_params() -> None:
    calls = []

    def record(inputs, params, outputs):
        calls.append((dict(inputs), dict(params), dict(outputs)))

    seconds = run_all(
        {
            "second": {"kind": "record", "params": {"k": 2}},
            "first": {"kind": "record", "params": {"k": 1}},
        },
        {"first__data": "in.csv"},
        {"first__table": "out1.csv", "second__table": "out2.csv"},
        registry={"record": record},
    )
    assert list(seconds) == ["second", "first"] and all(s >= 0 for s in seconds.values())
    assert calls == [
        ({}, {"k": 2}, {"table": "out2.csv"}),
        ({"data": "in.csv"}, {"k": 1}, {"table": "out1.csv"}),
    ]


def test_run_all_refuses_files_of_unknown_runs_and_unknown_kinds() -> None:
    with pytest.raises(ValueError, match=r"not configured: \['ghost'\]"):
        run_all({}, {}, {"ghost__table": "x.csv"}, registry={})
    with pytest.raises(ValueError, match="unknown kind 'nope'"):
        run_all({"a": {"kind": "nope", "params": {}}}, {}, {}, registry={})


def test_a_real_experiment_writes_its_files(tmp_path: Path) -> None:
    """lp_norms on the course's vector and matrix: the rule's files, by name."""
    outputs = {
        f"norms__{name}": str(tmp_path / file)
        for name, file in {
            "vector_norms": "vector.csv",
            "matrix_norms": "matrix.csv",
            "values": "values.json",
        }.items()
    }
    params = {
        "vector": [1, 10, 1, 1, 1],
        "ps": [1, 2, 5, float("inf")],
        "course_p": 5,
        "matrix": [[1, 2, 3], [1, 2, 3], [4, 6, 8]],
    }
    run_all({"norms": {"kind": "lp_norms", "params": params}}, {}, outputs)
    vectors = pd.read_csv(tmp_path / "vector.csv")
    assert len(vectors) == 4
    assert json.loads((tmp_path / "values.json").read_text())["max_disagreement"] < 1e-9
    assert (tmp_path / "matrix.csv").stat().st_size > 0


def test_every_linear_rule_run_kind_exists() -> None:
    """The kinds workflow/rules/linear.smk names are the functions of EXPERIMENTS."""
    rules = (Path(__file__).parents[1] / "workflow/rules/linear.smk").read_text()
    kinds = set(re.findall(r'experiment\(\s*"(\w+)"', rules)) | {"figure"}
    assert kinds and kinds <= set(EXPERIMENTS), sorted(kinds - set(EXPERIMENTS))
