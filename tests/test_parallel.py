"""genas.parallel without Ray: the in-process executor, executor settings, and the parallel
workflows (independent children with faults, replicate searches, retrain --top-k) in process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from genas.cli import app
from genas.config import ExecutorConfig, ModelConfig, load_config, parse_config
from genas.data import load_splits
from genas.errors import ConfigError
from genas.parallel import InProcessExecutor, executor_config, make_executor
from genas.search.evaluators.independent import IndependentEvaluator
from genas.search.history import read_jsonl
from genas.search.loop import run_search
from genas.workflows.compare_run import chance_note, compare_run
from genas.workflows.search_run import retrain_run, search_replicates, search_run
from genas.workflows.train_many import train_many
from genas.workflows.train_run import finished_run


def _flaky(item, context, attempt):
    """Fails on the attempts listed for the item in ``context``; else returns item * 10."""
    if attempt in context.get(item, ()):
        raise RuntimeError(f"item {item} attempt {attempt}")
    return item * 10


def test_inprocess_keeps_order_retries_once_then_records():
    plan = {1: (1,), 2: (1, 2)}  # item 1 fails once, item 2 always
    seen = []
    results = InProcessExecutor().map(
        _flaky, [0, 1, 2, 3], plan, on_done=lambda i, r: seen.append(i)
    )
    assert [r.value for r in results] == [0, 10, None, 30]
    assert [r.attempts for r in results] == [1, 2, 2, 1]
    assert results[2].error is not None and "item 2 attempt 2" in str(results[2].error)
    assert not results[2].ok and results[1].ok
    assert seen == [0, 1, 2, 3]


def test_follow_ups_run_in_the_same_map_after_the_items():
    seen = []

    def follow_up(index, result):  # each value under 30 asks for one more item, 10 above
        seen.append((index, result.value))
        return [result.value // 10 + 1] if result.value < 30 else []

    results = InProcessExecutor().map(_flaky, [0, 2], {}, follow_up=follow_up)
    assert [r.value for r in results] == [0, 20, 10, 30, 20, 30]
    assert seen == [(0, 0), (1, 20), (2, 10), (3, 30), (4, 20), (5, 30)]


def test_inprocess_without_retries_records_first_failure():
    results = InProcessExecutor(retries=0).map(_flaky, [1], {1: (1,)})
    assert results[0].attempts == 1 and not results[0].ok


def test_executor_settings_and_overrides():
    config = parse_config({"data": {"format": "hdf5", "train": "x.h5"}, "executor": "ray"}, Path())
    assert config.executor.backend == "ray" and config.executor.retries == 1
    merged = executor_config(ExecutorConfig(), {"address": "auto", "gpus_per_trial": None})
    assert (merged.backend, merged.address, merged.gpus_per_trial) == ("ray", "auto", None)
    assert executor_config(merged, {"backend": "inprocess"}).backend == "inprocess"
    assert isinstance(make_executor(ExecutorConfig()), InProcessExecutor)
    with pytest.raises(ConfigError, match="executor options: backend"):
        executor_config(None, {"backend": "dask"})
    with pytest.raises(ConfigError, match="executor.gpus_per_trial"):
        parse_config(
            {"data": {"format": "hdf5", "train": "x.h5"}, "executor": {"gpus_per_trial": -1}},
            Path(),
        )
    with pytest.raises(ConfigError, match="unknown key 'gpus' in executor"):
        parse_config({"data": {"format": "hdf5", "train": "x.h5"}, "executor": {"gpus": 1}}, Path())


def test_cli_rejects_a_bad_executor(tiny_fasta, tmp_path: Path):
    import yaml

    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"data": tiny_fasta, "search": {"steps": 1}}))
    result = CliRunner().invoke(app, ["search", str(config), "--executor", "dask"])
    assert result.exit_code == 1
    assert ("executor options: backend: Input should be 'inprocess', 'processes' or 'ray'"
            in result.output)
    assert "Traceback" not in result.output


def independent_config(data: dict, seed: int = 3, **search):
    """A small `independent`-evaluator search (2 steps x 3 children of 4 minibatches)."""
    raw = {
        "seed": seed,
        "data": data,
        "search": {
            "space": "small",
            "strategy": "rl",
            "evaluator": "independent",
            "retrain_top_k": 1,
            "steps": 2,
            "child_steps": 1,
            "archs_per_step": 3,
            "reward_sequences": 60,
            "independent": {"epochs": 1, "max_steps_per_epoch": 4, "batch_size": 32},
            **search,
        },
        "train": {"batch_size": 32, "max_epochs": 1, "max_steps_per_epoch": 3},
    }
    return parse_config(raw, Path("."))


def test_failing_child_is_retried_then_recorded(tiny_fasta, tmp_path: Path, monkeypatch):
    config = independent_config(tiny_fasta)
    splits = load_splits(config.data, config.seed)
    calls: dict[str, int] = {}
    original = IndependentEvaluator._train_child

    def train_child(self, arch, seed, epochs):
        calls[arch.hash] = calls.get(arch.hash, 0) + 1
        order = list(calls)
        if arch.hash == order[0]:
            raise RuntimeError("out of luck")  # the first child always fails
        if arch.hash == order[1] and calls[arch.hash] == 1:
            raise RuntimeError("once")  # the second fails on its first attempt only
        return original(self, arch, seed, epochs)

    monkeypatch.setattr(IndependentEvaluator, "_train_child", train_child)
    run_search(config, tmp_path, splits, log=lambda _: None)
    rows = read_jsonl(tmp_path / "history.jsonl")
    assert len(rows) == 6
    first, second = list(calls)[:2]
    assert calls[first] >= 2 and calls[second] >= 2
    failed = [r for r in rows if r["arch_hash"] == first]
    assert failed and all(r["reward"] is None and not r["valid"] for r in failed)
    assert all(r["error"] == "RuntimeError: out of luck" for r in failed)
    retried = [r for r in rows if r["arch_hash"] == second]
    assert retried and all(r["reward"] is not None and r["error"] is None for r in retried)


def test_replicates_in_process(tiny_fasta, tmp_path: Path):
    config = independent_config(tiny_fasta, evaluator="shared", steps=1, archs_per_step=2)
    rows = search_replicates(config, 2, tmp_path, log=lambda _: None)
    assert [(r["replicate"], r["seed"]) for r in rows] == [(1, 3), (2, 4)]
    summary = json.loads((tmp_path / "replicates.json").read_text())["replicates"]
    assert [r["best_arch_hash"] for r in summary] == [r["best_arch_hash"] for r in rows]
    for row in rows:
        folder = Path(row["run_dir"])
        best = json.loads((folder / "best_architecture.json").read_text())
        assert best["hash"] == row["best_arch_hash"] and row["attempts"] == 1
        assert f"seed: {row['seed']}" in (folder / "config.yaml").read_text()


def test_retrain_top_k_trains_the_next_best_and_keeps_the_best_on_validation(
    tiny_fasta, tmp_path: Path
):
    config = independent_config(tiny_fasta, evaluator="shared", steps=1, archs_per_step=4)
    logged: list[str] = []
    searched, _ = search_run(config, tmp_path, progress=False, log=logged.append)
    warned = any("stayed within 0.1 of chance" in line for line in logged)
    assert warned == (searched.best_reward < 0.6)
    result = retrain_run(tmp_path, top_k=3, progress=False, log=lambda _: None)
    assert result.run_dir == tmp_path
    summary = json.loads((tmp_path / "retrain_top_k.json").read_text())
    rows = summary["rows"]
    history = read_jsonl(tmp_path / "history.jsonl")
    chosen = json.loads((tmp_path / "best_architecture.json").read_text())["hash"]
    others = sorted(
        {r["arch_hash"]: r["reward"] for r in history if r["arch_hash"] != chosen}.items(),
        key=lambda kv: -kv[1],
    )
    assert [r["arch_hash"] for r in rows] == [chosen] + [h for h, _ in others[:2]]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    best_reward = json.loads((tmp_path / "best_architecture.json").read_text())["reward"]
    assert rows[0]["search_reward"] == best_reward
    for row in rows:
        assert Path(row["run_dir"]) == tmp_path / "top_k" / f"rank_{row['rank']}"
        assert (Path(row["run_dir"]) / "model.safetensors").is_file()
        assert row["error"] is None and 0 <= row["test_mean_auroc"] <= 1
    best = max(rows, key=lambda r: (r["valid_score"], -r["rank"]))
    assert summary["selected_rank"] == best["rank"]
    assert summary["selected_by"] == "valid_mean_auroc"
    selected = Path(best["run_dir"])
    for name in ("model.safetensors", "model.json", "metrics.json"):
        assert (tmp_path / name).read_bytes() == (selected / name).read_bytes()
    assert result.metrics == json.loads((selected / "metrics.json").read_text())


def test_retrain_top_k_comes_from_the_config(tiny_fasta, tmp_path: Path):
    config = independent_config(tiny_fasta, evaluator="shared", steps=1, archs_per_step=3)
    config.search.retrain_top_k = 2
    search_run(config, tmp_path, retrain=True, progress=False, log=lambda _: None, report=False)
    rows = json.loads((tmp_path / "retrain_top_k.json").read_text())["rows"]
    assert len(rows) == 2 and (tmp_path / "metrics.json").is_file()


def test_train_many_starts_the_largest_model_first_and_answers_in_the_order_asked(
    tiny_fasta, tmp_path
):
    raw = {"seed": 1, "data": tiny_fasta, "train": {"batch_size": 32, "max_epochs": 1}}
    config = parse_config(raw, Path("."))
    small = ModelConfig(reference="deepbind", options={"filters": 4, "hidden": 4})
    large = ModelConfig(reference="deepbind", options={"filters": 32, "hidden": 8})
    logged: list[str] = []
    results = train_many(
        config,
        {"small": (small, tmp_path / "small"), "large": (large, tmp_path / "large")},
        splits=load_splits(config.data, config.seed),
        progress=False,
        log=logged.append,
    )
    trained = [line.split()[1] for line in logged if line.startswith("trained ")]
    assert trained == ["large", "small"]
    assert list(results) == ["small", "large"]
    assert results["small"].value.parameters < results["large"].value.parameters


def test_compare_reuses_finished_trainings_and_trains_what_is_missing(tiny_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    random_1 = run_dir / "compare" / "random_1"
    before = (random_1 / "metrics.json").read_bytes()
    logged: list[str] = []
    rows = compare_run(
        run_dir, n_random=1, references=("deepbind",), progress=False, log=logged.append
    )
    assert "already trained with the same settings, reused: random_1" in logged
    assert "training 1 model (inprocess executor)" in logged
    assert (random_1 / "metrics.json").read_bytes() == before
    assert [r["model"] for r in rows] == ["searched (genas)", "random_1", "deepbind"]
    assert rows[1]["test_mean_auroc"] == json.loads(before)["test"]["summary"]["mean_auroc"]

    # an unfinished training is trained again, and so is everything after a settings change
    (run_dir / "compare" / "deepbind" / "metrics.json").unlink()
    logged.clear()
    compare_run(run_dir, n_random=1, references=("deepbind",), progress=False, log=logged.append)
    assert "training 1 model (inprocess executor)" in logged
    assert "already trained with the same settings, reused: random_1" in logged
    config = (run_dir / "config.yaml").read_text()
    (run_dir / "config.yaml").write_text(config.replace("max_epochs: 2", "max_epochs: 1"))
    logged.clear()
    compare_run(run_dir, n_random=1, references=("deepbind",), progress=False, log=logged.append)
    assert "training 2 models (inprocess executor)" in logged
    assert "max_epochs: 1" in (random_1 / "config.yaml").read_text()


def test_compare_warns_about_a_model_that_never_learned():
    def metrics(auroc: float) -> dict:
        return {"valid": {"summary": {"mean_auroc": auroc}}}

    note = chance_note("deepsea", metrics(0.5), 1e-3)
    assert note.startswith("warning: deepsea did not learn (validation mean AUROC 0.500)")
    assert "train.lr 0.001" in note
    assert chance_note("deepsea", metrics(0.56), 1e-3) is None
    assert chance_note("deepsea", metrics(float("nan")), 1e-3) is None


def test_finished_run_is_none_for_unreadable_files(tiny_run, tmp_path):
    folder = tmp_path / "random_1"
    shutil.copytree(tiny_run / "compare" / "random_1", folder)
    config = load_config(folder / "config.yaml")
    assert finished_run(config, folder) is not None
    (folder / "metrics.json").write_text("{not json")
    assert finished_run(config, folder) is None
    (folder / "metrics.json").unlink()
    assert finished_run(config, folder) is None


def test_train_compile_setting_compiles_the_training_forward(
    tiny_fasta, tmp_path, monkeypatch, fresh_probe
):
    compiled = []

    def fake_compile(model, *args, **kwargs):
        compiled.append(type(model).__name__)
        return model

    monkeypatch.setattr(torch, "compile", fake_compile)
    config = independent_config(tiny_fasta, evaluator="independent", steps=1, archs_per_step=1)
    config.train.compile = True
    run_search(config, tmp_path, load_splits(config.data, config.seed), log=lambda _: None)
    assert compiled == ["function", "ChildNet"]  # the backend probe, then the child


class _FakeRay:
    """Just enough of the ``ray`` module for RayExecutor's start-up checks."""

    def __init__(self, init_error: Exception | None = None):
        self.init_error, self.started, self.stopped = init_error, False, False

    def is_initialized(self) -> bool:
        return self.started and not self.stopped

    def init(self, **kwargs) -> None:
        if self.init_error is not None:
            raise self.init_error
        self.started = True

    def cluster_resources(self) -> dict:
        return {"CPU": 2.0}

    def shutdown(self) -> None:
        self.stopped = True


def test_ray_executor_errors_are_one_line(monkeypatch):
    import sys

    from genas.errors import GenasError
    from genas.parallel.ray_executor import RayExecutor

    monkeypatch.setitem(sys.modules, "ray", None)  # not installed
    with pytest.raises(GenasError, match=r"needs Ray \(pip install 'genas\[ray\]'\)"):
        RayExecutor()
    monkeypatch.setitem(sys.modules, "ray", _FakeRay(ConnectionError("no cluster there")))
    with pytest.raises(GenasError, match="Ray: cannot start or join auto .no cluster there."):
        RayExecutor(address="auto")
    fake = _FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    with pytest.raises(GenasError, match="a trial asks for 4 CPUs, the cluster has 2"):
        RayExecutor(cpus_per_trial=4)
    assert fake.stopped  # the local instance it started is shut down again
