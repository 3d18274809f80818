"""The training loop: :func:`fit` a model with early stopping, checkpoints and resume."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import torch
from torch import nn

from genas.config import TrainConfig
from genas.errors import GenasError, InputError
from genas.train.checkpoint import (
    check_settings,
    checkpoint_path,
    cpu_state_dict,
    load_train_state,
    save_train_state,
)
from genas.train.compiling import compiled
from genas.train.device import resolve_device
from genas.train.metrics import headline, metrics_task_type
from genas.train.optimizer import build_optimizer
from genas.train.predict import evaluate
from genas.train.progress import TrainProgress
from genas.train.seeding import get_rng_state, seed_everything, set_rng_state
from genas.train.step import train_step
from genas.train.task import TaskSpec

#: ReduceLROnPlateau: multiply the learning rate by this when the monitored score stalls.
PLATEAU_FACTOR = 0.5
#: The validation summaries each epoch records (``valid_<key>``) and prints, by task type.
EPOCH_METRICS = {
    "binary": (("mean_auroc", "AUROC"), ("mean_auprc", "AUPRC")),
    "regression": (("mean_pearson", "Pearson r"), ("mean_spearman", "Spearman rho")),
    "multiclass": (("macro_auroc", "macro AUROC"), ("accuracy", "accuracy")),
}


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        best_epoch: 1-based epoch whose weights the model holds at the end.
        best_valid: that epoch's monitored score (``monitor``); NaN if no epoch had one.
        history: one dict per epoch (also the resumed ones): epoch, train_loss, valid_loss,
            the task type's :data:`EPOCH_METRICS` as ``valid_<key>`` (valid_mean_auroc and
            valid_mean_auprc for binary tasks), lr, seconds, seqs_per_s.
        seconds: wall time of this call.
        monitor: ``"valid_<headline>"`` (valid_mean_auroc, valid_mean_pearson,
            valid_macro_auroc by task type), or ``"-valid_loss"`` when it is undefined.
        stopped_early: early stopping ended the run before ``max_epochs``.
    """

    best_epoch: int
    best_valid: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    monitor: str = "valid_mean_auroc"
    stopped_early: bool = False


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig
) -> torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau | None:
    """None (constant), ReduceLROnPlateau on the monitored score, or cosine over max_epochs.

    The plateau scheduler halves the rate after ``max(1, patience // 2)`` epochs without
    improvement, so the rate drops before early stopping ends the run.
    """
    if config.lr_schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max", factor=PLATEAU_FACTOR, patience=max(1, config.patience // 2)
        )
    if config.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.max_epochs)
    return None


def monitored_score(metrics: Mapping) -> tuple[float, str]:
    """(score, name): the task type's headline validation score (mean AUROC, mean Pearson r,
    macro AUROC), or minus the valid loss when that is NaN."""
    key = headline(metrics_task_type(metrics))
    value = metrics["summary"].get(key)
    if value is not None and math.isfinite(value):
        return float(value), f"valid_{key}"
    return -float(metrics["loss"]), "-valid_loss"


def _steps_per_epoch(loader: Iterable, max_steps: int | None) -> int | None:
    try:
        n = len(loader)  # type: ignore[arg-type]
    except TypeError:
        n = None
    if max_steps is None:
        return n
    return max_steps if n is None else min(n, max_steps)


def _train_epoch(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    device: torch.device,
    n_value: float,
    bar,
    forward=None,
    loss: str = "bce",
) -> tuple[float, int]:
    """One pass over `loader`: (mean masked loss over known labels, sequences seen).

    The loss stays on the device; it is read once at the end (and whenever `bar` shows it).
    ``forward`` (default: ``model``) runs the network, e.g. a ``torch.compile`` of it.
    """
    model.train()
    loss_sum = torch.zeros((), device=device)
    count = torch.zeros((), device=device)
    n_seqs = 0

    def running_loss() -> float:  # loss_sum and count are updated in place
        return float(loss_sum / count.clamp(min=1.0))

    batches = (
        loader if config.max_steps_per_epoch is None else islice(loader, config.max_steps_per_epoch)
    )
    for batch in batches:
        x, y = batch[0], batch[1]
        total, known = train_step(
            model,
            forward or model,
            optimizer,
            x,
            y,
            device,
            n_value=n_value,
            grad_clip=config.grad_clip,
            loss=loss,
        )
        loss_sum += total
        count += known
        n_seqs += int(x.shape[0])
        bar.advance(int(x.shape[0]), running_loss)
    if n_seqs == 0:
        raise GenasError("the training loader yielded no batches")
    return running_loss(), n_seqs


