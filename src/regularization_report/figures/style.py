"""Figure output shared by every plotting script.

Each report figure has a stable id (``fig-lasso-path``) and is written as
PNG, SVG and PDF beside a JSON sidecar that records its caption, the script
and rule that made it, and its inputs. The ``figure_index`` rule collects the
sidecars into ``report/figures/index.csv``.

Outputs are byte-stable across reruns: no timestamps in PDF/SVG metadata and a
fixed SVG hash salt.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from regularization_report.files import atomic_path, write_json

FIGURE_FORMATS = (".png", ".svg", ".pdf")

# One look for every figure: readable at column width, colour-blind safe cycle.
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "svg.hashsalt": "regularization-report",
    "svg.fonttype": "path",
    "axes.prop_cycle": matplotlib.cycler(
        color=[
            "#0072B2",
            "#D55E00",
            "#009E73",
            "#CC79A7",
            "#E69F00",
            "#56B4E9",
            "#F0E442",
            "#000000",
        ]
    ),
}
plt.rcParams.update(STYLE)

_METADATA = {
    ".png": {"Software": None},
    ".svg": {"Date": None, "Creator": None},
    ".pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def figure_stem(outputs: Sequence[str | os.PathLike[str]]) -> Path:
    """The common stem ``report/figures/<fig-id>`` of a rule's figure outputs."""
    stems = {
        Path(p).with_suffix("") for p in outputs if Path(p).suffix in {*FIGURE_FORMATS, ".json"}
    }
    if len(stems) != 1:
        raise ValueError(
            f"expected outputs of exactly one figure, got stems {sorted(map(str, stems))}"
        )
    return stems.pop()


def save_figure(
    fig: Figure,
    stem: str | os.PathLike[str],
    *,
    caption: str,
    script: str,
    rule: str,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write ``fig`` as ``<stem>.png/.svg/.pdf`` plus ``<stem>.json`` and close it.

    ``stem``'s name is the figure id (for example ``fig-wine-coefficients``).
    """
    stem = Path(stem)
    fig_id = stem.name
    if not fig_id.startswith("fig-"):
        raise ValueError(f"figure id must start with 'fig-': {fig_id!r}")
    written = []
    for ext in FIGURE_FORMATS:
        path = stem.with_suffix(ext)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext[1:], metadata=_METADATA[ext])
        written.append(path)
    plt.close(fig)
    meta = {
        "id": fig_id,
        "caption": caption,
        "script": script,
        "rule": rule,
        "inputs": sorted(str(p) for p in inputs),
        "files": [p.name for p in written],
    }
    write_json(meta, stem.with_suffix(".json"))
    return written
