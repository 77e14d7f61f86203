"""Shared fixtures.

The workflow never runs inside the developer's checkout during tests: each
run happens in a fresh copy of the repository's source files (what a clean
clone holds), so tests are isolated from local results and from each other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def source_files(repo: Path = REPO) -> list[str]:
    """Tracked and untracked-but-not-ignored files: what a clean clone would hold."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [f for f in out.split("\0") if f and (repo / f).is_file()]


def copy_repo(dest: Path) -> Path:
    """Copy the repository's source files into ``dest`` (a clean-clone stand-in)."""
    for rel in source_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    return dest


def snakemake_env(path_prefix: Path | None = None) -> dict[str, str]:
    """Environment for a workflow subprocess: this venv first on PATH, no Quarto."""
    env = dict(os.environ)
    paths = [str(BIN)] + [
        p for p in env.get("PATH", "").split(os.pathsep) if p and not (Path(p) / "quarto").exists()
    ]
    if path_prefix is not None:
        paths.insert(0, str(path_prefix))
    env["PATH"] = os.pathsep.join(paths)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_snakemake(
    workdir: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    cmd = [str(BIN / "snakemake"), *args]
    result = subprocess.run(
        cmd, cwd=workdir, env=env or snakemake_env(), capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed with exit {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-5000:]}\n--- stderr ---\n{result.stderr[-8000:]}"
        )
    return result


TEST_CONFIG = ("--configfile", "config/test.yaml")


@pytest.fixture(scope="session")
def test_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean copy of the repo where the workflow ran on the test config (once per session)."""
    workdir = copy_repo(tmp_path_factory.mktemp("test_run"))
    run_snakemake(workdir, "--cores", "2", *TEST_CONFIG)
    return workdir


def quarto_command() -> Path:
    """The Quarto the render tests use: the one on PATH (CI's), else tests/setup.sh's.

    Never skipped: the report is the product, so a machine without Quarto fails
    the render tests and says how to install it.
    """
    found = shutil.which("quarto")
    if found is None and (REPO / ".venv/quarto/bin/quarto").exists():
        found = str(REPO / ".venv/quarto/bin/quarto")
    if found is None:
        raise RuntimeError(
            "the render tests need the Quarto CLI: run `bash tests/setup.sh` "
            "(installs the `report` extra's quarto-cli) or put Quarto on PATH"
        )
    return Path(found)


@pytest.fixture(scope="session")
def rendered_run(test_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``test_run`` whose report real Quarto rendered (once per session).

    Only the render job runs, and the environment table, rebuilt so that the
    rendered appendix names the Quarto that rendered it. ``test_run`` itself
    stays the run without Quarto that other tests check.
    """
    workdir = tmp_path_factory.mktemp("rendered_run") / "wf"
    shutil.copytree(test_run, workdir, symlinks=True)
    env = snakemake_env(path_prefix=quarto_command().parent)
    env["QUARTO_PYTHON"] = sys.executable
    run_snakemake(workdir, "--cores", "2", *TEST_CONFIG, "--forcerun", "environment_table", env=env)
    return workdir
