"""Assets the report reads: the merged value file and the figure index."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from regularization_report.files import read_json

FIGURE_INDEX_COLUMNS = ["id", "caption", "script", "rule", "inputs", "files"]


def merge_values(paths: Iterable[str | os.PathLike[str]]) -> dict:
    """Merge ``results/values/<part>.json`` files into one dict keyed by part name."""
    merged: dict = {}
    for path in paths:
        part = Path(path).stem
        if part in merged:
            raise ValueError(f"two value files are both named {part!r}: {path}")
        merged[part] = read_json(path)
    return dict(sorted(merged.items()))


def figure_index(sidecars: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """One row per figure from the JSON sidecars that :func:`plotting.save_figure` writes."""
    rows = []
    for path in sidecars:
        meta = read_json(path)
        rows.append(
            {
                "id": meta["id"],
                "caption": meta["caption"],
                "script": meta["script"],
                "rule": meta["rule"],
                "inputs": ";".join(meta["inputs"]),
                "files": ";".join(meta["files"]),
            }
        )
    frame = pd.DataFrame(rows, columns=FIGURE_INDEX_COLUMNS)
    duplicated = frame["id"][frame["id"].duplicated()]
    if not duplicated.empty:
        raise ValueError(f"figure ids must be unique, repeated: {sorted(set(duplicated))}")
    return frame.sort_values("id", ignore_index=True)
