"""Operation: labels, mappings, canonical form, errors."""

from __future__ import annotations

import pytest

from genas.space import Operation


@pytest.mark.parametrize(
    ("label", "type_", "params"),
    [
        ("conv_k8", "conv", {"kernel_size": 8, "dilation": 1, "activation": "relu"}),
        ("dilconv_k8_d10", "dilconv", {"kernel_size": 8, "dilation": 10, "activation": "relu"}),
        ("sepconv_k5", "sepconv", {"kernel_size": 5, "dilation": 1, "activation": "relu"}),
        ("maxpool_k4", "maxpool", {"kernel_size": 4}),
        ("avgpool_k3", "avgpool", {"kernel_size": 3}),
        ("identity", "identity", {}),
        ("conv_k8_gelu", "conv", {"kernel_size": 8, "dilation": 1, "activation": "gelu"}),
    ],
)
def test_label_parse_and_round_trip(label: str, type_: str, params: dict) -> None:
    op = Operation.parse(label)
    assert op.type == type_
    assert op.params == params
    assert op.label == label
    assert op.buildable
    assert Operation.parse(op.to_dict()) == op
    assert op.to_config() == label


def test_equivalent_spellings_are_equal_and_hashable() -> None:
    a = Operation.parse({"type": "conv", "kernel_size": 8, "dilation": 10, "activation": "relu"})
    b = Operation.parse("dilconv_k8_d10")
    c = Operation("dilconv", {"kernel_size": 8, "dilation": 10})
    assert a == b == c
    assert a.type == "dilconv" and a.label == "dilconv_k8_d10"
    assert len({a, b, c}) == 1
    assert Operation.parse({"type": "dilconv", "kernel_size": 4, "dilation": 1}).label == "conv_k4"
    assert Operation.parse({"type": "maxpool", "pool_size": 4}) == Operation.parse("maxpool_k4")
    assert isinstance(a.param_items, tuple)


def test_label_only_ops() -> None:
    op = Operation.parse("nor_conv_3x3")
    assert op.type == "nor_conv_3x3" and op.label == "nor_conv_3x3"
    assert not op.buildable
    assert op.params == {}
    assert Operation.parse("skip_connect") != Operation.parse("none")
    with_params = Operation.parse({"type": "lookup", "row": 3})
    assert with_params.params == {"row": 3}
    assert Operation.parse(with_params.to_config()) == with_params


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("conv", "needs a kernel_size"),
        ("conv_3x3", "cannot read '3x3'"),
        ("dilconv_k8", "needs a dilation"),
        ({"type": "conv", "kernel_size": 0}, "positive integer"),
        ({"type": "conv", "kernel_size": 8, "stride": 2}, "unknown parameter 'stride'"),
        ({"type": "conv", "kernel_size": 8, "activation": "swish2"}, "unknown activation"),
        ({"kernel_size": 8}, "needs a 'type'"),
        ({"type": "identity", "kernel_size": 3}, "unknown parameter"),
        (3, "label string or a mapping"),
        ({"type": "foo", 1: "a", "b": "c"}, "parameter names must be text"),
    ],
)
def test_invalid_ops(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Operation.parse(value)  # type: ignore[arg-type]
