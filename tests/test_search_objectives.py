"""Multi-objective and constrained search: the config, the non-dominated sort, measuring,
the hard limits (never trained), pareto.json, exact resume, retrain --pick, the report."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from genas.cli import app
from genas.config import LatencyConfig, SearchConfig, parse_config
from genas.data import load_splits
from genas.errors import ConfigError, GenasError
from genas.nn.build import count_parameters
from genas.nn.network import ChildNet
from genas.search.history import read_jsonl
from genas.search.loop import run_search
from genas.search.objectives import SearchObjectives, child_parameters, forward_latency_ms
from genas.search.pareto import (
    front_rows,
    non_dominated_ranks,
    pareto_mask,
    pareto_record,
    read_pareto,
)
from genas.search.strategies import make_strategy
from genas.space import Architecture, get_space, sample_architecture

TWO = [{"auroc_mean": "max"}, {"parameters": "min"}]
#: About the median parameter count of the `small` space's children on 100 bp: roughly half
#: of the proposals are over it.
LIMIT = 45_000


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _search_config(**search) -> SearchConfig:
    return parse_config(
        {"data": {"format": "fasta", "task": "t", "train": {"positives": ["p"],
                                                              "negatives": ["n"]}},
         "search": search},
        Path("."),
    ).search  # fmt: skip


# ---------------------------------------------------------------- config


def test_objectives_config_sets_the_reward_and_accepts_a_mapping():
    search = _search_config(objectives=TWO)
    assert search.reward == "auroc_mean" and search.objectives == TWO
    mapped = _search_config(objectives={"auprc_mean": "max", "latency_ms": "min"})
    assert mapped.objectives == [{"auprc_mean": "max"}, {"latency_ms": "min"}]
    assert mapped.reward == "auprc_mean"


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ({"objectives": [{"auroc_mean": "max"}, {"size": "min"}]},
         "search.objectives: unknown objective 'size'"),
        ({"objectives": [{"auroc_mean": "max"}, {"parameters": "smallest"}]},
         "search.objectives.1.parameters"),
        ({"objectives": [{"parameters": "min"}, {"auroc_mean": "max"}]},
         "the first objective is the search reward"),
        ({"objectives": [{"auroc_mean": "min"}]}, "the first objective is the search reward"),
        ({"objectives": TWO + [{"parameters": "min"}]}, "parameters is listed twice"),
        ({"objectives": [{"auroc_mean": "max"}, {"auprc_mean": "max"}]},
         "auprc_mean can only be the first objective"),
        ({"objectives": TWO, "reward": "auprc_mean"}, "reward (auprc_mean) differs"),
        ({"objectives": TWO, "strategy": "rl"}, "strategy rl learns from one reward"),
        ({"objectives": TWO, "scalarization": {"weights": {}}},
         "no weight for objective parameters"),
        ({"objectives": TWO, "scalarization": {"weights": {"latency_ms": 1.0}}},
         "'latency_ms' is not one of the objectives"),
        ({"scalarization": {"weights": {"parameters": 1.0}}}, "needs at least two objectives"),
        ({"objectives": []}, "search.objectives: empty"),
    ],
)  # fmt: skip
def test_bad_objectives_are_one_line_errors(search, message):
    with pytest.raises(ConfigError) as error:
        _search_config(**search)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_unknown_objective_on_the_command_line_writes_nothing(tiny_fasta, tmp_path: Path):
    config = {"data": tiny_fasta, "output": {"dir": str(tmp_path / "run")},
              "search": {"objectives": [{"auroc_mean": "max"}, {"flops": "min"}]}}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(app, ["search", str(tmp_path / "search.yaml")])
    assert result.exit_code == 1, result.output
    assert "search.objectives: unknown objective 'flops'" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- non-dominated sort


def test_non_dominated_ranks():
    points = np.array([[0.9, -10], [0.8, -5], [0.7, -20], [0.9, -10], [0.6, -6], [0.5, -30]])
    # (0.9, -10) twice and (0.8, -5) form the front; (0.7, -20) and (0.6, -6) are dominated
    # only by the front; (0.5, -30) by them too
    assert non_dominated_ranks(points).tolist() == [0, 0, 1, 0, 1, 2]
    assert non_dominated_ranks(np.array([[3.0], [1.0], [2.0], [3.0]])).tolist() == [0, 2, 1, 0]
    with pytest.raises(ValueError, match="shape"):
        non_dominated_ranks(np.zeros(3))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_pareto_mask_agrees_with_the_definition(k):
    points = np.random.default_rng(k).integers(0, 6, size=(150, k)).astype(float)  # ties
    dominates = ((points[None] >= points[:, None]).all(2)
                 & (points[None] > points[:, None]).any(2))  # [i, j]: j dominates i
    assert pareto_mask(points).tolist() == (~dominates.any(1)).tolist()


def _row(step, arch_hash, reward, parameters, feasible=True):
    return {"step": step, "index": 0, "arch_hash": arch_hash, "tokens": [step],
            "reward": reward, "feasible": feasible,
            "objectives": {"auroc_mean": reward, "parameters": parameters}}  # fmt: skip


def test_front_rows_skip_infeasible_and_count_a_repeat_once():
    rows = [
        _row(0, "a", 0.7, 100),
        _row(1, "b", 0.9, 300),
        _row(2, "c", 0.95, 50, feasible=False),  # over a limit: never trained
        _row(3, "d", 0.6, 200),  # dominated by a
        _row(4, "a", 0.8, 100),  # a again, better: its best row counts
        _row(5, "e", None, 10),  # failed
    ]
    front = front_rows(rows, ["auroc_mean", "parameters"], ["max", "min"])
    assert [(r["arch_hash"], r["step"]) for r in front] == [("b", 1), ("a", 4)]
    record = pareto_record(rows, [{"auroc_mean": "max"}, {"parameters": "min"}])
    assert [p["point"] for p in record["points"]] == [1, 2]
    assert record["points"][1]["objectives"] == {"auroc_mean": 0.8, "parameters": 100}
    assert record["n_rows"] == 6 and record["n_feasible"] == 5


# ---------------------------------------------------------------- measuring


def test_parameters_are_counted_without_building_weights():
    space = get_space("small")
    arch = sample_architecture(space, np.random.default_rng(1))
    before = torch.random.get_rng_state()
    counted = child_parameters(space, arch, 100, 2, 1.5)
    assert torch.equal(before, torch.random.get_rng_state())
    assert counted == count_parameters(ChildNet(space, arch, 100, 2, 1.5))


def test_latency_leaves_the_random_state_alone():
    space = get_space("small")
    objectives = [{"auroc_mean": "max"}, {"latency_ms": "min"}]
    latency = {"batch_size": 8, "repeats": 2, "warmup": 1}
    search = _search_config(space="small", objectives=objectives, latency=latency)
    goals = SearchObjectives(search, space, 100, 1)
    arch = sample_architecture(space, np.random.default_rng(2))
    before = torch.random.get_rng_state()
    measured = goals.measure_one(arch)
    assert torch.equal(before, torch.random.get_rng_state())
    assert measured.latency_ms > 0 and measured.parameters is None and measured.feasible
    net = ChildNet(space, arch, 100, 1)
    config = LatencyConfig(batch_size=4, repeats=1, warmup=0)
    assert forward_latency_ms(net, 100, config, torch.device("cpu")) > 0


def test_hard_limits_mark_proposals_infeasible():
    space = get_space("small")
    rng = np.random.default_rng(0)
    archs = [sample_architecture(space, rng) for _ in range(12)]
    goals = SearchObjectives(_search_config(space="small", max_parameters=LIMIT), space, 100, 1)
    measured = goals.measure(archs)
    counts = [child_parameters(space, a, 100, 1, 1.0) for a in archs]
    assert [m.parameters for m in measured] == counts
    assert [m.feasible for m in measured] == [c <= LIMIT for c in counts]
    assert 0 < sum(m.feasible for m in measured) < len(archs)
    over = next(m for m in measured if not m.feasible)
    assert over.violation == pytest.approx(over.parameters / LIMIT - 1)
    assert "search.max_parameters 45,000" in over.reason


# ---------------------------------------------------------------- strategies


def _points(arch: Architecture) -> tuple[list[float], float]:
    """Two made-up objectives that pull apart (higher is better) and a made-up limit."""
    reward = float(sum(arch.ops)) / 30 + 0.1 * arch.n_skips
    size = -float(sum(arch.ops) + arch.n_skips)
    return [reward, size], -size - 24.0  # > 0: over the limit (about half are)


def _roundtrip(state: dict) -> dict:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def _run_points(strategy, steps: int, per_step: int) -> list[list[int]]:
    asked = []
    for _ in range(steps):
        for arch in strategy.ask_many(per_step):
            values, violation = _points(arch)
            strategy.tell_point(arch, values, violation)
            asked.append(arch.to_tokens())
        strategy.step_end()
    return asked


@pytest.mark.parametrize("kind", ["tpe", "evolution"])
def test_multi_objective_strategy_resumes_bit_identically(kind):
    space = get_space("small")
    config = SearchConfig(strategy=kind, objectives=TWO, evolution={"population": 6},
                          tpe={"n_startup": 4})  # fmt: skip
    straight = make_strategy(space, config, seed=5)
    _run_points(straight, steps=3, per_step=4)
    arch = straight.ask()
    straight.tell_point(arch, *_points(arch))  # told at save time, step not closed
    state = _roundtrip(straight.state_dict())
    resumed = make_strategy(space, config, seed=999)
    resumed.load_state_dict(state)
    assert resumed.probabilities() == straight.probabilities()
    straight.step_end()
    resumed.step_end()
    assert _run_points(resumed, 3, 4) == _run_points(straight, 3, 4)
    assert resumed.most_likely() == straight.most_likely()
    with pytest.raises(ValueError, match="objectives"):
        make_strategy(space, SearchConfig(strategy=kind), seed=5).load_state_dict(state)


def test_tpe_keeps_constraints_and_prefers_feasible_trials():
    space = get_space("small")
    strategy = make_strategy(space, SearchConfig(strategy="tpe", objectives=TWO), seed=1)
    _run_points(strategy, steps=2, per_step=5)
    state = strategy.state_dict()
    assert len(state["trial_values"][0]) == 2  # both objectives of each trial
    assert any(c > 0 for c in state["trial_constraints"])
    assert any(c <= 0 for c in state["trial_constraints"])
    best = strategy.most_likely()
    assert _points(best)[1] <= 0  # the best feasible one, not a better infeasible one


def test_single_objective_strategy_counts_an_infeasible_proposal_as_invalid():
    space = get_space("small")
    strategy = make_strategy(space, SearchConfig(strategy="random"), seed=0)
    a, b = strategy.ask_many(2)
    strategy.tell_point(a, [0.8], violation=0.0)
    strategy.tell_point(b, [0.9], violation=0.5)
    stats = strategy.step_end()
    assert stats["n_invalid"] == 1 and stats["reward_max"] == pytest.approx(0.8)


# ---------------------------------------------------------------- the search


def _config(data: dict, **search):
    raw = {
        "seed": 4,
        "data": data,
        "search": {
            "space": "small",
            "strategy": "tpe",
            "evaluator": "independent",
            "steps": 3,
            "archs_per_step": 3,
            "reward_sequences": 60,
            "retrain_top_k": 1,
            "independent": {"epochs": 1, "max_steps_per_epoch": 2, "batch_size": 32},
            "tpe": {"n_startup": 3},
            **search,
        },
        "train": {"batch_size": 32, "max_epochs": 1, "patience": 1},
    }
    return parse_config(raw, Path("."))


def _search(config, run_dir: Path, **kwargs):
    splits = load_splits(config.data, config.seed)
    return run_search(config, run_dir, splits, log=lambda _: None, **kwargs)


def _strip_seconds(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


@contextlib.contextmanager
def one_thread():
    """Bit-identical histories need one torch thread: children trained on several threads
    can differ in the last digits from one run to the next (the order of a reduction)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def mo_run(tiny_fasta, tmp_path_factory) -> Path:
    """A multi-objective TPE search (reward, parameters; a parameter limit), 4 steps."""
    from genas.workflows.search_run import search_run

    run_dir = tmp_path_factory.mktemp("mo") / "run"
    config = _config(tiny_fasta, steps=4, objectives=TWO, max_parameters=LIMIT)
    with one_thread():
        search_run(config, run_dir, progress=False, log=lambda _: None)
    return run_dir


