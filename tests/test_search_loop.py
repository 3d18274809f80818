"""The search loop: files of a run, resume after a stop, budget, corrupt checkpoints.

Resume after a kill -9 or a full disk: tests/test_fault_injection.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from genas.config import parse_config
from genas.data import load_splits
from genas.errors import ConfigError, GenasError
from genas.search.budget import parse_budget
from genas.search.checkpoint import load_search_state
from genas.search.history import read_jsonl
from genas.search.loop import run_search


def _config(data: dict, **search):
    raw = {
        "seed": 2,
        "data": data,
        "search": {
            "space": "small",
            "strategy": "rl",
            "evaluator": "shared",
            "steps": 4,
            "child_steps": 3,
            "archs_per_step": 3,
            "reward_sequences": 60,
            **search,
        },
        "train": {"batch_size": 32},
    }
    raw["search"]["supernet"] = {"batch_size": 32, **raw["search"].get("supernet", {})}
    return parse_config(raw, Path("."))


def _search(config, run_dir: Path, **kwargs):
    splits = load_splits(config.data, config.seed)
    return run_search(config, run_dir, splits, log=lambda _: None, **kwargs)


def _strip_seconds(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in ("seconds", "stats")} for row in rows]


def test_run_files_and_resume_identical(tiny_fasta, tmp_path: Path):
    straight = _search(_config(tiny_fasta), tmp_path / "a")
    for name in (
        "history.jsonl",
        "history.csv",
        "controller_probabilities.jsonl",
        "best_architecture.json",
        "search_state.pt",
    ):
        assert (tmp_path / "a" / name).is_file()
    rows = read_jsonl(tmp_path / "a" / "history.jsonl")
    assert len(rows) == 4 * 3 and {r["step"] for r in rows} == {0, 1, 2, 3}
    probs = read_jsonl(tmp_path / "a" / "controller_probabilities.jsonl")
    assert len(probs) == 4 and len(probs[0]["ops"]) == 6
    parts = json.loads((tmp_path / "a" / "best_architecture.json").read_text())
    assert set(parts["seconds_by_part"]) == {"supernet", "scoring", "controller"}
    for part, total in parts["seconds_by_part"].items():  # the steps' splits, summed
        assert all(row["seconds"][part] >= 0 for row in probs)
        assert total == pytest.approx(sum(row["seconds"][part] for row in probs))
    assert parts["seconds_by_part"]["supernet"] > 0 and parts["seconds_by_part"]["scoring"] > 0
    assert sum(parts["seconds_by_part"].values()) <= parts["search_seconds"]

    _search(_config(tiny_fasta, steps=2), tmp_path / "b")
    resumed = _search(_config(tiny_fasta), tmp_path / "b", resume=True)
    assert _strip_seconds(read_jsonl(tmp_path / "b" / "history.jsonl")) == _strip_seconds(rows)
    assert resumed.best == straight.best
    best = json.loads((tmp_path / "b" / "best_architecture.json").read_text())
    assert best["tokens"] == list(straight.best.to_tokens())
    resumed_probs = read_jsonl(tmp_path / "b" / "controller_probabilities.jsonl")
    assert best["seconds_by_part"]["supernet"] == pytest.approx(  # both sessions' steps
        sum(row["seconds"]["supernet"] for row in resumed_probs))


@pytest.mark.parametrize("train_on", [None, "strategy"])  # None: the default, uniform
def test_supernet_training_paths_and_exact_resume(tiny_fasta, tmp_path: Path, monkeypatch,
                                                  train_on):
    """``supernet.train_on``: by default (``uniform``) the strategy's draws are only scored,
    never trained on; with ``strategy`` (ENAS, AMBER) every supernet minibatch is one of
    them. Either way a stopped search resumes to the same history."""
    from genas.search.strategies.base import Strategy

    sampled: list[int] = []
    strategy_sampler = Strategy.sampler

    def counted_sampler(self, n):
        sampled.append(n)
        return strategy_sampler(self, n)

    monkeypatch.setattr(Strategy, "sampler", counted_sampler)
    paths = {} if train_on is None else {"supernet": {"train_on": train_on}}
    _search(_config(tiny_fasta, **paths), tmp_path / "a")
    _search(_config(tiny_fasta, steps=2, **paths), tmp_path / "b")
    _search(_config(tiny_fasta, **paths), tmp_path / "b", resume=True)
    rows = _strip_seconds(read_jsonl(tmp_path / "a" / "history.jsonl"))
    assert _strip_seconds(read_jsonl(tmp_path / "b" / "history.jsonl")) == rows
    assert len(rows) == 4 * 3
    # 4 steps of 3 supernet minibatches in "a", 2 + 2 in "b"
    assert sampled == ([3] * 8 if train_on == "strategy" else [])


def test_budget_stops_within_one_step(tiny_fasta, tmp_path: Path):
    """The budget is checked before each step: the last step is the first to end past it."""
    config = _config(tiny_fasta, steps=1000)
    ends: list[float] = []  # wall clock at the end of each step (its log line)

    def log(line: str) -> None:
        if line.startswith("step "):
            ends.append(time.perf_counter())

    splits = load_splits(config.data, config.seed)
    result = run_search(config, tmp_path, splits, budget_seconds=1.0, log=log)
    assert result.stopped_by == "budget" and 1 <= result.steps_done < 1000
    assert len(ends) == result.steps_done
    spent = result.seconds  # the checkpoint's own figure is taken just before its write ends
    assert 0 < spent - load_search_state(tmp_path)["elapsed"] < 1.0
    last_step = ends[-1] - ends[-2] if len(ends) > 1 else spent
    assert spent >= 1.0
    assert spent - last_step < 1.0 + 0.05  # the budget was not yet spent when it began


def test_budget_ends_inside_a_step_of_independent_children(tiny_fasta, tmp_path: Path):
    """With children trained from scratch a step is long: the budget stops it between
    children, and the children it never trained are neither told nor written."""
    config = _config(tiny_fasta, steps=5, archs_per_step=6, evaluator="independent",
                     independent={"epochs": 1, "batch_size": 32})
    splits = load_splits(config.data, config.seed)
    result = run_search(config, tmp_path, splits, budget_seconds=0.01, log=lambda _: None)
    rows = read_jsonl(tmp_path / "history.jsonl")
    assert result.steps_done == 1 and result.stopped_by == "budget"
    assert 1 <= len(rows) < 6 and [r["index"] for r in rows] == list(range(len(rows)))
    assert all(r["reward"] is not None for r in rows)


def test_corrupt_checkpoint_falls_back_to_previous(tiny_fasta, tmp_path: Path):
    _search(_config(tiny_fasta, steps=2), tmp_path)
    (tmp_path / "search_state.pt").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="search_state.pt"):
        _search(_config(tiny_fasta, steps=3), tmp_path, resume=True)
    assert {r["step"] for r in read_jsonl(tmp_path / "history.jsonl")} == {0, 1, 2}
    (tmp_path / "search_state.pt").write_bytes(b"garbage")
    (tmp_path / "search_state.prev.pt").write_bytes(b"garbage")
    with pytest.raises(GenasError, match="search_state.pt: corrupt search checkpoint"):
        _search(_config(tiny_fasta, steps=4), tmp_path, resume=True)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), ("1h30m", 5400), ("45", 45)]
)
def test_parse_budget(text, seconds):
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["ten minutes", "5x", "-3m", "0"])
def test_parse_budget_errors(text):
    with pytest.raises(ConfigError, match="budget"):
        parse_budget(text)


def test_step_line_shows_only_what_the_step_did():
    """No "supernet loss nan" or "controller 0.0" where no supernet or controller ran."""
    from genas.search.loop import _step_line

    independent = _step_line(0, 30, [{"reward": 0.80}, {"reward": 0.82}], {}, 203.6,
                             {"supernet": 0.0, "scoring": 203.6, "controller": 0.0})
    assert independent == ("step 1/30: 2 scored, reward mean 0.8100 best 0.8200 | 203.6 s "
                           "(scoring 203.6)")
    shared = _step_line(4, 30, [{"reward": 0.8}, {"reward": None}], {"loss": 0.61}, 20.0,
                        {"supernet": 12.0, "scoring": 7.5, "controller": 0.5})
    assert shared == ("step 5/30: 1 scored, 1 failed, reward mean 0.8000 best 0.8000 | "
                      "supernet loss 0.6100 | 20.0 s (supernet 12.0, scoring 7.5, controller 0.5)")


def test_independent_children_are_logged_as_they_finish(tiny_fasta, tmp_path: Path):
    """A child of the independent evaluator takes minutes: the search logs each one as it
    finishes (reward, epochs, seconds, best so far), before its step's line."""
    config = _config(tiny_fasta, strategy="random", evaluator="independent", steps=2,
                     archs_per_step=3, independent={"epochs": 1, "batch_size": 32})
    lines: list[str] = []
    splits = load_splits(config.data, config.seed)
    run_search(config, tmp_path, splits, log=lines.append)
    rows = read_jsonl(tmp_path / "history.jsonl")
    children = [line for line in lines if line.startswith("  step")]
    assert [c.split(":")[0] for c in children] == [
        f"  step {s}, child {c}" for s in (1, 2) for c in (1, 2, 3)]
    assert lines[0].startswith("searching small (random; children trained 1 epochs each")
    assert lines[4].startswith("step 1/2: 3 scored") and lines[8].startswith("step 2/2")
    best = None
    for line, row in zip(children, rows, strict=True):  # one at a time here: in order
        best = row["reward"] if best is None else max(best, row["reward"])
        assert f"reward {row['reward']:.4f} after 1 epoch, " in line
        assert line.endswith(f"(best so far {best:.4f})")


