"""The report's inputs from a real run of the workflow (config/test.yaml).

The provenance tables are true, the rule graph is drawn by the workflow, and
`snakemake --report` builds its archive. The rendered report itself (cells,
figures, captions, links) is checked in test_report_render.py.
"""

from __future__ import annotations

import importlib.metadata
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import TEST_CONFIG, run_snakemake

from regularization_report.files import sha256_file

pytestmark = pytest.mark.workflow


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
