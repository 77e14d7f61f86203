"""The course's own Keras code, run as a reference beside the PyTorch port.

Keras 3 on the PyTorch backend (``KERAS_BACKEND=torch``, the project's torch),
the three Fashion-MNIST demos written as the course wrote them: ``Sequential``,
``Flatten``, ``Dense``, ``Dropout``, ``BatchNormalization``, ``compile(optimizer=
"adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])`` and
``model.fit(x, y, validation_data=..., epochs=..., batch_size=...)``, on the
rows :func:`regularization_report.data.fashion_mnist.course_split` gives (the
port uses the same). What Keras 3 changed: the input shape is a
``keras.Input(shape=(28, 28))`` instead of ``Flatten(input_shape=(28, 28))``.
The course's 25-7 writes the output layer as ``Dense(10)``; it is taken to be
``Dense(10, activation="softmax")`` as in 25-6, since the loss expects
probabilities and the course's printed losses are those of a working model.

Measurement added around the course's code, never changing its training:

- epoch 0, the model before training, like the port's histories;
- ``train_loss``/``train_acc``: an inference-mode pass over the training rows
  after every epoch (the port's ``train_loss``); what Keras prints (and the
  course quoted) is the mean over the epoch's batches in training mode,
  dropout on, kept as ``train_loss_batch``/``train_acc_batch``. These passes
  run with the random state saved and restored, so the training is the same
  with or without them.
- 25-6 a did not validate: ``val_*`` are empty, and the test set is evaluated
  after training (``test_loss``/``test_acc`` in run.json), as for every demo.

Keras is imported inside the functions that train (:func:`import_keras`), so the
workflow can read the demo table without it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import platform
import random
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regularization_report.data.fashion_mnist import COURSE_DATA, CourseSplit

log = logging.getLogger(__name__)

KERAS_DEMOS = ("course_model", "overfitting", "batchnorm")
# The course compared each regularized model with the same model without it.
VARIANTS: dict[str, tuple[str, ...]] = {
    "course_model": ("dropout", "no_dropout"),
    "overfitting": ("no_dropout", "dropout"),
    "batchnorm": ("plain", "batch_norm"),
}
BATCH_SIZE = {"course_model": 32, "overfitting": 512, "batchnorm": 2048}  # the course's
EVAL_BATCH_SIZE = 4096  # measurement passes only: inference, so the batch size is free
HISTORY_COLUMNS = [
    "epoch",
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "train_loss_batch",
    "train_acc_batch",
]
RUN_FILES = ("history.csv", "run.json")


def run_dir(demo: str, variant: str, seed: int) -> str:
    return f"results/fashion_mnist/keras/{demo}/{variant}/seed{seed}"


def reference_runs(settings: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """Every (demo, variant, seed) of ``fashion_mnist.keras_reference``: one job each."""
    return [
        (demo, variant, seed)
        for demo, entry in settings["demos"].items()
        for variant in entry["variants"]
        for seed in settings["seeds"]
    ]


def reference_files(settings: Mapping[str, Any], name: str) -> list[str]:
    """``name`` (history.csv or run.json) of every reference run the config asks for."""
    return [f"{run_dir(*run)}/{name}" for run in reference_runs(settings)]


def reference_epochs(settings: Mapping[str, Any], demo: str) -> int:
    """The demo's epochs from the config, capped by ``max_epochs`` when set."""
    epochs = int(settings["demos"][demo]["epochs"])
    cap = settings.get("max_epochs")
    return epochs if cap is None else min(epochs, int(cap))


# --------------------------------------------------------------------------- the course's models


def import_keras(device: str = "auto") -> Any:
    """Keras 3 on the PyTorch backend. ``device`` cpu or cuda pins it; auto lets Keras pick."""
    os.environ["KERAS_BACKEND"] = "torch"
    if device != "auto":
        os.environ["KERAS_TORCH_DEVICE"] = device
    try:
        import keras
    except ImportError as exc:
        raise ImportError(
            "the Keras reference needs keras: pip install -e '.[course]' (keras==3.15.1, "
            "which uses the torch already installed)"
        ) from exc
    if keras.backend.backend() != "torch":
        raise RuntimeError(
            f"keras was imported with the {keras.backend.backend()!r} backend before this "
            "module set KERAS_BACKEND=torch; start a fresh process (or set KERAS_BACKEND=torch)"
        )
    return keras


