"""The report's data section, by task type: how many positives and negatives each task has
in each split (binary), each task's targets in numbers (regression), or how many sequences
each class has (multiclass)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from genas.report import html

#: Up to this many tasks the counts are a row per task; more get one summary row per split.
MAX_TASK_ROWS = 20


@dataclass
class LabelCounts:
    """One split's labels per task: int64 (T,) each.

    ``other`` counts known labels that are neither 0 nor 1 (a task that is not binary);
    unknown (NaN) labels are in none of the three.
    """

    positives: np.ndarray
    negatives: np.ndarray
    other: np.ndarray

    @property
    def binary(self) -> bool:
        return not self.other.any()


def count_labels(blocks: Iterable[np.ndarray]) -> LabelCounts:
    """Count the labels of a split given as (n, T) blocks (``dataset.iter_labels()``)."""
    positives = negatives = other = None
    for y in blocks:
        y = np.asarray(y, dtype=np.float64)
        pos, neg = (y == 1).sum(axis=0), (y == 0).sum(axis=0)
        rest = np.isfinite(y).sum(axis=0) - pos - neg
        if positives is None:
            positives, negatives, other = pos, neg, rest
        else:
            positives, negatives, other = positives + pos, negatives + neg, other + rest
    if positives is None:
        raise ValueError("no label blocks to count")
    return LabelCounts(positives, negatives, other)


def counts_from_metrics(
    metrics: Mapping | None, task_names: Sequence[str]
) -> LabelCounts | ClassCounts | None:
    """A split's counts as ``metrics.json`` recorded them (``n_pos`` and ``n`` per task; a
    multiclass split's ``n`` per class, ``task_names`` then naming the classes), for when
    the data cannot be read; None if they are not there."""
    classes = (metrics or {}).get("classes") or {}
    if classes:
        found = [(classes.get(name) or {}).get("n") for name in task_names]
        if not found or not all(isinstance(n, int) for n in found):
            return None
        return ClassCounts(np.array(found, dtype=np.int64))
    tasks = (metrics or {}).get("tasks") or {}
    rows = [tasks.get(name) or {} for name in task_names]
    if not rows or not all(isinstance(r.get("n_pos"), int) and isinstance(r.get("n"), int)
                           for r in rows):  # fmt: skip
        return None
    positives = np.array([r["n_pos"] for r in rows], dtype=np.int64)
    known = np.array([r["n"] for r in rows], dtype=np.int64)
    return LabelCounts(positives, known - positives, np.zeros_like(positives))


@dataclass
class TargetSummary:
    """One split's regression targets per task: known targets ``n`` (int64) and the mean,
    standard deviation, minimum and maximum of them (float64; NaN without any), (T,) each."""

    n: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def summarise_targets(blocks: Iterable[np.ndarray]) -> TargetSummary:
    """:class:`TargetSummary` of a split given as (n, T) blocks of targets, NaN = unknown;
    blocks are merged with Chan et al.'s pairwise update of the mean and the sum of squared
    deviations, so the data is read once and large offsets do not cancel digits."""
    n = mean = m2 = lo = hi = None
    for y in blocks:
        y = np.asarray(y, dtype=np.float64)
        known = ~np.isnan(y)
        nb = known.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mb = np.where(nb > 0, np.where(known, y, 0.0).sum(axis=0) / nb, 0.0)
        m2b = (np.where(known, y - mb, 0.0) ** 2).sum(axis=0)
        if n is None:
            n, mean, m2 = nb, mb, m2b
            lo, hi = np.full(y.shape[1], np.inf), np.full(y.shape[1], -np.inf)
        else:
            total = n + nb
            with np.errstate(invalid="ignore", divide="ignore"):
                w = np.where(total > 0, nb / total, 0.0)
            delta = mb - mean
            mean = mean + delta * w
            m2 = m2 + m2b + delta**2 * n * w
            n = total
        lo = np.minimum(lo, np.where(known, y, np.inf).min(axis=0))
        hi = np.maximum(hi, np.where(known, y, -np.inf).max(axis=0))
    if n is None:
        raise ValueError("no target blocks to summarise")
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt(m2 / np.maximum(n - 1, 1)), np.nan)
    none = n == 0
    mean, lo, hi = (
        np.where(none, np.nan, mean),
        np.where(none, np.nan, lo),
        np.where(none, np.nan, hi),
    )
    return TargetSummary(n.astype(np.int64), mean, sd, lo, hi)


@dataclass
class ClassCounts:
    """One split's sequences per class of a multi-class task: int64 (K,)."""

    counts: np.ndarray


def count_classes(blocks: Iterable[np.ndarray], n_classes: int) -> ClassCounts:
    """:class:`ClassCounts` of a split given as (n, 1) blocks of class indices (NaN =
    unknown, not counted)."""
    counts = np.zeros(n_classes, np.int64)
    for y in blocks:
        labels = np.asarray(y, dtype=np.float64).reshape(-1)
        labels = labels[~np.isnan(labels)].astype(np.int64)
        counts += np.bincount(labels, minlength=n_classes)[:n_classes]
    return ClassCounts(counts)


