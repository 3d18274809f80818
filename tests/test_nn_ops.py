"""Op blocks: 'same' shapes, pooling semantics, reductions, label-only ops, the max-pool
with its own backward."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from genas.errors import ConfigError
from genas.nn import Reduction, SamePool1d, build_op, same_padding
from genas.nn.ops import max_pool1d
from genas.space import Operation

LABELS = [
    "conv_k8", "conv_k4", "conv_k7", "conv_k3_tanh", "dilconv_k8_d10", "dilconv_k4_d10",
    "dilconv_k3_d4", "sepconv_k8", "sepconv_k5_d2", "maxpool_k4", "maxpool_k3",
    "avgpool_k4", "avgpool_k3", "identity",
]  # fmt: skip


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("length", [1, 7, 100])
def test_ops_keep_shape(label: str, length: int) -> None:
    block = build_op(Operation.parse(label), 6).eval()
    x = torch.randn(2, 6, length)
    assert block(x).shape == (2, 6, length)


def test_same_padding_even_and_dilated() -> None:
    assert same_padding(8) == (3, 4)
    assert same_padding(4, 10) == (15, 15)
    assert same_padding(3) == (1, 1)


def test_conv_block_order_is_conv_bn_act() -> None:
    block = build_op(Operation.parse("conv_k8"), 4)
    assert [type(m).__name__ for m in block] == ["SameConv1d", "BatchNorm1d", "ReLU"]
    pool = build_op(Operation.parse("avgpool_k4"), 4)
    assert [type(m).__name__ for m in pool] == ["Conv1d", "BatchNorm1d", "ReLU", "SamePool1d"]
    assert pool[0].kernel_size == (1,)


def test_pools_ignore_padding() -> None:
    x = torch.full((1, 2, 9), 3.0)
    assert torch.allclose(SamePool1d(4, "avg")(x), x)
    neg = -torch.rand(1, 2, 9) - 1
    out = SamePool1d(4, "max")(neg)
    assert (out < 0).all()
    ramp = torch.arange(5.0).view(1, 1, 5)
    assert SamePool1d(3, "max")(ramp).flatten().tolist() == [1, 2, 3, 4, 4]
    avg = SamePool1d(3, "avg")(ramp).flatten()
    torch.testing.assert_close(avg, torch.tensor([0.5, 1, 2, 3, 3.5]))


def test_reduction_lengths_ceil_mode() -> None:
    x = torch.randn(2, 8, 1000)
    lengths = []
    for _ in range(3):
        x = Reduction(x.shape[1], x.shape[1] * 2, 4)(x)
        lengths.append(x.shape[-1])
    assert lengths == [250, 63, 16]
    assert x.shape[1] == 64


def test_label_only_op_cannot_be_built() -> None:
    with pytest.raises(ConfigError, match="label-only"):
        build_op(Operation.parse("nor_conv_3x3"), 4)


@pytest.mark.parametrize(
    ("length", "kernel", "stride", "ceil_mode"),
    [(50, 3, 1, False), (50, 7, 1, False), (50, 4, 4, True), (63, 4, 4, True), (40, 13, 13, False)],
)
def test_max_pool1d_equals_pytorch_values_and_gradients(length, kernel, stride, ceil_mode) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.round(torch.randn(3, 5, length, generator=gen) * 2) / 2  # many tied maxima
    x.requires_grad_()
    expected = F.max_pool1d(x, kernel, stride=stride, ceil_mode=ceil_mode)
    grad = torch.randn(expected.shape, generator=gen)
    (expected_grad,) = torch.autograd.grad(expected, x, grad)
    got = max_pool1d(x, kernel, stride, ceil_mode)
    (got_grad,) = torch.autograd.grad(got, x, grad)
    assert got.is_contiguous() and torch.equal(got, expected)
    assert torch.equal(got_grad, expected_grad)  # ties: the gradient goes to the same position
