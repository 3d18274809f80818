"""`genas search`, `genas retrain`: search a space, then train the chosen architecture.

Also the parallel forms: replicate searches (`genas search --replicates N`) and the
retraining of the K best architectures (`genas retrain --top-k K`), run as trials of the
run's :mod:`genas.parallel` executor.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from genas.config import SEED_LIMIT, ModelConfig, RunConfig, load_config
from genas.data import DataSplits, load_splits, require_validation
from genas.errors import GenasError, InputError
from genas.fileio import atomic_write_bytes, atomic_write_json
from genas.parallel import TrialResult, make_executor, require_shared_dir
from genas.run_files import (
    BEST_ARCHITECTURE,
    CONFIG_YAML,
    HISTORY_JSONL,
    METRICS_JSON,
    MODEL_FILES,
    MODEL_WEIGHTS,
    PARETO_JSON,
    REPLICATES_JSON,
    SEARCH_FINGERPRINT_JSON,
    SEARCH_STATE,
    TOP_K_DIR,
    TOP_K_JSON,
    read_json,
    record_command,
    replicate_dir,
    top_k_name,
    write_config,
)
from genas.run_lock import run_folder_lock
from genas.search.budget import parse_budget
from genas.search.evaluators.base import failure_message
from genas.search.evaluators.reward import near_chance_note
from genas.search.final import SearchResult
from genas.search.history import read_history
from genas.search.loop import check_search, run_search
from genas.search.pareto import objective_pairs, read_pareto
from genas.space import Architecture, ModelSpace, get_space
from genas.train import resolve_device
from genas.train.loop import EPOCH_METRICS, monitored_score
from genas.train.metrics import metrics_task_type
from genas.train.task import TaskSpec, task_spec
from genas.workflows.overrides import apply_overrides
from genas.workflows.resuming import check_unchanged, refuse_resume
from genas.workflows.train_many import train_many
from genas.workflows.train_run import TrainRunResult


def search_run(
    config: RunConfig,
    out: str | Path | None = None,
    *,
    resume: bool = False,
    budget: str | None = None,
    retrain: bool = False,
    progress: bool = True,
    log=print,
    splits: DataSplits | None = None,
    executor: Mapping[str, Any] | None = None,
    report: bool = True,
    device: str | None = None,
) -> tuple[SearchResult, TrainRunResult | None]:
    """Search (resumable), write `best_architecture.json`; with `retrain`, train it too
    (and, with `report`, write `report.html`).

    `budget` (e.g. "30m") overrides the config's ``search.budget``; `executor` overrides
    its ``executor:`` settings (e.g. ``{"backend": "ray", "address": "auto"}``), `device`
    its ``train.device``; the run's ``config.yaml`` records them. Everything is checked
    (the config, the device, the data, with `resume` that the run can be continued) before
    the folder is touched, and the folder is locked while the search runs.
    """
    if config.search is None:
        raise GenasError("the config has no `search:` section (see examples/nfe2.yaml)")
    run_dir = Path(out) if out is not None else config.output.dir
    config = apply_overrides(
        config, out=run_dir, budget=budget, executor=executor, device=device
    )
    budget_seconds = parse_budget(config.search.budget)
    check_search(get_space(config.search.space), config.search)
    device = resolve_device(config.train.device)
    refuse_a_trained_run(run_dir)
    if resume:
        check_resumable_run(run_dir, config)
    splits = splits or load_splits(config.data, config.seed)
    require_validation(splits, config.data)
    task_spec(config, splits)  # the loss fits the targets (Poisson: none negative)
    fingerprint = search_fingerprint(config, splits)
    if resume:
        check_fingerprint(run_dir, fingerprint)
    with run_folder_lock(run_dir, create=True):
        write_config(run_dir, config)
        record_command(run_dir, device=str(device), seed=config.seed)
        atomic_write_json(run_dir / SEARCH_FINGERPRINT_JSON, fingerprint)
        result = run_search(
            config,
            run_dir,
            splits,
            resume=resume,
            budget_seconds=budget_seconds,
            device=device,
            log=log,
        )
        log(
            f"search done ({result.steps_done} steps, {result.seconds:.0f} s, stopped by "
            f"{result.stopped_by}); best architecture {result.best.hash}, "
            f"reward {result.best_reward:.4f}"
        )
        if (note := near_chance_note(config.search.reward, result.best_reward)) is not None:
            log(note)
        trained = (
            retrain_run(run_dir, splits=splits, progress=progress, log=log) if retrain else None
        )
        if trained is not None and report:
            from genas.workflows.report_run import report_run

            report_run(run_dir, device=str(device), log=log)
    return result, trained


#: What a resumed search must share with the search it continues: its checkpoint holds a
#: strategy, an evaluator and a history made with these. Steps, budget, the final choice,
#: retraining, the executor and the output folder may change.
RESUME_KEYS = (
    ("seed",),
    ("data",),
    *(("search", key) for key in (
        "space", "strategy", "evaluator", "archs_per_step", "child_steps", "reward",
        "reward_sequences", "width", "controller", "random", "evolution", "tpe", "supernet",
        "independent", "objectives", "max_parameters", "max_latency_ms", "latency",
        "scalarization", "knowledge",
    )),
)
#: ... and with the independent evaluator, the training settings its children train with
#: (their lr and epochs are ``search.independent``'s).
INDEPENDENT_RESUME_KEYS = (
    ("train", "optimizer"),
    ("train", "weight_decay"),
    ("train", "grad_clip"),
)


def check_resumable(saved: RunConfig, config: RunConfig, source: Path) -> None:
    """Raise a one-line :class:`GenasError` naming the first key of :data:`RESUME_KEYS`
    (and, for the independent evaluator, :data:`INDEPENDENT_RESUME_KEYS`) whose value
    differs between the run's ``saved`` config and the ``config`` resuming it."""
    keys = RESUME_KEYS
    if config.search is not None and config.search.evaluator == "independent":
        keys += INDEPENDENT_RESUME_KEYS
    check_unchanged(saved, config, keys, source)


