"""The report's sources, checked without running the workflow or Quarto.

- the typed-number rule: no result typed by hand next to a metric word;
- the helpers of the setup cell and the appendix, the rule-graph drawing;
- the outline mapping, the citation metadata, and `panache lint report/`.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typed_numbers import source_prose, typed_numbers

from regularization_report.report import support as rs

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "report"
BIN = Path(sys.executable).parent


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- typed numbers


def scan(text: str, tmp_path: Path) -> list[str]:
    source = write(tmp_path / "x.qmd", text + "\n")
    return [hit.number for hit in typed_numbers(source_prose(source))]


@pytest.mark.parametrize(
    "text",
    [
        "The model reaches an accuracy of 0.95 on the test set.",
        "Lasso keeps 7 of the coefficients.",
        "with alpha = 0.05 the error is small",
        "MSE 0.12, MAE 0.25.",
        "a gap of 3.5% between training and validation",
        "we train for 2000 epochs",
        "λ = 0.1 zeroes most weights",
        "Dropout at a rate of 0.5 works best.",
        "the validation loss rises after epoch 12",
    ],
)
def test_typed_numbers_next_to_metric_words_are_caught(text: str, tmp_path: Path) -> None:
    assert scan(text, tmp_path), text


@pytest.mark.parametrize(
    "text",
    [
        "The accuracy is `{python} fmt(acc)` on the test set.",  # computed inline
        "L1 and L2 penalties; the L2 norm; an ElasticNet",  # names, not numbers
        "See sections 2.1-2.10 and §6.1 of the note for the loss functions.",  # outline
        "the loss of Tibshirani (1996) and @hoerl1970ridge",  # years and citations
        "the loss $L = \\frac{1}{2}\\lVert y - X\\beta \\rVert^2 + \\alpha$",  # math
        "the 2-norm and p = 1, the norm with p = 1/2",  # norm orders
        "mean accuracy and its 95% interval over seeds",  # the confidence level
        "loss curves over seeds with 95% bands",
        "sets the coefficients to exactly 0",  # zero as a concept
        "<!-- alpha = 0.05 in a comment -->",
        "Three hidden layers of 100 sigmoid units.",  # no metric word nearby
    ],
)
def test_numbers_that_are_not_typed_results_pass(text: str, tmp_path: Path) -> None:
    assert scan(text, tmp_path) == [], text


def test_no_number_is_typed_in_the_report_prose() -> None:
    """Every number next to a metric word must come from `{python} ...` (tests/typed_numbers.py).

    A check of the sources before any render; test_report_render.py checks the rendered text.
    """
    hits = []
    for source in sorted(REPORT.glob("*.qmd")):
        hits += typed_numbers(source_prose(source), where=f"report/{source.name}")
    assert not hits, "numbers typed by hand; read them from `values` instead:\n" + "\n".join(
        map(str, hits)
    )


# --------------------------------------------------------------------------- setup helpers


def test_fmt_and_pct() -> None:
    assert rs.fmt(13) == "13"
    assert rs.fmt(2.0) == "2"
    assert rs.fmt(0.09559568945781888) == "0.096"
    assert rs.fmt(0.09559568945781888, 2) == "0.10"
    assert rs.fmt(0.0001) == "1.00e-04"
    assert rs.fmt(12345) == "12,345"
    assert rs.pct(0.953) == "95.3%"
    with pytest.raises(TypeError):
        rs.fmt("0.5")
    with pytest.raises(ValueError):
        rs.fmt(float("nan"))


def test_load_values_says_how_to_make_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run the workflow first"):
        rs.load_values(tmp_path / "report_values.json")
    assert rs.nested_get({"a": {"b": 1}}, "a.b") == 1
    with pytest.raises(KeyError, match=r"'a.c' not found; keys here: \['b'\]"):
        rs.nested_get({"a": {"b": 1}}, "a.c")


def test_markdown_table_widths_alignment_and_escaping() -> None:
    frame = pd.DataFrame({"name": ["a|b", "c"], "value": [0.123456, 2.0]})
    table = rs.markdown_table(frame, widths=[10, 4])
    lines = table.splitlines()
    assert lines[0] == "| name | value |"
    assert lines[1] == "|:---------|---:|"  # text left, numbers right; dashes give widths
    assert lines[2] == r"| a\|b | 0.1235 |"
    with pytest.raises(ValueError, match="widths"):
        rs.markdown_table(frame, widths=[1])


def test_data_sources_reads_both_manifest_layouts(tmp_path: Path) -> None:
    bundled = write(
        tmp_path / "wine/manifest.json",
        json.dumps(
            {
                "name": "wine",
                "source": "UCI",
                "licence": "CC BY 4.0",
                "files": [{"name": "data.csv", "sha256": "ab" * 32}],
            }
        ),
    )
    downloaded = write(
        tmp_path / "fashion_mnist/manifest.json",
        json.dumps(
            {
                "dataset": "fashion_mnist",
                "license": "MIT",
                "citation": "Xiao et al. (2017)",
                "homepage": "https://github.com/zalandoresearch/fashion-mnist",
                "files": [
                    {"name": "t10k-labels-idx1-ubyte.gz", "sha256": "cd" * 32},
                    {"name": "train-labels-idx1-ubyte.gz", "sha256": "ef" * 32},
                ],
            }
        ),
    )
    table = rs.data_sources_frame([bundled, downloaded])
    assert list(table["dataset"]) == ["fashion_mnist", "fashion_mnist", "wine"]
    assert set(table["licence"]) == {"MIT", "CC BY 4.0"}
    assert table["source"][0].startswith("Xiao et al. (2017); https://")
    assert rs.short_digest("ab" * 32) == "abababababababab…"


def test_run_times_from_benchmark_files(tmp_path: Path) -> None:
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    write(
        tmp_path / "linear/wine_course.tsv", header + "2.5\t0:00:02\t100.0\t1\t1\t1\t0\t0\t0\t1\n"
    )
    write(
        tmp_path / "nn/train_mlp_digits_seed0.tsv",
        header + "10.0\t0:00:10\t300.0\t1\t1\t1\t0\t0\t0\t1\n"
        "20.0\t0:00:20\t-\t1\t1\t1\t0\t0\t0\t1\n",  # two repeats, one without memory
    )
    frame = rs.run_times_frame(tmp_path)
    assert list(frame["job"]) == ["linear/wine_course", "nn/train_mlp_digits_seed0"]
    assert list(frame["seconds"]) == [2.5, 15.0]
    assert list(frame["max_rss_mb"]) == [100.0, 300.0]
    parts = rs.run_times_by_part(frame)
    assert list(parts["part"]) == ["nn", "linear"] and list(parts["seconds"]) == [15.0, 2.5]


def test_environment_reads_versions_at_run_time() -> None:
    packages = rs.read_pyproject_requirements(REPO / "pyproject.toml", extras=["report"])
    assert "torch" in packages and "quarto-cli" in packages
    table = rs.environment_frame(["pandas", "surely-not-a-package"]).set_index("component")
    assert table.loc["pandas", "version"] == importlib.metadata.version("pandas")
    assert table.loc["surely-not-a-package", "version"] == "not installed"
    assert table.loc["python", "version"] == ".".join(map(str, sys.version_info[:3]))


def test_figure_provenance_table(tmp_path: Path) -> None:
    index = write(
        tmp_path / "index.csv",
        "id,caption,script,rule,inputs,files\n"
        "fig-a,Cap,scripts/a.py,plot_a,results/a.csv;results/b.csv,fig-a.png;fig-a.svg\n"
        "fig-b,Cap,scripts/b.py,rule_b,,fig-b.png\n",
    )
    table = rs.figure_provenance(index)
    assert list(table.columns) == ["figure", "files", "script", "rule", "inputs"]
    assert list(table["files"]) == ["png, svg", "png"]
    assert list(table["figure"]) == ["fig-a", "fig-b"]
    shown = table.map(lambda cell: cell.replace(rs.ZERO_WIDTH_SPACE, ""))
    assert shown["inputs"][0] == "results/a.csv, results/b.csv"
    assert shown["inputs"][1] == "(none)"
    assert shown["rule"][0] == "plot_a"
    # Typst may break a long path or rule name after "/" and "_".
    assert table["script"][0] == f"scripts/{rs.ZERO_WIDTH_SPACE}a.py"
    assert table["rule"][0] == f"plot_{rs.ZERO_WIDTH_SPACE}a"


# --------------------------------------------------------------------------- structure and metadata

NOTE_OUTLINE = [f"2.{i}" for i in range(1, 11)] + [
    *(f"6.{i}" for i in range(1, 7)),
    "8.1",
    "8.2",
    "9.1",
    "9.2",
    "9.3",
]


def _labels_defined() -> set[str]:
    labels = set()
    for source in REPORT.glob("*.qmd"):
        text = source.read_text(encoding="utf-8")
        labels |= set(re.findall(r"\{#((?:sec|fig|tbl|eq)-[\w-]+)", text))
        labels |= set(re.findall(r"#\|\s*label:\s*((?:fig|tbl)-[\w-]+)", text))
    return labels


def test_every_section_of_the_study_note_maps_to_a_report_section() -> None:
    index = (REPORT / "index.qmd").read_text(encoding="utf-8")
    table = index[index.index("::: {#tbl-outline}") :]
    table = table[: table.index("\n:::")]
    rows = {}
    for line in table.splitlines():
        match = re.match(r"\|\s*§(\d+\.\d+)\s*\|(.*)\|(.*)\|\s*$", line)
        if match:
            rows.setdefault(match[1], []).append(re.findall(r"@(sec-[\w-]+)", match[3]))
    defined = _labels_defined()
    for section in NOTE_OUTLINE:
        assert section in rows, f"study note section {section} is missing from @tbl-outline"
        if section == "6.4":  # the note skips 6.4 (and has two 6.5)
            continue
        targets = [t for refs in rows[section] for t in refs]
        assert targets, f"section {section} maps to no report section"
        assert set(targets) <= defined, f"{section}: undefined {set(targets) - defined}"
    # The note's sources exist where the tests run (shared/ beside the repo).
    seed = next((REPO.parent / "shared" / "seed").glob("*.txt"), None)
    if seed is not None:
        note = seed.read_text(encoding="utf-8")
        for section in NOTE_OUTLINE:
            if section != "6.4":
                assert f"{section}." in note, f"{section} is not a section of the study note"


def _frontmatter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def test_citation_metadata_agrees_everywhere() -> None:
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors", "version", "license"):
        assert cff.get(key), f"CITATION.cff lacks {key}"
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    front = _frontmatter(REPORT / "index.qmd")
    assert cff["version"] == project["version"] == front["citation"]["version"]
    assert cff["license"] == project["license"]
    assert cff["title"] == front["title"]
    cff_authors = [(a["given-names"], a["family-names"]) for a in cff["authors"]]
    qmd_authors = [(a["name"]["given"], a["name"]["family"]) for a in front["author"]]
    assert cff_authors == qmd_authors
    assert front["google-scholar"] is True


def test_quarto_project_renders_html_and_typst_from_one_source() -> None:
    config = yaml.safe_load((REPORT / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["project"]["render"] == ["index.qmd"]
    html, typst = config["format"]["html"], config["format"]["typst"]
    assert html["code-fold"] is True and html["lightbox"] is True and html["toc"] is True
    fonts = typst["include-before-body"][0]["text"]
    assert "Noto Serif CJK KR" in fonts and "Noto Sans CJK KR" in fonts
    assert config["execute"]["freeze"] is False  # Snakemake is the cache


def test_every_headline_figure_of_the_snakemake_report_has_a_rule() -> None:
    headline = yaml.safe_load((REPO / "workflow/report/figures.yaml").read_text())
    ids = [fig_id for fig_ids in headline.values() for fig_id in fig_ids]
    assert ids and len(ids) == len(set(ids)), "each headline figure once, in one category"
    rules = "\n".join(p.read_text() for p in (REPO / "workflow/rules").glob("*.smk"))
    for fig_id in ids:
        assert f'"{fig_id}"' in rules, f"{fig_id}: no rule file names it"
    template = (REPO / "workflow/report/figure.rst").read_text()
    assert "snakemake.params.caption" in template  # one caption per figure, in its rule


def test_panache_lint_is_clean() -> None:
    result = subprocess.run(
        [str(BIN / "panache"), "lint", "report/"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_typst_package_from_the_internet() -> None:
    # Quarto's Typst callouts import @preview/fontawesome and theorem environments
    # @preview/ctheorems: both are downloaded at render time, so the PDF would not
    # build offline. Boxes are tables or plain paragraphs here.
    pattern = re.compile(r"\{[^}]*\.(callout-\w+|theorem|lemma|proof|definition)\b")
    offenders = [
        f"{source.name}:{number}: {line.strip()}"
        for source in sorted(REPORT.glob("*.qmd"))
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
