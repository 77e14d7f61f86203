"""The course's Keras code as a reference: its layers, and training on a slice of the real data.

Keras 3 runs on the PyTorch backend of this venv (the ``course`` extra); the
data are Debian's Fashion-MNIST files (tests/setup.sh installs both).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, copy_repo, run_snakemake
from fashion_fixtures import DEBIAN

from regularization_report.data import fashion_mnist as fm
from regularization_report.files import read_json
from regularization_report.nn import keras_reference as kr

# The course's models, layer by layer (issue 13's table; Keras 3 adds the Input).
COURSE_LAYERS = {
    ("course_model", "dropout"): [
        "Flatten",
        "Dense(128, relu)",
        "Dropout(0.9)",
        "Dense(10, softmax)",
    ],
    ("course_model", "no_dropout"): ["Flatten", "Dense(128, relu)", "Dense(10, softmax)"],
    ("overfitting", "no_dropout"): ["Flatten", "Dense(256, relu)", "Dense(10, softmax)"],
    ("overfitting", "dropout"): [
        "Flatten",
        "Dense(256, relu)",
        "Dropout(0.5)",
        "Dense(10, softmax)",
    ],
    ("batchnorm", "plain"): ["Flatten", "Dense(128, relu)", "Dense(10, softmax)"],
    ("batchnorm", "batch_norm"): [
        "Flatten",
        "Dense(128, relu)",
        "BatchNormalization",
        "Dense(10, softmax)",
    ],
}
RUNS = sorted(COURSE_LAYERS)


@pytest.fixture(scope="module")
def keras():
    return kr.import_keras("cpu")


@pytest.fixture(scope="module")
def data() -> fm.FashionMNIST:
    return fm.load_fashion_mnist(DEBIAN)


def small(data: fm.FashionMNIST, demo: str) -> fm.CourseSplit:
    """The demo's own split, cut to a few hundred rows of each part."""
    split = fm.course_split(data, demo)
    cut = [300, 300, 100, 100, 200, 200]
    return fm.CourseSplit(*(None if a is None else a[:n] for a, n in zip(split, cut, strict=True)))


def test_the_demo_table_covers_the_course(keras) -> None:
    assert sorted((d, v) for d, vs in kr.VARIANTS.items() for v in vs) == RUNS
    assert kr.BATCH_SIZE == {"course_model": 32, "overfitting": 512, "batchnorm": 2048}
    assert set(kr.KERAS_DEMOS) == set(fm.COURSE_DATA)
    with pytest.raises(ValueError, match="unknown Keras reference run batchnorm/dropout"):
        kr.build_model(keras, "batchnorm", "dropout")


@pytest.mark.parametrize(("demo", "variant"), RUNS)
def test_each_demo_builds_the_courses_layers(keras, demo: str, variant: str) -> None:
    model = kr.build_model(keras, demo, variant)
    assert kr.describe_layers(model) == COURSE_LAYERS[(demo, variant)]
    assert tuple(model.input_shape) == (None, 28, 28)
    optimizer = model.optimizer.get_config()
    assert type(model.optimizer).__name__ == "Adam"
    assert optimizer["learning_rate"] == pytest.approx(1e-3)  # a float32 variable
    assert optimizer["epsilon"] == pytest.approx(1e-7)  # Keras's Adam, not PyTorch's 1e-8
    assert model.loss == "sparse_categorical_crossentropy"
    if variant == "batch_norm":
        norm = model.layers[2].get_config()
        assert (norm["momentum"], norm["epsilon"]) == (0.99, 0.001)  # Keras's defaults


@pytest.mark.parametrize(("demo", "variant"), RUNS)
def test_each_demo_trains_on_a_slice_of_the_real_data(
    data: fm.FashionMNIST, tmp_path: Path, demo: str, variant: str
) -> None:
    history, run = kr.run_keras_reference(
        small(data, demo), demo, variant, seed=0, epochs=1, out_dir=tmp_path
    )
    written = pd.read_csv(tmp_path / "history.csv")
    assert list(written.columns) == kr.HISTORY_COLUMNS
    assert written["epoch"].tolist() == [0, 1]
    np.testing.assert_allclose(written.to_numpy(), history.to_numpy(), rtol=1e-9)
    first, last = written.iloc[0], written.iloc[-1]
    assert math.isnan(first["train_loss_batch"])  # epoch 0: before any batch
    assert np.isfinite(
        last[["train_loss", "train_acc", "train_loss_batch", "train_acc_batch"]]
    ).all()
    validated = demo != "course_model"  # 25-6 a did not validate
    assert bool(np.isfinite(written[["val_loss", "val_acc"]]).all().all()) is validated
    assert not validated or written["val_acc"].between(0, 1).all()

    recorded = read_json(tmp_path / "run.json")
    assert recorded["layers"] == COURSE_LAYERS[(demo, variant)]
    assert (recorded["seed"], recorded["epochs"]) == (0, 1)
    assert recorded["batch_size"] == kr.BATCH_SIZE[demo]
    assert (recorded["n_train"], recorded["n_val"]) == (300, 100 if validated else 0)
    assert recorded["n_test"] == 200 and 0 <= recorded["test_acc"] <= 1
    assert recorded["versions"]["keras"] == "3.15.1"
    assert recorded["versions"]["keras_backend"] == "torch"
    assert recorded["versions"]["torch"].startswith("2.13.0")
    assert recorded["threads"] == 1 and recorded["device"] == "cpu"
    assert recorded["fit_s"] > 0 and recorded["wall_s"] >= recorded["fit_s"]
    assert recorded["final_val_acc"] == (history["val_acc"].iloc[-1] if validated else None)
    assert run["test_acc"] == recorded["test_acc"]


