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
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from genas.config import ModelConfig, RunConfig, SearchConfig
from genas.data import DataSplits, load_splits
from genas.errors import GenasError
from genas.fileio import atomic_write_json
from genas.run_lock import run_folder_lock
from genas.search.evaluators import IndependentEvaluator, SharedEvaluator
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


def fidelity_run(
    config: RunConfig,
    out: str | Path,
    *,
    n_archs: int = 30,
    epochs: Sequence[int] = (1, 2, 4),
    supernet_epochs: Sequence[int] = (1, 2, 4, 8),
    device: str | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Measure every estimate of :mod:`this module <genas.workflows.fidelity_run>` in
    ``out`` (reusing what a previous run finished); writes and returns
    ``OUT/fidelity.json`` (``{"table": ..., "raw": ...}``). ``device`` overrides the
    config's ``train.device``.

    Raises:
        GenasError: no validation data, fewer than 5 architectures, or bad epoch lists.
    """
    _search(config)
    if device is not None:
        config = apply_overrides(config, device=device)
    if n_archs < 5:
        raise GenasError(f"--archs must be at least 5 (a top 5 is compared), got {n_archs}")
    for name, values in (("--epochs", epochs), ("--supernet-epochs", supernet_epochs)):
        if not values or list(values) != sorted(set(values)) or values[0] < 1:
            raise GenasError(f"{name} must be ascending positive integers, got {list(values)}")
    out = Path(out)
    splits = load_splits(config.data, config.seed)  # checked before the folder is made
    with run_folder_lock(out, create=True):
        return _measure(config, out, splits, n_archs, epochs, supernet_epochs, log)


def _measure(
    config: RunConfig,
    out: Path,
    splits: DataSplits,
    n_archs: int,
    epochs: Sequence[int],
    supernet_epochs: Sequence[int],
    log: Callable[[str], None],
) -> dict:
    """:func:`fidelity_run`'s measurements, once its input is checked and ``out`` locked."""
    archs = fidelity_architectures(
        _search(config).space, n_archs, derive_seed(config.seed, "fidelity-architectures")
    )
    estimates = _estimate_config(config)

    def measured(name: str, measure: Callable[[], Any]) -> Any:
        path = out / f"{name}.json"
        if not path.is_file():
            atomic_write_json(path, measure())
        return json.loads(path.read_text())

    supernet_epochs = supernet_epochs_for(_search(config).space, supernet_epochs, log)
    supernet = {}
    if supernet_epochs:
        log(f"supernet: {supernet_epochs[-1]} epochs, {len(archs)} architectures scored "
            f"after each of {list(supernet_epochs)}")
        supernet = measured("supernet", lambda: supernet_scores(estimates, archs,
                                                                supernet_epochs, splits))
    truth, curves = [], []
    for i, tokens in enumerate(archs):
        log(f"architecture {i + 1}/{len(archs)}: {len(TRUTH_SEEDS)} standalone trainings "
            f"and a learning curve")
        curves.append(measured(f"curve_{i}", lambda t=tokens: curve_scores(
            estimates, t, epochs, splits)))
        truth.append([
            measured(f"truth_{i}_s{s}", lambda t=tokens, s=s, i=i: truth_score(
                config, t, s, out / f"truth_{i}_s{s}", splits))
            for s in TRUTH_SEEDS
        ])
    raw = {"archs": archs, "truth": truth, "curves": curves, "supernet": supernet}
    table = fidelity_table(raw, epochs, supernet_epochs,
                           f"rank agreement with standalone training ({len(archs)} "
                           f"architectures of {_search(config).space})")
    result = {"table": table, "raw": raw}
    atomic_write_json(out / FIDELITY_JSON, result)
    return result


def supernet_epochs_for(space_name: str, supernet_epochs: Sequence[int],
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
