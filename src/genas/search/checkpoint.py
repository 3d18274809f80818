"""The search checkpoint: one file per run, replaced atomically after every controller step.

``search_state.pt`` holds the strategy, the evaluator (supernet + optimiser + data iterator),
the global RNG states, the next step and the elapsed time; only tensors and plain containers,
read with ``torch.load(weights_only=True)``. The previous checkpoint is kept as
``search_state.prev.pt`` and used if the newest one is corrupt.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import torch

from genas.errors import GenasError
from genas.fileio import atomic_path
from genas.run_files import SEARCH_STATE, SEARCH_STATE_PREVIOUS
from genas.search.evaluators.base import Evaluator
from genas.search.strategies.base import Strategy
from genas.train.seeding import get_rng_state, set_rng_state

FORMAT = "genas-search-state"


def save_search_state(run_dir: Path, state: dict[str, Any]) -> None:
    """Keep the current checkpoint as the previous one, then write the new one atomically."""
    current = run_dir / SEARCH_STATE
    with atomic_path(current) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)
        if current.exists():
            os.replace(current, run_dir / SEARCH_STATE_PREVIOUS)


def _load(path: Path) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a truncated/corrupt file
        raise GenasError(f"{path}: corrupt search checkpoint ({type(error).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GenasError(f"{path}: not a genas search checkpoint")
    return state


def load_search_state(run_dir: Path) -> dict[str, Any] | None:
    """The newest readable checkpoint of `run_dir` (None if there is none).

    A corrupt newest checkpoint falls back to the previous one with a warning naming it; if
    both are unreadable the error names the newest. A missing newest one (the process was
    killed while it saved the next) is the previous one, without a warning.
    """
    current, previous = run_dir / SEARCH_STATE, run_dir / SEARCH_STATE_PREVIOUS
    if not current.exists() and not previous.exists():
        return None
    if not current.exists():  # killed as it saved: between moving it aside and replacing it
        return _load(previous)
    try:
        return _load(current)
    except GenasError as error:
        if not previous.exists():
            raise
        try:
            state = _load(previous)
        except GenasError:
            raise GenasError(f"{error}; {previous.name} is unreadable too") from None
        warnings.warn(f"{error}; resuming from {previous.name}", stacklevel=2)
        return state


def save_step(
    run_dir: Path, next_step: int, elapsed: float, strategy: Strategy, evaluator: Evaluator
) -> None:
    """Checkpoint a search after a step: the step to run next, the seconds spent, the
    strategy's and the evaluator's states and the global RNG states."""
    save_search_state(
        run_dir,
        {
            "next_step": next_step,
            "elapsed": elapsed,
            "strategy": strategy.state_dict(),
            "evaluator": evaluator.state_dict(),
            "rng": get_rng_state(),
        },
    )


def restore_search(
    run_dir: Path, strategy: Strategy, evaluator: Evaluator
) -> tuple[int, float] | None:
    """Load the newest checkpoint of ``run_dir`` into ``strategy``, ``evaluator`` and the
    global RNGs; returns the step to run next and the seconds already spent (None: no
    checkpoint).

    Raises:
        GenasError: a checkpoint of another strategy, evaluator or space, or a damaged one.
    """
    state = load_search_state(run_dir)
    if state is None:
        return None
    try:
        strategy.load_state_dict(state["strategy"])
        evaluator.load_state_dict(state["evaluator"])
        set_rng_state(state["rng"])
        return int(state["next_step"]), float(state["elapsed"])
    except ValueError as error:  # a checkpoint of another strategy, evaluator or space
        raise GenasError(f"{run_dir}: cannot resume this search: {error}") from None
    except (KeyError, TypeError, IndexError, AttributeError, RuntimeError) as error:
        # a checkpoint that unpickles but whose content is damaged (keys, types, shapes)
        problem = (str(error).splitlines() or [""])[0][:200]
        raise GenasError(
            f"{run_dir}: damaged search checkpoint, cannot resume ({type(error).__name__}: "
            f"{problem})"
        ) from None
