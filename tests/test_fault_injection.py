"""Fault injection in a running search: kill -9 at a random point, or a full disk at a random
write, then ``genas search --resume``; the run must end identical to an uninterrupted one.

The points are those of :mod:`fault_support` (every state a kill can leave on disk, and
every write). Each CI run draws its own (one kill per strategy, one full disk per strategy)
from a seed printed with the test's output and in every failure; rerun one with
``GENAS_FAULT_SEED=<seed>``. Over the suite's runs the draws cover the points of the
search (a few dozen), so a window where a fault loses work does not stay hidden.
"""

from __future__ import annotations

import functools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from fault_support import SearchFaults, files_of
from typer.testing import CliRunner

from genas.cli import app
from genas.fileio import is_atomic_temporary
from genas.run_lock import run_folder_lock
from genas.search.history import read_jsonl

runner = CliRunner()
#: The seed of this run's fault points: GENAS_FAULT_SEED, else a new one each run.
SEED = int(os.environ.get("GENAS_FAULT_SEED") or random.SystemRandom().randrange(2**32))

# small populations and startups, so that a 5-step search reaches the strategies' own moves
STRATEGY_SETTINGS = {
    "rl": {},
    "random": {},
    "evolution": {"evolution": {"population": 4, "sample_size": 2}},
    "tpe": {"tpe": {"n_startup": 4}},
}


def _draw(test: str, strategy: str, n_points: int) -> int:
    """This run's fault point of ``test`` for ``strategy``, in [0, n_points)."""
    point = random.Random(f"{SEED}:{test}:{strategy}").randrange(n_points)
    print(f"fault-injection seed {SEED} (rerun with GENAS_FAULT_SEED={SEED}): {test} "
          f"{strategy} at point {point} of {n_points}")
    return point


def _search_config(tiny_fasta: dict, strategy: str) -> dict:
    return {
        "seed": 2,
        "data": tiny_fasta,
        "search": {
            "space": "small", "evaluator": "shared", "steps": 5, "child_steps": 3,
            "archs_per_step": 3, "reward_sequences": 60, "supernet": {"batch_size": 32},
            "strategy": strategy,
            **STRATEGY_SETTINGS[strategy],
        },
        "train": {"batch_size": 32},
    }


def _search(config: Path, run: Path, *more: str):
    return runner.invoke(app, ["search", str(config), "--out", str(run), "--quiet", *more])


def _outcome(run: Path) -> dict:
    """What must not depend on faults: the history and the policy's probabilities step by
    step (without timings) and the chosen architecture."""
    strip = lambda rows: [  # noqa: E731
        {k: v for k, v in row.items() if k not in ("seconds", "stats")} for row in rows
    ]
    return {
        "history": strip(read_jsonl(run / "history.jsonl")),
        "probabilities": strip(read_jsonl(run / "controller_probabilities.jsonl")),
        "best": json.loads((run / "best_architecture.json").read_text())["tokens"],
    }


@pytest.fixture(scope="module")
def straight(tiny_fasta, tmp_path_factory):
    """Per strategy, an uninterrupted search: (config file, its outcome, its points)."""
    cache: dict[str, tuple[Path, dict, SearchFaults]] = {}

    def run(strategy: str) -> tuple[Path, dict, SearchFaults]:
        if strategy not in cache:
            root = tmp_path_factory.mktemp(f"straight_{strategy}")
            config = root / "config.yaml"
            config.write_text(yaml.safe_dump(_search_config(tiny_fasta, strategy)))
            faults = SearchFaults(root / "run")  # counts the points, fails none
            with pytest.MonkeyPatch.context() as patch:
                faults.install(functools.partial(patch.setattr, raising=False))
                result = _search(config, root / "run")
            assert result.exit_code == 0, result.output
            cache[strategy] = (config, _outcome(root / "run"), faults)
        return cache[strategy]

    return run


def _resume_matches(config: Path, run: Path, expected: dict, context: str) -> None:
    """``--resume`` completes the run in ``run`` to ``expected``, leaving no temporary."""
    result = _search(config, run, "--resume")
    assert result.exit_code == 0, f"{context}: resume failed: {result.output}"
    assert _outcome(run) == expected, f"{context}: the resumed run differs"
    left = [p.name for p in run.rglob("*") if is_atomic_temporary(p.name)]
    assert left == [], f"{context}: temporaries left: {left}"


