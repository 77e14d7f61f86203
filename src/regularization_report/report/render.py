"""Render the Quarto report: one `quarto render`, where any warning is a failure.

Used by the ``render_report`` rule (scripts/render_report.py). Before Quarto
starts, the outputs of an earlier render and the Jupyter cache are deleted, so
that a failed render can leave nothing that looks like this run's report and
the cache (which lets the PDF reuse the cells the HTML pass ran) never serves
results read in an earlier run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

# Quarto's own log lines (`WARNING: ...`, `WARN (...)`, `ERROR: ...`), and the
# ones Pandoc and Typst print through it (`[WARNING] ...`, `error: ...`).
PROBLEM = re.compile(r"^\s*(\[?(WARNING|WARN|ERROR)\b|error:|warning:)", re.IGNORECASE)
# Not Quarto's: ipykernel 7 logs this about the loopback connection the Jupyter
# client sets up (Quarto gives it no way to ask for IPC or keys); it says nothing
# about the report.
KERNEL_TRANSPORT_NOTE = re.compile(r"\[IPKernelApp\] WARNING \| Kernel is running over TCP")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
JUPYTER_CACHE = ".jupyter_cache"


class RenderError(RuntimeError):
    """`quarto render` failed or warned; the message quotes what Quarto said."""


def problem_lines(lines: Iterable[str]) -> list[str]:
    """The lines of a render log that report a warning or an error."""
    cleaned = (ANSI.sub("", raw).rstrip() for raw in lines)
    return [
        line for line in cleaned if PROBLEM.match(line) and not KERNEL_TRANSPORT_NOTE.search(line)
    ]


def remove_stale(project: Path, outputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Delete earlier outputs and the project's Jupyter cache; return what was removed."""
    removed = []
    for path in map(Path, outputs):
        if path.exists():
            path.unlink()
            removed.append(path)
    cache = project / JUPYTER_CACHE
    if cache.exists():
        shutil.rmtree(cache)
        removed.append(cache)
    return removed


def render(
    project: str | os.PathLike[str],
    outputs: Sequence[str | os.PathLike[str]],
    log: TextIO,
    quarto: str = "quarto",
) -> None:
    """Run ``quarto render <project>``, streaming its output to ``log``.

    Raises :class:`RenderError` when Quarto exits non-zero, prints any
    warning or error line, or does not write every path of ``outputs``; the
    outputs are then deleted, so nothing of a failed render is left.
    """
    project = Path(project)
    for path in remove_stale(project, outputs):
        log.write(f"render: removed {path} (from an earlier render)\n")
    env = dict(os.environ)
    # Quarto's Jupyter engine runs the cells with this interpreter (the one with
    # the project's packages), not whichever python3 comes first on PATH.
    env.setdefault("QUARTO_PYTHON", sys.executable)
    command = [quarto, "render", str(project)]
    log.write(f"render: {' '.join(command)}\n")
    log.flush()
    lines: list[str] = []
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            log.write(line)
            log.flush()
    problems = problem_lines(lines)
    missing = [str(p) for p in outputs if not Path(p).exists()]
    if process.returncode == 0 and not problems and not missing:
        return
    for path in map(Path, outputs):
        path.unlink(missing_ok=True)
    reasons = []
    if process.returncode != 0:
        reasons.append(f"exited with status {process.returncode}")
    if problems:
        reasons.append(f"printed {len(problems)} warning or error line(s)")
    if missing:
        reasons.append(f"did not write {', '.join(missing)}")
    tail = "".join(ANSI.sub("", line) for line in lines[-40:])
    quoted = "\n".join(problems) if problems else tail
    raise RenderError(
        f"`{' '.join(command)}` {' and '.join(reasons)}; Quarto said:\n{quoted}"
        + (f"\n--- last lines of its output ---\n{tail}" if problems else "")
    )
