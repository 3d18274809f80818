"""`genas demo`: the whole job on the bundled NFE2 set, offline, in a few CPU minutes.

Searches the `small` space with AMBER's controller and a weight-sharing supernet, retrains
the chosen architecture, trains random architectures of the same space and the DeepBind-like
reference the same way, and prints their test AUROC beside the gkm-SVM scores shipped with
the data (an outside reference: Lee 2016, computed here from the shipped score files).
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import numpy as np
from rich.console import Console
from sklearn.metrics import average_precision_score, roc_auc_score

from genas.config import RunConfig, parse_config
from genas.data import load_splits
from genas.fileio import atomic_write_json
from genas.report.tables import comparison_table
from genas.train.metrics import auroc_standard_error
from genas.workflows.compare_run import compare_run
from genas.workflows.report_run import report_run
from genas.workflows.search_run import search_run

DEMO_SEED = 1


def demo_data_dir() -> Path:
    """Folder of the bundled NFE2 files (gzipped FASTA + gkm-SVM scores)."""
    return Path(str(resources.files("genas") / "demo_data"))


def demo_config(out: Path) -> RunConfig:
    """Config of the bundled set: 1288 train sequences (10 % held out for validation), 138 test."""
    data = demo_data_dir()
    raw = {
        "seed": DEMO_SEED,
        "data": {
            "format": "fasta",
            "task": "NFE2",
            "train": {"positives": ["nfe2.tr.fa.gz"], "negatives": ["nfe2.neg.tr.fa.gz"]},
            "test": {"positives": ["nfe2.test.fa.gz"], "negatives": ["nfe2.neg.test.fa.gz"]},
            "length": 250,
            "fit_length": "pad",
            "valid_fraction": 0.1,
            "rc_augment": True,
        },
        "train": {"max_epochs": 30, "patience": 6, "batch_size": 64, "rc_predict": True},
        "search": {
            "space": "small",
            "strategy": "rl",
            "evaluator": "shared",
            "warmup_epochs": 2,
            "steps": 40,
            "child_steps": 20,
            "archs_per_step": 10,
        },
        "output": {"dir": str(out)},
    }
    return parse_config(raw, data, "<demo>")


def gkm_svm_scores() -> tuple[np.ndarray, np.ndarray]:
    """Labels (1 = NFE2 peak) and gkm-SVM scores of the 138 bundled test sequences."""
    labels, scores = [], []
    for name, label in (("nfe2.test.pred.txt.gz", 1), ("nfe2.neg.test.pred.txt.gz", 0)):
        with gzip.open(demo_data_dir() / name, "rt") as handle:
            for line in handle:
                if line.strip():
                    scores.append(float(line.split()[1]))
                    labels.append(label)
    return np.array(labels), np.array(scores)


def run_demo(
    out: str | Path,
    *,
    budget: str = "3m",
    n_random: int = 3,
    progress: bool = True,
    console: Console | None = None,
) -> dict:
    """Search, retrain, compare; print the table, write `OUT/summary.json` and `OUT/report.html`.

    The search (AMBER controller × shared supernet over the `small` space) runs for at most
    `budget`; the chosen architecture is retrained from scratch, then `n_random` random
    architectures of the same space and the DeepBind-like reference are trained the same way.
    """
    console = console or Console()
    out = Path(out)
    log = lambda line: console.print(line, highlight=False)  # noqa: E731
    config = demo_config(out)
    splits = load_splits(config.data, DEMO_SEED)
    log(f"[bold]searching the small space on NFE2 (budget {budget})[/] -> {out}")
    search_run(
        config,
        out,
        budget=budget,
        retrain=True,
        progress=progress,
        log=log,
        splits=splits,
        report=False,  # written below, once the comparison is in
    )
    rows = compare_run(
        out, n_random=n_random, references=("deepbind",), splits=splits, progress=progress, log=log
    )
    labels, scores = gkm_svm_scores()
    auroc = float(roc_auc_score(labels, scores))
    auprc = float(average_precision_score(labels, scores))
    rows.append(
        {
            "model": "gkm-SVM (shipped scores)",
            "parameters": None,
            "test_mean_auroc": auroc,
            "test_auroc_se": auroc_standard_error(
                auroc, int(labels.sum()), int((labels == 0).sum())
            ),
            "test_median_auroc": auroc,
            "test_mean_auprc": auprc,
            "train_seconds": None,
            "run_dir": None,
        }
    )
    console.print(comparison_table(rows, title="NFE2 test set (69 peaks + 69 background)"))
    summary = {"dataset": "NFE2 GM12878 (bundled)", "results": rows}
    atomic_write_json(out / "summary.json", summary)
    report_run(out, log=log)
    log(f"run folder: {out} (predict with: genas predict {out} sequences.fa -o scores.tsv)")
    return summary
