"""ChildNet and SuperNet: shapes, one implementation, only the chosen path runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genas.errors import ConfigError
from genas.nn import ChildNet, SuperNet, count_parameters, needed_reductions
from genas.space import Architecture, ModelSpace, get_space, sample_architecture

torch.set_num_threads(min(4, torch.get_num_threads()))


@pytest.mark.parametrize(
    ("name", "lengths"), [("small", (100, 240, 500)), ("amber-deepsea", (200, 1000))]
)
def test_random_children_give_logits(name: str, lengths: tuple[int, ...]) -> None:
    space = get_space(name)
    rng = np.random.default_rng(3)
    for length in lengths:
        for n_tasks in (1, 5):
            arch = sample_architecture(space, rng)
            net = ChildNet(space, arch, length, n_tasks)
            out = net(torch.randn(2, 4, length))
            assert out.shape == (2, n_tasks)
            assert out.dtype == torch.float32 and torch.isfinite(out).all()


def test_child_holds_only_its_path() -> None:
    space = get_space("amber-deepsea")
    arch = sample_architecture(space, np.random.default_rng(4))
    net = ChildNet(space, arch, 1000, 3)
    for i, layer in enumerate(net.layers):
        assert list(layer.ops) == [str(arch.ops[i])]
        assert (layer.merge_norm is not None) == bool(any(arch.skips[i]))
    keys = {tuple(map(int, k.split("_"))) for k in net.reductions}
    assert keys == needed_reductions(space, arch)


def test_no_skips_child_has_plain_chain() -> None:
    space = get_space("amber-deepsea")
    arch = Architecture((0,) * 12, tuple((0,) * i for i in range(12)))
    net = ChildNet(space, arch, 1000, 919)
    assert sorted(net.reductions) == ["2_2", "5_5", "8_8"]
    assert net.final_length == 16


def test_width_scales_filters() -> None:
    space = get_space("small")
    arch = sample_architecture(space, np.random.default_rng(5))
    narrow = ChildNet(space, arch, 240, 2)
    wide = ChildNet(space, arch, 240, 2, width=2.0)
    assert wide.filters == [2 * f for f in narrow.filters]
    assert count_parameters(wide) > count_parameters(narrow)
    assert wide(torch.randn(3, 4, 240)).shape == (3, 2)


@pytest.mark.parametrize(("name", "length"), [("small", 240), ("amber-deepsea", 1000)])
def test_supernet_equals_child_with_copied_weights(name: str, length: int) -> None:
    space = get_space(name)
    torch.manual_seed(0)
    supernet = SuperNet(space, length, 4)
    # Make BatchNorm statistics non-trivial so the comparison covers them too.
    supernet.train()
    rng = np.random.default_rng(6)
    with torch.no_grad():
        for _ in range(3):
            supernet(torch.randn(4, 4, length), sample_architecture(space, rng))
    supernet.eval()
    x = torch.randn(3, 4, length)
    for _ in range(4):
        arch = sample_architecture(space, rng)
        child = supernet.child(arch).eval()
        torch.testing.assert_close(child(x), supernet(x, arch))
        # the same by hand: a child's state dict is a subset of the supernet's
        manual = ChildNet(space, arch, length, 4).eval()
        own = supernet.state_dict()
        manual.load_state_dict({k: own[k] for k in manual.state_dict()})
        torch.testing.assert_close(manual(x), supernet(x, arch.to_tokens()))


def test_supernet_runs_only_the_chosen_path() -> None:
    space = get_space("small")
    supernet = SuperNet(space, 240, 2).eval()
    calls: list[tuple[int, int]] = []
    for i, layer in enumerate(supernet.layers):
        for k, op in layer.ops.items():
            op.register_forward_hook(lambda *_a, i=i, k=int(k): calls.append((i, k)))
    reductions_run: list[str] = []
    for key, red in supernet.reductions.items():
        red.register_forward_hook(lambda *_a, key=key: reductions_run.append(key))
    arch = Architecture((0, 1, 2, 3, 4, 5), ((), (0,), (0, 1), (1, 0, 0), (0, 0, 0, 0), (0,) * 5))
    supernet(torch.randn(2, 4, 240), arch)
    assert calls == list(enumerate(arch.ops))
    # only layer 2's output (main path) and layer 0's (skip 0→3) are reduced
    assert sorted(reductions_run) == ["2_0", "2_2"]


def test_supernet_gradients_reach_only_the_path() -> None:
    space = get_space("small")
    supernet = SuperNet(space, 240, 1)
    arch = sample_architecture(space, np.random.default_rng(7))
    supernet(torch.randn(4, 4, 240), arch).sum().backward()
    chosen_with_weights = 0
    for i, layer in enumerate(supernet.layers):
        for k, op in layer.ops.items():
            grads = [p.grad is not None for p in op.parameters()]
            if grads:
                assert all(grads) == (int(k) == arch.ops[i])
                chosen_with_weights += int(k) == arch.ops[i]
    assert chosen_with_weights > 0  # the path has weighted ops, and they got gradients


def test_supernet_holds_everything() -> None:
    space = get_space("amber-deepsea")
    supernet = SuperNet(space, 1000, 919)
    assert all(len(layer.ops) == 7 for layer in supernet.layers)
    assert len(supernet.reductions) == 3 + 6 + 9


def test_label_only_space_cannot_build() -> None:
    space = ModelSpace.from_dict({"name": "b", "ops": ["conv_k3", "nor_conv_3x3"], "n_layers": 2})
    with pytest.raises(ConfigError, match="layer 0: op 'nor_conv_3x3' is a label-only op"):
        SuperNet(space, 100, 1)
    # a child that uses only buildable ops is fine
    child = ChildNet(space, Architecture.from_tokens(space, [0, 0]), 100, 1)
    assert child(torch.randn(1, 4, 100)).shape == (1, 1)


def test_input_checks() -> None:
    deep = get_space("amber-deepsea")
    net = ChildNet(deep, Architecture.from_tokens(deep, [0] * 78), 1000, 2)
    with pytest.raises(ValueError, match="length 1000"):
        net(torch.randn(1, 4, 999))
    with pytest.raises(ValueError, match=r"\(N, 4, L\)"):
        net(torch.randn(1, 5, 1000))
    small = get_space("small")
    pooled = ChildNet(small, Architecture.from_tokens(small, [0] * 21), 240, 2)
    assert pooled(torch.randn(1, 4, 300)).shape == (1, 2)  # global-pool head: any length
    with pytest.raises(ValueError, match="out of range"):
        ChildNet(small, Architecture((9,) + (0,) * 5), 240, 2)
