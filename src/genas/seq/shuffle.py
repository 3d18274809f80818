"""Dinucleotide shuffling (Altschul & Erikson 1985), exact.

A dinucleotide shuffle returns a random sequence with exactly the same dinucleotide counts
(hence the same letter counts) and the same first and last letter as its input. It is the
standard background for motif discovery and for shuffled negatives.

The algorithm walks a random Eulerian path of the sequence's letter-transition multigraph:
choose, for every letter except the last, which of its outgoing edges is used last, such
that those last edges form a spanning arborescence rooted at the final letter (drawn with
Wilson's loop-erased random walk); shuffle every letter's other edges; then follow the edges
from the first letter. Every Eulerian path is reachable, and the result is exact.

Letters are symbols: the shuffle is case-sensitive and any character (``N`` included) is
just another vertex, so ``"acgtACGT"`` keeps its soft-masked dinucleotides. Call
``dinucleotide_shuffle(seq.upper(), rng)`` to shuffle case-insensitively.
"""

from __future__ import annotations

import numpy as np

from genas.seq.alphabet import encode


def _shuffle_codes(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dinucleotide shuffle of a 1-D integer array of symbol codes (0 .. K-1)."""
    n = len(codes)
    if n < 3:
        return codes.copy()
    k = int(codes.max()) + 1
    # Outgoing edges per vertex: the successor of each occurrence, in sequence order.
    order = np.argsort(codes[:-1], kind="stable")
    targets_sorted = codes[1:][order]
    counts = np.bincount(codes[:-1], minlength=k)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    edges = [targets_sorted[bounds[v] : bounds[v + 1]] for v in range(k)]

    last = int(codes[-1])
    in_tree = np.zeros(k, dtype=bool)
    in_tree[last] = True
    next_edge = np.full(k, -1, dtype=np.int64)  # index into edges[v] of v's last edge
    # Wilson's algorithm: loop-erased random walks towards the root `last`.
    for start in range(k):
        if counts[start] == 0:
            continue
        u = start
        while not in_tree[u]:
            next_edge[u] = rng.integers(counts[u])
            u = int(edges[u][next_edge[u]])
        u = start
        while not in_tree[u]:
            in_tree[u] = True
            u = int(edges[u][next_edge[u]])

    # Per vertex: its edges in random order, the arborescence edge (if any) placed last.
    ordered: list[np.ndarray] = []
    for v in range(k):
        e = edges[v]
        if len(e) == 0:
            ordered.append(e)
            continue
        if v == last:
            ordered.append(rng.permutation(e))
            continue
        j = next_edge[v]
        rest = np.delete(e, j)
        ordered.append(np.concatenate([rng.permutation(rest), e[j : j + 1]]))

    out = np.empty(n, dtype=codes.dtype)
    out[0] = codes[0]
    position = np.zeros(k, dtype=np.int64)
    u = int(codes[0])
    for i in range(1, n):
        out[i] = ordered[u][position[u]]
        position[u] += 1
        u = int(out[i])
    return out


def dinucleotide_shuffle(sequence: str, rng: np.random.Generator) -> str:
    """Exact dinucleotide shuffle of one sequence (case-sensitive; any letters).

    Args:
        sequence: the sequence (any characters; each distinct character is a symbol).
        rng: the random generator (``np.random.default_rng(seed)``).

    Returns:
        A string of the same length, the same first and last letter and exactly the same
        count of every ordered pair of adjacent letters.
    """
    if len(sequence) < 3:
        return sequence
    raw = np.frombuffer(sequence.encode("utf-32-le"), dtype=np.uint32)
    symbols, codes = np.unique(raw, return_inverse=True)
    shuffled = symbols[_shuffle_codes(codes.astype(np.int64), rng)]
    return shuffled.astype(np.uint32).tobytes().decode("utf-32-le")


def shuffle_onehot(onehot: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dinucleotide shuffle of one-hot sequences, uint8 (N, 4, L) or (4, L).

    Each column's symbol (A, C, G, T, or N for any other non-empty column) is shuffled;
    padding columns (all zero) at either end stay where they are. Columns that are neither
    one-hot nor padding come back as N (``[1, 1, 1, 1]``).

    Returns:
        uint8 array with the input's shape.
    """
    arr = np.asarray(onehot)
    single = arr.ndim == 2
    if single:
        arr = arr[None]
    out = np.zeros_like(arr, dtype=np.uint8)
    letters = np.array(list("ACGTN"))
    for i, seq in enumerate(arr):
        col_sum = seq.astype(np.int64).sum(axis=0)  # (L,)
        filled = np.flatnonzero(col_sum > 0)
        if len(filled) == 0:
            continue
        lo, hi = int(filled[0]), int(filled[-1]) + 1
        codes = np.where(col_sum[lo:hi] == 1, seq[:, lo:hi].argmax(axis=0), 4)
        shuffled = _shuffle_codes(codes.astype(np.int64), rng)
        out[i, :, lo:hi] = encode("".join(letters[shuffled]))
    return out[0] if single else out