def course_model(keras: Any, dropout: bool) -> Any:
    """25-6 a: Dropout(0.9) after the hidden layer (and the same model without it)."""
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(128, activation="relu"))
    if dropout:
        model.add(keras.layers.Dropout(0.9))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model


def overfitting_model(keras: Any, dropout: bool) -> Any:
    """25-6 b: 256 hidden units with and without Dropout(0.5), trained to overfit."""
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(256, activation="relu"))
    if dropout:
        model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model


def batchnorm_model(keras: Any, batch_norm: bool) -> Any:
    """25-7: BatchNormalization after the ReLU of the hidden layer (and without it)."""
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(128, activation="relu"))
    if batch_norm:
        model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model


def build_model(keras: Any, demo: str, variant: str) -> Any:
    """The course's model for ``demo``/``variant``, compiled as the course compiled it."""
    if variant not in VARIANTS.get(demo, ()):
        raise ValueError(
            f"unknown Keras reference run {demo}/{variant}; known: "
            + ", ".join(f"{d}/{v}" for d, vs in VARIANTS.items() for v in vs)
        )
    regularized = variant in ("dropout", "batch_norm")
    builders = {
        "course_model": course_model,
        "overfitting": overfitting_model,
        "batchnorm": batchnorm_model,
    }
    model = builders[demo](keras, regularized)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def describe_layers(model: Any) -> list[str]:
    """The layers as the course wrote them: ``["Flatten", "Dense(128, relu)", ...]``."""
    out = []
    for layer in model.layers:
        config = layer.get_config()
        kind = type(layer).__name__
        if kind == "Dense":
            out.append(f"Dense({config['units']}, {config['activation']})")
        elif kind == "Dropout":
            out.append(f"Dropout({config['rate']})")
        else:
            out.append(kind)
    return out


# --------------------------------------------------------------------------- training


@contextlib.contextmanager
def _random_state_kept() -> Iterator[None]:
    """Run a measurement without moving any random stream the training draws from
    (a torch DataLoader draws a base seed even when it does not shuffle)."""
    import torch

    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    with torch.random.fork_rng(devices=[]):
        yield
    random.setstate(python_state)
    np.random.set_state(numpy_state)  # noqa: NPY002


def _history_recorder(keras: Any, split: CourseSplit, *, measure_train: bool, label: str) -> Any:
    """A callback that writes one history row per epoch (epoch 0: before training)."""

    class HistoryRecorder(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[dict[str, float]] = []

        def _evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
            with _random_state_kept():
                result = self.model.evaluate(
                    x, y, batch_size=EVAL_BATCH_SIZE, verbose=0, return_dict=True
                )
            return float(result["loss"]), float(result["accuracy"])

        def _record(self, epoch: int, logs: Mapping[str, Any]) -> None:
            row = {"epoch": epoch}
            row["train_loss"], row["train_acc"] = (
                self._evaluate(split.x_train, split.y_train) if measure_train else (math.nan,) * 2
            )
            if "val_loss" in logs:
                row["val_loss"], row["val_acc"] = logs["val_loss"], logs["val_accuracy"]
            elif split.x_val is not None:
                row["val_loss"], row["val_acc"] = self._evaluate(split.x_val, split.y_val)
            else:
                row["val_loss"] = row["val_acc"] = math.nan
            row["train_loss_batch"] = logs.get("loss", math.nan)
            row["train_acc_batch"] = logs.get("accuracy", math.nan)
            self.rows.append({k: float(v) for k, v in row.items()})
            log.info(
                f"{label} epoch {epoch}: loss {row['train_loss_batch']:.4f} - accuracy "
                f"{row['train_acc_batch']:.4f} - val_loss {row['val_loss']:.4f} - val_accuracy "
                f"{row['val_acc']:.4f} (train, inference mode: {row['train_loss']:.4f}, "
                f"{row['train_acc']:.4f})"
            )

        def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
            self._record(0, {})

        def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
            self._record(epoch + 1, logs or {})

    return HistoryRecorder()


def _versions(keras: Any) -> dict[str, str]:
    import torch

    from regularization_report import __version__

    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "regularization_report": __version__,
    }


