"""The original course's Fashion-MNIST demos, ported to PyTorch (course and full profiles).

The data (fetching, reading, the course's splits and pixel scaling) live in
:mod:`regularization_report.data.fashion_mnist`.

A faithful PyTorch port of the three Keras demos of the original course, each
network the course's layer list as an ``nn.Sequential`` (:func:`course_network`),
trained with the project's training core (:mod:`regularization_report.nn.training`):

``course_model``  (25-6 a) Flatten, Dense(128, relu), Dropout(0.9), Dense(10, softmax)
                  and the same model without the dropout (the course's baseline); Adam,
                  5 epochs, batch 32, all 60 000 training images;
``overfitting``   (25-6 b) Flatten, Dense(256, relu), [Dropout(0.5)], Dense(10, softmax),
                  200 epochs, batch 512, ``train_test_split(test_size=0.01,
                  random_state=101)`` on pixels divided by 255 *twice* (the course's
                  mistake, reproduced); the ``_scaled_once`` variants are the corrected
                  version beside it;
``batchnorm``     (25-7) Flatten, Dense(128, relu), [BatchNormalization], Dense(10, softmax):
                  batch norm *after* the ReLU, as the course wrote it; 20 epochs,
                  batch 2048, ``train_test_split(test_size=0.3, random_state=101)``.

The softmax of ``Dense(10, softmax)`` lives in the loss (``cross_entropy`` of the
logits is Keras's ``sparse_categorical_crossentropy`` of the softmax).

The documented Keras differences are options (``keras_defaults``: true, false, or a
mapping of the three): ``init`` (Glorot-uniform weights, zero biases instead of
PyTorch's narrower uniform), ``batch_norm`` (Keras's momentum 0.99, which is
PyTorch's ``momentum=0.01``, and epsilon 1e-3 instead of 1e-5) and ``adam_eps``
(Adam's epsilon 1e-7 instead of 1e-8).

Torch is imported inside the functions that train, so the workflow can read the
demo specs (and the summary jobs can run) without loading it.
"""

from __future__ import annotations

import copy
import dataclasses
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
    COURSE_DATA,
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
KERAS_ADAM_EPS = 1e-7  # keras.optimizers.Adam(epsilon=1e-7); torch.optim.Adam: 1e-8
KERAS_OPTIONS = ("init", "batch_norm", "adam_eps")


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
    keras = keras_options(course["keras_defaults"])
    if keras["adam_eps"] and train.get("optimizer") in ("adam", "adamw"):
        train["adam_eps"] = KERAS_ADAM_EPS
    default_divisions = COURSE_DATA[demo].pixel_divisions  # the course's own scaling
    return {
        "demo": demo,
        "variant": variant,
        "section": COURSE_DATA[demo].section,
        "model": _merged({"hidden": [128]}, entry["model"], overrides.get("model")),
        "train": train,
        "validation": dict(entry["validation"]),
        "pixel_divisions": int(
            overrides.get("pixel_divisions", entry.get("pixel_divisions", default_divisions))
        ),
        "keras_defaults": keras,
        "seeds": list(course["seeds"]),
    }


