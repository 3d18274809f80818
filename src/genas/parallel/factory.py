"""``make_executor``: the executor a run's ``executor:`` settings ask for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from genas.config import ExecutorConfig, format_validation_error
from genas.errors import ConfigError
from genas.parallel.base import Executor
from genas.parallel.inprocess import InProcessExecutor


def executor_config(
    base: ExecutorConfig | None = None, overrides: Mapping[str, Any] | None = None
) -> ExecutorConfig:
    """``base`` with the non-None ``overrides`` (e.g. from command-line options) applied.

    An ``address`` implies ``backend: ray``, ``workers`` implies ``backend: processes``.

    Raises:
        ConfigError: an override is not a valid setting.
    """
    merged = (base or ExecutorConfig()).model_dump()
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    if "address" in given and "backend" not in given:
        given["backend"] = "ray"
    if "workers" in given and "backend" not in given:
        given["backend"] = "processes"
    merged.update(given)
    try:
        return ExecutorConfig.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, "executor options")) from None


def make_executor(config: ExecutorConfig | None = None) -> Executor:
    """An :class:`InProcessExecutor`, a :class:`~genas.parallel.processes.ProcessExecutor`
    (worker processes of this machine), or a :class:`~genas.parallel.ray_executor.RayExecutor`
    joined to (or starting) the configured cluster. Close it when done (``with`` block)."""
    config = config or ExecutorConfig()
    if config.backend == "processes":
        from genas.parallel.processes import ProcessExecutor

        return ProcessExecutor(config.workers, config.cpus_per_trial, config.retries)
    if config.backend == "ray":
        from genas.parallel.ray_executor import RayExecutor

        return RayExecutor(
            address=config.address,
            cpus_per_trial=config.cpus_per_trial,
            gpus_per_trial=config.gpus_per_trial,
            retries=config.retries,
        )
    return InProcessExecutor(retries=config.retries)