def test_multi_objective_search_writes_objectives_and_the_front(mo_run: Path):
    rows = read_jsonl(mo_run / "history.jsonl")
    assert len(rows) == 12
    for row in rows:
        assert set(row["objectives"]) == {"auroc_mean", "parameters"}
        assert row["feasible"] == (row["objectives"]["parameters"] <= LIMIT)
        assert row["objectives"]["auroc_mean"] == row["reward"]
    assert any(not row["feasible"] for row in rows)
    front = read_pareto(mo_run)
    assert front["points"] and front == pareto_record(rows, TWO)
    # by the definition: AUROC up, parameters down, among the feasible rows
    value = {r["arch_hash"]: (r["reward"], -r["objectives"]["parameters"])
             for r in rows if r["feasible"]}  # fmt: skip
    on_front = {p["arch_hash"] for p in front["points"]}

    def dominated(a: tuple, b: tuple) -> bool:  # b dominates a
        pairs = list(zip(a, b, strict=True))
        return all(y >= x for x, y in pairs) and any(y > x for x, y in pairs)

    for arch, v in value.items():
        beaten = any(dominated(v, w) for w in value.values())
        assert (arch in on_front) == (not beaten), arch
    csv_head = (mo_run / "history.csv").read_text().splitlines()[0]
    assert "feasible,parameters" in csv_head


