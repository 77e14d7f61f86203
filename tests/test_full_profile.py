"""The full profile: Fashion-MNIST's processed split, the course's demos, the DAG, resources.

The download path runs the real rules against a local HTTP server serving the
real files (Debian's package, tests/fashion_fixtures.py); nothing leaves the
machine. The port's unit tests train on tiny IDX stand-ins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO, copy_repo, run_snakemake, snakemake_env
from fashion_fixtures import FILES, Server, debian_bytes, fixture_arrays, write_fixture_files
from torch import nn

from regularization_report.data.bundled import load_split
from regularization_report.files import read_json
from regularization_report.nn import fashion_course as fmnist
from regularization_report.nn.training import set_deterministic

FULL_CONFIG = ("--configfile", "config/full.yaml")
COURSE = yaml.safe_load((REPO / "config/config.yaml").read_text())["fashion_mnist"]["course"]


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fashion_raw")
    write_fixture_files(folder, fixture_arrays())
    return folder


# --- the course's demos ---------------------------------------------------------------
def test_course_specs_follow_the_course() -> None:
    runs = fmnist.course_runs(COURSE)
    assert runs == [
        ("course_model", "dropout"),
        ("course_model", "no_dropout"),  # the course's baseline for Dropout(0.9)
        ("overfitting", "no_dropout"),
        ("overfitting", "dropout"),
        ("overfitting", "no_dropout_scaled_once"),  # the course's mistake, corrected
        ("overfitting", "dropout_scaled_once"),
        ("batchnorm", "plain"),
        ("batchnorm", "batch_norm"),
    ]
    course = fmnist.course_spec(COURSE, "course_model", "dropout")
    assert course["model"] == {"hidden": [128], "dropout": 0.9}
    assert fmnist.course_spec(COURSE, "course_model", "no_dropout")["model"]["dropout"] == 0.0
    assert course["train"]["optimizer"] == "adam" and course["train"]["lr"] == 0.001
    assert (course["train"]["epochs"], course["train"]["batch_size"]) == (5, 32)
    assert course["train"]["adam_eps"] == 1e-7  # Keras's Adam
    assert course["validation"] == {"source": "test"}
    assert course["pixel_divisions"] == 1
    overfit = fmnist.course_spec(COURSE, "overfitting", "dropout")
    assert overfit["model"] == {"hidden": [256], "dropout": 0.5}
    assert (overfit["train"]["epochs"], overfit["train"]["batch_size"]) == (200, 512)
    assert overfit["validation"] == {"source": "split", "test_size": 0.01, "random_state": 101}
    assert overfit["pixel_divisions"] == 2  # 25-6 b divided by 255 twice
    for variant in ("no_dropout_scaled_once", "dropout_scaled_once"):
        assert fmnist.course_spec(COURSE, "overfitting", variant)["pixel_divisions"] == 1
    assert fmnist.course_spec(COURSE, "overfitting", "no_dropout")["model"]["hidden"] == [256]
    bn = fmnist.course_spec(COURSE, "batchnorm", "batch_norm")
    assert bn["model"] == {"hidden": [128], "batch_norm": True}
    assert (bn["train"]["epochs"], bn["train"]["batch_size"]) == (20, 2048)
    assert bn["validation"] == {"source": "split", "test_size": 0.3, "random_state": 101}
    assert bn["pixel_divisions"] == 1  # 25-7 divided once

    capped = fmnist.course_spec({**COURSE, "max_epochs": 3}, "overfitting", "no_dropout")
    assert capped["train"]["epochs"] == 3
    torch_adam = fmnist.course_spec({**COURSE, "keras_defaults": False}, "batchnorm", "plain")
    assert "adam_eps" not in torch_adam["train"]  # the training core's 1e-8
    with pytest.raises(ValueError, match="has no variant 'nope'"):
        fmnist.course_spec(COURSE, "batchnorm", "nope")


def test_course_data_splits_and_scales_as_the_course(raw_dir: Path) -> None:
    from sklearn.model_selection import train_test_split

    spec = fmnist.course_spec(COURSE, "overfitting", "no_dropout")
    data = fmnist.course_data(raw_dir, spec)
    arrays = fixture_arrays()
    X = arrays["train-images-idx3-ubyte.gz"].reshape(-1, 784) / 255.0 / 255.0
    y = arrays["train-labels-idx1-ubyte.gz"]
    # The course's call, unstratified: train_test_split(X, y, test_size=0.01, random_state=101).
    X_train, X_val, _, y_val = train_test_split(X, y, test_size=0.01, random_state=101)
    np.testing.assert_allclose(data.X_train.numpy(), X_train, rtol=1e-6)
    np.testing.assert_allclose(data.X_val.numpy(), X_val, rtol=1e-6)
    np.testing.assert_array_equal(data.y_val.numpy(), y_val)
    assert float(data.X_train.max()) <= 1 / 255 + 1e-9  # divided twice

    on_test = fmnist.course_data(raw_dir, fmnist.course_spec(COURSE, "course_model", "dropout"))
    assert torch.equal(on_test.X_val, on_test.X_test) and len(on_test.y_train) == 200


def test_keras_defaults_initialize_like_keras() -> None:
    torch.manual_seed(0)
    network = {"hidden": [128], "batch_norm": True}
    model = fmnist.apply_keras_defaults(fmnist.course_network(network))
    first = model[1]
    glorot = (6 / (784 + 128)) ** 0.5
    torch_default = 1 / 784**0.5  # PyTorch's own bound; Glorot's is wider
    assert torch_default < first.weight.abs().max().item() <= glorot
    assert all(
        torch.count_nonzero(m.bias) == 0 for m in model.modules() if isinstance(m, nn.Linear)
    )
    norm = model[3]
    assert isinstance(norm, nn.BatchNorm1d)
    assert (norm.momentum, norm.eps) == (0.01, 1e-3)
    torch.manual_seed(0)
    plain = fmnist.apply_keras_defaults(
        fmnist.course_network(network), init=False, batch_norm=False
    )
    assert plain[1].weight.abs().max().item() <= torch_default  # PyTorch's init kept
    assert (plain[3].momentum, plain[3].eps) == (0.1, 1e-5)


def _run_twice(raw_dir: Path, tmp_path: Path, spec: dict, **kwargs) -> tuple[Path, Path]:
    roots = (tmp_path / "a", tmp_path / "b")
    for root in roots:
        fmnist.run_course_variant(raw_dir, spec, out_root=root, **kwargs)
    return roots


def test_course_runs_are_identical_run_to_run_on_cpu(raw_dir: Path, tmp_path: Path) -> None:
    spec = fmnist.course_spec(
        {**COURSE, "seeds": [0, 1], "max_epochs": 3}, "batchnorm", "batch_norm"
    )
    a, b = _run_twice(raw_dir, tmp_path, spec)
    for seed in (0, 1):
        run = fmnist.run_dir("batchnorm", "batch_norm", seed)
        assert (a / run / "history.csv").read_bytes() == (b / run / "history.csv").read_bytes()
        assert read_json(a / run / "run.json") == read_json(b / run / "run.json")
        state_a = torch.load(a / run / "model.pt", weights_only=True)["state_dict"]
        state_b = torch.load(b / run / "model.pt", weights_only=True)["state_dict"]
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
        history = pd.read_csv(a / run / "history.csv")
        assert history["epoch"].tolist() == [0, 1, 2, 3]
    # Different seeds give different runs.
    run0, run1 = (a / fmnist.run_dir("batchnorm", "batch_norm", s) / "history.csv" for s in (0, 1))
    assert run0.read_bytes() != run1.read_bytes()
    record = read_json(a / fmnist.run_dir("batchnorm", "batch_norm", 0) / "run.json")
    assert record["n_train"] == 140 and record["n_val"] == 60 and record["n_test"] == 60
    assert record["keras_defaults"] == {"init": True, "batch_norm": True, "adam_eps": True}
    assert record["layers"] == [
        "Flatten",
        "Dense(128, relu)",
        "BatchNormalization",
        "Dense(10, softmax)",
    ]
    assert 0.0 <= record["test_acc"] <= 1.0


def test_deterministic_switch_on_cpu(raw_dir: Path, tmp_path: Path) -> None:
    spec = fmnist.course_spec({**COURSE, "seeds": [0], "max_epochs": 2}, "course_model", "dropout")
    try:
        a, b = _run_twice(raw_dir, tmp_path, spec, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        set_deterministic(False)
    assert not torch.are_deterministic_algorithms_enabled()
    run = fmnist.run_dir("course_model", "dropout", 0)
    assert (a / run / "history.csv").read_bytes() == (b / run / "history.csv").read_bytes()
    assert read_json(a / run / "run.json")["deterministic"] is True


# --- the DAG --------------------------------------------------------------------------
def _planned_jobs(output: str) -> list[dict[str, str]]:
    """Job blocks of a dry run: rule name, then each ``key: value`` line."""
    jobs: list[dict[str, str]] = []
    for line in output.splitlines():
        header = re.match(r"^(?:local)?rule (\w+):$", line)
        if header:
            jobs.append({"rule": header.group(1)})
        elif jobs and line.startswith("    ") and ": " in line:
            key, _, value = line.strip().partition(": ")
            jobs[-1].setdefault(key, value)
    return jobs


@pytest.fixture(scope="module")
def full_dry_run(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    workdir = copy_repo(tmp_path_factory.mktemp("full_dry"))
    result = run_snakemake(workdir, "-n", "--forceall", *FULL_CONFIG)
    assert not (workdir / "data/raw").exists() and not (workdir / "results").exists()
    return _planned_jobs(result.stdout + result.stderr)


def test_full_profile_plans_every_fashion_mnist_job(full_dry_run: list[dict[str, str]]) -> None:
    outputs = {out for job in full_dry_run for out in job.get("output", "").split(", ") if out}
    rules = [job["rule"] for job in full_dry_run]
    assert rules.count("download_dataset") == 1
    assert rules.count("train_fashion_mnist_course") == len(fmnist.course_runs(COURSE))
    for name in (
        "data/raw/fashion_mnist/manifest.json",
        "data/processed/fashion_mnist.npz",
        "results/fashion_mnist/course/summary.csv",
        "results/values/fashion_mnist.json",
        "report/figures/fig-fashion-overfitting.png",
        "report/figures/fig-fashion-batchnorm.png",
    ):
        assert name in outputs, name
    full = yaml.safe_load((REPO / "config/full.yaml").read_text())
    for demo, variant in fmnist.course_runs(COURSE):
        for seed in full["fashion_mnist"]["course"]["seeds"]:
            assert f"{fmnist.run_dir(demo, variant, seed)}/run.json" in outputs
    # The neural-network experiments train on Fashion-MNIST too.
    for experiment in full["nn"]["experiments"]:
        assert any(o.startswith(f"results/nn/fashion_mnist/{experiment}/") for o in outputs)


def test_every_job_declares_its_resources(tmp_path: Path) -> None:
    """threads, mem_mb and runtime on every rule; a GPU on training rules under device: cuda."""
    workdir = copy_repo(tmp_path / "wf")
    (workdir / "cuda.yaml").write_text("device: cuda\n")
    # Without the workflow profile, so default resources cannot hide a missing declaration.
    result = run_snakemake(
        workdir, "-n", "--forceall", "--workflow-profile", "none", *FULL_CONFIG, "cuda.yaml"
    )
    jobs = _planned_jobs(result.stdout + result.stderr)
    assert len(jobs) > 100
    for job in jobs:
        if job["rule"] == "all":
            continue
        resources = dict(
            item.split("=", 1) for item in job.get("resources", "").split(", ") if "=" in item
        )
        assert "mem_mb" in resources and "runtime" in resources, job
        assert int(resources["mem_mb"]) > 0 and int(resources["runtime"]) > 0, job
        if job["rule"].startswith("train_"):
            assert resources.get("gpu") == "1", job
            assert int(job.get("threads", "1")) >= 1


def _rule_blocks(path: Path) -> list[tuple[str, str]]:
    """(name, source) of every rule in a Snakefile; loop rules are named by their name: line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = []
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)(?:local)?rule\b\s*(\w*)\s*:\s*$", line)
        if match:
            starts.append((i, len(match.group(1)), match.group(2)))
    blocks = []
    for start, indent, name in starts:
        end = len(lines)
        for k in range(start + 1, len(lines)):
            text = lines[k]
            code = text.strip() and not text.lstrip().startswith("#")
            if code and len(text) - len(text.lstrip()) <= indent:
                end = k
                break
        body = "\n".join(lines[start:end])
        if not name:
            found = re.search(r"^\s+name:\s*\n\s*(.+)$", body, re.M)
            name = found.group(1).strip() if found else f"{path.name}:{start + 1}"
        blocks.append((name, body))
    return blocks


