"""Background sequences for the synthetic benchmark, as base codes uint8 (N, L), 0..3 = ACGT.

Two kinds: independent bases with a given GC content, and an order-k Markov chain fitted to
real sequences (which keeps their k+1-mer composition, e.g. CpG depletion).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genas.errors import InputError

_BYTE_TO_CODE = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _BYTE_TO_CODE[_b] = _i
    _BYTE_TO_CODE[_b + 32] = _i  # lower case


def iid_background(n: int, length: int, gc: float, rng: np.random.Generator) -> np.ndarray:
    """Independent bases with P(C) = P(G) = gc/2, P(A) = P(T) = (1-gc)/2.

    Returns:
        uint8 (n, length) base codes.
    """
    if not 0.0 <= gc <= 1.0:
        raise ValueError(f"gc must be in [0, 1], got {gc}")
    at = (1.0 - gc) / 2.0
    u = rng.random((n, length), dtype=np.float32)
    codes = (u >= np.float32(at)).view(np.uint8)
    codes += u >= np.float32(at + gc / 2.0)
    codes += u >= np.float32(at + gc)
    return codes


@dataclass
class MarkovBackground:
    """Order-k Markov chain over ACGT.

    Attributes:
        order: k.
        initial: float64 (4**k,) distribution of the first k bases (k-mer index in base 4,
            first base most significant).
        transition: float64 (4**k, 4) P(next base | previous k bases).
    """

    order: int
    initial: np.ndarray
    transition: np.ndarray

    @classmethod
    def fit(
        cls, sequences: list[str], order: int = 2, pseudocount: float = 1.0
    ) -> MarkovBackground:
        """Count (k+1)-mers over ACGT-only windows of ``sequences`` (case ignored; windows with
        N or other letters skipped)."""
        if order < 0:
            raise ValueError(f"Markov order must be >= 0, got {order}")
        n_states = 4**order
        counts = np.zeros(n_states * 4, dtype=np.float64)
        kmer_counts = np.zeros(n_states, dtype=np.float64)
        for seq in sequences:
            codes = _BYTE_TO_CODE[np.frombuffer(seq.encode("latin-1", "replace"), np.uint8)]
            if len(codes) <= order:
                continue
            idx, ok = _kmer_index(codes, order + 1)
            counts += np.bincount(idx[ok], minlength=n_states * 4)
            if order:
                idx_k, ok_k = _kmer_index(codes, order)
                kmer_counts += np.bincount(idx_k[ok_k], minlength=n_states)
        if counts.sum() == 0:
            raise ValueError(f"no ACGT window of {order + 1} bases in the given sequences")
        trans = counts.reshape(n_states, 4) + pseudocount
        unseen = trans.sum(axis=1) == 0
        trans[unseen] = 1.0  # a context never seen (pseudocount 0): uniform next base
        trans /= trans.sum(axis=1, keepdims=True)
        init = kmer_counts + pseudocount
        init = init / init.sum() if init.sum() > 0 else np.full(n_states, 1.0 / n_states)
        return cls(order, init, trans)

    def sample(self, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` sequences; returns uint8 (n, length) base codes."""
        k = self.order
        out = np.empty((n, length), dtype=np.uint8)
        if n == 0 or length == 0:
            return out
        n_states = 4**k
        first = np.searchsorted(np.cumsum(self.initial), rng.random(n), side="right")
        state = np.minimum(first, n_states - 1).astype(np.int64)
        head = min(k, length)
        for j in range(head):  # unpack the first k-mer into bases
            out[:, j] = (state // 4 ** (k - 1 - j)) % 4
        cum = np.cumsum(self.transition, axis=1)[:, :3].astype(np.float32)  # (S, 3)
        u = rng.random((length, n), dtype=np.float32)
        mod = max(n_states // 4, 1)
        for j in range(head, length):
            c = cum[state]
            base = (u[j, :, None] >= c).sum(axis=1)
            out[:, j] = base
            state = (state % mod) * 4 + base if k else state
        return out


def _kmer_index(codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Base-4 index of every k-mer window of ``codes`` (L,) and whether it is all ACGT."""
    n = len(codes) - k + 1
    idx = np.zeros(n, dtype=np.int64)
    ok = np.ones(n, dtype=bool)
    for j in range(k):
        c = codes[j : j + n]
        ok &= c < 4
        idx = idx * 4 + np.where(c < 4, c, 0)
    return idx, ok


def fit_markov_fasta(path: str | Path, order: int = 2) -> MarkovBackground:
    """Fit :class:`MarkovBackground` to the records of a FASTA file.

    Raises:
        InputError: the file is missing, has no records, or has no ACGT window long enough.
    """
    from genas.seq.fasta import read_fasta

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "background FASTA not found")
    if path.stat().st_size == 0:
        raise InputError(path, "background FASTA is empty")
    sequences = [rec.sequence for rec in read_fasta(path)]
    try:
        return MarkovBackground.fit(sequences, order=order)
    except ValueError as err:
        raise InputError(path, str(err)) from None
