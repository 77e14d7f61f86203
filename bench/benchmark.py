"""Measure the workflow and the training loop on this machine; write BENCHMARKS.md.

    python bench/benchmark.py                 # everything (the default profile twice: minutes)
    python bench/benchmark.py --only-training # the training-loop throughput alone (seconds)

What it measures, each in a fresh copy of the repository (tracked and untracked,
not ignored, files: what a clean clone holds):

1. wall time of the default profile from clean with ``--cores 1`` and ``--cores 2``,
   and their ratio (the speed-up from a second core);
2. wall time of a rerun with nothing changed (DAG building and up-to-date checks);
3. the share of the ``--cores 1`` wall time spent starting Python processes and
   importing modules: every process of that run (Snakemake and each job) records,
   through a ``sitecustomize`` module on ``PYTHONPATH``, its peak memory; Python's
   own ``-X importtime`` (``PYTHONPROFILEIMPORTTIME``) reports every import; the
   start-up cost of a bare interpreter is measured separately and counted once
   per process;
4. training throughput (rows per second, one thread, like a job) of the
   training core's ``train_one_epoch`` against a minimal hand-written PyTorch
   loop, on the same model, data, batch size and optimizer; the goal is a ratio
   of at least 0.9;
5. the peak memory (max RSS) of the largest job of the ``--cores 1`` run;
6. the render job: after the last run, Quarto is put back on PATH and only
   ``render_report`` runs; its wall time (the job's ``benchmark:`` file) and
   the count of Quarto ``WARNING``/``ERROR`` lines in its log (the goal: none).

Quarto is hidden from the timed runs of 1-3 (the render is measured on its own, in 6).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
KEPT_HEADING = "## Measured separately"  # from here on, BENCHMARKS.md is kept as it is
BIN = Path(sys.executable).parent

# Written into a folder on PYTHONPATH: each Python process of the instrumented run
# appends one line (pid, seconds alive, peak RSS in KiB, script) when it exits.
SITECUSTOMIZE = textwrap.dedent(
    """\
    import atexit, os, resource, sys, time

    _start = time.monotonic()


    def _record():
        path = os.environ.get("BENCH_PROCESS_LOG")
        if not path:
            return
        script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "-c"
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()}\\t{time.monotonic() - _start:.3f}\\t{peak_kib}\\t{script}\\n")


    atexit.register(_record)
    """
)


def source_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [f for f in out.split("\0") if f and (REPO / f).is_file()]


def clean_copy(dest: Path) -> Path:
    for rel in source_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    return dest


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(BIN)] + [
        p for p in env.get("PATH", "").split(os.pathsep) if p and not (Path(p) / "quarto").exists()
    ]
    env["PATH"] = os.pathsep.join(paths)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def snakemake(workdir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Run snakemake in ``workdir``; return (wall seconds, stdout + stderr)."""
    start = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "snakemake"), *args],
        cwd=workdir,
        env=env or base_env(),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed in {workdir}:\n{output[-6000:]}")
    return wall, output


def job_count(output: str) -> int:
    counts = re.findall(r"(\d+) of (\d+) steps \(100%\) done", output)
    return int(counts[-1][1]) if counts else 0


def import_seconds(output: str) -> float:
    """Sum of the top-level imports' cumulative times in ``-X importtime`` lines."""
    total_us = 0
    for line in output.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue  # the header line
        name = parts[2]
        if len(name) - len(name.lstrip(" ")) == 1:  # top level: one space after the bar
            total_us += int(parts[1])
    return total_us / 1e6


