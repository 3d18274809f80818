"""`genas train CONFIG`: train one network (reference or space architecture) into a run folder."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genas.config import ModelConfig, RunConfig, load_config
from genas.data import DataSplits, load_splits, make_loader, require_validation
from genas.errors import GenasError
from genas.fileio import atomic_write_json
from genas.nn.build import build_model, count_parameters
from genas.nn.model_file import save_model
from genas.run_files import (
    CONFIG_YAML,
    HISTORY_JSONL,
    METRICS_JSON,
    MODEL_WEIGHTS,
    SEARCH_STATE,
    TRAIN_CHECKPOINT_DIR,
    record_command,
    write_config,
)
from genas.run_lock import run_folder_lock
from genas.space import Architecture, get_space
from genas.train import FitResult, fit, resolve_device, seed_everything
from genas.train.checkpoint import check_settings, checkpoint_path, load_train_state
from genas.train.loop import monitored_score
from genas.train.predict import evaluation_metrics, run_inference
from genas.train.task import TaskSpec, task_spec
from genas.workflows.overrides import apply_overrides
from genas.workflows.resuming import check_unchanged

#: What a resumed training must share with the one it continues: everything that shapes
#: the model or its optimisation. Epochs, patience, the device, threads and evaluation
#: options may change (e.g. ``train.max_epochs`` raised to train on).
TRAIN_RESUME_KEYS = (
    ("seed",),
    ("data",),
    ("model",),
    *(("train", key) for key in (
        "optimizer", "lr", "weight_decay", "batch_size", "loss", "lr_schedule", "grad_clip",
        "max_steps_per_epoch",
    )),
)
# what makes two trainings the same: their results depend on nothing else ...
SAME_TRAINING = ("seed", "data", "train", "model")
# ... but where they ran: a model trained on another device or with other threads is reused
RUNTIME_KEYS = {"train": {"device", "threads"}}


@dataclass
class TrainRunResult:
    run_dir: Path
    metrics: dict
    fit: FitResult | None  # None for an ensemble of trained models (search.ensemble)
    parameters: int


def model_spec(model: ModelConfig) -> dict:
    """The build spec stored in model.json: a reference name, or space + architecture + width."""
    if model.reference is not None:
        return {"reference": model.reference, **model.options}
    space = get_space(model.space)
    if isinstance(model.architecture, Path):
        arch = Architecture.from_json(model.architecture)
    else:
        arch = Architecture.from_tokens(space, model.architecture)
    return {"space": space.to_dict(), "architecture": arch.to_dict(), "width": model.width}


def with_searched_training(config: RunConfig) -> RunConfig:
    """A copy of ``config`` whose ``train.lr`` and ``train.weight_decay`` are those the
    model's architecture chose, when its space searches them (``ModelSpace.training``)."""
    config = config.model_copy(deep=True)
    model = config.model
    if model.space is None or model.architecture is None:
        return config
    space = get_space(model.space)
    if not space.training:
        return config
    if isinstance(model.architecture, Path):
        arch = Architecture.from_json(model.architecture, space)
    else:
        arch = Architecture.from_tokens(space, model.architecture)
    values = space.training_values(arch.training)
    for name in ("lr", "weight_decay"):
        if name in values:
            setattr(config.train, name, values[name])
    return config


def train_run(
    config: RunConfig,
    out: str | Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    splits: DataSplits | None = None,
    lock: bool = True,
    device: str | None = None,
) -> TrainRunResult:
    """Train the configured model and write a complete run folder.

    The config, the device, the data and the model are checked before the folder is
    touched: a refused training leaves an existing run folder as it was.

    Args:
        config: the validated run config.
        out: run folder; overrides ``config.output.dir`` (and is recorded in it).
        resume: continue from the run folder's epoch checkpoint.
        splits: already loaded data (saves re-reading when training several models).
        lock: hold the run folder's lock (:mod:`~genas.run_lock`) while writing;
            False when the caller holds the lock of the folder or of one above it (the
            trials of :func:`~genas.workflows.train_many.train_many`, maybe on Ray workers).
        device: overrides ``config.train.device`` (and is recorded in it).
    """
    run_dir = Path(out) if out is not None else config.output.dir
    # the train command only: a retraining trains the search's choice into it, unlocked
    if lock and any((run_dir / name).exists() for name in (HISTORY_JSONL, SEARCH_STATE)):
        raise GenasError(
            f"{run_dir}: holds a search, which a training would overwrite; train into "
            f"another folder (the search's best architectures: genas retrain {run_dir})"
        )
    config = with_searched_training(apply_overrides(config, out=run_dir, device=device))
    device = resolve_device(config.train.device)
    seed_everything(config.seed)
    splits = splits or load_splits(config.data, config.seed)
    require_validation(splits, config.data)
    spec = model_spec(config.model)
    task = task_spec(config, splits)
    model = build_model(spec, splits.input_length, task.n_outputs)
    checkpoint = checkpoint_path(run_dir / TRAIN_CHECKPOINT_DIR)
    if resume and checkpoint.is_file():  # refused before metrics.json is let go
        if (run_dir / CONFIG_YAML).is_file():
            saved = load_config(run_dir / CONFIG_YAML)
            check_unchanged(saved, config, TRAIN_RESUME_KEYS, run_dir / CONFIG_YAML)
        check_settings(checkpoint, load_train_state(checkpoint), config.train)
    with run_folder_lock(run_dir, create=True) if lock else contextlib.nullcontext():
        if lock:  # a command of its own, not a trial of train_many (whose caller records)
            record_command(run_dir, device=str(device), seed=config.seed)
        return _train_into(run_dir, config, splits, spec, model, resume, progress, task)