def data_section(
    counts: Mapping[str, LabelCounts | TargetSummary | ClassCounts],
    task_names: Sequence[str],
    note: str | None = None,
) -> html.Section:
    """Labels per split: positives and negatives per task (binary: a row per task up to
    :data:`MAX_TASK_ROWS` tasks, else a summary row per split), targets in numbers per task
    (regression), or sequences per class (multiclass); an empty section without counts.

    Args:
        counts: split name (train, valid, test) -> its counts, in that order, all of one
            kind: :class:`LabelCounts`, :class:`TargetSummary` or :class:`ClassCounts`.
        task_names: the T task names (the K class names for :class:`ClassCounts`).
        note: where the counts come from, when not from the data itself.
    """
    section = html.Section("data", "Data")
    if not counts:
        return section
    first = next(iter(counts.values()))
    if not isinstance(first, LabelCounts):
        regression = isinstance(first, TargetSummary)
        text = (
            "Targets per split: known values of each task, their mean, standard deviation, "
            "minimum and maximum."
        )
        section.blocks.append(html.paragraph(text if regression else "Sequences per class."))
        if note:
            section.blocks.append(html.paragraph(note, note=True))
        table = _targets_table if regression else _classes_table
        section.blocks.append(table(counts, task_names))
        return section
    section.blocks.append(html.paragraph(
        "Labels per split: positives (1) and negatives (0) of each task"
        + ("" if all(c.binary for c in counts.values()) else
           "; other values belong to tasks that are not binary")
        + "."))  # fmt: skip
    if note:
        section.blocks.append(html.paragraph(note, note=True))
    if len(task_names) <= MAX_TASK_ROWS:
        section.blocks.append(_per_task_table(counts, task_names))
    else:
        section.blocks.append(_summary_table(counts))
    return section


def _per_task_table(counts: Mapping[str, LabelCounts], task_names: Sequence[str]) -> str:
    other = not all(c.binary for c in counts.values())
    columns, cells = ["task"], []
    for split, c in counts.items():
        columns += [f"{split} positives", f"{split} negatives"]
        cells += [c.positives, c.negatives]
        if other:
            columns.append(f"{split} other values")
            cells.append(c.other)
    rows = [[name, *(int(col[t]) for col in cells)] for t, name in enumerate(task_names)]
    return html.table(columns, rows)


def _summary_table(counts: Mapping[str, LabelCounts]) -> str:
    columns = ["split", "positives (all tasks)", "positive rate", "median per task",
               "fewest per task", "most per task", "tasks without positives"]  # fmt: skip
    rows = []
    for split, c in counts.items():
        known = c.positives + c.negatives
        rate = float(c.positives.sum() / known.sum()) if known.sum() else None
        rows.append([split, int(c.positives.sum()), rate, float(np.median(c.positives)),
                     int(c.positives.min()), int(c.positives.max()),
                     int((c.positives == 0).sum())])  # fmt: skip
    return html.table(columns, rows)


def _targets_table(summaries: Mapping[str, TargetSummary], task_names: Sequence[str]) -> str:
    """A row per task and split up to :data:`MAX_TASK_ROWS` tasks; beyond, a row per split
    with the median over tasks of the count, mean and sd, and the overall extremes."""
    columns = ["task", "split", "n", "mean", "sd", "min", "max"]
    rows = []
    if len(task_names) <= MAX_TASK_ROWS:
        for t, name in enumerate(task_names):
            for split, c in summaries.items():
                rows.append([name, split, int(c.n[t]), *(_number(v[t]) for v in
                                                         (c.mean, c.sd, c.lo, c.hi))])  # fmt: skip
        return html.table(columns, rows)
    columns = ["split", "tasks", "median n", "median mean", "median sd", "min", "max"]
    for split, c in summaries.items():
        rows.append([split, len(task_names), float(np.median(c.n)),
                     *(_number(_nan_stat(np.nanmedian, v)) for v in (c.mean, c.sd)),
                     _number(_nan_stat(np.nanmin, c.lo)),
                     _number(_nan_stat(np.nanmax, c.hi))])  # fmt: skip
    return html.table(columns, rows)


def _classes_table(counts: Mapping[str, ClassCounts], class_names: Sequence[str]) -> str:
    """A row per class: its sequences in each split, and their share of the split."""
    columns = ["class"]
    for split in counts:
        columns += [split, f"{split} share"]
    rows = []
    for k, name in enumerate(class_names):
        row: list = [name]
        for c in counts.values():
            total = int(c.counts.sum())
            row += [int(c.counts[k]), c.counts[k] / total if total else None]
        rows.append(row)
    return html.table(columns, rows)


def _nan_stat(stat, values: np.ndarray) -> float:
    """``stat`` (a nan-aware reduction) of ``values``; NaN when none is finite."""
    return float(stat(values)) if np.isfinite(values).any() else float("nan")


def _number(value: float) -> float | None:
    """A finite value for a table cell; None (an empty cell) for NaN."""
    return float(value) if np.isfinite(value) else None
