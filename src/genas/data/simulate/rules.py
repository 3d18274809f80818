"""Task rules of the synthetic benchmark and the labels they give over planted sites.

A task is positive for a sequence when its rule holds over the motif sites *planted* in it:

- ``presence``: at least one site of motif A (either strand);
- ``pair``: a site of A and a site of B (either order, either strands) with
  ``min_gap <= gap <= max_gap``, where gap = bases between the end of the first site and the
  start of the second;
- ``count``: at least ``count`` sites of A.

Chance resemblances in the background are ignored (motifs are chosen with high information
content so that such hits are rare); labels depend only on the planted-site table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from genas.data.simulate.sites import Sites

GROUPS = ("presence", "pair", "count")
_GAP_CHOICES = (10, 25, 50)


@dataclass(frozen=True)
class TaskRule:
    """One task's rule; ``motifs`` are indices into the benchmark's motif list."""

    kind: str
    motifs: tuple[int, ...]
    min_gap: int = 0
    max_gap: int = 0
    count: int = 1

    def min_length(self, widths: np.ndarray) -> int:
        """Shortest sequence in which the rule can be satisfied."""
        w = [int(widths[m]) for m in self.motifs]
        if self.kind == "pair":
            return w[0] + w[1] + self.min_gap
        if self.kind == "count":
            return w[0] * self.count
        return w[0]

    def describe(self, names: Sequence[str]) -> str:
        """Human-readable rule, e.g. ``pair(CTCF, GATA1; gap 0-25)``."""
        a = names[self.motifs[0]]
        if self.kind == "pair":
            b = names[self.motifs[1]]
            return f"pair({a}, {b}; gap {self.min_gap}-{self.max_gap})"
        if self.kind == "count":
            return f"count({a} >= {self.count})"
        return f"presence({a})"

    def short_name(self, names: Sequence[str]) -> str:
        """Task name, e.g. ``pair_CTCF_GATA1_g25``."""
        a = names[self.motifs[0]]
        if self.kind == "pair":
            return f"pair_{a}_{names[self.motifs[1]]}_g{self.max_gap}"
        if self.kind == "count":
            return f"count{self.count}_{a}"
        return f"presence_{a}"

    def to_json(self, ids: Sequence[str]) -> dict:
        """JSON-ready description with motif ids."""
        out: dict = {"type": self.kind, "motifs": [ids[m] for m in self.motifs]}
        if self.kind == "pair":
            out.update(min_gap=self.min_gap, max_gap=self.max_gap)
        if self.kind == "count":
            out["count"] = self.count
        return out


def design_tasks(
    n_tasks: int, widths: np.ndarray, length: int, rng: np.random.Generator
) -> list[TaskRule]:
    """Choose ``n_tasks`` distinct rules over ``len(widths)`` motifs.

    About half the tasks are ``presence`` (one per motif at most), a quarter ``pair`` and a
    quarter ``count``. Pair tasks take their first motif, and count tasks their motif, from
    the presence tasks' motifs (least used first), so labels correlate across tasks and a
    count task tests counting sites of a motif that a presence task also shows, rather than
    finding a motif seen in no other task; a pair's second motif goes to the least-used
    motif. Motifs may be left unused.

    Raises:
        ValueError: too few motifs for ``n_tasks`` distinct rules.
    """
    m = len(widths)
    n_pair = n_tasks // 4 if m >= 2 else 0
    n_count = n_tasks // 4
    n_presence = n_tasks - n_pair - n_count
    if n_presence > m:
        extra, n_presence = n_presence - m, m
        add = min(extra, m * (m - 1) // 2 - n_pair)
        n_pair, extra = n_pair + add, extra - add
        n_count += extra
    if n_pair > m * (m - 1) // 2 or n_count > 2 * m:
        raise ValueError(f"{m} motifs cannot define {n_tasks} distinct tasks; use more motifs")

    load = np.zeros(m)

    def least_used(exclude: set[int]) -> int:
        """Least-used motif not in ``exclude`` (random among ties); -1 if none is left."""
        score = load + rng.random(m) * 0.5
        score[list(exclude)] = np.inf
        best = int(np.argmin(score))
        return best if np.isfinite(score[best]) else -1

    rules: list[TaskRule] = []
    presence = [int(i) for i in rng.permutation(m)[:n_presence]]
    for a in presence:
        rules.append(TaskRule("presence", (a,)))
        load[a] += 1
    firsts = [int(i) for i in rng.permutation(presence)] if presence else []
    used_pairs: set[frozenset[int]] = set()
    for j in range(n_pair):
        a = firsts[j % len(firsts)] if firsts else least_used(set())
        taken = {b for p in used_pairs if a in p for b in p}
        if len(taken | {a}) >= m:  # a is paired with everyone already
            a = least_used(set())
            taken = {b for p in used_pairs if a in p for b in p}
        b = least_used(taken | {a})
        if b < 0 or frozenset((a, b)) in used_pairs:
            a, b = _first_free_pair(m, used_pairs)
        used_pairs.add(frozenset((a, b)))
        room = length - int(widths[a]) - int(widths[b])
        gaps = [g for g in _GAP_CHOICES if g <= room] or [max(room, 0)]
        rules.append(TaskRule("pair", (a, b), 0, int(rng.choice(gaps))))
        load[[a, b]] += 1
    used_counts: set[tuple[int, int]] = set()
    others = set(range(m)) - set(presence)
    for _ in range(n_count):
        full = {i for i in range(m) if (i, 2) in used_counts and (i, 3) in used_counts}
        a = least_used(full | others)  # a presence task's motif: counting, not discovery
        if a < 0:
            a = least_used(full)
        ks = [k for k in (2, 3) if (a, k) not in used_counts]
        k = int(rng.choice(ks))
        used_counts.add((a, k))
        rules.append(TaskRule("count", (a,), count=k))
        load[a] += 1
    return rules


def _first_free_pair(m: int, used: set[frozenset[int]]) -> tuple[int, int]:
    for a in range(m):
        for b in range(a + 1, m):
            if frozenset((a, b)) not in used:
                return a, b
    raise ValueError("no free motif pair left")


def rule_labels(
    rule: TaskRule, sites: Sites, widths: np.ndarray, n: int, mask: np.ndarray | None = None
) -> np.ndarray:
    """Whether ``rule`` holds in each of ``n`` sequences, bool (n,).

    Args:
        sites: planted sites of the ``n`` sequences.
        widths: int (M,) motif widths.
        mask: bool (S,) optional subset of the sites to consider.
    """
    keep = np.ones(len(sites.seq), bool) if mask is None else mask
    a = rule.motifs[0]
    sel_a = keep & (sites.motif == a)
    out = np.zeros(n, dtype=bool)
    if rule.kind == "presence":
        out[sites.seq[sel_a]] = True
    elif rule.kind == "count":
        out = np.bincount(sites.seq[sel_a], minlength=n) >= rule.count
    elif rule.kind == "pair":
        b = rule.motifs[1]
        sel_b = keep & (sites.motif == b)
        ia, ib = _same_sequence_pairs(sites.seq[sel_a], sites.seq[sel_b])
        sa, sb = sites.start[sel_a][ia], sites.start[sel_b][ib]
        gap = np.maximum(sb - (sa + widths[a]), sa - (sb + widths[b]))
        ok = (gap >= rule.min_gap) & (gap <= rule.max_gap)
        out[sites.seq[sel_a][ia[ok]]] = True
    else:
        raise ValueError(f"unknown rule type {rule.kind!r}")
    return out


def _same_sequence_pairs(seq_a: np.ndarray, seq_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (i, j) with ``seq_a[i] == seq_b[j]``, as two int arrays."""
    order = np.argsort(seq_b, kind="stable")
    sorted_b = seq_b[order]
    lo = np.searchsorted(sorted_b, seq_a, side="left")
    hi = np.searchsorted(sorted_b, seq_a, side="right")
    counts = hi - lo
    ia = np.repeat(np.arange(len(seq_a)), counts)
    first = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    ib = order[np.arange(counts.sum()) + first]
    return ia, ib


def all_labels(rules: Sequence[TaskRule], sites: Sites, widths: np.ndarray, n: int) -> np.ndarray:
    """Clean labels of every task, uint8 (n, T)."""
    y = np.zeros((n, len(rules)), dtype=np.uint8)
    for t, rule in enumerate(rules):
        y[:, t] = rule_labels(rule, sites, widths, n)
    return y
