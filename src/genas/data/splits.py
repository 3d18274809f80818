"""``load_splits``: the datasets of a run from its data config."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genas.config import BedData, DataConfig, DeepSeaData, FastaData, Hdf5Data, TableData
from genas.data.dataset import DataSplits
from genas.errors import ConfigError, InputError


def _train_path(cfg) -> Path:
    if isinstance(cfg, FastaData):
        return cfg.train.positives[0]
    if isinstance(cfg, BedData):
        return cfg.intervals
    return cfg.train


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
    return DataSplits(
        train=train.subset(train_idx),
        valid=train.subset(np.sort(valid_idx)) if n_valid else splits.valid,
        test=train.subset(np.sort(test_idx)) if n_test else splits.test,
        task_names=splits.task_names,
        task_groups=splits.task_groups,
        input_length=splits.input_length,
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
    """Every task must vary in train (a binary task needs positives and negatives)."""
    lo, hi = splits.train.label_range()
    for t, name in enumerate(splits.task_names):
        if lo[t] == hi[t]:
            if lo[t] == 0:
                raise InputError(path, f"task {name!r} has no positives in the train split")
            raise InputError(
                path, f"task {name!r} has the single label value {lo[t]:g} in the train split"
            )


def load_splits(cfg: DataConfig, seed: int) -> DataSplits:
    """Load train/valid/test datasets as described by a data config.

    Dispatches on ``cfg.format`` (fasta, table, bed, deepsea_mat, hdf5). A valid or test
    split that the config does not give is a seeded random ``valid_fraction`` /
    ``test_fraction`` of train. ``cfg.task_groups`` replaces groups read from the files.

    Args:
        cfg: one of the data configs of :mod:`genas.config`.
        seed: the run seed (random hold-out, shuffled negatives).

    Returns:
        DataSplits.

    Raises:
        InputError: an unreadable or malformed input, an empty train split, or a task with
            no positives (or a single value) in train.
        ConfigError: task_groups naming unknown tasks.
    """
    splits = _load_source(cfg, seed)
    path = _train_path(cfg)
    if len(splits.train) == 0:
        raise InputError(path, "no training sequences")
    for name in ("valid", "test"):
        dataset = getattr(splits, name)
        if dataset is not None and len(dataset) == 0:
            setattr(splits, name, None)
    splits = hold_out(splits, cfg.valid_fraction, cfg.test_fraction, seed)
    if len(splits.train) == 0:
        raise InputError(path, "no training sequences left after holding out valid/test")
    if cfg.task_groups is not None:
        _check_groups(cfg.task_groups, splits.task_names)
        splits.task_groups = {g: list(t) for g, t in cfg.task_groups.items()}
    _check_labels(splits, path)
    return splits