def keras_options(value: bool | Mapping[str, bool]) -> dict[str, bool]:
    """``keras_defaults`` as its three switches: true/false for all, or a mapping."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(KERAS_OPTIONS))
        if unknown:
            raise ValueError(f"unknown keras_defaults {unknown}; known: {KERAS_OPTIONS}")
        return {name: bool(value.get(name, False)) for name in KERAS_OPTIONS}
    return dict.fromkeys(KERAS_OPTIONS, bool(value))


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
def apply_keras_defaults(
    model: nn.Module, *, init: bool = True, batch_norm: bool = True
) -> nn.Module:
    """Initialize like Keras (``init``: Glorot-uniform weights, zero biases) and give
    batch norm Keras's constants (``batch_norm``: momentum 0.99, epsilon 1e-3).

    Uses the global torch generator, so it must run right after seeding (as
    :func:`run_course_variant` does) for the same seed to give the same network.
    """
    import torch
    from torch import nn

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear) and init:
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm1d) and batch_norm:
                module.momentum = KERAS_BATCH_NORM["momentum"]
                module.eps = KERAS_BATCH_NORM["eps"]
    return model


def course_network(model: Mapping[str, Any]) -> nn.Sequential:
    """The course's network, layer by layer as its Keras code lists them.

    ``Flatten -> Dense(h, relu) -> [Dropout(p) | BatchNormalization] -> Dense(10)``:
    one hidden layer, the regularizer *after* the ReLU (batch norm included, as the
    course's 25-7 wrote it). The output gives logits; the loss applies the softmax.
    """
    from torch import nn

    hidden = [int(h) for h in model.get("hidden", [128])]
    if len(hidden) != 1:
        raise ValueError(f"the course's networks have one hidden layer, got hidden={hidden}")
    if model.get("activation", "relu") != "relu":
        raise ValueError("the course's hidden layer is Dense(..., activation='relu')")
    dropout = float(model.get("dropout", 0.0))
    batch_norm = bool(model.get("batch_norm", False))
    layers: list[nn.Module] = [nn.Flatten(), nn.Linear(PIXELS, hidden[0]), nn.ReLU()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    if batch_norm:
        layers.append(nn.BatchNorm1d(hidden[0]))
    layers.append(nn.Linear(hidden[0], len(CLASSES)))
    return nn.Sequential(*layers)


def describe_layers(model: nn.Module) -> list[str]:
    """The port's layers in the course's words (``keras_reference.describe_layers``)."""
    from torch import nn

    modules = list(model.children())
    out = []
    for i, module in enumerate(modules):
        following = modules[i + 1] if i + 1 < len(modules) else None
        if isinstance(module, nn.Flatten):
            out.append("Flatten")
        elif isinstance(module, nn.Linear):
            if isinstance(following, nn.ReLU):
                out.append(f"Dense({module.out_features}, relu)")
            elif following is None:  # logits; cross_entropy applies the softmax
                out.append(f"Dense({module.out_features}, softmax)")
            else:
                out.append(f"Dense({module.out_features}, linear)")
        elif isinstance(module, nn.Dropout):
            out.append(f"Dropout({module.p})")
        elif isinstance(module, nn.BatchNorm1d):
            out.append("BatchNormalization")
        elif not isinstance(module, nn.ReLU):  # ReLU is part of its Dense
            out.append(type(module).__name__)
    return out


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
    from regularization_report.nn.models import count_parameters
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
    keras = keras_options(spec["keras_defaults"])
    train_config = TrainConfig.from_dict(spec["train"])
    demo, variant = spec["demo"], spec["variant"]
    records = []
    for seed in spec["seeds"]:
        # train_mlp's steps, with the Keras initialization between building and fitting.
        seed_everything(seed)
        model = course_network(spec["model"])
        apply_keras_defaults(model, init=keras["init"], batch_norm=keras["batch_norm"])
        model = model.to(torch_device)
        result = fit(model, data, train_config, seed=seed)
        test_loss, test_acc = evaluate(model, data.X_test, data.y_test)
        record = {
            "demo": demo,
            "variant": variant,
            "seed": seed,
            **result.summary(),
            "final_train_acc_batch": float(result.history["train_acc_batch"].iloc[-1]),
            "test_loss": test_loss,
            "test_acc": test_acc,
            "n_parameters": count_parameters(model),
            "n_train": len(data.y_train),
            "n_val": len(data.y_val),
            "n_test": len(data.y_test),
            "pixel_divisions": spec["pixel_divisions"],
            "section": spec.get("section"),
            "keras_defaults": keras,
            "validation": spec["validation"],
            "layers": describe_layers(model),
            "model_config": dict(spec["model"]),
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
    "final_train_loss_batch",
    "final_train_acc_batch",
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
        row["dropout"] = float(run["model_config"].get("dropout", 0.0))
        row["batch_norm"] = bool(run["model_config"].get("batch_norm", False))
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


# --- the course's printout beside the Keras reference and the port (no torch) -------------
@dataclasses.dataclass(frozen=True)
class Printed:
    """One number the course printed (issue 13's table): a value or a range of values."""

    section: str
    demo: str
    variant: str
    metric: str  # a column of comparison_runs: final_* or epoch1_val_loss
    quantity: str  # what the course called it
    low: float
    high: float  # == low for a single number
    about: bool = False  # the course's "about"

    @property
    def text(self) -> str:
        if math.isnan(self.low):
            return ""
        if self.low == self.high:
            return f"{'about ' if self.about else ''}{self.low:.3f}"
        return f"{self.low:.3f} to {self.high:.3f}"


# Keras's printout is the mean over the epoch's batches in training mode (dropout
# on): the *_batch columns; val_* are Keras's end-of-epoch evaluation.
COURSE_PRINTOUT: tuple[Printed, ...] = (
    Printed(
        "25-6 a",
        "course_model",
        "dropout",
        "final_train_acc_batch",
        "train accuracy, Dropout(0.9)",
        0.563,
        0.576,
    ),
    Printed(
        "25-6 a",
        "course_model",
        "no_dropout",
        "final_train_acc_batch",
        "train accuracy, no dropout",
        0.891,
        0.891,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "no_dropout",
        "final_train_loss_batch",
        "loss, no dropout",
        0.290,
        0.290,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "no_dropout",
        "final_train_acc_batch",
        "accuracy, no dropout",
        0.897,
        0.897,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "no_dropout",
        "final_val_loss",
        "val_loss, no dropout",
        0.327,
        0.327,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "no_dropout",
        "final_val_acc",
        "val_accuracy, no dropout",
        0.863,
        0.863,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "dropout",
        "final_train_loss_batch",
        "loss, Dropout(0.5)",
        0.317,
        0.317,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "dropout",
        "final_train_acc_batch",
        "accuracy, Dropout(0.5)",
        0.888,
        0.888,
    ),
    Printed(
        "25-6 b", "overfitting", "dropout", "final_val_loss", "val_loss, Dropout(0.5)", 0.320, 0.320
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "dropout",
        "final_val_acc",
        "val_accuracy, Dropout(0.5)",
        0.865,
        0.865,
    ),
    Printed(
        "25-7", "batchnorm", "plain", "final_train_acc_batch", "train accuracy, no BN", 0.883, 0.883
    ),
    Printed("25-7", "batchnorm", "plain", "final_val_acc", "val_accuracy, no BN", 0.867, 0.868),
    Printed(
        "25-7", "batchnorm", "plain", "final_val_loss", "val_loss, no BN", 0.376, 0.376, about=True
    ),
    Printed(
        "25-7",
        "batchnorm",
        "batch_norm",
        "final_train_acc_batch",
        "train accuracy, BN",
        0.922,
        0.922,
    ),
    Printed("25-7", "batchnorm", "batch_norm", "final_val_acc", "val_accuracy, BN", 0.878, 0.879),
    Printed("25-7", "batchnorm", "batch_norm", "final_val_loss", "val_loss, BN", 0.341, 0.348),
    Printed(
        "25-7",
        "batchnorm",
        "batch_norm",
        "epoch1_val_loss",
        "val_loss after epoch 1, BN",
        1.06,
        1.06,
        about=True,
    ),
)
# The course's mistakes, corrected beside them (port only: no printout, no reference).
CORRECTED: tuple[Printed, ...] = (
    Printed(
        "25-6 a",
        "course_model",
        "dropout",
        "final_train_acc",
        "train accuracy, Dropout(0.9), dropout off (inference mode)",
        math.nan,
        math.nan,
    ),
    Printed(
        "25-6 a",
        "course_model",
        "dropout",
        "test_acc",
        "test accuracy, Dropout(0.9)",
        math.nan,
        math.nan,
    ),
    Printed(
        "25-6 a",
        "course_model",
        "no_dropout",
        "test_acc",
        "test accuracy, no dropout",
        math.nan,
        math.nan,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "no_dropout_scaled_once",
        "final_val_acc",
        "val_accuracy, no dropout, pixels /255 once",
        math.nan,
        math.nan,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "dropout_scaled_once",
        "final_val_acc",
        "val_accuracy, Dropout(0.5), pixels /255 once",
        math.nan,
        math.nan,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "no_dropout_scaled_once",
        "final_val_loss",
        "val_loss, no dropout, pixels /255 once",
        math.nan,
        math.nan,
    ),
    Printed(
        "25-6 b",
        "overfitting",
        "dropout_scaled_once",
        "final_val_loss",
        "val_loss, Dropout(0.5), pixels /255 once",
        math.nan,
        math.nan,
    ),
)
RUN_METRICS = (
    "final_train_loss_batch",
    "final_train_acc_batch",
    "final_val_loss",
    "final_val_acc",
    "epoch1_val_loss",
    "final_train_acc",
    "test_acc",
)
COMPARISON_FILES = ("runs.csv", "comparison.csv", "provenance.json")
COMPARISON_RUN_COLUMNS = ["source", "demo", "variant", "seed", "epochs", *RUN_METRICS]


def history_metrics(history: pd.DataFrame) -> dict[str, float]:
    """What the course printed, from one run's history (port or Keras reference alike)."""
    last = history.iloc[-1]
    first = history[history["epoch"] == 1]
    return {
        "epochs": int(last["epoch"]),
        "final_train_loss_batch": float(last["train_loss_batch"]),
        "final_train_acc_batch": float(last["train_acc_batch"]),
        "final_val_loss": float(last["val_loss"]),
        "final_val_acc": float(last["val_acc"]),
        "epoch1_val_loss": float(first["val_loss"].iloc[0]) if len(first) else math.nan,
        "final_train_acc": float(last["train_acc"]),
    }


def comparison_runs(
    port_histories: Iterable[str | os.PathLike[str]],
    keras_histories: Iterable[str | os.PathLike[str]],
) -> pd.DataFrame:
    """One row per run of the port and of the Keras reference: the printed quantities.

    25-6 a did not validate: the Keras reference leaves ``val_*`` empty there, and the
    port's ``val_*`` (the test images) are dropped too, so neither is compared.
    """
    from regularization_report.files import read_json

    rows = []
    for source, paths in (("port", port_histories), ("keras", keras_histories)):
        for path in paths:
            row = {"source": source, **_keys(path), **history_metrics(pd.read_csv(path))}
            run = Path(path).with_name("run.json")
            row["test_acc"] = float(read_json(run)["test_acc"]) if run.exists() else math.nan
            if row["demo"] == "course_model":
                row["final_val_loss"] = row["final_val_acc"] = math.nan
                row["epoch1_val_loss"] = math.nan
            rows.append(row)
    frame = pd.DataFrame(rows, columns=COMPARISON_RUN_COLUMNS)
    return frame.sort_values(["source", "demo", "variant", "seed"], ignore_index=True)


def _spread(values: pd.Series) -> dict[str, float]:
    from regularization_report.nn.summary import mean_ci

    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    finite = numbers[np.isfinite(numbers)]
    entry = mean_ci(finite)
    entry["min"] = float(finite.min()) if len(finite) else math.nan
    entry["max"] = float(finite.max()) if len(finite) else math.nan
    return entry


def comparison_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Every printed number beside the Keras reference and the port (mean, 95% interval,
    range over seeds), and whether they agree.

    ``port_within_keras``: the port's mean lies within the reference's range over seeds.
    ``disagree``: the two ranges over seeds do not overlap (disagreement beyond the
    seed spread). ``course_within_keras``: the printout lies within the reference's range.
    """
    rows = []
    for printed in (*COURSE_PRINTOUT, *CORRECTED):
        row: dict[str, Any] = {
            "section": printed.section,
            "demo": printed.demo,
            "variant": printed.variant,
            "metric": printed.metric,
            "quantity": printed.quantity,
            "kind": "printed" if printed in COURSE_PRINTOUT else "corrected",
            "course": printed.text,
            "course_low": printed.low,
            "course_high": printed.high,
        }
        for source in ("keras", "port"):
            chosen = runs[
                (runs["source"] == source)
                & (runs["demo"] == printed.demo)
                & (runs["variant"] == printed.variant)
            ]
            spread = _spread(chosen[printed.metric]) if len(chosen) else _spread(pd.Series([]))
            for key in ("mean", "low", "high", "min", "max", "n"):
                row[f"{source}_{key}"] = spread[key]
        # A spread needs two seeds on each side; with fewer there is nothing to judge by.
        both = row["keras_n"] >= 2 and row["port_n"] >= 2
        row["comparable"] = bool(both)
        row["port_within_keras"] = bool(
            both and row["keras_min"] <= row["port_mean"] <= row["keras_max"]
        )
        row["disagree"] = bool(
            both and (row["port_min"] > row["keras_max"] or row["port_max"] < row["keras_min"])
        )
        row["course_within_keras"] = bool(
            row["keras_n"] >= 2
            and not math.isnan(printed.low)
            and row["keras_min"] <= printed.high
            and printed.low <= row["keras_max"]
        )
        rows.append(row)
    return pd.DataFrame(rows)


def config_hash(fashion_mnist: Mapping[str, Any]) -> str:
    """SHA-256 of what decides the course's results: the port's and the reference's
    settings and the data's identity (canonical JSON, sorted keys)."""
    import hashlib
    import json

    from regularization_report.data.fashion_mnist import FILES

    decisive = {
        "course": fashion_mnist["course"],
        "keras_reference": fashion_mnist["keras_reference"],
        "data": {spec.name: spec.content_sha256 for spec in FILES},
    }
    text = json.dumps(decisive, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def provenance(
    fashion_mnist: Mapping[str, Any], keras_run_files: Iterable[str | os.PathLike[str]]
) -> dict[str, Any]:
    """Where a comparison came from: commit, config hash, machine, date, versions."""
    import datetime
    import platform
    import subprocess

    from regularization_report.files import read_json

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], capture_output=True, text=True, check=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    status = git("status", "--porcelain", "--untracked-files=no")
    versions: dict[str, Any] = {}
    for path in keras_run_files:
        versions = dict(read_json(path).get("versions", {}))
        break
    try:
        import snakemake

        versions["snakemake"] = snakemake.__version__
    except ImportError:
        pass
    versions.setdefault("python", platform.python_version())
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": None if status is None else bool(status),
        "config_hash": config_hash(fashion_mnist),
        # What the hash covers, so an archive carries its own config.
        "config": {
            "course": fashion_mnist["course"],
            "keras_reference": fashion_mnist["keras_reference"],
        },
        "course_seeds": list(fashion_mnist["course"]["seeds"]),
        "keras_seeds": list(fashion_mnist["keras_reference"]["seeds"]),
        "course_max_epochs": fashion_mnist["course"].get("max_epochs"),
        "keras_max_epochs": fashion_mnist["keras_reference"].get("max_epochs"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": versions,
    }


def comparison_values(
    table: pd.DataFrame,
    provenance: Mapping[str, Any],
    *,
    source: str,
    folder: str | None = None,
) -> dict[str, Any]:
    """The comparison as the report reads it: rows, per-demo verdicts, provenance, source.

    ``source`` is ``live`` (this build trained the demos) or ``archive`` (the committed
    run in archive/course/). ``demos[demo]["val_acc_within"]`` says, per variant,
    whether the port's mean validation accuracy lies within the reference's range.
    """
    from regularization_report.nn.summary import _json_safe

    rows = table.to_dict(orient="records")
    demos: dict[str, Any] = {}
    for row in rows:
        entry = demos.setdefault(
            row["demo"], {"val_acc_within": {}, "n_disagree": 0, "n_compared": 0}
        )
        if row["comparable"]:
            entry["n_compared"] += 1
            entry["n_disagree"] += int(bool(row["disagree"]))
            if row["metric"] == "final_val_acc":
                entry["val_acc_within"][row["variant"]] = bool(row["port_within_keras"])
    return _json_safe(
        {
            "source": source,
            "folder": folder,
            "provenance": dict(provenance),
            "rows": rows,
            "demos": demos,
            "n_rows": len(rows),
            "n_disagree": int(table["disagree"].astype(bool).sum()),
            "capped": provenance.get("course_max_epochs") is not None
            or provenance.get("keras_max_epochs") is not None,
        }
    )