def test_seeded_runs_repeat_and_measuring_does_not_change_training(
    data: fm.FashionMNIST,
) -> None:
    split = small(data, "course_model")
    args = {"demo": "course_model", "variant": "dropout", "epochs": 2}
    first, _ = kr.run_keras_reference(split, seed=0, **args)
    again, _ = kr.run_keras_reference(split, seed=0, **args)
    pd.testing.assert_frame_equal(first, again)  # one seed, one result
    other, _ = kr.run_keras_reference(split, seed=1, **args)
    assert not np.allclose(first["train_loss_batch"][1:], other["train_loss_batch"][1:])
    # 10 steps of batch 32 on 300 rows: the loss falls.
    assert first["train_loss"].iloc[-1] < first["train_loss"].iloc[0]

    # The inference passes keep the random state: Keras's own numbers are the same without them.
    unmeasured, run = kr.run_keras_reference(split, seed=0, measure_train=False, **args)
    assert run["measure_train"] is False and unmeasured["train_loss"].isna().all()
    columns = ["train_loss_batch", "train_acc_batch"]
    pd.testing.assert_frame_equal(first[columns], unmeasured[columns])


def test_rule_runs_the_reference_on_the_real_data(tmp_path: Path) -> None:
    """train_keras_reference through Snakemake: Debian's folder, capped epochs, one thread."""
    workdir = copy_repo(tmp_path / "wf")
    (workdir / "keras.yaml").write_text(
        "fashion_mnist:\n  keras_reference: {max_epochs: 1, measure_train: false}\n"
    )
    target = f"{kr.run_dir('batchnorm', 'batch_norm', 3)}/run.json"
    configs = ("--configfile", "config/test.yaml", "config/full.yaml", "keras.yaml")
    run_snakemake(workdir, target, "--cores", "2", *configs)

    run = read_json(workdir / target)
    assert run["settings"] == {"course_epochs": 20, "max_epochs": 1} and run["epochs"] == 1
    assert (run["n_train"], run["n_val"], run["n_test"]) == (42000, 18000, 10000)
    assert run["seed"] == 3 and run["threads"] == 1
    assert run["layers"] == COURSE_LAYERS[("batchnorm", "batch_norm")]
    history = pd.read_csv(workdir / target.replace("run.json", "history.csv"))
    assert history["epoch"].tolist() == [0, 1] and history["val_acc"].iloc[-1] > 0.5
    manifest = read_json(workdir / "data/raw/fashion_mnist/manifest.json")
    assert {e["gzip"] for e in manifest["files"]} == {"debian"}  # the default source
    log = (workdir / "logs/fashion_mnist/keras/batchnorm/batch_norm/seed3.log").read_text()
    assert "keras batchnorm/batch_norm seed 3 epoch 1: loss" in log


def test_config_lists_every_run() -> None:
    settings = yaml.safe_load((REPO / "config/config.yaml").read_text())["fashion_mnist"][
        "keras_reference"
    ]
    runs = kr.reference_runs(settings)
    assert len(runs) == 6 * len(settings["seeds"])
    assert kr.reference_epochs(settings, "overfitting") == 200
    assert kr.reference_epochs({**settings, "max_epochs": 3}, "overfitting") == 3
    assert kr.reference_epochs({**settings, "max_epochs": 300}, "batchnorm") == 20
    files = kr.reference_files(settings, "history.csv")
    assert "results/fashion_mnist/keras/overfitting/dropout/seed0/history.csv" in files


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("variants", ["plain", "dropout"]),  # batchnorm has no dropout variant
        ("epochs", 0),
    ],
)
def test_schema_refuses_what_the_course_did_not_run(key: str, value: object) -> None:
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    schema = REPO / "workflow/schemas/config.schema.yaml"
    validate(config, str(schema))
    config["fashion_mnist"]["keras_reference"]["demos"]["batchnorm"][key] = value
    with pytest.raises(WorkflowError, match=key):
        validate(config, str(schema))
