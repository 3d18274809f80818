"""How the cost of a controller step grows with input length and number of tasks.

    .venv/bin/python benchmarks/scaling.py [--quick] [--space small] [--device auto]

Runs the real search loop (``rl × shared``: ``child_steps`` supernet minibatches of 64, then
``archs_per_step`` architectures scored on the validation set) on random one-hot data held
in memory, for input lengths 250 / 500 / 1000 bp (1 task) and task counts 1 / 64 / 919
(1000 bp), and reports the search's wall time per controller step (building the supernet and the
per-step checkpoints included), after one untimed warm-up search.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from common import print_table, write_result

from genas.config import parse_config
from genas.data import ArrayDataset, DataSplits
from genas.search.loop import run_search
from genas.train.device import resolve_device


def random_split(n: int, length: int, tasks: int, rng: np.random.Generator) -> ArrayDataset:
    codes = rng.integers(0, 4, size=(n, length))
    x = np.zeros((n, 4, length), np.uint8)
    np.put_along_axis(x, codes[:, None, :], 1, axis=1)
    return ArrayDataset(x, (rng.random((n, tasks)) < 0.2).astype(np.float32))


def seconds_per_step(space: str, length: int, tasks: int, args, work: Path) -> float:
    rng = np.random.default_rng(0)
    names = [f"t{i}" for i in range(tasks)]
    splits = DataSplits(
        train=random_split(args.child_steps * 64, length, tasks, rng),
        valid=random_split(args.n_valid, length, tasks, rng),
        test=None, task_names=names, task_groups=None, input_length=length,
    )
    raw = {
        "data": {"format": "hdf5", "train": "unused.h5"},
        "train": {"device": str(args.device)},
        "search": {"space": space, "strategy": "rl", "evaluator": "shared", "warmup_epochs": 0,
                   "steps": args.steps, "child_steps": args.child_steps,
                   "archs_per_step": args.archs_per_step, "reward_sequences": args.n_valid},
    }
    config = parse_config(raw, work, "<benchmark>")
    run_dir = work / f"{space}_{length}_{tasks}"
    start = time.perf_counter()
    run_search(config, run_dir, splits, device=args.device, log=lambda _: None)
    return (time.perf_counter() - start) / args.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, small settings")
    parser.add_argument("--space", default="small")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    args.device = resolve_device(args.device)
    args.steps = 2 if args.quick else 3
    args.child_steps = 5 if args.quick else 20
    args.archs_per_step = 3 if args.quick else 10
    args.n_valid = 256 if args.quick else 1000
    cases = [(250, 1), (500, 1), (1000, 1), (1000, 64), (1000, 919)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # one untimed search first: first-call costs (CUDA set-up, lazy imports) are no step's
        warm_up = Path(tmp) / "warm-up"
        warm_up.mkdir()
        seconds_per_step(args.space, *cases[0], args, warm_up)
        for length, tasks in cases:
            s = seconds_per_step(args.space, length, tasks, args, Path(tmp))
            rows.append([length, tasks, s, s / rows[0][2] if rows else 1.0])
    table = {
        "title": f"seconds per controller step, space {args.space}, {args.device} "
        f"({args.child_steps} supernet minibatches of 64 + {args.archs_per_step} architectures "
        f"scored on {args.n_valid} sequences)",
        "columns": ["length bp", "tasks", "s / step", "× the 250 bp, 1-task step"],
        "rows": rows,
    }
    print_table(table)
    write_result("scaling", "How the cost of a controller step grows", [table], quick=args.quick,
                 notes=["Wall time of the whole search / steps (supernet set-up and checkpoints "
                        "included)."], device=args.device)


if __name__ == "__main__":
    main()