def run_keras_reference(
    split: CourseSplit,
    demo: str,
    variant: str,
    *,
    seed: int,
    epochs: int,
    out_dir: str | os.PathLike[str] | None = None,
    threads: int = 1,
    device: str = "auto",
    measure_train: bool = True,
    settings: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Train the course's ``demo``/``variant`` once, seeded with ``seed``; return (history, run).

    With ``out_dir``, write ``history.csv`` and ``run.json`` there. ``settings`` (the
    config the rule passed) is recorded in run.json as it came.
    """
    started = time.perf_counter()
    keras = import_keras(device)
    from regularization_report.files import write_csv, write_json
    from regularization_report.nn.analyses import plain
    from regularization_report.threads import limit_threads

    limit_threads(threads)
    keras.utils.set_random_seed(seed)
    model = build_model(keras, demo, variant)
    label = f"keras {demo}/{variant} seed {seed}"
    recorder = _history_recorder(keras, split, measure_train=measure_train, label=label)
    validation = None if split.x_val is None else (split.x_val, split.y_val)

    fit_started = time.perf_counter()
    model.fit(
        split.x_train,
        split.y_train,
        validation_data=validation,
        epochs=epochs,
        batch_size=BATCH_SIZE[demo],
        callbacks=[recorder],
        verbose=0,
    )
    fit_s = time.perf_counter() - fit_started
    with _random_state_kept():
        test = model.evaluate(
            split.x_test, split.y_test, batch_size=EVAL_BATCH_SIZE, verbose=0, return_dict=True
        )

    import torch

    history = pd.DataFrame(recorder.rows, columns=HISTORY_COLUMNS)
    last = history.iloc[-1]
    run = {
        "demo": demo,
        "variant": variant,
        "course_section": COURSE_DATA[demo].section,
        "seed": seed,
        "epochs": epochs,
        "batch_size": BATCH_SIZE[demo],
        "layers": describe_layers(model),
        "n_parameters": int(model.count_params()),
        "compile": {
            "optimizer": model.optimizer.get_config(),
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        "pixel_divisions": COURSE_DATA[demo].pixel_divisions,
        "validation": (
            None
            if split.x_val is None
            else {
                "test_size": COURSE_DATA[demo].test_size,
                "random_state": COURSE_DATA[demo].random_state,
            }
        ),
        "n_train": len(split.y_train),
        "n_val": 0 if split.y_val is None else len(split.y_val),
        "n_test": len(split.y_test),
        "final_train_loss_batch": last["train_loss_batch"],
        "final_train_acc_batch": last["train_acc_batch"],
        "final_train_loss": last["train_loss"],
        "final_train_acc": last["train_acc"],
        "final_val_loss": last["val_loss"],
        "final_val_acc": last["val_acc"],
        "test_loss": float(test["loss"]),
        "test_acc": float(test["accuracy"]),
        "measure_train": measure_train,
        "threads": torch.get_num_threads(),
        "device": str(model.weights[0].value.device),
        "versions": _versions(keras),
        "machine": {"platform": platform.platform(), "processor": platform.machine()},
        "fit_s": fit_s,
        "s_per_epoch": fit_s / epochs if epochs else math.nan,
        "wall_s": time.perf_counter() - started,
        "settings": dict(settings or {}),
    }
    if out_dir is not None:
        out = Path(out_dir)
        write_csv(history, out / "history.csv")
        write_json(plain(run), out / "run.json")
    log.info(
        f"{label}: {epochs} epochs in {fit_s:.1f} s, val_acc {last['val_acc']:.4f}, "
        f"test_acc {run['test_acc']:.4f}"
    )
    return history, run
