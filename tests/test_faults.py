"""The fault catalogue: each fault a user can meet, and what the workflow does about it.

- run killed during training: the rerun redoes the killed job; no partial result is kept.
- corrupted or truncated download: the rule fails naming the file; nothing unverified stays.
- no network: the error says where to place the files by hand.
- Fashion-MNIST missing (full profile): --keep-going builds the rest; files placed by hand
  are verified and used without network.
- invalid config value (every kind): rejected before any job runs, naming the key.
- NaN loss: recorded as status "diverged"; the workflow goes on.
- read-only results directory: the job fails naming the path; a rerun then completes.
- model file that is not a state_dict: refused by torch.load(weights_only=True); no code runs.

The README's troubleshooting section lists the same faults and the fixes.
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import BIN, REPO, TEST_CONFIG, copy_repo, run_snakemake, snakemake_env
from fashion_fixtures import FILES, Server, corrupt_content, debian_bytes
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from regularization_report import checks
from regularization_report.files import read_json
from regularization_report.nn.models import MLP, MLPConfig
from regularization_report.nn.training import load_checkpoint, save_checkpoint

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"
MANIFEST = "data/raw/fashion_mnist/manifest.json"
DOWNLOAD_LOG = "logs/download/fashion_mnist.log"


# --- interrupted run -----------------------------------------------------------------
# One training job with two seeds, slow enough to be killed while the second trains.
SLOW_RUN = """\
nn:
  seeds: [0, 1]
  max_epochs: null
  experiments:
    dropout: {train: {epochs: 300}}
"""
SLOW_DIR = "results/nn/breast_cancer/dropout/rate0.0"
SLOW_FILES = [f"{SLOW_DIR}/seed{s}/{f}" for s in (0, 1) for f in ("history.csv", "run.json")]


def _wait_for(path: Path, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"snakemake ended (exit {process.returncode}) before {path}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.02)


def test_run_killed_during_training_is_redone_on_rerun(tmp_path: Path) -> None:
    reference = copy_repo(tmp_path / "reference")
    killed = copy_repo(tmp_path / "killed")
    for workdir in (reference, killed):
        (workdir / "slow.yaml").write_text(SLOW_RUN)
    args = ("--cores", "1", *SLOW_FILES, *TEST_CONFIG, "slow.yaml")
    run_snakemake(reference, *args)

    # Start the run in a session of its own and kill the whole session (snakemake
    # and the training job) with SIGKILL once seed 0 is written and seed 1 trains.
    process = subprocess.Popen(
        [str(BIN / "snakemake"), *args],
        cwd=killed,
        env=snakemake_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for(killed / SLOW_DIR / "seed0/run.json", process, timeout=300)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not (killed / SLOW_DIR / "seed1/run.json").exists(), "killed too late"

    # A killed Snakemake cannot remove its lock: the next run says so and how to fix it.
    locked = run_snakemake(killed, *args, check=False)
    assert locked.returncode != 0 and "--unlock" in locked.stderr
    run_snakemake(killed, "--unlock", *args)

    # The job's finished seed is on disk, but the job is marked incomplete:
    # without --rerun-incomplete (the workflow profile sets it) Snakemake refuses
    # to take its outputs as complete and names them.
    refused = run_snakemake(killed, "--workflow-profile", "none", *args, check=False)
    assert refused.returncode != 0
    assert "IncompleteFilesException" in refused.stderr or "incomplete" in refused.stderr
    assert f"{SLOW_DIR}/seed0/run.json" in refused.stderr

    # A plain rerun (workflow profile: rerun-incomplete) redoes the job from scratch.
    rerun = run_snakemake(killed, *args)
    assert "train_nn" in rerun.stdout + rerun.stderr
    for name in SLOW_FILES:
        assert (killed / name).read_bytes() == (reference / name).read_bytes(), name
    # Atomic writes: a temporary file the kill left behind is never an output.
    leftovers = [p.name for p in (killed / SLOW_DIR).rglob("*.tmp")]
    assert all(name.startswith(".") for name in leftovers)


# --- downloads ------------------------------------------------------------------------
@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


@pytest.fixture(scope="module")
def fixture_blobs() -> dict[str, bytes]:
    """The real files, as Debian's package ships them."""
    return {name: debian_bytes(name) for name in FILES}


