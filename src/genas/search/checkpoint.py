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

STATE_FILE = "search_state.pt"
PREVIOUS_FILE = "search_state.prev.pt"
FORMAT = "genas-search-state"


def save_search_state(run_dir: Path, state: dict[str, Any]) -> None:
    """Keep the current checkpoint as the previous one, then write the new one atomically."""
    current = run_dir / STATE_FILE
    with atomic_path(current) as tmp:
        torch.save({"format": FORMAT, **state}, tmp)
        if current.exists():
            os.replace(current, run_dir / PREVIOUS_FILE)


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
    both are unreadable the error names the newest.
    """
    current, previous = run_dir / STATE_FILE, run_dir / PREVIOUS_FILE
    if not current.exists() and not previous.exists():
        return None
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