def bare_interpreter_seconds(repeats: int = 15) -> float:
    """Median wall time of ``python -S -c pass``... plus site: what every process pays."""
    times = []
    env = base_env()
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "pass"], check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- workflow timings -----------------------------------------------------------------
def measure_workflow(scratch: Path, cores: list[int]) -> dict[str, Any]:
    results: dict[str, Any] = {"runs": {}}
    for n in cores:
        workdir = clean_copy(scratch / f"cores{n}")
        env = base_env()
        if n == cores[0]:
            # The instrumented run: per-process peak memory and every import's time.
            site = scratch / "site"
            site.mkdir(exist_ok=True)
            (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
            process_log = scratch / "processes.tsv"
            process_log.write_text("")
            env["PYTHONPATH"] = os.pathsep.join(
                [str(site), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
            )
            env["BENCH_PROCESS_LOG"] = str(process_log)
            env["PYTHONPROFILEIMPORTTIME"] = "1"
        print(f"benchmark: default profile from clean, --cores {n} ...", flush=True)
        wall, output = snakemake(workdir, "--cores", str(n), env=env)
        results["runs"][n] = {"wall_s": wall, "jobs": job_count(output)}
        results.setdefault("parts", {})[n] = benchmark_sums(workdir / "benchmarks")
        print(f"benchmark:   {wall:.1f} s, {job_count(output)} jobs", flush=True)
        if n == cores[0]:
            processes = [line.split("\t") for line in process_log.read_text().splitlines() if line]
            results["processes"] = [
                {"pid": int(p), "alive_s": float(a), "peak_mib": int(k) / 1024, "script": s}
                for p, a, k, s in processes
            ]
            results["import_s"] = import_seconds(output)
        if n == cores[-1]:
            print("benchmark: rerun with nothing changed ...", flush=True)
            rerun_wall, rerun_output = snakemake(workdir, "--cores", str(n))
            if "Nothing to be done" not in rerun_output:
                raise SystemExit("the no-change rerun found something to do:\n" + rerun_output)
            results["rerun_s"] = rerun_wall
            results["render"] = measure_render(workdir, n)
    results["bare_interpreter_s"] = bare_interpreter_seconds()
    return results


def measure_render(workdir: Path, cores: int) -> dict[str, Any] | None:
    """Run only the render job (Quarto back on PATH); its time and Quarto's warnings."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    if shutil.which("quarto", path=env["PATH"]) is None:
        print("benchmark: no Quarto on PATH, the render job is not measured", flush=True)
        return None
    env.setdefault("QUARTO_PYTHON", str(BIN / "python"))
    print("benchmark: the render job alone (Quarto on PATH) ...", flush=True)
    wall, output = snakemake(workdir, "--cores", str(cores), env=env)
    header, *rows = (workdir / "benchmarks/report/render_report.tsv").read_text().splitlines()
    row = dict(zip(header.split("\t"), rows[-1].split("\t"), strict=True))
    log = (workdir / "logs/report/render_report.log").read_text(errors="replace")
    warnings = [line for line in log.splitlines() if re.match(r"\s*(WARN(ING)?|ERROR)\b", line)]
    print(f"benchmark:   render job {float(row['s']):.1f} s, {len(warnings)} warnings", flush=True)
    return {
        "job_s": float(row["s"]),
        "cpu_s": float(row.get("cpu_time", "nan")),
        "wall_s": wall,
        "jobs": job_count(output),
        "warnings": warnings,
    }


def benchmark_sums(folder: Path) -> dict[str, dict[str, float]]:
    """Per part (``benchmarks/<part>/``): jobs, and the sums of their wall and CPU seconds.

    Snakemake's ``benchmark:`` files time each job's own process, so these sums
    are the compute a part costs, whatever ran beside it.
    """
    sums: dict[str, dict[str, float]] = {}
    for path in sorted(folder.rglob("*.tsv")):
        header, *rows = path.read_text().splitlines()
        if not rows:
            continue
        row = dict(zip(header.split("\t"), rows[-1].split("\t"), strict=True))
        part = sums.setdefault(path.relative_to(folder).parts[0], {"jobs": 0, "s": 0, "cpu": 0})
        part["jobs"] += 1
        part["s"] += float(row["s"])
        part["cpu"] += float(row["cpu_time"])
    return sums


# --- training throughput ----------------------------------------------------------------
def measure_training(repeats: int = 7) -> list[dict[str, Any]]:
    import numpy as np
    import torch
    from sklearn.datasets import load_digits

    from regularization_report.nn.models import MLPConfig
    from regularization_report.nn.training import TrainConfig, configure_threads

    configure_threads(1)  # as a training job with threads: 1
    digits = load_digits()
    X_digits = (digits.data - digits.data.mean(0)) / np.where(
        digits.data.std(0) > 0, digits.data.std(0), 1
    )
    rng = np.random.default_rng(0)
    cases = [
        {
            "case": "default profile's MLP on digits (64-256-256-10, Adam, batch 128)",
            "X": X_digits.astype(np.float32),
            "y": digits.target.astype(np.int64),
            "model": MLPConfig(64, 10, hidden=(256, 256)),
            "train": TrainConfig(optimizer="adam", lr=0.001, batch_size=128),
            "epochs": 30,
        },
        {
            "case": "the same with per-step gradient norms (opt-in: only the norms experiment)",
            "X": X_digits.astype(np.float32),
            "y": digits.target.astype(np.int64),
            "model": MLPConfig(64, 10, hidden=(256, 256)),
            "train": TrainConfig(optimizer="adam", lr=0.001, batch_size=128, track_grad_norms=True),
            "epochs": 30,
        },
        {
            "case": "the course's model on Fashion-MNIST-sized rows (784-128-10, dropout 0.9, "
            "Adam, batch 32)",
            "X": rng.random((12000, 784), dtype=np.float32),
            "y": rng.integers(0, 10, 12000).astype(np.int64),
            "model": MLPConfig(784, 10, hidden=(128,), dropout=0.9),
            "train": TrainConfig(optimizer="adam", lr=0.001, batch_size=32),
            "epochs": 2,
        },
    ]
    rows = []
    for case in cases:
        X, y = torch.as_tensor(case["X"]), torch.as_tensor(case["y"])
        args = (case["model"], X, y, case["train"], case["epochs"])
        throughput(ours_loop, *args), throughput(bare_loop, *args)  # warm-up
        ours_rates, bare_rates = [], []
        for _ in range(repeats):  # interleaved, so drift in machine load hits both alike
            ours_rates.append(throughput(ours_loop, *args))
            bare_rates.append(throughput(bare_loop, *args))
        # Best of the repeats (as timeit): other load on the machine only ever slows a loop down.
        ours_rate, bare_rate = max(ours_rates), max(bare_rates)
        rows.append(
            {
                "case": case["case"],
                "track_grad_norms": case["train"].track_grad_norms,
                "ours": ours_rate,
                "bare": bare_rate,
                "ratio": ours_rate / bare_rate,
            }
        )
        print(f"benchmark: {case['case']}: ratio {ours_rate / bare_rate:.3f}", flush=True)
    return rows


def ours_loop(model: Any, X: Any, y: Any, config: Any, epochs: int) -> None:
    """The training core's epoch loop, as ``fit`` calls it (without its evaluation passes)."""
    import torch

    from regularization_report.nn.training import TensorBatches, make_optimizer, train_one_epoch

    optimizer = make_optimizer(model, config)
    batches = TensorBatches(X, y, config.batch_size, seed=0)
    for _ in range(epochs):
        train_one_epoch(model, batches, torch.nn.functional.cross_entropy, optimizer, config)


def bare_loop(model: Any, X: Any, y: Any, config: Any, epochs: int) -> None:
    """The minimal loop: shuffle, slice, zero_grad, forward, loss, backward, step."""
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(0)
    batch = config.batch_size
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        Xs, ys = X[order], y[order]
        for start in range(0, len(Xs), batch):
            optimizer.zero_grad(set_to_none=True)
            logits = model(Xs[start : start + batch])
            loss = torch.nn.functional.cross_entropy(logits, ys[start : start + batch])
            loss.backward()
            optimizer.step()


def throughput(
    loop: Callable[..., None], model_config: Any, X: Any, y: Any, config: Any, epochs: int
) -> float:
    """Training rows per second of ``loop`` on a freshly seeded model."""
    import torch

    from regularization_report.nn.models import MLP

    torch.manual_seed(0)
    model = MLP(model_config)
    start = time.perf_counter()
    loop(model, X, y, config, epochs)
    return len(X) * epochs / (time.perf_counter() - start)


# --- report -----------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    import torch

    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = names[0] if names else cpu
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()).group(1))
        memory = f"{kib / 1024**2:.1f} GiB"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _script_name(raw: str) -> str:
    # Snakemake runs `script:` jobs as .snakemake/scripts/tmpXXXXXXXX.<script>.py
    match = re.match(r"tmp[^.]+\.(.+)", raw)
    return match.group(1) if match else raw


