"""Aggregate the neural-network runs: summary.csv, curves, steps, analyses, E5 table, values.

Everything here reads the files the training jobs wrote (``run.json``,
``history.csv``, ``steps.csv``) and never imports torch, so the aggregation
and plotting jobs start fast.

Two kinds of interval. Curves and training-side summaries (losses over epochs)
use two-sided 95% Student-t intervals of the mean over seeds (none with a single
seed). Every test-split result the report compares (accuracy, gap, and their
paired differences against a baseline) uses :func:`bootstrap_seeds_rows`: a
percentile bootstrap that resamples seeds *and* test rows together, so the
interval covers both the randomness of training and the sampling of the test set.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student-t quantile; scipy.stats takes a second to import

from regularization_report.checks import check_history
from regularization_report.files import read_json

RUN_KEYS = ["dataset", "experiment", "variant", "seed"]
# "Trains fast" means: reaches this validation accuracy in few steps (E2).
ACCURACY_THRESHOLD = 0.9
VARIANT_KEYS = ["dataset", "experiment", "variant"]
METRICS = ["train_loss", "val_loss", "train_acc", "val_acc", "train_loss_batch"]
CURVE_METRICS = [*METRICS, "weight_norm", "grad_norm_mean", "grad_norm_max"]
CONFIG_COLUMNS = {
    "model_config": ["hidden", "activation", "dropout", "batch_norm"],
    "train_config": [
        "optimizer",
        "lr",
        "momentum",
        "weight_decay",
        "l1",
        "l2",
        "clip_grad_norm",
        "patience",
        "batch_size",
        "epochs",
    ],
}


def mean_ci(values: Iterable[float], level: float = 0.95) -> dict[str, float]:
    """Mean and Student-t interval of the finite values; ``n`` counts them."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return {"mean": math.nan, "low": math.nan, "high": math.nan, "n": 0}
    mean = float(x.mean())
    if n < 2:
        return {"mean": mean, "low": math.nan, "high": math.nan, "n": 1}
    half = float(stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(n))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n}


# --- test split: seeds x rows bootstrap ---------------------------------------------
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20240


