"""The process executor: trials in worker processes of this machine, no Ray needed.

Small networks do not use several CPU cores well inside one training: on 2 cores, two
trainings side by side (one thread each) finish in about the time one takes alone with
both cores (``benchmarks/shared_cpu.py``). ``executor: processes`` runs ``workers`` trials
at once, each in its own process with ``cpus_per_trial`` torch threads, so a search trains
that many children at a time and ``compare`` / ``retrain --top-k`` train that many models.

Built on :class:`concurrent.futures.ProcessPoolExecutor` (spawned workers, so CUDA and
threads start clean). A context given to :meth:`ProcessExecutor.share` is pickled once into
a temporary file that each worker reads once and keeps (the data of a search go to each
worker once, not once per child); a context passed to :meth:`map` directly travels with
every trial. Each worker holds its own copy of the data: with large in-memory data, use
fewer workers, HDF5 streaming or Ray.

Faults: a trial that raises is retried in a worker; a worker that dies (killed, out of
memory) breaks the whole pool in ``concurrent.futures``, so the pool is started again and
every trial that was running in it is run again as its next attempt.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
import uuid
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genas.cpus import available_cpus
from genas.parallel.base import DoneFn, Executor, FollowUpFn, TrialBook, TrialFn, TrialResult


@dataclass(frozen=True)
class SharedContext:
    """A context pickled once into ``path``; workers load it once and keep it (``key``)."""

    key: str
    path: str


_worker_contexts: dict[str, Any] = {}


def _start_worker(threads: int) -> None:
    """Worker initializer: ``threads`` torch threads, idle OpenMP threads asleep."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)


def _run_trial(fn: TrialFn, item: Any, context: Any, attempt: int) -> Any:
    """One attempt of one trial in a worker, with a shared context resolved."""
    if isinstance(context, SharedContext):
        if context.key not in _worker_contexts:
            _worker_contexts.clear()  # one shared context per worker at a time
            with open(context.path, "rb") as handle:
                _worker_contexts[context.key] = pickle.load(handle)
        context = _worker_contexts[context.key]
    return fn(item, context, attempt)


class ProcessExecutor(Executor):
    """Runs trials in ``workers`` worker processes of this machine.

    Args:
        workers: trials at once (None: the CPUs this process may use / ``cpus_per_trial``).
        cpus_per_trial: torch threads of each worker.
        retries: reruns of a trial that raised or whose worker died.
    """

    name = "processes"
    in_process = False

    def __init__(
        self, workers: int | None = None, cpus_per_trial: float = 1.0, retries: int = 1
    ):
        super().__init__(retries)
        self.threads = max(1, int(cpus_per_trial))
        self.workers = int(workers) if workers else max(1, available_cpus() // self.threads)
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self._pool: ProcessPoolExecutor | None = None
        self._folder: tempfile.TemporaryDirectory | None = None

    @property
    def slots(self) -> int:
        return self.workers

    def _live_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.threads,),
            )
        return self._pool

    def _drop_pool(self, pool: ProcessPoolExecutor) -> None:
        """Shut a broken pool down; the next submission starts a fresh one."""
        pool.shutdown(wait=False, cancel_futures=True)
        if self._pool is pool:
            self._pool = None

    def map(
        self,
        fn: TrialFn,
        items: Sequence[Any],
        context: Any = None,
        on_done: DoneFn | None = None,
        follow_up: FollowUpFn | None = None,
    ) -> list[TrialResult]:
        pending: dict[Future, tuple[int, int, ProcessPoolExecutor]] = {}

        def submit(index: int, attempt: int) -> None:
            pool = self._live_pool()
            future = pool.submit(_run_trial, fn, book.items[index], context, attempt)
            pending[future] = (index, attempt, pool)

        book = TrialBook(items, self.retries, submit, on_done, follow_up)
        try:
            book.start()
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    index, attempt, pool = pending.pop(future)
                    try:
                        value = future.result()
                    except BrokenProcessPool as error:  # a worker died: a fresh pool
                        self._drop_pool(pool)
                        died = RuntimeError(f"its worker process died ({error})")
                        book.finished(index, attempt, error=died)
                    except Exception as error:  # the trial raised
                        book.finished(index, attempt, error=error)
                    else:
                        book.finished(index, attempt, value)
        finally:
            for future in pending:  # interrupted (Ctrl-C, a failing on_done): stop the rest
                future.cancel()
        return book.results  # type: ignore[return-value]

    def share(self, context: Any) -> SharedContext:
        """``context`` pickled once into a temporary file (removed by :meth:`close`)."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="genas-shared-")
        key = uuid.uuid4().hex
        path = Path(self._folder.name) / f"{key}.pkl"
        with open(path, "wb") as handle:
            pickle.dump(context, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return SharedContext(key, str(path))

    def close(self) -> None:
        """Stop the workers and remove the shared contexts."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
