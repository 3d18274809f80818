"""The training checkpoint: everything :func:`~genas.train.loop.fit` needs to resume.

One file, ``<checkpoint_dir>/train_state.pt``, written atomically after every epoch with
``torch.save`` and read with ``torch.load(weights_only=True)``: it holds only tensors and
plain containers (no pickled objects), so loading it runs no code. It is an internal file of
a run; the trained model a user shares is written elsewhere (safetensors + JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from genas.config import TrainConfig
from genas.errors import InputError
from genas.fileio import atomic_path

FILENAME = "train_state.pt"
FORMAT = "genas-train-state"
VERSION = 1

#: Keys every checkpoint holds, besides ``format`` and ``version``.
REQUIRED_KEYS = (
    "epoch",  # last finished epoch (1-based)
    "model",  # model state_dict after that epoch
    "optimizer",  # optimizer state_dict
    "scheduler",  # scheduler state_dict or None
    "best_epoch",  # 0 when no epoch had a finite score yet
    "best_score",  # the monitored score of best_epoch (float, NaN if none)
    "best_model",  # state_dict of best_epoch, or None
    "bad_epochs",  # epochs since the last improvement
    "stopped",  # early stopping fired
    "rng",  # genas.train.seeding.get_rng_state()
    "history",  # list of per-epoch dicts
    "settings",  # {"optimizer": ..., "lr_schedule": ...} the run was started with
)


def checkpoint_path(checkpoint_dir: str | Path) -> Path:
    return Path(checkpoint_dir) / FILENAME


def cpu_state_dict(module_or_state: torch.nn.Module | dict) -> dict:
    """A detached CPU copy of a state_dict (or of a module's)."""
    state = (
        module_or_state.state_dict()
        if isinstance(module_or_state, torch.nn.Module)
        else module_or_state
    )
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


def save_train_state(path: str | Path, state: dict[str, Any]) -> None:
    """Write a checkpoint atomically (temp file + rename)."""
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise ValueError(f"training state lacks {missing}")
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)


def load_train_state(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint onto the CPU.

    Raises:
        InputError: the file is missing, unreadable, corrupt, or not a genas training
            checkpoint of this version (the message names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "training checkpoint not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(path, f"not a readable training checkpoint ({reason[:200]})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise InputError(path, "not a genas training checkpoint")
    if state.get("version") != VERSION:
        raise InputError(
            path, f"training checkpoint version {state.get('version')!r}, expected {VERSION}"
        )
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise InputError(path, f"training checkpoint lacks {', '.join(missing)}")
    return state


#: Training settings a resumed run must share with its checkpoint: the optimizer's and the
#: scheduler's state cannot be carried over to another kind.
RESUME_SETTINGS = ("optimizer", "lr_schedule")


def check_settings(path: str | Path, state: dict[str, Any], config: TrainConfig) -> None:
    """Refuse to resume checkpoint ``state`` (read from ``path``) with other settings.

    Raises:
        InputError: a setting of :data:`RESUME_SETTINGS` differs (naming both values).
    """
    settings = state["settings"]
    for key in RESUME_SETTINGS:
        if settings.get(key) != getattr(config, key):
            raise InputError(
                path,
                f"checkpoint was written with {key}={settings.get(key)!r}, "
                f"the config says {getattr(config, key)!r}",
            )
