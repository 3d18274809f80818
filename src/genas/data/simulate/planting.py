"""Where motif sites go: per-task plantings, non-overlapping placement, writing into codes.

Each task, independently per sequence, is *activated* with probability ``activation[t]``:
its rule's configuration is planted (one site of A; A and B at a gap inside the window; k
sites of A). With probability ``decoy_rate * activation[t]`` a near miss is planted instead
(pair: A and B too far apart, or only one of them; count: k-1 sites of A). Plantings are
"blocks" (one site, or two sites at a fixed gap) placed at random without overlap; blocks
that do not fit in a sequence are dropped, and labels come from what was planted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genas.data.motifs import reverse_complement_pfm, sample_codes
from genas.data.simulate.rules import TaskRule
from genas.data.simulate.sites import Sites

_FAR_EXTRA = 100  # far decoys: gap in (max_gap, max_gap + _FAR_EXTRA]


class _Blocks:
    """Accumulates blocks of one or two sites: (seq, width, motif1, motif2, offset2, ...)."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("seq", "width", "m1", "m2", "off2", "task", "decoy")
        }

    def add(self, seq, width, m1, m2, off2, task: int, decoy: bool) -> None:
        n = len(seq)
        vals = dict(seq=seq, width=width, m1=m1, m2=m2, off2=off2)
        for k, v in vals.items():
            self.cols[k].append(np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)))
        self.cols["task"].append(np.full(n, task, np.int64))
        self.cols["decoy"].append(np.full(n, decoy, bool))

    def arrays(self) -> dict[str, np.ndarray]:
        empty = {"decoy": np.zeros(0, bool)}
        return {
            k: np.concatenate(v) if v else empty.get(k, np.zeros(0, np.int64))
            for k, v in self.cols.items()
        }


def plan_sites(
    rules: Sequence[TaskRule],
    widths: np.ndarray,
    activation: np.ndarray,
    decoy_rate: float,
    n: int,
    length: int,
    rng: np.random.Generator,
) -> Sites:
    """Draw the planted sites of ``n`` sequences of ``length`` bp.

    Args:
        rules: T task rules.
        widths: int (M,) motif widths.
        activation: float (T,) per-sequence probability of planting each task's rule.
        decoy_rate: near-miss plantings per true planting (pair and count tasks).

    Returns:
        :class:`Sites`, ordered by sequence and start.
    """
    widths = np.asarray(widths, dtype=np.int64)
    blocks = _Blocks()
    for t, rule in enumerate(rules):
        act = np.flatnonzero(rng.random(n) < activation[t])
        dec = np.flatnonzero(rng.random(n) < min(1.0, decoy_rate * activation[t]))
        a = rule.motifs[0]
        if rule.kind == "presence":
            blocks.add(act, widths[a], a, -1, 0, t, False)
        elif rule.kind == "count":
            blocks.add(np.repeat(act, rule.count), widths[a], a, -1, 0, t, False)
            blocks.add(np.repeat(dec, rule.count - 1), widths[a], a, -1, 0, t, True)
        elif rule.kind == "pair":
            b = rule.motifs[1]
            gap = rng.integers(rule.min_gap, rule.max_gap + 1, len(act))
            _add_pair(blocks, act, a, b, gap, widths, t, False, rng)
            kind = rng.random(len(dec))
            room = length - widths[a] - widths[b]
            far_hi = min(rule.max_gap + _FAR_EXTRA, room)
            far = kind < 0.5 if far_hi > rule.max_gap else np.zeros(len(dec), bool)
            gap = rng.integers(rule.max_gap + 1, max(far_hi, rule.max_gap + 1) + 1, far.sum())
            _add_pair(blocks, dec[far], a, b, gap, widths, t, True, rng)
            only_a = ~far & (kind < 0.75)
            blocks.add(dec[only_a], widths[a], a, -1, 0, t, True)
            blocks.add(dec[~far & ~only_a], widths[b], b, -1, 0, t, True)
        else:
            raise ValueError(f"unknown rule type {rule.kind!r}")
    cols = blocks.arrays()
    start, keep = place_blocks(cols["seq"], cols["width"], n, length, rng)
    cols = {k: v[keep] for k, v in cols.items()}
    two = cols["m2"] >= 0
    sites = Sites(
        seq=np.concatenate([cols["seq"], cols["seq"][two]]),
        motif=np.concatenate([cols["m1"], cols["m2"][two]]),
        start=np.concatenate([start, start[two] + cols["off2"][two]]),
        strand=np.zeros(0, np.int8),
        task=np.concatenate([cols["task"], cols["task"][two]]),
        decoy=np.concatenate([cols["decoy"], cols["decoy"][two]]),
    )
    sites.strand = np.where(rng.random(len(sites.seq)) < 0.5, 1, -1).astype(np.int8)
    return sites.sorted()


def _add_pair(blocks, seqs, a, b, gap, widths, task, decoy, rng) -> None:
    swap = rng.random(len(seqs)) < 0.5
    first, second = np.where(swap, b, a), np.where(swap, a, b)
    off2 = widths[first] + gap
    blocks.add(seqs, off2 + widths[second], first, second, off2, task, decoy)


def place_blocks(
    seq: np.ndarray, width: np.ndarray, n: int, length: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random non-overlapping starts for blocks within sequences of ``length`` bp.

    Blocks of a sequence are put in random order; those past the sequence's capacity
    (in that order) are dropped. The free bases are split at random between the gaps.

    Args:
        seq: int (B,) sequence of each block; width: int (B,) block widths.

    Returns:
        (start int64 (K,), keep bool (B,)): starts of the K kept blocks, in the order of
        ``seq[keep]``.
    """
    b = len(seq)
    if b == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    order = np.lexsort((rng.random(b), seq))
    s, w = seq[order], width[order]
    first = np.r_[True, s[1:] != s[:-1]]
    csum = np.cumsum(w)
    group_base = np.maximum.accumulate(np.where(first, csum - w, 0))
    prior = csum - w - group_base  # width of earlier blocks of the same sequence
    fits = prior + w <= length
    s, w, prior = s[fits], w[fits], prior[fits]
    free = length - np.bincount(s, weights=w, minlength=n).astype(np.int64)[s]
    u = rng.integers(0, free + 1)
    u_sorted = u[np.lexsort((u, s))]
    start_ordered = u_sorted + prior
    keep_ordered = np.zeros(b, bool)
    keep_ordered[order[fits]] = True
    # back to the original block order
    start = np.empty(b, np.int64)
    start[order[fits]] = start_ordered
    return start[keep_ordered], keep_ordered


def plant_sites(
    codes: np.ndarray, sites: Sites, pfms: Sequence[np.ndarray], rng: np.random.Generator
) -> None:
    """Overwrite ``codes`` uint8 (N, L) in place with sites sampled from their motifs' (4, W)
    matrices (reverse complement for strand -1)."""
    for m, pfm in enumerate(pfms):
        rows = np.flatnonzero(sites.motif == m)
        if not len(rows):
            continue
        minus = sites.strand[rows] < 0
        site = np.empty((len(rows), pfm.shape[1]), np.uint8)
        site[~minus] = sample_codes(pfm, int((~minus).sum()), rng)
        site[minus] = sample_codes(reverse_complement_pfm(pfm), int(minus.sum()), rng)
        cols = sites.start[rows, None] + np.arange(pfm.shape[1])
        codes[sites.seq[rows, None], cols] = site
