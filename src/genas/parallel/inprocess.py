"""The default executor: trials one after another, in this process (no Ray needed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from genas.parallel.base import (
    DoneFn,
    Executor,
    FollowUpFn,
    TrialFn,
    TrialResult,
    run_attempts,
)


class InProcessExecutor(Executor):
    """Runs each trial in the calling process, in order; a failed one is retried at once.

    A trial may use live objects of the caller through ``context`` (nothing is copied).
    """

    name = "inprocess"
    in_process = True

    def map(
        self,
        fn: TrialFn,
        items: Sequence[Any],
        context: Any = None,
        on_done: DoneFn | None = None,
        follow_up: FollowUpFn | None = None,
    ) -> list[TrialResult]:
        queue, results = list(items), []
        for index, item in enumerate(queue):  # follow-ups join the end of the queue
            result = run_attempts(fn, item, context, self.retries)
            if on_done is not None:
                on_done(index, result)
            results.append(result)
            if follow_up is not None:
                queue.extend(follow_up(index, result))
        return results
