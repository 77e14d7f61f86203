"""What the report's hidden setup cell and its appendix use.

The report computes nothing heavy: it reads the values, tables and figure index
the workflow wrote, formats numbers, and turns small frames into Markdown
tables (printed by cells with ``output: asis`` so HTML and Typst both get a
real table). The provenance tables of the appendix (environment, data
sources, run times, figures) are built here too, so that scripts, the report
and the tests share one implementation.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from numbers import Number
from pathlib import Path
from typing import Any

import pandas as pd

from regularization_report.files import read_json

# --------------------------------------------------------------------------- numbers


def fmt(value: Any, digits: int = 3) -> str:
    """A number as the prose shows it: integers as they are, floats to ``digits`` decimals.

    Very small or very large floats switch to scientific notation so that
    ``0.0001`` never prints as ``0.000``.
    """
    if isinstance(value, bool) or not isinstance(value, Number):
        raise TypeError(f"fmt expects a number, got {value!r}")
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 1):
        return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"refusing to print a non-finite number: {value}")
    if value != 0 and (abs(value) < 10 ** (-digits) or abs(value) >= 1e6):
        return f"{value:.{max(digits - 1, 1)}e}"
    return f"{value:.{digits}f}"


def pct(fraction: float, digits: int = 1) -> str:
    """A fraction in [0, 1] as a percentage: ``pct(0.953) == '95.3%'``."""
    return f"{100 * float(fraction):.{digits}f}%"


def load_values(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``results/report_values.json``, with an error that says how to make it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: run the workflow first (`snakemake --cores 4`), "
            "which writes every value the report quotes"
        )
    return read_json(path)


# --------------------------------------------------------------------------- tables


def _cell(value: Any, floatfmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = format(value, floatfmt) if isinstance(value, float) else str(value)
    return text.replace("|", r"\|").replace("\n", " ")


def markdown_table(
    frame: pd.DataFrame,
    *,
    widths: Sequence[int] | None = None,
    align: str | None = None,
    floatfmt: str = ".4g",
) -> str:
    """A pipe table of ``frame`` (no index).

    ``widths`` are relative column widths: they become the dashes of the
    separator line, which pandoc uses for wide tables, so long cells wrap
    instead of running off a PDF page. ``align`` is one letter per column
    (``l``, ``r``, ``c``); numbers are right-aligned by default.
    """
    columns = [str(c) for c in frame.columns]
    if widths is None:
        widths = [3] * len(columns)
    if len(widths) != len(columns):
        raise ValueError(f"{len(widths)} widths for {len(columns)} columns")
    if align is None:
        align = "".join(
            "r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns
        )
    if len(align) != len(columns) or set(align) - set("lrc"):
        raise ValueError(f"align must be one of l, r, c per column, got {align!r}")
    separators = []
    for width, how in zip(widths, align, strict=True):
        dashes = "-" * max(int(width), 3)
        separators.append(
            {"l": ":" + dashes[1:], "r": dashes[1:] + ":", "c": ":" + dashes[2:] + ":"}[how]
        )
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(separators) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v, floatfmt) for v in row) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- provenance


ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str) -> str:
    """``text`` with invisible break opportunities after ``/`` and ``_``.

    Typst breaks lines only at spaces and hyphens, so a long path or rule name
    in a narrow table column would run into the next column.
    """
    return re.sub(r"([/_])", "\\1" + ZERO_WIDTH_SPACE, text)


def figure_provenance(index_csv: str | os.PathLike[str]) -> pd.DataFrame:
    """The figure index as the appendix lists it: id, file types, script, rule, inputs.

    Paths and names may break after ``/`` and ``_`` (see :func:`breakable`).
    """
    index = pd.read_csv(index_csv, keep_default_na=False)
    return pd.DataFrame(
        {
            "figure": list(index["id"]),
            "files": [
                ", ".join(Path(f).suffix.lstrip(".") for f in files.split(";") if f)
                for files in index["files"]
            ],
            "script": [breakable(s) for s in index["script"]],
            "rule": [breakable(r) for r in index["rule"]],
            "inputs": [
                breakable(", ".join(p for p in inputs.split(";") if p)) or "(none)"
                for inputs in index["inputs"]
            ],
        }
    )


def read_pyproject_requirements(
    pyproject: str | os.PathLike[str], extras: Iterable[str] = ()
) -> list[str]:
    """Distribution names pinned in ``pyproject.toml`` (dependencies and ``extras``)."""
    data = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
    project = data["project"]
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    names = [re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requirements]
    return list(dict.fromkeys(n for n in names if n))


def _quarto_version() -> str | None:
    quarto = shutil.which("quarto")
    if quarto is None:
        return None
    try:
        result = subprocess.run(
            [quarto, "--version"], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "found, version unknown"
    return result.stdout.strip() or "found, version unknown"


def environment_frame(packages: Iterable[str]) -> pd.DataFrame:
    """Versions of what is running now: Python, the platform, each package, Quarto.

    Read at run time (``importlib.metadata``), so the table records what a job
    actually ran with, not what a file says it should.
    """
    rows = [
        {"component": "python", "version": platform.python_version(), "kind": "interpreter"},
        {"component": "platform", "version": platform.platform(), "kind": "system"},
    ]
    for name in packages:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"component": name, "version": version, "kind": "package"})
    quarto = _quarto_version()
    rows.append(
        {"component": "quarto", "version": quarto or "not on PATH", "kind": "command-line tool"}
    )
    return pd.DataFrame(rows, columns=["component", "version", "kind"])


def data_sources_frame(manifests: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """One row per data file: dataset, source, licence, file, SHA-256.

    Reads both manifest layouts: bundled datasets (``name``, ``source``,
    ``licence``) and downloaded ones (``dataset``, ``citation``/``homepage``,
    ``license``).
    """
    rows = []
    for path in manifests:
        manifest = read_json(path)
        dataset = manifest.get("name") or manifest.get("dataset") or Path(path).parent.name
        source = manifest.get("source") or "; ".join(
            str(manifest[k]) for k in ("citation", "homepage") if manifest.get(k)
        )
        licence = manifest.get("licence") or manifest.get("license") or "unknown"
        for entry in manifest.get("files", []):
            rows.append(
                {
                    "dataset": dataset,
                    "source": source,
                    "licence": licence,
                    "file": entry["name"],
                    "sha256": entry["sha256"],
                }
            )
    columns = ["dataset", "source", "licence", "file", "sha256"]
    return pd.DataFrame(rows, columns=columns).sort_values(["dataset", "file"], ignore_index=True)


def run_times_frame(benchmark_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Wall-clock seconds and peak memory of every job that has a ``benchmark:`` file.

    ``benchmarks/<part>/<job>.tsv`` is Snakemake's format (columns ``s``,
    ``max_rss`` in MB, ...); a file with several repeats gives their mean.
    """
    rows = []
    root = Path(benchmark_dir)
    for path in sorted(root.rglob("*.tsv")):
        table = pd.read_csv(path, sep="\t")
        if "s" not in table.columns or table.empty:
            continue
        rss = pd.to_numeric(table.get("max_rss"), errors="coerce")
        relative = path.relative_to(root).with_suffix("")
        rows.append(
            {
                "part": relative.parts[0] if len(relative.parts) > 1 else "",
                "job": relative.as_posix(),
                "seconds": float(table["s"].mean()),
                "max_rss_mb": float(rss.mean()) if rss is not None and rss.notna().any() else None,
            }
        )
    frame = pd.DataFrame(rows, columns=["part", "job", "seconds", "max_rss_mb"])
    return frame.sort_values(["part", "job"], ignore_index=True)


def run_times_by_part(frame: pd.DataFrame) -> pd.DataFrame:
    """Total seconds and number of benchmarked jobs per part of the workflow."""
    grouped = frame.groupby("part", as_index=False).agg(
        jobs=("job", "count"), seconds=("seconds", "sum")
    )
    return grouped.sort_values("seconds", ascending=False, ignore_index=True)


def short_digest(digest: str, length: int = 16) -> str:
    """The first ``length`` hex digits of a digest: enough to compare, short enough for a PDF."""
    return digest[:length] + "…" if len(digest) > length else digest


def nested_get(values: Mapping[str, Any], dotted: str) -> Any:
    """``nested_get(values, "wine_course.raw.lasso.mse")`` with a helpful KeyError."""
    current: Any = values
    walked = []
    for key in dotted.split("."):
        walked.append(key)
        if not isinstance(current, Mapping) or key not in current:
            available = sorted(current) if isinstance(current, Mapping) else []
            raise KeyError(f"report value {'.'.join(walked)!r} not found; keys here: {available}")
        current = current[key]
    return current
