"""The search loop: train the supernet, ask/score/tell, update the controller, checkpoint.

One controller step (DESIGN.md §1):
  1. the evaluator trains for ``child_steps`` minibatches, each on its own architecture,
     drawn uniformly (``supernet.train_on: uniform``, the default), or all from the strategy
     in one ``ask_many`` (``Strategy.sampler``; ``train_on: strategy``, as ENAS and AMBER)
     (shared weights; a no-op for the independent evaluator);
  2. ``archs_per_step`` architectures are asked, measured and filtered by the hard limits
     of a multi-objective or constrained search (:mod:`genas.search.objectives`), scored
     (the independent evaluator trains them as trials of a :mod:`genas.parallel`
     executor: at once on Ray) and told in the order they were asked, so in-process and
     Ray runs write the same history;
  3. the strategy updates (REINFORCE for `rl`), and the step is written: history rows,
     controller probabilities with the step's seconds by part (:mod:`genas.search.history`),
     then the checkpoint (:mod:`genas.search.checkpoint`).
The loop stops after ``steps`` steps or once the wall-clock budget is spent: checked before
each step, and while scoring (the independent evaluator starts no child after the budget's
end, and the architectures it leaves unscored are neither told nor written), so a budget
is overrun by at most one child's training or one supernet step. The final choice is
written by :mod:`genas.search.final`, and a multi-objective search's Pareto front by
:mod:`genas.search.pareto`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch

from genas.config import RunConfig, SearchConfig
from genas.data import DataSplits
from genas.errors import ConfigError, GenasError
from genas.parallel import Executor, make_executor
from genas.run_files import PARETO_JSON
from genas.search import history
from genas.search.checkpoint import restore_search, save_step
from genas.search.evaluators import make_evaluator
from genas.search.evaluators.base import Evaluator, Score
from genas.search.final import SearchResult, write_final_choice
from genas.search.knowledge import check_knowledge
from genas.search.objectives import Measured, SearchObjectives, check_objectives
from genas.search.pareto import write_pareto
from genas.search.strategies import make_strategy
from genas.search.strategies.base import Strategy
from genas.space import Architecture, ModelSpace, get_space, sample_architecture
from genas.space.operation import BUILDABLE_TYPES
from genas.train.seeding import seed_everything


def run_search(
    config: RunConfig,
    run_dir: Path,
    splits: DataSplits,
    *,
    resume: bool = False,
    budget_seconds: float | None = None,
    device: torch.device | str = "cpu",
    log: Callable[[str], None] = print,
    executor: Executor | None = None,
) -> SearchResult:
    """Run (or resume) the configured search in `run_dir`; returns the chosen architecture.

    ``executor`` trains the independent evaluator's children; None: the one
    ``config.executor`` names, started here and closed at the end (the shared evaluator
    needs none).
    """
    search = config.search
    if search is None:
        raise GenasError("the config has no `search:` section")
    if executor is None and search.evaluator == "independent":
        with make_executor(config.executor) as own:
            return run_search(config, run_dir, splits, resume=resume,
                              budget_seconds=budget_seconds, device=device, log=log,
                              executor=own)  # fmt: skip
    space = get_space(search.space)
    check_search(space, search)
    log(start_line(config, splits, run_dir, budget_seconds, executor.slots if executor else 1))
    run_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)
    strategy = make_strategy(space, search, config.seed)
    evaluator = make_evaluator(space, splits, config, device, config.seed, executor)
    goals = SearchObjectives(search, space, splits.input_length, evaluator.task.n_outputs)
    start, elapsed, rows = _begin(run_dir, config, space, strategy, evaluator, resume, log)

    stopped_by = "steps"
    for step in range(start, search.steps):
        if budget_seconds is not None and elapsed >= budget_seconds:
            stopped_by = "budget"
            break
        began = time.perf_counter()
        paths = _training_paths(search, space, strategy, config.seed, step)
        train_stats = evaluator.train(paths, search.child_steps)
        archs = strategy.ask_many(search.archs_per_step)
        scoring_began = time.perf_counter()
        deadline = None if budget_seconds is None else began + budget_seconds - elapsed
        if evaluator.kind == "independent":  # children take minutes: one line each
            evaluator.on_scored = ChildLog(step, _best_reward(rows), log)
        measured = goals.measure(archs)  # an architecture over a hard limit is not trained
        archs, scores, measured = _scored(
            archs, goals.score_many(evaluator, archs, measured, deadline), measured
        )
        scoring = time.perf_counter() - scoring_began
        for arch, score, costs in zip(archs, scores, measured, strict=True):
            goals.tell(strategy, arch, score, costs)
        strategy_stats = strategy.step_end()
        seconds = time.perf_counter() - began
        parts = history.step_parts(seconds, train_stats.get("seconds", 0.0), scoring)

        new_rows = goals.annotate(history.step_rows(step, archs, scores), scores, measured)
        rows += new_rows
        probabilities = history.probability_row(
            step, strategy.probabilities(), strategy_stats, parts
        )
        history.write_step(run_dir, new_rows, rows, probabilities)
        # the writes count in the elapsed time the checkpoint holds
        save_step(run_dir, step + 1, elapsed + time.perf_counter() - began, strategy, evaluator)
        elapsed += time.perf_counter() - began
        log(_step_line(step, search.steps, new_rows, train_stats, seconds, parts))

    result = write_final_choice(
        run_dir, space, rows, strategy, search.final, elapsed, stopped_by
    )
    if len(goals.names) > 1:
        front = write_pareto(run_dir, rows, search.objectives)
        log(f"Pareto front: {len(front['points'])} architectures ({PARETO_JSON})")
    else:  # of an earlier search in this folder
        (run_dir / PARETO_JSON).unlink(missing_ok=True)
    return result


def check_search(space: ModelSpace, search: SearchConfig) -> None:
    """A one-line :class:`ConfigError` for a search that cannot run on ``space``: an op
    genas cannot build (a label-only op, :mod:`genas.space.operation`); AMBER's
    controller and the supernet know ops and skips only, not searched training settings;
    objectives that cannot be measured here (:func:`check_objectives`); and knowledge
    motifs that cannot be found (:func:`check_knowledge`)."""
    check_objectives(search)
    check_knowledge(search)
    unbuildable = [(i, op.label) for i, ops in enumerate(space.layers) for op in ops
                   if not op.buildable]
    if unbuildable:  # e.g. a typo: `cnv_k5` parses as a label-only op
        layer, label = unbuildable[0]
        raise ConfigError(
            f"space {space.name!r}, layer {layer}: op {label!r} is not one genas can build "
            f"(its type must be one of {', '.join(BUILDABLE_TYPES)})"
        )
    if not space.training:
        return
    names = ", ".join(name for name, _ in space.training)
    if search.strategy == "rl":
        raise ConfigError(
            f"search.strategy: rl cannot search the training settings of space "
            f"{space.name!r} ({names}); use random, evolution or tpe"
        )
    if search.evaluator == "shared":
        raise ConfigError(
            f"search.evaluator: shared (one supernet) cannot score the training settings of "
            f"space {space.name!r} ({names}); use independent"
        )


def _begin(
    run_dir: Path,
    config: RunConfig,
    space: ModelSpace,
    strategy: Strategy,
    evaluator: Evaluator,
    resume: bool,
    log: Callable[[str], None],
) -> tuple[int, float, list[dict]]:
    """The first step to run, the seconds already spent and the history so far: from the
    checkpoint (``resume`` and one exists), else a new search (warmed up if configured)."""
    restored = restore_search(run_dir, strategy, evaluator) if resume else None
    if restored is not None:
        start, elapsed = restored
        rows = history.resume_history(run_dir, start, space)
        log(f"resuming at step {start} ({elapsed:.0f} s already spent)")
        return start, elapsed, rows
    if resume:  # killed before its first step was saved, or a folder of no search yet
        log(f"nothing to resume in {run_dir} (no finished step saved): a new search")
    history.clear_history(run_dir)
    search = config.search
    if search.warmup_epochs:
        rng = np.random.default_rng(config.seed)
        log(f"warm-up: {search.warmup_epochs} supernet epochs on random architectures")
        evaluator.warmup(partial(sample_architecture, space, rng), search.warmup_epochs)
    return 0, 0.0, []


def start_line(config: RunConfig, splits: DataSplits, run_dir: Path,
               budget_seconds: float | None, at_once: int) -> str:
    """The line a search starts with: the space, the strategy, how candidates are scored
    and how many at a time (``at_once``: the executor's slots), the training and
    validation sequences, the budget (or that there is none) and the run folder."""
    search = config.search
    independent = search.independent
    if search.evaluator == "shared":
        scoring = "one weight-sharing supernet"
    elif independent.rungs:
        scoring = f"children trained by successive halving (rungs {independent.rungs} epochs)"
    else:
        scoring = f"children trained {independent.epochs} epochs each"
    if search.evaluator == "independent":
        cap = independent.max_steps_per_epoch
        if cap is not None and len(splits.train) > cap * independent.batch_size:
            scoring += f", an epoch {cap * independent.batch_size:,} sequences"
        if at_once > 1:
            scoring += f", {at_once} at a time"
    valid = len(splits.valid) if splits.valid is not None else 0
    stop = (f"budget {search.budget or f'{budget_seconds:g} s'}" if budget_seconds is not None
            else f"no budget: {search.steps} steps of {search.archs_per_step} (--budget bounds it)")
    return (f"searching {search.space} ({search.strategy}; {scoring}) on "
            f"{len(splits.train):,} training and {valid:,} validation sequences; {stop} "
            f"-> {run_dir}")


def _training_paths(
    search: SearchConfig, space: ModelSpace, strategy: Strategy, seed: int, step: int
) -> Callable[[], Architecture]:
    """Where the supernet's minibatches of ``step`` take their architectures from."""
    if search.supernet.train_on == "uniform":  # seeded by the step, so resuming is exact
        return partial(sample_architecture, space, np.random.default_rng([seed, step]))
    return strategy.sampler(search.child_steps)


def _scored(
    archs: list[Architecture], scores: list[Score | None], measured: list[Measured]
) -> tuple[list[Architecture], list[Score], list[Measured]]:
    """The architectures that got a score, their scores and costs: one the budget left
    unscored is not told (the strategy never saw it) and not written."""
    scored = zip(archs, scores, measured, strict=True)
    kept = [(a, s, m) for a, s, m in scored if s is not None]
    return [a for a, _, _ in kept], [s for _, s, _ in kept], [m for _, _, m in kept]


class ChildLog:
    """Logs each child of a step as it finishes (the independent evaluator's
    ``on_scored``): its reward, the epochs it trained, its seconds and the best reward of
    the search so far, or why it failed. Children of a parallel executor finish in any
    order, so the lines count them as they come."""

    def __init__(self, step: int, best: float | None, log: Callable[[str], None]) -> None:
        self.step, self.best, self.log, self.count = step, best, log, 0

    def __call__(self, score: Score) -> None:
        self.count += 1
        head = f"  step {self.step + 1}, child {self.count}:"
        if not score.valid:
            self.log(f"{head} failed ({score.error})")
            return
        self.best = score.reward if self.best is None else max(self.best, score.reward)
        epochs = score.metrics.get("epochs")
        trained = (f" after {epochs:g} epoch{'s' if epochs != 1 else ''}"
                   if isinstance(epochs, int | float) else "")
        self.log(f"{head} reward {score.reward:.4f}{trained}, {score.seconds:.0f} s "
                 f"(best so far {self.best:.4f})")


def _best_reward(rows: list[dict]) -> float | None:
    """The best finite reward of the history rows (None: none yet)."""
    rewards = [r["reward"] for r in rows
               if r.get("reward") is not None and math.isfinite(r["reward"])]
    return max(rewards) if rewards else None


def _step_line(
    step: int, steps: int, rows: list[dict], train_stats: dict, seconds: float,
    parts: dict[str, float],
) -> str:
    """The log line of a finished step: how many architectures it scored (a budget can stop
    a step part way), the supernet's loss only where one was trained, and the parts of the
    step that took any time (``scoring 203.6`` alone for independent children drawn at
    random)."""
    rewards = [r["reward"] for r in rows if r["reward"] is not None]
    mean_reward = float(np.mean(rewards)) if rewards else None
    failed = f", {len(rows) - len(rewards)} failed" if len(rows) > len(rewards) else ""
    loss = train_stats.get("loss")
    supernet = f" | supernet loss {_fmt(loss)}" if loss is not None and math.isfinite(loss) else ""
    spent = ", ".join(f"{part} {value:.1f}" for part, value in parts.items() if value >= 0.05)
    return (
        f"step {step + 1}/{steps}: {len(rewards)} scored{failed}, reward mean {_fmt(mean_reward)}"
        f" best {_fmt(max(rewards) if rewards else None)}{supernet} | {seconds:.1f} s"
        + (f" ({spent})" if spent else "")
    )


def _fmt(value) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.4f}"
