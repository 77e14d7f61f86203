"""The original course's Fashion-MNIST demos, ported to PyTorch (full profile).

The data (fetching, reading, the processed split, the course's splits) live in
:mod:`regularization_report.data.fashion_mnist`.

- A faithful PyTorch port of the three Keras demos of the original course,
  trained with the project's training core (:mod:`regularization_report.nn.training`):

  ``course_model``  Flatten, Dense(128, relu), Dropout(0.9), Dense(10); Adam,
                    5 epochs, batch 32, validated on the test images;
  ``overfitting``   Dense(256) with and without Dropout(0.5), 200 epochs,
                    batch 512, ``train_test_split(test_size=0.01, random_state=101)``;
  ``batchnorm``     Dense(128) with and without BatchNormalization, 20 epochs,
                    batch 2048, ``train_test_split(test_size=0.3, random_state=101)``,
                    and the same with the pixels divided by 255 twice (as one of
                    the course's demos did by mistake).

  With ``keras_defaults`` the PyTorch model starts as Keras would: Glorot-uniform
  weights, zero biases, and batch norm with Keras's momentum (0.99, which is
  PyTorch's ``momentum=0.01``) and epsilon (1e-3 instead of 1e-5). Adam keeps
  PyTorch's epsilon (1e-8; Keras uses 1e-7): the training core owns the optimizer.

Torch is imported inside the functions that train, so the workflow can read the
demo specs (and the summary jobs can run) without loading it.
"""

from __future__ import annotations

import copy
import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from regularization_report.data.fashion_mnist import (
    CLASSES,
    PIXELS,
    flatten_pixels,
    load_fashion_mnist,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from torch import nn

    from regularization_report.nn.training import TensorData

log = logging.getLogger(__name__)

DEMOS = ("course_model", "overfitting", "batchnorm")
RUN_FILES = ("history.csv", "run.json", "model.pt")
# Keras's BatchNormalization: moving = 0.99 * moving + 0.01 * batch, epsilon 1e-3.
KERAS_BATCH_NORM = {"momentum": 0.01, "eps": 1e-3}


# --- the course's demos: which runs the config asks for ----------------------------------
def _merged(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in layers:
        out.update(copy.deepcopy(dict(layer or {})))
    return out


def course_runs(course: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (demo, variant) of the config's ``fashion_mnist.course``: one job each."""
    return [(demo, variant) for demo in DEMOS for variant in course["demos"][demo]["variants"]]


def course_spec(course: Mapping[str, Any], demo: str, variant: str) -> dict[str, Any]:
    """Everything one training job needs, as plain values (a rule's ``params``)."""
    if demo not in DEMOS:
        raise ValueError(f"unknown course demo {demo!r}; known: {DEMOS}")
    entry = course["demos"][demo]
    if variant not in entry["variants"]:
        raise ValueError(
            f"course demo {demo!r} has no variant {variant!r}; it has {sorted(entry['variants'])}"
        )
    overrides = entry["variants"][variant] or {}
    train = _merged(entry["train"], overrides.get("train"))
    if course.get("max_epochs") is not None:
        train["epochs"] = min(int(train["epochs"]), int(course["max_epochs"]))
    return {
        "demo": demo,
        "variant": variant,
        "model": _merged({"hidden": [128]}, entry["model"], overrides.get("model")),
        "train": train,
        "validation": dict(entry["validation"]),
        "pixel_divisions": int(overrides.get("pixel_divisions", entry.get("pixel_divisions", 1))),
        "keras_defaults": bool(course["keras_defaults"]),
        "seeds": list(course["seeds"]),
    }


def run_dir(demo: str, variant: str, seed: int) -> str:
    return f"results/fashion_mnist/course/{demo}/{variant}/seed{seed}"


def course_files(course: Mapping[str, Any], name: str) -> list[str]:
    """``name`` (run.json, history.csv, ...) of every seed of every demo variant."""
    return [
        f"{run_dir(demo, variant, seed)}/{name}"
        for demo, variant in course_runs(course)
        for seed in course["seeds"]
    ]


# --- the course's demos: training ---------------------------------------------------------
def apply_keras_defaults(model: nn.Module) -> nn.Module:
    """Initialize like Keras: Glorot-uniform weights, zero biases, Keras batch-norm constants.

    Uses the global torch generator, so it must run right after seeding (as
    :func:`run_course_variant` does) for the same seed to give the same network.
    """
    import torch
    from torch import nn

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm1d):
                module.momentum = KERAS_BATCH_NORM["momentum"]
                module.eps = KERAS_BATCH_NORM["eps"]
    return model


def course_data(
    raw_dir: str | os.PathLike[str], spec: Mapping[str, Any], *, device: Any = "cpu"
) -> TensorData:
    """The demo's train/validation/test tensors, scaled as the course did (no standardizing).

    ``validation: {source: test}`` validates on the test images, as
    ``model.fit(..., validation_data=(x_test, y_test))``; otherwise the training
    images are split with ``train_test_split(test_size, random_state)``, unstratified,
    exactly as the course called it.
    """
    import torch
    from sklearn.model_selection import train_test_split

    from regularization_report.nn.training import TensorData

    data = load_fashion_mnist(raw_dir)
    divisions = spec["pixel_divisions"]
    X, y = flatten_pixels(data.x_train, divisions), data.y_train.astype(np.int64)
    X_test, y_test = flatten_pixels(data.x_test, divisions), data.y_test.astype(np.int64)
    validation = spec["validation"]
    if validation.get("source", "split") == "test":
        X_train, y_train, X_val, y_val = X, y, X_test, y_test
    else:
        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=validation["test_size"], random_state=validation["random_state"]
        )

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, device=device)

    return TensorData(
        tensor(X_train),
        tensor(y_train),
        tensor(X_val),
        tensor(y_val),
        tensor(X_test),
        tensor(y_test),
    )


