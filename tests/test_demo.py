"""`genas demo`'s config: the bundled TAF7 set, genas's default search, and one worker
process per core on the CPU."""

from __future__ import annotations

from pathlib import Path

import torch

from genas.config import SearchConfig
from genas.workflows.demo import demo_config, demo_data_dir, demo_workers


def test_bundled_files_exist() -> None:
    config = demo_config(Path("runs/demo"))
    for path in config.data.train.positives + config.data.train.negatives:
        assert Path(path).is_file(), path
    assert Path(demo_data_dir(), "SOURCE.md").is_file()


def test_search_is_genas_default() -> None:
    search = demo_config(Path("runs/demo")).search
    assert search.reward == "auroc_mean"  # what the default (None) means for one binary task
    assert search.model_dump(exclude={"reward"}) == SearchConfig().model_dump(exclude={"reward"})


def test_workers_train_in_worker_processes() -> None:
    two = demo_config(Path("runs/demo"), workers=2).executor
    assert (two.backend, two.workers, two.cpus_per_trial) == ("processes", 2, 1.0)
    assert demo_config(Path("runs/demo")).executor.backend == "inprocess"


def test_one_worker_per_cpu_thread() -> None:
    """--threads N (or OMP_NUM_THREADS) gives N workers on the CPU; one thread, in process."""
    before = torch.get_num_threads()
    try:
        for threads in (1, 2, 3):
            torch.set_num_threads(threads)
            assert demo_workers("cpu") == threads
    finally:
        torch.set_num_threads(before)


def test_seed_reaches_the_run() -> None:
    assert demo_config(Path("runs/demo")).seed == 1
    assert demo_config(Path("runs/demo"), seed=2).seed == 2