def _restore(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler,
    config: TrainConfig,
) -> dict:
    """Load a checkpoint into model, optimizer and scheduler; return it (CPU tensors)."""
    state = load_train_state(path)
    check_settings(path, state, config)
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        reason = str(error).strip().splitlines()[0][:200]
        raise InputError(path, f"checkpoint does not match this model ({reason})") from None
    if isinstance(scheduler, torch.optim.lr_scheduler.CosineAnnealingLR):
        scheduler.T_max = config.max_epochs  # stretch the cosine to the new horizon
    try:
        set_rng_state(state["rng"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise InputError(path, f"checkpoint holds a bad RNG state ({error})") from None
    return state


def _epoch_line(row: dict, max_epochs: int, improved: bool, task_type: str = "binary") -> str:
    columns = EPOCH_METRICS[task_type]
    scores = " ".join(f"{label} {row[f'valid_{key}']:.4f}" for key, label in columns)
    return (
        f"epoch {row['epoch']}/{max_epochs}  loss {row['train_loss']:.4f}/{row['valid_loss']:.4f}"
        f"  valid {scores}"
        f"  lr {row['lr']:.2e}  {row['seconds']:.1f} s  {row['seqs_per_s']:,.0f} seq/s"
        + ("  *" if improved else "")
    )


def fit(
    model: nn.Module,
    train_loader: Iterable,
    valid_loader: Iterable,
    config: TrainConfig,
    *,
    task_names: Sequence[str],
    task_groups: Mapping[str, Sequence[str]] | None = None,
    n_value: float = 0.25,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    seed: int = 0,
    progress: bool = True,
    task: TaskSpec | None = None,
) -> FitResult:
    """Train `model` with early stopping on the task type's validation score.

    Args:
        model: maps float32 (B, 4, L) to outputs (B, O); moved to ``config.device``.
        train_loader, valid_loader: yield ``(x uint8 (B, 4, L), y float32 (B, T))``; NaN
            labels are unknown and masked. ``len(loader)`` sizes the progress bar; a
            ``set_epoch(epoch)`` method, if present, is called before every epoch.
        config: optimizer (adam/adamw), lr, weight_decay, max_epochs, patience, lr_schedule
            (constant/plateau/cosine), grad_clip, rc_predict (validation averages the
            reverse complement), device, max_steps_per_epoch, compile (training steps run
            a ``torch.compile`` of the model where the backend works, eager otherwise;
            weights, evaluation and checkpoints use the model itself). ``batch_size`` and
            ``num_workers`` belong to whoever built the loaders.
        task_names, task_groups: for the validation metrics.
        n_value: channel value of an unknown base N.
        checkpoint_dir: if given, ``train_state.pt`` is written there (atomically) after
            every epoch: weights, optimizer, scheduler, best weights, RNG states, history.
        resume: continue from the checkpoint in `checkpoint_dir` (start fresh if there is
            none). With the same seed on CPU, a resumed run ends with the same weights as
            an uninterrupted one.
        seed: seeds Python, NumPy and torch at the start.
        progress: a transient progress bar on a terminal, plain lines otherwise; False: silent.
        task: the task type, its loss and metrics (default: binary tasks ``task_names``);
            early stopping monitors its headline score (:func:`monitored_score`).

    Returns:
        :class:`FitResult`. The model holds the weights of the best epoch.

    Raises:
        GenasError: a corrupt or mismatched checkpoint (naming the file), an empty loader,
            an unavailable device.
    """
    started = time.perf_counter()
    task = task or TaskSpec.binary(task_names)
    reporter = TrainProgress(enabled=progress)
    device = resolve_device(config.device)
    seed_everything(seed)
    model.to(device)
    forward = compiled(model) if config.compile else model
    optimizer = build_optimizer(
        model.parameters(), config.optimizer, config.lr, config.weight_decay
    )
    scheduler = build_scheduler(optimizer, config)
    path = None if checkpoint_dir is None else checkpoint_path(checkpoint_dir)
    if resume and path is None:
        raise ValueError("resume=True needs a checkpoint_dir")

    epoch, best_epoch, best_score, bad_epochs, stopped = 0, 0, math.nan, 0, False
    best_model: dict | None = None
    history: list[dict] = []
    monitor = f"valid_{task.headline}"
    if resume and path is not None and path.is_file():
        state = _restore(path, model, optimizer, scheduler, config)
        epoch, best_epoch = int(state["epoch"]), int(state["best_epoch"])
        best_score, bad_epochs = float(state["best_score"]), int(state["bad_epochs"])
        stopped, best_model, history = bool(state["stopped"]), state["best_model"], state["history"]
        monitor = state.get("monitor", monitor)
        reporter.log(f"resuming from {path} after epoch {epoch}")
    elif resume:
        reporter.log(f"no checkpoint at {path}; training from scratch")

    total_steps = _steps_per_epoch(train_loader, config.max_steps_per_epoch)
    while not stopped and epoch < config.max_epochs:
        epoch += 1
        epoch_start = time.perf_counter()
        set_epoch = getattr(train_loader, "set_epoch", None)
        if callable(set_epoch):
            set_epoch(epoch)
        lr = float(optimizer.param_groups[0]["lr"])
        with reporter.epoch(epoch, config.max_epochs, total_steps or 0) as bar:
            train_loss, n_seqs = _train_epoch(
                model, train_loader, optimizer, config, device, n_value, bar, forward, task.loss
            )
        train_seconds = time.perf_counter() - epoch_start
        metrics = evaluate(
            model,
            valid_loader,
            task_names=task_names,
            task_groups=task_groups,
            rc_average=config.rc_predict,
            device=device,
            n_value=n_value,
            task=task,
        )
        score, monitor = monitored_score(metrics)
        improved = math.isfinite(score) and (best_epoch == 0 or score > best_score)
        if improved:
            best_epoch, best_score, bad_epochs = epoch, score, 0
            best_model = cpu_state_dict(model)
        else:
            bad_epochs += 1
            stopped = bad_epochs >= config.patience and epoch < config.max_epochs
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(score)
        elif scheduler is not None:
            scheduler.step()
        row = {
            "epoch": epoch,
            "train_loss": train_loss,
            "valid_loss": float(metrics["loss"]),
            **{
                f"valid_{key}": float(metrics["summary"][key])
                for key, _ in EPOCH_METRICS[task.task_type]
            },
            "lr": lr,
            "seconds": time.perf_counter() - epoch_start,
            "seqs_per_s": n_seqs / train_seconds if train_seconds > 0 else math.nan,
        }
        history.append(row)
        reporter.log(_epoch_line(row, config.max_epochs, improved, task.task_type))
        if stopped:
            reporter.log(f"early stopping: no better {monitor} for {bad_epochs} epochs")
        if path is not None:
            save_train_state(
                path,
                {
                    "epoch": epoch,
                    "model": cpu_state_dict(model),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": None if scheduler is None else scheduler.state_dict(),
                    "best_epoch": best_epoch,
                    "best_score": best_score,
                    "best_model": best_model,
                    "bad_epochs": bad_epochs,
                    "stopped": stopped,
                    "rng": get_rng_state(),
                    "history": history,
                    "settings": {"optimizer": config.optimizer, "lr_schedule": config.lr_schedule},
                    "monitor": monitor,
                },
            )

    if best_model is not None:
        model.load_state_dict(best_model)
    else:
        best_epoch = epoch
    return FitResult(
        best_epoch=best_epoch,
        best_valid=best_score,
        history=history,
        seconds=time.perf_counter() - started,
        monitor=monitor,
        stopped_early=stopped,
    )
