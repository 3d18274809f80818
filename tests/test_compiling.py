"""train.compile: compiled and eager networks agree to 1e-5 in float32, and everything runs
eagerly (with one warning) where torch.compile is unavailable."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch
from test_parallel import independent_config

from genas.data import load_splits
from genas.nn import ChildNet, SuperNet
from genas.run_files import HISTORY_JSONL
from genas.search.history import read_jsonl
from genas.search.loop import run_search
from genas.space import Architecture, ModelSpace
from genas.train.compiling import compile_blocks, compile_unavailable, compiled

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}

# Two layers of every kind of block (conv, pool, identity, skip merge, reduction), small
# enough that compiling all of them takes seconds.
SPACE = ModelSpace.from_dict({
    "name": "compile_test",
    "ops": ["conv_k3", "maxpool_k3", "identity"],
    "n_layers": 3,
    "filters": [8, 8, 16],
    "reductions": [1],
    "reduction_pool": 2,
    "skips": True,
    "stem": {"kernel_size": 5, "filters": 8},
    "head": {"type": "global_pool", "units": 8, "dropout": 0.0},
})
ARCHS = [
    Architecture((0, 1, 0), ((), (1,), (0, 1))),
    Architecture((1, 0, 2), ((), (0,), (1, 0))),
]


def needs_compile() -> None:
    reason = compile_unavailable("cpu")
    if reason is not None:
        pytest.skip(f"torch.compile unavailable on this machine: {reason}")


def forward_backward(forward, net: torch.nn.Module, x: torch.Tensor, *args):
    """Logits and the gradient of every parameter after one backward pass."""
    net.zero_grad()
    logits = forward(x, *args)
    logits.square().mean().backward()
    return logits.detach(), {n: p.grad.clone() for n, p in net.named_parameters()
                             if p.grad is not None}


def assert_same(a, b) -> None:
    (logits_a, grads_a), (logits_b, grads_b) = a, b
    torch.testing.assert_close(logits_a, logits_b, **TOLERANCE)
    assert grads_a.keys() == grads_b.keys() and grads_a
    for name in grads_a:
        torch.testing.assert_close(grads_a[name], grads_b[name], **TOLERANCE, msg=name)


def test_compiled_child_matches_eager_in_training_and_evaluation():
    needs_compile()
    torch.manual_seed(0)
    eager = ChildNet(SPACE, ARCHS[0], 60, 2)
    twin = copy.deepcopy(eager)
    forward = compiled(twin)
    assert forward is not twin  # compiled, not the fallback
    x = torch.randn(16, 4, 60)
    assert_same(forward_backward(eager, eager, x), forward_backward(forward, twin, x))
    eager.eval(), twin.eval()
    with torch.no_grad():
        torch.testing.assert_close(forward(x), eager(x), **TOLERANCE)


def test_supernet_compiled_block_by_block_matches_eager_on_every_path():
    needs_compile()
    torch.manual_seed(1)
    eager = SuperNet(SPACE, 60, 3)
    twin = compile_blocks(copy.deepcopy(eager))
    assert twin.state_dict().keys() == eager.state_dict().keys()
    blocks = [twin.stem, twin.head, *twin.reductions.values(),
              *(op for layer in twin.layers for op in layer.ops.values())]
    assert all(block._compiled_call_impl is not None for block in blocks)
    x = torch.randn(16, 4, 60)
    for arch in ARCHS:  # paths share blocks: one compiled graph per block serves both
        assert_same(forward_backward(eager, eager, x, arch),
                    forward_backward(twin, twin, x, arch))


def test_without_a_backend_compile_falls_back_to_eager_with_one_warning(
    fresh_probe, monkeypatch
):
    def broken_compile(*args, **kwargs):
        raise RuntimeError("no working C++ compiler found\nsecond line")

    monkeypatch.setattr(torch, "compile", broken_compile)
    net = ChildNet(SPACE, ARCHS[1], 60, 1)
    with pytest.warns(UserWarning, match=r"unavailable here \(RuntimeError: no working C\+\+ "
                      r"compiler found\); running eagerly"):
        assert compiled(net) is net
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same reason is not repeated
        supernet = SuperNet(SPACE, 60, 1)
        assert compile_blocks(supernet) is supernet
        assert not any(hasattr(m, "_compiled_call_impl") and m._compiled_call_impl
                       for m in supernet.modules())


@pytest.mark.parametrize("evaluator", ["independent", "shared"])
def test_search_with_compile_and_no_backend_equals_the_eager_search(
    tiny_fasta, tmp_path, fresh_probe, monkeypatch, evaluator
):
    config = independent_config(tiny_fasta, evaluator=evaluator, steps=2, archs_per_step=2)
    splits = load_splits(config.data, config.seed)
    eager = run_search(config, tmp_path / "eager", splits, log=lambda _: None)

    monkeypatch.setattr(torch, "compile", lambda *a, **k: (_ for _ in ()).throw(
        RuntimeError("backend missing")))
    config.train.compile = True
    with pytest.warns(UserWarning, match="backend missing"):
        fallback = run_search(config, tmp_path / "fallback", splits, log=lambda _: None)
    rewards = [[row["reward"] for row in read_jsonl(r.run_dir / HISTORY_JSONL)]
               for r in (eager, fallback)]
    assert rewards[0] == rewards[1] and len(rewards[0]) == 4
    assert np.isfinite(rewards[0]).all()