def refuse_a_trained_run(run_dir: Path) -> None:
    """A search would write its config beside a model trained with another one: refused.
    (A folder a search already wrote, retrained or not, is searched again or resumed.)"""
    searched = (HISTORY_JSONL, SEARCH_STATE, REPLICATES_JSON, SEARCH_FINGERPRINT_JSON)
    if (run_dir / MODEL_WEIGHTS).is_file() and not any(
        (run_dir / name).exists() for name in searched
    ):
        raise GenasError(
            f"{run_dir}: holds a trained model and no search, which a search would leave "
            "beside a config it did not train with; search into another folder"
        )


def check_resumable_run(run_dir: str | Path, config: RunConfig) -> None:
    """:func:`check_resumable` against the ``config.yaml`` of ``run_dir`` (if it has one)."""
    saved = Path(run_dir) / CONFIG_YAML
    if saved.is_file():
        check_resumable(load_config(saved), config, saved)


def search_fingerprint(config: RunConfig, splits: DataSplits) -> dict[str, Any]:
    """What a resumed search must share with its run beyond the config's keys: a digest of
    the model space's content, and the data's input length, tasks and split sizes."""
    return {
        "search.space (content)": get_space(config.search.space).content_digest(),
        "data (input length)": splits.input_length,
        "data (tasks)": list(splits.task_names),
        "data (sequences)": {
            name: None if dataset is None else len(dataset)
            for name, dataset in (
                ("train", splits.train), ("valid", splits.valid), ("test", splits.test)
            )
        },
    }


def check_fingerprint(run_dir: str | Path, fingerprint: dict[str, Any]) -> None:
    """Raise a one-line :class:`GenasError` naming the first entry of ``fingerprint`` that
    differs from the one the run recorded when it started (none recorded: nothing to check,
    a run of an older genas)."""
    path = Path(run_dir) / SEARCH_FINGERPRINT_JSON
    if not path.is_file():
        return
    try:
        saved = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GenasError(f"{path}: unreadable ({type(error).__name__})") from None
    if not isinstance(saved, dict):
        raise GenasError(f"{path}: not a search fingerprint")
    for key, value in fingerprint.items():
        if saved.get(key) != value:
            refuse_resume(path, key, saved.get(key), value)


