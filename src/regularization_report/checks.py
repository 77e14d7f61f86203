"""Checks the workflow runs when it loads, before any job: config files, values, paths.

Each check raises :class:`CheckError` with a message that names the file, the key
or the path, and says what to do. Nothing here imports torch or pandas, so the
checks cost milliseconds on every start.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml


class CheckError(ValueError):
    """A problem found before any job runs; the message says what to do."""


# --- config files --------------------------------------------------------------------
class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            first = seen[key]
            mark = key_node.start_mark
            raise CheckError(
                f"{mark.name}:{mark.line + 1}: duplicate key {key!r} "
                f"(first given at line {first.line + 1}); YAML keeps only the last one, "
                "so delete one of them."
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_strict_yaml(path: str | os.PathLike[str]) -> Any:
    """Load one config file; a syntax error or a duplicate key names the file and line."""
    path = Path(path)
    if not path.is_file():
        raise CheckError(
            f"config file {path} does not exist. Give an existing file after --configfile "
            "(e.g. config/test.yaml), and put targets before --configfile: every word after "
            "it is read as a config file."
        )
    with path.open(encoding="utf-8") as handle:
        try:
            return yaml.load(handle, Loader=StrictLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            context = ""
            if error.context and error.context_mark is not None:
                context = f" ({error.context} that starts at line {error.context_mark.line + 1})"
            raise CheckError(f"{where}: YAML syntax error: {error.problem}{context}") from error
        except yaml.YAMLError as error:
            raise CheckError(f"{path}: YAML error: {error}") from error


def check_config_files(paths: Iterable[str | os.PathLike[str]]) -> None:
    for path in paths:
        load_strict_yaml(path)


# --- values the schema cannot express ----------------------------------------------------
# Lists of Lp norm orders, where p = inf (the max norm) is meaningful.
INFINITY_ALLOWED = ("linear.constraint_geometry.lp_ball_ps", "linear.lp_norms.ps")


def non_finite_keys(value: Any, key: str = "") -> list[str]:
    """Dotted keys whose value is NaN, or infinite outside :data:`INFINITY_ALLOWED`
    (the JSON schema lets both pass its bounds)."""
    if isinstance(value, float):
        if math.isnan(value) or (math.isinf(value) and key.split("[")[0] not in INFINITY_ALLOWED):
            return [key or "<config>"]
        return []
    if isinstance(value, Mapping):
        return [
            bad for k, v in value.items() for bad in non_finite_keys(v, f"{key}.{k}".strip("."))
        ]
    if isinstance(value, list | tuple):
        return [bad for i, v in enumerate(value) for bad in non_finite_keys(v, f"{key}[{i}]")]
    return []


def check_finite(config: Mapping[str, Any]) -> None:
    """Refuse NaN (which passes every schema bound) and infinite numbers."""
    bad = non_finite_keys(config)
    if bad:
        raise CheckError(
            "NaN or infinite value in the config at " + ", ".join(bad) + "; give a finite number."
        )


def check_config_values(config: Mapping[str, Any]) -> None:
    """After the schema: what it cannot say (NaN, infinity, splits that leave no data)."""
    check_finite(config)
    split = config.get("data", {}).get("split", {})
    fractions = {k: split[k] for k in ("test_size", "val_size") if k in split}
    if len(fractions) == 2 and sum(fractions.values()) >= 1:
        raise CheckError(
            f"data.split.test_size + data.split.val_size = {sum(fractions.values()):g} leaves "
            "no training data; make their sum smaller than 1."
        )


def canonical(value: Any) -> Any:
    """``value`` with every mapping's keys sorted, recursively: the same config in any key
    order gives the same params, so Snakemake sees no change."""
    if isinstance(value, Mapping):
        return {k: canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


# --- the project's location --------------------------------------------------------------
def check_paths(**paths: str | os.PathLike[str]) -> None:
    """Refuse paths with whitespace: Snakemake runs ``<python> <script>`` without quoting."""
    spaced = {
        name: str(path) for name, path in paths.items() if any(c.isspace() for c in str(path))
    }
    if spaced:
        listing = "; ".join(f"{name}: '{path}'" for name, path in spaced.items())
        raise CheckError(
            f"a path this workflow runs from contains a space ({listing}). Snakemake starts "
            "every script job as an unquoted shell command, so every job would fail. Move or "
            "clone the project (and its .venv) to a folder whose path has no spaces, e.g. "
            "~/projects/regularization, recreate the venv there (`python3 -m venv .venv && "
            ".venv/bin/pip install -e .`), and rerun."
        )


# --- intermediate files ------------------------------------------------------------------
def rebuild_hint(path: str | os.PathLike[str]) -> str:
    return (
        f"Delete it (`rm '{path}'`) and rerun the same snakemake command: every "
        "intermediate is a target, so the workflow rebuilds it and everything after it."
    )


def check_json_file(path: str | os.PathLike[str]) -> None:
    """A JSON result that exists must parse."""
    try:
        with Path(path).open(encoding="utf-8") as handle:
            json.load(handle)
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckError(
            f"{path} is corrupt (not valid JSON: {error}). {rebuild_hint(path)}"
        ) from error


def last_epoch(path: str | os.PathLike[str]) -> int | None:
    """The ``epoch`` of the last data row of a history CSV (no pandas: runs at every start)."""
    with Path(path).open(encoding="utf-8") as handle:
        lines = [line for line in handle.read().splitlines() if line.strip()]
    if not lines or "epoch" not in lines[0].split(","):
        return None
    column = lines[0].split(",").index("epoch")
    try:
        return int(float(lines[-1].split(",")[column])) if len(lines) > 1 else None
    except (IndexError, ValueError):
        return None


def check_history(history: str | os.PathLike[str], run: str | os.PathLike[str]) -> None:
    """A training history ends at the epoch its ``run.json`` says was the last one trained."""
    try:
        with Path(run).open(encoding="utf-8") as handle:
            epochs = json.load(handle).get("epochs_run")
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckError(
            f"{run} is corrupt (not valid JSON: {error}). {rebuild_hint(run)}"
        ) from error
    last = last_epoch(history)
    if epochs is not None and last != int(epochs):
        raise CheckError(
            f"{history} ends at epoch {last} but {run} says {epochs} epoch(s) were trained: "
            f"the history is truncated or stale. {rebuild_hint(history)}"
        )


def check_npz(path: str | os.PathLike[str]) -> None:
    """A processed split opens as a zip and carries its SHA-256 (verified in full on load)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as error:
        raise CheckError(
            f"{path} is corrupt or truncated ({error}). {rebuild_hint(path)}"
        ) from error
    if "sha256.npy" not in names:
        raise CheckError(
            f"{path} carries no SHA-256 (an older version wrote it). {rebuild_hint(path)}"
        )