def run_course_variant(
    raw_dir: str | os.PathLike[str],
    spec: Mapping[str, Any],
    *,
    out_root: str | os.PathLike[str] = ".",
    device: str = "cpu",
    threads: int = 1,
    deterministic: bool = False,
) -> list[dict[str, Any]]:
    """Train every seed of one demo variant; write history.csv, run.json, model.pt per seed."""
    from regularization_report.files import write_json
    from regularization_report.nn.analyses import plain
    from regularization_report.nn.models import MLP, MLPConfig, count_parameters
    from regularization_report.nn.training import (
        TrainConfig,
        configure_threads,
        evaluate,
        fit,
        resolve_device,
        save_checkpoint,
        seed_everything,
        set_deterministic,
        write_history,
    )

    used_threads = configure_threads(threads)
    set_deterministic(deterministic)
    torch_device = resolve_device(device)
    data = course_data(raw_dir, spec, device=torch_device)
    model_config = MLPConfig(in_features=PIXELS, out_features=len(CLASSES), **spec["model"])
    train_config = TrainConfig.from_dict(spec["train"])
    demo, variant = spec["demo"], spec["variant"]
    records = []
    for seed in spec["seeds"]:
        # train_mlp's steps, with the Keras initialization between building and fitting.
        seed_everything(seed)
        model = MLP(model_config)
        if spec["keras_defaults"]:
            apply_keras_defaults(model)
        model = model.to(torch_device)
        result = fit(model, data, train_config, seed=seed)
        test_loss, test_acc = evaluate(model, data.X_test, data.y_test)
        record = {
            "demo": demo,
            "variant": variant,
            "seed": seed,
            **result.summary(),
            "test_loss": test_loss,
            "test_acc": test_acc,
            "n_parameters": count_parameters(model),
            "n_train": len(data.y_train),
            "n_val": len(data.y_val),
            "n_test": len(data.y_test),
            "pixel_divisions": spec["pixel_divisions"],
            "keras_defaults": spec["keras_defaults"],
            "validation": spec["validation"],
            "model_config": model_config.to_dict(),
            "train_config": train_config.to_dict(),
            "threads": used_threads,
            "device": torch_device.type,
            "deterministic": deterministic,
        }
        out = Path(out_root) / run_dir(demo, variant, seed)
        write_history(result.history, out / "history.csv")
        save_checkpoint(
            out / "model.pt",
            model,
            train_config=train_config,
            extra={"demo": demo, "variant": variant, "seed": seed},
        )
        write_json(plain(record), out / "run.json")
        log.info(
            f"{demo}/{variant} seed {seed}: {result.status} after {result.epochs_run} epochs, "
            f"val_acc {record['final_val_acc']:.4f}, test_acc {test_acc:.4f}"
        )
        records.append(record)
    return records