def retrain_run(
    run_dir: str | Path,
    *,
    width: float | None = None,
    splits: DataSplits | None = None,
    progress: bool = True,
    top_k: int | None = None,
    executor: Mapping[str, Any] | None = None,
    device: str | None = None,
    pick: int | None = None,
    log=print,
) -> TrainRunResult:
    """Train the search's chosen architecture from scratch into the same run folder.

    With ``pick`` N, train point N (1-based) of a multi-objective search's Pareto front
    (``pareto.json``) instead, alone (no top-K, no ensemble).

    With ``top_k`` K > 1 (default: the config's ``search.retrain_top_k``), the K - 1 best
    other architectures of the history (distinct, by search reward) are trained too: all K
    as trials of the run's executor (``executor`` overrides its settings), each into
    ``RUN/top_k/rank_R``. With ``search.ensemble`` (the default for K >= 2) all of them
    become the run's model as one ensemble; otherwise the one with the best validation
    score (mean AUROC, as early stopping uses; ties go to the better search rank) does:
    its ``model.json``, ``model.safetensors`` and ``metrics.json`` are copied into the run
    folder. ``RUN/retrain_top_k.json`` lists all K with their metrics and the selection.
    The test split plays no part in the choice. ``device`` overrides the config's
    ``train.device``; the options are recorded in the run's ``config.yaml``. Returns the
    run's model's result.

    Raises:
        GenasError: no search in the folder, no candidate could be trained, or a ``pick``
            the folder has no Pareto point of (or given with ``top_k``).
    """
    run_dir = Path(run_dir)
    if pick is not None and top_k is not None:
        raise GenasError("--pick trains one point of the Pareto front: leave out --top-k")
    arch_path = run_dir / BEST_ARCHITECTURE
    if not arch_path.is_file():
        raise GenasError(f"{arch_path}: not found (run `genas search` first)")
    config = load_config(run_dir / CONFIG_YAML)
    if config.search is None:
        raise GenasError(f"{run_dir / CONFIG_YAML}: no `search:` section")
    # the options are recorded in the config.yaml the retraining writes; all is checked
    # before the folder is touched
    config = apply_overrides(
        config,
        out=run_dir,
        executor=executor,
        retrain_width=width,
        retrain_top_k=top_k,
        device=device,
    )
    device = resolve_device(config.train.device)
    space = get_space(config.search.space)
    splits = splits or load_splits(config.data, config.seed)  # before the folder is touched
    if pick is not None:
        point = pareto_point(run_dir, pick, space)
        log(f"retraining point {pick} of the Pareto front ({point['arch_hash']}: "
            + ", ".join(f"{k} {v:.4g}" for k, v in point["objectives"].items()) + ")")
        config.search.ensemble = False
        config.search.retrain_top_k = 1
        with run_folder_lock(run_dir):
            record_command(run_dir, device=str(device), seed=config.seed)
            return _retrain(config, [point], run_dir, splits, progress, log)
    ranked = _ranked_architectures(config, run_dir, log)
    with run_folder_lock(run_dir):
        record_command(run_dir, device=str(device), seed=config.seed)
        return _retrain(config, ranked, run_dir, splits, progress, log)


def retrain_models(run_dir: str | Path) -> tuple[RunConfig, dict[str, tuple[ModelConfig, Path]]]:
    """What :func:`retrain_run` (without options) trains for the search in ``run_dir``: the
    config the trainings run under and name -> (model, run folder). Trained beforehand
    (:func:`~genas.workflows.train_many.train_many`), they are reused by it."""
    run_dir = Path(run_dir)
    config = apply_overrides(load_config(run_dir / CONFIG_YAML), out=run_dir)
    if config.search is None:
        raise GenasError(f"{run_dir / CONFIG_YAML}: no `search:` section")
    ranked = _ranked_architectures(config, run_dir, log=lambda _: None)
    return config, _retrain_models(config, ranked, run_dir)


