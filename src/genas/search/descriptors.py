"""A fixed, cheap descriptor of a binary task's training data, for zero-shot transfer of
architectures between tasks (:mod:`genas.search.transfer`).

AMBIENT (Zhang et al., "Automated deep learning for genomics via AMBIENT") conditions its
controller on "data-descriptive features" of each task. genas's descriptor is computed from
the training split alone, in one pass over at most :data:`MAX_SEQUENCES` sequences:

- **k-mer spectrum** (k = 3 and 4, a k-mer and its reverse complement counted as one): the
  log2 ratio of each k-mer's frequency in the positives to its frequency in the negatives
  (add-one smoothed), centred and scaled to unit length per k. It says which sequence
  content separates the classes (a TF's motif shows as its k-mers), independent of how
  strongly;
- **strength** of that separation per k: the root mean square of the centred log ratios;
- **size and balance**: log10 of the training sequences, the positive rate, log2 of the
  input length.

A dataset of several tasks is described by the mean of its tasks' vectors (what a search
of it optimises is their mean score). Each task needs :data:`MIN_POSITIVES` positives and as
many negatives among the sequences read, else a one-line :class:`~genas.errors.GenasError`
names it. Motif enrichment against JASPAR is left out: the k-mer spectrum already carries a
motif's content, and 879 more features would outnumber the handful of tasks a transfer
model learns from many times over.
"""

from __future__ import annotations

import functools
import math
from itertools import product

import numpy as np

from genas.data import DataSplits
from genas.errors import GenasError

#: The k-mer sizes of the spectrum.
KMER_SIZES = (3, 4)
#: Positives (and negatives) each task needs among the sequences read.
MIN_POSITIVES = 50
#: Training sequences read at most (a seeded uniform subset of a larger split).
MAX_SEQUENCES = 20_000
#: The scalar features after the spectra, in order.
SCALARS = ("log10_sequences", "positive_rate", "log2_length")
#: Changes when the descriptor's definition changes (a transfer model records it).
VERSION = 1
_BLOCK = 2048  # sequences counted at a time


def descriptor_names(kmer_sizes: tuple[int, ...] = KMER_SIZES) -> list[str]:
    """The name of each feature of :func:`task_descriptor`, in order."""
    names = [f"kmer{k}_{kmer}" for k in kmer_sizes for kmer in canonical_kmers(k)]
    return names + [f"kmer{k}_strength" for k in kmer_sizes] + list(SCALARS)


def task_descriptor(
    splits: DataSplits,
    *,
    seed: int = 0,
    max_sequences: int = MAX_SEQUENCES,
    min_positives: int = MIN_POSITIVES,
    kmer_sizes: tuple[int, ...] = KMER_SIZES,
) -> np.ndarray:
    """The descriptor of the training split of ``splits`` (see the module's docstring).

    Args:
        splits: binary tasks; the training split is read.
        seed: picks the subset read when the split holds more than ``max_sequences``.
        min_positives: positives and negatives each task needs among the sequences read.

    Returns:
        float64 (D,), named by :func:`descriptor_names`: per k, ``C_k`` spectrum features
        (``C_3`` = 32, ``C_4`` = 136), then one strength per k, then :data:`SCALARS`.

    Raises:
        GenasError: a task type other than binary, or a task with fewer than
            ``min_positives`` positives or negatives among the sequences read.
    """
    if splits.task_type != "binary":
        raise GenasError(
            f"a task descriptor needs binary tasks; this data's task type is {splits.task_type}"
        )
    dataset = splits.train
    n_total = len(dataset)
    rows = np.arange(n_total)
    if n_total > max_sequences:
        rng = np.random.default_rng([seed, 2024])
        rows = np.sort(rng.choice(n_total, size=max_sequences, replace=False))
    n_tasks = splits.n_tasks
    pos = {k: np.zeros((n_tasks, len(canonical_kmers(k)))) for k in kmer_sizes}
    neg = {k: np.zeros_like(pos[k]) for k in kmer_sizes}
    n_pos, n_neg = np.zeros(n_tasks), np.zeros(n_tasks)
    for lo in range(0, len(rows), _BLOCK):
        x, y = dataset.get_batch(rows[lo : lo + _BLOCK])
        is_pos, is_neg = (y == 1).astype(np.float64), (y == 0).astype(np.float64)  # NaN: neither
        n_pos, n_neg = n_pos + is_pos.sum(0), n_neg + is_neg.sum(0)
        codes = base_codes(x)
        for k in kmer_sizes:
            counts = canonical_counts(codes, k)  # (B, C_k)
            pos[k] += is_pos.T @ counts  # (T, C_k)
            neg[k] += is_neg.T @ counts
    _check_counts(splits.task_names, n_pos, n_neg, len(rows), min_positives)
    spectra, strengths = [], []
    for k in kmer_sizes:
        unit, strength = _log_ratio(pos[k], neg[k])
        spectra.append(unit)
        strengths.append(strength)
    scalars = [
        math.log10(n_total),
        float(np.mean(n_pos / (n_pos + n_neg))),
        math.log2(splits.input_length),
    ]
    return np.concatenate([*spectra, strengths, scalars]).astype(np.float64)


