"""The report against a real run of the workflow (config/test.yaml), without Quarto.

Quarto cannot be installed everywhere the tests run, so these tests do what can
be done without it: execute every cell and inline expression as Quarto's
kernel would, check that every file the sources name exists, that every figure
can be cited and traced, that the provenance tables are true, and that
`snakemake --report` builds its archive.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from conftest import TEST_CONFIG, run_snakemake

from regularization_report.files import sha256_file
from regularization_report.report import qmd

pytestmark = pytest.mark.workflow


def rendered_files(repo: Path) -> list[Path]:
    """The files `quarto render report` renders (project.render of _quarto.yml)."""
    config = yaml.safe_load((repo / "report/_quarto.yml").read_text(encoding="utf-8"))
    return [repo / "report" / name for name in config["project"]["render"]]


def report_sources(repo: Path) -> list[Path]:
    """Every .qmd the rendered files include, directly or not."""
    seen: list[Path] = []
    todo = rendered_files(repo)
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.append(path)
        todo += [p for p in qmd.included_paths(path) if p.suffix == ".qmd" and p.exists()]
    return seen


def test_every_cell_and_inline_expression_runs(test_run: Path) -> None:
    """Cells run in order, one namespace per rendered file, in report/, as Quarto runs them."""
    threads = torch.get_num_threads()  # the setup cell sets one thread; other tests train
    for index in rendered_files(test_run):
        try:
            outputs = qmd.run_document(index)
        finally:
            torch.set_num_threads(threads)
        cells = [o for o in outputs if isinstance(o.item, qmd.Cell)]
        inline = [o for o in outputs if isinstance(o.item, qmd.InlineExpression)]
        assert cells and inline, f"{index}: nothing was executed"
        for output in inline:
            value = output.value
            shown = str(value)
            assert value is not None and shown.strip() and shown not in {"nan", "None"}, (
                f"{output.item.path.name}:{output.item.lineno}: "
                f"`{output.item.expr}` shows {shown!r}"
            )
            assert not (isinstance(value, float) and not math.isfinite(value)), output.item


def test_every_image_link_and_include_exists(test_run: Path) -> None:
    missing, outside = [], []
    report_dir = (test_run / "report").resolve()
    for source in report_sources(test_run):
        for ref in qmd.references(qmd.read_lines(source)):
            if not qmd.is_local(ref.target):
                continue
            target = (source.parent / ref.target).resolve()
            where = f"{source.name}:{ref.lineno} {ref.kind} {ref.target}"
            if not target.exists():
                missing.append(where)
            # Quarto copies only files inside the project into the HTML output.
            if ref.kind in {"image", "html"} and not target.is_relative_to(report_dir):
                outside.append(where)
    assert not missing, "files named in the report do not exist:\n" + "\n".join(missing)
    assert not outside, "assets outside report/ break the HTML output:\n" + "\n".join(outside)


def _figure_images(repo: Path) -> list[qmd.Reference]:
    return [
        ref
        for source in report_sources(repo)
        for ref in qmd.references(qmd.read_lines(source))
        if ref.kind == "image" and ref.target.startswith("figures/fig-")
    ]


def test_figures_have_stable_ids_and_captions_that_link_to_their_provenance(
    test_run: Path,
) -> None:
    """Captions end with `Source: [`scripts/x.py`, rule `x`](#sec-appendix-figures).`

    and the image is `![...](figures/fig-x.png){#fig-x}`. The link text names the
    script and rule of report/figures/index.csv; the target is the appendix table
    that lists each figure's inputs too.
    """
    index = pd.read_csv(test_run / "report/figures/index.csv", keep_default_na=False)
    provenance = index.set_index("id")
    problems = []
    for image in _figure_images(test_run):
        stem = Path(image.target).stem
        where = f"{image.path.name}:{image.lineno} ({stem})"
        label = re.search(r"#(fig-[\w-]+)", image.attributes)
        if label is None or label[1] != stem:
            problems.append(f"{where}: label {{#{stem}}} must equal the file name")
            continue
        if stem not in provenance.index:
            problems.append(f"{where}: not in report/figures/index.csv")
            continue
        script, rule = provenance.loc[stem, "script"], provenance.loc[stem, "rule"]
        expected = f"[`{script}`, rule `{rule}`](#sec-appendix-figures)."
        if not " ".join(image.caption.split()).endswith(expected):
            problems.append(f"{where}: the caption must end with `Source: {expected}`")
    assert not problems, "\n".join(problems)


def test_every_figure_of_the_workflow_is_shown(test_run: Path) -> None:
    index = pd.read_csv(test_run / "report/figures/index.csv", keep_default_na=False)
    shown = {Path(image.target).stem for image in _figure_images(test_run)}
    # Interactive figures may be shown by a cell in HTML with a static twin in PDF:
    # the twin is the image above, so every id must appear as an image.
    assert set(index["id"]) <= shown, f"figures never shown: {sorted(set(index['id']) - shown)}"


def test_environment_table_is_what_ran(test_run: Path) -> None:
    table = pd.read_csv(test_run / "results/tables/environment.csv", keep_default_na=False)
    versions = dict(zip(table["component"], table["version"], strict=True))
    # The workflow ran with this interpreter, so the versions are this environment's.
    for name in ("torch", "scikit-learn", "snakemake", "pandas"):
        assert versions[name] == importlib.metadata.version(name), name
    assert versions["quarto"] == "not on PATH"  # the test suite hides Quarto


def test_data_sources_table_matches_the_manifests_and_files(test_run: Path) -> None:
    table = pd.read_csv(test_run / "results/tables/data_sources.csv", keep_default_na=False)
    config = yaml.safe_load((test_run / "config/config.yaml").read_text(encoding="utf-8"))
    assert set(table["dataset"]) == set(config["data"]["bundled"])
    for row in table.itertuples():
        data_file = test_run / "data/raw" / row.dataset / row.file
        assert sha256_file(data_file) == row.sha256, data_file
        manifest = json.loads((data_file.parent / "manifest.json").read_text())
        assert row.licence == manifest["licence"]


def test_rule_graph_is_drawn_by_the_workflow(test_run: Path) -> None:
    sidecar = json.loads((test_run / "report/figures/fig-rule-graph.json").read_text())
    assert sidecar["rule"] == "rule_graph"
    assert sidecar["script"] == "scripts/plot_rule_graph.py"
    assert "Snakefile" in sidecar["inputs"]
    for ext in (".png", ".svg", ".pdf"):
        assert (test_run / f"report/figures/fig-rule-graph{ext}").stat().st_size > 5000


def test_snakemake_report_archive(test_run: Path, tmp_path: Path) -> None:
    archive = tmp_path / "report.zip"
    run_snakemake(test_run, *TEST_CONFIG, "--report", str(archive))
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        html = bundle.read(next(n for n in names if n.endswith("report.html"))).decode()
    headline = yaml.safe_load((test_run / "workflow/report/figures.yaml").read_text())
    for category, fig_ids in headline.items():
        assert category in html, category
        for fig_id in fig_ids:
            assert any(n.endswith(f"/{fig_id}.png") for n in names), fig_id
    # Each headline figure comes with its caption, rendered from figure.rst: its own
    # caption, or, for a job that draws several figures (linear_figures), the list of
    # that job's captions by figure id.
    n_figures = sum(len(fig_ids) for fig_ids in headline.values())
    single, several = html.count("paper this is figure"), html.count("draws several figures")
    assert single + several == n_figures and single and several
    # The workflow description opens the report.
    assert "Every result in this report was produced by this Snakemake workflow" in html
