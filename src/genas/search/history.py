"""The search history on disk: one JSON line per scored architecture, plus a CSV copy.

Rows are appended after each controller step, before the step's checkpoint is written. A
resumed search first drops rows of steps the checkpoint does not cover, so a run killed
between the two writes never counts a step twice.

Every row read is checked (:class:`HistoryRow`, :class:`ProbabilityRow`, and with the model
space, the tokens and the shapes of the probabilities), so a hand-edited or damaged file is a
one-line :class:`~genas.errors.InputError` naming its line, not a crash in whatever reads
the row later.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genas.config import format_validation_error
from genas.errors import InputError
from genas.fileio import about_path, atomic_write_text
from genas.run_files import HISTORY_CSV, HISTORY_JSONL, PROBABILITIES_JSONL
from genas.space import Architecture, ModelSpace

CSV_COLUMNS = [
    "step",
    "index",
    "arch_hash",
    "reward",
    "valid",
    "mean_auroc",
    "median_auroc",
    "mean_auprc",
    "loss",
    "seconds",
    "tokens",
    "error",
]
#: Metric columns of regression and multiclass searches, written (before ``loss``) when
#: the rows hold them.
TASK_CSV_COLUMNS = [
    "mean_pearson",
    "median_pearson",
    "mean_spearman",
    "mean_r2",
    "mean_mse",
    "accuracy",
    "macro_auroc",
    "macro_f1",
]
#: Columns of a multi-objective or constrained search (genas.search.objectives), written
#: (after ``valid``) when the rows hold them.
OBJECTIVE_CSV_COLUMNS = ["feasible", "parameters", "latency_ms", "scalarized"]
#: Columns of a knowledge-guided search (genas.search.knowledge), written (after
#: ``reward``, the total) when the rows hold them.
KNOWLEDGE_CSV_COLUMNS = ["base_reward", "knowledge", "knowledge_recovered"]


Finite = Annotated[float, Field(allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1)]


class HistoryRow(BaseModel):
    """A line of ``history.jsonl``: one architecture scored at a step (other keys kept)."""

    model_config = ConfigDict(extra="allow", strict=True)

    step: int = Field(ge=0)
    index: int = Field(ge=0)
    arch_hash: str
    tokens: list[int]
    reward: Finite | None
    valid: bool = True
    metrics: dict[str, Any] = Field(default_factory=dict)
    seconds: Finite | None = None
    error: str | None = None
    # a multi-objective or constrained search (genas.search.objectives)
    objectives: dict[str, int | Finite | None] | None = None
    feasible: bool = True
    scalarized: Finite | None = None
    # a knowledge-guided search (genas.search.knowledge): reward = base_reward + weight x
    # knowledge; the recovered motif ids and the best q of each given motif
    base_reward: Finite | None = None
    knowledge: Finite | None = None
    knowledge_recovered: list[str] | None = None
    knowledge_q: dict[str, Finite | None] | None = None


class ProbabilityRow(BaseModel):
    """A line of ``controller_probabilities.jsonl``: the policy after a step."""

    model_config = ConfigDict(extra="allow", strict=True)

    step: int = Field(ge=0)
    ops: list[list[Probability]] = Field(default_factory=list)
    skips: list[list[Probability]] = Field(default_factory=list)
    stats: dict[str, Finite | None] = Field(default_factory=dict)
    seconds: dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )


def read_jsonl(path: Path, row_type: type[BaseModel] | None = None) -> list[dict]:
    """All rows of a JSON-lines file ([] if missing); see :func:`_numbered_rows`."""
    return [row for _, row in _numbered_rows(path, row_type)]


def read_history(path: Path, space: ModelSpace | None = None) -> list[dict]:
    """The rows of ``history.jsonl`` ([] if missing); with ``space``, each row's tokens must
    be an architecture of it.

    Raises:
        InputError: naming the file and line of a row that is not a :class:`HistoryRow`,
            or whose tokens ``space`` cannot decode.
    """
    rows = _numbered_rows(path, HistoryRow)
    if space is not None:
        for line, row in rows:
            try:
                Architecture.from_tokens(space, row["tokens"])
            except ValueError as error:
                raise InputError(path, f"tokens: {error}", line) from None
    return [row for _, row in rows]


def read_probabilities(path: Path, space: ModelSpace | None = None) -> list[dict]:
    """The rows of ``controller_probabilities.jsonl`` ([] if missing); with ``space``,
    ``ops`` and ``skips`` (when given) must have its shape: one list per layer, of one
    probability per op of the layer, and of one per earlier layer.

    Raises:
        InputError: naming the file and line of a row that is not a :class:`ProbabilityRow`
            or does not have ``space``'s shape.
    """
    rows = _numbered_rows(path, ProbabilityRow)
    if space is not None:
        ops = [space.num_ops(i) for i in range(space.n_layers)]
        skips = list(range(space.n_layers))
        for line, row in rows:
            for key, shape in (("ops", ops), ("skips", skips)):
                found = [len(p) for p in row.get(key) or []]
                if found and found != shape:
                    raise InputError(
                        path,
                        f"{key}: lists of {found[:20]} probabilities, the space "
                        f"{space.name!r} needs {shape[:20]}",
                        line,
                    )
    return [row for _, row in rows]


def _numbered_rows(
    path: Path, row_type: type[BaseModel] | None = None
) -> list[tuple[int, dict]]:
    """``(line number, row)`` of each JSON object of a JSON-lines file ([] if missing),
    checked against ``row_type`` if given; blank lines are skipped.

    A last line without its newline that is not JSON is ignored: a write cut short (the
    process was killed in it). A bad line anywhere else is damage, which is reported rather
    than silently dropping it and every row after it.

    Raises:
        InputError: naming the file and line of a line that is not valid UTF-8, not a JSON
            object, or not a ``row_type``.
    """
    if not path.is_file():
        return []
    lines = path.read_bytes().split(b"\n")
    last = len(lines)
    rows = []
    for number, data in enumerate(lines, start=1):
        if not data.strip():
            continue
        try:
            row = json.loads(data)  # from bytes: a bad UTF-8 sequence is a ValueError too
        except (ValueError, RecursionError) as error:
            if number == last:
                break  # torn: there is no newline after it
            problem = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            raise InputError(path, f"not a JSON line ({problem})", number) from None
        if not isinstance(row, dict):
            raise InputError(path, f"expected a JSON object, found a {type(row).__name__}", number)
        if row_type is not None:
            try:
                row_type.model_validate(row)
            except ValidationError as error:
                raise InputError(path, format_validation_error(error, "row"), number) from None
        rows.append((number, row))
    return rows


def append_jsonl(path: Path, rows: list[dict]) -> None:
    """Append rows and fsync, so a finished step survives a crash.

    A write cut short (a full disk, a kill) leaves at most a torn last line, which the
    readers ignore and a resumed search removes; a file this call created is removed again
    when its first write fails (a full disk leaves no new file behind).
    """
    created = not path.exists()
    try:
        with open(path, "a") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        if created:
            with contextlib.suppress(OSError):
                path.unlink()
        if error.errno is None or error.filename is not None:
            raise
        raise about_path(error, path) from error  # a failed write names no file


def resume_history(run_dir: Path, n_steps: int, space: ModelSpace) -> list[dict]:
    """The history of the first ``n_steps`` steps (those a checkpoint holds), for a resumed
    search of ``space``.

    Both files (``history.jsonl``, ``controller_probabilities.jsonl``) are read and checked
    first: each must hold every one of these steps (a step's rows are written before its
    checkpoint). Then a file holding rows of later steps (a step the search was killed in
    after writing its rows, before its checkpoint) or a torn last line is rewritten
    atomically without them; a file that is already right is left alone.

    Raises:
        InputError: a malformed row (see :func:`read_history`), or a step missing from a file.
    """
    found = {
        HISTORY_JSONL: read_history(run_dir / HISTORY_JSONL, space),
        PROBABILITIES_JSONL: read_probabilities(run_dir / PROBABILITIES_JSONL, space),
    }
    kept = {}
    for name, rows in found.items():
        steps = {row["step"] for row in rows}
        missing = next((step for step in range(n_steps) if step not in steps), None)
        if missing is not None:
            raise InputError(
                run_dir / name,
                f"no row of step {missing}, which the checkpoint holds as done (the file was "
                "edited, truncated or replaced); cannot resume this search",
            )
        kept[name] = [row for row in rows if row["step"] < n_steps]
    for name, rows in kept.items():
        text = "".join(json.dumps(row) + "\n" for row in rows)
        path = run_dir / name
        if not path.is_file() or path.read_bytes() != text.encode():
            atomic_write_text(path, text)
    return kept[HISTORY_JSONL]


def write_history_csv(path: Path, rows: list[dict]) -> None:
    """The history as CSV (tokens space-separated), atomically."""
    present = {key for row in rows for key in row.get("metrics", {})}
    extra = [key for key in TASK_CSV_COLUMNS if key in present]
    found = {key for row in rows for key in (*row, *(row.get("objectives") or {}))}
    goals = [key for key in OBJECTIVE_CSV_COLUMNS if key in found]
    parts = [key for key in KNOWLEDGE_CSV_COLUMNS if key in found]
    at, after_valid = CSV_COLUMNS.index("loss"), CSV_COLUMNS.index("valid") + 1
    after_reward = CSV_COLUMNS.index("reward") + 1
    columns = (CSV_COLUMNS[:after_reward] + parts + CSV_COLUMNS[after_reward:after_valid]
               + goals + CSV_COLUMNS[after_valid:at] + extra + CSV_COLUMNS[at:])  # fmt: skip
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        costs = {k: v for k, v in (row.get("objectives") or {}).items()
                 if k in OBJECTIVE_CSV_COLUMNS}  # fmt: skip
        flat = {**row, **row.get("metrics", {}), **costs}
        flat["tokens"] = " ".join(str(t) for t in row["tokens"])
        if row.get("knowledge_recovered") is not None:
            flat["knowledge_recovered"] = " ".join(row["knowledge_recovered"])
        writer.writerow(flat)
    atomic_write_text(path, buffer.getvalue())


def clear_history(run_dir: Path) -> None:
    """Remove the history files of an earlier search in ``run_dir``: a new search starts."""
    for name in (HISTORY_JSONL, PROBABILITIES_JSONL):
        (run_dir / name).unlink(missing_ok=True)


def step_rows(step: int, archs: list[Architecture], scores: list) -> list[dict]:
    """The :class:`HistoryRow` of each architecture scored at ``step`` (its
    :class:`~genas.search.evaluators.base.Score`; non-finite numbers become null), with
    the parts of the reward when the score has a knowledge term."""
    return [
        {
            "step": step,
            "index": i,
            "arch_hash": arch.hash,
            "tokens": list(arch.to_tokens()),
            "reward": _finite_or_none(score.reward),
            "valid": score.valid,
            "metrics": {k: _finite_or_none(v) for k, v in score.metrics.items()},
            "seconds": score.seconds,
            "error": score.error,
            **_knowledge_fields(score),
        }
        for i, (arch, score) in enumerate(zip(archs, scores, strict=True))
    ]


def _knowledge_fields(score) -> dict:
    """``base_reward``, ``knowledge``, ``knowledge_recovered`` and ``knowledge_q`` of a
    score with a knowledge term ({} without one: a plain search's rows are unchanged)."""
    known = getattr(score, "knowledge", None)
    if known is None:
        return {}
    return {
        "base_reward": _finite_or_none(score.base_reward),
        "knowledge": float(known.score),
        "knowledge_recovered": list(known.recovered),
        "knowledge_q": {k: _finite_or_none(q) for k, q in known.best_q.items()},
    }


def probability_row(
    step: int, probabilities: dict, stats: dict, parts: dict[str, float]
) -> dict:
    """The :class:`ProbabilityRow` of ``step``: the strategy's ``probabilities`` and its
    numeric ``stats`` after the step, and where the step's seconds went (:func:`step_parts`)."""
    return {"step": step, **probabilities, "stats": _plain(stats), "seconds": parts}


def write_step(run_dir: Path, new_rows: list[dict], rows: list[dict], probabilities: dict) -> None:
    """Write a finished step: append its ``new_rows`` to ``history.jsonl`` and its
    :func:`probability_row` to ``controller_probabilities.jsonl``, then rewrite
    ``history.csv`` from all ``rows`` of the search (``new_rows`` included). The step's
    checkpoint is written after this (see the module's docstring)."""
    append_jsonl(run_dir / HISTORY_JSONL, new_rows)
    append_jsonl(run_dir / PROBABILITIES_JSONL, [probabilities])
    write_history_csv(run_dir / HISTORY_CSV, rows)


def step_parts(seconds: float, supernet: float, scoring: float) -> dict[str, float]:
    """Where a controller step's ``seconds`` went: supernet training (its minibatches and
    their sampled paths), scoring, and the rest, the controller's (sampling the architectures
    to score, learning from their rewards)."""
    return {"supernet": supernet, "scoring": scoring,
            "controller": max(seconds - supernet - scoring, 0.0)}


def total_parts(probability_rows: list[dict]) -> dict[str, float]:
    """:func:`step_parts` summed over the steps (rows of ``controller_probabilities.jsonl``;
    rows written before this split was recorded are skipped)."""
    totals = {"supernet": 0.0, "scoring": 0.0, "controller": 0.0}
    for row in probability_rows:
        for part, value in (row.get("seconds") or {}).items():
            totals[part] = totals.get(part, 0.0) + float(value)
    return totals


def _finite_or_none(value):
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return float(value) if isinstance(value, np.floating) else value


def _plain(stats: dict) -> dict:
    return {k: _finite_or_none(float(v)) for k, v in stats.items() if isinstance(v, int | float)}