def _download_env() -> dict[str, str]:
    env = snakemake_env()
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(var, None)
    env["no_proxy"] = "*"
    return env


def _full_profile_copy(tmp_path: Path, base_url: str) -> Path:
    """The full profile with one web source and no local folder."""
    workdir = copy_repo(tmp_path / "wf")
    (workdir / "source.yaml").write_text(
        "fashion_mnist:\n"
        f"  download: {{source: {{folder: null, base_urls: ['{base_url}']}}, retries: 2,"
        " timeout_s: 5}\n"
    )
    return workdir


FULL = ("--configfile", "config/test.yaml", "config/full.yaml", "source.yaml")


@pytest.mark.parametrize("fault", ["corrupted", "truncated"])
def test_bad_download_fails_and_keeps_nothing_unverified(
    tmp_path: Path, server: Server, fixture_blobs: dict[str, bytes], fault: str
) -> None:
    bad = FILES[-1]  # fetched last: the three before it verify first
    for name, blob in fixture_blobs.items():
        server.serve(f"/m/{name}", ("ok", blob))
    if fault == "corrupted":
        server.serve(f"/m/{bad}", ("ok", corrupt_content(bad)))
    else:
        server.serve(f"/m/{bad}", ("truncate", fixture_blobs[bad]))
    workdir = _full_profile_copy(tmp_path, f"{server.url}/m/")
    env = _download_env()

    result = run_snakemake(workdir, "--cores", "1", MANIFEST, *FULL, env=env, check=False)

    assert result.returncode != 0
    log = (workdir / DOWNLOAD_LOG).read_text()
    expected = "decompressed content has SHA-256" if fault == "corrupted" else "IncompleteRead"
    assert expected in log
    assert f"could not get {bad}" in log and "place the file by hand" in log
    raw = workdir / "data/raw/fashion_mnist"
    assert not (raw / bad).exists() and not (raw / "manifest.json").exists()
    # Files that verified before the failure stay (they match their pins) ...
    for name in FILES[:-1]:
        assert (raw / name).read_bytes() == fixture_blobs[name]
    # ... and nothing else is there, not even a temporary file.
    assert sorted(p.name for p in raw.iterdir()) == sorted(FILES[:-1])