def bootstrap_seeds_rows(
    values: np.ndarray,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> dict[str, float]:
    """Mean of a (seeds x rows) array and a percentile interval resampling both axes.

    Each resample draws seeds with replacement and, independently, test rows with
    replacement (the same rows for every seed), and takes the mean over the drawn
    cells. For a paired difference, pass ``variant - baseline`` computed seed by
    seed on the same rows: both the seed and the rows are then shared by the two
    sides of the difference. ``p_two_sided`` is twice the smaller share of
    resampled means on either side of zero (a bootstrap sign test of mean = 0).
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2 or x.size == 0 or not np.isfinite(x).all():
        nan = math.nan
        return {"mean": nan, "low": nan, "high": nan, "p_two_sided": nan, "n_seeds": 0, "n_rows": 0}
    n_seeds, n_rows = x.shape
    rng = np.random.default_rng(seed)
    seed_w = rng.multinomial(n_seeds, np.full(n_seeds, 1 / n_seeds), size=resamples) / n_seeds
    row_w = rng.multinomial(n_rows, np.full(n_rows, 1 / n_rows), size=resamples) / n_rows
    means = np.einsum("bs,sn,bn->b", seed_w, x, row_w)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    p = min(1.0, 2 * min((means <= 0).mean(), (means >= 0).mean()))
    return {
        "mean": float(x.mean()),
        "low": float(low),
        "high": float(high),
        "p_two_sided": float(p),
        "n_seeds": int(n_seeds),
        "n_rows": int(n_rows),
    }


def test_rows_frame(run_files: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """results/nn/test_rows.csv: each run's test rows (row, correct, loss) and final train loss."""
    frames = []
    for path in run_files:
        run = read_json(path)
        rows = run.get("test_rows") or {}
        correct = rows.get("correct") or []
        frame = pd.DataFrame(
            {
                "row": np.arange(len(correct)),
                "correct": correct,
                "loss": [math.nan if v is None else v for v in rows.get("loss", [])],
            }
        )
        for key in reversed(RUN_KEYS):
            frame.insert(0, key, run[key])
        train_loss = run.get("final_train_loss")
        frame["train_loss"] = math.nan if train_loss is None else train_loss
        frames.append(frame)
    columns = [*RUN_KEYS, "row", "correct", "loss", "train_loss"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _matrix(rows: pd.DataFrame, column: str) -> tuple[list[int], np.ndarray]:
    """(seeds, seeds x rows array) of one run set's test rows."""
    table = rows.pivot(index="seed", columns="row", values=column).sort_index()
    return list(table.index), table.to_numpy(dtype=float)


def test_metrics(rows: pd.DataFrame) -> dict[str, np.ndarray | list[int]]:
    """Per seed and test row: correct (0/1) and gap (row cross-entropy minus final train loss)."""
    seeds, correct = _matrix(rows, "correct")
    _, loss = _matrix(rows, "loss")
    train = rows.groupby("seed")["train_loss"].first().sort_index().to_numpy(dtype=float)
    return {"seeds": seeds, "acc": correct, "gap": loss - train[:, None]}


def paired_test_comparison(
    rows: pd.DataFrame,
    dataset: str,
    variant: tuple[str, str],
    baseline: tuple[str, str],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, Any]:
    """Test accuracy and gap of ``variant`` and their paired differences against ``baseline``.

    ``variant`` and ``baseline`` are (experiment, variant). Pairs are formed by
    seed (only seeds both trained) and by test row. A difference "differs" when
    its bootstrap interval excludes zero.
    """

    def runs(which: tuple[str, str]) -> pd.DataFrame:
        return _select(rows, dataset=dataset, experiment=which[0], variant=which[1])

    a, b = test_metrics(runs(variant)), test_metrics(runs(baseline))
    out: dict[str, Any] = {}
    common = sorted(set(a["seeds"]) & set(b["seeds"]))
    ia = [a["seeds"].index(s) for s in common]
    ib = [b["seeds"].index(s) for s in common]
    for metric in ("acc", "gap"):
        own = bootstrap_seeds_rows(a[metric], resamples=resamples)
        diff = bootstrap_seeds_rows(a[metric][ia] - b[metric][ib], resamples=resamples)
        per_seed = (a[metric][ia] - b[metric][ib]).mean(axis=1) if common else np.array([])
        diff["differs"] = bool(math.isfinite(diff["low"]) and (diff["low"] > 0 or diff["high"] < 0))
        diff["n_seeds_above"] = int((per_seed > 0).sum())
        diff["n_seeds_below"] = int((per_seed < 0).sum())
        out[f"test_{metric}"] = own
        out[f"{metric}_diff"] = diff
    return out


def _run_path_keys(path: str | os.PathLike[str]) -> dict[str, Any]:
    """(dataset, experiment, variant, seed) from ``results/nn/<d>/<e>/<v>/seed<k>/<file>``."""
    parts = Path(path).parts
    dataset, experiment, variant, seed_dir = parts[-5:-1]
    return {
        "dataset": dataset,
        "experiment": experiment,
        "variant": variant,
        "seed": int(seed_dir.removeprefix("seed")),
    }


def summary_frame(run_files: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """results/nn/summary.csv: one row per run, final and best metrics and the settings."""
    rows = []
    for path in run_files:
        run = read_json(path)
        row = {k: run[k] for k in RUN_KEYS}
        row.update(
            {
                k: run[k]
                for k in (
                    "status",
                    "diverged",
                    "diverged_epoch",
                    "epochs_run",
                    "final_epoch",
                    "best_epoch",
                )
            }
        )
        for prefix in ("final", "best"):
            for metric in METRICS:
                row[f"{prefix}_{metric}"] = run[f"{prefix}_{metric}"]
            row[f"{prefix}_gap"] = run[f"{prefix}_gap"]
        row["final_gap_batch"] = _difference(run["final_val_loss"], run["final_train_loss_batch"])
        row["max_val_acc"] = run["max_val_acc"]
        row["test_loss"] = run["test_loss"]
        row["test_acc"] = run["test_acc"]
        for section, keys in CONFIG_COLUMNS.items():
            for key in keys:
                value = run[section][key]
                row[key] = "-".join(map(str, value)) if isinstance(value, list) else value
        row["n_parameters"] = run["n_parameters"]
        row["n_train"] = run["n_train"]
        row["n_classes"] = run["model_config"]["out_features"]
        row["threads"] = run["threads"]
        row["device"] = run["device"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(RUN_KEYS, kind="stable").reset_index(drop=True)


def _difference(a: float | None, b: float | None) -> float:
    if a is None or b is None:
        return math.nan
    return a - b


def curves_frame(history_files: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """Mean and interval over seeds of each history metric, per variant and epoch (long)."""
    frames = []
    for path in history_files:
        # A truncated history (its run.json says more epochs) is refused, naming the file.
        check_history(path, Path(path).with_name("run.json"))
        history = pd.read_csv(path)
        keys = _run_path_keys(path)
        for key, value in keys.items():
            history[key] = value
        frames.append(history)
    if not frames:
        return pd.DataFrame(columns=[*VARIANT_KEYS, "epoch", "metric", "mean", "low", "high", "n"])
    histories = pd.concat(frames, ignore_index=True)
    rows = []
    for (dataset, experiment, variant, epoch), group in histories.groupby(
        [*VARIANT_KEYS, "epoch"], sort=True
    ):
        for metric in CURVE_METRICS:
            if metric in group:
                rows.append(
                    {
                        "dataset": dataset,
                        "experiment": experiment,
                        "variant": variant,
                        "epoch": int(epoch),
                        "metric": metric,
                        **mean_ci(group[metric].tolist()),
                    }
                )
    return pd.DataFrame(rows)


def steps_frame(step_files: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """Every logged step of every run, with its run's keys first."""
    frames = []
    for path in step_files:
        steps = pd.read_csv(path)
        if steps.empty:
            continue
        keys = _run_path_keys(path)
        steps.insert(0, "seed", keys["seed"])
        steps.insert(0, "variant", keys["variant"])
        steps.insert(0, "experiment", keys["experiment"])
        steps.insert(0, "dataset", keys["dataset"])
        frames.append(steps)
    if not frames:
        return pd.DataFrame(columns=[*RUN_KEYS, "step", "epoch"])
    return pd.concat(frames, ignore_index=True)


def analyses_frame(run_files: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """The runs' analyses in long form: analysis, quantity, x (T, layer, batch size), value."""
    rows: list[dict[str, Any]] = []
    for path in run_files:
        run = read_json(path)
        keys = {k: run[k] for k in RUN_KEYS}

        def add(analysis: str, quantity: str, x: float, value: Any, keys=keys) -> None:
            rows.append(
                {
                    **keys,
                    "analysis": analysis,
                    "quantity": quantity,
                    "x": x,
                    "value": math.nan if value is None else value,
                }
            )

        found = run.get("analyses", {})
        if "mc_dropout" in found:
            mc = found["mc_dropout"]
            add("mc_dropout", "eval_loss", math.nan, mc["eval_loss"])
            add("mc_dropout", "eval_acc", math.nan, mc["eval_acc"])
            for row in mc["mc"]:
                add("mc_dropout", "loss", row["samples"], row["loss"])
                add("mc_dropout", "acc", row["samples"], row["acc"])
        if "sparsity" in found:
            for quantity, values in found["sparsity"].items():
                for layer, value in enumerate(values, start=1):
                    add("sparsity", quantity, layer, value)
        if "batch_size_eval" in found:
            bs = found["batch_size_eval"]
            add("batch_size_eval", "eval_loss", math.nan, bs["eval_loss"])
            add("batch_size_eval", "eval_acc", math.nan, bs["eval_acc"])
            for row in bs["train_mode"]:
                add("batch_size_eval", "loss", row["batch_size"], row["loss"])
                add("batch_size_eval", "acc", row["batch_size"], row["acc"])
    columns = [*RUN_KEYS, "analysis", "quantity", "x", "value"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values([*RUN_KEYS, "analysis", "quantity", "x"], kind="stable").reset_index(
        drop=True
    )


def chosen_on(runs: pd.DataFrame) -> str:
    """What the run set chose on which data: the early-stopping epoch on validation, or nothing."""
    patience = runs["patience"].dropna() if "patience" in runs else pd.Series(dtype=float)
    if len(patience) and (patience > 0).any():
        return "epoch (validation loss)"
    return "nothing (fixed epochs)"


def comparison_table(
    summary: pd.DataFrame,
    test_rows: pd.DataFrame,
    rows: Sequence[Mapping[str, str]],
    datasets: Sequence[str],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> pd.DataFrame:
    """E5 on the test split: accuracy and gap of each regularizer, paired against the first row.

    The first row of ``rows`` is the baseline (no regularization). Intervals and
    differences come from :func:`paired_test_comparison` (seeds x test rows
    bootstrap); ``chosen_on`` says what, if anything, the run chose on validation data.
    """
    out = []
    baseline = rows[0]
    for dataset in datasets:
        for row in rows:
            runs = _select(
                summary, dataset=dataset, experiment=row["experiment"], variant=row["variant"]
            )
            found = paired_test_comparison(
                test_rows,
                dataset,
                (row["experiment"], row["variant"]),
                (baseline["experiment"], baseline["variant"]),
                resamples=resamples,
            )
            entry: dict[str, Any] = {
                "dataset": dataset,
                "regularizer": row["label"],
                "experiment": row["experiment"],
                "variant": row["variant"],
                "baseline": baseline["label"],
                "n_seeds": len(runs),
                "n_test_rows": found["test_acc"]["n_rows"],
                "n_diverged": int(runs["diverged"].astype(bool).sum()),
                "chosen_on": chosen_on(runs),
                "scored_on": "test",
                "final_epoch_mean": mean_ci(runs["final_epoch"])["mean"],
            }
            for metric in ("acc", "gap"):
                own, diff = found[f"test_{metric}"], found[f"{metric}_diff"]
                entry[f"test_{metric}_mean"] = own["mean"]
                entry[f"test_{metric}_low"] = own["low"]
                entry[f"test_{metric}_high"] = own["high"]
                entry[f"{metric}_diff_mean"] = diff["mean"]
                entry[f"{metric}_diff_low"] = diff["low"]
                entry[f"{metric}_diff_high"] = diff["high"]
                entry[f"{metric}_diff_p"] = diff["p_two_sided"]
                entry[f"{metric}_differs"] = diff["differs"]
                entry[f"{metric}_seeds_above"] = diff["n_seeds_above"]
                entry[f"{metric}_seeds_below"] = diff["n_seeds_below"]
            out.append(entry)
    return pd.DataFrame(out)


def penalty_strength_table(
    summary: pd.DataFrame,
    test_rows: pd.DataFrame,
    *,
    baseline: tuple[str, str] = ("dropout", "rate0.0"),
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> pd.DataFrame:
    """E5 sweep: every L1/L2 strength of the comparison runs, paired against ``baseline``.

    One row per dataset, penalty and strength (test split): accuracy and gap and
    their paired differences, as in :func:`comparison_table`.
    """
    runs = summary[summary["experiment"] == "comparison"]
    out = []
    for (dataset, variant), group in runs.groupby(["dataset", "variant"], sort=True):
        l1, l2 = float(group["l1"].iloc[0] or 0), float(group["l2"].iloc[0] or 0)
        if (l1 > 0) == (l2 > 0):
            continue  # neither penalty (or both): not part of the sweep
        found = paired_test_comparison(
            test_rows, dataset, ("comparison", variant), baseline, resamples=resamples
        )
        row: dict[str, Any] = {
            "dataset": dataset,
            "penalty": "l1" if l1 > 0 else "l2",
            "strength": l1 if l1 > 0 else l2,
            "variant": variant,
            "n_seeds": len(group),
        }
        for metric in ("acc", "gap"):
            for k in ("mean", "low", "high"):
                row[f"test_{metric}_{k}"] = found[f"test_{metric}"][k]
                row[f"{metric}_diff_{k}"] = found[f"{metric}_diff"][k]
            row[f"{metric}_differs"] = found[f"{metric}_diff"]["differs"]
        out.append(row)
    columns = ["dataset", "penalty", "strength", "variant", "n_seeds"]
    frame = pd.DataFrame(out, columns=columns if not out else None)
    return (
        frame.sort_values(["dataset", "penalty", "strength"]).reset_index(drop=True)
        if out
        else frame
    )


# --- values for the prose ---------------------------------------------------------------
def _ci(values: Iterable[float]) -> dict[str, float | int | None]:
    """mean_ci with JSON-safe values (None for missing)."""
    return {
        k: (None if isinstance(v, float) and math.isnan(v) else v)
        for k, v in mean_ci(values).items()
    }


def _select(frame: pd.DataFrame, **equal: Any) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for key, value in equal.items():
        mask &= (frame[key] == value).to_numpy()
    return frame[mask]


def _own(found: Mapping[str, Any]) -> dict[str, Any]:
    """A baseline's own test metrics, without the (empty) difference with itself."""
    return {k: v for k, v in found.items() if k.startswith("test_")}


def first_step_reaching(steps: pd.DataFrame, column: str, threshold: float) -> int | None:
    """First logged step at which the mean over seeds of ``column`` reaches ``threshold``."""
    mean = steps.groupby("step")[column].mean()
    hit = mean[mean >= threshold]
    return int(hit.index[0]) if len(hit) else None


def nn_values(
    summary: pd.DataFrame,
    analyses: pd.DataFrame,
    steps: pd.DataFrame,
    equivalence: pd.DataFrame,
    comparison: pd.DataFrame,
    test_rows: pd.DataFrame | None = None,
    *,
    seeds: Sequence[int],
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, Any]:
    """Every neural-network number the report quotes (results/values/nn.json)."""
    values: dict[str, Any] = {"n_seeds": len(seeds), "n_runs": len(summary)}
    values["accuracy_threshold"] = ACCURACY_THRESHOLD
    values["bootstrap"] = {"resamples": resamples, "level": 0.95, "seed": BOOTSTRAP_SEED}
    if test_rows is None:
        test_rows = pd.DataFrame(columns=[*RUN_KEYS, "row", "correct", "loss", "train_loss"])

    def paired(dataset: str, experiment: str, variant: str, baseline: str) -> dict[str, Any]:
        return paired_test_comparison(
            test_rows, dataset, (experiment, variant), (experiment, baseline), resamples=resamples
        )

    values["n_diverged"] = int(summary["diverged"].astype(bool).sum())
    # The settings each variant trained with, so the prose never types them.
    settings: dict[str, Any] = {}
    for (experiment, variant), group in summary.groupby(["experiment", "variant"], sort=False):
        row = group.iloc[0]
        entry = {key: row[key] for keys in CONFIG_COLUMNS.values() for key in keys}
        entry["hidden"] = [int(h) for h in str(row["hidden"]).split("-") if h]
        entry["datasets"] = sorted(group["dataset"].unique())
        settings.setdefault(experiment, {})[variant] = entry
    values["settings"] = settings
    values["n_train"] = {d: int(g["n_train"].iloc[0]) for d, g in summary.groupby("dataset")}
    values["n_classes"] = {
        d: int(g["n_classes"].iloc[0]) for d, g in summary.groupby("dataset") if "n_classes" in g
    }

    # E1 dropout
    dropout = {}
    for dataset, runs in _select(summary, experiment="dropout").groupby("dataset"):
        per_rate: dict[str, Any] = {}
        no_dropout = runs.loc[runs["dropout"].astype(float).idxmin(), "variant"]
        for variant, group in runs.groupby("variant"):
            rate = float(group["dropout"].iloc[0])
            entry = {
                "rate": rate,
                "final_gap": _ci(group["final_gap"]),
                "final_gap_batch": _ci(group["final_gap_batch"]),
                "best_epoch": _ci(group["best_epoch"]),
                "best_val_loss": _ci(group["best_val_loss"]),
                "final_val_loss": _ci(group["final_val_loss"]),
                "final_val_acc": _ci(group["final_val_acc"]),
                "final_train_loss": _ci(group["final_train_loss"]),
            }
            found = paired(dataset, "dropout", variant, no_dropout)
            entry.update(found if variant != no_dropout else _own(found))
            mc = _select(analyses, dataset=dataset, experiment="dropout", variant=variant)
            if len(mc):
                eval_loss = _select(mc, analysis="mc_dropout", quantity="eval_loss")["value"]
                mc_loss = _select(mc, analysis="mc_dropout", quantity="loss")
                mc_acc = _select(mc, analysis="mc_dropout", quantity="acc")
                eval_acc = _select(mc, analysis="mc_dropout", quantity="eval_acc")["value"]
                t_max = mc_loss["x"].max()
                entry["mc_samples_max"] = int(t_max) if math.isfinite(t_max) else None
                entry["eval_loss"] = _ci(eval_loss)
                entry["eval_acc"] = _ci(eval_acc)
                entry["mc_loss_max"] = _ci(mc_loss[mc_loss["x"] == t_max]["value"])
                entry["mc_acc_max"] = _ci(mc_acc[mc_acc["x"] == t_max]["value"])
                entry["mc_loss_1"] = _ci(mc_loss[mc_loss["x"] == 1]["value"])
                ev, one, many = (
                    entry["eval_loss"]["mean"],
                    entry["mc_loss_1"]["mean"],
                    entry["mc_loss_max"]["mean"],
                )
                if None not in (ev, one, many):
                    entry["mc_single_mask_above_eval"] = bool(one > ev)
                    entry["mc_average_below_eval"] = bool(many < ev)
                zero = _select(mc, analysis="sparsity", quantity="zero_fraction")
                entry["zero_fraction"] = {
                    f"layer{int(layer)}": _ci(g["value"]) for layer, g in zero.groupby("x")
                }
            per_rate[variant] = entry
        by_rate = sorted(
            (e["rate"], name) for name, e in per_rate.items() if isinstance(e, Mapping)
        )
        gaps = [per_rate[name]["test_gap"]["mean"] for _, name in by_rate]
        differs = [name for _, name in by_rate[1:] if per_rate[name]["gap_diff"]["differs"]]
        per_rate["trend"] = {
            "baseline": no_dropout,
            "rates": [r for r, _ in by_rate],
            "test_gaps": gaps,
            # "The gap shrinks as the rate grows" holds only if every step down the rates agrees.
            "gap_decreases_with_rate": bool(
                len(gaps) > 1 and all(b < a for a, b in pairwise(gaps))
            ),
            "gap_differs_rates": [per_rate[name]["rate"] for name in differs],
            "n_gap_differs": len(differs),
            "n_rates": len(by_rate) - 1,
        }
        dropout[dataset] = per_rate
    values["dropout"] = dropout

    # E2 batch norm: speed, unit percentiles, small batches
    batchnorm = {}
    bn_steps = _select(steps, experiment="batchnorm") if len(steps) else steps
    for dataset, runs in _select(summary, experiment="batchnorm").groupby("dataset"):
        entry: dict[str, Any] = {}
        with_bn = runs[runs["batch_norm"].astype(bool)]["variant"].unique().tolist()
        without_bn = runs[~runs["batch_norm"].astype(bool)]["variant"].unique().tolist()
        for variant, group in runs.groupby("variant"):
            s = _select(bn_steps, dataset=dataset, variant=variant)
            v: dict[str, Any] = {
                "final_val_acc": _ci(group["final_val_acc"]),
                "final_gap": _ci(group["final_gap"]),
                "epochs": int(group["epochs"].iloc[0]),
                "steps_per_epoch": None,
            }
            if without_bn:
                found = paired(dataset, "batchnorm", variant, without_bn[0])
                v.update(found if variant != without_bn[0] else _own(found))
            if len(s) and "val_acc" in s:
                v["steps_to_threshold"] = first_step_reaching(s, "val_acc", ACCURACY_THRESHOLD)
                v["total_steps"] = int(s["step"].max())
                v["steps_per_epoch"] = int(s["step"].max() // max(int(s["epoch"].max()), 1))
                seed0 = s[s["seed"] == s["seed"].min()]
                late = seed0[seed0["step"] >= seed0["step"].max() / 2]
                # How far the unit's median input still moves in the second half of
                # training (BN paper, Fig. 1: with BN it stays put).
                v["unit_p50_range_late"] = float(late["unit_p50"].max() - late["unit_p50"].min())
                v["unit_spread_final"] = float((late["unit_p85"] - late["unit_p15"]).iloc[-1])
                v["unit_seed"] = int(s["seed"].min())
            entry[variant] = v
        bs = _select(analyses, dataset=dataset, experiment="batchnorm", analysis="batch_size_eval")
        # Only the BN network has train-mode statistics; the plain network's eval-mode
        # accuracy must not be averaged in (it has no batch statistics to compare with).
        bs = bs[bs["variant"].isin(with_bn)]
        if len(bs):
            acc = _select(bs, quantity="acc")
            entry["batch_size_eval"] = {
                "eval_acc": _ci(_select(bs, quantity="eval_acc")["value"]),
                "train_mode_acc": {str(int(b)): _ci(g["value"]) for b, g in acc.groupby("x")},
                "smallest_batch": int(acc["x"].min()),
                "largest_batch": int(acc["x"].max()),
                "variant": with_bn[0],
            }
            eval_mean = entry["batch_size_eval"]["eval_acc"]["mean"]
            largest = acc[acc["x"] == acc["x"].max()]["value"].mean()
            entry["batch_size_eval"]["eval_minus_largest_batch"] = eval_mean - largest
            entry["batch_size_eval"]["eval_below_largest_batch"] = bool(eval_mean < largest)
        batchnorm[dataset] = entry
    values["batchnorm"] = batchnorm

    # E2 learning-rate sweep
    sweep = {}
    for dataset, runs in _select(summary, experiment="lr_sweep").groupby("dataset"):
        rows = {}
        for variant, group in runs.groupby("variant"):
            rows[variant] = {
                "lr": float(group["lr"].iloc[0]),
                "batch_norm": bool(group["batch_norm"].iloc[0]),
                "final_val_acc": _ci(group["final_val_acc"]),
                "n_diverged": int(group["diverged"].astype(bool).sum()),
            }
        entry = {"variants": rows, "n_diverged": int(runs["diverged"].astype(bool).sum())}
        for bn in (False, True):
            good = [
                r["lr"]
                for r in rows.values()
                if r["batch_norm"] == bn and (r["final_val_acc"]["mean"] or 0) >= ACCURACY_THRESHOLD
            ]
            name = "batch_norm" if bn else "plain"
            entry[f"{name}_lrs_above_threshold"] = sorted(good)
            entry[f"{name}_reaches_threshold"] = bool(good)
            # Span of the working rates: largest over smallest (1 for a single rate).
            entry[f"{name}_lr_span"] = max(good) / min(good) if good else None
        sweep[dataset] = entry
    values["lr_sweep"] = sweep

    # D norms during training
    norms = {}
    for dataset, runs in _select(summary, experiment="norms").groupby("dataset"):
        entry = {}
        for variant, group in runs.groupby("variant"):
            diverged = group[group["diverged"].astype(bool)]
            s = _select(steps, dataset=dataset, experiment="norms", variant=variant)
            grad_cols = [c for c in s.columns if c.startswith("grad_norm_")]
            finite = s[grad_cols].replace([np.inf, -np.inf], np.nan)
            entry[variant] = {
                "n_diverged": len(diverged),
                "any_diverged": bool(len(diverged)),
                "n_runs": len(group),
                "diverged_epochs": sorted(int(e) for e in diverged["diverged_epoch"]),
                "final_val_acc_not_diverged": [
                    float(v) for v in group[~group["diverged"].astype(bool)]["final_val_acc"]
                ],
                "max_val_acc": _ci(group["max_val_acc"]),
                "final_val_acc": _ci(group["final_val_acc"]),
                "max_grad_norm": float(np.nanmax(finite.to_numpy())) if len(s) else None,
                "median_grad_norm": float(np.nanmedian(finite.to_numpy())) if len(s) else None,
            }
        norms[dataset] = entry
    values["norms"] = norms

    # E4 penalties
    penalties: dict[str, Any] = {}
    # Largest difference over seeds: "equal" must hold for every seed.
    for (dataset, a, b), group in equivalence.groupby(["dataset", "variant_a", "variant_b"]):
        penalties.setdefault(dataset, {})[f"{a}_vs_{b}"] = {
            "max_abs_diff": float(group["max_abs_diff"].max()),
            "relative_diff": float(group["relative_diff"].max()),
        }
    for dataset, runs in _select(summary, experiment="penalties").groupby("dataset"):
        entry = penalties.setdefault(dataset, {})
        for variant, group in runs.groupby("variant"):
            entry.setdefault("variants", {})[variant] = {
                "final_val_acc": _ci(group["final_val_acc"]),
                "final_gap": _ci(group["final_gap"]),
            }
    values["penalties"] = penalties

    # E5 comparison (test split, paired against the table's first row)
    comp: dict[str, Any] = {}
    for dataset, group in comparison.groupby("dataset", sort=False):
        group = group.reset_index(drop=True)
        entry = {}
        for row in group.itertuples(index=False):
            item: dict[str, Any] = {"n_seeds": int(row.n_seeds), "n_test_rows": row.n_test_rows}
            item["chosen_on"] = row.chosen_on
            for metric in ("acc", "gap"):
                item[f"test_{metric}"] = {
                    k: getattr(row, f"test_{metric}_{k}") for k in ("mean", "low", "high")
                }
                item[f"{metric}_diff"] = {
                    **{k: getattr(row, f"{metric}_diff_{k}") for k in ("mean", "low", "high")},
                    "p_two_sided": getattr(row, f"{metric}_diff_p"),
                    "differs": bool(getattr(row, f"{metric}_differs")),
                    "n_seeds_above": int(getattr(row, f"{metric}_seeds_above")),
                    "n_seeds_below": int(getattr(row, f"{metric}_seeds_below")),
                }
            if row.regularizer == group.iloc[0]["regularizer"]:
                item = _own(item) | {"n_seeds": item["n_seeds"], "n_test_rows": row.n_test_rows}
            entry[row.regularizer] = item
        others = group.iloc[1:]
        acc_up = others[others["acc_differs"].astype(bool) & (others["acc_diff_mean"] > 0)]
        acc_down = others[others["acc_differs"].astype(bool) & (others["acc_diff_mean"] < 0)]
        gap_down = others[others["gap_differs"].astype(bool) & (others["gap_diff_mean"] < 0)]
        entry["summary"] = {
            "baseline": str(group.iloc[0]["regularizer"]),
            "n_regularizers": len(others),
            "acc_higher": list(acc_up["regularizer"]),
            "acc_lower": list(acc_down["regularizer"]),
            "n_acc_differs": len(acc_up) + len(acc_down),
            "gap_smaller": list(gap_down["regularizer"]),
            "n_gap_smaller": len(gap_down),
            "every_gap_smaller": bool(len(others) and len(gap_down) == len(others)),
            "best_test_acc": str(
                group.loc[group["test_acc_mean"].fillna(-math.inf).idxmax(), "regularizer"]
            ),
            "smallest_gap": str(
                group.loc[group["test_gap_mean"].fillna(math.inf).idxmin(), "regularizer"]
            ),
        }
        comp[dataset] = entry
    # "The regularizers do not add up": BN with dropout against BN alone, paired.
    extra: dict[str, Any] = {}
    for dataset in comp:
        trained = set(_select(summary, dataset=dataset, experiment="comparison")["variant"])
        if {"batch_norm", "batch_norm_dropout"} <= trained:
            extra[dataset] = {
                "bn_dropout_vs_bn": paired(
                    dataset, "comparison", "batch_norm_dropout", "batch_norm"
                )
            }
    values["comparison_extra"] = _json_safe(extra)
    strength = penalty_strength_table(summary, test_rows, resamples=resamples)
    values["penalty_strength"] = _json_safe(
        {
            d: {
                pen: {
                    "strengths": g["strength"].tolist(),
                    "test_acc": g["test_acc_mean"].tolist(),
                    "acc_diff": g["acc_diff_mean"].tolist(),
                    "gap_diff": g["gap_diff_mean"].tolist(),
                    "n_acc_differs": int(g["acc_differs"].astype(bool).sum()),
                    "n_gap_differs": int(g["gap_differs"].astype(bool).sum()),
                    "n_strengths": len(g),
                }
                for pen, g in rows.groupby("penalty")
            }
            for d, rows in strength.groupby("dataset")
        }
        if len(strength)
        else {}
    )
    # One test example, in accuracy points: the resolution of every accuracy difference.
    values["comparison_step"] = {
        d: 100 / n for d, n in comparison.groupby("dataset")["n_test_rows"].first().items() if n
    }
    values["comparison"] = _json_safe(comp)
    return _json_safe(values)


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


# --- reading the values in the report ------------------------------------------------------
class Prose:
    """What the neural-network chapters use to quote ``values``: safe lookups, formatting.

    A key path that the current profile did not produce (the test profile
    trains fewer variants) gives ``"n/a"`` instead of an error, so every
    chapter runs on every profile; the default profile produces every path.
    """

    MISSING = "n/a"

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def get(self, *keys: Any, default: Any = None) -> Any:
        node: Any = self.values
        for key in keys:
            in_mapping = isinstance(node, Mapping) and key in node
            in_list = isinstance(node, list) and isinstance(key, int) and abs(key) < len(node)
            if not (in_mapping or in_list):
                return default
            node = node[key]
        return node

    def num(self, *keys: Any, digits: int = 3) -> str:
        """The number at ``keys`` (the mean when it is an interval), formatted."""
        from regularization_report.report.support import fmt

        value = self.get(*keys)
        if isinstance(value, Mapping):
            value = value.get("mean")
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return self.MISSING
        if isinstance(value, float) and not math.isfinite(value):
            return self.MISSING
        return fmt(value, digits)

    def pct(self, *keys: Any, digits: int = 1) -> str:
        value = self.get(*keys)
        if isinstance(value, Mapping):
            value = value.get("mean")
        if not isinstance(value, int | float) or not math.isfinite(value):
            return self.MISSING
        return f"{100 * value:.{digits}f}%"

    def ci(self, *keys: Any, digits: int = 3) -> str:
        """``mean (95% interval low to high)``; just the mean when there is no interval."""
        value = self.get(*keys)
        mean = self.num(*keys, digits=digits)
        if not isinstance(value, Mapping) or value.get("low") is None or value.get("high") is None:
            return mean
        low = self.num(*keys, "low", digits=digits)
        high = self.num(*keys, "high", digits=digits)
        return f"{mean} (95% interval {low} to {high})"

    def dataset(self, experiment: str, prefer: str = "digits") -> str:
        """The dataset a chapter's prose follows: ``prefer`` when trained, else the first."""
        found = self.get(experiment, default={}) or {}
        names = [k for k in found if isinstance(found.get(k), Mapping)]
        if prefer in names or not names:
            return prefer
        return sorted(names)[0]

    def g(self, *keys: Any) -> str:
        """A setting as written in the config (``0.5``, ``0.001``, ``100``): shortest form."""
        value = self.get(*keys)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self.MISSING if value is None else str(value)
        return f"{value:g}"

    def sci(self, *keys: Any, digits: int = 1) -> str:
        """A number that may be huge or tiny, in scientific notation: ``2.9e+18``."""
        value = self.get(*keys)
        if isinstance(value, Mapping):
            value = value.get("mean")
        if not isinstance(value, int | float) or not math.isfinite(value):
            return self.MISSING
        return f"{value:.{digits}e}"

    @staticmethod
    def label(name: Any) -> str:
        """A dataset, variant or optimizer name as prose shows it."""
        names = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "l1": "L1", "l2": "L2"}
        text = str(name)
        return names.get(text, text.replace("_", " "))

    def join(self, items: Iterable[Any], digits: int | None = None) -> str:
        """``a, b and c`` (numbers in their shortest form unless ``digits``), or ``none``."""
        from regularization_report.report.support import fmt

        def one(x: Any) -> str:
            if isinstance(x, bool) or not isinstance(x, int | float):
                return self.label(x)
            return f"{x:g}" if digits is None else fmt(x, digits)

        text = [one(x) for x in items]
        if not text:
            return "none"
        return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]
