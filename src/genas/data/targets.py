"""The targets of a run by task type (docs/tasks.md): checks that every split's labels fit
``data.task_type``, the class list of a multiclass task, and the ``log1p`` transform.

Labels are float32 (N, T) in every dataset, NaN = unknown:

- binary: 0 or 1 per task;
- regression: any finite number per task;
- multiclass: one column (T = 1) of class indices 0..K-1, named by ``class_names``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from genas.data.dataset import ArrayDataset, ChunkedDataset, DataSplits
from genas.errors import InputError

SPLITS = ("train", "valid", "test")


@dataclass
class LabelStats:
    """Per-task facts about a dataset's known labels, each (T,).

    Attributes:
        lo, hi: float64 minimum and maximum of the finite labels (NaN when none).
        n_known: int64 labels that are not NaN.
        non_integer: a finite label is not a whole number.
        non_finite: a label is +-infinity.
    """

    lo: np.ndarray
    hi: np.ndarray
    n_known: np.ndarray
    non_integer: np.ndarray
    non_finite: np.ndarray


def label_stats(dataset: Dataset) -> LabelStats:
    """:class:`LabelStats` of a dataset, reading its labels block by block."""
    t = int(dataset.n_tasks)
    lo, hi = np.full(t, np.inf), np.full(t, -np.inf)
    n_known = np.zeros(t, np.int64)
    non_integer, non_finite = np.zeros(t, bool), np.zeros(t, bool)
    for y in dataset.iter_labels():
        y = np.asarray(y, dtype=np.float64)
        finite = np.isfinite(y)
        n_known += (~np.isnan(y)).sum(axis=0)
        non_finite |= np.isinf(y).any(axis=0)
        non_integer |= (finite & (y != np.round(y))).any(axis=0)
        lo = np.minimum(lo, np.where(finite, y, np.inf).min(axis=0, initial=np.inf))
        hi = np.maximum(hi, np.where(finite, y, -np.inf).max(axis=0, initial=-np.inf))
    lo[~np.isfinite(lo)] = np.nan
    hi[~np.isfinite(hi)] = np.nan
    return LabelStats(lo, hi, n_known, non_integer, non_finite)


def first_label(dataset: Dataset, task: int, wrong: Callable[[np.ndarray], np.ndarray]) -> float:
    """The first label of ``task`` for which ``wrong`` (vectorised) is true (NaN if none)."""
    for y in dataset.iter_labels():
        column = np.asarray(y[:, task], dtype=np.float64)
        hits = np.flatnonzero(wrong(column))
        if hits.size:
            return float(column[hits[0]])
    return float("nan")


def _not_binary(v: np.ndarray) -> np.ndarray:
    return ~np.isnan(v) & (v != 0) & (v != 1)


def check_binary(dataset: Dataset, task_names: list[str], path: Path) -> None:
    """Every known label is 0 or 1; else a one-line error naming the task and a value."""
    stats = label_stats(dataset)
    bad = stats.non_integer | stats.non_finite | (stats.lo < 0) | (stats.hi > 1)
    for t in np.flatnonzero(bad):
        value = first_label(dataset, int(t), _not_binary)
        hint = (
            "multiclass for class labels"
            if np.isfinite(value) and value == round(value)
            else "regression for numbers"
        )
        raise InputError(
            path,
            f"task {task_names[t]!r} holds the label {value:g}; data.task_type binary takes "
            f"0 or 1 (set data.task_type: {hint})",
        )


def check_regression(dataset: Dataset, task_names: list[str], path: Path) -> None:
    """No label is infinite (unknown ones are NaN)."""
    stats = label_stats(dataset)
    for t in np.flatnonzero(stats.non_finite):
        raise InputError(path, f"task {task_names[t]!r} holds an infinite target")


def check_classes(dataset: Dataset, n_classes: int, source: str, path: Path) -> None:
    """Every known label is a class index 0..``n_classes - 1``; ``source`` says where the
    class list comes from (for the message)."""
    stats = label_stats(dataset)
    if not stats.n_known.sum():
        return
    if stats.non_integer[0] or stats.non_finite[0] or stats.lo[0] < 0 or stats.hi[0] >= n_classes:
        value = first_label(
            dataset,
            0,
            lambda v: ~np.isnan(v) & ((v != np.round(v)) | (v < 0) | (v >= n_classes)),
        )
        raise InputError(
            path,
            f"class label {value:g} is not a class index 0..{n_classes - 1} ({source})",
        )


def transform_dataset(dataset: Dataset, transform: str) -> Dataset:
    """``dataset`` serving ``log1p`` of its labels (in memory: a new array; on disk: on read)."""
    if transform != "log1p":
        raise ValueError(f"unknown target transform {transform!r}")
    if isinstance(dataset, ArrayDataset):
        return ArrayDataset(dataset.x, np.log1p(dataset.y), getattr(dataset, "origins", None))
    if isinstance(dataset, ChunkedDataset):
        new = dataset.subset(np.arange(len(dataset)))
        new.target_transform = transform
        return new
    raise TypeError(f"cannot transform the targets of a {type(dataset).__name__}")


def resolve_targets(
    splits: DataSplits,
    task_type: str,
    class_names: list[str] | None,
    target_transform: str | None,
    paths: dict[str, Path],
    check: bool = True,
) -> DataSplits:
    """Check every split's labels against ``task_type`` and return the splits that serve
    the run's targets, with ``task_type``, ``class_names`` and ``target_transform`` set.

    Args:
        splits: as a source loaded them (``splits.class_names`` set when the source read
            class names, e.g. a table).
        class_names: ``data.class_names`` (multiclass), or None.
        target_transform: ``data.target_transform`` (``"log1p"``) or None.
        paths: the file of each split, for messages.
        check: read the labels to check them (False for binary-only formats, whose labels
            are 0/1 by construction).

    Raises:
        InputError: naming the split's file: a binary label other than 0/1, an infinite
            regression target, a multiclass input with several label columns or a label
            outside the class list, a target <= -1 with ``log1p``.
    """
    datasets = {s: getattr(splits, s) for s in SPLITS if getattr(splits, s) is not None}
    names = list(splits.task_names)
    classes = splits.class_names
    if task_type == "multiclass":
        classes = _class_list(splits, class_names, paths["train"])
        source = (
            f"data.class_names has {len(classes)}"
            if class_names is not None
            else f"{len(classes)} classes in {paths['train'].name}"
        )
        for split, dataset in datasets.items():
            check_classes(dataset, len(classes), source, paths[split])
    elif check:
        checker = check_binary if task_type == "binary" else check_regression
        for split, dataset in datasets.items():
            checker(dataset, names, paths[split])
    if target_transform is not None:
        for split, dataset in datasets.items():
            stats = label_stats(dataset)
            for t in np.flatnonzero(stats.lo <= -1):
                raise InputError(
                    paths[split],
                    f"data.target_transform log1p needs targets > -1; task {names[t]!r} "
                    f"holds {stats.lo[t]:g}",
                )
        datasets = {s: transform_dataset(d, target_transform) for s, d in datasets.items()}
    return replace(
        splits,
        **{s: datasets.get(s) for s in SPLITS},
        task_type=task_type,
        class_names=None if classes is None else list(classes),
        target_transform=target_transform,
    )


def _class_list(splits: DataSplits, class_names: list[str] | None, path: Path) -> list[str]:
    """The K class names: the source's, ``data.class_names``, or 0..K-1 from train."""
    if splits.n_tasks != 1:
        raise InputError(
            path,
            f"data.task_type multiclass takes one label column (class names or 0..K-1), found "
            f"{splits.n_tasks}: {', '.join(repr(n) for n in splits.task_names[:5])}; give "
            "data.label_columns",
        )
    if splits.class_names is not None:
        return list(splits.class_names)
    if class_names is not None:
        return list(class_names)
    stats = label_stats(splits.train)
    if stats.non_integer[0] or stats.non_finite[0] or not stats.lo[0] >= 0:
        value = first_label(
            splits.train, 0, lambda v: ~np.isnan(v) & ((v != np.round(v)) | (v < 0))
        )
        raise InputError(path, f"class label {value:g} is not a class index 0..K-1")
    k = int(stats.hi[0]) + 1 if np.isfinite(stats.hi[0]) else 0
    if k < 2:
        raise InputError(path, f"multiclass needs at least 2 classes, the train split has {k}")
    return [str(c) for c in range(k)]