def test_multi_objective_search_resumes_to_the_same_history(tiny_fasta, mo_run, tmp_path):
    from genas.workflows.search_run import search_run

    config = _config(tiny_fasta, steps=2, objectives=TWO, max_parameters=LIMIT)
    with one_thread():
        search_run(config, tmp_path / "b", progress=False, log=lambda _: None)
        config = _config(tiny_fasta, steps=4, objectives=TWO, max_parameters=LIMIT)
        search_run(config, tmp_path / "b", resume=True, progress=False, log=lambda _: None)
    straight = _strip_seconds(read_jsonl(mo_run / "history.jsonl"))
    assert _strip_seconds(read_jsonl(tmp_path / "b" / "history.jsonl")) == straight
    assert read_pareto(tmp_path / "b") == read_pareto(mo_run)


@pytest.mark.parametrize("strategy", ["rl", "random", "evolution", "tpe"])
def test_constrained_search_never_trains_over_the_limit(tiny_fasta, tmp_path, monkeypatch,
                                                        strategy):
    """Every child the evaluator builds is within max_parameters; the proposals over it
    are in the history as infeasible, untrained, and no Pareto front is written (one
    objective)."""
    import genas.search.evaluators.independent as independent

    trained: list[int] = []

    class CountedChild(ChildNet):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            trained.append(count_parameters(self))

    monkeypatch.setattr(independent, "ChildNet", CountedChild)
    extra = {"evolution": {"population": 2, "sample_size": 2}} if strategy == "evolution" else {}
    _search(_config(tiny_fasta, strategy=strategy, steps=2, max_parameters=LIMIT, **extra),
            tmp_path / "run")  # fmt: skip
    rows = read_jsonl(tmp_path / "run" / "history.jsonl")
    over = [row for row in rows if not row["feasible"]]
    assert trained and max(trained) <= LIMIT
    assert len(trained) == len(rows) - len(over)
    assert over and all(row["reward"] is None and "max_parameters" in row["error"]
                        for row in over)  # fmt: skip
    assert not (tmp_path / "run" / "pareto.json").exists()


