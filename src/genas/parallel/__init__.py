"""Executors: where independent work runs — in this process (default), in worker
processes of this machine, or on Ray.

Independent work is what a run can do in parallel: the children of the `independent`
evaluator, replicate searches, the models of `genas compare` and `genas retrain --top-k`,
the measurements of `genas fidelity`.
Callers hand an executor a module-level trial function and a list of items; results come
back in item order, a failed trial is retried once, then recorded with its error::

    with make_executor(config.executor) as executor:
        results = executor.map(train_one, items, context=shared_data)
    for result in results:
        print(result.value if result.ok else result.error, result.attempts)
"""

from genas.parallel.base import Executor, TrialResult, run_attempts
from genas.parallel.factory import executor_config, make_executor
from genas.parallel.folders import require_shared_dir
from genas.parallel.inprocess import InProcessExecutor

__all__ = [
    "Executor",
    "InProcessExecutor",
    "TrialResult",
    "executor_config",
    "make_executor",
    "require_shared_dir",
    "run_attempts",
]
