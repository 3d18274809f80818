"""What the search loop writes, piece by piece: a step's history rows and files, its
checkpoint and the restore from it, and the final choice (the loop itself, resume and
faults: tests/test_search_loop.py, tests/test_fault_injection.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from genas.config import SearchConfig
from genas.errors import GenasError
from genas.run_files import (
    BEST_ARCHITECTURE,
    HISTORY_CSV,
    HISTORY_JSONL,
    PROBABILITIES_JSONL,
    SEARCH_STATE,
)
from genas.search import history
from genas.search.checkpoint import restore_search, save_step
from genas.search.evaluators.base import Score
from genas.search.final import write_final_choice
from genas.search.strategies import make_strategy
from genas.space import get_space, sample_architecture

SPACE = get_space("small")


class _Evaluator:
    """The part of an evaluator a checkpoint sees: its state."""

    def __init__(self, weight: float = 0.0):
        self.weight = weight

    def state_dict(self) -> dict:
        return {"weight": self.weight}

    def load_state_dict(self, state: dict) -> None:
        self.weight = state["weight"]


def _archs(n: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [sample_architecture(SPACE, rng) for _ in range(n)]


def _rows(step: int, rewards: list[float], seed: int = 0) -> list[dict]:
    scores = [Score(r, {"mean_auroc": np.float32(0.5)}, 1.0) for r in rewards]
    return history.step_rows(step, _archs(len(rewards), seed + step), scores)


def test_step_rows_hold_json_numbers_only() -> None:
    rows = _rows(3, [0.7, math.nan])
    assert [(r["step"], r["index"]) for r in rows] == [(3, 0), (3, 1)]
    assert [r["reward"] for r in rows] == [0.7, None]  # NaN is not JSON
    assert type(rows[0]["metrics"]["mean_auroc"]) is float  # nor is a NumPy float
    assert json.loads(json.dumps(rows)) == rows


def test_write_step_appends_history_before_probabilities(tmp_path: Path, monkeypatch) -> None:
    # a resumed search relies on it: a step's rows are all written before its checkpoint
    appended = []
    real_append = history.append_jsonl
    monkeypatch.setattr(history, "append_jsonl",
                        lambda path, rows: (appended.append(path.name), real_append(path, rows)))
    first = _rows(0, [0.6, 0.7])
    probabilities = history.probability_row(0, {"ops": [], "skips": []}, {"loss": 1, "x": "a"},
                                            history.step_parts(3.0, 1.0, 1.5))
    history.write_step(tmp_path, first, first, probabilities)
    second = _rows(1, [0.8])
    history.write_step(tmp_path, second, first + second, {**probabilities, "step": 1})
    assert appended == [HISTORY_JSONL, PROBABILITIES_JSONL] * 2
    assert history.read_jsonl(tmp_path / HISTORY_JSONL) == first + second
    written = history.read_jsonl(tmp_path / PROBABILITIES_JSONL)
    assert written[0]["stats"] == {"loss": 1.0}
    assert written[0]["seconds"] == {"supernet": 1.0, "scoring": 1.5, "controller": 0.5}
    assert len((tmp_path / HISTORY_CSV).read_text().splitlines()) == 1 + 3
    history.clear_history(tmp_path)
    assert not (tmp_path / HISTORY_JSONL).exists()
    assert not (tmp_path / PROBABILITIES_JSONL).exists()


def test_checkpoint_restores_strategy_evaluator_and_progress(tmp_path: Path) -> None:
    search = SearchConfig(space="small", strategy="evolution")
    assert restore_search(tmp_path, make_strategy(SPACE, search, 1), _Evaluator()) is None
    strategy = make_strategy(SPACE, search, 1)
    for arch in strategy.ask_many(3):
        strategy.tell(arch, 0.5)
    strategy.step_end()
    save_step(tmp_path, 4, 12.5, strategy, _Evaluator(3.0))
    assert (tmp_path / SEARCH_STATE).is_file()
    restored, evaluator = make_strategy(SPACE, search, 1), _Evaluator()
    assert restore_search(tmp_path, restored, evaluator) == (4, 12.5)
    assert evaluator.weight == 3.0
    assert restored.ask_many(2) == strategy.ask_many(2)


def test_checkpoint_of_another_strategy_is_refused(tmp_path: Path) -> None:
    save_step(tmp_path, 1, 1.0, make_strategy(SPACE, SearchConfig(strategy="random"), 1),
              _Evaluator())
    evolution = make_strategy(SPACE, SearchConfig(strategy="evolution"), 1)
    with pytest.raises(GenasError, match="cannot resume this search"):
        restore_search(tmp_path, evolution, _Evaluator())


@pytest.mark.parametrize(("rule", "reward"), [("best", 0.9), ("best_last_step", 0.6)])
def test_final_choice_is_written(tmp_path: Path, rule: str, reward: float) -> None:
    rows = _rows(0, [0.9, 0.2]) + _rows(1, [0.6, math.nan])
    strategy = make_strategy(SPACE, SearchConfig(strategy="random"), 1)
    result = write_final_choice(tmp_path, SPACE, rows, strategy, rule, 7.0, "budget")
    best = json.loads((tmp_path / BEST_ARCHITECTURE).read_text())
    assert (result.best_reward, result.steps_done, result.stopped_by) == (reward, 2, "budget")
    assert best["reward"] == reward and best["chosen_by"] == rule
    assert best["tokens"] == result.best.to_tokens()
    assert best["search_seconds"] == 7.0 and best["steps_done"] == 2


def test_a_search_that_scored_nothing_writes_no_choice(tmp_path: Path) -> None:
    strategy = make_strategy(SPACE, SearchConfig(strategy="random"), 1)
    with pytest.raises(GenasError, match="the search scored no architecture"):
        write_final_choice(tmp_path, SPACE, [], strategy, "best", 1.0, "budget")
    assert list(tmp_path.iterdir()) == []