# --- summaries, values and figures (no torch) ---------------------------------------------
SUMMARY_COLUMNS = [
    "demo",
    "variant",
    "seed",
    "status",
    "epochs_run",
    "best_epoch",
    "final_train_loss",
    "final_val_loss",
    "final_train_acc",
    "final_val_acc",
    "final_gap",
    "best_val_loss",
    "test_loss",
    "test_acc",
    "dropout",
    "batch_norm",
    "pixel_divisions",
    "n_train",
    "n_val",
    "n_test",
]
CURVE_COLUMNS = ["epoch", "train_loss", "val_loss", "train_acc", "val_acc"]


def _keys(path: str | os.PathLike[str]) -> dict[str, Any]:
    """(demo, variant, seed) from ``results/fashion_mnist/course/<demo>/<variant>/seed<k>/...``."""
    demo, variant, seed_dir = Path(path).parts[-4:-1]
    return {"demo": demo, "variant": variant, "seed": int(seed_dir.removeprefix("seed"))}


def summary_frame(run_files: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """One row per run (results/fashion_mnist/course/summary.csv)."""
    from regularization_report.files import read_json

    rows = []
    for path in run_files:
        run = read_json(path)
        row = {key: run.get(key) for key in SUMMARY_COLUMNS}
        row["dropout"] = run["model_config"]["dropout"]
        row["batch_norm"] = run["model_config"]["batch_norm"]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return frame.sort_values(["demo", "variant", "seed"], ignore_index=True)


def curves_frame(history_files: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """Every epoch of every run, long format: demo, variant, seed, epoch, metric, value."""
    parts = []
    for path in history_files:
        history = pd.read_csv(path)[CURVE_COLUMNS]
        long = history.melt(id_vars="epoch", var_name="metric", value_name="value")
        for key, value in _keys(path).items():
            long[key] = value
        parts.append(long)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[["demo", "variant", "seed", "epoch", "metric", "value"]]
    return frame.sort_values(["demo", "variant", "metric", "seed", "epoch"], ignore_index=True)


def course_values(summary: pd.DataFrame | None, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Every Fashion-MNIST number the report quotes (results/values/fashion_mnist.json).

    Without a summary (the full profile did not run) only the settings are
    there, with ``ran: false``, so the report can describe the demos and say
    how to run them.
    """
    from regularization_report.nn.summary import _json_safe, mean_ci

    if summary is None:
        return _json_safe({"ran": False, "settings": settings})
    values: dict[str, Any] = {
        "ran": True,
        "n_runs": len(summary),
        "n_seeds": int(summary["seed"].nunique()),
        "n_diverged": int((summary["status"] == "diverged").sum()),
        "settings": settings,
        "demos": {},
    }
    for (demo, variant), runs in summary.groupby(["demo", "variant"]):
        entry = {
            column: mean_ci(runs[column])
            for column in (
                "test_acc",
                "test_loss",
                "final_val_acc",
                "final_val_loss",
                "final_train_loss",
                "final_gap",
                "best_epoch",
                "best_val_loss",
            )
        }
        first = runs.iloc[0]
        for column in ("dropout", "batch_norm", "pixel_divisions", "n_train", "n_val", "n_test"):
            entry[column] = first[column]
        entry["epochs_run"] = int(runs["epochs_run"].max())
        values["demos"].setdefault(demo, {})[variant] = entry
    return _json_safe(values)


def _mean_curves(curves: pd.DataFrame, demo: str) -> pd.DataFrame:
    from regularization_report.nn.summary import mean_ci

    rows = []
    data = curves[curves["demo"] == demo]
    for (variant, metric, epoch), group in data.groupby(["variant", "metric", "epoch"]):
        rows.append(
            {"variant": variant, "metric": metric, "epoch": epoch, **mean_ci(group["value"])}
        )
    return pd.DataFrame(rows, columns=["variant", "metric", "epoch", "mean", "low", "high", "n"])


def _variant_label(variant: str) -> str:
    return variant.replace("_", " ")


def overfitting_figure(curves: pd.DataFrame) -> Figure:
    """Training (dashed) and validation (solid) loss of the 256-unit demo, per variant."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    data = _mean_curves(curves, "overfitting")
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    for i, variant in enumerate(sorted(data["variant"].unique())):
        color = f"C{i}"
        for metric, style in (("train_loss", "--"), ("val_loss", "-")):
            c = data[(data["variant"] == variant) & (data["metric"] == metric)]
            c = c.sort_values("epoch")
            label = _variant_label(variant) if metric == "val_loss" else None
            ax.plot(c["epoch"], c["mean"], style, color=color, lw=1.4, label=label)
            if metric == "val_loss" and c["low"].notna().any():
                low = c["low"].clip(lower=1e-6)  # a wide interval may dip below 0: log axis
                ax.fill_between(c["epoch"], low, c["high"], color=color, alpha=0.2)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.legend(title="validation (solid), training (dashed)", fontsize=8, title_fontsize=8)
    fig.tight_layout()
    return fig


def batchnorm_figure(curves: pd.DataFrame) -> Figure:
    """Validation accuracy per epoch of the batch-norm demo: colour by network, line by scaling."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    data = _mean_curves(curves, "batchnorm")
    data = data[data["metric"] == "val_acc"]
    variants = sorted(data["variant"].unique())
    networks = sorted({v.removesuffix("_scaled_twice") for v in variants})
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    for variant in variants:
        network = variant.removesuffix("_scaled_twice")
        color = f"C{networks.index(network)}"
        c = data[data["variant"] == variant].sort_values("epoch")
        style = ":" if variant.endswith("_scaled_twice") else "-"
        ax.plot(c["epoch"], c["mean"], style, color=color, lw=1.4, label=_variant_label(variant))
        if c["low"].notna().any():
            low, high = c["low"].clip(0, 1), c["high"].clip(0, 1)  # accuracy lives in [0, 1]
            ax.fill_between(c["epoch"], low, high, color=color, alpha=0.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ci_text(entry: Mapping[str, Any], digits: int = 3) -> str:
    """``0.871 (0.866 to 0.876)`` or just the mean when there is no interval."""
    mean, low, high = entry.get("mean"), entry.get("low"), entry.get("high")
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"
    if low is None or high is None:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


def describe_settings(course: Mapping[str, Any]) -> dict[str, Any]:
    """The demo settings the report quotes (epochs, batch sizes, splits), from the config."""
    out = {}
    for demo in DEMOS:
        entry = course["demos"][demo]
        out[demo] = {
            "epochs": entry["train"]["epochs"],
            "batch_size": entry["train"]["batch_size"],
            "optimizer": entry["train"]["optimizer"],
            "lr": entry["train"]["lr"],
            "hidden": list(entry["model"].get("hidden", [128])),
            "dropout": float(entry["model"].get("dropout", 0.0)),
            "validation": dict(entry["validation"]),
            "variants": list(entry["variants"]),
        }
    out["seeds"] = list(course["seeds"])
    out["keras_defaults"] = bool(course["keras_defaults"])
    out["max_epochs"] = course.get("max_epochs")
    return out
