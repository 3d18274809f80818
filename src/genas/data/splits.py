"""``load_splits``: the datasets of a run from its data config."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from genas.config import (
    BINARY_ONLY_FORMATS,
    BedData,
    BigWigData,
    DataConfig,
    DeepSeaData,
    FastaData,
    Hdf5Data,
    TableData,
)
from genas.data.dataset import DataSplits
from genas.data.targets import resolve_targets
from genas.errors import ConfigError, InputError


def _train_path(cfg) -> Path:
    if isinstance(cfg, FastaData):
        return cfg.train.positives[0]
    if isinstance(cfg, BedData | BigWigData):
        return cfg.intervals
    return cfg.train


def _split_path(cfg, split: str) -> Path:
    """The file of a split, for messages: its own, else the train file it is held out of."""
    path = getattr(cfg, split, None)
    return path if isinstance(path, Path) else _train_path(cfg)


def _load_source(cfg, seed: int) -> DataSplits:
    if isinstance(cfg, FastaData):
        from genas.data.source_fasta import load_fasta_source

        return load_fasta_source(cfg, seed)
    if isinstance(cfg, TableData):
        from genas.data.source_table import load_table_source

        return load_table_source(cfg, seed)
    if isinstance(cfg, BedData):
        from genas.data.source_bed import load_bed_source

        return load_bed_source(cfg, seed)
    if isinstance(cfg, DeepSeaData):
        from genas.data.source_deepsea import load_deepsea_source

        return load_deepsea_source(cfg, seed)
    if isinstance(cfg, Hdf5Data):
        from genas.data.source_hdf5 import load_hdf5_source

        return load_hdf5_source(cfg, seed)
    if isinstance(cfg, BigWigData):
        from genas.data.source_bigwig import load_bigwig_source

        return load_bigwig_source(cfg, seed)
    raise ConfigError(f"data.format: unknown format {getattr(cfg, 'format', cfg)!r}")


def hold_out(
    splits: DataSplits, valid_fraction: float, test_fraction: float, seed: int
) -> DataSplits:
    """Fill a missing valid/test split with a seeded random fraction of train.

    The fractions are of the train set as loaded; a fraction of 0 leaves the split None.
    """
    need_valid = splits.valid is None and valid_fraction > 0
    need_test = splits.test is None and test_fraction > 0
    if not (need_valid or need_test):
        return splits
    n = len(splits.train)
    order = np.random.default_rng([seed, 7919]).permutation(n)
    n_valid = int(round(valid_fraction * n)) if need_valid else 0
    n_test = int(round(test_fraction * n)) if need_test else 0
    valid_idx, test_idx = order[:n_valid], order[n_valid : n_valid + n_test]
    train_idx = np.sort(order[n_valid + n_test :])
    train = splits.train
    return replace(
        splits,
        train=train.subset(train_idx),
        valid=train.subset(np.sort(valid_idx)) if n_valid else splits.valid,
        test=train.subset(np.sort(test_idx)) if n_test else splits.test,
    )


def require_validation(splits: DataSplits, cfg: DataConfig) -> None:
    """Refuse, in one line, splits without validation sequences: training stops early and
    picks its epoch on them, and a search scores its candidates on them.

    Raises:
        ConfigError: ``data.valid_fraction`` is 0, or too small for the training set, and
            the config gives no validation split.
    """
    if splits.valid is not None:
        return
    fraction = cfg.valid_fraction
    reason = (
        "data.valid_fraction is 0" if fraction == 0
        else f"data.valid_fraction {fraction:g} of {len(splits.train):,} training sequences "
        "is none"
    )
    raise ConfigError(
        f"no validation sequences ({reason}), and training needs them to stop early and "
        "to score; give a validation split or a larger data.valid_fraction"
    )


def _check_groups(groups: dict[str, list[str]], task_names: list[str]) -> None:
    known = set(task_names)
    for group, tasks in groups.items():
        unknown = [t for t in tasks if t not in known]
        if unknown:
            shown = ", ".join(repr(t) for t in task_names[:5])
            raise ConfigError(
                f"data.task_groups.{group}: unknown task(s) {', '.join(map(repr, unknown))} "
                f"(tasks: {shown}{', ...' if len(task_names) > 5 else ''})"
            )


def _check_labels(splits: DataSplits, path: Path) -> None:
    """Every task must have known labels in train, and they must vary (a binary task
    needs positives and negatives; unknown labels, NaN, are left out).

    A constant or wholly unknown regression target only warns: it trains (to that
    constant, or not at all) and its metrics are NaN, left out of the means. Binned signal
    tracks have such bins (an edge bin no read covers), and refusing the whole dataset for
    one of them would help nobody.
    """
    lo, hi = splits.train.label_range()
    constant = []
    for t, name in enumerate(splits.task_names):
        if np.isnan(lo[t]) and splits.task_type != "regression":
            raise InputError(path, f"task {name!r} has no known label in the train split")
        if np.isnan(lo[t]) or lo[t] == hi[t]:
            if splits.task_type == "regression":
                constant.append(name)
                continue
            if lo[t] == 0 and splits.task_type == "binary":
                raise InputError(path, f"task {name!r} has no positives in the train split")
            raise InputError(
                path, f"task {name!r} has the single label value {lo[t]:g} in the train split"
            )
    if constant:
        shown_names = ", ".join(constant[:5]) + (
            f" (+{len(constant) - 5} more)" if len(constant) > 5 else ""
        )
        warnings.warn(
            f"{path}: {len(constant)} task(s) with a constant or no known target in the "
            f"train split: {shown_names}; their metrics will be NaN",
            stacklevel=2,
        )


def load_splits(cfg: DataConfig, seed: int) -> DataSplits:
    """Load train/valid/test datasets as described by a data config.

    Dispatches on ``cfg.format`` (fasta, table, bed, deepsea_mat, hdf5, bigwig). Every
    split's labels are checked against ``cfg.task_type`` and, with ``cfg.target_transform``,
    served transformed (:func:`~genas.data.targets.resolve_targets`). A valid or
    test split that the config does not give is a seeded random ``valid_fraction`` /
    ``test_fraction`` of train. ``cfg.task_groups`` replaces groups read from the files.

    Args:
        cfg: one of the data configs of :mod:`genas.config`.
        seed: the run seed (random hold-out, shuffled negatives).

    Returns:
        DataSplits.

    Raises:
        InputError: an unreadable or malformed input, an empty train split, labels that do
            not fit ``cfg.task_type``, or a task with no positives (or a single value) in
            train.
        ConfigError: task_groups naming unknown tasks.
    """
    splits = _load_source(cfg, seed)
    path = _train_path(cfg)
    if len(splits.train) == 0:
        raise InputError(path, "no training sequences")
    twice = sorted({name for name in splits.task_names if splits.task_names.count(name) > 1})
    if twice:  # metrics, groups and predictions are keyed by task name
        raise InputError(path, f"task name(s) {', '.join(map(repr, twice))} given twice; "
                               "task names must be unique")
    for name in ("valid", "test"):
        dataset = getattr(splits, name)
        if dataset is not None and len(dataset) == 0:
            setattr(splits, name, None)
    paths = {name: _split_path(cfg, name) for name in ("train", "valid", "test")}
    splits = resolve_targets(
        splits,
        cfg.task_type,
        cfg.class_names,
        cfg.target_transform,
        paths,
        check=cfg.format not in BINARY_ONLY_FORMATS,
    )
    splits = hold_out(splits, cfg.valid_fraction, cfg.test_fraction, seed)
    if len(splits.train) == 0:
        raise InputError(path, "no training sequences left after holding out valid/test")
    if cfg.task_groups is not None:
        _check_groups(cfg.task_groups, splits.task_names)
        splits.task_groups = {g: list(t) for g, t in cfg.task_groups.items()}
    _check_labels(splits, path)
    return splits
