import numpy as np
import pytest
import torch

from genas.data import ArrayDataset, make_loader
from genas.data.augment import random_reverse_complement, random_shift
from genas.seq import decode, encode, reverse_complement_str


@pytest.fixture
def dataset():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 16)) for _ in range(37)]
    y = np.arange(37, dtype=np.float32)[:, None]
    return seqs, ArrayDataset(encode(seqs), y)


def test_batches_and_len(dataset):
    _, data = dataset
    loader = make_loader(data, 8, shuffle=False, seed=0)
    batches = list(loader)
    assert len(loader) == len(batches) == 5
    x, y = batches[0]
    assert x.dtype == torch.uint8 and x.shape == (8, 4, 16)
    assert y.dtype == torch.float32 and y.shape == (8, 1)
    assert batches[-1][0].shape[0] == 5
    np.testing.assert_array_equal(torch.cat([b[1] for b in batches]).numpy()[:, 0], np.arange(37))
    dropped = make_loader(data, 8, shuffle=False, seed=0, drop_last=True)
    assert len(dropped) == len(list(dropped)) == 4


def test_seeded_epochs(dataset):
    _, data = dataset

    def epoch_orders(loader, n):
        return [torch.cat([y for _, y in loader])[:, 0].tolist() for _ in range(n)]

    a = epoch_orders(make_loader(data, 8, shuffle=True, seed=1), 2)
    b = epoch_orders(make_loader(data, 8, shuffle=True, seed=1), 2)
    assert a == b  # a rerun is identical
    assert a[0] != a[1]  # successive epochs differ
    assert sorted(a[0]) == list(range(37))
    loader = make_loader(data, 8, shuffle=True, seed=1)
    loader.set_epoch(1)
    assert epoch_orders(loader, 1)[0] == a[1]


def test_rc_augment(dataset):
    seqs, data = dataset
    loader = make_loader(data, 37, shuffle=False, seed=3, rc_augment=True)
    x, _ = next(iter(loader))
    out = decode(x.numpy())
    flipped = [o != s for o, s in zip(out, seqs, strict=True)]
    assert 5 < sum(flipped) < 32
    for o, s, f in zip(out, seqs, flipped, strict=True):
        assert o == (reverse_complement_str(s) if f else s)


def test_shift_augment():
    x = encode(["ACGTACGTAC"] * 200)
    rng = np.random.default_rng(0)
    out = random_shift(x, 3, rng)
    assert out.shape == x.shape and out.dtype == np.uint8
    seen = set()
    for row in out:
        filled = np.flatnonzero(row.sum(axis=0))
        shift = -(10 - len(filled)) if filled[0] == 0 else 10 - len(filled)
        seen.add(shift)
        if shift >= 0:
            np.testing.assert_array_equal(row[:, shift:], x[0, :, : 10 - shift])
        else:
            np.testing.assert_array_equal(row[:, : 10 + shift], x[0, :, -shift:])
    assert seen == {-3, -2, -1, 0, 1, 2, 3}
    assert random_shift(x, 0, rng) is x


def test_rc_flips_about_half_of_a_batch_into_their_reverse_complements():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGTN"), 12)) for _ in range(200)]
    out = decode(random_reverse_complement(encode(seqs), np.random.default_rng(1)))
    flipped = [o == reverse_complement_str(s) and o != s for o, s in zip(out, seqs, strict=True)]
    kept = [o == s for o, s in zip(out, seqs, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))  # nothing else
    assert 70 <= sum(flipped) <= 130  # Binomial(200, 1/2): mean 100, sd 7


def test_workers_match_single_process(dataset):
    _, data = dataset
    single = list(make_loader(data, 8, shuffle=True, seed=2, rc_augment=True, max_shift=2))
    multi = list(
        make_loader(data, 8, shuffle=True, seed=2, rc_augment=True, max_shift=2, num_workers=2)
    )
    assert len(single) == len(multi)
    for (xa, ya), (xb, yb) in zip(single, multi, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
