"""Losses per task type (masked NaN targets) and the output -> prediction map."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from genas.train.loss import masked_loss_sum, predictions

NAN = float("nan")


def _mean(output, y, loss, **kw) -> float:
    total, count = masked_loss_sum(output, y, loss, **kw)
    return float(total / count)


def test_regression_losses_against_hand_computed_values() -> None:
    out = torch.tensor([[1.0, 2.0], [0.5, -1.0]])
    y = torch.tensor([[1.5, NAN], [0.0, 2.0]])  # one unknown target
    diffs = np.array([-0.5, 0.5, -3.0])
    assert _mean(out, y, "mse") == pytest.approx(np.mean(diffs**2))
    huber = [0.5 * d**2 if abs(d) <= 1 else abs(d) - 0.5 for d in diffs]
    assert _mean(out, y, "huber") == pytest.approx(np.mean(huber))
    # Poisson on log rates: exp(o) - y * o
    pois = [math.exp(1.0) - 1.5 * 1.0, math.exp(0.5) - 0.0, math.exp(-1.0) + 2.0]
    assert _mean(out, y, "poisson") == pytest.approx(np.mean(pois), rel=1e-6)
    # from rates (e.g. averaged over strands): the same loss
    rates = predictions(out, "poisson")
    assert _mean(rates, y, "poisson", from_logits=False) == pytest.approx(np.mean(pois), rel=1e-5)
    assert masked_loss_sum(out, y, "mse")[1] == 3


def test_binary_loss_is_masked_bce() -> None:
    out = torch.tensor([[2.0, -1.0], [0.0, 3.0]])
    y = torch.tensor([[1.0, 0.0], [NAN, 1.0]])
    known = ~torch.isnan(y)
    expected = F.binary_cross_entropy_with_logits(out[known], y[known])
    assert _mean(out, y, "bce") == pytest.approx(float(expected))
    probs = predictions(out, "bce")
    assert _mean(probs, y, "bce", from_logits=False) == pytest.approx(float(expected), rel=1e-5)


def test_cross_entropy_over_class_indices_masks_unknown_labels() -> None:
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [1.0, 1.0, 5.0]])
    y = torch.tensor([[0.0], [NAN], [2.0]])
    expected = F.cross_entropy(logits[[0, 2]], torch.tensor([0, 2]))
    assert _mean(logits, y, "cross_entropy") == pytest.approx(float(expected))
    probs = predictions(logits, "cross_entropy")
    assert torch.allclose(probs.sum(dim=1), torch.ones(3))
    from_probs = _mean(probs, y, "cross_entropy", from_logits=False)
    assert from_probs == pytest.approx(float(expected), rel=1e-5)
    with pytest.raises(ValueError, match="must be"):
        masked_loss_sum(logits, torch.zeros(3, 2), "cross_entropy")


def test_predictions_per_loss_and_unknown_loss() -> None:
    out = torch.tensor([[0.0, math.log(3.0)]])
    assert torch.allclose(predictions(out, "bce"), torch.tensor([[0.5, 0.75]]))
    assert torch.equal(predictions(out, "mse"), out)
    assert torch.allclose(predictions(out, "poisson"), torch.tensor([[1.0, 3.0]]))
    with pytest.raises(ValueError, match="unknown loss"):
        predictions(out, "nope")
    with pytest.raises(ValueError, match="does not match"):
        masked_loss_sum(out, torch.zeros(1, 3), "mse")


def test_gradients_flow_only_through_known_targets() -> None:
    out = torch.zeros(2, 2, requires_grad=True)
    y = torch.tensor([[1.0, NAN], [NAN, NAN]])
    total, _ = masked_loss_sum(out, y, "mse")
    total.backward()
    assert out.grad[0, 0] != 0 and (out.grad.flatten()[1:] == 0).all()
