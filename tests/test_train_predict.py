"""genas.train.predict: predict (arrays, tensors, loaders, reverse complement) and evaluate."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from genas.seq.alphabet import encode, reverse_complement, to_float
from genas.train import evaluate, predict, task_metrics
from genas.train.loss import masked_bce


class TinyNet(nn.Module):
    """(B, 4, L) -> (B, 3): a strand-asymmetric conv net, so the reverse complement matters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 5)
        self.dropout = nn.Dropout(0.5)  # must be off in predict
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(torch.relu(self.conv(x)).amax(dim=-1)))


def _sequences(n: int = 37, length: int = 30, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    seqs = [
        "".join(rng.choice(list("ACGTN"), p=[0.24] * 4 + [0.04], size=length)) for _ in range(n)
    ]
    return encode(seqs)


@pytest.fixture()
def model() -> TinyNet:
    torch.manual_seed(0)
    net = TinyNet()
    net.train()
    return net


def _reference(model: nn.Module, x: np.ndarray, n_value: float = 0.25) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        out = torch.sigmoid(model(to_float(torch.from_numpy(x), n_value))).numpy()
    model.train()
    return out


def test_predict_array_tensor_loader_agree(model):
    x = _sequences()
    expected = _reference(model, x)
    from_array = predict(model, x, batch_size=8, device="cpu")
    assert from_array.dtype == np.float32 and from_array.shape == (37, 3)
    np.testing.assert_allclose(from_array, expected, rtol=1e-5, atol=1e-6)
    from_tensor = predict(model, torch.from_numpy(x), batch_size=100, device="cpu")
    np.testing.assert_allclose(from_tensor, expected, rtol=1e-5, atol=1e-6)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.zeros(37, 3)), batch_size=5)
    np.testing.assert_allclose(predict(model, loader, device="cpu"), expected, rtol=1e-5, atol=1e-6)
    assert model.training  # mode restored


def test_predict_uses_n_value(model):
    x = _sequences()
    a = predict(model, x, device="cpu", n_value=0.25)
    b = predict(model, x, device="cpu", n_value=0.0)
    np.testing.assert_allclose(b, _reference(model, x, 0.0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(a, b)


def test_rc_average_is_mean_of_both_strands(model):
    x = _sequences()
    forward = predict(model, x, device="cpu")
    backward = predict(model, reverse_complement(x), device="cpu")
    averaged = predict(model, x, device="cpu", rc_average=True)
    assert not np.allclose(forward, backward)  # the test would be void otherwise
    np.testing.assert_allclose(averaged, (forward + backward) / 2, rtol=1e-5, atol=1e-6)


def test_predict_rejects_bad_shape(model):
    with pytest.raises(ValueError, match=r"\(N, 4, L\)"):
        predict(model, np.zeros((3, 5, 10), dtype=np.uint8), device="cpu")


def test_evaluate_loss_and_metrics(model):
    x = _sequences(n=64)
    rng = np.random.default_rng(1)
    y = (rng.random((64, 3)) < 0.4).astype(np.float32)
    y[rng.random((64, 3)) < 0.2] = np.nan
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=10)
    names = ["a", "b", "c"]
    result = evaluate(model, loader, task_names=names, task_groups={"ab": ["a", "b"]}, device="cpu")
    probs = _reference(model, x)
    model.eval()
    with torch.no_grad():
        logits = model(to_float(torch.from_numpy(x)))
    expected_loss = float(masked_bce(logits, torch.from_numpy(y)))
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert result["n"] == 64
    reference = task_metrics(y, probs, names, {"ab": ["a", "b"]})
    for name in names:
        assert result["tasks"][name]["auroc"] == pytest.approx(reference["tasks"][name]["auroc"])
    assert result["groups"]["ab"]["mean_auroc"] == pytest.approx(
        reference["groups"]["ab"]["mean_auroc"]
    )


def test_masked_bce_ignores_unknown_labels():
    logits = torch.tensor([[0.3, -1.2, 2.0], [1.0, 0.5, -0.7]], requires_grad=True)
    y = torch.tensor([[1.0, float("nan"), 0.0], [float("nan"), 1.0, 0.0]])
    loss = masked_bce(logits, y)
    known = ~torch.isnan(y)
    expected = F.binary_cross_entropy_with_logits(logits[known], y[known])
    assert torch.isclose(loss, expected)
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    assert (logits.grad[~known] == 0).all()
