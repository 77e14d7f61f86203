"""The workflow end to end on the test config, and its behaviour around Quarto and config."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_CONFIG, copy_repo, run_snakemake, snakemake_env

pytestmark = pytest.mark.workflow

QUARTO_LINE = "Quarto CLI not found on PATH"


def test_wine_course_contract(test_run: Path) -> None:
    metrics = pd.read_csv(test_run / "results/linear/wine_course/metrics.csv")
    assert list(metrics.columns) == [
        "model",
        "alpha",
        "max_iter",
        "features",
        "mae",
        "mse",
        "rmse",
        "n_nonzero",
    ]
    raw = metrics[metrics["features"] == "raw"]
    # One row per model and iteration setting: OLS, Lasso, Ridge, and the two short runs.
    assert sorted(raw["model"]) == ["lasso", "lasso", "linear_regression", "ridge", "ridge"]
    assert (
        metrics["rmse"] ** 2 - metrics["mse"]
    ).abs().max() < 1e-8  # CSV keeps 10 significant digits
    coefficients = pd.read_csv(test_run / "results/linear/wine_course/coefficients.csv")
    assert list(coefficients.columns) == [
        "model",
        "alpha",
        "max_iter",
        "features",
        "feature",
        "coef",
    ]
    # n_nonzero agrees with the coefficient table it summarises.
    lasso = coefficients[(coefficients["model"] == "lasso") & (coefficients["max_iter"] == 1000)]
    for features, group in lasso.groupby("features"):
        expected = int((group["coef"] != 0).sum())
        row = metrics[
            (metrics["model"] == "lasso")
            & (metrics["max_iter"] == 1000)
            & (metrics["features"] == features)
        ]
        assert int(row["n_nonzero"].iloc[0]) == expected


def test_figures_written_and_indexed(test_run: Path) -> None:
    index = pd.read_csv(test_run / "report/figures/index.csv")
    assert list(index.columns) == ["id", "caption", "script", "rule", "inputs", "files"]
    assert "fig-wine-coefficients" in set(index["id"])
    for row in index.itertuples():
        for ext in (".png", ".svg", ".pdf"):
            path = test_run / "report/figures" / f"{row.id}{ext}"
            assert path.stat().st_size > 1000, path
        assert (test_run / row.script).is_file(), row.script


def test_report_values_merged(test_run: Path) -> None:
    values = json.loads((test_run / "results/report_values.json").read_text())
    wine = values["wine_course"]
    metrics = pd.read_csv(test_run / "results/linear/wine_course/metrics.csv")
    lasso = metrics[
        (metrics["model"] == "lasso")
        & (metrics["max_iter"] == 1000)
        & (metrics["features"] == "raw")
    ]
    assert wine["raw"]["lasso"]["n_nonzero"] == int(lasso["n_nonzero"].iloc[0])
    assert wine["raw"]["lasso"]["n_zero"] == wine["n_features"] - wine["raw"]["lasso"]["n_nonzero"]


def test_rerun_has_nothing_to_do(test_run: Path) -> None:
    result = run_snakemake(test_run, "--cores", "2", *TEST_CONFIG)
    assert "Nothing to be done" in result.stdout + result.stderr


def test_missing_quarto_is_skipped_with_a_message(test_run: Path) -> None:
    result = run_snakemake(test_run, "--cores", "1", "--forcerun", "figure_index", *TEST_CONFIG)
    output = result.stdout + result.stderr
    # Once at the start, once at the end.
    assert output.count(QUARTO_LINE) == 2, output
    assert not (test_run / "report/_output").exists()


def test_required_quarto_missing_fails_before_any_job(tmp_path: Path) -> None:
    workdir = copy_repo(tmp_path / "wf")
    (workdir / "require_quarto.yaml").write_text("quarto:\n  require: true\n")
    result = run_snakemake(
        workdir, "--cores", "1", *TEST_CONFIG, "require_quarto.yaml", check=False
    )
    assert result.returncode != 0
    assert "quarto.require is true but the Quarto CLI is not on PATH" in result.stderr
    assert not (workdir / "data/raw").exists() and not (workdir / "results").exists()


def _stand_in_quarto(bin_dir: Path, record: Path) -> None:
    """A fake `quarto` that records its arguments and writes the files a render makes."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "quarto"
    # The HTML pass keeps its executed Markdown; the PDF pass renders it (render.py).
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{record}"\n'
        "mkdir -p report/_output\n"
        'case "$*" in\n'
        '  *"--to html"*) echo "<html></html>" > report/_output/index.html;'
        ' echo "# executed" > report/index.html.md ;;\n'
        '  *"--to typst"*) echo "%PDF-1.7" > report/_output/index-executed.pdf ;;\n'
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_render_rule_calls_quarto_when_present(test_run: Path, tmp_path: Path) -> None:
    record = tmp_path / "quarto-args.txt"
    _stand_in_quarto(tmp_path / "bin", record)
    env = snakemake_env(path_prefix=tmp_path / "bin")
    result = run_snakemake(test_run, "--cores", "1", *TEST_CONFIG, env=env)
    assert QUARTO_LINE not in result.stdout + result.stderr
    assert record.read_text().splitlines() == [
        "render report --to html -M keep-md:true",
        "render report/index-executed.md --profile pdf --to typst",
    ]
    assert not (test_run / "report/index-executed.md").exists()  # an intermediate
    assert (test_run / "report/_output/index.html").exists()
    assert (test_run / "report/_output/index.pdf").exists()
    # Clean up so the session's other tests see the quarto-less state.
    for name in ("index.html", "index.pdf"):
        (test_run / "report/_output" / name).unlink()
    (test_run / "report/_output").rmdir()


BAD_CONFIGS = {
    "unknown key": ("bogus_key: 1\n", "bogus_key"),
    "unknown nested key": ("data:\n  split:\n    shuffle: true\n", "shuffle"),
    "value not in enum": ("device: tpu\n", "device"),
    "value out of range": ("data:\n  split:\n    test_size: 0.9\n", "test_size"),
    "wrong type": ("linear:\n  wine_course:\n    alpha: lots\n", "alpha"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_invalid_config_fails_before_any_job(tmp_path: Path, case: str) -> None:
    text, named = BAD_CONFIGS[case]
    workdir = copy_repo(tmp_path / "wf")
    (workdir / "bad.yaml").write_text(text)
    result = run_snakemake(workdir, "--cores", "1", *TEST_CONFIG, "bad.yaml", check=False)
    assert result.returncode != 0
    assert "Error validating config" in result.stderr
    assert named in result.stderr
    assert not (workdir / "data/raw").exists()
    assert not (workdir / "results").exists()
