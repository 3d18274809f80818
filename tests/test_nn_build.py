"""build_model from stored specs, count_parameters, describe_layers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genas.errors import ConfigError
from genas.nn import ChildNet, SuperNet, build_model, count_parameters, describe_layers
from genas.space import Architecture, get_space, sample_architecture


def test_reference_spec() -> None:
    model = build_model({"reference": "deepbind"}, 101, 3)
    assert model(torch.randn(2, 4, 101)).shape == (2, 3)
    small = build_model({"reference": "deepbind", "filters": 8}, 101, 3)
    assert count_parameters(small) < count_parameters(model)


def test_space_spec_rebuilds_the_same_network() -> None:
    space = get_space("small")
    arch = sample_architecture(space, np.random.default_rng(8))
    net = ChildNet(space, arch, 240, 4, width=1.5).eval()
    spec = json.loads(json.dumps(net.to_spec()))  # what model.json stores
    rebuilt = build_model(spec, 240, 4).eval()
    rebuilt.load_state_dict(net.state_dict())
    x = torch.randn(2, 4, 240)
    torch.testing.assert_close(rebuilt(x), net(x))
    by_name = build_model({"space": "small", "architecture": arch.to_tokens()}, 240, 4)
    assert isinstance(by_name, ChildNet) and by_name.arch == arch


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"reference": "lenet"}, "unknown reference architecture 'lenet'"),
        ({"reference": "deepsea", "width": 2}, "takes no option 'width'"),
        ({"reference": "deepbind", "hidden": -5}, "'deepbind' with options {hidden: -5}: "),
        ({"reference": "deepbind", "dropout": 5}, "'deepbind' with options {dropout: 5}: "),
        ({}, "either 'reference' or 'space'"),
        ({"reference": "deepsea", "space": "small"}, "either 'reference' or 'space'"),
        ({"space": "small"}, "needs an 'architecture'"),
        ({"space": "small", "architecture": [0] * 3}, "invalid architecture: .*21 tokens"),
        ({"space": "small", "architecture": [0] * 21, "depth": 2}, "unknown key 'depth'"),
        (
            {"space": "small", "architecture": [0] * 21, "width": 0},
            "width must be a positive number",
        ),
        ({"space": "nope", "architecture": [0]}, "unknown model space"),
    ],
)
def test_bad_specs(spec: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_model(spec, 240, 2)


def test_count_parameters_trainable_only() -> None:
    model = build_model({"reference": "deepbind"}, 101, 1)
    total = count_parameters(model)
    assert total == 4 * 19 * 128 + 128 + 128 * 32 + 32 + 32 + 1
    model.conv.weight.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == total - 4 * 19 * 128


def test_describe_layers() -> None:
    space = get_space("amber-deepsea")
    arch = Architecture.from_tokens(space, [0] * 78)
    rows = describe_layers((space, arch), 1000, n_tasks=919)
    names = [r["name"] for r in rows]
    assert names[0] == "stem" and names[-1] == "head"
    by_name = {r["name"]: r for r in rows}
    assert by_name["layers.11"]["output_shape"] == (256, 16)
    assert by_name["reductions.2_2"]["output_shape"] == (64, 250)
    assert by_name["layers.0"]["kind"] == "conv_k8"
    assert by_name["head"]["output_shape"] == (919,)
    child = ChildNet(space, arch, 1000, 919)
    assert sum(r["params"] for r in rows) == count_parameters(child)

    ref_rows = describe_layers(build_model({"reference": "deepsea"}, 1000, 919), 1000)
    assert {r["name"]: r["output_shape"] for r in ref_rows}["conv3"] == (960, 53)

    supernet = SuperNet(get_space("small"), 240, 2)
    with pytest.raises(ValueError, match="needs the architecture"):
        describe_layers(supernet, 240)
    sn_rows = describe_layers(
        supernet, 240, arch=Architecture.from_tokens(get_space("small"), [1] * 6 + [0] * 15)
    )
    assert len([r for r in sn_rows if r["name"].startswith("layers.")]) == 6


def test_forward_flops_counts_convolutions_and_dense_layers() -> None:
    from torch import nn

    from genas.nn import forward_flops

    model = nn.Sequential(
        nn.Conv1d(4, 8, 3, padding=1),  # 2 · 4 · 3 · 8 · 10 = 1920
        nn.ReLU(),
        nn.Conv1d(8, 8, 3, padding=1, groups=4),  # 2 · 2 · 3 · 8 · 10 = 960
        nn.Flatten(),
        nn.Linear(80, 2),  # 2 · 80 · 2 = 320
    )
    assert forward_flops(model, 10) == 1920 + 960 + 320
    assert model.training  # the training mode is restored
