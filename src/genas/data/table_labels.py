"""Label cells of a sequence table, read by task type (docs/tasks.md).

- binary: each cell 0 or 1;
- regression: each cell a finite number, or empty / ``NA`` / ``nan`` (unknown);
- multiclass: one label column of class names or integers 0..K-1 (not both), or empty /
  ``NA`` (unknown). Without ``data.class_names`` the classes are those of the train table
  (names sorted; integers 0..max); a valid or test label outside them is an error.

Each reader maps ``cells`` (N rows x T columns of stripped text) to float32 (N, T) labels
(class indices for multiclass) and raises a one-line :class:`InputError` naming the file,
line and column of the first bad cell.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from genas.errors import InputError, shown

#: Cells read as an unknown label (regression, multiclass), compared in lower case.
MISSING = frozenset({"", "na", "nan", "n/a"})
_INTEGER = re.compile(r"[+-]?\d+")

#: ``(cells, lines, columns, path) -> float32 (N, T)``.
LabelReader = Callable[[Sequence[Sequence[str]], Sequence[int], Sequence[str], Path], np.ndarray]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def binary_labels(
    cells: Sequence[Sequence[str]], lines: Sequence[int], columns: Sequence[str], path: Path
) -> np.ndarray:
    """0/1 cells; anything else is refused with a hint at the task type that fits it."""
    out = np.zeros((len(cells), len(columns)), dtype=np.float32)
    for r, (row, line) in enumerate(zip(cells, lines, strict=True)):
        for c, (text, column) in enumerate(zip(row, columns, strict=True)):
            value = _number(text)
            if value not in (0.0, 1.0):  # text, NaN and infinities included
                raise InputError(
                    path,
                    f"label column {column!r}: {shown(text)} is not 0 or 1 "
                    f"(data.task_type is binary{_binary_hint(text, value)})",
                    line,
                )
            out[r, c] = value
    return out


def _binary_hint(text: str, value: float) -> str:
    if math.isfinite(value):
        if value == round(value):
            return "; set data.task_type: multiclass for class labels"
        return "; set data.task_type: regression for numbers"
    if math.isnan(value) and text.lower() not in MISSING:
        return "; set data.task_type: multiclass for class names"
    return ""


def regression_labels(
    cells: Sequence[Sequence[str]], lines: Sequence[int], columns: Sequence[str], path: Path
) -> np.ndarray:
    """Finite numbers; empty / NA / nan cells are unknown (NaN)."""
    out = np.full((len(cells), len(columns)), np.nan, dtype=np.float32)
    for r, (row, line) in enumerate(zip(cells, lines, strict=True)):
        for c, (text, column) in enumerate(zip(row, columns, strict=True)):
            if text.lower() in MISSING:
                continue
            value = _number(text)
            if not math.isfinite(value):
                raise InputError(
                    path,
                    f"label column {column!r}: {shown(text)} is not a finite number "
                    "(data.task_type is regression)",
                    line,
                )
            out[r, c] = value
    return out


class ClassLabels:
    """Reads multiclass cells; the first table read (train) fixes the class list unless
    ``class_names`` gives it.

    Attributes:
        classes: the K class names in output order (None until a table was read).
    """

    def __init__(self, class_names: Sequence[str] | None = None) -> None:
        self.classes: list[str] | None = None if class_names is None else list(class_names)
        self.from_config = class_names is not None
        self.integers = False  # the classes are the integers 0..K-1 of the train table

    def __call__(
        self,
        cells: Sequence[Sequence[str]],
        lines: Sequence[int],
        columns: Sequence[str],
        path: Path,
    ) -> np.ndarray:
        if len(columns) != 1:
            raise InputError(
                path,
                f"data.task_type multiclass takes one label column, found {len(columns)}: "
                f"{', '.join(repr(c) for c in columns[:5])}; give data.label_columns",
                1,
            )
        column = columns[0]
        texts = [row[0] for row in cells]
        if self.classes is None:
            self._learn(texts, lines, column, path)
        index = {name: i for i, name in enumerate(self.classes)}
        out = np.full((len(texts), 1), np.nan, dtype=np.float32)
        for r, (text, line) in enumerate(zip(texts, lines, strict=True)):
            if text.lower() in MISSING:
                continue
            key = str(int(text)) if self.integers and _INTEGER.fullmatch(text) else text
            if key not in index:
                raise InputError(path, f"label column {column!r}: {self._unknown(text)}", line)
            out[r, 0] = index[key]
        return out

    def _unknown(self, text: str) -> str:
        shown_classes = ", ".join(repr(c) for c in self.classes[:10])
        more = ", ..." if len(self.classes) > 10 else ""
        if self.from_config:
            return f"class {shown(text)} is not in data.class_names ({shown_classes}{more})"
        return (
            f"class {shown(text)} was not seen in the train table (classes: {shown_classes}{more})"
        )

    def _learn(self, texts: list[str], lines: Sequence[int], column: str, path: Path) -> None:
        """The class list of the train table: integers 0..max, or the sorted names."""
        kinds = {}
        for text, line in zip(texts, lines, strict=True):
            if text.lower() in MISSING:
                continue
            kind = "integer" if _INTEGER.fullmatch(text) else "name"
            if kind == "name" and math.isfinite(_number(text)):
                raise InputError(
                    path,
                    f"label column {column!r}: {shown(text)} is neither a class name nor a "
                    "class index 0..K-1 (data.task_type is multiclass)",
                    line,
                )
            first = kinds.setdefault("first", (kind, line))
            if kind != first[0]:
                raise InputError(
                    path,
                    f"label column {column!r}: mixed label kinds: {shown(text)} is a class "
                    f"{kind}, line {first[1]} holds a class {first[0]} (use class names or "
                    "integers 0..K-1 throughout)",
                    line,
                )
            if kind == "integer" and int(text) < 0:
                raise InputError(
                    path, f"label column {column!r}: class index {text} is negative", line
                )
        known = [t for t in texts if t.lower() not in MISSING]
        if "first" in kinds and kinds["first"][0] == "integer":
            self.integers = True
            self.classes = [str(i) for i in range(max(int(t) for t in known) + 1)]
        else:
            self.classes = sorted(set(known))
        if len(self.classes) < 2:
            raise InputError(
                path,
                f"label column {column!r}: multiclass needs at least 2 classes, found "
                f"{len(self.classes)}",
            )


def label_reader(task_type: str, class_names: Sequence[str] | None = None) -> LabelReader:
    """The reader of ``task_type``'s label cells (a :class:`ClassLabels` for multiclass)."""
    if task_type == "binary":
        return binary_labels
    if task_type == "regression":
        return regression_labels
    if task_type == "multiclass":
        return ClassLabels(class_names)
    raise ValueError(f"unknown task type {task_type!r}")