def test_every_rule_declares_threads() -> None:
    """`threads:` on every rule, 1 included: it becomes SLURM's --cpus-per-task and the
    job's torch threads, so a default must be a decision, not an omission."""
    sources = [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]
    missing = [
        f"{path.relative_to(REPO)}: {name}"
        for path in sources
        for name, body in _rule_blocks(path)
        if name != "all" and not re.search(r"^\s+threads:", body, re.M)
    ]
    assert not missing, "rules without threads:\n" + "\n".join(missing)


# --- the download path against a local server -----------------------------------------
@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


def no_proxy_env(extra: dict[str, str]) -> dict[str, str]:
    env = snakemake_env()
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(var, None)
    env["no_proxy"] = "*"
    env.update(extra)
    return env


def test_full_profile_download_path_offline(tmp_path: Path, server: Server) -> None:
    """The real download, processing, training, summary and figure rules on the real data."""
    for name in FILES:
        server.serve(f"/mirror/{name}", ("ok", debian_bytes(name)))
    env = no_proxy_env({})
    workdir = copy_repo(tmp_path / "wf")
    (workdir / "local.yaml").write_text(
        "fashion_mnist:\n"
        f"  download: {{source: {{folder: null, base_urls: ['{server.url}/mirror/']}},"
        " retries: 1, timeout_s: 10}\n"
        "  course: {seeds: [0], max_epochs: 1, threads: 1}\n"
        "  keras_reference: {seeds: [0], max_epochs: 1, measure_train: false}\n"
    )
    targets = [
        "data/processed/fashion_mnist.npz",
        "results/values/fashion_mnist.json",
        "report/figures/fig-fashion-overfitting.png",
        "report/figures/fig-fashion-batchnorm.png",
    ]
    configs = ("--configfile", "config/test.yaml", "config/full.yaml", "local.yaml")
    run_snakemake(workdir, "--cores", "2", *targets, *configs, env=env)

    manifest = read_json(workdir / "data/raw/fashion_mnist/manifest.json")
    assert [e["url"] for e in manifest["files"]] == [f"{server.url}/mirror/{n}" for n in FILES]
    assert all(server.requests[f"/mirror/{n}"] == 1 for n in FILES)
    split = load_split(workdir / "data/processed/fashion_mnist.npz")
    assert split.X_train.shape[1] == 784 and len(split.y_test) == 10000
    values = json.loads((workdir / "results/values/fashion_mnist.json").read_text())
    assert set(values["demos"]) == set(fmnist.DEMOS)
    assert values["n_runs"] == len(fmnist.course_runs(COURSE))
    assert values["settings"]["overfitting"]["validation"]["test_size"] == 0.01
    # The comparison is live (this profile trained the demos), not the archive.
    assert values["comparison"]["source"] == "live" and values["comparison"]["capped"]
    summary = pd.read_csv(workdir / "results/fashion_mnist/course/summary.csv")
    assert (summary["epochs_run"] == 1).all() and summary["test_acc"].between(0, 1).all()
    for fig in ("fig-fashion-overfitting", "fig-fashion-batchnorm"):
        assert (workdir / f"report/figures/{fig}.pdf").stat().st_size > 1000

    # A rerun needs no network: nothing to do.
    server.httpd.shutdown()
    rerun = run_snakemake(workdir, "--cores", "1", *targets, *configs, env=env)
    assert "Nothing to be done" in rerun.stdout + rerun.stderr
