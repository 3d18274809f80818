"""The Pareto front of a multi-objective search, computed from its history, and
``pareto.json``.

A point *dominates* another when it is at least as good in every objective and better in
one. The front is the set of points no other point dominates; :func:`non_dominated_ranks`
peels fronts off one after another (rank 0 is the front, rank 1 the front of the rest, ...:
the non-dominated sorting of NSGA-II, Deb et al. 2002), written out here in a dozen lines of
NumPy rather than taken from Optuna's private helpers.

Pure Python and NumPy: strategies use the ranks too, and they never import torch networks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from genas.config import SearchConfig
from genas.errors import GenasError
from genas.fileio import atomic_write_json
from genas.run_files import PARETO_JSON, read_json

#: File format tag of ``pareto.json``.
FORMAT = "genas-pareto"


def objective_pairs(objectives: Sequence[dict[str, str]] | None) -> list[tuple[str, str]]:
    """``search.objectives`` (``[{"auroc_mean": "max"}, ...]``) as ``[(name, direction)]``."""
    return [pair for entry in objectives or [] for pair in entry.items()]


def strategy_objectives(search: SearchConfig) -> int:
    """How many values a strategy is told per architecture: every objective of a
    multi-objective search, else one (a single objective, or a scalarization of several)."""
    n = len(objective_pairs(search.objectives))
    return 1 if n < 2 or search.scalarization is not None else n


def oriented(values: Sequence[float], directions: Sequence[str]) -> list[float]:
    """``values`` turned so that higher is better for each: a minimised one negated."""
    return [float(v) if d == "max" else -float(v) for v, d in zip(values, directions, strict=True)]


def non_dominated_ranks(points: np.ndarray) -> np.ndarray:
    """The non-domination rank of each point (0: on the front).

    Args:
        points: float (N, K), higher is better in every column (see :func:`oriented`);
            finite values.

    Returns:
        int64 (N,): 0 for the points no other point dominates, 1 for those only rank-0
        points dominate, and so on. Equal points share a rank.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"points must be (N, K), got shape {points.shape}")
    ranks = np.full(len(points), -1, dtype=np.int64)
    left, rank = np.arange(len(points)), 0
    while left.size:  # peel off the front of the points left
        on_front = pareto_mask(points[left])
        ranks[left[on_front]] = rank
        left, rank = left[~on_front], rank + 1
    return ranks


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """bool (N,): which of the points (float (N, K), higher is better) no other dominates.

    The points are visited in descending lexicographic order, where a point's dominators
    all come before it, and each is checked against the front found so far only (a
    dominated dominator is dominated by a point of that front): N × front size
    comparisons, fast for the tens of thousands of rows a long search writes.
    """
    points = np.asarray(points, dtype=np.float64)
    mask = np.zeros(len(points), dtype=bool)
    front = np.empty_like(points)
    size = 0
    for i in np.lexsort(points.T[::-1])[::-1]:  # column 0 first, then 1, ...
        seen = front[:size]
        if ((seen >= points[i]).all(axis=1) & (seen > points[i]).any(axis=1)).any():
            continue
        mask[i] = True
        front[size] = points[i]
        size += 1
    return mask


def front_rows(rows: Sequence[dict], names: Sequence[str], directions: Sequence[str]) -> list[dict]:
    """The history rows on the Pareto front of objectives ``names``.

    Only rows of feasible architectures with a finite value of every objective count
    (``row["objectives"]``); an architecture scored more than once counts with its row of
    the best first objective (the reward; the earliest of equals). Returned best first
    objective first (ties: the earlier row).
    """
    sign = 1.0 if directions[0] == "max" else -1.0
    best: dict[str, dict] = {}
    for row in rows:
        values = row.get("objectives") or {}
        if row.get("feasible") is False or not all(_finite(values.get(n)) for n in names):
            continue
        kept = best.get(row["arch_hash"])
        if kept is None or sign * values[names[0]] > sign * kept["objectives"][names[0]]:
            best[row["arch_hash"]] = row
    candidates = list(best.values())
    if not candidates:
        return []
    points = np.array(
        [oriented([r["objectives"][n] for n in names], directions) for r in candidates]
    )
    front = [row for row, kept in zip(candidates, pareto_mask(points), strict=True) if kept]
    return sorted(
        front, key=lambda r: (-sign * r["objectives"][names[0]], r["step"], r["index"])
    )


def pareto_record(rows: Sequence[dict], objectives: Sequence[dict[str, str]]) -> dict[str, Any]:
    """What ``pareto.json`` holds: the objectives, and the front's points (numbered from 1,
    best first objective first), each with its architecture, objective values, step and
    index in the history; with counts of the rows behind it."""
    pairs = objective_pairs(objectives)
    names, directions = [n for n, _ in pairs], [d for _, d in pairs]
    front = front_rows(rows, names, directions)
    return {
        "format": FORMAT,
        "objectives": [{"name": n, "direction": d} for n, d in pairs],
        "n_rows": len(rows),
        "n_feasible": sum(1 for row in rows if row.get("feasible") is not False),
        "points": [
            {
                "point": number,
                "arch_hash": row["arch_hash"],
                "tokens": list(row["tokens"]),
                "objectives": {n: row["objectives"][n] for n in names},
                "step": row["step"],
                "index": row["index"],
            }
            for number, row in enumerate(front, start=1)
        ],
    }


def write_pareto(run_dir: Path, rows: Sequence[dict], objectives: Sequence[dict[str, str]]) -> dict:
    """Write :func:`pareto_record` of history ``rows`` as ``run_dir/pareto.json``
    (atomically); returns it."""
    record = pareto_record(rows, objectives)
    atomic_write_json(run_dir / PARETO_JSON, record)
    return record


def read_pareto(run_dir: Path) -> dict | None:
    """``run_dir/pareto.json`` (None when absent).

    Raises:
        GenasError: a file that is not a Pareto front genas wrote.
    """
    path = Path(run_dir) / PARETO_JSON
    record = read_json(path)
    if record is None:
        return None
    points = record.get("points")
    if record.get("format") != FORMAT or not isinstance(points, list) or not all(
        isinstance(p, dict) and isinstance(p.get("tokens"), list) and _objectives(p)
        for p in points
    ):
        raise GenasError(f"{path}: not a genas Pareto front (format {FORMAT!r})")
    return record


def _objectives(point: dict) -> bool:
    """Whether a point's ``objectives`` is a mapping of names to finite numbers."""
    objectives = point.get("objectives", {})
    return isinstance(objectives, dict) and all(_finite(v) for v in objectives.values())


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
