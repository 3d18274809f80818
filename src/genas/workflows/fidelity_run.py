"""`genas fidelity CONFIG`: how well each evaluator ranks architectures on the user's data.

For ``n_archs`` architectures drawn uniformly from the config's search space:

- the **true score**: each trained standalone with the config's training recipe (early
  stopping on validation AUROC) once per seed of ``TRUTH_SEEDS``, the mean validation AUROC;
  the two seeds' agreement with each other is the ceiling no estimate can pass;
- the ``independent`` evaluator after each of ``epochs`` epochs (one training per
  architecture gives every point of its learning curve);
- one weight-sharing supernet trained on uniformly drawn paths, scored after each of
  ``supernet_epochs`` epochs with each BatchNorm mode of :data:`BATCHNORM` (not on a
  space that searches training settings, which one supernet cannot score).

Every estimate is compared with the true score by Kendall τ (and its p-value against
chance), Spearman ρ and the precision of the top 5
(:func:`genas.search.fidelity.rank_agreement`), beside the seconds it took.
All scores use one validation split (drawn with the config's seed). Each measurement is
written into ``OUT`` as it finishes and reused by a rerun, so a stopped run continues.
``benchmarks/fidelity.py`` runs the same pieces in parallel processes.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genas.config import ModelConfig, RunConfig, SearchConfig
from genas.data import DataSplits, load_splits
from genas.errors import GenasError
from genas.fileio import atomic_write_json
from genas.parallel import TrialResult, make_executor, require_shared_dir
from genas.run_lock import run_folder_lock
from genas.search.evaluators import IndependentEvaluator, SharedEvaluator
from genas.search.evaluators.base import failure_message
from genas.search.evaluators.seeding import derive_seed
from genas.search.fidelity import rank_agreement
from genas.space import get_space, sample_architecture
from genas.train.metrics import headline, metrics_task_type
from genas.workflows.overrides import apply_overrides

TRUTH_SEEDS = (1, 2)
#: How the supernet's BatchNorm normalises a scored path (SharedEvaluator's ``bn``).
BATCHNORM = ("batch", "running", "recalibrate")
FIDELITY_JSON = "fidelity.json"


def fidelity_architectures(space_name: str, n_archs: int, seed: int) -> list[list[int]]:
    """``n_archs`` token lists drawn uniformly from a space, as random search draws them."""
    space = get_space(space_name)
    rng = np.random.default_rng(seed)
    return [sample_architecture(space, rng).to_tokens() for _ in range(n_archs)]


def truth_score(config: RunConfig, tokens: list[int], seed: int, out: Path,
                splits: DataSplits | None = None) -> dict:
    """One standalone training of ``tokens`` with ``seed`` into ``out`` (a finished one
    there is reused): its validation and test mean AUROC, epochs and seconds. For a
    regression or multiclass run the two scores are its headline score instead (mean Pearson
    r, macro AUROC), under the same keys."""
    from genas.workflows.train_run import finished_run, train_run

    config = config.model_copy(deep=True)
    data_seed = config.seed
    config.seed = seed
    config.model = ModelConfig(space=_search(config).space, architecture=tokens)
    splits = splits or load_splits(config.data, data_seed)
    result = finished_run(config, out) or train_run(config, out, progress=False, splits=splits)
    metrics = result.metrics
    key = headline(metrics_task_type(metrics["valid"]))
    return {"valid_auroc": metrics["valid"]["summary"][key],
            "test_auroc": (metrics.get("test") or {}).get("summary", {}).get(key),
            "epochs": len(metrics["history"]), "seconds": metrics["train_seconds"]}


def curve_scores(config: RunConfig, tokens: list[int], epochs: Sequence[int],
                 splits: DataSplits | None = None) -> dict:
    """The independent evaluator's reward (seeded by ``config.seed``) of ``tokens`` after
    each of ``epochs`` epochs, with the seconds spent up to each."""
    splits = splits or load_splits(config.data, config.seed)
    evaluator = IndependentEvaluator(_search(config).space, splits, config, config.train.device)
    scores = evaluator.learning_curve(tokens, epochs)
    return {str(e): {"reward": s.reward, "seconds": s.seconds}
            for e, s in zip(epochs, scores, strict=True)}


def supernet_scores(config: RunConfig, archs: list[list[int]], epochs: Sequence[int],
                    splits: DataSplits | None = None) -> dict:
    """One supernet (seeded by ``config.seed``) trained on uniformly drawn paths; every
    architecture scored after each of ``epochs`` epochs of training, with each BatchNorm
    mode of :data:`BATCHNORM`."""
    splits = splits or load_splits(config.data, config.seed)
    search = _search(config)
    evaluator = SharedEvaluator(search.space, splits, config, config.train.device)
    space = get_space(search.space)
    rng = np.random.default_rng(derive_seed(config.seed, "fidelity-supernet-paths"))
    out, done, train_seconds = {}, 0, 0.0
    for total in epochs:
        stats = evaluator.warmup(lambda: sample_architecture(space, rng), total - done)
        done, train_seconds = total, train_seconds + stats.get("seconds", 0.0)
        for bn in BATCHNORM:
            evaluator.bn = bn
            started = time.perf_counter()
            rewards = [s.reward for s in evaluator.score_many(archs)]
            out[f"{total}:{bn}"] = {"rewards": rewards, "train_seconds": train_seconds,
                                    "score_seconds": time.perf_counter() - started}
    return out


def fidelity_table(raw: dict, epochs: Sequence[int], supernet_epochs: Sequence[int],
                   title: str) -> dict:
    """The table of one measurement (:func:`fidelity_run`'s ``raw``): one row per estimate."""
    truth = [float(np.mean([t["valid_auroc"] for t in ts])) for ts in raw["truth"]]
    rows = []

    n = len(truth)

    def row(label: str, estimate: list[float], seconds: float) -> None:
        agree = rank_agreement(estimate, truth)
        rows.append([label, agree["n"], agree["kendall_tau"], agree["kendall_p"],
                     agree["spearman_rho"], agree["top_precision"], seconds, seconds / n])

    first = [ts[0]["valid_auroc"] for ts in raw["truth"]]
    second = [ts[1]["valid_auroc"] for ts in raw["truth"]]
    ceiling = rank_agreement(first, second)
    seconds = sum(ts[0]["seconds"] for ts in raw["truth"])
    rows.append(["standalone seed 1 vs seed 2 (the ceiling)", ceiling["n"],
                 ceiling["kendall_tau"], ceiling["kendall_p"], ceiling["spearman_rho"],
                 ceiling["top_precision"], seconds, seconds / n])
    for e in epochs:
        row(f"independent, {e} epoch{'s' if e > 1 else ''}",
            [c[str(e)]["reward"] for c in raw["curves"]],
            sum(c[str(e)]["seconds"] for c in raw["curves"]))
    for e in supernet_epochs:
        for bn in BATCHNORM:
            got = raw["supernet"][f"{e}:{bn}"]
            row(f"supernet, {e} epoch{'s' if e > 1 else ''}, {bn} BN",
                got["rewards"], got["train_seconds"] + got["score_seconds"])
    return {"title": title,
            "columns": ["evaluator", "archs", "Kendall τ", "τ p-value", "Spearman ρ",
                        "top-5 precision", "seconds", "s / arch"],
            "rows": rows}


#: The p-value below which an evaluator's Kendall τ counts as a ranking, not chance.
SIGNIFICANT = 0.05


def fidelity_verdict(table: dict) -> str:
    """One sentence on a :func:`fidelity_table`: the cheapest evaluator (seconds per
    architecture) whose ranking agrees with the true score better than chance (τ > 0 at
    p < :data:`SIGNIFICANT`), the best rank agreement per second among those measured; or
    that none did. Either way, the two standalone trainings' own agreement beside it."""
    at = {name: i for i, name in enumerate(table["columns"])}
    ceiling, *estimates = table["rows"]
    tau, p, per_arch = at["Kendall τ"], at["τ p-value"], at["s / arch"]
    agree = (f"two standalone trainings of each architecture agree at τ {ceiling[tau]:.2f} "
             f"(p {ceiling[p]:.3f})")
    ranking = [row for row in estimates
               if math.isfinite(row[tau]) and row[tau] > 0 and row[p] < SIGNIFICANT]
    if not ranking:
        return (f"no evaluator ranked the architectures better than chance (τ > 0 at p < "
                f"{SIGNIFICANT}); {agree}")
    best = min(ranking, key=lambda row: row[per_arch])
    return (f"cheapest evaluator that ranks better than chance: {best[0]} (τ {best[tau]:.2f}, "
            f"p {best[p]:.3f}, {best[per_arch]:.1f} s per architecture); {agree}")


def fidelity_run(
    config: RunConfig,
    out: str | Path,
    *,
    n_archs: int = 30,
    epochs: Sequence[int] = (1, 2, 4),
    supernet_epochs: Sequence[int] = (1, 2, 4, 8),
    device: str | None = None,
    executor: Mapping[str, Any] | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Measure every estimate of :mod:`this module <genas.workflows.fidelity_run>` in
    ``out`` (reusing what a previous run finished); writes and returns
    ``OUT/fidelity.json`` (``{"table": ..., "verdict": ..., "raw": ...}``:
    :func:`fidelity_table`, :func:`fidelity_verdict`). ``device`` overrides the
    config's ``train.device``, ``executor`` its ``executor:`` settings: the measurements
    are trials of that executor (``{"workers": 2}``: two at a time in worker processes).

    Raises:
        GenasError: no validation data, fewer than 5 architectures, bad epoch lists, or a
            measurement that failed (the others are kept for a rerun).
    """
    _search(config)
    config = apply_overrides(config, device=device, executor=executor)
    if n_archs < 5:
        raise GenasError(f"--archs must be at least 5 (a top 5 is compared), got {n_archs}")
    for name, values in (("--epochs", epochs), ("--supernet-epochs", supernet_epochs)):
        if not values or list(values) != sorted(set(values)) or values[0] < 1:
            raise GenasError(f"{name} must be ascending positive integers, got {list(values)}")
    out = Path(out)
    splits = load_splits(config.data, config.seed)  # checked before the folder is made
    archs = fidelity_architectures(
        _search(config).space, n_archs, derive_seed(config.seed, "fidelity-architectures")
    )
    with run_folder_lock(out, create=True):
        raw = measure_all(config, _estimate_config(config), archs, out, epochs,
                          supernet_epochs, splits, log)
        table = fidelity_table(raw, epochs, raw["supernet_epochs"],
                               f"rank agreement with standalone training ({len(archs)} "
                               f"architectures of {_search(config).space})")
        result = {"table": table, "verdict": fidelity_verdict(table), "raw": raw}
        atomic_write_json(out / FIDELITY_JSON, result)
    return result


@dataclass(frozen=True)
class FidelityContext:
    """What the measurements of one :func:`measure_all` share."""

    truth_config: RunConfig  # the standalone trainings' (its seed draws the data split)
    estimate_config: RunConfig  # the evaluators' (a seed of their own)
    archs: list[list[int]]
    epochs: tuple[int, ...]
    supernet_epochs: tuple[int, ...]
    splits: DataSplits
    out: str


def measure_trial(item: tuple, context: FidelityContext, attempt: int) -> str:
    """One measurement, written to ``OUT/NAME.json``; returns NAME. ``item``:
    ``("supernet",)``, ``("curve", i)`` or ``("truth", i, seed)`` (the standalone training
    goes into ``OUT/truth_I_sSEED``; a retry reuses it if it finished)."""
    kind, *rest = item
    out, splits = Path(context.out), context.splits
    if kind == "supernet":
        name = "supernet"
        value = supernet_scores(context.estimate_config, context.archs,
                                context.supernet_epochs, splits)
    elif kind == "curve":
        (i,) = rest
        name = f"curve_{i}"
        value = curve_scores(context.estimate_config, context.archs[i], context.epochs, splits)
    else:
        i, seed = rest
        name = f"truth_{i}_s{seed}"
        value = truth_score(context.truth_config, context.archs[i], seed, out / name, splits)
    atomic_write_json(out / f"{name}.json", value)
    return name


def measure_all(
    truth_config: RunConfig,
    estimate_config: RunConfig,
    archs: list[list[int]],
    out: Path,
    epochs: Sequence[int],
    supernet_epochs: Sequence[int],
    splits: DataSplits,
    log: Callable[[str], None] = print,
) -> dict:
    """Every measurement of ``archs`` not yet in ``out`` (``NAME.json``, reused as it is),
    as trials of ``truth_config.executor``: the supernet (left out for a space that
    searches training settings: :func:`_supernet_epochs_for`), each architecture's learning
    curve and its standalone trainings with each seed of :data:`TRUTH_SEEDS`. Returns the
    raw measurements (``archs``, ``truth``, ``curves``, ``supernet``, ``supernet_epochs``)
    that :func:`fidelity_table` reads.

    Raises:
        GenasError: a measurement failed twice (the finished ones stay in ``out``).
    """
    supernet_epochs = tuple(_supernet_epochs_for(_search(truth_config).space, supernet_epochs,
                                                log))
    items: list[tuple] = [("supernet",)] if supernet_epochs else []
    for i in range(len(archs)):
        items += [("curve", i), *(("truth", i, seed) for seed in TRUTH_SEEDS)]
    out.mkdir(parents=True, exist_ok=True)
    todo = [item for item in items if not (out / f"{_name(item)}.json").is_file()]
    if todo:
        with make_executor(truth_config.executor) as executor:
            log(f"{len(todo)} of {len(items)} measurements to make ({len(archs)} "
                f"architectures; {executor.name} executor, {executor.slots} at a time)")
            context = executor.share(FidelityContext(
                truth_config, estimate_config, archs, tuple(epochs), supernet_epochs, splits,
                str(require_shared_dir(out))))

            finished = iter(range(1, len(todo) + 1))

            def done(index: int, result: TrialResult) -> None:
                state = "done" if result.ok else f"failed: {failure_message(result.error)}"
                log(f"{next(finished)}/{len(todo)}: {_name(todo[index])} {state}")

            results = executor.map(measure_trial, todo, context, on_done=done)
        failed = [(item, r) for item, r in zip(todo, results, strict=True) if not r.ok]
        if failed:
            item, result = failed[0]
            raise GenasError(
                f"{out}: {len(failed)} measurement(s) failed, e.g. {_name(item)} "
                f"({failure_message(result.error)}); a rerun makes only what is missing"
            )
    read = lambda name: json.loads((out / f"{name}.json").read_text())  # noqa: E731
    return {
        "archs": archs,
        "truth": [[read(f"truth_{i}_s{s}") for s in TRUTH_SEEDS] for i in range(len(archs))],
        "curves": [read(f"curve_{i}") for i in range(len(archs))],
        "supernet": read("supernet") if supernet_epochs else {},
        "supernet_epochs": list(supernet_epochs),
    }


def _name(item: tuple) -> str:
    """The file name (without ``.json``) of a measurement of :func:`measure_trial`."""
    kind, *rest = item
    return kind if kind == "supernet" else "_".join(
        [kind, str(rest[0]), *(f"s{seed}" for seed in rest[1:])])


def _supernet_epochs_for(space_name: str, supernet_epochs: Sequence[int],
                        log: Callable[[str], None]) -> Sequence[int]:
    """``supernet_epochs``, or none for a space that searches training settings: the
    supernet shares one set of weights and one learning rate, so it cannot score them (a
    search refuses ``evaluator: shared`` there, :func:`genas.search.loop.check_search`),
    and its rows would rank the architectures without their settings."""
    space = get_space(space_name)
    if not space.training:
        return supernet_epochs
    names = ", ".join(name for name, _ in space.training)
    log(f"no supernet rows: the supernet cannot score the training settings space "
        f"{space.name!r} searches ({names})")
    return ()


def _search(config: RunConfig) -> SearchConfig:
    if config.search is None:
        raise GenasError("the config has no `search:` section (its space is measured)")
    return config.search


def _estimate_config(config: RunConfig) -> RunConfig:
    """The config the estimates use: the run's, with a seed of their own, so that their
    trainings are independent of the true scores' (the data split stays the config's)."""
    config = config.model_copy(deep=True)
    config.seed = derive_seed(config.seed, "fidelity-estimates") % 2**31
    return config
