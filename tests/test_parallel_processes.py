"""The process executor: worker processes of this machine (no Ray). Order, retries, a worker
that dies, follow-ups, a shared context, and an independent-evaluator search identical to the
in-process one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from test_parallel import _flaky, independent_config

from genas.data import load_splits
from genas.parallel import executor_config, make_executor
from genas.parallel.processes import ProcessExecutor
from genas.search.evaluators import make_evaluator
from genas.search.history import read_jsonl
from genas.search.loop import run_search
from genas.space import get_space, sample_architecture


@pytest.fixture(scope="module")
def pool():
    """Two workers for the module (starting a worker imports torch: seconds)."""
    with ProcessExecutor(workers=2) as executor:
        yield executor


@pytest.fixture
def one_thread():
    """Workers train with one thread; CPU float sums depend on the thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _die_once(item, marker_dir, attempt):
    """Kills its worker the first time it runs item 1 (marker file); else (item, pid)."""
    marker = Path(marker_dir) / f"{item}.started"
    if item == 1 and not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)
    return item, attempt


def _sum_with(item, context, attempt):
    return item + sum(context["values"])


def test_order_retries_and_recorded_failures(pool):
    results = pool.map(_flaky, [0, 1, 2, 3], {1: (1,), 2: (1, 2)})
    assert [r.value for r in results] == [0, 10, None, 30]
    assert [r.attempts for r in results] == [1, 2, 2, 1]
    assert "item 2 attempt 2" in str(results[2].error)
    assert pool.slots == 2


def test_a_dead_worker_is_replaced_and_its_trial_run_again(pool, tmp_path):
    results = pool.map(_die_once, [0, 1, 2], str(tmp_path))
    assert (tmp_path / "1.started").is_file()
    assert [r.value[0] for r in results] == [0, 1, 2] and all(r.ok for r in results)
    assert results[1].attempts == 2
    assert pool.map(_flaky, [4], {})[0].value == 40  # the new pool serves later maps


def test_follow_ups_and_a_shared_context(pool):
    shared = pool.share({"values": [1, 2, 3]})
    added = []

    def follow_up(index, result):
        added.append(index)
        return [100] if index == 0 else []

    results = pool.map(_sum_with, [0, 10], shared, follow_up=follow_up)
    assert [r.value for r in results] == [6, 16, 106]
    assert sorted(added) == [0, 1, 2]


def test_config_and_factory():
    config = executor_config(overrides={"backend": "processes", "workers": 3})
    with make_executor(config) as executor:
        assert isinstance(executor, ProcessExecutor) and executor.slots == 3
    assert ProcessExecutor(cpus_per_trial=64).slots == 1


def test_independent_search_in_processes_matches_in_process(tiny_fasta, tmp_path, pool,
                                                            one_thread):
    config = independent_config(tiny_fasta)
    splits = load_splits(config.data, config.seed)
    run_search(config, tmp_path / "inprocess", splits, log=lambda _: None)
    run_search(config, tmp_path / "processes", splits, log=lambda _: None, executor=pool)
    rows = [[{k: v for k, v in r.items() if k != "seconds"}
             for r in read_jsonl(tmp_path / name / "history.jsonl")]
            for name in ("inprocess", "processes")]
    assert rows[0] == rows[1] and len(rows[0]) == 6


def test_past_the_deadline_only_the_first_slots_train(tiny_fasta, pool):
    config = independent_config(tiny_fasta)
    splits = load_splits(config.data, config.seed)
    evaluator = make_evaluator("small", splits, config, device="cpu", executor=pool)
    space = get_space("small")
    archs = [sample_architecture(space, np.random.default_rng(i)) for i in range(4)]
    scores = evaluator.score_many(archs, deadline=time.perf_counter() - 1.0)
    assert [s is not None for s in scores] == [True, True, False, False]

