"""The data layer on the real bundled datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regularization_report.data.bundled import (
    BUNDLED,
    export_bundled,
    load_bundled_frame,
    load_split,
    process_bundled,
    read_raw,
)
from regularization_report.files import read_json, sha256_file


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_export_round_trips_exactly(tmp_path: Path, name: str) -> None:
    manifest = export_bundled(name, tmp_path / name)
    X, y = read_raw(tmp_path / name)
    original = load_bundled_frame(name)
    # Full precision: the raw layer must equal scikit-learn's arrays bit for bit.
    np.testing.assert_array_equal(X.to_numpy(), original.drop(columns="target").to_numpy())
    np.testing.assert_array_equal(y.to_numpy(), original["target"].to_numpy())
    assert manifest["files"][0]["sha256"] == sha256_file(tmp_path / name / "data.csv")
    assert read_json(tmp_path / name / "manifest.json") == manifest
    assert manifest["n_rows"] == len(original)


def test_tampered_raw_file_is_refused(tmp_path: Path) -> None:
    export_bundled("iris", tmp_path)
    with (tmp_path / "data.csv").open("a") as handle:
        handle.write("1,1,1,1,0\n")
    with pytest.raises(ValueError, match="does not match its manifest"):
        read_raw(tmp_path)


def test_unknown_dataset_names_the_choices() -> None:
    with pytest.raises(ValueError, match="breast_cancer"):
        export_bundled("mnist", "unused")


@pytest.mark.parametrize(("name", "task"), [("wine", "classification"), ("diabetes", "regression")])
def test_split_is_seeded_disjoint_and_stratified(tmp_path: Path, name: str, task: str) -> None:
    export_bundled(name, tmp_path / "raw")
    kwargs = {"task": task, "test_size": 0.2, "val_size": 0.2, "seed": 7}
    process_bundled(tmp_path / "raw", tmp_path / "a.npz", **kwargs)
    process_bundled(tmp_path / "raw", tmp_path / "b.npz", **kwargs)
    assert sha256_file(tmp_path / "a.npz") == sha256_file(tmp_path / "b.npz")
    split = load_split(tmp_path / "a.npz")
    X, y = read_raw(tmp_path / "raw")
    n = len(X)
    assert len(split.y_train) + len(split.y_val) + len(split.y_test) == n
    assert len(split.y_test) == pytest.approx(0.2 * n, abs=1)
    assert len(split.y_val) == pytest.approx(0.2 * n, abs=2)
    rows = [tuple(r) for part in (split.X_train, split.X_val, split.X_test) for r in part]
    assert len(set(rows)) == len(set(map(tuple, X.to_numpy(dtype=np.float32))))
    assert split.task == task
    assert split.feature_names == list(X.columns)
    if task == "classification":
        overall = pd.Series(y).value_counts(normalize=True).sort_index()
        for labels in (split.y_train, split.y_val, split.y_test):
            share = pd.Series(labels).value_counts(normalize=True).sort_index()
            assert (share - overall).abs().max() < 0.05
    other = process_bundled(tmp_path / "raw", tmp_path / "c.npz", **{**kwargs, "seed": 8})
    assert not np.array_equal(other["y_test"], split.y_test)


def test_split_rejects_impossible_fractions(tmp_path: Path) -> None:
    export_bundled("iris", tmp_path / "raw")
    with pytest.raises(ValueError, match="test_size \\+ val_size"):
        process_bundled(
            tmp_path / "raw",
            tmp_path / "x.npz",
            task="classification",
            test_size=0.5,
            val_size=0.5,
            seed=0,
        )