def base_codes(x: np.ndarray) -> np.ndarray:
    """int8 (B, L) base index (A 0, C 1, G 2, T 3) of uint8 one-hot ``x`` (B, 4, L); -1
    where a position is not one base (N, padding)."""
    codes = np.argmax(x, axis=1).astype(np.int8)
    codes[x.sum(axis=1) != 1] = -1
    return codes


def canonical_counts(codes: np.ndarray, k: int) -> np.ndarray:
    """float64 (B, C_k): how often each canonical k-mer (:func:`canonical_kmers`) occurs in
    each row of ``codes`` (int8 (B, L), -1 = no base; windows over one are skipped)."""
    n, length = codes.shape
    n_kmers = 4**k
    if length < k:
        return np.zeros((n, len(canonical_kmers(k))))
    windows = np.lib.stride_tricks.sliding_window_view(codes, k, axis=1)  # (B, L-k+1, k)
    valid = (windows >= 0).all(axis=2)
    index = (windows.astype(np.int64) * (4 ** np.arange(k - 1, -1, -1))).sum(axis=2)
    flat = (np.arange(n)[:, None] * n_kmers + index)[valid]
    per_kmer = np.bincount(flat, minlength=n * n_kmers).reshape(n, n_kmers)
    classes = _canonical_class(k)
    merge = np.zeros((n_kmers, classes.max() + 1))  # k-mer -> its canonical class
    merge[np.arange(n_kmers), classes] = 1
    return per_kmer @ merge


def canonical_kmers(k: int) -> list[str]:
    """The canonical k-mers of size ``k`` (the lesser of a k-mer and its reverse complement,
    alphabetically), in the order of :func:`canonical_counts`' columns."""
    kmers = ["".join(p) for p in product("ACGT", repeat=k)]
    classes = _canonical_class(k)
    first = {}
    for kmer, c in zip(kmers, classes, strict=True):
        first.setdefault(int(c), kmer)
    return [first[c] for c in range(len(first))]


@functools.cache
def _canonical_class(k: int) -> np.ndarray:
    """int64 (4**k,): the canonical class of each k-mer (k-mers in ACGT lexicographic order;
    classes numbered in the order their first member appears)."""
    complement = {"A": "T", "C": "G", "G": "C", "T": "A"}
    kmers = ["".join(p) for p in product("ACGT", repeat=k)]
    ids: dict[str, int] = {}
    out = np.empty(len(kmers), dtype=np.int64)
    for i, kmer in enumerate(kmers):
        rc = "".join(complement[b] for b in reversed(kmer))
        key = min(kmer, rc)
        out[i] = ids.setdefault(key, len(ids))
    return out


def _log_ratio(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, float]:
    """The mean over tasks of each task's centred log2 frequency ratio, scaled to unit
    length, and its root mean square (the strength). ``pos``, ``neg``: (T, C) counts."""
    f_pos = (pos + 1) / (pos.sum(axis=1, keepdims=True) + pos.shape[1])
    f_neg = (neg + 1) / (neg.sum(axis=1, keepdims=True) + neg.shape[1])
    ratio = np.log2(f_pos / f_neg).mean(axis=0)
    ratio -= ratio.mean()
    norm = float(np.linalg.norm(ratio))
    unit = ratio / norm if norm > 0 else ratio
    return unit, norm / math.sqrt(len(ratio))


def _check_counts(
    names: list[str], n_pos: np.ndarray, n_neg: np.ndarray, n_read: int, needed: int
) -> None:
    """A one-line error naming the first task with fewer than ``needed`` positives or
    negatives among the ``n_read`` sequences."""
    for name, p, q in zip(names, n_pos, n_neg, strict=True):
        for count, kind in ((p, "positive"), (q, "negative")):
            if count < needed:
                raise GenasError(
                    f"task {name!r}: {int(count)} {kind} training sequences of {n_read} read; "
                    f"a task descriptor needs at least {needed}"
                )
