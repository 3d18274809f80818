"""The search history on disk: one JSON line per scored architecture, plus a CSV copy.

Rows are appended after each controller step, before the step's checkpoint is written. A
resumed search first drops rows of steps the checkpoint does not cover, so a run killed
between the two writes never counts a step twice.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from genas.fileio import atomic_write_text

HISTORY_JSONL = "history.jsonl"
HISTORY_CSV = "history.csv"
PROBABILITIES_JSONL = "controller_probabilities.jsonl"
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


def read_jsonl(path: Path) -> list[dict]:
    """All rows of a JSON-lines file ([] if missing); a torn last line is ignored."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return rows


def append_jsonl(path: Path, rows: list[dict]) -> None:
    """Append rows and fsync, so a finished step survives a crash."""
    with open(path, "a") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def truncate_to_steps(path: Path, n_steps: int) -> list[dict]:
    """Keep only rows with ``step < n_steps`` (rewritten atomically); return them."""
    rows = [row for row in read_jsonl(path) if row["step"] < n_steps]
    atomic_write_text(path, "".join(json.dumps(row) + "\n" for row in rows))
    return rows


def write_history_csv(path: Path, rows: list[dict]) -> None:
    """The history as CSV (tokens space-separated), atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        flat = {**row, **row.get("metrics", {})}
        flat["tokens"] = " ".join(str(t) for t in row["tokens"])
        writer.writerow(flat)
    atomic_write_text(path, buffer.getvalue())