@pytest.mark.parametrize("strategy", list(STRATEGY_SETTINGS))
def test_kill_9_at_a_random_point_then_resume_matches_uninterrupted(
    straight, tmp_path: Path, strategy
):
    config, expected, points = straight(strategy)
    point = _draw("kill", strategy, len(points.kill_points))
    context = (f"seed {SEED}, {strategy}: killed at point {point} "
               f"({points.kill_points[point]})")
    run = tmp_path / "run"
    script = Path(__file__).with_name("fault_support.py")
    killed = subprocess.run(
        [sys.executable, script, str(point), run, "search", config, "--out", run, "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, f"{context}: not killed: {killed.stderr}"
    _resume_matches(config, run, expected, context)


@pytest.mark.parametrize("strategy", list(STRATEGY_SETTINGS))
def test_full_disk_at_a_random_write_then_resume_matches_uninterrupted(
    straight, tmp_path: Path, monkeypatch, strategy
):
    config, expected, points = straight(strategy)
    point = _draw("full disk", strategy, len(points.write_points))
    context = (f"seed {SEED}, {strategy}: disk full at write {point} "
               f"({points.write_points[point]})")
    run = tmp_path / "run"
    faults = SearchFaults(run, fail_at=point, fault="enospc")
    with monkeypatch.context() as patch:
        faults.install(functools.partial(patch.setattr, raising=False))
        result = _search(config, run)
    # One line naming the file, status 1.
    assert result.exit_code == 1, f"{context}: {result.output}"
    expected_line = f"error: {faults.failed_path}: no space left on device"
    assert result.stderr.splitlines() == [expected_line], f"{context}: {result.stderr!r}"
    # What was there is intact: an atomic write left its target as it was, an append lost
    # at most a torn last line; nothing new was left (no temporary).
    after = files_of(run)
    assert set(after) == set(faults.before_failure), context
    for name, content in faults.before_failure.items():
        if run / name == faults.failed_path and name.endswith(".jsonl"):
            assert after[name].startswith(content), f"{context}: {name} lost data"
        else:
            assert after[name] == content, f"{context}: {name} changed"
    _resume_matches(config, run, expected, context)


# ------------------------------------------------------------------------------ found by injection


def test_full_disk_while_appending_names_the_file(straight, tmp_path: Path, monkeypatch):
    """A failed append named no file ("error: no space left on device")."""
    config, expected, points = straight("random")
    run = tmp_path / "run"
    faults = SearchFaults(run, points.write_points.index("append to history.jsonl"), "enospc")
    with monkeypatch.context() as patch:
        faults.install(functools.partial(patch.setattr, raising=False))
        result = _search(config, run)
    assert result.stderr == f"error: {run / 'history.jsonl'}: no space left on device\n"
    _resume_matches(config, run, expected, "full disk at the first append")


def test_a_kill_before_the_first_config_rename_leaves_no_temporary(tmp_path: Path):
    """Killed before its config.yaml was renamed into place, a new run folder holds only
    that file's temporary; the next command's lock did not see a run folder to sweep."""
    run = tmp_path / "run"
    run.mkdir()
    temporary = run / ".config.yaml.k1l2m3n4.tmp.yaml"
    assert is_atomic_temporary(temporary.name)
    temporary.write_text("seed: 1\n")
    with run_folder_lock(run):
        assert list(run.iterdir()) == [run / ".lock"]


def test_a_kill_while_the_checkpoint_is_saved_resumes_quietly(straight, tmp_path: Path):
    """Killed between moving ``search_state.pt`` aside and renaming the new one into place,
    a run holds only ``search_state.prev.pt``: resuming from it is expected, but warned that
    ``search_state.pt`` was corrupt."""
    config, expected, points = straight("random")
    run = tmp_path / "run"
    shutil.copytree(points.run_dir, run)
    os.replace(run / "search_state.pt", run / "search_state.prev.pt")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _resume_matches(config, run, expected, "killed while saving the checkpoint")
    assert [str(w.message) for w in caught if "search_state" in str(w.message)] == []
