"""Atomic writes, byte-stable figures and the report asset helpers."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from regularization_report.figures.style import figure_stem, save_figure
from regularization_report.files import atomic_open, read_json, sha256_file, write_csv, write_json
from regularization_report.report.assets import figure_index, merge_values


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_csv(pd.DataFrame({"a": [1]}), target)
    before = target.read_bytes()
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half a row")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_json_refuses_nan(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_json({"mse": float("nan")}, tmp_path / "v.json")
    assert not (tmp_path / "v.json").exists()


def _line_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0, 1, 4], label="x^2")
    ax.legend()
    return fig


def test_figures_are_byte_stable_and_described(tmp_path: Path) -> None:
    digests = []
    for run in ("a", "b"):
        stem = tmp_path / run / "fig-square"
        save_figure(
            _line_figure(),
            stem,
            caption="A parabola.",
            script="scripts/x.py",
            rule="plot_x",
            inputs=["b.csv", "a.csv"],
        )
        digests.append([sha256_file(stem.with_suffix(ext)) for ext in (".png", ".svg", ".pdf")])
    assert digests[0] == digests[1]
    meta = read_json(tmp_path / "a" / "fig-square.json")
    assert meta == {
        "id": "fig-square",
        "caption": "A parabola.",
        "script": "scripts/x.py",
        "rule": "plot_x",
        "inputs": ["a.csv", "b.csv"],
        "files": ["fig-square.png", "fig-square.svg", "fig-square.pdf"],
    }
    assert (tmp_path / "a" / "fig-square.pdf").read_bytes().startswith(b"%PDF")


def test_figure_ids_must_start_with_fig(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fig-"):
        save_figure(_line_figure(), tmp_path / "square", caption="", script="", rule="")


def test_figure_stem_needs_one_figure() -> None:
    assert figure_stem(["r/fig-a.png", "r/fig-a.svg", "r/fig-a.json"]) == Path("r/fig-a")
    with pytest.raises(ValueError, match="exactly one figure"):
        figure_stem(["r/fig-a.png", "r/fig-b.png"])


def test_merge_values_keys_by_part(tmp_path: Path) -> None:
    write_json({"x": 1}, tmp_path / "one" / "wine_course.json")
    write_json({"y": 2}, tmp_path / "two" / "dropout.json")
    merged = merge_values([tmp_path / "one/wine_course.json", tmp_path / "two/dropout.json"])
    assert merged == {"dropout": {"y": 2}, "wine_course": {"x": 1}}
    with pytest.raises(ValueError, match="both named"):
        merge_values([tmp_path / "one/wine_course.json", tmp_path / "one/wine_course.json"])


def test_figure_index_rejects_duplicate_ids(tmp_path: Path) -> None:
    meta = {
        "id": "fig-a",
        "caption": "c",
        "script": "s",
        "rule": "r",
        "inputs": ["i"],
        "files": ["fig-a.png"],
    }
    write_json(meta, tmp_path / "1.json")
    write_json(meta, tmp_path / "2.json")
    assert figure_index([tmp_path / "1.json"])["id"].tolist() == ["fig-a"]
    with pytest.raises(ValueError, match="unique"):
        figure_index([tmp_path / "1.json", tmp_path / "2.json"])
