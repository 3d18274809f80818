"""Independent children per hour: one process with all threads vs children side by side.

    .venv/bin/python benchmarks/children_rate.py [--quick] [--dataset demo] [--budget 5m]
        [--workers 1,2] [--device auto] [--seed 1]

Runs a TPE search over ``small-tuned`` (each child trained alone for 4 epochs; TPE as
measured, not genas's default random search) on ``--dataset`` (``demo``: the bundled TAF7
set of ``genas demo``, always there; or a set of ``quality.py``) for ``--budget`` of wall
clock, once per ``--workers`` value: 1 is the in-process executor with every CPU thread this
process may use; N > 1 is ``executor: processes`` with N workers of one thread each (on a
GPU every worker trains on the same device: N children at once on one GPU). Reports
children trained, children per hour and the speed-up over one worker, from each search's
own ``history.jsonl``. Every search starts from the same seed, so the children it trains
are the same ones, in the same order; only how many fit in the budget differs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the genas command runs (docs/cluster.md)

from common import print_table, write_result
from quality import dataset_config

from genas.config import parse_config
from genas.cpus import available_cpus
from genas.data import load_splits
from genas.parallel import make_executor
from genas.search.budget import parse_budget
from genas.search.history import read_jsonl
from genas.search.loop import run_search
from genas.train.device import resolve_device, set_threads


def demo_dataset(tmp: Path) -> tuple[dict, Path]:
    """The data section of ``genas demo`` (bundled TAF7) and the folder it is in."""
    from genas.workflows.demo import demo_config, demo_data_dir

    data = demo_config(tmp).data.model_dump(mode="json", exclude_defaults=True)
    return data, demo_data_dir()


def one_search(data: dict, base: Path, seed: int, workers: int, budget: float, device: str,
               out: Path) -> dict:
    """Search for ``budget`` seconds with ``workers`` trainings at once; its counts."""
    executor = ({"backend": "processes", "workers": workers} if workers > 1
                else {"backend": "inprocess"})
    raw = {"seed": seed, "data": data, "train": {"device": device},
           "search": {"strategy": "tpe", "steps": 100000, "archs_per_step": 10,
                      "retrain_top_k": 1},
           "executor": executor}
    config = parse_config(raw, base, "<benchmark>")
    splits = load_splits(config.data, seed)
    set_threads(None if workers == 1 else 1)  # one process: every core; workers: their own
    with make_executor(config.executor) as pool:
        result = run_search(config, out, splits, budget_seconds=budget, device=device,
                            log=lambda _: None, executor=pool)
    rows = [r for r in read_jsonl(out / "history.jsonl") if r["reward"] is not None]
    child_seconds = sorted(r["seconds"] for r in rows)
    return {"workers": workers, "children": len(rows), "seconds": result.seconds,
            "per_hour": len(rows) / result.seconds * 3600,
            "median_child_s": child_seconds[len(child_seconds) // 2] if rows else None,
            "best_reward": result.best_reward}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 90-second budget")
    parser.add_argument("--dataset", default="demo")
    parser.add_argument("--budget", default=None, help="wall clock of each search (5m)")
    parser.add_argument("--workers", default="1,2", help="trainings at once, e.g. 1,2,4")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    device = resolve_device(args.device)
    budget = parse_budget(args.budget or ("90s" if args.quick else "5m"))
    with tempfile.TemporaryDirectory() as tmp:
        found = (demo_dataset(Path(tmp)) if args.dataset == "demo"
                 else dataset_config(args.dataset, Path(tmp), args.quick))
        if found is None:
            raise SystemExit(f"{args.dataset}: data not found")
        data, base = found
        measured = [one_search(data, base, args.seed, int(w), budget, str(device),
                               Path(tmp) / f"workers_{w}")
                    for w in args.workers.split(",")]
    alone = measured[0]["per_hour"]
    table = {
        "title": f"{args.dataset}: independent children (TPE, 4 epochs, small-tuned) per hour on "
        f"{device}, {budget:.0f} s of search each",
        "columns": ["trainings at once", "threads each", "children", "search s",
                    "children / hour", "speed-up", "median child s", "best reward"],
        "rows": [[m["workers"], available_cpus() if m["workers"] == 1 else 1, m["children"],
                  m["seconds"], m["per_hour"], m["per_hour"] / alone, m["median_child_s"],
                  m["best_reward"]] for m in measured],
    }
    print_table(table)
    write_result(
        f"children_rate_{args.dataset}",
        f"Independent children per hour: one at a time vs side by side ({args.dataset})",
        [table],
        quick=args.quick,
        notes=["One worker: the in-process executor with every thread; N workers: executor "
               "processes, one thread each (on a GPU all on the same device). Same seed, "
               "so the same children in the same order; the budget decides how many.",
               "A child's seconds include its share of a worker's start-up (spawn, torch "
               "import) in the first step."],
        device=device,
    )


if __name__ == "__main__":
    main()
