"""Datasets: export the scikit-learn bundled sets as plain files, and split them.

Raw layer: ``data/raw/<name>/data.csv`` (feature columns, then ``target``)
plus ``manifest.json`` with its SHA-256, source and licence.
Processed layer: ``data/processed/<name>.npz`` with a fixed, seeded
train/validation/test split that every experiment shares.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regularization_report.files import atomic_path, read_json, sha256_file, write_csv, write_json


@dataclass(frozen=True)
class BundledDataset:
    name: str
    loader: str
    task: str  # "classification" or "regression"
    source: str
    licence: str


BUNDLED = {
    d.name: d
    for d in [
        BundledDataset(
            "iris",
            "load_iris",
            "classification",
            "Fisher (1936), UCI Machine Learning Repository; bundled with scikit-learn",
            "CC BY 4.0",
        ),
        BundledDataset(
            "wine",
            "load_wine",
            "classification",
            "Aeberhard & Forina (1991), UCI Machine Learning Repository; bundled with scikit-learn",
            "CC BY 4.0",
        ),
        BundledDataset(
            "diabetes",
            "load_diabetes",
            "regression",
            "Efron, Hastie, Johnstone & Tibshirani (2004); bundled with scikit-learn",
            "scikit-learn BSD-3-Clause distribution",
        ),
        BundledDataset(
            "breast_cancer",
            "load_breast_cancer",
            "classification",
            "Wolberg, Street & Mangasarian (1995), UCI Machine Learning Repository; "
            "bundled with scikit-learn",
            "CC BY 4.0",
        ),
        BundledDataset(
            "digits",
            "load_digits",
            "classification",
            "Alpaydin & Kaynak (1998), UCI Machine Learning Repository; bundled with scikit-learn",
            "CC BY 4.0",
        ),
    ]
}


def load_bundled_frame(name: str) -> pd.DataFrame:
    """The dataset as one frame: feature columns (scikit-learn's names), then ``target``."""
    try:
        spec = BUNDLED[name]
    except KeyError:
        raise ValueError(
            f"unknown bundled dataset {name!r}; choose from {sorted(BUNDLED)}"
        ) from None
    from sklearn import datasets  # here, not at the top: training jobs read splits only

    bunch = getattr(datasets, spec.loader)(as_frame=True)
    frame = bunch.frame.copy()
    if "target" not in frame.columns:  # pragma: no cover - every loader above sets it
        frame["target"] = bunch.target
    return frame


def export_bundled(name: str, out_dir: str | os.PathLike[str]) -> dict:
    """Write ``data.csv`` and ``manifest.json`` for a bundled dataset; return the manifest."""
    spec = BUNDLED.get(name)
    if spec is None:
        raise ValueError(f"unknown bundled dataset {name!r}; choose from {sorted(BUNDLED)}")
    out_dir = Path(out_dir)
    frame = load_bundled_frame(name)
    csv_path = out_dir / "data.csv"
    # float_format=None keeps full precision: the raw layer must round-trip exactly.
    write_csv(frame, csv_path, float_format=None)
    manifest = {
        "name": name,
        "task": spec.task,
        "source": spec.source,
        "licence": spec.licence,
        "files": [{"name": csv_path.name, "sha256": sha256_file(csv_path)}],
        "n_rows": len(frame),
        "n_features": frame.shape[1] - 1,
    }
    write_json(manifest, out_dir / "manifest.json")
    return manifest


def read_raw(raw_dir: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Read ``data.csv`` of a raw dataset folder, checking it against its manifest."""
    raw_dir = Path(raw_dir)
    csv_path = raw_dir / "data.csv"
    manifest_path = raw_dir / "manifest.json"
    if manifest_path.exists():
        manifest = read_json(manifest_path)
        expected = {f["name"]: f["sha256"] for f in manifest["files"]}.get("data.csv")
        actual = sha256_file(csv_path)
        if expected is not None and expected != actual:
            raise ValueError(
                f"{csv_path} does not match its manifest (expected sha256 {expected}, "
                f"got {actual}); delete {raw_dir} and rerun the workflow to export it again"
            )
    frame = pd.read_csv(csv_path)
    return frame.drop(columns="target"), frame["target"]


@dataclass(frozen=True)
class Split:
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    task: str


def split_dataset(
    X: np.ndarray,
    y: np.ndarray,
    *,
    task: str,
    test_size: float,
    val_size: float,
    seed: int,
) -> dict[str, np.ndarray]:
    """Fixed train/validation/test split; stratified for classification.

    ``test_size`` and ``val_size`` are fractions of all rows.
    """
    if test_size + val_size >= 1:
        raise ValueError(f"test_size + val_size must be < 1, got {test_size} + {val_size}")
    from sklearn.model_selection import train_test_split

    stratify = y if task == "classification" else None
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=stratify
    )
    stratify_rest = y_rest if task == "classification" else None
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest,
        y_rest,
        test_size=val_size / (1 - test_size),
        random_state=seed,
        stratify=stratify_rest,
    )
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_val": X_val,
        "y_val": y_val,
        "X_test": X_test,
        "y_test": y_test,
    }


def process_bundled(
    raw_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    task: str,
    test_size: float,
    val_size: float,
    seed: int,
) -> dict[str, np.ndarray]:
    """Split a raw bundled dataset into ``<name>.npz`` (float32 features)."""
    X, y = read_raw(raw_dir)
    y_values = y.to_numpy()
    y_values = y_values.astype(np.int64 if task == "classification" else np.float32)
    parts = split_dataset(
        X.to_numpy(dtype=np.float32),
        y_values,
        task=task,
        test_size=test_size,
        val_size=val_size,
        seed=seed,
    )
    save_split(parts, out_path, feature_names=list(X.columns), task=task)
    return parts


def save_split(
    parts: dict[str, np.ndarray],
    out_path: str | os.PathLike[str],
    *,
    feature_names: list[str],
    task: str,
) -> None:
    """Write the split with the SHA-256 of its arrays, which :func:`load_split` verifies."""
    arrays = {**parts, "feature_names": np.asarray(feature_names), "task": np.asarray(task)}
    with atomic_path(out_path) as tmp, tmp.open("wb") as handle:
        np.savez(handle, **arrays, sha256=np.asarray(arrays_sha256(arrays)))


def arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the name, dtype, shape and bytes of each array, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def load_split(path: str | os.PathLike[str]) -> Split:
    """Load a processed ``<name>.npz`` written by :func:`save_split`, verifying its SHA-256.

    A truncated, corrupted or stale file raises ``ValueError`` naming the file and
    how to rebuild it.
    """
    hint = (
        f"Delete it (`rm '{path}'`) and rerun the same snakemake command; the workflow "
        "rebuilds it and everything after it."
    )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as error:
        raise ValueError(f"{path} is corrupt or truncated ({error}). {hint}") from error
    stored = str(arrays.pop("sha256", ""))
    if not stored:
        raise ValueError(f"{path} carries no SHA-256 (written by an older version). {hint}")
    if arrays_sha256(arrays) != stored:
        raise ValueError(f"{path}: its arrays do not match their SHA-256. {hint}")
    return Split(
        X_train=arrays["X_train"],
        y_train=arrays["y_train"],
        X_val=arrays["X_val"],
        y_val=arrays["y_val"],
        X_test=arrays["X_test"],
        y_test=arrays["y_test"],
        feature_names=[str(n) for n in arrays["feature_names"]],
        task=str(arrays["task"]),
    )
