"""Evaluator fidelity: does a search's cheap score rank architectures as full training does?

    .venv/bin/python benchmarks/fidelity.py [--quick] [--datasets taf7,tbp,synthetic]
        [--archs 30] [--epochs 1,2,4] [--supernet-epochs 1,2,4,8] [--max-epochs 20]
        [--jobs 2] [--work DIR]

For each dataset, ``--archs`` architectures are drawn uniformly from the ``small`` space
(seed 0, as random search draws them). Each is

- trained standalone twice (seeds 1 and 2) with the retraining recipe (early stopping on
  validation AUROC, ``--max-epochs``, patience 4): its **true score** is the mean of the two
  validation AUROCs, and the agreement of seed 1 with seed 2 is the ceiling any estimate
  can reach;
- scored by the ``independent`` evaluator (seed 3) after each of ``--epochs`` epochs of
  training (one training per architecture gives every point of its learning curve);
- scored as a path of one weight-sharing supernet (the ``shared`` evaluator with genas's
  defaults: uniform paths) after each of ``--supernet-epochs`` epochs of training, with
  BatchNorm statistics of each scoring batch (genas's default), with the supernet's running
  statistics, and with statistics recalibrated on the scored path (1,024 training
  sequences).

All evaluators score on the same validation sequences (one split, data seed 1). The table
gives Kendall τ, Spearman ρ and the precision of the top 5 against the true score, with the
seconds each evaluator spent on all architectures (training and scoring). Each training
writes its result into ``--work`` (default: a temporary folder), so a rerun with the same
folder does only what is missing; ``--jobs N`` runs N trainings at once, each on cores/N
torch threads.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from common import print_table, write_result
from quality import dataset_config

from genas.config import RunConfig, parse_config
from genas.data import load_splits
from genas.fileio import atomic_write_json
from genas.search.evaluators import IndependentEvaluator, SharedEvaluator
from genas.search.fidelity import rank_agreement
from genas.space import get_space, sample_architecture

DATA_SEED = 1  # the validation split every evaluator scores on
TRUTH_SEEDS = (1, 2)
ESTIMATE_SEED = 3  # the evaluators' own seed: independent of the true scores' trainings
SPACE = "small"
#: How the supernet's BatchNorm normalises a scored path (SharedEvaluator's ``bn``).
BATCHNORM = ("batch", "running", "recalibrate")


def make_config(data: dict, base: Path, seed: int, args) -> RunConfig:
    raw = {
        "seed": seed,
        "data": data,
        "train": {"max_epochs": args.max_epochs, "patience": 4, "batch_size": 64,
                  "rc_predict": True, "device": "cpu"},
        "search": {"space": SPACE},
    }
    return parse_config(raw, base, "<fidelity>")


def architectures(n: int) -> list[list[int]]:
    rng = np.random.default_rng(0)
    return [sample_architecture(get_space(SPACE), rng).to_tokens() for _ in range(n)]


def truth_task(data: dict, base: Path, tokens: list[int], seed: int, out: Path, args) -> dict:
    """One standalone training of ``tokens`` with ``seed``: validation and test AUROC."""
    from genas.config import ModelConfig
    from genas.workflows.train_run import finished_run, train_run

    config = make_config(data, base, seed, args)
    config.model = ModelConfig(space=SPACE, architecture=tokens)
    splits = load_splits(config.data, DATA_SEED)
    started = time.perf_counter()
    result = finished_run(config, out) or train_run(config, out, progress=False, splits=splits)
    metrics = result.metrics
    return {"valid_auroc": metrics["valid"]["summary"]["mean_auroc"],
            "test_auroc": metrics["test"]["summary"]["mean_auroc"],
            "epochs": len(metrics["history"]), "seconds": metrics["train_seconds"],
            "wall": time.perf_counter() - started}


def curve_task(data: dict, base: Path, tokens: list[int], args) -> dict:
    """The independent evaluator's learning curve of ``tokens``: reward after each epoch count."""
    config = make_config(data, base, ESTIMATE_SEED, args)
    splits = load_splits(config.data, DATA_SEED)
    evaluator = IndependentEvaluator(SPACE, splits, config, "cpu")
    scores = evaluator.learning_curve(tokens, args.epochs)
    return {str(e): {"reward": s.reward, "seconds": s.seconds}
            for e, s in zip(args.epochs, scores, strict=True)}


def supernet_task(data: dict, base: Path, archs: list[list[int]], args) -> dict:
    """One supernet trained on uniform paths; every architecture scored after each epoch
    count of ``--supernet-epochs``, with each BatchNorm mode of :data:`BATCHNORM`."""
    config = make_config(data, base, ESTIMATE_SEED, args)
    splits = load_splits(config.data, DATA_SEED)
    evaluator = SharedEvaluator(SPACE, splits, config, "cpu")
    rng = np.random.default_rng([ESTIMATE_SEED, 7])
    space = get_space(SPACE)
    out, done, train_seconds = {}, 0, 0.0
    for epochs in args.supernet_epochs:
        stats = evaluator.warmup(lambda: sample_architecture(space, rng), epochs - done)
        done, train_seconds = epochs, train_seconds + stats.get("seconds", 0.0)
        for bn in BATCHNORM:
            evaluator.bn = bn
            started = time.perf_counter()
            rewards = [s.reward for s in evaluator.score_many(archs)]
            out[f"{epochs}:{bn}"] = {"rewards": rewards, "train_seconds": train_seconds,
                                     "score_seconds": time.perf_counter() - started}
        evaluator.bn = "batch"
    return out


