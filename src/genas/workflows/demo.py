"""`genas demo`: the whole job on the bundled NFE2 set, offline, in a few CPU minutes.

Trains the DeepBind-like reference and one architecture drawn from the `small` space on the
same data and budget, and prints their test AUROC beside the gkm-SVM scores shipped with
the data (an outside reference: Lee 2016, computed here from the shipped score files).
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.metrics import average_precision_score, roc_auc_score

from genas.config import RunConfig, parse_config
from genas.data import load_splits
from genas.fileio import atomic_write_json
from genas.space import get_space, sample_architecture
from genas.workflows.train_run import train_run

DEMO_SEED = 1


def demo_data_dir() -> Path:
    """Folder of the bundled NFE2 files (gzipped FASTA + gkm-SVM scores)."""
    return Path(str(resources.files("genas") / "demo_data"))


def demo_config(out: Path, model: dict) -> RunConfig:
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
        "model": model,
        "train": {"max_epochs": 30, "patience": 6, "batch_size": 64, "rc_predict": True},
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


def run_demo(out: str | Path, *, progress: bool = True, console: Console | None = None) -> dict:
    """Train the two models, print the comparison table, write `OUT/summary.json`."""
    console = console or Console()
    out = Path(out)
    space = get_space("small")
    arch = sample_architecture(space, np.random.default_rng(DEMO_SEED))
    models = {
        "DeepBind-like (reference)": {"reference": "deepbind"},
        f"small space, architecture {arch.hash}": {
            "space": "small",
            "architecture": list(arch.to_tokens()),
        },
    }
    splits = load_splits(demo_config(out, {"reference": "deepbind"}).data, DEMO_SEED)
    rows = []
    for label, model in models.items():
        run_dir = out / ("deepbind" if "reference" in model else "small_space")
        console.print(f"[bold]training {label}[/] -> {run_dir}")
        result = train_run(demo_config(run_dir, model), run_dir, progress=progress, splits=splits)
        test = result.metrics["test"]["summary"]
        rows.append(
            {
                "model": label,
                "parameters": result.parameters,
                "test_auroc": test["mean_auroc"],
                "test_auprc": test["mean_auprc"],
                "train_seconds": result.fit.seconds,
                "run_dir": str(run_dir),
            }
        )
    labels, scores = gkm_svm_scores()
    rows.append(
        {
            "model": "gkm-SVM (shipped scores)",
            "parameters": None,
            "test_auroc": float(roc_auc_score(labels, scores)),
            "test_auprc": float(average_precision_score(labels, scores)),
            "train_seconds": None,
            "run_dir": None,
        }
    )
    console.print(_table(rows))
    summary = {"dataset": "NFE2 GM12878 (bundled)", "results": rows}
    atomic_write_json(out / "summary.json", summary)
    return summary


def _table(rows: list[dict]) -> Table:
    table = Table(title="NFE2 test set (69 peaks + 69 background)")
    for column in ("model", "parameters", "test AUROC", "test AUPRC", "train s"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in rows:
        table.add_row(
            row["model"],
            "-" if row["parameters"] is None else f"{row['parameters']:,}",
            f"{row['test_auroc']:.3f}",
            f"{row['test_auprc']:.3f}",
            "-" if row["train_seconds"] is None else f"{row['train_seconds']:.0f}",
        )
    return table
