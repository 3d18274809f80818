"""`genas transfer fit` and `genas transfer propose`: zero-shot architecture transfer.

``fit`` reads the search runs of several tasks (one model space), describes each task's
training data (:mod:`genas.search.descriptors`) and writes a transfer model
(:mod:`genas.search.transfer`) with its leave-one-task-out cross-validation.
``propose`` describes a new task, ranks the space's architectures for it with that model
and writes a run folder as a search would (``config.yaml``, ``best_architecture.json``,
plus ``transfer.json``), then trains the proposal as ``genas retrain`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genas.config import RunConfig, load_config
from genas.data import DataSplits, load_splits
from genas.errors import ConfigError, GenasError, InputError
from genas.fileio import atomic_write_json
from genas.run_files import (
    BEST_ARCHITECTURE,
    CONFIG_YAML,
    HISTORY_JSONL,
    METRICS_JSON,
    TRANSFER_JSON,
    record_command,
    write_config,
)
from genas.run_lock import run_folder_lock
from genas.search.descriptors import VERSION, descriptor_names, task_descriptor
from genas.search.history import read_history
from genas.search.transfer import (
    MIN_ARCHS,
    TransferModel,
    TransferTask,
    propose,
    read_transfer_model,
    scored_architectures,
    select_settings,
    write_transfer_model,
)
from genas.space import Architecture, ModelSpace, get_space
from genas.train import resolve_device
from genas.workflows.overrides import apply_overrides
from genas.workflows.search_run import retrain_run
from genas.workflows.train_run import TrainRunResult

#: Candidates listed in ``transfer.json``.
LISTED = 10


def transfer_fit(runs: Sequence[str | Path], output: str | Path, *, log=print) -> TransferModel:
    """Fit a transfer model to the search runs ``runs`` (one task each) and write it to
    ``output`` (JSON). Everything is read and checked before ``output`` is written.

    Raises:
        GenasError: fewer than 2 runs; a run that is not a search run, whose space differs
            from the first run's, that scored fewer than :data:`MIN_ARCHS` architectures,
            or whose task cannot be described (names the run and the task).
    """
    if len(runs) < 2:
        raise GenasError("transfer fit needs the search runs of at least 2 tasks")
    seen: dict[Path, str | Path] = {}
    for run in runs:
        if Path(run).resolve() in seen:
            raise GenasError(f"{run}: given twice (as {seen[Path(run).resolve()]}); each run "
                             "is one task")
        seen[Path(run).resolve()] = run
    output = Path(output)
    if output.is_dir():
        raise GenasError(f"{output}: a folder; -o names the transfer model file to write")
    tasks, first = [], None
    for run in map(Path, runs):
        config, space = _search_run(run)
        if first is None:
            first = (run, config.search.space, space)
        elif space.content_digest() != first[2].content_digest():
            raise GenasError(
                f"{run}: its model space {config.search.space!r} differs from "
                f"{first[1]!r} of {first[0]}; a transfer model learns one space"
            )
        archs = scored_architectures(read_history(run / HISTORY_JSONL, space))
        if len(archs) < MIN_ARCHS:
            raise GenasError(
                f"{run / HISTORY_JSONL}: {len(archs)} architecture(s) with a finite reward; "
                f"a task needs at least {MIN_ARCHS}"
            )
        splits = load_splits(config.data, config.seed)
        descriptor = _describe(splits, run)
        if config.search.evaluator == "shared":
            log(
                f"note: {run} scored with the weight-sharing supernet, whose ranking can "
                "differ from standalone training (benchmarks/fidelity.py); searches with "
                "`evaluator: independent` make better transfer data"
            )
        tasks.append(
            TransferTask(
                name=_task_name(splits, run),
                run=str(run.resolve()),
                evaluator=config.search.evaluator,
                descriptor=[float(v) for v in descriptor],
                archs=archs,
            )
        )
    _, space_name, space = first
    settings, table = select_settings(space, tasks)
    model = TransferModel(
        space=space_name,
        space_digest=space.content_digest(),
        descriptor_version=VERSION,
        descriptor_names=descriptor_names(),
        tasks=tasks,
        settings=settings,
        cross_validation=table,
    )
    write_transfer_model(output, model)
    return model


def _search_run(run: Path) -> tuple[RunConfig, ModelSpace]:
    """The config and model space of search run folder ``run``."""
    path = run / CONFIG_YAML
    if not path.is_file():
        raise GenasError(f"{run}: not a search run folder (no {CONFIG_YAML})")
    config = load_config(path)
    if config.search is None:
        raise GenasError(f"{path}: no `search:` section; transfer fit reads search runs")
    return config, get_space(config.search.space)


def _task_name(splits: DataSplits, run: Path) -> str:
    """What names a run's task in the model: its data's task names (the first 3), or the
    run folder's name where the data has only FASTA's default name ``task``."""
    names = list(splits.task_names)
    if names == ["task"]:
        return run.resolve().name
    return ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")


def _describe(splits: DataSplits, where: Path) -> np.ndarray:
    """:func:`task_descriptor` of ``splits``, its error naming ``where`` the data came from."""
    try:
        return task_descriptor(splits)
    except GenasError as error:
        raise GenasError(f"{where}: {error}") from None


@dataclass
class TransferProposal:
    run_dir: Path
    architecture: Architecture
    predicted: float  # the surrogate's centred rank, in [-0.5, 0.5] for a seen task
    ranked: list[tuple[Architecture, float]]
    trained: TrainRunResult | None


def transfer_propose(
    model_path: str | Path,
    config: RunConfig,
    out: str | Path | None = None,
    *,
    train: bool = True,
    samples: int = 2000,
    source: str | Path = "the config",
    splits: DataSplits | None = None,
    progress: bool = True,
    device: str | None = None,
    log=print,
) -> TransferProposal:
    """Propose an architecture for the task of ``config`` with the transfer model at
    ``model_path``, write it into run folder ``out`` (default ``config.output.dir``) as a
    search's choice, and (``train``) train it as ``genas retrain`` does.

    The config's ``search.space`` (the model's space when it has no ``search:`` section)
    must be the space the model was fitted on; the written config has a ``search:``
    section with that space, ``retrain_top_k: 1`` and no ensemble, so ``genas retrain
    RUN`` trains the proposal again. Everything is checked and the task described before
    the folder is touched; a folder holding another run (a ``config.yaml`` without a
    ``transfer.json``) is refused.

    Args:
        samples: uniform draws of the space ranked besides the architectures the model's
            searches scored.
        source: where ``config`` came from, for the messages.
        splits: already loaded data of ``config``.
    """
    model_path = Path(model_path)
    model = read_transfer_model(model_path)
    run_dir = Path(out) if out is not None else config.output.dir
    space_name = config.search.space if config.search is not None else model.space
    space = get_space(space_name)
    if space.content_digest() != model.space_digest:
        raise GenasError(
            f"{source}: model space {space_name!r} differs from {model.space!r}, the space "
            f"transfer model {model_path} was fitted on; propose for that space, or fit a "
            "model on searches of this one"
        )
    for entry in model.tasks:  # the file could have been edited after the digest was taken
        for number, arch in enumerate(entry.archs, start=1):
            try:
                Architecture.from_tokens(space, arch.tokens)
            except ValueError as error:
                raise InputError(model_path, f"task {entry.name!r}, architecture {number}: "
                                 f"{error}") from None
    if model.descriptor_version != VERSION:
        raise GenasError(
            f"{model_path}: fitted with task descriptor version {model.descriptor_version}, "
            f"this genas computes version {VERSION}; fit the model again"
        )
    if (run_dir / CONFIG_YAML).is_file() and not (run_dir / TRANSFER_JSON).is_file():
        raise GenasError(
            f"{run_dir}: holds another run ({CONFIG_YAML} without {TRANSFER_JSON}); "
            "propose into a new --out folder"
        )
    config = _proposal_config(apply_overrides(config, out=run_dir, device=device), space_name)
    torch_device = resolve_device(config.train.device)
    splits = splits or load_splits(config.data, config.seed)
    descriptor = _describe(splits, Path(source))
    ranked = propose(model, space, descriptor, samples=samples, seed=config.seed)
    arch, predicted = ranked[0]
    nearest = _nearest_tasks(model, descriptor)
    log(
        f"proposed {arch.hash} ({', '.join(space.op(i, o).label for i, o in enumerate(arch.ops))}"
        f"; predicted centred rank {predicted:+.3f}) of {len(ranked)} candidates; nearest "
        f"training task {nearest[0]['task']} (descriptor distance {nearest[0]['distance']:.3f})"
    )
    with run_folder_lock(run_dir, create=True):
        # metrics.json marks a finished training of the config.yaml beside it: not this one
        (run_dir / METRICS_JSON).unlink(missing_ok=True)
        write_config(run_dir, config)
        record_command(run_dir, device=str(torch_device), seed=config.seed)
        record = arch.to_json_dict(space)
        record.update(
            reward=None,
            chosen_by="transfer",
            predicted_rank=predicted,
            transfer_model=str(model_path.resolve()),
            steps_done=0,
            search_seconds=0.0,
        )
        atomic_write_json(run_dir / BEST_ARCHITECTURE, record)
        atomic_write_json(
            run_dir / TRANSFER_JSON,
            _proposal_record(model, model_path, space, descriptor, ranked, nearest, samples),
        )
        trained = (
            retrain_run(run_dir, splits=splits, progress=progress, log=log)  # config's device
            if train
            else None
        )
    return TransferProposal(run_dir, arch, predicted, ranked, trained)


def _proposal_config(config: RunConfig, space_name: str) -> RunConfig:
    """``config`` with the ``search:`` section a proposal's run folder records: the space,
    one architecture retrained alone."""
    raw = config.model_dump()
    search = dict(raw.get("search") or {})
    search.update(space=space_name, retrain_top_k=1, ensemble=False)
    raw["search"] = search
    try:
        return RunConfig.model_validate(raw)
    except ValueError as error:  # pydantic's ValidationError; the config was valid before
        raise ConfigError(f"the proposal's config: {error}") from None


def _nearest_tasks(model: TransferModel, descriptor: np.ndarray) -> list[dict]:
    """The model's tasks by the Euclidean distance of their descriptors to ``descriptor``,
    nearest first."""
    rows = [
        {"task": t.name, "distance": float(np.linalg.norm(np.asarray(t.descriptor) - descriptor))}
        for t in model.tasks
    ]
    return sorted(rows, key=lambda r: r["distance"])


def _proposal_record(
    model: TransferModel,
    model_path: Path,
    space: ModelSpace,
    descriptor: np.ndarray,
    ranked: list[tuple[Architecture, float]],
    nearest: list[dict],
    samples: int,
) -> dict:
    """The content of ``transfer.json``."""
    return {
        "transfer_model": str(model_path.resolve()),
        "space": model.space,
        "settings": model.settings.model_dump(),
        "cross_validation": model.cross_validation,
        "candidates": len(ranked),
        "samples": samples,
        "nearest_tasks": nearest,
        "descriptor": dict(zip(model.descriptor_names, map(float, descriptor), strict=True)),
        "ranked": [
            {
                "rank": rank,
                "hash": arch.hash,
                "tokens": arch.to_tokens(),
                "op_labels": [space.op(i, op).label for i, op in enumerate(arch.ops)],
                "predicted_rank": score,
            }
            for rank, (arch, score) in enumerate(ranked[:LISTED], start=1)
        ],
    }
