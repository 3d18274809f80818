import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from genas.seq import (
    InvalidBaseError,
    decode,
    encode,
    reverse_complement,
    reverse_complement_str,
    to_float,
)

dna = st.text(alphabet="ACGTN", min_size=1, max_size=60)


def test_encode_known_columns():
    x = encode("ACGTNa")
    assert x.dtype == np.uint8 and x.shape == (4, 6)
    expected = np.array(
        [[1, 0, 0, 0, 1, 1], [0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 1, 0], [0, 0, 0, 1, 1, 0]]
    )
    np.testing.assert_array_equal(x, expected)


def test_padding_and_invalid():
    x = encode(["AC", "ACGT"], length=5)
    assert x.shape == (2, 4, 5)
    assert x[0, :, 2:].sum() == 0 and x[1, :, 4].sum() == 0
    with pytest.raises(InvalidBaseError) as info:
        encode(["ACGT", "ACXT"])
    assert (info.value.index, info.value.position, info.value.letter) == (1, 2, "X")
    np.testing.assert_array_equal(encode("AXG", invalid="N")[:, 1], [1, 1, 1, 1])


@settings(max_examples=100, deadline=None)
@given(dna)
def test_decode_round_trip(seq):
    assert decode(encode(seq)) == seq


@settings(max_examples=100, deadline=None)
@given(dna)
def test_reverse_complement_matches_string(seq):
    x = encode(seq)
    assert decode(reverse_complement(x)) == reverse_complement_str(seq)
    t = torch.from_numpy(x)
    assert torch.equal(reverse_complement(t), torch.from_numpy(reverse_complement(x)))
    np.testing.assert_array_equal(reverse_complement(reverse_complement(x)), x)


def test_to_float_n_and_padding():
    x = encode(["AN"], length=3)
    f = to_float(x, n_value=0.25)
    np.testing.assert_allclose(f[0, :, 0], [1, 0, 0, 0])
    np.testing.assert_allclose(f[0, :, 1], [0.25] * 4)
    np.testing.assert_allclose(f[0, :, 2], [0] * 4)
    ft = to_float(torch.from_numpy(x), n_value=0.1)
    assert ft.dtype == torch.float32 and torch.allclose(ft[0, :, 1], torch.full((4,), 0.1))
