"""Experiment A: each basic claim is checked on real (small) data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from regularization_report.data.bundled import (
    Split,
    export_bundled,
    load_bundled_frame,
    split_dataset,
)
from regularization_report.nn import basics
from regularization_report.nn.training import TensorData


def _split(name: str) -> Split:
    frame = load_bundled_frame(name)
    X = frame.drop(columns="target").to_numpy(dtype=np.float32)
    y = frame["target"].to_numpy().astype(np.int64)
    parts = split_dataset(X, y, task="classification", test_size=0.2, val_size=0.2, seed=101)
    return Split(**parts, feature_names=list(frame.columns[:-1]), task="classification")


def test_mae_and_huber_resist_outliers_that_pull_mse() -> None:
    fits = basics.loss_fits([0, 1, 2], [0.0, 0.2])
    error = (
        fits.assign(error=(fits["slope"] - 2.0).abs())
        .groupby(["loss", "outlier_fraction"])["error"]
        .mean()
    )
    # Without outliers the three losses agree on the slope.
    assert max(error[(loss, 0.0)] for loss in basics.LOSSES) < 0.1
    # With 20% outliers MSE is pulled furthest.
    assert error[("MSE", 0.2)] > 2 * error[("MAE", 0.2)]
    assert error[("MSE", 0.2)] > error[("Huber", 0.2)]
    # Outliers are shifted up, so every fit's intercept rises with them, MSE's most.
    intercept = fits.groupby(["loss", "outlier_fraction"])["intercept"].mean()
    assert intercept[("MSE", 0.2)] > intercept[("Huber", 0.2)] > intercept[("MAE", 0.0)]


def test_line_data_has_the_requested_share_of_outliers() -> None:
    _, _, outlier = basics.line_data(3, 100, 0.3)
    assert outlier.sum() == 30


def test_autograd_derivatives_match_closed_forms() -> None:
    table = basics.activation_table()
    closed = table.dropna(subset=["derivative_closed_form"])
    assert set(closed["activation"]) == {"sigmoid", "tanh", "relu", "leaky_relu"}
    # leaky_relu keeps its slope 0.01 in single precision: agreement to 1e-9, not 1e-16.
    assert (closed["derivative"] - closed["derivative_closed_form"]).abs().max() < 1e-9
    sigmoid = table[table["activation"] == "sigmoid"]
    assert sigmoid["derivative"].max() == pytest.approx(0.25)  # why deep sigmoid nets stall


def test_hand_written_backprop_equals_autograd() -> None:
    check = basics.backprop_check(_split("iris"))
    assert list(check["parameter"]) == ["W1", "b1", "W2", "b2"]
    assert (check["max_abs_grad"] > 1e-3).all()  # the gradients are not trivially zero
    assert (check["max_abs_diff"] < 1e-12).all()


def test_perceptron_separates_iris_and_fails_on_xor() -> None:
    mistakes, lines, points = basics.perceptron_runs(load_bundled_frame("iris"), epochs=15)
    iris = mistakes[mistakes["problem"] == "iris"]["mistakes"].tolist()
    xor = mistakes[mistakes["problem"] == "xor"]["mistakes"].tolist()
    assert iris[-1] == 0 and iris[0] > 0
    assert min(xor) > 0
    line = lines[lines["problem"] == "iris"].iloc[0]
    p = points[points["problem"] == "iris"]
    predicted = (p["x1"] * line["w1"] + p["x2"] * line["w2"] + line["b"] > 0).astype(int)
    assert (predicted == p["label"]).all()


def test_a_hidden_layer_solves_xor() -> None:
    runs, surface = basics.xor_mlp([0, 1], [8], steps=300)
    assert runs["solved"].all()
    assert len(surface) == 41 * 41 and surface["probability"].between(0, 1).all()


def test_dataloader_over_a_real_table_sees_every_row_once(tmp_path: Path) -> None:
    export_bundled("breast_cancer", tmp_path)
    check = basics.dataloader_check(tmp_path / "data.csv", batch_size=64)
    assert check["n_rows"] == 569 and check["n_features"] == 30
    assert check["n_batches"] == 9 and check["last_batch_size"] == 569 - 8 * 64
    assert check["every_row_once"] and check["tensor_batches_same_rows"]


def test_save_load_roundtrip_gives_identical_predictions(tmp_path: Path) -> None:
    result = basics.save_load_roundtrip(TensorData.from_split(_split("iris")), tmp_path / "m.pt")
    assert result["identical_predictions"] and result["max_abs_diff"] == 0.0
    assert result["config_restored"] and result["code_checkpoint_refused"]
    assert not (tmp_path / "code_on_load.pt").exists()
