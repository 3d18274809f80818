"""DeepSEA's ``.mat`` files: train.mat (MATLAB v7.3 = HDF5), valid.mat / test.mat (MATLAB v5).

On disk the one-hot channels are ordered A, G, C, T; they are served as A, C, G, T.

MATLAB v7.3 files are HDF5 and hold arrays with MATLAB's axes reversed: ``<split>xdata``
(L, 4, N) and ``<split>data`` (T, N). They are read ``chunk_size`` sequences at a time
(:class:`DeepSeaMatDataset`), never whole. MATLAB v5 files hold ``<split>xdata`` (N, 4, L)
and ``<split>data`` (N, T) and are read whole with :func:`scipy.io.loadmat`. Either format
is accepted for every split.
"""

from __future__ import annotations

import csv
from pathlib import Path

import h5py
import numpy as np
import scipy.io

from genas.config import DeepSeaData
from genas.data.dataset import ArrayDataset, ChunkedDataset, DataSplits
from genas.data.encoding import check_array_length, fit_onehot
from genas.errors import InputError, missing_file
from genas.seq.fasta import open_text

#: Channel index on disk (A, G, C, T) of each of A, C, G, T.
AGCT_TO_ACGT = np.array([0, 2, 1, 3])


class DeepSeaMatDataset(ChunkedDataset):
    """One split of a MATLAB v7.3 DeepSEA file, read in chunks.

    Args:
        path: the ``.mat`` file.
        split: ``train``, ``valid`` or ``test`` (datasets ``<split>xdata``, ``<split>data``).
        chunk_size: sequences read at a time.
        length: serve sequences centre-cropped/padded to this length (None: as stored).
    """

    def __init__(
        self, path: str | Path, split: str, chunk_size: int = 4096, length: int | None = None
    ):
        self.x_key, self.y_key = f"{split}xdata", f"{split}data"
        n, stored_length, n_tasks = _check_v73(Path(path), self.x_key, self.y_key)
        super().__init__(path, n, stored_length, n_tasks, chunk_size, None, length)

    def _open(self):
        return h5py.File(self.path, "r")

    def _read_span(self, handle, lo, hi, with_x=True):
        x = None
        if with_x:
            block = handle[self.x_key][:, :, lo:hi]  # (L, 4, n), A G C T
            x = np.ascontiguousarray(block.transpose(2, 1, 0)[:, AGCT_TO_ACGT, :], np.uint8)
        y = handle[self.y_key][:, lo:hi].T  # (n, T)
        return x, y


def _expected(x_key: str, y_key: str, hdf5: bool) -> str:
    if hdf5:
        return f"'{x_key}' (L, 4, N) and '{y_key}' (T, N) (MATLAB v7.3)"
    return f"'{x_key}' (N, 4, L) and '{y_key}' (N, T) (MATLAB v5)"


def _check_v73(path: Path, x_key: str, y_key: str) -> tuple[int, int, int]:
    """N, L, T of a v7.3 split, or an InputError saying what was expected and found."""
    with h5py.File(path, "r") as f:
        keys = [k for k in f if not k.startswith("#")]
        if x_key not in f or y_key not in f:
            raise InputError(
                path,
                f"expected datasets {_expected(x_key, y_key, True)}; found: "
                f"{', '.join(keys) or 'none'}",
            )
        xs, ys = f[x_key].shape, f[y_key].shape
    if len(xs) != 3 or xs[1] != 4 or len(ys) != 2 or ys[1] != xs[2]:
        raise InputError(
            path,
            f"expected {_expected(x_key, y_key, True)}; found '{x_key}' {xs} and '{y_key}' {ys}",
        )
    return xs[2], xs[0], ys[0]


