"""The search loop: train the supernet, ask/score/tell, update the controller, checkpoint.

One controller step (DESIGN.md §1):
  1. the evaluator trains for ``child_steps`` minibatches, each on its own architecture,
     drawn uniformly (``supernet.train_on: uniform``, the default), or all from the strategy
     in one ``ask_many`` (``Strategy.sampler``; ``train_on: strategy``, as ENAS and AMBER)
     (shared weights; a no-op for the independent evaluator);
  2. ``archs_per_step`` architectures are asked, scored (the independent evaluator trains
     them as trials of a :mod:`genas.parallel` executor: at once on Ray) and told in the
     order they were asked, so in-process and Ray runs write the same history;
  3. the strategy updates (REINFORCE for `rl`), and the step is written: history rows,
     controller probabilities with the step's seconds by part, then the checkpoint.
The loop stops after ``steps`` steps or once the wall-clock budget is spent: checked before
each step, and while scoring (the independent evaluator starts no child after the budget's
end, and the architectures it leaves unscored are neither told nor written), so a budget
is overrun by at most one child's training or one supernet step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch

from genas.config import RunConfig, SearchConfig
from genas.data import DataSplits
from genas.errors import ConfigError, GenasError
from genas.fileio import atomic_write_json
from genas.parallel import Executor, make_executor
from genas.search import history
from genas.search.checkpoint import load_search_state, save_search_state
from genas.search.evaluators import make_evaluator
from genas.search.strategies import make_strategy
from genas.space import Architecture, ModelSpace, get_space, sample_architecture
from genas.train.seeding import get_rng_state, seed_everything, set_rng_state

BEST_ARCHITECTURE = "best_architecture.json"


@dataclass
class SearchResult:
    run_dir: Path
    space: ModelSpace
    best: Architecture
    best_reward: float
    steps_done: int
    seconds: float
    stopped_by: str  # "steps" | "budget"


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
            return run_search(
                config,
                run_dir,
                splits,
                resume=resume,
                budget_seconds=budget_seconds,
                device=device,
                log=log,
                executor=own,
            )
    space = get_space(search.space)
    check_search(space, search)
    run_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)
    strategy = make_strategy(space, search, config.seed)
    evaluator = make_evaluator(space, splits, config, device, config.seed, executor)
    history_path = run_dir / history.HISTORY_JSONL
    probs_path = run_dir / history.PROBABILITIES_JSONL

    state = load_search_state(run_dir) if resume else None
    if state is not None:
        try:
            strategy.load_state_dict(state["strategy"])
            evaluator.load_state_dict(state["evaluator"])
            set_rng_state(state["rng"])
            start, elapsed = int(state["next_step"]), float(state["elapsed"])
        except ValueError as error:  # a checkpoint of another strategy, evaluator or space
            raise GenasError(f"{run_dir}: cannot resume this search: {error}") from None
        except (KeyError, TypeError, IndexError, AttributeError, RuntimeError) as error:
            # a checkpoint that unpickles but whose content is damaged (keys, types, shapes)
            problem = (str(error).splitlines() or [""])[0][:200]
            raise GenasError(
                f"{run_dir}: damaged search checkpoint, cannot resume ({type(error).__name__}: "
                f"{problem})"
            ) from None
        rows = history.resume_history(run_dir, start, space)
        log(f"resuming at step {start} ({elapsed:.0f} s already spent)")
    else:
        start, elapsed, rows = 0, 0.0, []
        for path in (history_path, probs_path):
            path.unlink(missing_ok=True)
        if search.warmup_epochs:
            rng = np.random.default_rng(config.seed)
            log(f"warm-up: {search.warmup_epochs} supernet epochs on random architectures")
            evaluator.warmup(partial(sample_architecture, space, rng), search.warmup_epochs)

    stopped_by = "steps"
    for step in range(start, search.steps):
        if budget_seconds is not None and elapsed >= budget_seconds:
            stopped_by = "budget"
            break
        began = time.perf_counter()
        if search.supernet.train_on == "uniform":  # seeded by the step, so resuming is exact
            step_rng = np.random.default_rng([config.seed, step])
            train_paths = partial(sample_architecture, space, step_rng)
        else:
            train_paths = strategy.sampler(search.child_steps)
        train_stats = evaluator.train(train_paths, search.child_steps)
        archs = strategy.ask_many(search.archs_per_step)
        scoring_began = time.perf_counter()
        deadline = None if budget_seconds is None else began + budget_seconds - elapsed
        scored = zip(archs, evaluator.score_many(archs, deadline), strict=True)
        # an architecture the budget left unscored is not told: the strategy never saw it
        archs, scores = map(list, zip(*[(a, s) for a, s in scored if s is not None], strict=True))
        scoring = time.perf_counter() - scoring_began
        for arch, score in zip(archs, scores, strict=True):
            strategy.tell(arch, score.reward)
        strategy_stats = strategy.step_end()
        seconds = time.perf_counter() - began
        parts = step_parts(seconds, train_stats.get("seconds", 0.0), scoring)

        step_rows = [
            {
                "step": step,
                "index": i,
                "arch_hash": arch.hash,
                "tokens": list(arch.to_tokens()),
                "reward": _finite_or_none(score.reward),
                "valid": score.valid,
                "metrics": {k: _finite_or_none(v) for k, v in score.metrics.items()},
                "seconds": score.seconds,
                "error": score.error,
            }
            for i, (arch, score) in enumerate(zip(archs, scores, strict=True))
        ]
        history.append_jsonl(history_path, step_rows)
        rows += step_rows
        history.append_jsonl(
            probs_path,
            [{"step": step, **strategy.probabilities(), "stats": _plain(strategy_stats),
              "seconds": parts}],
        )
        history.write_history_csv(run_dir / history.HISTORY_CSV, rows)
        save_search_state(
            run_dir,
            {
                "next_step": step + 1,
                "elapsed": elapsed + time.perf_counter() - began,  # the writes count too
                "strategy": strategy.state_dict(),
                "evaluator": evaluator.state_dict(),
                "rng": get_rng_state(),
            },
        )
        elapsed += time.perf_counter() - began
        rewards = [r["reward"] for r in step_rows if r["reward"] is not None]
        mean_reward = float(np.mean(rewards)) if rewards else None
        log(
            f"step {step + 1}/{search.steps}: reward mean {_fmt(mean_reward)}"
            f" best {_fmt(max(rewards) if rewards else None)}"
            f" | supernet loss {_fmt(train_stats.get('loss'))} | {seconds:.1f} s ("
            + ", ".join(f"{part} {value:.1f}" for part, value in parts.items()) + ")"
        )

    if not rows:
        raise GenasError(f"{run_dir}: the search scored no architecture (budget too small?)")
    best, best_reward = choose_final(space, rows, strategy, search.final)
    steps_done = max(r["step"] for r in rows) + 1
    record = best.to_json_dict(space)
    record.update(
        {
            "reward": best_reward,
            "chosen_by": search.final,
            "steps_done": steps_done,
            "search_seconds": elapsed,
            "seconds_by_part": total_parts(history.read_probabilities(probs_path)),
            "stopped_by": stopped_by,
        }
    )
    atomic_write_json(run_dir / BEST_ARCHITECTURE, record)
    return SearchResult(run_dir, space, best, best_reward, steps_done, elapsed, stopped_by)


def check_search(space: ModelSpace, search: SearchConfig) -> None:
    """A one-line :class:`ConfigError` for a search that cannot run on ``space``: AMBER's
    controller and the supernet know ops and skips only, not searched training settings."""
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


def step_parts(seconds: float, supernet: float, scoring: float) -> dict[str, float]:
    """Where a controller step's ``seconds`` went: supernet training (its minibatches and
    their sampled paths), scoring, and the rest, the controller's (sampling the architectures
    to score, learning from their rewards)."""
    return {"supernet": supernet, "scoring": scoring,
            "controller": max(seconds - supernet - scoring, 0.0)}


def total_parts(probability_rows: list[dict]) -> dict[str, float]:
    """:func:`step_parts` summed over the steps (rows of ``controller_probabilities.jsonl``;
    rows written before this split was recorded are skipped)."""
    totals = {"supernet": 0.0, "scoring": 0.0, "controller": 0.0}
    for row in probability_rows:
        for part, value in (row.get("seconds") or {}).items():
            totals[part] = totals.get(part, 0.0) + float(value)
    return totals


def choose_final(
    space: ModelSpace, rows: list[dict], strategy, rule: str
) -> tuple[Architecture, float]:
    """AMBER's rule (best reward of the last completed step) or the policy's most likely arch."""
    if rule == "most_likely":
        arch = strategy.most_likely()
        scored = [r["reward"] for r in rows if r["arch_hash"] == arch.hash and r["reward"]]
        return arch, (max(scored) if scored else math.nan)
    last = max(r["step"] for r in rows)
    candidates = [r for r in rows if r["step"] == last and r["reward"] is not None]
    if not candidates:
        candidates = [r for r in rows if r["reward"] is not None]
    if not candidates:
        raise GenasError("no architecture of the search got a finite reward")
    best = max(candidates, key=lambda r: r["reward"])
    return Architecture.from_tokens(space, best["tokens"]), best["reward"]


def _finite_or_none(value):
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return float(value) if isinstance(value, np.floating) else value


def _plain(stats: dict) -> dict:
    return {k: _finite_or_none(float(v)) for k, v in stats.items() if isinstance(v, int | float)}


def _fmt(value) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.4f}"