def _train_into(
    run_dir: Path,
    config: RunConfig,
    splits: DataSplits,
    spec: dict,
    model,
    resume: bool,
    progress: bool,
    task: TaskSpec,
) -> TrainRunResult:
    """:func:`train_run`'s training and writing, once its input is checked."""
    run_dir.mkdir(parents=True, exist_ok=True)
    # metrics.json marks a finished training of the config.yaml beside it (finished_run)
    (run_dir / METRICS_JSON).unlink(missing_ok=True)
    write_config(run_dir, config)

    train_cfg, data_cfg = config.train, config.data
    train_loader = make_loader(
        splits.train,
        train_cfg.batch_size,
        shuffle=True,
        seed=config.seed,
        num_workers=train_cfg.num_workers,
        rc_augment=data_cfg.rc_augment,
        max_shift=data_cfg.max_shift,
    )
    valid_loader = make_loader(
        splits.valid, 4 * train_cfg.batch_size, shuffle=False, seed=config.seed
    )
    result = fit(
        model,
        train_loader,
        valid_loader,
        train_cfg,
        task_names=splits.task_names,
        task_groups=splits.task_groups,
        n_value=data_cfg.n_value,
        checkpoint_dir=run_dir / TRAIN_CHECKPOINT_DIR,
        resume=resume,
        seed=config.seed,
        progress=progress,
        task=task,
    )
    save_model(
        run_dir,
        model,
        spec,
        input_length=splits.input_length,
        task_names=splits.task_names,
        task_groups=splits.task_groups,
        n_value=data_cfg.n_value,
        fit_length=data_cfg.fit_length,
        **task.model_meta(),
    )
    metrics = evaluate_splits(model, splits, config, task=task)
    metrics["parameters"] = count_parameters(model)
    metrics["train_seconds"] = result.seconds
    metrics["best_epoch"] = result.best_epoch
    metrics["history"] = result.history
    atomic_write_json(run_dir / METRICS_JSON, metrics)
    return TrainRunResult(run_dir, metrics, result, metrics["parameters"])


def finished_run(config: RunConfig, run_dir: str | Path) -> TrainRunResult | None:
    """The training ``run_dir`` holds, if it finished and had the same seed, data, training
    settings and model as ``config``; None otherwise (nothing there, unfinished, another
    config, or unreadable files: train it again). Its ``fit.seconds`` is 0: nothing ran now.
    Data files are matched by path, not content: a run folder belongs to the data it was
    made from.
    """
    run_dir = Path(run_dir)
    needed = [run_dir / name for name in (CONFIG_YAML, METRICS_JSON, MODEL_WEIGHTS)]
    if not all(path.is_file() for path in needed):
        return None
    try:
        saved = load_config(run_dir / CONFIG_YAML)
        metrics = json.loads((run_dir / METRICS_JSON).read_text())
        config = with_searched_training(config)
        same = all(_training(saved, key) == _training(config, key) for key in SAME_TRAINING)
        if not same:
            return None
        fit_result = FitResult(
            best_epoch=metrics["best_epoch"],
            best_valid=monitored_score(metrics["valid"])[0],
            history=metrics["history"],
        )
        return TrainRunResult(run_dir, metrics, fit_result, metrics["parameters"])
    except (GenasError, OSError, ValueError, KeyError, TypeError):
        return None


def _training(config: RunConfig, key: str):
    """``config``'s section ``key`` as compared by :func:`finished_run`."""
    value = getattr(config, key)
    return value.model_dump(exclude=RUNTIME_KEYS[key]) if key in RUNTIME_KEYS else value


def evaluate_splits(
    model,
    splits: DataSplits,
    config: RunConfig,
    names: Sequence[str] = ("valid", "test"),
    task: TaskSpec | None = None,
) -> dict:
    """Metrics of `model` on each split of `names` the data has (by default the valid and,
    if any, test split): ``{"valid": ..., "test": ...}``. ``task``: the model's task type
    (default: the run's, :func:`~genas.train.task.task_spec`)."""
    task = task or task_spec(config, splits)
    out = {}
    for name in names:
        dataset = getattr(splits, name)
        if dataset is not None:
            predictions, labels, loss = split_inference(model, dataset, config, task)
            out[name] = evaluation_metrics(task, predictions, labels, loss, splits.task_groups)
    return out


def split_inference(
    model, dataset, config: RunConfig, task: TaskSpec
) -> tuple[np.ndarray, np.ndarray | None, float]:
    """:func:`~genas.train.predict.run_inference` on every row of one split, in order, as
    the run evaluates (its ``rc_predict``, device and N encoding): predictions (N, O),
    labels (N, T) (None for an empty split) and the loss."""
    loader = make_loader(dataset, 4 * config.train.batch_size, shuffle=False, seed=config.seed)
    return run_inference(
        model,
        loader,
        rc_average=config.train.rc_predict,
        device=config.train.device,
        n_value=config.data.n_value,
        with_labels=True,
        task=task,
    )
