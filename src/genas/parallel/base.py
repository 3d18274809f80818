"""The executor interface: run independent trials, retry a failed one, keep the order.

A *trial* is one call ``fn(item, context, attempt)`` of a module-level function (so a Ray
worker can import it): ``item`` is what differs between the trials of one :meth:`map`
(an architecture's tokens, a replicate's seed, a model to train), ``context`` what they
share (data, config; sent to each worker once), ``attempt`` is 1, then 2 on the retry (a
trial that writes a run folder resumes from its checkpoint on a retry). A context used by
several maps can be sent once with :meth:`Executor.share` and its handle passed instead.

A trial that raises, or whose worker process dies, is run again up to ``retries`` times;
after that its :class:`TrialResult` carries the error and the other trials go on. Results
always come back in the order of the items, whatever order the trials finished in, so a
caller that tells them to a search strategy does so deterministically.

A map can grow while it runs: ``follow_up(index, result)``, called as each trial finishes,
returns further items, run as trials of the same map (asynchronous successive halving
promotes a child this way the moment it has earned it). Their results follow the items' in
the order they were added; which follow-ups there are may depend on the order in which
trials finished.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: ``fn(item, context, attempt) -> value``: a trial function (module level, importable).
TrialFn = Callable[[Any, Any, int], Any]
#: Called as each trial finishes: ``on_done(index, result)``.
DoneFn = Callable[[int, "TrialResult"], None]
#: Called as each trial finishes (after ``on_done``): further items to run in the same map.
FollowUpFn = Callable[[int, "TrialResult"], Sequence[Any]]


@dataclass
class TrialResult:
    """The outcome of one trial.

    Attributes:
        value: what the trial function returned (None when it failed).
        error: the exception of the last attempt (None on success); for a worker that died,
            the executor's exception saying so.
        attempts: how many times the trial ran (1, or 2 after one retry).
        seconds: wall time from the first submission to the final outcome.
    """

    value: Any = None
    error: BaseException | None = None
    attempts: int = 1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class Executor(ABC):
    """Runs independent trials (see the module docstring); a context manager.

    Attributes:
        name: ``"inprocess"``, ``"processes"`` or ``"ray"``.
        in_process: trials run in this process (they may share live objects with it).
        retries: how many times a failed trial is run again.
    """

    name: str = ""
    in_process: bool = True

    def __init__(self, retries: int = 1):
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.retries = int(retries)

    @abstractmethod
    def map(
        self,
        fn: TrialFn,
        items: Sequence[Any],
        context: Any = None,
        on_done: DoneFn | None = None,
        follow_up: FollowUpFn | None = None,
    ) -> list[TrialResult]:
        """Run ``fn(item, context, attempt)`` for every item; one result per item, in order,
        then one per item ``follow_up`` added (module docstring).

        ``context`` may be a handle from :meth:`share`.
        """

    @property
    def slots(self) -> int:
        """How many trials run at once (a caller that may stop early keeps this many in
        flight and submits the next as one finishes)."""
        return 1

    def share(self, context: Any) -> Any:
        """A handle for ``context`` that :meth:`map` accepts in its place, so a context
        used by many maps is sent to the workers once (in process: ``context`` itself)."""
        return context

    def close(self) -> None:  # noqa: B027 - most executors hold nothing to release
        """Release what the executor started (a no-op unless it started something)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_attempts(fn: TrialFn, item: Any, context: Any, retries: int) -> TrialResult:
    """Call ``fn`` in this process until it returns, at most ``1 + retries`` times."""
    started = time.perf_counter()
    error: BaseException | None = None
    for attempt in range(1, retries + 2):
        try:
            value = fn(item, context, attempt)
        except Exception as caught:  # any failure of a trial is recorded, not raised
            error = caught
            continue
        return TrialResult(value, None, attempt, time.perf_counter() - started)
    return TrialResult(None, error, retries + 1, time.perf_counter() - started)


class TrialBook:
    """The bookkeeping of one :meth:`Executor.map` whose trials run elsewhere (worker
    processes, Ray): results in item order, retries, ``on_done`` and follow-ups.

    The executor owns the running: ``submit(index, attempt)`` starts ``book.items[index]``
    as that attempt; the executor reports each attempt's outcome to :meth:`finished`.
    """

    def __init__(
        self,
        items: Sequence[Any],
        retries: int,
        submit: Callable[[int, int], None],
        on_done: DoneFn | None = None,
        follow_up: FollowUpFn | None = None,
    ):
        self.items = list(items)
        self.results: list[TrialResult | None] = [None] * len(self.items)
        self._retries, self._submit = retries, submit
        self._on_done, self._follow_up = on_done, follow_up
        self._submitted: dict[int, float] = {}  # item index -> time of its first submission

    def start(self) -> None:
        """Submit every item as its first attempt."""
        for index in range(len(self.items)):
            self.submit(index, 1)

    def submit(self, index: int, attempt: int) -> None:
        self._submitted.setdefault(index, time.perf_counter())
        self._submit(index, attempt)

    def finished(
        self, index: int, attempt: int, value: Any = None, error: BaseException | None = None
    ) -> None:
        """One attempt's outcome: a failure is submitted again while retries are left; a
        final outcome is recorded, told to ``on_done``, and its follow-ups are submitted."""
        if error is not None and attempt <= self._retries:
            self.submit(index, attempt + 1)
            return
        seconds = time.perf_counter() - self._submitted[index]
        result = TrialResult(value if error is None else None, error, attempt, seconds)
        self.results[index] = result
        if self._on_done is not None:
            self._on_done(index, result)
        for item in self._follow_up(index, result) if self._follow_up else ():
            self.items.append(item)
            self.results.append(None)
            self.submit(len(self.items) - 1, 1)
