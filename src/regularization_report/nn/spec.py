"""Which neural-network runs the config asks for, resolved without importing torch.

The workflow (``workflow/rules/nn.smk``) reads the ``nn:`` section of the
config through these functions while it builds the DAG, so this module stays
free of torch and fast to import.

A run is (dataset, experiment, variant, seed). Its model and training settings
are layered: ``nn.model`` / ``nn.train`` (shared defaults), then the
experiment's ``model`` / ``train``, then the variant's. An experiment with
``lrs`` trains every variant at every learning rate, as variants named
``<variant>-lr<lr>``. ``nn.max_epochs`` caps every run and an experiment's
``only`` trains a subset of its variants (both for the test profile).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

# MLPConfig fields a config may set (in_features and out_features come from the data).
MODEL_KEYS = ("hidden", "activation", "dropout", "batch_norm", "layers")
# TrainConfig fields a config may set (tests/test_nn_spec.py checks them against TrainConfig).
TRAIN_KEYS = (
    "epochs",
    "batch_size",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "l1",
    "l2",
    "clip_grad_norm",
    "patience",
    "min_delta",
    "restore_best",
    "evaluate_train",
    "track_grad_norms",
    "eval_batch_size",
    "adam_eps",
)
ANALYSES = ("mc_dropout", "sparsity", "unit_percentiles", "batch_size_eval")
RUN_FILES = ("history.csv", "steps.csv", "run.json", "model.pt")


def lr_variant(variant: str, lr: float) -> str:
    """Name of ``variant`` trained at learning rate ``lr``: ``batch_norm-lr0.1``."""
    return f"{variant}-lr{lr:g}"


def _layered(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in layers:
        out.update(copy.deepcopy(dict(layer or {})))
    return out


def experiment_names(nn: Mapping[str, Any]) -> list[str]:
    return list(nn["experiments"])


def variants(nn: Mapping[str, Any], experiment: str) -> dict[str, dict[str, Any]]:
    """Every variant of ``experiment``, resolved: ``{name: {"model": {...}, "train": {...}}}``."""
    try:
        exp = nn["experiments"][experiment]
    except KeyError:
        raise ValueError(
            f"unknown neural-network experiment {experiment!r}; the config's nn.experiments "
            f"has {experiment_names(nn)}"
        ) from None
    resolved = {}
    only = exp.get("only")
    for name in only or []:
        if name not in exp["variants"]:
            raise ValueError(
                f"nn.experiments.{experiment}.only names {name!r}, which is not one of its "
                f"variants {sorted(exp['variants'])}"
            )
    for name, overrides in exp["variants"].items():
        if only and name not in only:
            continue
        overrides = overrides or {}
        model = _layered(nn.get("model"), exp.get("model"), overrides.get("model"))
        train = _layered(nn.get("train"), exp.get("train"), overrides.get("train"))
        if nn.get("max_epochs") is not None:
            train["epochs"] = min(int(train.get("epochs", nn["max_epochs"])), nn["max_epochs"])
        lrs = exp.get("lrs")
        if lrs:
            for lr in lrs:
                resolved[lr_variant(name, lr)] = {
                    "model": model,
                    "train": {**train, "lr": float(lr)},
                }
        else:
            resolved[name] = {"model": model, "train": train}
    return resolved


def run_spec(nn: Mapping[str, Any], experiment: str, variant: str) -> dict[str, Any]:
    """Everything a training job needs for one (experiment, variant): plain, JSON-able values."""
    all_variants = variants(nn, experiment)
    if variant not in all_variants:
        raise ValueError(
            f"experiment {experiment!r} has no variant {variant!r}; it has {sorted(all_variants)}"
        )
    exp = nn["experiments"][experiment]
    return {
        **all_variants[variant],
        "seeds": list(nn["seeds"]),
        "analyses": list(exp.get("analyses", [])),
        "step_log_every": int(exp.get("step_log_every", 0)),
        "unit": int(exp.get("unit", 0)),
        "mc_samples": list(exp.get("mc_samples", [1, 2, 5, 10, 20, 50, 100])),
        "eval_batch_sizes": list(exp.get("eval_batch_sizes", [2, 4, 8, 16, 32, 64, 128])),
    }


def runs(nn: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every (dataset, experiment, variant) the config asks for: one training job each."""
    out = []
    for experiment, exp in nn["experiments"].items():
        for dataset in exp["datasets"]:
            for variant in variants(nn, experiment):
                out.append((dataset, experiment, variant))
    return out


def run_dir(dataset: str, experiment: str, variant: str, seed: int) -> str:
    return f"results/nn/{dataset}/{experiment}/{variant}/seed{seed}"


def run_files(nn: Mapping[str, Any], name: str, experiment: str | None = None) -> list[str]:
    """``name`` (history.csv, run.json, ...) of every seed of every run, or of one experiment's."""
    return [
        f"{run_dir(dataset, exp, variant, seed)}/{name}"
        for dataset, exp, variant in runs(nn)
        if experiment is None or exp == experiment
        for seed in nn["seeds"]
    ]


def comparison_rows(nn: Mapping[str, Any]) -> list[dict[str, str]]:
    """Rows of the E5 table: ``label`` -> an (experiment, variant) of the config, checked."""
    table = nn["comparison_table"]
    rows = []
    for entry in table["rows"]:
        label, source = entry["regularizer"], entry["run"]
        experiment, _, variant = source.partition("/")
        if experiment not in nn["experiments"] or variant not in variants(nn, experiment):
            raise ValueError(
                f"nn.comparison_table row {label!r}: run {source!r} names no run; write "
                "<experiment>/<variant> with a variant of nn.experiments"
            )
        missing = set(table["datasets"]) - set(nn["experiments"][experiment]["datasets"])
        if missing:
            raise ValueError(
                f"nn.comparison_table row {label!r}: run {source!r} is not trained on "
                f"{sorted(missing)}; add them to nn.experiments.{experiment}.datasets"
            )
        rows.append({"label": label, "experiment": experiment, "variant": variant})
    return rows
