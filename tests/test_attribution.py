"""In-silico mutagenesis and gradient attributions against analytic answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from genas.analysis.attribution import (
    deep_lift_shap,
    input_x_gradient,
    ism_attribution,
    mutation_sites,
    saturation_mutagenesis,
)
from genas.nn.network import ChildNet
from genas.space import get_space, sample_architecture


class Linear(nn.Module):
    """logit_t = Σ_{b,l} W[t, b, l] · x[b, l] + c_t."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(weight.clone())
        self.bias = nn.Parameter(bias.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nbl,tbl->nt", x, self.weight) + self.bias


def random_onehot(rng, n: int, length: int) -> np.ndarray:
    codes = rng.integers(0, 4, size=(n, length))
    return (codes[:, None, :] == np.arange(4)[None, :, None]).astype(np.uint8)


@pytest.fixture
def linear():
    gen = torch.Generator().manual_seed(0)
    return Linear(torch.randn(3, 4, 40, generator=gen), torch.randn(3, generator=gen))


def test_ism_of_a_linear_model_is_the_analytic_effect(linear):
    rng = np.random.default_rng(0)
    x = random_onehot(rng, 5, 40)
    x[0, :, 7] = 1  # an N: all four bases are mutations there
    x[1, :, 35:] = 0  # padding: not mutated
    effects = saturation_mutagenesis(linear, x, batch_size=37)  # batches cut across sequences
    w = linear.weight.detach().numpy()  # (T, 4, L)
    xf = np.where(x.sum(axis=1, keepdims=True) > 1, 0.25, x).astype(np.float64)
    # Putting base b at l replaces column x[:, l] by e_b: Δ = W[t, b, l] − Σ_b' W[t, b', l] x[b', l]
    expected = w[None] - np.einsum("nbl,tbl->ntl", xf, w)[:, :, None, :]
    column = x.sum(axis=1, keepdims=True)
    mutated = np.where(column == 1, x == 0, column == 4)
    expected = np.where(mutated[:, None], expected, 0.0)
    assert effects.shape == (5, 3, 4, 40) and effects.dtype == np.float32
    np.testing.assert_allclose(effects, expected, atol=1e-5)
    assert np.count_nonzero(effects[1, :, :, 35:]) == 0
    assert np.count_nonzero(effects[0, 0, :, 7]) == 4


def test_ism_task_selection_and_mutation_count(linear):
    rng = np.random.default_rng(1)
    x = random_onehot(rng, 2, 40)
    seq, base, pos = mutation_sites(x)
    assert seq.size == 2 * 40 * 3
    assert not x[seq, base, pos].any()  # never the reference base
    every = saturation_mutagenesis(linear, x)
    some = saturation_mutagenesis(linear, x, tasks=[2, 0])
    np.testing.assert_allclose(some, every[:, [2, 0]])


def test_ism_calls_the_model_once_per_batch_and_the_reference_once(linear):
    calls = []
    linear.register_forward_hook(lambda _m, inp, _o: calls.append(inp[0].shape[0]))
    x = random_onehot(np.random.default_rng(2), 3, 40)  # 360 mutants
    saturation_mutagenesis(linear, x, batch_size=100)
    assert calls == [3, 100, 100, 100, 60]


def test_ism_attribution_centres_at_the_reference_base(linear):
    x = random_onehot(np.random.default_rng(3), 2, 40)
    effects = saturation_mutagenesis(linear, x)
    attr = ism_attribution(effects, x)
    assert attr.shape == effects.shape
    assert np.count_nonzero(attr * (1 - x[:, None])) == 0
    ref = x.argmax(axis=1)  # (N, L)
    w = linear.weight.detach().numpy()
    expected = w[:, ref[0], np.arange(40)] - w[:, :, :].mean(axis=1)  # W_ref − mean_b W_b
    np.testing.assert_allclose(attr[0].sum(axis=1), expected, atol=1e-5)


def test_input_x_gradient_of_a_linear_model(linear):
    x = random_onehot(np.random.default_rng(4), 3, 40)
    attr = input_x_gradient(linear, x, task=1, batch_size=2)
    np.testing.assert_allclose(attr, x * linear.weight.detach().numpy()[1][None], atol=1e-6)


def test_deep_lift_shap_of_a_linear_model_is_exact(linear):
    """For a linear model DeepLIFT = (x − ref) · W, so the mean over references is exact."""
    x = random_onehot(np.random.default_rng(5), 2, 40)
    attr = deep_lift_shap(linear, x, task=0, n_shuffles=8, seed=1)
    w = linear.weight.detach().numpy()[0]
    with torch.no_grad():
        logit = linear(torch.from_numpy(x).float())[:, 0].numpy()
    # the shuffles keep the base composition, so the mean reference logit is W·mean(ref)
    from genas.seq.shuffle import shuffle_onehot

    rng = np.random.default_rng(1)
    for i in range(2):
        refs = shuffle_onehot(np.repeat(x[i : i + 1], 8, axis=0), rng).astype(np.float64)
        expected = ((x[i][None] - refs) * w[None]).mean(axis=0)
        np.testing.assert_allclose(attr[i], expected, atol=1e-5)
        ref_logit = np.einsum("nbl,bl->n", refs, w).mean() + linear.bias[0].item()
        assert attr[i].sum() == pytest.approx(logit[i] - ref_logit, abs=1e-4)


def test_deep_lift_shap_hypothetical_contributions(linear):
    """For a linear model the hypothetical contribution of base c is W_c − mean_r Σ r·W; times
    the one-hot it gives each position's attributions summed over its letters."""
    x = random_onehot(np.random.default_rng(7), 3, 40)
    hypothetical = deep_lift_shap(linear, x, task=1, n_shuffles=5, seed=3, hypothetical=True)
    attr = deep_lift_shap(linear, x, task=1, n_shuffles=5, seed=3, batch_size=5)  # 1 per pass
    w = linear.weight.detach().numpy()[1]
    from genas.seq.shuffle import shuffle_onehot

    refs = shuffle_onehot(np.repeat(x, 5, axis=0), np.random.default_rng(3)).astype(np.float64)
    refs = refs.reshape(3, 5, 4, 40)
    expected = w[None] - (refs * w).sum(axis=2).mean(axis=1)[:, None]
    np.testing.assert_allclose(hypothetical, expected, atol=1e-5)
    np.testing.assert_allclose((hypothetical * x).sum(axis=1), attr.sum(axis=1), atol=1e-5)


def test_deep_lift_shap_runs_on_a_space_network():
    """Skips, BatchNorm, pools and the global-pool head go through captum's hooks (its
    summation-to-delta holds only approximately here: functional max-pools use gradients)."""
    space = get_space("small")
    rng = np.random.default_rng(6)
    net = ChildNet(space, sample_architecture(space, rng), 60, 2)
    with torch.no_grad():  # non-trivial BatchNorm statistics
        for module in net.modules():
            if isinstance(module, nn.BatchNorm1d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    net.train()
    x = random_onehot(rng, 2, 60)
    attr = deep_lift_shap(net, x, task=1, n_shuffles=6, seed=2)
    assert net.training  # restored
    assert attr.shape == (2, 4, 60) and np.isfinite(attr).all()
    assert np.abs(attr).sum() > 0


def test_attribution_input_errors(linear):
    bad = np.zeros((2, 3, 40), dtype=np.uint8)
    for fn in (
        lambda: saturation_mutagenesis(linear, bad),
        lambda: input_x_gradient(linear, bad, 0),
        lambda: deep_lift_shap(linear, bad, 0),
    ):
        with pytest.raises(ValueError, match=r"\(N, 4, L\)"):
            fn()


def test_ism_on_log_class_probabilities(linear):
    """With ``log_softmax``, each effect is the change in the class's log probability."""
    x = random_onehot(np.random.default_rng(3), 2, 40)
    effects = saturation_mutagenesis(linear, x, tasks=[1], log_softmax=True)
    mutant = x[:1].copy()
    mutant[0, :, 5] = 0
    mutant[0, (int(x[0, :, 5].argmax()) + 1) % 4, 5] = 1
    with torch.no_grad():
        logp = torch.log_softmax(
            linear(torch.from_numpy(np.concatenate([x[:1], mutant])).float()), 1
        )
    base = (int(x[0, :, 5].argmax()) + 1) % 4
    assert effects[0, 0, base, 5] == pytest.approx(float(logp[1, 1] - logp[0, 1]), abs=1e-5)
    raw = saturation_mutagenesis(linear, x, tasks=[1])
    assert not np.allclose(effects, raw)