def check_intermediates(root: str | os.PathLike[str] = ".") -> None:
    """Before any job: results that exist but cannot be right (truncated, corrupt) stop
    the run with the file's name and how to rebuild it. Cheap: no file is parsed in
    full except small JSON files and the last lines of histories."""
    root = Path(root)
    for npz in sorted(root.glob("data/processed/*.npz")):
        check_npz(npz)
    for run in sorted(root.glob("results/nn/*/*/*/seed*/run.json")):
        history = run.with_name("history.csv")
        if history.exists():
            check_history(history, run)
    for values in [
        root / "results/report_values.json",
        *sorted(root.glob("results/values/*.json")),
    ]:
        if values.exists():
            check_json_file(values)


# --- jobs killed by a signal -------------------------------------------------------------
def _signal_number(line: str) -> int | None:
    """The signal that killed a job, from one line of Snakemake's log, if any."""
    match = re.search(r"died with <Signals\.\w+: (\d+)>", line)
    if match:
        return int(match.group(1))
    match = re.search(r"exit status (-\d+|1[3-9]\d)\b", line)
    if match:
        status = int(match.group(1))
        return -status if status < 0 else status - 128
    return None


def killed_by_signal(log_text: str) -> list[str]:
    """One sentence per job that Snakemake's log shows killed by a signal.

    Snakemake writes the failed command (``... died with <Signals.SIGKILL: 9>``)
    just before ``Error in rule <name>:``, whose ``message`` is ``None``.
    """
    found: dict[str, str] = {}
    pending: list[int] = []

    def add(number: int, rule: str | None) -> None:
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        sentence = f"A job{f' of rule {rule}' if rule else ''} was killed by {name} ({number})."
        if name == "SIGKILL":
            sentence += (
                " SIGKILL often means the machine ran out of memory (the kernel's OOM "
                "killer; see `dmesg` or the cluster's job report): run fewer jobs at once "
                "(lower --cores), give the job more memory (its mem_mb), or use a smaller "
                "batch size."
            )
        sentence += " Rerun the same command: the workflow rebuilds what is missing."
        found.setdefault(f"{rule}:{number}", sentence)

    for line in log_text.splitlines():
        number = _signal_number(line)
        if number is not None:
            pending.append(number)
            continue
        match = re.search(r"Error in rule (\w+)", line)
        if match and pending:
            add(pending.pop(0), match.group(1))
    for number in pending:
        add(number, None)
    return list(found.values())


def main(argv: list[str] | None = None) -> int:
    """``python -m regularization_report.checks FILE...``: check config files by hand.

    Snakemake reads the files given after ``--configfile`` before the workflow's own
    checks run, and says only ``Config file is not valid JSON or YAML``; this names
    the file and line of a syntax error or a duplicate key.
    """
    import sys

    paths = sys.argv[1:] if argv is None else argv
    try:
        check_config_files(paths)
    except CheckError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{len(paths)} config file(s) parse without duplicate keys")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