def _ranked_architectures(config: RunConfig, run_dir: Path, log) -> list[dict]:
    """The search's choice, then the next ``retrain_top_k`` - 1 distinct architectures of its
    history by reward: rows with ``arch_hash``, ``tokens`` and ``reward``. When the search
    scored only one, ``config`` is changed to retrain it alone."""
    space = get_space(config.search.space)
    arch_path = run_dir / BEST_ARCHITECTURE
    chosen = Architecture.from_json(arch_path, space)
    reward = (read_json(arch_path) or {}).get("reward")
    ranked = [{"arch_hash": chosen.hash, "tokens": chosen.to_tokens(), "reward": reward}]
    top_k = config.search.retrain_top_k
    if top_k > 1 and not (run_dir / HISTORY_JSONL).is_file():
        raise GenasError(f"{run_dir / HISTORY_JSONL}: not found; the top {top_k} are read "
                         "from the search's history (--top-k 1 retrains its choice alone)")
    history = read_history(run_dir / HISTORY_JSONL, space)
    ranked += top_architectures(history, top_k - 1, {chosen.hash})
    if len(ranked) < 2 and top_k > 1:
        # a short budget scored one architecture: retrain it alone rather than fail (an
        # ensemble of one is no ensemble); config.yaml records what was trained
        log(f"the search scored only one architecture: it is retrained alone "
            f"(not the top {top_k}{', as an ensemble' if config.search.ensemble else ''}); "
            "a longer --budget scores more")
        config.search.ensemble = False
        config.search.retrain_top_k = 1
    return ranked


def pareto_point(run_dir: Path, number: int, space: ModelSpace) -> dict:
    """Point ``number`` (1-based) of the run's ``pareto.json``, as a row :func:`_retrain`
    trains (``arch_hash``, ``tokens``, ``reward``: the first objective, ``objectives``).

    Raises:
        GenasError: no ``pareto.json`` (not a multi-objective search), no such point, or
            a point that is not an architecture of ``space``.
    """
    front = read_pareto(run_dir)
    if front is None:
        raise GenasError(
            f"{run_dir / PARETO_JSON}: not found; --pick needs a finished multi-objective "
            "search (search.objectives)"
        )
    points = front["points"]
    if not 1 <= number <= len(points):
        raise GenasError(
            f"--pick {number}: the Pareto front of {run_dir} has {len(points)} point(s) "
            f"(1 to {len(points)}, listed in {PARETO_JSON})"
        )
    point = points[number - 1]
    try:
        arch = Architecture.from_tokens(space, point["tokens"])
    except ValueError as error:
        raise GenasError(f"{run_dir / PARETO_JSON}: point {number}: {error}") from None
    objectives = point.get("objectives") or {}
    reward = next(iter(objectives.values()), None)
    return {"arch_hash": arch.hash, "tokens": arch.to_tokens(), "reward": reward,
            "objectives": objectives}  # fmt: skip


def _retrain(
    config: RunConfig,
    ranked: list[dict],
    run_dir: Path,
    splits: DataSplits | None,
    progress: bool,
    log,
) -> TrainRunResult:
    """:func:`retrain_run`'s training of the ``ranked`` architectures (the first is the
    search's choice), once its input is checked and the run folder locked."""
    top_k = config.search.retrain_top_k
    if len(ranked) < top_k:
        log(f"the history holds only {len(ranked)} distinct scored architectures")
    models = _retrain_models(config, ranked, run_dir)
    names = list(models)
    results = train_many(config, models, splits=splits, progress=progress, log=log)
    if top_k == 1:
        if not results[names[0]].ok:
            raise GenasError(
                f"{run_dir}: training the chosen architecture failed "
                f"({failure_message(results[names[0]].error)})"
            )
        return results[names[0]].value
    rows = [
        _top_k_row(rank, row, models[name][1], results[name])
        for rank, (name, row) in enumerate(zip(names, ranked, strict=True), start=1)
    ]
    trained = [row for row in rows if row["error"] is None]
    if not trained:
        raise GenasError(
            f"{run_dir}: none of the top {top_k} architectures could be trained "
            f"({rows[0]['error']})"
        )
    if config.search.ensemble:
        return _install_ensemble(config, models, names, rows, run_dir, splits, log)
    selected = max(trained, key=lambda row: (row["valid_score"], -row["rank"]))
    name = names[selected["rank"] - 1]
    _install_model(config, models[name], run_dir)
    atomic_write_json(
        run_dir / TOP_K_JSON,
        {
            "selected_rank": selected["rank"],
            "selected_by": selected["valid_monitor"],
            "rows": rows,
        },
    )
    log(
        f"{name} ({selected['arch_hash']}) selected: {selected['valid_monitor']} "
        f"{selected['valid_score']:.4f}; copied into {run_dir}"
    )
    return replace(results[name].value, run_dir=run_dir)


