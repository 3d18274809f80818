"""Table files chosen by extension, written chunk by chunk: the outputs of `genas predict` and
`genas vep`.

TSV (``.tsv``, ``.txt``, gzipped with ``.gz``) and Parquet (``.parquet``, ``.pq``) take
DataFrames; HDF5 (``.h5``, ``.hdf5``) takes named arrays, one dataset per column, each grown
along its first axis, so a genome-wide table never has to fit in memory.
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from genas.errors import InputError
from genas.fileio import atomic_path

FORMATS = {".tsv": "tsv", ".txt": "tsv", ".parquet": "parquet", ".pq": "parquet"}
FORMATS |= {".h5": "hdf5", ".hdf5": "hdf5"}
FLOAT_FORMAT = "%.6g"


def output_format(path: str | Path) -> str:
    """``"tsv"``, ``"tsv.gz"``, ``"parquet"`` or ``"hdf5"`` from the file name.

    Raises:
        InputError: an unknown extension.
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    ext = suffixes[-2] if gz and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    kind = FORMATS.get(ext)
    if kind is None or (gz and kind != "tsv"):
        raise InputError(path, "unknown output format: use .tsv, .tsv.gz, .parquet or .h5 (HDF5)")
    return "tsv.gz" if gz else kind


@contextlib.contextmanager
def open_table(path: str | Path) -> Iterator[TableWriter]:
    """A :class:`TableWriter` for ``path`` (format by extension) whose file appears,
    atomically, only when the block succeeds.

    Raises:
        InputError: an unknown extension (before anything is written).
    """
    kind = output_format(path)
    with atomic_path(path) as tmp:
        table = TableWriter(tmp, kind)
        try:
            yield table
        finally:
            table.close()


class TableWriter:
    """Appends chunks to one file of format ``kind`` (:func:`output_format`); :meth:`close`
    when done. Made by :func:`open_table`."""

    def __init__(self, path: str | Path, kind: str):
        self.path = Path(path)
        self.kind = kind
        self._frames = 0
        self._parquet = None
        self._handle = None
        if kind == "hdf5":
            self._handle = h5py.File(self.path, "w")
        elif kind.startswith("tsv"):
            opener = gzip.open if kind == "tsv.gz" else open
            self._handle = opener(self.path, "wt", encoding="utf-8", newline="")

    @property
    def h5(self) -> h5py.File:
        """The open HDF5 file (format ``hdf5`` only), for attributes and fixed datasets."""
        assert self.kind == "hdf5", self.kind
        return self._handle

    def write_frame(self, frame: pd.DataFrame) -> None:
        """Append rows (TSV, Parquet): the first frame's columns make the header or schema;
        floats in TSV as ``%.6g``."""
        if self.kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(str(self.path), table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        else:
            frame.to_csv(
                self._handle,
                sep="\t",
                index=False,
                header=self._frames == 0,
                float_format=FLOAT_FORMAT,
                lineterminator="\n",
            )
        self._frames += 1

    def put_text(self, name: str, values: list[str] | tuple[str, ...], **attrs) -> None:
        """A fixed dataset of text (HDF5), such as the task names, written once if missing,
        and ``attrs`` on the file."""
        if name not in self.h5:
            data = np.array(values, dtype=object)
            self.h5.create_dataset(name, data=data, dtype=h5py.string_dtype())
            self.h5.attrs.update(attrs)

    def append(self, name: str, values: np.ndarray, dtype=None) -> None:
        """Append ``values`` (n, ...) to dataset ``name`` (HDF5), created on first use with
        ``dtype`` (default: the values'; text: variable-length strings)."""
        values = np.asarray(values)
        if dtype is None:
            text = values.dtype.kind in "OUS"
            dtype = h5py.string_dtype() if text else values.dtype
            values = values.astype(object) if text else values
        h5, n, tail = self._handle, len(values), tuple(values.shape[1:])
        if name not in h5:
            h5.create_dataset(
                name, shape=(0, *tail), maxshape=(None, *tail), dtype=dtype,
                chunks=(max(1024, n), *tail),
            )  # fmt: skip
        dataset = h5[name]
        old = dataset.shape[0]
        dataset.resize(old + n, axis=0)
        dataset[old:] = values

    def close(self) -> None:
        """Close the open file handles (safe to call twice)."""
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None