def test_scalarized_rl_search_records_what_it_was_told(tiny_fasta, tmp_path):
    weights = {"parameters": 0.05}
    _search(_config(tiny_fasta, strategy="rl", steps=1, objectives=TWO,
                    scalarization={"weights": weights}), tmp_path / "run")  # fmt: skip
    for row in read_jsonl(tmp_path / "run" / "history.jsonl"):
        expected = row["reward"] - 0.05 * np.log10(row["objectives"]["parameters"])
        assert row["scalarized"] == pytest.approx(expected)
    assert read_pareto(tmp_path / "run")["points"]


# ---------------------------------------------------------------- retrain --pick, report


def test_retrain_pick_trains_that_point(mo_run, tmp_path):
    import shutil

    from genas.workflows.search_run import retrain_run

    run = tmp_path / "run"
    shutil.copytree(mo_run, run)
    front = read_pareto(run)
    number = len(front["points"])
    result = retrain_run(run, pick=number, progress=False, log=lambda _: None)
    spec = json.loads((run / "model.json").read_text())["spec"]
    assert Architecture.from_dict(spec["architecture"]).to_tokens() == (
        front["points"][number - 1]["tokens"])
    assert result.metrics["parameters"] == front["points"][number - 1]["objectives"]["parameters"]
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    with pytest.raises(GenasError, match=f"has {number} point"):
        retrain_run(run, pick=number + 1, progress=False, log=lambda _: None)
    with pytest.raises(GenasError, match="leave out --top-k"):
        retrain_run(run, pick=1, top_k=2, progress=False, log=lambda _: None)
    saved = (run / "pareto.json").read_text()
    for damaged in ([1, 2], {**front, "points": [{**front["points"][0], "objectives": [1]}]},
                    {**front, "points": [{"tokens": [0], "objectives": {"auroc": "high"}}]}):
        (run / "pareto.json").write_text(json.dumps(damaged))
        with pytest.raises(GenasError, match="pareto.json: not a"):
            retrain_run(run, pick=1, progress=False, log=lambda _: None)
    (run / "pareto.json").write_text(saved)
    (run / "pareto.json").unlink()
    with pytest.raises(GenasError, match="needs a finished multi-objective search"):
        retrain_run(run, pick=1, progress=False, log=lambda _: None)
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == {
        k: v for k, v in before.items() if k != "pareto.json"}


def test_report_section_shows_the_front_only_with_pareto_json(mo_run, tmp_path):
    import shutil

    from genas.report.run_files import load_run_files
    from genas.report.sections import Figures, pareto_section

    run = tmp_path / "run"
    shutil.copytree(mo_run, run)
    figures = Figures(tmp_path / "plots")
    (tmp_path / "plots").mkdir()
    section = pareto_section(load_run_files(run), figures)
    assert section.blocks and (tmp_path / "plots" / "search_pareto.png").is_file()
    assert "--pick N" in "".join(section.blocks)
    (run / "pareto.json").unlink()
    assert pareto_section(load_run_files(run), Figures(tmp_path / "plots")).blocks == []