def _retrain_models(
    config: RunConfig, ranked: list[dict], run_dir: Path
) -> dict[str, tuple[ModelConfig, Path]]:
    """name -> (model, run folder) of the ``ranked`` architectures' retraining: K = 1 trains
    straight into the run folder; K > 1 trains each candidate apart first, in
    ``RUN/top_k/rank_R``."""
    space, width = config.search.space, config.search.retrain_width
    if config.search.retrain_top_k == 1:
        return {"the chosen architecture": (
            ModelConfig(space=space, architecture=ranked[0]["tokens"], width=width), run_dir
        )}
    return {
        top_k_name(rank): (
            ModelConfig(space=space, architecture=row["tokens"], width=width),
            run_dir / TOP_K_DIR / top_k_name(rank),
        )
        for rank, row in enumerate(ranked, start=1)
    }


def _install_model(config: RunConfig, model: tuple[ModelConfig, Path], run_dir: Path) -> None:
    """Make the model trained in folder ``model[1]`` the run's model (files copied atomically)."""
    model_config, folder = model
    for name in MODEL_FILES:
        atomic_write_bytes(run_dir / name, (Path(folder) / name).read_bytes())
    _record_config(config, run_dir, model_config)


def _record_config(config: RunConfig, run_dir: Path, model: ModelConfig | None = None) -> None:
    """Write the run's ``config.yaml`` as retrained: with the options the retraining ran
    with (``--width``, ``--top-k``, ``--device``, the executor) and, when the run's model
    is one network (not an ensemble), that network as ``model``."""
    config = config.model_copy(deep=True)
    if model is not None:
        config.model = model
    config.output.dir = run_dir.resolve()
    write_config(run_dir, config)


def _install_ensemble(
    config: RunConfig,
    models: dict[str, tuple[ModelConfig, Path]],
    names: list[str],
    rows: list[dict],
    run_dir: Path,
    splits: DataSplits | None,
    log,
) -> TrainRunResult:
    """Make every trained candidate of ``rows`` one ensemble model of the run folder
    (``search.ensemble``): its weights, ``model.json`` (spec ``{"ensemble": [...]}``) and
    ``metrics.json`` (the ensemble evaluated on the validation and test splits)."""
    from genas.nn.ensemble import Ensemble
    from genas.nn.model_file import load_model, save_model
    from genas.workflows.train_run import evaluate_splits

    members = [row for row in rows if row["error"] is None]
    if len(members) < 2:
        raise GenasError(
            f"{run_dir}: search.ensemble needs at least 2 trained models, "
            f"{len(members)} of {len(rows)} trained"
        )
    loaded = [load_model(models[names[row["rank"] - 1]][1]) for row in members]
    first = loaded[0]
    task = TaskSpec.from_model(first)
    ensemble = Ensemble([m.model for m in loaded], task.ensemble_combine)
    splits = splits or load_splits(config.data, config.seed)
    save_model(
        run_dir,
        ensemble,
        {"ensemble": [m.spec for m in loaded], "combine": task.ensemble_combine},
        input_length=first.input_length,
        task_names=first.task_names,
        task_groups=first.task_groups,
        n_value=first.n_value,
        fit_length=first.fit_length,
        **task.model_meta(),
    )
    metrics = evaluate_splits(ensemble.eval(), splits, config, task=task)
    train_seconds = sum(row.get("train_seconds") or 0.0 for row in members)
    metrics.update(
        parameters=sum(row.get("parameters") or 0 for row in members),
        train_seconds=train_seconds,
        best_epoch=None,
        history=[],
        ensemble_ranks=[row["rank"] for row in members],
    )
    atomic_write_json(run_dir / METRICS_JSON, metrics)
    atomic_write_json(
        run_dir / TOP_K_JSON,
        {"selected_rank": None, "ensemble": [row["rank"] for row in members], "rows": rows},
    )
    _record_config(config, run_dir)
    valid_score, monitor = monitored_score(metrics["valid"])
    log(f"ensemble of {len(members)} models: {monitor} {valid_score:.4f}; saved in {run_dir}")
    return TrainRunResult(run_dir, metrics, None, metrics["parameters"])


