"""Reference architectures: exact DeepSEA size, shapes at any length, minimum lengths."""

from __future__ import annotations

import pytest
import torch

from genas.nn import REFERENCES, count_parameters, deepsea, minimum_length
from genas.nn.references import output_length

torch.set_num_threads(min(4, torch.get_num_threads()))

MINIMUM = {"deepsea": 163, "basset": 168, "danq": 38, "deepbind": 19}


def test_deepsea_has_the_published_size() -> None:
    assert count_parameters(deepsea(1000, 919)) == 52_843_119


@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.parametrize(("length", "n_tasks"), [(200, 1), (240, 3), (1000, 7)])
def test_references_give_logits(name: str, length: int, n_tasks: int) -> None:
    model = REFERENCES[name](length, n_tasks).eval()
    out = model(torch.randn(2, 4, length))
    assert out.shape == (2, n_tasks)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_minimum_length(name: str) -> None:
    shortest = MINIMUM[name]
    model = REFERENCES[name](shortest, 2).eval()
    assert model(torch.randn(2, 4, shortest)).shape == (2, 2)
    with pytest.raises(ValueError, match=f"{name} needs input_length >= {shortest} bp"):
        REFERENCES[name](shortest - 1, 2)


def test_length_arithmetic() -> None:
    stages = [("conv", 8), ("pool", 4), ("conv", 8), ("pool", 4), ("conv", 8)]
    assert output_length(stages, 1000) == 53
    assert minimum_length(stages) == 163
    assert output_length(stages, 163) == 1 and output_length(stages, 162) < 1


def test_deepbind_options_and_bad_tasks() -> None:
    model = REFERENCES["deepbind"](101, 1, filters=16, kernel_size=24, hidden=8)
    assert model.conv.out_channels == 16 and model.conv.kernel_size == (24,)
    with pytest.raises(ValueError, match="n_tasks"):
        deepsea(1000, 0)
