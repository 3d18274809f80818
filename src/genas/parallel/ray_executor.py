"""The Ray executor: trials run in parallel on a Ray cluster (or a local Ray instance).

Needs ``pip install 'genas[ray]'``. Each trial is a Ray task reserving ``cpus_per_trial``
CPUs (its torch threads) and ``gpus_per_trial`` GPUs (a fraction shares a GPU; Ray sets
``CUDA_VISIBLE_DEVICES`` so ``device: auto`` picks the GPU it was given). The shared
``context`` is put into Ray's object store once per :meth:`RayExecutor.map`, or once for
many maps with :meth:`RayExecutor.share`.

Faults: tasks are submitted without Ray's own retries; the executor resubmits a trial that
raised or whose worker died (``WorkerCrashedError``, a killed node) up to ``retries`` times
with ``attempt`` increased, then records the error.

Files: a trial writes its run folder itself, so on a cluster of several machines the run
folder must be on storage every node mounts at the same path (results of the `independent`
evaluator travel back to the driver and need no shared storage).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from genas.errors import GenasError
from genas.parallel.base import DoneFn, Executor, FollowUpFn, TrialBook, TrialFn, TrialResult

INSTALL_HINT = "pip install 'genas[ray]'"


def _import_ray():
    try:
        import ray
    except ImportError:
        raise GenasError(
            f"the ray executor needs Ray ({INSTALL_HINT}); or use --executor inprocess"
        ) from None
    return ray


def _run_trial(fn: TrialFn, item: Any, context: Any, attempt: int, threads: int) -> Any:
    """The Ray task: one attempt of one trial (Ray resolves ``context`` from its ref), with
    as many torch threads as CPUs reserved (a reused worker may have run other trials)."""
    import torch

    torch.set_num_threads(threads)
    return fn(item, context, attempt)


class RayExecutor(Executor):
    """Runs trials as Ray tasks, in parallel as far as the cluster's resources allow.

    Args:
        address: cluster to join (``"auto"``, ``"ray://head:10001"``); None starts a local
            instance on this machine, unless Ray is already initialised in this process
            (then that instance is used, and left running by :meth:`close`).
        cpus_per_trial: CPUs reserved per trial.
        gpus_per_trial: GPUs reserved per trial; None: 1 if the cluster has GPUs, else 0.
        retries: resubmissions of a failed trial.
        num_cpus: CPUs of a local instance started here (None: all of this machine's).

    Raises:
        GenasError: Ray is not installed, the cluster cannot be reached, or a trial asks
            for more CPUs or GPUs than a local instance has.
    """

    name = "ray"
    in_process = False

    def __init__(
        self,
        address: str | None = None,
        cpus_per_trial: float = 1.0,
        gpus_per_trial: float | None = None,
        retries: int = 1,
        num_cpus: int | None = None,
    ):
        super().__init__(retries)
        ray = _import_ray()
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            try:
                ray.init(
                    address=address,
                    num_cpus=num_cpus if address is None else None,
                    include_dashboard=False,
                    logging_level=logging.ERROR,  # not its start-up notices
                )
            except (ConnectionError, RuntimeError, ValueError) as error:
                where = address or "a local instance"
                raise GenasError(f"Ray: cannot start or join {where} ({error})") from None
            self._started = True
        resources = ray.cluster_resources()
        if gpus_per_trial is None:
            gpus_per_trial = 1.0 if resources.get("GPU", 0) > 0 else 0.0
        self.cpus_per_trial = float(cpus_per_trial)
        self.gpus_per_trial = float(gpus_per_trial)
        for key, wanted in (("CPU", self.cpus_per_trial), ("GPU", self.gpus_per_trial)):
            have = resources.get(key, 0.0)
            if wanted > have:
                message = f"Ray: a trial asks for {wanted:g} {key}s, the cluster has {have:g}"
                if self._started:
                    self.close()
                    raise GenasError(message)
                logging.getLogger(__name__).warning("%s (waiting for the autoscaler?)", message)
        slots = resources.get("CPU", 1.0) / self.cpus_per_trial
        if self.gpus_per_trial:
            slots = min(slots, resources.get("GPU", 0.0) / self.gpus_per_trial)
        self._slots = max(1, int(slots))
        self._task = ray.remote(_run_trial).options(
            num_cpus=self.cpus_per_trial,
            num_gpus=self.gpus_per_trial,
            max_retries=0,
            retry_exceptions=False,
        )

    def map(
        self,
        fn: TrialFn,
        items: Sequence[Any],
        context: Any = None,
        on_done: DoneFn | None = None,
        follow_up: FollowUpFn | None = None,
    ) -> list[TrialResult]:
        ray = self._ray
        context_ref = context if isinstance(context, ray.ObjectRef) else ray.put(context)
        threads = max(1, int(self.cpus_per_trial))
        pending: dict[Any, tuple[int, int]] = {}  # task ref -> (item index, attempt)

        def submit(index: int, attempt: int) -> None:
            ref = self._task.remote(fn, book.items[index], context_ref, attempt, threads)
            pending[ref] = (index, attempt)

        book = TrialBook(items, self.retries, submit, on_done, follow_up)
        try:
            book.start()
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    index, attempt = pending.pop(ref)
                    try:
                        value = ray.get(ref)
                    except Exception as error:  # a trial's failure or its worker's death
                        book.finished(index, attempt, error=_unwrap(error))
                    else:
                        book.finished(index, attempt, value)
        finally:
            for ref in pending:  # interrupted (Ctrl-C, a failing on_done): stop the rest
                ray.cancel(ref, force=True)
        return book.results  # type: ignore[return-value]

    @property
    def slots(self) -> int:
        """Trials the cluster's CPUs (and GPUs) hold at once, as it was at the start."""
        return self._slots

    def share(self, context: Any) -> Any:
        """``context`` put into Ray's object store once (its ``ObjectRef``)."""
        return self._ray.put(context)

    def close(self) -> None:
        """Shut Ray down if this executor started it."""
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False


def _unwrap(error: BaseException) -> BaseException:
    """The trial's own exception inside Ray's ``RayTaskError``; other errors as they are."""
    from ray.exceptions import RayTaskError

    if isinstance(error, RayTaskError):
        cause = getattr(error, "cause", None)
        if isinstance(cause, BaseException):
            return cause
    return error