def run_task(kind: str, path: Path, threads: int, *task_args) -> None:
    """Run one task in a worker and write its result to ``path`` (skipped if there)."""
    import torch

    if path.is_file():
        return
    torch.set_num_threads(threads)
    result = {"truth": truth_task, "curve": curve_task, "supernet": supernet_task}[kind](
        *task_args)
    atomic_write_json(path, result)


def measure(name: str, data: dict, base: Path, work: Path, args) -> dict:
    """Every training of one dataset (reusing those in ``work``); the tables' raw numbers."""
    archs = architectures(args.archs)
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    tasks = [("supernet", folder / "supernet.json", data, base, archs, args)]
    for i, tokens in enumerate(archs):
        tasks.append(("curve", folder / f"curve_{i}.json", data, base, tokens, args))
        for seed in TRUTH_SEEDS:
            tasks.append(("truth", folder / f"truth_{i}_s{seed}.json", data, base, tokens, seed,
                          folder / f"truth_{i}_s{seed}", args))
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=spawn) as pool:
        futures = [pool.submit(run_task, kind, path, threads, *rest)
                   for kind, path, *rest in tasks]
        for future in futures:
            future.result()
    read = lambda p: json.loads(p.read_text())  # noqa: E731
    truth = [[read(folder / f"truth_{i}_s{s}.json") for s in TRUTH_SEEDS]
             for i in range(len(archs))]
    curves = [read(folder / f"curve_{i}.json") for i in range(len(archs))]
    return {"archs": archs, "truth": truth, "curves": curves,
            "supernet": read(folder / "supernet.json")}


def tables(name: str, raw: dict, args) -> tuple[dict, list[str]]:
    """The fidelity table of one dataset and its notes."""
    truth = [float(np.mean([t["valid_auroc"] for t in ts])) for ts in raw["truth"]]
    rows = []

    def row(label: str, estimate: list[float], seconds: float) -> None:
        agree = rank_agreement(estimate, truth)
        rows.append([label, agree["n"], agree["kendall_tau"], agree["spearman_rho"],
                     agree["top_precision"], seconds])

    seed_1 = [ts[0]["valid_auroc"] for ts in raw["truth"]]
    seed_2 = [ts[1]["valid_auroc"] for ts in raw["truth"]]
    ceiling = rank_agreement(seed_1, seed_2)
    rows.append(["standalone seed 1 vs seed 2 (the ceiling)", ceiling["n"],
                 ceiling["kendall_tau"], ceiling["spearman_rho"], ceiling["top_precision"],
                 sum(ts[0]["seconds"] for ts in raw["truth"])])
    for epochs in args.epochs:
        key = str(epochs)
        row(f"independent, {epochs} epoch{'s' if epochs > 1 else ''}",
            [c[key]["reward"] for c in raw["curves"]],
            sum(c[key]["seconds"] for c in raw["curves"]))
    for epochs in args.supernet_epochs:
        for bn in BATCHNORM:
            got = raw["supernet"][f"{epochs}:{bn}"]
            row(f"supernet, {epochs} epoch{'s' if epochs > 1 else ''}, {bn} BN",
                got["rewards"], got["train_seconds"] + got["score_seconds"])
    spread = (min(truth), float(np.median(truth)), max(truth))
    notes = [
        f"{name}: {len(truth)} architectures of the `{SPACE}` space drawn uniformly; true "
        f"score = mean validation AUROC of 2 standalone trainings (min {spread[0]:.4f}, "
        f"median {spread[1]:.4f}, max {spread[2]:.4f}).",
        "seconds: all architectures together, training and scoring (the standalone row: one "
        "seed's trainings); 2 CPU cores shared by --jobs trainings at a time.",
    ]
    table = {"title": f"{name}: rank agreement of each evaluator with standalone training",
             "columns": ["evaluator", "archs", "Kendall τ", "Spearman ρ", "top-5 precision",
                         "seconds"],
             "rows": rows}
    return table, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="TAF7, 6 architectures, 4 epochs")
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--archs", type=int, default=None)
    parser.add_argument("--epochs", default="1,2,4", help="independent evaluator budgets")
    parser.add_argument("--supernet-epochs", default="1,2,4,8")
    parser.add_argument("--max-epochs", type=int, default=None, help="standalone (20)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--work", default=None, help="folder of the trainings (reused)")
    args = parser.parse_args()
    args.archs = args.archs or (6 if args.quick else 30)
    args.max_epochs = args.max_epochs or (4 if args.quick else 20)
    args.epochs = [int(e) for e in args.epochs.split(",")]
    args.supernet_epochs = [int(e) for e in args.supernet_epochs.split(",")]
    if args.quick:
        args.epochs, args.supernet_epochs = [1, 2], [1, 2]
    names = (args.datasets or ("taf7" if args.quick else "taf7,tbp,synthetic")).split(",")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="genas-fidelity-"))
    out_tables, notes, raw_all = [], [], {}
    for name in names:
        found = dataset_config(name, work, args.quick)
        if found is None:
            notes.append(f"{name}: data not found, skipped")
            continue
        data, base = found
        raw = measure(name, data, base, work, args)
        table, table_notes = tables(name, raw, args)
        print_table(table)
        out_tables.append(table)
        notes += table_notes
        raw_all[name] = raw
    write_result("fidelity", "Evaluator fidelity: rank agreement with standalone training",
                 out_tables, quick=args.quick, notes=notes, extra={"raw": raw_all})


if __name__ == "__main__":
    main()
