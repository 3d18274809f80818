"""Progress of a training run: a transient rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class TrainProgress:
    """Reports epochs of a run.

    Args:
        enabled: False silences everything.
        console: where to write (default: stderr). On a terminal each epoch shows a transient
            progress bar with sequences/s; elsewhere a plain line is printed every
            ``plain_interval`` seconds. Epoch summaries are printed in both cases.
    """

    def __init__(
        self, enabled: bool = True, console: Console | None = None, plain_interval: float = 60.0
    ) -> None:
        self.enabled = enabled
        self.console = console if console is not None else Console(stderr=True)
        self.plain_interval = plain_interval

    @property
    def live(self) -> bool:
        return self.enabled and self.console.is_terminal

    def log(self, line: str) -> None:
        if self.enabled:
            self.console.print(line, markup=False, highlight=False)

    def epoch(self, epoch: int, max_epochs: int, total_steps: int) -> EpochProgress:
        return EpochProgress(self, f"epoch {epoch}/{max_epochs}", total_steps)


class EpochProgress:
    """One epoch's bar. ``advance(n_seqs, loss_fn)`` after every step.

    ``loss_fn`` returns the running train loss; it is called only when a value is shown
    (at most every 2 s), so a caller keeping the loss on the GPU syncs rarely.
    """

    _LIVE_LOSS_INTERVAL = 2.0

    def __init__(self, parent: TrainProgress, label: str, total_steps: int) -> None:
        self.parent, self.label, self.total = parent, label, total_steps
        self.steps = 0
        self.seqs = 0
        self.start = time.perf_counter()
        self.last_report = self.start
        self.bar: Progress | None = None
        self.task_id = None

    def __enter__(self) -> EpochProgress:
        if self.parent.live:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} seq/s  loss {task.fields[loss]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.parent.console,
                transient=True,
            )
            self.bar.start()
            self.task_id = self.bar.add_task(self.label, total=self.total, rate="-", loss="-")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()

    @property
    def rate(self) -> float:
        """Training sequences per second so far."""
        elapsed = time.perf_counter() - self.start
        return self.seqs / elapsed if elapsed > 0 else 0.0

    def advance(self, n_seqs: int, loss_fn: Callable[[], float]) -> None:
        self.steps += 1
        self.seqs += n_seqs
        if not self.parent.enabled:
            return
        now = time.perf_counter()
        if self.bar is not None:
            fields = {"rate": f"{self.rate:,.0f}"}
            if now - self.last_report >= self._LIVE_LOSS_INTERVAL:
                fields["loss"] = f"{loss_fn():.4f}"
                self.last_report = now
            self.bar.update(self.task_id, advance=1, **fields)
        elif now - self.last_report >= self.parent.plain_interval:
            self.last_report = now
            self.parent.log(
                f"{self.label}: step {self.steps}/{self.total}, {self.rate:,.0f} seq/s, "
                f"loss {loss_fn():.4f}"
            )
