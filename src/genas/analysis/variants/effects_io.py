"""Effect tables: chunks to DataFrames, streamed writers (TSV, Parquet, HDF5) and a reader.

Layouts:

- long (default): one row per (variant, task): the key columns, ``task``, then the scores
  (the model's task type's: :func:`~genas.analysis.variants.scoring.score_names`).
- wide: one row per variant: the key columns, then ``<task>.<score>`` for every task and
  score.
- HDF5 (``.h5``/``.hdf5``) is always matrix-shaped: one dataset per key column (n,), one per
  score (n, T) float32, and ``task_names`` (T,).

Key columns are ``chrom, pos, id, ref, alt, ref_match`` for variants and
``pair, ref_name, alt_name`` for sequence pairs, followed by ``ref_class, alt_class`` for a
multiclass model. ``ref`` and ``alt`` are the alleles; the predictions for them are
``ref_prob`` and ``alt_prob`` (``ref_value`` and ``alt_value`` for regression). For a
multiclass model the "tasks" are its classes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from genas.analysis.variants.scoring import ALL_SCORES, SCORES
from genas.errors import InputError, missing_file
from genas.table_files import TableWriter, open_table, output_format


def effects_frame(
    keys: Mapping[str, Sequence | np.ndarray],
    scores: Mapping[str, np.ndarray],
    task_names: Sequence[str],
    wide: bool = False,
) -> pd.DataFrame:
    """The rows of one chunk: n variants x T tasks (long) or n rows (wide); the score
    columns in the order of ``scores``."""
    n, t = len(next(iter(scores.values()))), len(task_names)
    if wide:
        columns = {k: np.asarray(v) for k, v in keys.items()}
        for task_index, task in enumerate(task_names):
            for name, values in scores.items():
                columns[f"{task}.{name}"] = values[:, task_index]
        return pd.DataFrame(columns)
    columns = {k: np.repeat(np.asarray(v), t) for k, v in keys.items()}
    columns["task"] = np.tile(np.asarray(task_names, dtype=object), n)
    for name, values in scores.items():
        columns[name] = values.reshape(-1)
    return pd.DataFrame(columns)


@contextlib.contextmanager
def open_effects_writer(
    path: str | Path,
    task_names: Sequence[str],
    key_names: Sequence[str],
    wide: bool = False,
    score_names: Sequence[str] = SCORES,
) -> Iterator[EffectsWriter]:
    """An :class:`EffectsWriter` whose file appears (atomically) when the block succeeds.

    Args:
        path: output; the format follows the extension (:func:`output_format`).
        task_names: the model's T task names (a multiclass model's class names).
        key_names: the key columns, in order.
        wide: wide layout (TSV/Parquet).
        score_names: the score columns, in order (default: the binary scores).
    """
    with open_table(path) as table:
        writer = EffectsWriter(table, task_names, key_names, wide, score_names)
        yield writer
        writer.finish()


class EffectsWriter:
    """Appends chunks of effects to ``table``; made by :func:`open_effects_writer`."""

    def __init__(
        self,
        table: TableWriter,
        task_names: Sequence[str],
        key_names: Sequence[str],
        wide: bool = False,
        score_names: Sequence[str] = SCORES,
    ):
        self._table = table
        self.task_names = list(task_names)
        self.key_names = list(key_names)
        self.wide = wide
        self.score_names = list(score_names)
        self.rows = 0

    def write(self, keys: Mapping[str, Sequence | np.ndarray], scores: Mapping[str, np.ndarray]):
        """Append n rows: key columns of n values, scores of (n, T) (in :attr:`score_names`
        order)."""
        n = len(next(iter(scores.values())))
        if n == 0:
            return
        self._write(keys, {name: scores[name] for name in self.score_names})
        self.rows += n

    def _write(self, keys, scores) -> None:
        if self._table.kind != "hdf5":
            self._table.write_frame(effects_frame(keys, scores, self.task_names, self.wide))
            return
        layout = "one dataset per key column (n,), one per score (n, T)"
        self._table.put_text("task_names", self.task_names, layout=layout)
        for name in self.key_names:
            self._table.append(name, keys[name])
        for name in self.score_names:
            self._table.append(name, scores[name], np.float32)

    def finish(self) -> None:
        """Complete the file: with no rows, a header-only TSV, empty Parquet or HDF5 datasets."""
        if self.rows:
            return
        t = len(self.task_names)
        keys: dict[str, np.ndarray] = {}
        for k in self.key_names:
            dtype = np.int64 if k in ("pos", "pair") else bool if k == "ref_match" else object
            keys[k] = np.array([], dtype=dtype)
        self._write(keys, {name: np.zeros((0, t), np.float32) for name in self.score_names})


def read_effects(path: str | Path, task: str, score: str = "diff") -> pd.DataFrame:
    """One task's score from an effects file (any layout): the key columns and ``score``.

    Raises:
        InputError: an unreadable file, an unknown task or score.
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file(path)
    if score not in ALL_SCORES:
        raise InputError(path, f"unknown score {score!r} (scores: {', '.join(ALL_SCORES)})")
    kind = output_format(path)
    try:
        if kind == "hdf5":
            return _read_hdf5(path, task, score)
        frame = pd.read_parquet(path) if kind == "parquet" else pd.read_csv(path, sep="\t")
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise InputError(path, f"cannot read effects table ({error})") from None
    if "task" in frame.columns:
        if score not in frame.columns:
            raise InputError(path, f"no column {score!r}")
        keys = [c for c in frame.columns if c not in ALL_SCORES and c != "task"]
        if frame.empty:  # nothing was scored: no task names to check against
            return frame[[*keys, score]]
        tasks = list(dict.fromkeys(frame["task"].astype(str)))
        if task not in tasks:
            raise InputError(path, f"unknown task {task!r} (tasks: {_shown(tasks)})")
        rows = frame[frame["task"].astype(str) == task]
        return rows[[*keys, score]].reset_index(drop=True)
    column = f"{task}.{score}"
    if column not in frame.columns:
        tasks = list(dict.fromkeys(c.rsplit(".", 1)[0] for c in frame.columns if "." in c))
        if task not in tasks:
            raise InputError(path, f"unknown task {task!r} (tasks: {_shown(tasks)})")
        raise InputError(path, f"no column {column!r}")
    keys = [c for c in frame.columns if "." not in c]
    out = frame[[*keys, column]].rename(columns={column: score})
    return out.reset_index(drop=True)


def _read_hdf5(path: Path, task: str, score: str) -> pd.DataFrame:
    with h5py.File(path, "r") as h5:
        if "task_names" not in h5 or score not in h5:
            raise InputError(path, f"not a genas effects file (needs task_names and {score})")
        tasks = [t.decode() if isinstance(t, bytes) else str(t) for t in h5["task_names"][:]]
        if task not in tasks:
            raise InputError(path, f"unknown task {task!r} (tasks: {_shown(tasks)})")
        columns = {}
        for name in h5:
            dataset = h5[name]
            if name in ALL_SCORES or name == "task_names" or dataset.ndim != 1:
                continue
            values = dataset[:]
            if values.dtype.kind in "OS":
                values = np.array(
                    [v.decode() if isinstance(v, bytes) else v for v in values], dtype=object
                )
            columns[name] = values
        columns[score] = h5[score][:, tasks.index(task)]
    return pd.DataFrame(columns)


def _shown(names: Sequence[str], n: int = 8) -> str:
    return ", ".join(names[:n]) + (", ..." if len(names) > n else "")
