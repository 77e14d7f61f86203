"""A rough preview of the report without Quarto: pandoc to Typst to PDF and PNG pages.

Quarto is not installable everywhere; pandoc (PyPI `pypandoc-binary`) and Typst
(PyPI `typst`) are. This script runs every cell of the report against a
workflow run (as the tests do), pastes cell outputs and inline values into one
Markdown document, converts it with pandoc to Typst (and to standalone HTML),
and compiles the Typst file to PDF and to one PNG per page, so that figures,
tables, math and Hangul can be looked at before a reader sees them.

It is a preview for the people writing the report, not a second renderer:
Quarto's cross-reference numbering, callouts, code folding and page layout are
only approximated.

    python tools/preview_report.py --workdir /tmp/wf  # a copy where the workflow ran
    python tools/preview_report.py --run               # copy the repo, run config/test.yaml first
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pypandoc
import typst
import yaml

from regularization_report.report import qmd

REPO = Path(__file__).resolve().parents[1]
CROSSREF = re.compile(r"(?<![\w@])@((fig|tbl|sec|eq)-[\w-]+)")
WORDS = {"fig": "Figure", "tbl": "Table", "sec": "Section", "eq": "Equation"}
CONTENT_VISIBLE = re.compile(
    r'^:::+\s*\{\.content-(visible|hidden)\s+(when|unless)-format="(\w+)"\}\s*$'
)


def copy_and_run(dest: Path) -> Path:
    """Copy the repository's source files to ``dest`` and run the test profile there."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for rel in filter(None, files.split("\0")):
        if (REPO / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dest / rel)
    subprocess.run(
        [
            str(Path(sys.executable).parent / "snakemake"),
            "--cores",
            "2",
            "--configfile",
            "config/test.yaml",
        ],
        cwd=dest,
        check=True,
    )
    return dest


def shown(value: Any) -> str:
    if isinstance(value, pd.DataFrame):
        return value.to_markdown(index=False)
    return str(value)


def cell_markdown(cell: qmd.Cell, output: qmd.Output, defaults: dict, figures_dir: Path) -> str:
    options = {**defaults, **cell.options}
    if options.get("include") is False:
        return ""
    parts = []
    if options.get("echo", False):
        parts.append(f"```python\n{cell.code}\n```")
    text = output.stdout
    if output.has_value and output.value is not None:
        text += shown(output.value) + "\n"
    if text.strip():
        if options.get("output") == "asis":
            parts.append(text)
        else:
            parts.append(f"```\n{text.rstrip()}\n```")
    for n, figure in enumerate(output.figures):
        path = figures_dir / f"{cell.path.stem}-{cell.lineno}-{n}.png"
        figure.savefig(path, dpi=120, bbox_inches="tight")
        parts.append(f"![]({path})")
    label = options.get("label", "")
    caption = options.get("tbl-cap") or options.get("fig-cap")
    if caption and label:
        parts.append(f": {caption} {{#{label}}}" if label.startswith("tbl-") else caption)
    return "\n\n".join(parts)


def preview_markdown(
    index: Path, report_dir: Path, work: Path, lenient: bool = False
) -> tuple[str, dict, list]:
    """The report as plain pandoc Markdown, with every output and value pasted in.

    With ``lenient``, a failing cell or expression is shown as an error in the
    preview (and listed at the end) instead of stopping it.
    """
    quarto = yaml.safe_load((report_dir / "_quarto.yml").read_text(encoding="utf-8"))
    defaults = quarto.get("execute", {})
    lines = qmd.expand_includes(index)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    figures_dir = work / "cell-figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    out: list[str] = []
    timings = []
    metadata: dict = {}
    import matplotlib.pyplot as plt

    with qmd.working_directory(report_dir):
        for block in qmd.split_blocks(lines):
            if block.kind == "frontmatter" and block.path == index.resolve():
                metadata = qmd.frontmatter(block)
            elif block.kind == "code":
                out.extend(line.text for line in block.lines)
            elif block.kind == "cell":
                cell = qmd.parse_cell(block)
                if cell.options.get("eval", True) is False:
                    continue
                start = time.perf_counter()
                try:
                    output = qmd.run_item(cell, namespace)
                except qmd.ReportExecutionError as error:
                    if not lenient:
                        raise
                    print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
                    out.append(f"**ERROR in cell {cell.path.name}:{cell.lineno}**")
                    continue
                timings.append((cell, time.perf_counter() - start))
                out.append(cell_markdown(cell, output, defaults, figures_dir))
                plt.close("all")
            else:
                for line in block.lines:
                    text = line.text
                    for match in reversed(list(qmd.INLINE.finditer(text))):
                        expr = qmd.InlineExpression(
                            line.path, line.lineno, match["expr"], match.start(), match.end()
                        )
                        try:
                            shown = str(qmd.run_item(expr, namespace).value)
                        except qmd.ReportExecutionError as error:
                            if not lenient:
                                raise
                            print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
                            shown = "**ERROR**"
                        text = text[: match.start()] + shown + text[match.end() :]
                    out.append(text)
    return "\n".join(out), metadata, timings