def top_architectures(rows: list[dict], k: int, exclude: set[str]) -> list[dict]:
    """The ``k`` distinct architectures of history ``rows`` with the highest rewards (each
    with its best reward; ties keep history order), leaving out the hashes in ``exclude``."""
    best: dict[str, dict] = {}
    for row in rows:
        if row["reward"] is None or row["arch_hash"] in exclude:
            continue
        kept = best.get(row["arch_hash"])
        if kept is None or row["reward"] > kept["reward"]:
            best[row["arch_hash"]] = row
    return sorted(best.values(), key=lambda r: -r["reward"])[: max(k, 0)]


def _top_k_row(rank: int, arch: dict, out: Path, result: TrialResult) -> dict:
    row = {
        "rank": rank,
        "arch_hash": arch["arch_hash"],
        "tokens": list(arch["tokens"]),
        "search_reward": arch.get("reward"),
        "run_dir": str(Path(out).resolve()),
        "attempts": result.attempts,
        "error": None if result.ok else failure_message(result.error),
    }
    if result.ok:
        metrics = result.value.metrics
        row["parameters"] = metrics.get("parameters")
        row["valid_score"], row["valid_monitor"] = monitored_score(metrics["valid"])
        row["train_seconds"] = metrics.get("train_seconds")
        task_type = metrics_task_type(metrics["valid"])
        for split in ("valid", "test"):
            row.update(_headline_metrics(metrics.get(split) or {}, split, task_type))
    return row


@dataclass(frozen=True)
class ReplicateContext:
    """What the trials of one :func:`search_replicates` share."""

    config: RunConfig  # with the command's overrides (the budget among them) applied
    retrain: bool
    resume: bool
    splits: DataSplits | None


def replicate_trial(item: tuple[int, int, str], context: ReplicateContext, attempt: int) -> dict:
    """One replicate search ``(number, seed, run folder)``; a retry resumes it."""
    number, seed, out = item
    config = context.config.model_copy(deep=True)
    config.seed = seed
    prefix = f"[replicate {number}] "
    result, trained = search_run(
        config,
        require_shared_dir(out),
        resume=context.resume or attempt > 1,
        retrain=context.retrain,
        progress=False,
        log=lambda line: print(prefix + line, flush=True),
        splits=context.splits,
        executor={"backend": "inprocess"},  # a replicate runs its own children in turn
    )
    summary = {
        "best_arch_hash": result.best.hash,
        "best_tokens": result.best.to_tokens(),
        "best_reward": result.best_reward,
        "steps_done": result.steps_done,
        "search_seconds": result.seconds,
        "stopped_by": result.stopped_by,
    }
    if trained is not None:
        test = trained.metrics.get("test") or trained.metrics.get("valid")
        summary.update(_headline_metrics(test, "test", metrics_task_type(test)))
    return summary


