"""Render the Quarto report: its cells run once, and any warning is a failure.

Used by the ``render_report`` rule (scripts/render_report.py). Two `quarto render`
calls, one execution of the cells:

1. HTML from ``index.qmd``: the Jupyter engine runs every cell and inline
   expression, and ``keep-md`` keeps the executed Markdown Quarto made from it
   (includes pasted, outputs and inline values in place, cross-references,
   citations and ``content-visible`` blocks still to resolve);
2. the PDF (Typst) from that Markdown, without its raw HTML blocks (which
   Typst drops anyway), under the ``pdf`` project profile
   (report/_quarto-pdf.yml) that names it: Markdown has no engine, so nothing
   runs again.

Quarto's Jupyter cache cannot do this (it refuses inline expressions) and its
freezer keeps one result per format. Before Quarto starts, the outputs and
intermediates of an earlier render are deleted, so a failed render leaves
nothing that looks like this run's report.
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
# A raw HTML block of the executed Markdown (the alpha explorer with its inlined
# plotly.js, several MB): Typst output drops them, so the PDF pass need not parse them.
RAW_HTML_BLOCK = re.compile(r"^(?P<fence>`{3,})\{=html\}\n.*?^(?P=fence)[ \t]*\n", re.S | re.M)
EXECUTED_MD = "index-executed.md"  # the HTML pass's executed Markdown (report/_quarto-pdf.yml)


class RenderError(RuntimeError):
    """`quarto render` failed or warned; the message quotes what Quarto said."""


def problem_lines(lines: Iterable[str]) -> list[str]:
    """The lines of a render log that report a warning or an error."""
    cleaned = (ANSI.sub("", raw).rstrip() for raw in lines)
    return [
        line for line in cleaned if PROBLEM.match(line) and not KERNEL_TRANSPORT_NOTE.search(line)
    ]


def drop_raw_html(markdown: str) -> str:
    """``markdown`` without its raw HTML blocks, which no other format than HTML shows."""
    return RAW_HTML_BLOCK.sub("", markdown)


def intermediates(project: Path) -> list[Path]:
    """Files a render makes on the way: the executed Markdown and its PDF before renaming."""
    return [
        project / "index.html.md",
        project / EXECUTED_MD,
        project / "_output" / Path(EXECUTED_MD).with_suffix(".pdf").name,
    ]


def remove_stale(project: Path, outputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Delete earlier outputs and intermediates; return what was removed."""
    removed = []
    for path in [*map(Path, outputs), *intermediates(project)]:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed


def run_quarto(command: list[str], log: TextIO, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run one Quarto command, streaming its merged output to ``log``."""
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
    return process.returncode, lines


def render(
    project: str | os.PathLike[str],
    outputs: Sequence[str | os.PathLike[str]],
    log: TextIO,
    quarto: str = "quarto",
) -> None:
    """Render ``project`` to HTML and PDF, executing its cells once.

    ``outputs`` are the HTML and the PDF, in this order. Raises
    :class:`RenderError` when Quarto exits non-zero, prints any warning or
    error line, or does not write an output; every output is then deleted,
    so nothing of a failed render is left.
    """
    project = Path(project)
    html, pdf = map(Path, outputs)
    for path in remove_stale(project, outputs):
        log.write(f"render: removed {path} (from an earlier render)\n")
    env = dict(os.environ)
    # Quarto's Jupyter engine runs the cells with this interpreter (the one with
    # the project's packages), not whichever python3 comes first on PATH.
    env.setdefault("QUARTO_PYTHON", sys.executable)
    passes = [
        [quarto, "render", str(project), "--to", "html", "-M", "keep-md:true"],
        [quarto, "render", str(project / EXECUTED_MD), "--profile", "pdf", "--to", "typst"],
    ]
    lines: list[str] = []
    status = 0
    for i, command in enumerate(passes):
        status, output = run_quarto(command, log, env)
        lines += output
        if status != 0 or problem_lines(output):
            break
        if i == 0:
            kept = project / "index.html.md"
            if kept.exists():
                executed = drop_raw_html(kept.read_text(encoding="utf-8"))
                (project / EXECUTED_MD).write_text(executed, encoding="utf-8")
                kept.unlink()
        else:
            made = project / "_output" / Path(EXECUTED_MD).with_suffix(".pdf").name
            if made.exists():
                made.replace(pdf)
    problems = problem_lines(lines)
    missing = [str(p) for p in (html, pdf) if not p.exists()]
    if status == 0 and not problems and not missing:
        (project / EXECUTED_MD).unlink(missing_ok=True)
        return
    for path in (html, pdf):
        path.unlink(missing_ok=True)
    reasons = []
    if status != 0:
        reasons.append(f"exited with status {status}")
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
