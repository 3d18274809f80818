"""Command-line options that override a run's config: applied once, in one place.

The real run and ``--dry-run`` apply them with :func:`apply_overrides`, so both validate
them the same way, and the run records them in its ``config.yaml``: the folder says how
to reproduce it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from genas.config import RunConfig
from genas.errors import ConfigError
from genas.parallel import executor_config
from genas.search.budget import parse_budget
from genas.train.device import resolve_device


def apply_overrides(
    config: RunConfig,
    *,
    out: str | Path | None = None,
    budget: str | None = None,
    executor: Mapping[str, Any] | None = None,
    retrain_width: float | None = None,
    retrain_top_k: int | None = None,
    device: str | None = None,
) -> RunConfig:
    """A copy of ``config`` with the given options applied (None: not given).

    Args:
        out: ``--out``, the run folder (``output.dir``, recorded as an absolute path).
        budget: ``--budget`` (``search.budget``), e.g. ``"30m"``.
        executor: ``--executor``, ``--address``, ``--gpus-per-trial``, ``--cpus-per-trial``
            as ``executor:`` keys (:func:`~genas.parallel.executor_config`).
        retrain_width: ``retrain --width`` (``search.retrain_width``).
        retrain_top_k: ``retrain --top-k`` (``search.retrain_top_k``; 1 also sets
            ``search.ensemble`` false, K >= 2 keeps the config's choice).
        device: ``--device`` (``train.device``), e.g. ``"cuda:1"``; checked by
            :func:`~genas.train.device.resolve_device`.

    Raises:
        ConfigError: a value is invalid, or a search option is given to a config without a
            ``search:`` section (one line naming the option).
    """
    config = config.model_copy(deep=True)
    config.output.dir = Path(out if out is not None else config.output.dir).resolve()
    config.executor = executor_config(config.executor, executor)
    searched = {"--budget": budget, "--width": retrain_width, "--top-k": retrain_top_k}
    for option, value in searched.items():
        if value is not None and config.search is None:
            raise ConfigError(f"{option}: the config has no `search:` section")
    if budget is not None:
        parse_budget(budget)  # one line naming the bad budget
        _assign(config.search, "budget", str(budget), "--budget")
    if retrain_width is not None:
        _assign(config.search, "retrain_width", retrain_width, "--width")
    if retrain_top_k is not None:
        if retrain_top_k == 1:  # the search's choice alone: no ensemble (of one)
            _assign(config.search, "ensemble", False, "--top-k")
        _assign(config.search, "retrain_top_k", retrain_top_k, "--top-k")
    if device is not None:
        resolve_device(device)  # one line naming an unknown or absent device
        _assign(config.train, "device", device, "--device")
    return config


def _assign(section: BaseModel, key: str, value: Any, option: str) -> None:
    """Set a validated config key (the sections validate assignments) from ``option``."""
    try:
        setattr(section, key, value)
    except ValidationError as error:
        raise ConfigError(f"{option} {value}: {error.errors()[0]['msg']}") from None