def _headline_metrics(metrics: dict, split: str, task_type: str) -> dict[str, Any]:
    """``{split}_<key>`` of the task type's two headline summaries of one split's metrics
    (``test_mean_auroc``, ``test_mean_auprc`` for binary tasks; mean Pearson and Spearman
    for regression; macro AUROC and accuracy for multiclass); None where it has none."""
    summary = metrics.get("summary", {})
    return {f"{split}_{key}": summary.get(key) for key, _ in EPOCH_METRICS[task_type]}


def search_replicates(
    config: RunConfig,
    n: int,
    out: str | Path | None = None,
    *,
    resume: bool = False,
    budget: str | None = None,
    retrain: bool = False,
    executor: Mapping[str, Any] | None = None,
    splits: DataSplits | None = None,
    device: str | None = None,
    log=print,
) -> list[dict]:
    """``n`` independent searches of one config, as trials of its executor (at once on Ray).

    Replicate r (1-based) uses seed ``config.seed + r - 1`` for everything, the data's
    random hold-out included (unless ``splits`` is given), and is a complete search run
    folder ``OUT/replicate_r`` (retrained with ``retrain``); ``OUT/replicates.json`` lists
    them. A replicate that fails twice is recorded with its error and the others go on;
    ``resume`` continues every replicate from its checkpoint.

    Raises:
        GenasError: ``n`` < 1, no `search:` section, a bad budget, or every replicate failed.
    """
    if n < 1:
        raise GenasError(f"--replicates must be at least 1, got {n}")
    if config.seed + n - 1 >= SEED_LIMIT:
        raise GenasError(
            f"--replicates {n} from seed {config.seed}: the last seed would pass "
            f"{SEED_LIMIT - 1} (seeds are 0 to 2**32 - 1); use a smaller seed"
        )
    if config.search is None:
        raise GenasError("the config has no `search:` section (see examples/nfe2.yaml)")
    run_dir = Path(out) if out is not None else config.output.dir
    config = apply_overrides(
        config, out=run_dir, budget=budget, executor=executor, device=device
    )
    parse_budget(config.search.budget)  # checked before the folder is touched
    check_search(get_space(config.search.space), config.search)
    resolve_device(config.train.device)
    refuse_a_trained_run(run_dir)
    if resume:
        check_resumable_run(run_dir, config)
    with run_folder_lock(run_dir, create=True):
        return _search_replicates(config, n, run_dir, resume, retrain, splits, log)


def _search_replicates(
    config: RunConfig,
    n: int,
    run_dir: Path,
    resume: bool,
    retrain: bool,
    splits: DataSplits | None,
    log,
) -> list[dict]:
    """:func:`search_replicates` once its input is checked and ``run_dir`` locked (each
    replicate's search locks its own folder)."""
    write_config(run_dir, config)
    record_command(run_dir, device=config.train.device, seed=config.seed)
    items = []
    for number in range(1, n + 1):
        folder = replicate_dir(run_dir, number)
        folder.mkdir(exist_ok=True)
        items.append((number, config.seed + number - 1, str(folder.resolve())))
    context = ReplicateContext(config, retrain, resume, splits)

    def done(index: int, result: TrialResult) -> None:
        if result.ok:
            log(f"replicate {index + 1} done: reward {result.value['best_reward']:.4f}")
        else:
            log(f"replicate {index + 1} failed: {failure_message(result.error)}")

    with make_executor(config.executor) as pool:
        log(f"{n} replicate searches -> {run_dir}/replicate_* ({pool.name} executor)")
        results = pool.map(replicate_trial, items, context, on_done=done)
    rows = []
    for (number, seed, folder), result in zip(items, results, strict=True):
        row = {"replicate": number, "seed": seed, "run_dir": folder, "attempts": result.attempts}
        row.update(result.value if result.ok else {"error": failure_message(result.error)})
        rows.append(row)
    atomic_write_json(run_dir / REPLICATES_JSON, {"replicates": rows})
    if not any(result.ok for result in results):
        raise GenasError(f"{run_dir}: every replicate search failed ({rows[0]['error']})")
    return rows


