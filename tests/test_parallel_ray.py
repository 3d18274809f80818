"""The Ray executor on a local Ray instance (2 CPUs): retries after a worker dies, an
independent-evaluator search identical to the in-process one (and resumable), replicates."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import pytest
from test_parallel import independent_config

from genas.data import load_splits
from genas.parallel.ray_executor import RayExecutor
from genas.search.evaluators import make_evaluator
from genas.search.history import read_jsonl
from genas.search.loop import run_search
from genas.workflows.search_run import retrain_run, search_replicates, search_run

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance for the module (start-up costs seconds), shut down after."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers lack tests/
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(autouse=True)
def _one_thread():
    """Ray starts a 1-CPU trial's worker with one thread (OMP_NUM_THREADS=1); CPU float sums
    depend on the thread count, so the in-process runs compared with it use one thread too."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _die_once(item, marker_dir, attempt):
    """Kills its worker process the first time it runs for ``item`` (marker file), or
    raises for a negative item; else returns (item, attempt)."""
    if item < 0:
        raise ValueError(f"negative item {item}")
    marker = Path(marker_dir) / f"{item}.started"
    if item == 1 and not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)  # the worker dies mid-trial, as on a crash or OOM kill
    return item, attempt


def _strip_seconds(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def test_worker_death_is_retried_and_a_raising_trial_recorded(local_ray, tmp_path: Path):
    with RayExecutor() as executor:
        assert executor.gpus_per_trial == 0  # no GPU in the local instance
        results = executor.map(_die_once, [0, 1, -2], str(tmp_path))
    assert (tmp_path / "1.started").is_file()  # the first attempt did start, then died
    assert [r.value for r in results] == [(0, 1), (1, 2), None]
    assert [r.attempts for r in results] == [1, 2, 2]
    assert isinstance(results[2].error, ValueError) and "negative item -2" in str(results[2].error)
    assert ray.is_initialized()  # an instance the executor did not start is left running


def test_joined_cluster_short_of_cpus_only_warns(local_ray, caplog):
    with caplog.at_level(logging.WARNING), RayExecutor(cpus_per_trial=3):
        pass  # an autoscaler may still add the CPUs
    assert "a trial asks for 3 CPUs, the cluster has 2" in caplog.text


def test_independent_search_on_ray_matches_in_process_and_resumes(
    local_ray, tiny_fasta, tmp_path: Path
):
    config = independent_config(tiny_fasta)
    splits = load_splits(config.data, config.seed)
    straight = run_search(config, tmp_path / "inprocess", splits, log=lambda _: None)

    one_step = independent_config(tiny_fasta, steps=1)
    with RayExecutor() as executor:  # a driver stopped after step 1, then resumed
        run_search(one_step, tmp_path / "ray", splits, log=lambda _: None, executor=executor)
        resumed = run_search(
            config, tmp_path / "ray", splits, resume=True, log=lambda _: None, executor=executor
        )
    for name in ("history.csv", "controller_probabilities.jsonl", "search_state.pt"):
        assert (tmp_path / "ray" / name).is_file()
    rows = read_jsonl(tmp_path / "ray" / "history.jsonl")
    assert len(rows) == 6 and all(r["error"] is None for r in rows)
    in_process = read_jsonl(tmp_path / "inprocess" / "history.jsonl")
    assert _strip_seconds(rows) == _strip_seconds(in_process)
    assert resumed.best == straight.best and resumed.best_reward == straight.best_reward


def test_replicates_on_ray(local_ray, tiny_fasta, tmp_path: Path):
    config = independent_config(tiny_fasta, evaluator="shared", steps=1, archs_per_step=2)
    lines: list[str] = []
    rows = search_replicates(
        config, 2, tmp_path / "reps", executor={"backend": "ray"}, log=lines.append
    )
    assert "(ray executor)" in lines[0]
    assert [r["seed"] for r in rows] == [3, 4] and all("error" not in r for r in rows)
    assert json.loads((tmp_path / "reps" / "replicates.json").read_text())["replicates"] == rows
    search_run(config, tmp_path / "single", progress=False, log=lambda _: None)  # seed 3
    assert _strip_seconds(read_jsonl(tmp_path / "reps" / "replicate_1" / "history.jsonl")) == (
        _strip_seconds(read_jsonl(tmp_path / "single" / "history.jsonl"))
    )


def test_retrain_on_ray_trains_into_the_folder_the_driver_locked(
    local_ray, tiny_fasta, tmp_path: Path
):
    # the driver holds the run folder's lock; the trial on a Ray worker writes in it
    config = independent_config(tiny_fasta, evaluator="shared", steps=1, archs_per_step=2)
    search_run(config, tmp_path, progress=False, log=lambda _: None)
    result = retrain_run(tmp_path, executor={"backend": "ray"}, progress=False,
                         log=lambda _: None)
    assert result.run_dir == tmp_path and (tmp_path / "model.safetensors").is_file()
    assert "backend: ray" in (tmp_path / "config.yaml").read_text()
    assert not (tmp_path / ".lock").exists()


def test_asynchronous_halving_on_ray(local_ray, tiny_fasta, tmp_path: Path):
    """ASHA with rungs [1, 2] over 4 children: some go on, some stop, and each reward is the
    child's own score at the rung it reached (the same as training it alone here)."""
    config = independent_config(tiny_fasta, steps=1, archs_per_step=4, independent={
        "epochs": 1, "rungs": [1, 2], "eta": 2, "batch_size": 32})
    splits = load_splits(config.data, config.seed)
    with RayExecutor() as executor:
        run_search(config, tmp_path / "ray", splits, log=lambda _: None, executor=executor)
    rows = read_jsonl(tmp_path / "ray" / "history.jsonl")
    assert sorted({r["metrics"]["epochs"] for r in rows}) == [1, 2]
    alone = make_evaluator(config.search.space, splits, config, device="cpu")
    for row in rows:
        score = alone.score_or_raise(row["tokens"], row["metrics"]["epochs"])
        assert row["reward"] == score.reward

