"""Train several models of one run at once: `genas compare`, `genas retrain --top-k`.

Each model is a trial of a :mod:`genas.parallel` executor that writes a complete trained
run folder (:func:`~genas.workflows.train_run.train_run`); a retried trial resumes from the
epoch checkpoint its first attempt left in that folder. A folder that already holds the
same training, finished, is reused (:func:`~genas.workflows.train_run.finished_run`), so a
rerun after a crash, or with one more reference, trains only what is missing.

The models start largest first (by the operations of one forward pass): with fewer
workers than models, the longest trainings then start early and the last minutes are not
spent by one core finishing a large model while the others wait (longest-processing-time
first scheduling). Results come back in the order asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from genas.config import ModelConfig, RunConfig
from genas.data import DataSplits
from genas.errors import GenasError
from genas.nn.build import forward_flops
from genas.parallel import TrialResult, make_executor, require_shared_dir
from genas.search.evaluators.base import failure_message
from genas.workflows.train_run import TrainRunResult, finished_run, model_spec, train_run


@dataclass(frozen=True)
class TrainContext:
    """What the trials of one :func:`train_many` share."""

    config: RunConfig
    splits: DataSplits | None
    progress: bool


def train_trial(
    item: tuple[str, ModelConfig, str], context: TrainContext, attempt: int
) -> TrainRunResult:
    """Train one ``(name, model, run folder)``; a retry resumes from its checkpoint."""
    _, model, out = item
    config = context.config.model_copy(deep=True)
    config.model = model
    return train_run(
        config,
        require_shared_dir(out),
        resume=attempt > 1,
        progress=context.progress,
        splits=context.splits,
        lock=False,  # the command holds the lock of the run folder these folders are in
    )


def train_many(
    config: RunConfig,
    models: Mapping[str, tuple[ModelConfig, Path]],
    *,
    splits: DataSplits | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, TrialResult]:
    """Train each ``name -> (model, run folder)`` with ``config``'s data and training
    settings, through the executor ``config.executor`` names.

    Args:
        splits: data already loaded (shipped to Ray workers through the object store);
            None: each trial loads it from ``config.data``.
        progress: progress bars (only in process; Ray trials train silently).

    Returns:
        name -> :class:`~genas.parallel.TrialResult` whose value is a
        :class:`~genas.workflows.train_run.TrainRunResult` (in the order of ``models``).
    """
    results: dict[str, TrialResult] = {}
    items = []
    for name, (model, out) in models.items():
        wanted = config.model_copy(deep=True)
        wanted.model = model
        if (reused := finished_run(wanted, out)) is not None:
            results[name] = TrialResult(reused)
            continue
        Path(out).mkdir(parents=True, exist_ok=True)
        items.append((name, model, str(Path(out).resolve())))
    if results:
        log(f"already trained with the same settings, reused: {', '.join(results)}")
    input_length = splits.input_length if splits is not None else config.data.length
    if input_length is not None:
        items.sort(key=lambda item: -_forward_flops(item[1], input_length))

    def done(index: int, result: TrialResult) -> None:
        name = items[index][0]
        if result.ok:
            log(f"trained {name} ({result.value.fit.seconds:.0f} s) -> {items[index][2]}")
        else:
            log(f"{name} failed after {result.attempts} attempts: {failure_message(result.error)}")

    if items:
        with make_executor(config.executor) as executor:
            context = TrainContext(config, splits, progress and executor.in_process)
            plural = "s" if len(items) != 1 else ""
            log(f"training {len(items)} model{plural} ({executor.name} executor)")
            trained = executor.map(train_trial, items, context, on_done=done)
        results.update((item[0], result) for item, result in zip(items, trained, strict=True))
    return {name: results[name] for name in models}


def _forward_flops(model: ModelConfig, input_length: int) -> int:
    """Operations of ``model``'s forward pass on one sequence: the order trainings start in
    (their epochs and data are the same; early stopping is not known in advance). 0 for a
    model that cannot be built: its trial reports why."""
    try:
        return forward_flops(model_spec(model), input_length)
    except (GenasError, ValueError):
        return 0
