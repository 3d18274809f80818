"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real test data folder ``<repo root>/../shared/data``; skips the test if absent."""
    path = (REPO_ROOT / ".." / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"shared test data not found at {path}")
    return path


def planted_sequences(rng, n: int, length: int, motif: str | None) -> list[str]:
    """Random ACGT sequences, each with `motif` planted at a random position (if given)."""
    import numpy as np

    letters = np.array(list("ACGT"))
    seqs = []
    for _ in range(n):
        s = "".join(letters[rng.integers(0, 4, size=length)])
        if motif:
            at = int(rng.integers(0, length - len(motif)))
            s = s[:at] + motif + s[at + len(motif) :]
        seqs.append(s)
    return seqs


@pytest.fixture(scope="session")
def tiny_fasta(tmp_path_factory) -> dict:
    """A one-task FASTA dataset (100 bp; positives carry an AP-1-like site): a data config."""
    import numpy as np

    from genas.seq.fasta import FastaRecord, write_fasta

    root = tmp_path_factory.mktemp("tiny_fasta")
    rng = np.random.default_rng(0)
    plan = (("pos", "TGACTCAGCA", 300), ("neg", None, 300), ("tpos", "TGACTCAGCA", 60))
    for name, motif, n in (*plan, ("tneg", None, 60)):
        records = [
            FastaRecord(f"{name}{i}", s)
            for i, s in enumerate(planted_sequences(rng, n, 100, motif))
        ]
        write_fasta(root / f"{name}.fa", records)
    return {
        "format": "fasta",
        "task": "site",
        "train": {"positives": [str(root / "pos.fa")], "negatives": [str(root / "neg.fa")]},
        "test": {"positives": [str(root / "tpos.fa")], "negatives": [str(root / "tneg.fa")]},
        "valid_fraction": 0.2,
    }


@pytest.fixture(scope="session")
def tiny_run(tiny_fasta, tmp_path_factory) -> Path:
    """A searched (2 steps), retrained and compared run folder on `tiny_fasta` (seconds).

    `search_run(retrain=True)` writes its `report.html` itself (before `comparison.json`).
    """
    from genas.config import parse_config
    from genas.data import load_splits
    from genas.workflows.compare_run import compare_run
    from genas.workflows.search_run import search_run

    run_dir = tmp_path_factory.mktemp("tiny_run") / "run"
    raw = {
        "seed": 3,
        "data": tiny_fasta,
        "search": {  # AMBER's method, one model: the tests read its single network
            "space": "small",
            "strategy": "rl",
            "evaluator": "shared",
            "retrain_top_k": 1,
            "steps": 2,
            "child_steps": 3,
            "archs_per_step": 3,
            "reward_sequences": 60,
            "supernet": {"batch_size": 32},
        },
        "train": {"batch_size": 32, "max_epochs": 2, "patience": 2},
    }
    config = parse_config(raw, Path("."))
    splits = load_splits(config.data, config.seed)
    quiet = {"progress": False, "log": lambda _: None, "splits": splits}
    search_run(config, run_dir, retrain=True, **quiet)
    compare_run(run_dir, n_random=1, references=(), **quiet)
    return run_dir


@pytest.fixture
def fresh_probe():
    """Forget genas's probe of the torch.compile backend before and after a test that
    patches ``torch.compile``."""
    from genas.train import compiling

    compiling.compile_unavailable.cache_clear()
    compiling._warn_once.cache_clear()
    yield
    compiling.compile_unavailable.cache_clear()
    compiling._warn_once.cache_clear()
