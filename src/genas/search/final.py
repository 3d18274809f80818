"""The end of a search: its final choice (``search.final``), written as
``best_architecture.json`` with the reward, the steps and the seconds it took."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from genas.errors import GenasError
from genas.fileio import atomic_write_json
from genas.run_files import BEST_ARCHITECTURE, PROBABILITIES_JSONL
from genas.search.history import read_probabilities, total_parts
from genas.search.strategies.base import Strategy
from genas.space import Architecture, ModelSpace


@dataclass
class SearchResult:
    run_dir: Path
    space: ModelSpace
    best: Architecture
    best_reward: float
    steps_done: int
    seconds: float
    stopped_by: str  # "steps" | "budget"


def choose_final(
    space: ModelSpace, rows: list[dict], strategy: Strategy, rule: str
) -> tuple[Architecture, float]:
    """The search's choice by ``search.final``: the best reward of the whole search
    (``best``), AMBER's rule (the best of the last completed step: ``best_last_step``), or
    the policy's most likely architecture (``most_likely``)."""
    if rule == "most_likely":
        arch = strategy.most_likely()
        scored = [r["reward"] for r in rows if r["arch_hash"] == arch.hash and r["reward"]]
        return arch, (max(scored) if scored else math.nan)
    last = max(r["step"] for r in rows) if rule == "best_last_step" else None
    candidates = [r for r in rows if r["reward"] is not None and last in (None, r["step"])]
    if not candidates:
        candidates = [r for r in rows if r["reward"] is not None]
    if not candidates:
        raise GenasError("no architecture of the search got a finite reward")
    best = max(candidates, key=lambda r: r["reward"])
    return Architecture.from_tokens(space, best["tokens"]), best["reward"]


def write_final_choice(
    run_dir: Path,
    space: ModelSpace,
    rows: list[dict],
    strategy: Strategy,
    rule: str,
    seconds: float,
    stopped_by: str,
) -> SearchResult:
    """Choose the final architecture among the history ``rows`` (:func:`choose_final`) and
    write it into ``best_architecture.json``, with the search's ``seconds`` (and where they
    went, from ``controller_probabilities.jsonl``) and why it stopped.

    Raises:
        GenasError: the search scored no architecture, or none got a finite reward.
    """
    if not rows:
        raise GenasError(f"{run_dir}: the search scored no architecture (budget too small?)")
    best, best_reward = choose_final(space, rows, strategy, rule)
    steps_done = max(r["step"] for r in rows) + 1
    record = best.to_json_dict(space)
    record.update(
        {
            "reward": best_reward,
            "chosen_by": rule,
            "steps_done": steps_done,
            "search_seconds": seconds,
            "seconds_by_part": total_parts(read_probabilities(run_dir / PROBABILITIES_JSONL)),
            "stopped_by": stopped_by,
        }
    )
    atomic_write_json(run_dir / BEST_ARCHITECTURE, record)
    return SearchResult(run_dir, space, best, best_reward, steps_done, seconds, stopped_by)