def render(info: dict[str, str], workflow: dict[str, Any] | None, training: list[dict]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Measured by `python bench/benchmark.py` on the machine described below; rerun it",
        "to measure yours. Every figure is from one run of the script.",
        "",
        f"- date: {info['date']}",
        f"- CPU: {info['cpu']}, {info['cores']} cores; memory {info['memory']}",
        f"- Python {info['python']}, torch {info['torch']}; load average at the end: "
        f"{info['load']}",
        "",
    ]
    if workflow:
        runs = workflow["runs"]
        cores = sorted(runs)
        lines += [
            "## Default profile, from clean",
            "",
            "| run | wall time (s) | jobs |",
            "|:----|----:|----:|",
        ]
        for n in cores:
            lines.append(
                f"| `snakemake --cores {n}` | {runs[n]['wall_s']:.1f} | {runs[n]['jobs']} |"
            )
        lines.append(
            f"| rerun, nothing changed (`--cores {cores[-1]}`) | {workflow['rerun_s']:.1f} | 0 |"
        )
        if len(cores) >= 2:
            ratio = runs[cores[0]]["wall_s"] / runs[cores[-1]]["wall_s"]
            lines += [
                "",
                f"Speed-up from {cores[0]} to {cores[-1]} cores: **{ratio:.2f}x** "
                f"(wall time with {cores[0]} / wall time with {cores[-1]}).",
            ]
        parts = workflow["parts"][cores[-1]]
        lines += [
            "",
            f"Compute per part in the `--cores {cores[-1]}` run (the sums of the jobs' "
            "`benchmark:` files, `benchmarks/<part>/`: each job's own wall and CPU time):",
            "",
            "| part | jobs | job wall time (s) | CPU time (s) |",
            "|:-----|----:|----:|----:|",
            *(
                f"| {part} | {v['jobs']} | {v['s']:.1f} | {v['cpu']:.1f} |"
                for part, v in parts.items()
            ),
        ]
        render_job = workflow.get("render")
        if render_job:
            lines += [
                "",
                "## The render job (HTML and PDF, Quarto on PATH)",
                "",
                f"- `render_report` alone after the `--cores {cores[-1]}` run: "
                f"**{render_job['job_s']:.1f} s** job wall time, {render_job['cpu_s']:.1f} s CPU "
                f"({render_job['wall_s']:.1f} s for the whole `snakemake` call, "
                f"{render_job['jobs']} job)",
                f"- Quarto warnings and errors in its log: **{len(render_job['warnings'])}**"
                + "".join(f"\n  - `{w.strip()}`" for w in render_job["warnings"]),
            ]
        processes = workflow["processes"]
        wall_1 = runs[cores[0]]["wall_s"]
        startup = len(processes) * workflow["bare_interpreter_s"]
        imports = workflow["import_s"]
        share = (startup + imports) / wall_1
        lines += [
            "",
            f"## Where the `--cores {cores[0]}` run's time goes",
            "",
            f"- Python processes started: {len(processes)} (Snakemake itself and one per job)",
            f"- starting them: {len(processes)} x {workflow['bare_interpreter_s'] * 1000:.0f} ms "
            f"(a bare `python -I -c pass`) = {startup:.1f} s",
            f"- importing modules (sum of top-level `-X importtime` over all processes): "
            f"{imports:.1f} s",
            f"- share of the wall time spent starting processes and importing: "
            f"**{share:.0%}** of {wall_1:.1f} s",
            "",
            "The instrumented run also pays for its instrumentation (one `-X importtime`",
            "line per import), so its wall time is slightly above an uninstrumented one.",
            "",
            "## Peak memory of the largest jobs (max RSS, `--cores 1` run)",
            "",
            "| process | peak memory (MiB) | alive (s) |",
            "|:--------|----:|----:|",
        ]
        top = sorted(processes, key=lambda p: p["peak_mib"], reverse=True)[:5]
        for p in top:
            name = _script_name(p["script"])
            lines.append(f"| `{name}` | {p['peak_mib']:.0f} | {p['alive_s']:.1f} |")
        jobs = [p for p in processes if p["script"] != "snakemake"]
        if jobs:
            largest = max(jobs, key=lambda p: p["peak_mib"])
            lines += [
                "",
                f"Largest job: `{_script_name(largest['script'])}` at "
                f"**{largest['peak_mib']:.0f} MiB** (every rule declares `mem_mb`; "
                "this is the figure to check it against).",
            ]
        lines.append("")
    lines += [
        "## Training throughput: our loop vs a minimal PyTorch loop",
        "",
        "Rows per second on one thread (as a job with `threads: 1`), best of 7",
        "interleaved repeats after a warm-up; same model, data, batch size, optimizer",
        "and seed. Ours is `training.train_one_epoch` (six-step loop plus the loss",
        "and accuracy sums, and per-layer gradient norms when `track_grad_norms`).",
        "Goal: ours at least 0.9 of the bare loop. Gradient norms are off by default",
        "(`TrainConfig.track_grad_norms`); only the norms experiment, which plots them,",
        "pays for them.",
        "",
        "| case | track_grad_norms | ours (rows/s) | bare loop (rows/s) | ratio |",
        "|:-----|:----:|----:|----:|----:|",
    ]
    for row in training:
        lines.append(
            f"| {row['case']} | {row['track_grad_norms']} | {row['ours']:,.0f} | "
            f"{row['bare']:,.0f} | **{row['ratio']:.2f}** |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only-training", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()

    workflow = None
    scratch = Path(tempfile.mkdtemp(prefix="regularization-bench."))
    try:
        if not args.only_training:
            workflow = measure_workflow(scratch, sorted(args.cores))
        training = measure_training()
    finally:
        if args.keep:
            print(f"benchmark: kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    text = render(machine(), workflow, training)
    # Sections measured by hand (or by other scripts) stay as they are.
    if args.output.exists():
        old = args.output.read_text()
        if KEPT_HEADING in old:
            text = text.rstrip("\n") + "\n\n" + old[old.index(KEPT_HEADING) :]
    args.output.write_text(text)
    print(text)
    print(f"benchmark: wrote {args.output}")


if __name__ == "__main__":
    main()
