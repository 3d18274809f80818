"""Training-time augmentation of one-hot batches (numpy, driven by an explicit generator)."""

from __future__ import annotations

import numpy as np


def random_reverse_complement(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reverse-complement each sequence of a batch with probability 1/2.

    Args:
        x: uint8 (B, 4, L), A C G T order.
        rng: the random generator.

    Returns:
        uint8 (B, 4, L), a new array.
    """
    flip = rng.random(x.shape[0]) < 0.5
    out = x.copy()
    out[flip] = x[flip, ::-1, ::-1]
    return out


def random_shift(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each sequence by a random whole number of bp in [-max_shift, max_shift].

    Columns shifted in from outside are padding (all zero); the length is unchanged.

    Args:
        x: uint8 (B, 4, L).
        max_shift: the largest shift s (bp); 0 returns ``x`` unchanged.
        rng: the random generator.

    Returns:
        uint8 (B, 4, L): ``out[b, :, p] = x[b, :, p - shift[b]]`` where that is inside.
    """
    if max_shift <= 0:
        return x
    b, _, length = x.shape
    shifts = rng.integers(-max_shift, max_shift + 1, size=b)
    source = np.arange(length)[None, :] - shifts[:, None]  # (B, L)
    inside = (source >= 0) & (source < length)
    gathered = np.take_along_axis(x, np.clip(source, 0, length - 1)[:, None, :], axis=2)
    return np.where(inside[:, None, :], gathered, 0).astype(np.uint8)
