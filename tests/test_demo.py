"""`genas demo`'s config: the bundled TAF7 set, genas's default search, and one worker
process per core on the CPU; its final models trained in one pool, then reused."""

from __future__ import annotations

from pathlib import Path

import torch

from genas.config import SearchConfig, parse_config
from genas.data import load_splits
from genas.workflows.compare_run import compare_run
from genas.workflows.demo import demo_config, demo_data_dir, demo_workers, train_final_models
from genas.workflows.search_run import retrain_run, search_run


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


def test_final_models_train_together_then_retrain_and_compare_reuse_them(tiny_fasta, tmp_path):
    raw = {
        "seed": 2,
        "data": tiny_fasta,
        "search": {"space": "small", "strategy": "random", "evaluator": "shared",
                   "retrain_top_k": 2, "steps": 1, "child_steps": 1, "archs_per_step": 3,
                   "reward_sequences": 60, "supernet": {"batch_size": 32}},
        "train": {"batch_size": 32, "max_epochs": 1, "max_steps_per_epoch": 3},
    }
    config = parse_config(raw, Path("."))
    splits = load_splits(config.data, config.seed)
    quiet = {"splits": splits, "progress": False, "log": lambda _: None}
    search_run(config, tmp_path, **quiet)
    logged: list[str] = []
    train_final_models(tmp_path, 1, ("deepbind",), splits, False, logged.append)
    assert "training 4 models (inprocess executor)" in logged

    logged.clear()
    retrain_run(tmp_path, splits=splits, progress=False, log=logged.append)
    compare_run(tmp_path, n_random=1, references=("deepbind",), splits=splits, progress=False,
                log=logged.append)
    assert not any(line.startswith("training ") for line in logged)
    assert "already trained with the same settings, reused: rank_1, rank_2" in logged
    assert "already trained with the same settings, reused: random_1, deepbind" in logged
    assert (tmp_path / "model.json").is_file() and (tmp_path / "comparison.json").is_file()
