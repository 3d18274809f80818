"""`genas search`, `genas retrain`: search a space, then train the chosen architecture."""

from __future__ import annotations

import csv
from pathlib import Path

from genas.config import ModelConfig, RunConfig, dump_config, load_config
from genas.data import DataSplits, load_splits
from genas.errors import GenasError
from genas.fileio import atomic_write_text
from genas.search.budget import parse_budget
from genas.search.loop import BEST_ARCHITECTURE, SearchResult, run_search
from genas.train import resolve_device
from genas.workflows.train_run import TrainRunResult, train_run


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
) -> tuple[SearchResult, TrainRunResult | None]:
    """Search (resumable), write `best_architecture.json`; with `retrain`, train it too.

    `budget` (e.g. "30m") overrides the config's ``search.budget``.
    """
    if config.search is None:
        raise GenasError("the config has no `search:` section (see examples/nfe2.yaml)")
    budget_seconds = parse_budget(budget if budget is not None else config.search.budget)
    run_dir = Path(out) if out is not None else config.output.dir
    config = config.model_copy(deep=True)
    config.output.dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.yaml", dump_config(config))
    splits = splits or load_splits(config.data, config.seed)
    result = run_search(
        config,
        run_dir,
        splits,
        resume=resume,
        budget_seconds=budget_seconds,
        device=resolve_device(config.train.device),
        log=log,
    )
    log(
        f"search done ({result.steps_done} steps, {result.seconds:.0f} s, stopped by "
        f"{result.stopped_by}); best architecture {result.best.hash}, "
        f"reward {result.best_reward:.4f}"
    )
    trained = retrain_run(run_dir, splits=splits, progress=progress) if retrain else None
    return result, trained


def retrain_run(
    run_dir: str | Path,
    *,
    width: float | None = None,
    splits: DataSplits | None = None,
    progress: bool = True,
) -> TrainRunResult:
    """Train the search's chosen architecture from scratch into the same run folder."""
    run_dir = Path(run_dir)
    arch_path = run_dir / BEST_ARCHITECTURE
    if not arch_path.is_file():
        raise GenasError(f"{arch_path}: not found (run `genas search` first)")
    config = load_config(run_dir / "config.yaml")
    if config.search is None:
        raise GenasError(f"{run_dir / 'config.yaml'}: no `search:` section")
    config.model = ModelConfig(
        space=config.search.space,
        architecture=arch_path,
        width=width if width is not None else config.search.retrain_width,
    )
    return train_run(config, run_dir, progress=progress, splits=splits)


def search_plan(config: RunConfig) -> dict:
    """What a search would do, without loading the data (for `genas search --dry-run`)."""
    from genas.nn.build import count_parameters
    from genas.nn.network import SuperNet
    from genas.space import get_space

    if config.search is None:
        raise GenasError("the config has no `search:` section")
    search = config.search
    space = get_space(search.space)
    input_length, n_tasks = _data_shape(config)
    plan = {
        "space": space.name,
        "layers": space.n_layers,
        "tokens": space.n_tokens,
        "architectures": f"{space.size:.3e}",
        "strategy": search.strategy,
        "evaluator": search.evaluator,
        "steps": search.steps,
        "sequences trained per step": search.child_steps * search.supernet.batch_size,
        "architectures scored per step": search.archs_per_step,
        "budget": search.budget or "none",
        "input length": input_length,
        "tasks": n_tasks,
    }
    if input_length and n_tasks:
        supernet = SuperNet(space, input_length, n_tasks, width=search.width)
        plan["supernet parameters"] = f"{count_parameters(supernet):,}"
    return plan


def _data_shape(config: RunConfig) -> tuple[int | None, int | None]:
    """Input length and task count from the config alone (task-name files are counted)."""
    data = config.data
    n_tasks = None
    names = getattr(data, "task_names", None)
    if isinstance(names, Path) and names.is_file():
        with open(names) as handle:
            rows = [r for r in csv.reader(handle, delimiter="\t") if r]
        n_tasks = len(rows) - 1  # header
    elif data.format == "fasta":
        n_tasks = 1
    elif data.format == "bed":
        n_tasks = len(data.peaks)
    return data.length, n_tasks