def test_a_search_starts_with_one_line_saying_what_runs_until_when(tiny_fasta, tmp_path):
    from genas.search.loop import start_line

    config = _config(tiny_fasta, strategy="random", evaluator="independent", budget="15m")
    splits = load_splits(config.data, config.seed)
    n_train, n_valid = len(splits.train), len(splits.valid)
    line = start_line(config, splits, tmp_path, 900.0, 2)
    assert line == (f"searching small (random; children trained 4 epochs each, 2 at a time) "
                    f"on {n_train:,} training and {n_valid:,} validation sequences; budget 15m "
                    f"-> {tmp_path}")
    capped = _config(tiny_fasta, strategy="random", evaluator="independent",
                     independent={"max_steps_per_epoch": 1, "batch_size": 8})
    assert (f"children trained 4 epochs each, an epoch 8 sequences) on {n_train:,} training"
            in start_line(capped, splits, tmp_path, None, 1))  # says so when the cap binds
    unbounded = start_line(_config(tiny_fasta), splits, tmp_path, None, 1)  # rl x shared
    assert "(rl; one weight-sharing supernet)" in unbounded
    assert "no budget: 4 steps of 3 (--budget bounds it)" in unbounded
    lines: list[str] = []  # the search logs it first, with its executor's slots
    run_search(_config(tiny_fasta, steps=1), tmp_path / "run", splits, log=lines.append)
    assert lines[0] == start_line(_config(tiny_fasta, steps=1), splits, tmp_path / "run",
                                  None, 1)


def test_resume_without_a_saved_step_says_it_starts_a_new_search(tiny_fasta, tmp_path: Path):
    lines: list[str] = []
    config = _config(tiny_fasta, steps=1)
    run_search(config, tmp_path, load_splits(config.data, config.seed), resume=True,
               log=lines.append)
    assert f"nothing to resume in {tmp_path} (no finished step saved): a new search" in lines
