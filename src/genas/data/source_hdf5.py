"""genas HDF5 files, one per split, read in chunks."""

from __future__ import annotations

from genas.config import Hdf5Data
from genas.data.dataset import DataSplits, HDF5Dataset
from genas.data.encoding import check_array_length
from genas.errors import InputError


def open_hdf5_split(path, chunk_size: int, length: int | None, fit_length: str) -> HDF5Dataset:
    """A chunked dataset over one genas HDF5 file, served at ``length`` (None: as stored)."""
    dataset = HDF5Dataset(path, chunk_size)
    dataset.input_length = check_array_length(dataset.stored_length, length, fit_length, path)
    return dataset


def load_hdf5_source(cfg: Hdf5Data, seed: int) -> DataSplits:
    """Open the HDF5 splits; missing valid/test splits are None.

    Task groups come from the train file's ``task_groups`` when present.

    Raises:
        InputError: a malformed file, or valid/test files whose task names differ from train.
    """
    del seed
    train = open_hdf5_split(cfg.train, cfg.chunk_size, cfg.length, cfg.fit_length)
    splits = {"train": train, "valid": None, "test": None}
    for split in ("valid", "test"):
        path = getattr(cfg, split)
        if path is None:
            continue
        dataset = open_hdf5_split(path, cfg.chunk_size, train.input_length, cfg.fit_length)
        if dataset.task_names != train.task_names:
            raise InputError(
                path,
                f"task names differ from {cfg.train.name}: {len(dataset.task_names)} tasks "
                f"{dataset.task_names[:3]}..., expected {len(train.task_names)} "
                f"{train.task_names[:3]}...",
            )
        splits[split] = dataset
    task_groups = None
    if train.task_groups is not None:
        task_groups = {}
        for name, group in zip(train.task_names, train.task_groups, strict=True):
            task_groups.setdefault(group, []).append(name)
    return DataSplits(
        train=splits["train"],
        valid=splits["valid"],
        test=splits["test"],
        task_names=list(train.task_names),
        task_groups=task_groups,
        input_length=train.input_length,
    )
