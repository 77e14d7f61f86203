"""E3: the from-scratch Dropout and BatchNorm1d behave exactly like PyTorch's."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from regularization_report.nn.layers import BatchNorm1d, Dropout
from regularization_report.nn.models import MLP, MLPConfig

TOL = 1e-6


@pytest.mark.parametrize("p", [0.1, 0.5, 0.7])
def test_dropout_same_mask_as_torch_under_the_same_seed(p: float) -> None:
    x = torch.randn(64, 33)
    torch.manual_seed(123)
    expected = nn.Dropout(p)(x)
    torch.manual_seed(123)
    actual = Dropout(p)(x)
    assert torch.equal(actual == 0, expected == 0)  # the same units dropped
    torch.testing.assert_close(actual, expected, rtol=0, atol=TOL)


def test_dropout_same_mask_from_the_same_private_generator() -> None:
    x = torch.randn(16, 50)
    first = Dropout(0.5, generator=torch.Generator().manual_seed(7))(x)
    second = Dropout(0.5, generator=torch.Generator().manual_seed(7))(x)
    other = Dropout(0.5, generator=torch.Generator().manual_seed(8))(x)
    assert torch.equal(first, second)
    assert not torch.equal(first, other)
    # A private generator leaves the global random state alone.
    torch.manual_seed(0)
    before = torch.rand(3)
    torch.manual_seed(0)
    Dropout(0.5, generator=torch.Generator().manual_seed(1))(x)
    assert torch.equal(torch.rand(3), before)


def test_dropout_scales_kept_units_and_keeps_the_mean() -> None:
    torch.manual_seed(0)
    x = torch.ones(400, 500)
    y = Dropout(0.3)(x)
    kept = y[y != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.7))
    assert abs((y == 0).float().mean().item() - 0.3) < 0.01
    assert abs(y.mean().item() - 1.0) < 0.01


def test_dropout_is_the_identity_in_eval_mode_and_gradients_match() -> None:
    x = torch.randn(8, 10)
    layer = Dropout(0.5).eval()
    assert torch.equal(layer(x), x)
    xa = x.clone().requires_grad_(True)
    xb = x.clone().requires_grad_(True)
    torch.manual_seed(5)
    nn.Dropout(0.5)(xa).pow(2).sum().backward()
    torch.manual_seed(5)
    Dropout(0.5)(xb).pow(2).sum().backward()
    torch.testing.assert_close(xb.grad, xa.grad, rtol=0, atol=TOL)


def test_dropout_rejects_p_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.0)


def _paired_batch_norms(features: int, momentum: float = 0.1) -> tuple[nn.BatchNorm1d, BatchNorm1d]:
    reference = nn.BatchNorm1d(features, momentum=momentum)
    ours = BatchNorm1d(features, momentum=momentum)
    with torch.no_grad():  # a non-trivial scale and shift
        reference.weight.uniform_(0.5, 2.0)
        reference.bias.uniform_(-1.0, 1.0)
    ours.load_state_dict(reference.state_dict())
    return reference, ours


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_matches_torch_in_train_and_eval_mode(momentum: float) -> None:
    torch.manual_seed(0)
    # float64, so that 1e-6 tests the algorithm rather than float32 rounding of
    # running variances near 9 (one float32 ulp there is about 1e-6).
    reference, ours = (m.double() for m in _paired_batch_norms(12, momentum))
    for step in range(5):  # several batches of different sizes, shifted and scaled
        x = 3.0 * torch.randn(16 + 4 * step, 12, dtype=torch.float64) + 2.0
        torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=TOL)
        for name in ("running_mean", "running_var"):
            torch.testing.assert_close(
                getattr(ours, name), getattr(reference, name), rtol=0, atol=TOL
            )
    assert ours.num_batches_tracked.item() == reference.num_batches_tracked.item() == 5
    reference.eval()
    ours.eval()
    x = torch.randn(7, 12, dtype=torch.float64)
    torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=TOL)
    # In eval mode an example's output does not depend on its batch.
    torch.testing.assert_close(ours(x[:1]), ours(x)[:1], rtol=0, atol=TOL)


def test_batch_norm_gradients_match_torch() -> None:
    torch.manual_seed(1)
    reference, ours = _paired_batch_norms(6)
    x = torch.randn(10, 6)
    xa = x.clone().requires_grad_(True)
    xb = x.clone().requires_grad_(True)
    target = torch.randn(10, 6)
    (reference(xa) * target).sum().backward()
    (ours(xb) * target).sum().backward()
    torch.testing.assert_close(xb.grad, xa.grad, rtol=0, atol=TOL)
    torch.testing.assert_close(ours.weight.grad, reference.weight.grad, rtol=0, atol=TOL)
    torch.testing.assert_close(ours.bias.grad, reference.bias.grad, rtol=0, atol=TOL)


def test_batch_norm_state_dicts_are_interchangeable() -> None:
    torch.manual_seed(2)
    _, ours = _paired_batch_norms(4)
    ours(torch.randn(8, 4))
    back = nn.BatchNorm1d(4)
    back.load_state_dict(ours.state_dict())  # strict: same names and shapes
    assert set(back.state_dict()) == set(ours.state_dict())


def test_batch_norm_needs_two_rows_in_training() -> None:
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm1d(3)(torch.randn(1, 3))


def test_scratch_mlp_equals_torch_mlp() -> None:
    config = MLPConfig(
        in_features=20, out_features=3, hidden=(32, 16), dropout=0.3, batch_norm=True
    )
    torch.manual_seed(0)
    reference = MLP(config)
    ours = MLP(MLPConfig(**{**config.to_dict(), "layers": "scratch"}))
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(25, 20)
    torch.manual_seed(9)
    expected = reference(x)
    torch.manual_seed(9)
    torch.testing.assert_close(ours(x), expected, rtol=0, atol=TOL)
    reference.eval()
    ours.eval()
    torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=TOL)