def _dead_url() -> str:
    with socket.socket() as sock:  # a free port, then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_no_network_says_where_to_place_the_files(
    tmp_path: Path, fixture_blobs: dict[str, bytes]
) -> None:
    workdir = _full_profile_copy(tmp_path, _dead_url())
    env = _download_env()
    result = run_snakemake(workdir, "--cores", "1", MANIFEST, *FULL, env=env, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr  # show-failed-logs puts the log on screen
    target = (workdir / "data/raw/fashion_mnist" / FILES[0]).resolve()
    assert "place the file by hand" in output and str(target) in output
    assert "Connection refused" in output or "ConnectionRefusedError" in output


def test_missing_fashion_mnist_blocks_only_what_needs_it(
    tmp_path: Path, fixture_blobs: dict[str, bytes]
) -> None:
    """Full profile, no network, no files: the rest builds; files placed by hand are used."""
    workdir = _full_profile_copy(tmp_path, _dead_url())
    env = _download_env()
    targets = ["data/processed/fashion_mnist.npz", "results/values/wine_course.json"]
    result = run_snakemake(
        workdir, "--cores", "2", "--keep-going", *targets, *FULL, env=env, check=False
    )
    assert result.returncode != 0
    assert (workdir / "results/values/wine_course.json").exists()  # independent of the download
    assert not (workdir / "data/processed/fashion_mnist.npz").exists()
    assert "Error in rule download_dataset" in result.stdout + result.stderr

    # Placed by hand, as the message says: verified by content, no network needed.
    raw = workdir / "data/raw/fashion_mnist"
    raw.mkdir(parents=True, exist_ok=True)  # Snakemake removed the failed job's empty folder
    for name, blob in fixture_blobs.items():
        (raw / name).write_bytes(blob)
    run_snakemake(workdir, "--cores", "2", *targets, *FULL, env=env)
    manifest = read_json(workdir / MANIFEST)
    assert [entry["url"] for entry in manifest["files"]] == [None] * 4  # none downloaded
    assert (workdir / "data/processed/fashion_mnist.npz").exists()


# --- invalid config values --------------------------------------------------------------
def _config() -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    return copy.deepcopy(config)


def _set(config: dict, dotted: str, value: object) -> dict:
    *parents, last = dotted.split(".")
    node = config
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return config


DELETE = object()
BAD_VALUES = {
    "unknown key": ("fashion_mnist.course.epochs", 5),
    "wrong type": ("fashion_mnist.course.threads", "two"),
    "below minimum": ("fashion_mnist.course.threads", 0),
    "out of range": ("fashion_mnist.val_size", 0.9),
    "not in enum": ("fashion_mnist.course.demos.overfitting.validation.source", "train"),
    "missing required key": ("fashion_mnist.course.demos.batchnorm.validation.test_size", DELETE),
    "not a URL": ("fashion_mnist.download.source.base_urls", ["fashion-mnist.example/"]),
    "duplicate seeds": ("fashion_mnist.course.seeds", [0, 0]),
    "bad variant name": ("fashion_mnist.course.demos.batchnorm.variants", {"a/b": {}}),
    "dropout of 1": ("fashion_mnist.course.demos.course_model.model.dropout", 1.0),
    "unknown device": ("device", "tpu"),
    "deterministic not a boolean": ("deterministic", "yes"),
}


def test_default_config_is_valid() -> None:
    validate(_config(), str(SCHEMA))


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_invalid_config_value_is_rejected(case: str) -> None:
    key, value = BAD_VALUES[case]
    with pytest.raises(WorkflowError, match="Error validating config"):
        validate(_set(_config(), key, value), str(SCHEMA))


def test_invalid_full_profile_value_fails_before_any_job(tmp_path: Path) -> None:
    workdir = copy_repo(tmp_path / "wf")
    (workdir / "bad.yaml").write_text("fashion_mnist:\n  course:\n    threads: 0\n")
    result = run_snakemake(
        workdir, "--cores", "1", "--configfile", "config/full.yaml", "bad.yaml", check=False
    )
    assert result.returncode != 0
    assert "Error validating config" in result.stderr and "threads" in result.stderr
    assert not (workdir / "data/raw").exists() and not (workdir / "results").exists()


# --- NaN loss ------------------------------------------------------------------------------
@pytest.mark.workflow
def test_nan_loss_is_recorded_and_the_workflow_goes_on(test_run: Path) -> None:
    # config/test.yaml trains one variant at a learning rate of 1e6 on purpose.
    run_dir = test_run / "results/nn/breast_cancer/norms/forced_divergence/seed0"
    run = read_json(run_dir / "run.json")
    assert run["status"] == "diverged" and run["diverged_epoch"] >= 1
    history = pd.read_csv(run_dir / "history.csv")
    # Training stopped at the epoch whose loss stopped being finite.
    assert history["epoch"].iloc[-1] == run["diverged_epoch"]
    last = history.iloc[-1][["train_loss_batch", "train_loss", "val_loss"]].astype(float)
    assert not np.isfinite(last.to_numpy()).all()
    summary = pd.read_csv(test_run / "results/nn/summary.csv")
    row = summary[summary["variant"] == "forced_divergence"]
    assert row["diverged"].astype(bool).all()
    assert (test_run / "results/report_values.json").exists()  # the report was still built


# --- read-only results directory -----------------------------------------------------------
def _read_only_command(workdir: Path, args: list[str]) -> list[str]:
    """``args`` run with ``workdir/results`` read-only: a read-only bind mount for root
    (permissions do not stop root), the directory's write bits for anyone else."""
    results = workdir / "results"
    results.mkdir()
    if os.geteuid() != 0:
        results.chmod(0o555)
        return args
    mount = f"mount --bind {results} {results} && mount -o remount,bind,ro {results}"
    quoted = " ".join(f"'{a}'" for a in args)
    return ["unshare", "--mount", "sh", "-c", f"{mount} && exec {quoted}"]


@pytest.mark.skipif(shutil.which("unshare") is None and os.geteuid() == 0, reason="no unshare")
def test_read_only_results_directory_fails_clearly_and_recovers(tmp_path: Path) -> None:
    workdir = copy_repo(tmp_path / "wf")
    target = "results/linear/wine_course/metrics.csv"
    args = [str(BIN / "snakemake"), "--cores", "1", target, *TEST_CONFIG]
    command = _read_only_command(workdir, args)
    result = subprocess.run(
        command, cwd=workdir, env=snakemake_env(), capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Read-only file system" in output or "Permission denied" in output
    assert "results/linear/wine_course" in output
    # The data jobs, which write elsewhere, completed; nothing landed in results/.
    assert (workdir / "data/raw/wine/data.csv").exists()
    assert not any((workdir / "results").iterdir())

    (workdir / "results").chmod(0o755)
    run_snakemake(workdir, "--cores", "1", target, *TEST_CONFIG)
    assert (workdir / target).exists()


# --- a model file that is not a state_dict ----------------------------------------------
class _Payload:
    """Unpickling this would run code: it creates the file named by ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_model_file_that_is_not_a_state_dict_is_refused(tmp_path: Path) -> None:
    model = MLP(MLPConfig(4, 3, hidden=(5,)))
    whole_module = tmp_path / "whole_module.pt"
    torch.save(model, whole_module)  # the pickled nn.Module, not its state_dict
    with pytest.raises(Exception, match="weights_only") as info:
        load_checkpoint(whole_module)
    assert "Unpickl" in type(info.value).__name__ or "Weights only load failed" in str(info.value)

    marker = tmp_path / "code-ran"
    payload = tmp_path / "payload.pt"
    torch.save({"state_dict": _Payload(marker)}, payload)
    with pytest.raises(Exception, match="weights_only"):
        load_checkpoint(payload)
    assert not marker.exists()  # refused before any code ran

    # The same loader accepts a real checkpoint.
    good = tmp_path / "good.pt"
    save_checkpoint(good, model)
    loaded, _ = load_checkpoint(good)
    assert all(
        torch.equal(a, b)
        for a, b in zip(loaded.state_dict().values(), model.state_dict().values(), strict=True)
    )


# --- reruns that tell the truth (issue 15) -------------------------------------------------
def _copy_run(test_run: Path, dest: Path) -> Path:
    """A copy of the finished test run (results and Snakemake's records) elsewhere."""
    shutil.copytree(test_run, dest, symlinks=True)
    return dest


def _jobs(result: subprocess.CompletedProcess[str]) -> set[str]:
    """Rules a dry run would run (from its job table), `all` left out."""
    out = result.stdout + result.stderr
    assert "Nothing to be done" in out or "Job stats:" in out, out[-3000:]
    jobs = set()
    in_table = False
    for line in out.splitlines():
        if line.startswith("job ") and "count" in line:
            in_table = True
            continue
        if in_table:
            parts = line.split()
            if not parts or parts[0] == "total":
                in_table = False
                continue
            if len(parts) == 2 and parts[1].isdigit():
                jobs.add(parts[0])
    return jobs - {"all"}


def _train_nn_pids(workdir: Path) -> list[int]:
    """Processes of a train_nn job running in ``workdir``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = str((proc / "cwd").readlink())
        except OSError:
            continue
        words = cmdline.split()
        is_python = bool(words) and "bash" not in words[0]
        if "train_nn.py" in cmdline and is_python and cwd == os.path.realpath(workdir):
            pids.append(int(proc.name))
    return pids


EDITED_RATE = (
    "nn:\n  experiments:\n    dropout:\n      variants:\n        rate0.5: {model: {dropout: 0.4}}\n"
)


def test_killed_job_is_rebuilt_by_the_next_run(test_run: Path, tmp_path: Path) -> None:
    """Issue 15, item 1: edit a dropout rate, SIGKILL the training job, rerun."""
    workdir = _copy_run(test_run, tmp_path / "moved")
    # Moving the project reruns nothing (no absolute path in any param).
    assert _jobs(run_snakemake(workdir, "-n", "--cores", "1", *TEST_CONFIG)) == set()
    (workdir / "rate.yaml").write_text(EDITED_RATE)
    args = ("--cores", "1", *TEST_CONFIG, "rate.yaml")
    process = subprocess.Popen(
        [str(BIN / "snakemake"), *args],
        cwd=workdir,
        env=snakemake_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 300
    killed = []
    while not killed and time.monotonic() < deadline and process.poll() is None:
        killed = _train_nn_pids(workdir)
        time.sleep(0.02)
    assert killed, "no train_nn job seen"
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    output = process.communicate(timeout=300)[0]
    assert process.returncode != 0
    # The onerror hook says which signal, and what SIGKILL often means.
    assert "killed by SIGKILL (9)" in output and "out of memory" in output, output[-3000:]
    # The rerun rebuilds what the killed job lost, and everything after it.
    run_snakemake(workdir, *args)
    summary = pd.read_csv(workdir / "results/nn/summary.csv")
    rows = summary[(summary["experiment"] == "dropout") & (summary["variant"] == "rate0.5")]
    assert not rows.empty and set(rows["dropout"]) == {0.4}
    values = read_json(workdir / "results/report_values.json")
    assert (workdir / "results/report_values.json").stat().st_mtime >= (
        workdir / "results/nn/summary.csv"
    ).stat().st_mtime
    assert values  # merged again after the summary
    assert _jobs(run_snakemake(workdir, "-n", *args)) == set()


def test_code_edits_rerun_what_uses_the_code(test_run: Path, tmp_path: Path) -> None:
    """Issue 15, item 2: a module's edit reruns its users only; config edits redraw
    nothing they do not change; reordered config keys rerun nothing (issue 11)."""
    workdir = _copy_run(test_run, tmp_path / "wf")
    dry = ("-n", "--cores", "1", *TEST_CONFIG)
    training = workdir / "src/regularization_report/nn/training.py"
    original = training.read_text()
    training.write_text(original + "\n# edited\n")
    jobs = _jobs(run_snakemake(workdir, *dry))
    assert {"train_nn", "summarize_nn", "nn_report_values", "plot_dropout_curves"} <= jobs
    assert "linear_models" not in jobs and "split_bundled_dataset" not in jobs
    training.write_text(original)
    figure_module = workdir / "src/regularization_report/figures/basics.py"
    figure_module.write_text(figure_module.read_text() + "\n# edited\n")
    jobs = _jobs(run_snakemake(workdir, *dry))
    assert jobs and all(job.startswith("plot_basics_") for job in jobs - {"figure_index"}), jobs
    figure_module.write_text(figure_module.read_text().removesuffix("\n# edited\n"))
    assert _jobs(run_snakemake(workdir, *dry)) == set()
    # A config change outside what the rule graph draws does not redraw it.
    (workdir / "alpha.yaml").write_text("linear:\n  correlated_features: {n_resamples: 4}\n")
    jobs = _jobs(run_snakemake(workdir, *dry, "alpha.yaml"))
    assert "linear_models" in jobs and "rule_graph" not in jobs and "train_nn" not in jobs

    # The test config with every mapping's keys in reverse order: nothing to do.
    def reverse(value):
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        return value

    config = yaml.safe_load((workdir / "config/test.yaml").read_text())
    (workdir / "config/test.yaml").write_text(yaml.safe_dump(reverse(config), sort_keys=False))
    assert _jobs(run_snakemake(workdir, *dry)) == set()


def test_result_files_follow_the_umask(test_run: Path) -> None:
    """Issue 15, item 4: every result is readable as a plain open() would leave it."""
    umask = os.umask(0)
    os.umask(umask)
    expected = 0o666 & ~umask
    files = [
        p
        for folder in ("results", "data", "report/figures")
        for p in (test_run / folder).rglob("*")
        if p.is_file()
    ]
    assert len(files) > 100
    wrong = [
        f"{p.relative_to(test_run)} {oct(p.stat().st_mode & 0o777)}"
        for p in files
        if p.stat().st_mode & 0o777 != expected
    ]
    assert not wrong, wrong[:10]


def test_spaced_path_stops_at_once_with_what_to_do(tmp_path: Path) -> None:
    """Issue 15, item 3."""
    workdir = copy_repo(tmp_path / "x y" / "proj")
    result = run_snakemake(workdir, "--cores", "1", *TEST_CONFIG, check=False)
    assert result.returncode != 0
    assert "contains a space" in result.stderr and "no spaces" in result.stderr
    assert not (workdir / "data/raw").exists()


REFUSED_BEFORE_ANY_JOB = {
    "huge epochs": ("nn:\n  train: {epochs: 1000000000}\n", "epochs"),
    "infinite lr": ("nn:\n  train: {lr: .inf}\n", "nn.train.lr"),
    "NaN lr": ("nn:\n  train: {lr: .nan}\n", "nn.train.lr"),
    "split sum": (
        "data:\n  split: {test_size: 0.5, val_size: 0.5}\n",
        "test_size + data.split.val_size",
    ),
    "duplicate key": ("device: cpu\ndevice: auto\n", "bad.yaml:2: duplicate key 'device'"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_BEFORE_ANY_JOB))
def test_bad_values_are_refused_before_any_job(tmp_path: Path, case: str) -> None:
    """Issue 15, item 5: each bad value stops the run before any job, naming the key."""
    text, named = REFUSED_BEFORE_ANY_JOB[case]
    workdir = copy_repo(tmp_path / "wf")
    (workdir / "bad.yaml").write_text(text)
    result = run_snakemake(workdir, "--cores", "1", *TEST_CONFIG, "bad.yaml", check=False)
    assert result.returncode != 0
    assert named in result.stderr, result.stderr[-2000:]
    assert not (workdir / "data/raw").exists()


def test_yaml_error_in_the_config_names_file_and_line(tmp_path: Path) -> None:
    workdir = copy_repo(tmp_path / "wf")
    config = workdir / "config/config.yaml"
    lines = config.read_text().splitlines()
    lines.insert(3, "device: [unclosed")
    config.write_text("\n".join(lines) + "\n")
    result = run_snakemake(workdir, "--cores", "1", check=False)
    assert result.returncode != 0
    assert "config/config.yaml:" in result.stderr and "YAML syntax error" in result.stderr
    assert "starts at line 4" in result.stderr, result.stderr[-2000:]


CORRUPTIONS = {
    "history": "results/nn/breast_cancer/dropout/rate0.0/seed0/history.csv",
    "npz": "data/processed/iris.npz",
    "values": "results/report_values.json",
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupt_intermediate_is_named_and_rebuilt(
    test_run: Path, tmp_path: Path, kind: str
) -> None:
    """Issue 15, item 5: a truncated intermediate is refused before any job, named
    with the command that rebuilds it; that command rebuilds it."""
    workdir = _copy_run(test_run, tmp_path / "wf")
    path = workdir / CORRUPTIONS[kind]
    data = path.read_bytes()
    if kind == "history":  # keep the header and the first row only
        data = b"".join(data.splitlines(keepends=True)[:2])
    else:
        data = data[: len(data) // 2]
    path.write_bytes(data)
    result = run_snakemake(workdir, "-n", "--cores", "1", *TEST_CONFIG, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert CORRUPTIONS[kind] in output and "rm '" in output, output[-2000:]
    path.unlink()
    jobs = _jobs(run_snakemake(workdir, "-n", "--cores", "1", *TEST_CONFIG))
    expected = {
        "history": "train_nn",
        "npz": "split_bundled_dataset",
        "values": "merge_report_values",
    }
    assert expected[kind] in jobs


def test_processed_split_is_verified_on_load(test_run: Path, tmp_path: Path) -> None:
    from regularization_report.data.bundled import load_split, save_split

    split = load_split(test_run / "data/processed/iris.npz")
    path = tmp_path / "iris.npz"
    parts = {
        k: getattr(split, k) for k in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")
    }
    save_split(parts, path, feature_names=split.feature_names, task=split.task)
    assert np.array_equal(load_split(path).X_train, split.X_train)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"truncated\.npz"):
        load_split(truncated)
    tampered = tmp_path / "tampered.npz"
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["X_train"] = arrays["X_train"] + 1
    np.savez(tampered, **arrays)
    with pytest.raises(ValueError, match="do not match their SHA-256"):
        load_split(tampered)


def test_schema_bounds_every_number() -> None:
    """Issue 15, item 5: every number has an upper bound (p-norm orders may be .inf,
    which the workflow allows there only; NaN is refused in code everywhere)."""
    schema = yaml.safe_load(SCHEMA.read_text())
    unbounded = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            types = node.get("type")
            types = types if isinstance(types, list) else [types]
            numeric = "number" in types or "integer" in types
            bounded = {"maximum", "exclusiveMaximum", "enum"} & set(node)
            if numeric and not bounded and not path.endswith(("/ps/items", "/lp_ball_ps/items")):
                unbounded.append(path)
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(schema, "")
    assert unbounded == []


def test_code_version_follows_the_imports(tmp_path: Path) -> None:
    """Issue 15, item 2: a script's version covers the package modules it imports,
    transitively, and nothing else; it does not depend on where the project lies."""
    from regularization_report.code_version import code_version, module_files

    src = REPO / "src"
    train = module_files([REPO / "scripts/train_nn.py"], src)
    names = {p.relative_to(REPO).as_posix() for p in train}
    assert "src/regularization_report/nn/training.py" in names
    assert "src/regularization_report/figures/basics.py" not in names
    plot = {
        p.relative_to(REPO).as_posix()
        for p in module_files([REPO / "scripts/plot_basics_figure.py"], src)
    }
    assert "src/regularization_report/figures/basics.py" in plot
    assert "src/regularization_report/nn/training.py" not in plot
    # The same files under another root give the same version; one edited byte changes it.
    moved = copy_repo(tmp_path / "moved")
    version = code_version(REPO / "scripts/train_nn.py", src, REPO)
    assert code_version(moved / "scripts/train_nn.py", moved / "src", moved) == version
    training = moved / "src/regularization_report/nn/training.py"
    training.write_text(training.read_text() + "\n")
    assert code_version(moved / "scripts/train_nn.py", moved / "src", moved) != version


def test_killed_by_signal_names_the_signal() -> None:
    log = (
        "Command 'set -euo pipefail;  python x.train_nn.py' died with <Signals.SIGKILL: 9>.\n"
        "Error in rule train_nn:\n    message: None\n"
        "Command 'bash -c job' returned non-zero exit status 143.\nError in rule summarize_nn:\n"
        "Command 'python y.py' returned non-zero exit status 1.\nError in rule figure_index:\n"
    )
    sentences = checks.killed_by_signal(log)
    assert len(sentences) == 2
    assert "rule train_nn was killed by SIGKILL (9)" in sentences[0]
    assert "out of memory" in sentences[0]
    assert "rule summarize_nn was killed by SIGTERM (15)" in sentences[1]
    assert "out of memory" not in sentences[1]