def search_plan(
    config: RunConfig,
    *,
    out: str | Path | None = None,
    budget: str | None = None,
    executor: Mapping[str, Any] | None = None,
    device: str | None = None,
) -> dict:
    """What a search would do, without loading the data (for `genas search --dry-run`).

    The options are those of :func:`search_run`, applied and checked the same way.
    """
    import torch

    from genas.nn.build import count_parameters
    from genas.nn.network import SuperNet
    from genas.space import get_space

    if config.search is None:
        raise GenasError("the config has no `search:` section")
    config = apply_overrides(config, out=out, budget=budget, executor=executor, device=device)
    parse_budget(config.search.budget)
    search = config.search
    space = get_space(search.space)
    check_search(space, search)  # what the search itself refuses, the dry run refuses
    input_length, n_tasks = _data_shape(config)
    plan = {
        "space": space.name,
        "layers": space.n_layers,
        "tokens": space.n_tokens,
        "architectures": f"{space.size:.3e}",
        "strategy": search.strategy,
        "evaluator": search.evaluator,
        "supernet trains on": (
            ("uniform paths" if search.supernet.train_on == "uniform" else "the strategy's paths")
            if search.evaluator == "shared" else "no supernet"
        ),
        "children": _children_plan(search),
        "training settings searched": ", ".join(n for n, _ in space.training) or "none",
        "final model": (
            f"ensemble of the top {search.retrain_top_k}" if search.ensemble
            else f"best on validation of the top {search.retrain_top_k}"
        ),
        "objectives": ", ".join(
            f"{name} ({direction})" for name, direction in objective_pairs(search.objectives)
        ) or f"{search.reward} (max)",
        "hard limits": ", ".join(
            f"{key} {value:g}"
            for key, value in (("max_parameters", search.max_parameters),
                               ("max_latency_ms", search.max_latency_ms))
            if value is not None
        ) or "none",  # fmt: skip
        "steps": search.steps,
        "architectures scored per step": search.archs_per_step,
        "budget": search.budget or "none",
        "executor": config.executor.backend + (
            f" ({config.executor.workers} workers)" if config.executor.workers else ""
        ),
        "device": config.train.device,
        "run folder": str(config.output.dir),
        "input length": input_length,
        "tasks": n_tasks,
    }
    if search.evaluator == "shared":
        plan["sequences trained per step"] = search.child_steps * search.supernet.batch_size
        if input_length and n_tasks:
            with torch.device("meta"):  # counted, not allocated: a dry run takes no memory
                supernet = SuperNet(space, input_length, n_tasks, width=search.width)
            plan["supernet parameters"] = f"{count_parameters(supernet):,}"
    return plan


def _children_plan(search) -> str:
    """How the independent evaluator trains a step's children (for the dry run)."""
    if search.evaluator != "independent":
        return "paths of the supernet"
    ind = search.independent
    epoch = (
        "" if ind.max_steps_per_epoch is None
        else f" (an epoch: at most {ind.max_steps_per_epoch} minibatches of {ind.batch_size})"
    )
    if ind.rungs:
        return (f"successive halving, rungs {ind.rungs} epochs{epoch}, "
                f"the best 1/{ind.eta} go on")
    return f"each trained from scratch for {ind.epochs} epochs{epoch}"


def _data_shape(config: RunConfig) -> tuple[int | None, int | None]:
    """Input length and task count from the config alone (task-name files are counted)."""
    data = config.data
    n_tasks = None
    names = getattr(data, "task_names", None)
    if isinstance(names, Path) and names.is_file():
        with open(names) as handle:
            rows = [r for r in csv.reader(handle, delimiter="\t") if r]
        if len(rows) < 2:
            raise InputError(names, "no task names (a header line, then one line per task)")
        n_tasks = len(rows) - 1  # header
    elif data.format == "fasta":
        n_tasks = 1
    elif data.format == "bed":
        n_tasks = len(data.peaks)
    elif data.format == "bigwig" and (data.target_bin is None or data.length is not None):
        n_tasks = len(data.tracks) * (data.length // data.target_bin if data.target_bin else 1)
    return data.length, n_tasks
