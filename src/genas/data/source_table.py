"""A CSV/TSV table with a sequence column and numeric label columns."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from genas.config import TableData
from genas.data.dataset import ArrayDataset, DataSplits
from genas.data.encoding import encode_records
from genas.data.origins import SequenceOrigins
from genas.data.table_labels import ClassLabels, LabelReader, binary_labels, label_reader
from genas.errors import InputError
from genas.seq.fasta import open_text


def table_delimiter(path: Path) -> str:
    """``,`` for .csv(.gz), tab for .tsv/.txt/.tab(.gz)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext == ".csv":
        return ","
    if ext in (".tsv", ".txt", ".tab"):
        return "\t"
    raise InputError(
        path, f"unknown table extension {ext or '(none)'!r}; use .csv or .tsv (.gz ok)"
    )


class TableRows(NamedTuple):
    """The rows of a labelled sequence table.

    Attributes:
        names: (N,) the id column, or ``file:line``.
        sequences: (N,).
        labels: float32 (N, T).
        tasks: (T,) the label columns' names.
        lines: (N,) each row's line in the file, for messages.
    """

    names: list[str]
    sequences: list[str]
    labels: np.ndarray
    tasks: list[str]
    lines: list[int]


def table_header(path: str | Path, columns: list[str]) -> list[str]:
    """The header of a sequence table, checked to hold ``columns``.

    Raises:
        InputError: naming the file, for an unknown extension, no header line, or a missing
            column (listing the available ones).
    """
    path = Path(path)
    delimiter = table_delimiter(path)
    with open_text(path) as fh:
        header = next(csv.reader(fh, delimiter=delimiter), None)
    if header is None:
        raise InputError(path, "empty table (no header line)")
    header = [h.strip() for h in header]
    available = ", ".join(repr(h) for h in header)
    for column in columns:
        if column not in header:
            raise InputError(path, f"no column {column!r}; available: {available}", 1)
    return header


def iter_table(
    path: str | Path, sequence_column: str, columns: list[str]
) -> Iterator[tuple[int, str, list[str]]]:
    """Yield ``(line, sequence, cells of columns)`` for each row of a sequence table
    (.csv, .tsv, gzip or not), blank rows skipped, streamed.

    Raises:
        InputError: naming file (and line), as :func:`table_header`, and for a short row, an
            empty sequence, or a table without rows.
    """
    path = Path(path)
    header = table_header(path, [sequence_column, *columns])
    seq_i, column_i = header.index(sequence_column), [header.index(c) for c in columns]
    rows = 0
    with open_text(path) as fh:
        reader = csv.reader(fh, delimiter=table_delimiter(path))
        next(reader)
        for row in reader:
            lineno = reader.line_num
            if not row or all(not v.strip() for v in row):
                continue
            if len(row) < len(header):
                raise InputError(
                    path, f"row has {len(row)} fields, the header has {len(header)}", lineno
                )
            if not row[seq_i].strip():  # as the FASTA reader refuses an empty record
                raise InputError(path, f"empty sequence in column {sequence_column!r}", lineno)
            rows += 1
            yield lineno, row[seq_i].strip(), [row[i].strip() for i in column_i]
    if not rows:
        raise InputError(path, "table has a header but no rows")


def read_table(
    path: str | Path,
    sequence_column: str,
    label_columns: list[str] | None,
    id_column: str | None,
    labels: LabelReader = binary_labels,
) -> TableRows:
    """Read a labelled sequence table.

    Args:
        labels: reads the label cells by task type (:mod:`genas.data.table_labels`;
            default binary: 0 or 1).

    Raises:
        InputError: naming file (and line), for a missing column (listing the available
            ones), a short row, a label that does not fit the task type, or a table
            without rows.
    """
    path = Path(path)
    ids = [id_column] if id_column else []
    header = table_header(path, [sequence_column, *ids, *(label_columns or [])])
    if label_columns is None:
        label_columns = [h for h in header if h not in [sequence_column, *ids]]
    if not label_columns:
        raise InputError(path, f"no label columns besides {sequence_column!r}", 1)
    names, seqs, cells, lines = [], [], [], []
    for lineno, sequence, values in iter_table(path, sequence_column, ids + label_columns):
        names.append(values[0] if id_column else f"{path.name}:{lineno}")
        seqs.append(sequence)
        cells.append(values[len(ids) :])
        lines.append(lineno)
    y = labels(cells, lines, list(label_columns), path)
    return TableRows(names, seqs, y, list(label_columns), lines)


def load_table_source(cfg: TableData, seed: int) -> DataSplits:
    """Read the table splits; missing valid/test splits are None.

    The label columns of the train table (``label_columns``, or every column except the
    sequence and id columns) must be present in the valid and test tables too.
    """
    del seed  # nothing random here
    # one reader for every split: a multiclass one keeps the train table's classes
    reader = label_reader(cfg.task_type, cfg.class_names)
    train = read_table(cfg.train, cfg.sequence_column, cfg.label_columns, cfg.id_column, reader)
    if cfg.length is not None:
        length, source = cfg.length, "data.length"
    else:
        length = len(train.sequences[0])
        source = f"the length of the first row of {cfg.train.name}"
    tasks = train.tasks

    def dataset(path: Path, rows: TableRows) -> ArrayDataset:
        x = encode_records(
            rows.names, rows.sequences, length, cfg.fit_length, cfg.invalid_bases, path,
            source, lines=rows.lines,
        )
        lengths = [len(q) for q in rows.sequences]
        return ArrayDataset(x, rows.labels, SequenceOrigins.of_records(rows.names, lengths, length))

    splits = {"train": dataset(cfg.train, train), "valid": None, "test": None}
    for split in ("valid", "test"):
        path = getattr(cfg, split)
        if path is not None:
            rows = read_table(path, cfg.sequence_column, tasks, cfg.id_column, reader)
            splits[split] = dataset(path, rows)
    return DataSplits(
        train=splits["train"],
        valid=splits["valid"],
        test=splits["test"],
        task_names=tasks,
        task_groups=None,
        input_length=length,
        class_names=reader.classes if isinstance(reader, ClassLabels) else None,
    )
