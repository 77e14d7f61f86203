"""The training core: batching, the loop, penalties, divergence, determinism, checkpoints."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from regularization_report.data.bundled import Split, load_bundled_frame, split_dataset
from regularization_report.nn.models import MLP, MLPConfig, decay_and_no_decay
from regularization_report.nn.training import (
    TensorBatches,
    TensorData,
    TrainConfig,
    configure_threads,
    evaluate,
    fit,
    load_checkpoint,
    make_optimizer,
    resolve_device,
    save_checkpoint,
    train_mlp,
    train_one_epoch,
    write_history,
)


def _split(name: str) -> Split:
    frame = load_bundled_frame(name)
    X = frame.drop(columns="target").to_numpy(dtype=np.float32)
    y = frame["target"].to_numpy().astype(np.int64)
    parts = split_dataset(X, y, task="classification", test_size=0.2, val_size=0.2, seed=101)
    return Split(**parts, feature_names=list(frame.columns[:-1]), task="classification")


@pytest.fixture(scope="module")
def cancer() -> TensorData:
    return TensorData.from_split(_split("breast_cancer"))


@pytest.fixture(scope="module")
def digits() -> TensorData:
    return TensorData.from_split(_split("digits"))


def _config(data: TensorData, **kwargs) -> MLPConfig:
    return MLPConfig(data.n_features, data.n_classes, **{"hidden": (32, 32), **kwargs})


def test_standardization_uses_training_rows_only() -> None:
    split = _split("breast_cancer")
    data = TensorData.from_split(split)
    assert torch.allclose(data.X_train.mean(0), torch.zeros(30), atol=1e-5)
    assert torch.allclose(data.X_train.std(0, unbiased=False), torch.ones(30), atol=1e-4)
    # Validation rows are scaled with the training statistics, so they are not exactly standard.
    assert data.X_val.mean(0).abs().max() > 1e-3
    mean, std = split.X_train.mean(0), split.X_train.std(0)
    expected = (split.X_val[0] - mean) / std
    np.testing.assert_allclose(data.X_val[0].numpy(), expected, rtol=1e-4, atol=1e-4)


def test_constant_features_are_centred_not_divided_by_zero() -> None:
    data = TensorData.from_split(_split("digits"))  # the border pixels are constant
    assert torch.isfinite(data.X_train).all() and torch.isfinite(data.X_val).all()


def test_batches_cover_every_row_once_per_epoch_in_a_new_order() -> None:
    X = torch.arange(103, dtype=torch.float32).unsqueeze(1)
    y = torch.arange(103)
    batches = TensorBatches(X, y, 10, seed=3)
    assert len(batches) == 11
    epoch1 = torch.cat([yb for _, yb in batches])
    epoch2 = torch.cat([yb for _, yb in batches])
    assert sorted(epoch1.tolist()) == list(range(103))
    assert not torch.equal(epoch1, epoch2)
    for xb, yb in batches:
        assert torch.equal(xb.squeeze(1).long(), yb)  # rows stay paired
    again = TensorBatches(X, y, 10, seed=3)
    assert torch.equal(torch.cat([yb for _, yb in again]), epoch1)
    full = TensorBatches(X, y, None, shuffle=False)
    assert len(full) == 1 and torch.equal(next(iter(full))[1], y)


def test_fit_learns_and_evaluate_restores_the_mode(cancer: TensorData) -> None:
    model, result = train_mlp(
        _config(cancer, dropout=0.3),
        TrainConfig(epochs=15, optimizer="adam", lr=1e-3, track_grad_norms=True),
        cancer,
        seed=0,
    )
    h = result.history
    assert list(h.columns[:5]) == ["epoch", "train_loss", "val_loss", "train_acc", "val_acc"]
    assert h["epoch"].tolist() == list(range(16))
    assert h["val_acc"].iloc[-1] > 0.9 > h["val_acc"].iloc[0] - 0.5
    assert h["train_loss"].iloc[-1] < h["train_loss"].iloc[0] / 3
    assert result.status == "completed" and not result.diverged
    # Layer norms are tracked for every Linear layer (track_grad_norms).
    for name in ("l1", "l2", "out"):
        assert h[f"grad_norm_{name}"].iloc[1:].gt(0).all()
        assert h[f"weight_norm_{name}"].gt(0).all()
    model.train()
    evaluate(model, cancer.X_val, cancer.y_val)
    assert model.training
    # Dropout is off in eval mode: evaluation is deterministic.
    first = evaluate(model, cancer.X_val, cancer.y_val)
    assert evaluate(model, cancer.X_val, cancer.y_val) == first


def test_same_seed_gives_byte_identical_history(cancer: TensorData, tmp_path: Path) -> None:
    config = TrainConfig(epochs=6, optimizer="sgd", lr=0.05, momentum=0.9, batch_size=32)
    paths = []
    for run, seed in enumerate([4, 4, 5]):
        _, result = train_mlp(
            _config(cancer, dropout=0.5, batch_norm=True), config, cancer, seed=seed
        )
        path = tmp_path / f"history{run}.csv"
        write_history(result.history, path)
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_save_and_load_give_identical_predictions(cancer: TensorData, tmp_path: Path) -> None:
    train_config = TrainConfig(epochs=3, optimizer="adam", lr=1e-3)
    model, _ = train_mlp(
        _config(cancer, batch_norm=True, dropout=0.2), train_config, cancer, seed=1
    )
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, train_config=train_config, extra={"seed": 1})
    loaded, checkpoint = load_checkpoint(path)
    model.eval()
    with torch.no_grad():
        assert torch.equal(loaded(cancer.X_val), model(cancer.X_val))
    assert checkpoint["train_config"] == train_config.to_dict()
    assert checkpoint["model_config"]["hidden"] == [32, 32]
    assert checkpoint["extra"] == {"seed": 1}
    assert not loaded.training
    # The same model saved twice (to another name) gives the same bytes.
    again = tmp_path / "again.pt"
    save_checkpoint(again, model, train_config=train_config, extra={"seed": 1})
    assert again.read_bytes() == path.read_bytes()


class _NotATensor:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_checkpoint_with_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "model_config": None, "payload": _NotATensor()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(path)


def test_huge_learning_rate_is_recorded_as_diverged(cancer: TensorData) -> None:
    model_config = _config(cancer, hidden=(64,) * 4)
    train_config = TrainConfig(epochs=20, optimizer="sgd", lr=1e6, batch_size=32)
    _, result = train_mlp(model_config, train_config, cancer, seed=0)
    assert result.status == "diverged" and result.diverged
    assert result.diverged_epoch is not None and 1 <= result.diverged_epoch < 20
    assert result.epochs_run == result.diverged_epoch
    last = result.history.iloc[-1]
    assert not (math.isfinite(last["train_loss_batch"]) and math.isfinite(last["val_loss"]))
    # The accuracy of a diverged model (argmax of nan logits) is not recorded as a number.
    if not math.isfinite(last["val_loss"]):
        assert math.isnan(last["val_acc"])
    summary = result.summary()
    assert summary["diverged"] is True and summary["diverged_epoch"] == result.diverged_epoch
    # The best epoch is chosen among finite rows.
    assert summary["best_epoch"] < result.diverged_epoch


def test_l2_in_the_loss_equals_sgd_weight_decay(cancer: TensorData) -> None:
    base = {"epochs": 5, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "batch_size": 32}
    in_loss, _ = train_mlp(_config(cancer), TrainConfig(**base, l2=0.01), cancer, seed=2)
    decay, _ = train_mlp(_config(cancer), TrainConfig(**base, weight_decay=0.01), cancer, seed=2)
    plain, _ = train_mlp(_config(cancer), TrainConfig(**base), cancer, seed=2)
    for a, b in zip(in_loss.parameters(), decay.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
    assert (
        max(
            (a - c).abs().max().item()
            for a, c in zip(in_loss.parameters(), plain.parameters(), strict=True)
        )
        > 1e-3
    )


def test_adam_l2_is_coupled_decay_and_adamw_is_not(cancer: TensorData) -> None:
    base = {"epochs": 5, "lr": 1e-3, "batch_size": 32}
    in_loss, _ = train_mlp(
        _config(cancer), TrainConfig(**base, optimizer="adam", l2=0.1), cancer, seed=2
    )
    coupled, _ = train_mlp(
        _config(cancer), TrainConfig(**base, optimizer="adam", weight_decay=0.1), cancer, seed=2
    )
    decoupled, _ = train_mlp(
        _config(cancer), TrainConfig(**base, optimizer="adamw", weight_decay=0.1), cancer, seed=2
    )
    pairs = list(
        zip(in_loss.parameters(), coupled.parameters(), decoupled.parameters(), strict=True)
    )
    assert max((a - b).abs().max().item() for a, b, _ in pairs) < 1e-5
    assert max((a - c).abs().max().item() for a, _, c in pairs) > 1e-3


def test_penalties_touch_linear_weights_only() -> None:
    model = MLP(MLPConfig(5, 2, hidden=(4,), batch_norm=True))
    decay, no_decay = decay_and_no_decay(model)
    assert [tuple(p.shape) for p in decay] == [(4, 5), (2, 4)]
    assert len(no_decay) == 4  # two biases, batch norm's weight and bias


def test_gradient_clipping_bounds_each_update(cancer: TensorData) -> None:
    config = TrainConfig(epochs=1, optimizer="sgd", lr=1.0, batch_size=16, clip_grad_norm=0.05)
    torch.manual_seed(0)
    model = MLP(_config(cancer))
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    result = fit(
        model, cancer, TrainConfig(**{**config.to_dict(), "epochs": 1, "batch_size": None})
    )
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    # One full-batch SGD step with lr 1 moves the parameters by the clipped gradient.
    assert (after - before).norm().item() <= 0.05 + 1e-6
    assert result.history["grad_norm_max"].iloc[1] > 0.05  # the raw norm was larger


def test_early_stopping_stops_and_restores_the_best_epoch(digits: TensorData) -> None:
    config = TrainConfig(epochs=80, optimizer="adam", lr=3e-3, batch_size=64, patience=3)
    model, result = train_mlp(_config(digits, hidden=(128, 128)), config, digits, seed=0)
    assert result.status == "early_stopped"
    h = result.history
    assert result.epochs_run == result.best_epoch + 3 < 80
    assert result.restored_epoch == result.best_epoch
    val_loss, _ = evaluate(model, digits.X_val, digits.y_val)
    best_row = h.loc[h["epoch"] == result.best_epoch].iloc[0]
    assert val_loss == pytest.approx(best_row["val_loss"], rel=1e-6)
    assert result.summary()["final_epoch"] == result.best_epoch


def test_thread_count_is_honoured() -> None:
    before = torch.get_num_threads()
    try:
        assert configure_threads(1) == 1 and torch.get_num_threads() == 1
        assert configure_threads(2) == 2
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match="threads"):
        configure_threads(0)


def test_device_resolution() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="device: auto"):
            resolve_device("cuda")


def test_configs_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="dropout"):
        MLPConfig(4, 2, dropout=1.0)
    with pytest.raises(ValueError, match="activation"):
        MLPConfig(4, 2, activation="swish2")
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="lbfgs")
    with pytest.raises(ValueError, match="momentum applies to sgd only"):
        TrainConfig(optimizer="adam", momentum=0.9)
    with pytest.raises(ValueError, match="unknown TrainConfig keys"):
        TrainConfig.from_dict({"epochs": 1, "learning_rate": 0.1})
    assert TrainConfig.from_dict(TrainConfig(lr=0.3).to_dict()) == TrainConfig(lr=0.3)
    assert MLPConfig.from_dict(MLPConfig(3, 2, hidden=[5]).to_dict()) == MLPConfig(3, 2, (5,))


def test_an_epoch_without_batches_is_an_error(cancer: TensorData) -> None:
    model = MLP(_config(cancer))
    config = TrainConfig(epochs=1)
    with pytest.raises(ValueError, match="no batches"):
        train_one_epoch(
            model, [], torch.nn.functional.cross_entropy, make_optimizer(model, config), config
        )