def _load_v5(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    """x uint8 (N, 4, L) in A C G T order, y float32 (N, T) from a MATLAB v5 file."""
    try:
        mat = scipy.io.loadmat(path, variable_names=[x_key, y_key])
    except (ValueError, TypeError, OSError) as error:
        raise InputError(path, f"cannot read as a MATLAB file: {error}") from None
    if x_key not in mat or y_key not in mat:
        found = scipy.io.whosmat(path)
        raise InputError(
            path,
            f"expected variables {_expected(x_key, y_key, False)}; found: "
            f"{', '.join(name for name, _, _ in found) or 'none'}",
        )
    x, y = mat[x_key], mat[y_key]
    if x.ndim != 3 or x.shape[1] != 4 or y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise InputError(
            path,
            f"expected {_expected(x_key, y_key, False)}; found '{x_key}' {x.shape} and "
            f"'{y_key}' {y.shape}",
        )
    return np.ascontiguousarray(x[:, AGCT_TO_ACGT, :], dtype=np.uint8), y.astype(np.float32)


def open_deepsea_split(
    path: str | Path,
    split: str,
    chunk_size: int = 4096,
    length: int | None = None,
    fit_length: str = "error",
):
    """A dataset over one split of a DeepSEA ``.mat`` file (v7.3 chunked, v5 in memory).

    Raises:
        InputError: missing file, missing keys or wrong shapes (expected vs found), or a
            stored length that differs from ``length`` without a matching ``fit_length``.
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file(path)
    x_key, y_key = f"{split}xdata", f"{split}data"
    if h5py.is_hdf5(path):
        dataset = DeepSeaMatDataset(path, split, chunk_size)
        dataset.input_length = check_array_length(dataset.stored_length, length, fit_length, path)
        return dataset
    x, y = _load_v5(path, x_key, y_key)
    served = check_array_length(x.shape[2], length, fit_length, path)
    return ArrayDataset(fit_onehot(x, served), y)


def read_task_names(path: str | Path, n_tasks: int) -> tuple[list[str], list[str] | None]:
    """Task names (and groups) from a TSV with one row per task.

    With a header: a ``cell`` + ``target`` (+ ``treatment``/``condition``) file gives names
    ``cell|target|treatment``; otherwise a ``name``/``task``/``task_name``/``label_name``
    column. A ``category``/``group`` column gives the groups (DeepSEA's ``Pol`` category is
    counted as TF, as in the paper). Without a header the last column is the name. Repeated
    names get ``#2``, ``#3``, ... appended.

    Returns:
        names (T,), groups (T,) or None.
    """
    path = Path(path)
    with open_text(path) as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if r and any(v.strip() for v in r)]
    if not rows:
        raise InputError(path, "empty task name file")
    header = [h.strip().lower() for h in rows[0]]
    known = {"name", "task", "task_name", "label_name", "cell", "cell_type", "target"}
    groups = None
    if known & set(header):
        body = rows[1:]

        def column(*names: str) -> int | None:
            return next((header.index(n) for n in names if n in header), None)

        cell, target = column("cell", "cell_type"), column("target")
        treatment = column("treatment", "condition")
        name_col = column("name", "task", "task_name", "label_name")
        group_col = column("category", "group")
        if cell is not None and target is not None:
            parts = [cell, target] + ([treatment] if treatment is not None else [])
            names = ["|".join(row[i].strip() for i in parts) for row in body]
        elif name_col is not None:
            names = [row[name_col].strip() for row in body]
        else:
            raise InputError(path, f"no name column among {', '.join(rows[0])}", 1)
        if group_col is not None:
            groups = [row[group_col].strip() for row in body]
            groups = [
                "TF" if g.lower() in ("pol", "pol ii", "polii", "pol2") else g for g in groups
            ]
    else:
        names = [row[-1].strip() for row in rows]
    if len(names) != n_tasks:
        raise InputError(path, f"{len(names)} task names for {n_tasks} label columns")
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique, groups


def load_deepsea_source(cfg: DeepSeaData, seed: int, chunk_size: int = 4096) -> DataSplits:
    """Open the DeepSEA splits; missing valid/test splits are None.

    Raises:
        InputError: see :func:`open_deepsea_split`; also when the splits disagree in the
            number of tasks.
    """
    del seed
    train = open_deepsea_split(cfg.train, "train", chunk_size, cfg.length, cfg.fit_length)
    length, n_tasks = train.input_length, train.n_tasks
    splits = {"train": train, "valid": None, "test": None}
    for split in ("valid", "test"):
        path = getattr(cfg, split)
        if path is None:
            continue
        dataset = open_deepsea_split(path, split, chunk_size, length, cfg.fit_length)
        if dataset.n_tasks != n_tasks:
            raise InputError(path, f"{dataset.n_tasks} tasks, but {cfg.train.name} has {n_tasks}")
        splits[split] = dataset
    if cfg.task_names is not None:
        names, groups = read_task_names(cfg.task_names, n_tasks)
    else:
        names, groups = [f"task_{i}" for i in range(n_tasks)], None
    task_groups = None
    if groups is not None:
        task_groups = {}
        for name, group in zip(names, groups, strict=True):
            task_groups.setdefault(group, []).append(name)
    return DataSplits(
        train=splits["train"],
        valid=splits["valid"],
        test=splits["test"],
        task_names=names,
        task_groups=task_groups,
        input_length=length,
    )
