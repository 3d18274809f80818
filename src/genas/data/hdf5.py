"""The genas HDF5 layout: writing it, and validating a file before reading it.

Layout (format 1)::

    x            uint8 (N, 4, L)   one-hot, A C G T; N = [1,1,1,1], padding = 0
    y            uint8 or float32 (N, T)
    task_names   (T,) UTF-8 strings
    task_groups  (T,) UTF-8 strings, the group of each task      (optional)
    names        (N,) UTF-8 strings, sequence names              (optional)
    attrs: genas_format = 1, alphabet = "ACGT"

``x`` and ``y`` are chunked by rows and gzip-compressed, so a reader can take a few
thousand sequences at a time (:class:`genas.data.dataset.HDF5Dataset`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from genas.errors import InputError, missing_file
from genas.fileio import atomic_path

FORMAT_VERSION = 1
_LABEL_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(bool), np.dtype(np.float64))


def write_hdf5(
    path: str | Path,
    x: np.ndarray,
    y: np.ndarray,
    task_names: Sequence[str],
    task_groups: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
    chunk_rows: int = 1024,
) -> None:
    """Write a genas HDF5 file atomically.

    Args:
        path: the output file.
        x: uint8 (N, 4, L) one-hot.
        y: (N, T) labels; uint8 is kept, anything else is stored as float32.
        task_names: T names.
        task_groups: the group name of each of the T tasks, or None.
        names: N sequence names, or None.
        chunk_rows: rows per HDF5 chunk.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 3 or x.shape[1] != 4 or x.dtype != np.uint8:
        raise ValueError(f"x must be uint8 (N, 4, L), got {x.dtype} {x.shape}")
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise ValueError(f"y must be (N, T) with N = {x.shape[0]}, got {y.shape}")
    if y.dtype != np.uint8:
        y = y.astype(np.float32)
    n, _, length = x.shape
    if len(task_names) != y.shape[1]:
        raise ValueError(f"{len(task_names)} task names for {y.shape[1]} label columns")
    if task_groups is not None and len(task_groups) != y.shape[1]:
        raise ValueError(f"{len(task_groups)} task groups for {y.shape[1]} tasks")
    if names is not None and len(names) != n:
        raise ValueError(f"{len(names)} names for {n} sequences")
    rows = max(1, min(chunk_rows, n))
    text = h5py.string_dtype("utf-8")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["genas_format"] = FORMAT_VERSION
        f.attrs["alphabet"] = "ACGT"
        f.create_dataset(
            "x",
            data=x,
            chunks=(rows, 4, length) if n else None,
            compression="gzip" if n else None,
            shuffle=bool(n),
        )
        f.create_dataset(
            "y",
            data=y,
            chunks=(rows, y.shape[1]) if n and y.shape[1] else None,
            compression="gzip" if n and y.shape[1] else None,
        )
        f.create_dataset("task_names", data=list(task_names), dtype=text)
        if task_groups is not None:
            f.create_dataset("task_groups", data=list(task_groups), dtype=text)
        if names is not None:
            f.create_dataset("names", data=list(names), dtype=text)


@dataclass
class Hdf5Info:
    """What a validated genas HDF5 file holds (without its arrays)."""

    n: int
    length: int
    task_names: list[str]
    task_groups: list[str] | None
    names: list[str] | None
    label_dtype: np.dtype


def _strings(path: Path, f: h5py.File, key: str, expected: int, what: str) -> list[str]:
    ds = f[key]
    if ds.ndim != 1 or ds.shape[0] != expected:
        raise InputError(path, f"'{key}' must hold {expected} {what}, found shape {ds.shape}")
    if ds.dtype.kind not in ("S", "O", "U"):
        raise InputError(path, f"'{key}' must hold strings, found dtype {ds.dtype}")
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in ds[()]]


def read_hdf5_info(path: str | Path) -> Hdf5Info:
    """Validate a genas HDF5 file and return its shapes and names.

    Raises:
        InputError: naming the file, for a missing file, a non-HDF5 file, a missing key, or a
            wrong shape, dtype, format version or alphabet.
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file(path)
    if not h5py.is_hdf5(path):
        raise InputError(path, "not an HDF5 file")
    with h5py.File(path, "r") as f:
        missing = [k for k in ("x", "y", "task_names") if k not in f]
        if missing:
            raise InputError(
                path,
                f"missing dataset(s) {', '.join(missing)}; found: "
                f"{', '.join(f.keys()) or 'none'} (expected the genas layout x, y, task_names)",
            )
        version = f.attrs.get("genas_format", FORMAT_VERSION)
        if int(version) != FORMAT_VERSION:
            raise InputError(path, f"genas_format {version} is not supported (expected 1)")
        alphabet = f.attrs.get("alphabet", "ACGT")
        alphabet = alphabet.decode() if isinstance(alphabet, bytes) else str(alphabet)
        if alphabet != "ACGT":
            raise InputError(path, f"alphabet {alphabet!r} is not supported (expected 'ACGT')")
        x, y = f["x"], f["y"]
        if x.ndim != 3 or x.shape[1] != 4:
            raise InputError(path, f"'x' must be (N, 4, L), found shape {x.shape}")
        if x.dtype != np.uint8:
            raise InputError(path, f"'x' must be uint8, found {x.dtype}")
        n, _, length = x.shape
        if y.ndim != 2 or y.shape[0] != n:
            raise InputError(path, f"'y' must be (N={n}, T), found shape {y.shape}")
        if y.dtype not in _LABEL_DTYPES:
            raise InputError(path, f"'y' must be uint8 or float32, found {y.dtype}")
        t = y.shape[1]
        task_names = _strings(path, f, "task_names", t, "task names")
        groups = _strings(path, f, "task_groups", t, "group names") if "task_groups" in f else None
        names = _strings(path, f, "names", n, "sequence names") if "names" in f else None
        return Hdf5Info(n, length, task_names, groups, names, y.dtype)
