"""genas.train.progress: plain lines off a terminal, a rich bar on one."""

from __future__ import annotations

import io

from rich.console import Console

from genas.train.progress import TrainProgress


def _run(console: Console, enabled: bool = True) -> str:
    reporter = TrainProgress(enabled=enabled, console=console, plain_interval=0.0)
    calls = []
    with reporter.epoch(1, 3, total_steps=4) as bar:
        for _ in range(4):
            bar.advance(32, lambda: calls.append(1) or 0.5)
    reporter.log("epoch 1/3 done")
    assert bar.seqs == 128 and bar.steps == 4
    return console.file.getvalue()


def test_plain_lines_when_not_a_terminal():
    out = _run(Console(file=io.StringIO(), force_terminal=False))
    assert "epoch 1/3: step 4/4" in out and "loss 0.5000" in out and "epoch 1/3 done" in out


def test_rich_bar_on_a_terminal_is_transient():
    out = _run(Console(file=io.StringIO(), force_terminal=True, width=120))
    assert "epoch 1/3 done" in out
    assert "\x1b[" in out  # drawn with terminal control codes (a live bar) ...
    assert "epoch 1/3: step" not in out  # ... not as the plain lines of a log file


def test_disabled_is_silent():
    assert _run(Console(file=io.StringIO(), force_terminal=False), enabled=False) == ""