def for_format(markdown: str, fmt: str, report_dir: Path) -> str:
    """Keep what `quarto render` would show in ``fmt``; make Quarto syntax plain pandoc."""
    kept: list[str] = []
    stack: list[tuple[bool, bool]] = []  # (is a content-visible div, shown)
    for line in markdown.split("\n"):
        match = CONTENT_VISIBLE.match(line)
        if match:
            visible, when, target = match.groups()
            show = (when == "when") == (target == fmt)
            stack.append((True, show if visible == "visible" else not show))
            continue
        if re.match(r"^:::+\s*\S", line):
            stack.append((False, True))
        elif re.match(r"^:::+\s*$", line) and stack:
            is_visibility_div, _ = stack.pop()
            if is_visibility_div:
                continue
            if all(show for _, show in stack):
                kept.append(line)
            continue
        if all(show for _, show in stack):
            kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"\{\{<.*?>\}\}", "", text)
    # Plain text, not links: Quarto numbers them; the preview only names them.
    text = CROSSREF.sub(lambda m: f"{WORDS[m[2]]} *{m[1]}*", text)
    # Typst resolves image paths against its root: make them absolute.
    text = re.sub(r"\]\((figures/[^)\s]+)\)", lambda m: f"]({(report_dir / m[1]).resolve()})", text)
    return text


def pandoc_metadata(metadata: dict) -> dict:
    authors = []
    for author in metadata.get("author", []):
        name = author.get("name", author) if isinstance(author, dict) else author
        if isinstance(name, dict):
            name = f"{name.get('given', '')} {name.get('family', '')}".strip()
        authors.append(name)
    keep = {k: metadata[k] for k in ("title", "subtitle", "abstract") if k in metadata}
    return {**keep, "author": authors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="a repository copy where the workflow ran")
    parser.add_argument("--run", action="store_true", help="copy the repo and run the test profile")
    parser.add_argument("--out", type=Path, default=Path("/tmp/report-preview"))
    parser.add_argument("--ppi", type=int, default=70, help="resolution of the PNG pages")
    parser.add_argument(
        "--lenient", action="store_true", help="show failing cells as errors and go on"
    )
    args = parser.parse_args()
    if args.run:
        workdir = copy_and_run(Path(tempfile.mkdtemp(prefix="report-preview-wf-")))
    elif args.workdir:
        workdir = args.workdir.resolve()
    else:
        parser.error("give --workdir (a copy where the workflow ran) or --run")
    report_dir = workdir / "report"
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    os.environ.setdefault("PLOTLY_RENDERER", "json")

    markdown, metadata, timings = preview_markdown(
        report_dir / "index.qmd", report_dir, out, lenient=args.lenient
    )
    quarto = yaml.safe_load((report_dir / "_quarto.yml").read_text(encoding="utf-8"))
    meta_file = out / "metadata.yaml"
    meta_file.write_text(yaml.safe_dump(pandoc_metadata(metadata), allow_unicode=True))
    common = [
        "--standalone",
        "--toc",
        "--number-sections",
        "--citeproc",
        f"--bibliography={report_dir / 'references.bib'}",
        f"--metadata-file={meta_file}",
        f"--resource-path={report_dir}",
    ]
    # Typst: the same font fallback as the Quarto project (include-before-body).
    typst_before = out / "before.typ"
    includes = quarto["format"]["typst"].get("include-before-body", [])
    typst_before.write_text("\n".join(i["text"] for i in includes if "text" in i))
    typ = out / "index.typ"
    pypandoc.convert_text(
        for_format(markdown, "typst", report_dir),
        "typst",
        format="markdown",
        outputfile=str(typ),
        extra_args=[*common, f"--include-before-body={typst_before}", "-V", "papersize=a4"],
    )
    (out / "index.md").write_text(for_format(markdown, "typst", report_dir))
    pypandoc.convert_text(
        for_format(markdown, "html", report_dir),
        "html5",
        format="markdown",
        outputfile=str(out / "index.html"),
        extra_args=[*common, "--mathjax"],
    )
    typst.compile(str(typ), output=str(out / "index.pdf"), root="/")
    typst.compile(str(typ), output=str(out / "page-{0p}.png"), root="/", format="png", ppi=args.ppi)
    pages = sorted(out.glob("page-*.png"))
    print(f"preview: {out / 'index.pdf'} ({len(pages)} pages as PNG), {out / 'index.html'}")
    slowest = sorted(timings, key=lambda t: -t[1])[:5]
    for cell, seconds in slowest:
        label = cell.options.get("label", "")
        print(f"  {seconds * 1000:7.0f} ms  {cell.path.name}:{cell.lineno} {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
