"""`genas demo`: the whole job on a bundled ChIP-seq set, offline, in 10–15 minutes on 2 cores.

Searches with genas's default search settings on the bundled TAF7 set (H1-hESC ChIP-seq,
101 bp; see ``demo_data/SOURCE.md``), retrains what the search found, trains random
architectures of the same space and the DeepBind-like reference the same way, and prints
their test AUROC with its standard error. TAF7 is far from saturated (DeepBind-like ≈ 0.84),
so the models differ there; the NFE2 files bundled beside it serve the examples and tests.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import torch
from rich.console import Console

from genas.config import RunConfig, parse_config
from genas.data import DataSplits, load_splits
from genas.fileio import atomic_write_json
from genas.report.tables import comparison_table
from genas.run_files import DEMO_SUMMARY_JSON
from genas.run_lock import locks_run_folder
from genas.train.device import resolve_device
from genas.workflows.compare_run import baseline_models, compare_run
from genas.workflows.report_run import report_run
from genas.workflows.search_run import retrain_models, retrain_run, search_run
from genas.workflows.train_many import train_many

DEMO_SEED = 1
REFERENCES = ("deepbind",)  # the reference networks the demo trains beside the searched one


def demo_data_dir() -> Path:
    """Folder of the bundled data (gzipped FASTA; see its SOURCE.md)."""
    return Path(str(resources.files("genas") / "demo_data"))


def demo_config(out: Path, workers: int = 1, seed: int = DEMO_SEED) -> RunConfig:
    """Config of the bundled TAF7 set: 16,000 training sequences (8,000 peaks + one shuffle
    of each; 10 % held out for validation) and the 1,000 of DeepBind's own test set. The
    search section is genas's defaults. Every model trains for up to 12 epochs (patience 3),
    a demo's recipe, shorter than `genas train`'s default of 30 (patience 5): trained for up
    to 20 epochs, the demo's 14 models of seeds 1 and 2 ended at most 0.004 validation AUROC
    above their best of the first 12. With ``workers`` > 1, the search's children, the
    retrainings and the baselines train ``workers`` at a time in worker processes, one
    thread each (``executor: processes``; docs/cluster.md): small networks use one core
    each better than two cores together."""
    raw = {
        "seed": seed,
        "data": {
            "format": "fasta",
            "task": "TAF7",
            "train": {"positives": ["taf7.train.pos.fa.gz"],
                      "negatives": ["taf7.train.neg.fa.gz"]},
            "test": {"positives": ["taf7.test.pos.fa.gz"],
                     "negatives": ["taf7.test.neg.fa.gz"]},
            "length": 101,
            "valid_fraction": 0.1,
            "rc_augment": True,
        },
        "train": {"max_epochs": 12, "patience": 3, "batch_size": 64, "rc_predict": True},
        "search": {},
        "executor": {"backend": "processes", "workers": workers} if workers > 1 else {},
        "output": {"dir": str(out)},
    }
    return parse_config(raw, demo_data_dir(), "<demo>")


@locks_run_folder
def train_final_models(
    run_dir: Path,
    n_random: int,
    references: tuple[str, ...],
    splits: DataSplits,
    progress: bool,
    log: Callable[[str], None],
) -> None:
    """Train what `genas retrain` and `genas compare` would train for the searched run in
    ``run_dir``, together: with one model per core, the cores then never wait for the last
    retraining before the baselines start (the largest models start first). The two steps
    after it find the models trained and reuse them."""
    config, models = retrain_models(run_dir)
    models |= baseline_models(config, run_dir, n_random, references)
    train_many(config, models, splits=splits, progress=progress, log=log)


def demo_workers(device: str) -> int:
    """Models the demo trains at a time: on the CPU one per torch thread of this process
    (``--threads``, ``OMP_NUM_THREADS``, else its cores: :func:`genas.train.device.set_threads`),
    each in a worker process on one thread; one on a GPU."""
    return torch.get_num_threads() if resolve_device(device).type == "cpu" else 1


def run_demo(
    out: str | Path,
    *,
    budget: str = "3m",
    n_random: int = 3,
    progress: bool = True,
    console: Console | None = None,
    device: str = "auto",
    seed: int = DEMO_SEED,
) -> dict:
    """Search, retrain, compare; print the table, write `OUT/summary.json` and `OUT/report.html`.

    The search starts candidates for `budget` (those in training then finish), with
    genas's default search settings; what it found is retrained from scratch, then
    `n_random` random architectures of the same space and the DeepBind-like reference are
    trained the same way, on ``device`` (default: the GPU if there is one), with ``seed``
    for the validation split, the search and every training. On the CPU they train one
    model per thread this process may use at a time, each in a worker process on one
    thread; on a GPU one at a time.
    """
    console = console or Console()
    out = Path(out)
    log = lambda line: console.print(line, highlight=False)  # noqa: E731
    workers = demo_workers(device)
    config = demo_config(out, workers, seed)
    splits = load_splits(config.data, seed)
    log(f"[bold]genas demo: the bundled TAF7 ChIP-seq set (ENCODE H1-hESC, 101 bp), seed "
        f"{seed}[/]")
    search_run(
        config,
        out,
        budget=budget,
        progress=progress,
        log=log,
        splits=splits,
        device=device,  # recorded in the run's config.yaml, which the steps below read
    )
    train_final_models(out, n_random, REFERENCES, splits, progress, log)
    retrain_run(out, splits=splits, progress=progress, log=log)
    rows = compare_run(
        out, n_random=n_random, references=REFERENCES, splits=splits, progress=progress, log=log
    )
    console.print(comparison_table(rows, title="TAF7 test set (500 peaks + 500 shuffled)"))
    summary = {"dataset": "TAF7 H1-hESC (bundled)", "seed": seed, "budget": budget,
               "results": rows}
    atomic_write_json(out / DEMO_SUMMARY_JSON, summary)
    report_run(out, device=device, log=log)
    log(f"run folder: {out} (predict with: genas predict {out} sequences.fa -o scores.tsv)")
    return summary
