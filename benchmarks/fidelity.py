"""Evaluator fidelity: does a search's cheap score rank architectures as full training does?

    .venv/bin/python benchmarks/fidelity.py [--quick] [--datasets taf7,tbp,synthetic]
        [--archs 30] [--epochs 1,2,4] [--supernet-epochs 1,2,4,8] [--max-epochs 20]
        [--jobs 2] [--work DIR] [--space small]

For each dataset, ``--archs`` architectures are drawn uniformly from ``--space`` (default
``small``: the architectures alone, which every evaluator can score; seed 0, as random
search draws them). Each is

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
  sequences). A space that searches training settings (``small-tuned``) has no supernet
  rows: one supernet cannot score them.

All evaluators score on the same validation sequences (one split, data seed 1). The table
gives Kendall τ (with its p-value against chance), Spearman ρ and the precision of the top
5 against the true score, with the seconds each evaluator spent on all architectures
(training and scoring). Each training writes its result into ``--work`` (default: a
temporary folder), so a rerun with the same folder does only what is missing; ``--jobs N``
runs N trainings at once, each on cores/N torch threads. The measurements are those of
``genas fidelity --workers N`` (:func:`genas.workflows.fidelity_run.measure_all`), with
this benchmark's fixed seeds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
from common import print_table, write_result
from quality import dataset_config
from scipy import stats

from genas.config import RunConfig, parse_config
from genas.data import load_splits
from genas.workflows.fidelity_run import (
    fidelity_architectures,
    fidelity_table,
    fidelity_verdict,
    measure_all,
)

DATA_SEED = 1  # the validation split every evaluator scores on
ESTIMATE_SEED = 3  # the evaluators' own seed: independent of the true scores' trainings
ARCHS_SEED = 0


def make_config(data: dict, base: Path, seed: int, args) -> RunConfig:
    """The run config of one dataset; its trainings run ``--jobs`` at a time in worker
    processes, each on cores / jobs torch threads."""
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    raw = {
        "seed": seed,
        "data": data,
        "train": {"max_epochs": args.max_epochs, "patience": 4, "batch_size": 64,
                  "rc_predict": True, "device": "cpu"},
        "search": {"space": args.space},
        "executor": {"backend": "processes", "workers": args.jobs, "cpus_per_trial": threads},
    }
    return parse_config(raw, base, "<fidelity>")


def measure(name: str, data: dict, base: Path, work: Path, args) -> dict:
    """Every measurement of one dataset (reusing those in ``work``), ``--jobs`` at a time:
    :func:`genas.workflows.fidelity_run.measure_all` with this benchmark's seeds."""
    folder = work / name if args.space == "small" else work / f"{name}_{args.space}"
    truth_config = make_config(data, base, DATA_SEED, args)
    return measure_all(truth_config, make_config(data, base, ESTIMATE_SEED, args),
                       fidelity_architectures(args.space, args.archs, ARCHS_SEED), folder,
                       args.epochs, args.supernet_epochs,
                       load_splits(truth_config.data, DATA_SEED))


def notes_of(name: str, raw: dict, space: str) -> list[str]:
    truth = np.array([np.mean([t["valid_auroc"] for t in ts]) for ts in raw["truth"]])
    test = np.array([np.mean([t["test_auroc"] for t in ts]) for ts in raw["truth"]])
    order = np.argsort(-truth)
    return [
        f"{name}: {len(truth)} architectures of the `{space}` space drawn uniformly; true "
        f"score = mean validation AUROC of 2 standalone trainings (min {truth.min():.4f}, "
        f"median {np.median(truth):.4f}, max {truth.max():.4f}).",
        f"{name}, test AUROC of the same trainings (mean of 2 seeds): min {test.min():.4f}, "
        f"median {np.median(test):.4f}, max {test.max():.4f}; the architecture with the best "
        f"true score {test[order[0]]:.4f}, the best 5 by true score {test[order[:5]].mean():.4f} "
        f"on average; Kendall τ of true score vs test AUROC "
        f"{stats.kendalltau(truth, test).statistic:.3f}. This is what a search that ranked "
        "as well as two full trainings per architecture could gain on test.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="TAF7, 6 architectures, 4 epochs")
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--archs", type=int, default=None)
    parser.add_argument("--epochs", default="1,2,4", help="independent evaluator budgets")
    parser.add_argument("--supernet-epochs", default="1,2,4,8")
    parser.add_argument("--max-epochs", type=int, default=None, help="standalone (20)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--space", default="small", help="the space drawn from (small)")
    parser.add_argument("--work", default=None, help="folder of the trainings (reused)")
    parser.add_argument("--machine-note", default=None,
                        help="a sentence on how the machine was shared while measuring")
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
        table = fidelity_table(raw, args.epochs, raw["supernet_epochs"],
                               f"{name}: rank agreement of each evaluator with standalone "
                               "training")
        print_table(table)
        out_tables.append(table)
        notes += notes_of(name, raw, args.space) + [f"{name}: {fidelity_verdict(table)}."]
        raw_all[name] = raw
    notes.append("seconds: all architectures together, training and scoring (the standalone "
                 "row: one seed's trainings); 2 CPU cores shared by --jobs measurements at a "
                 "time.")
    if args.machine_note:
        notes.append(args.machine_note)
    write_result("fidelity" if args.space == "small" else f"fidelity_{args.space}",
                 f"Evaluator fidelity: rank agreement with standalone training "
                 f"({args.space} space)",
                 out_tables, quick=args.quick, notes=notes, extra={"raw": raw_all})


if __name__ == "__main__":
    main()
