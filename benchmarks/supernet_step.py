"""Cost of weight sharing: one supernet training step on a path vs one step of its child.

    .venv/bin/python benchmarks/supernet_step.py [--quick] [--device auto] [--compile]

For a few random architectures of the ``small`` space (240 bp, 1 task, batch 64) and of
``amber-deepsea`` (1000 bp, 919 tasks, batch 32), time one training step (forward, masked
BCE, backward, gradient clipping, Adam step; bf16 autocast on CUDA) of the supernet on that
architecture's path, and one step of the standalone child of that architecture (its weights
copied from the supernet), on the same batch, interleaved in the same process. Each time is
the median of the repeats; the ratio supernet / child is the overhead of sharing (target
<= 1.25). Both use :func:`genas.train.step.train_step`, the step the evaluators
run. With ``--compile`` both run as ``train.compile: true`` runs them (the supernet block by
block, :func:`genas.train.compiling.compile_blocks`; the child whole), written to
``supernet_step_compiled``; the warm-up steps compile.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from common import batch_for, print_table, write_result

from genas.nn import SuperNet
from genas.space import Architecture, get_space, sample_architecture
from genas.train.compiling import compile_blocks, compiled
from genas.train.device import resolve_device
from genas.train.optimizer import build_optimizer
from genas.train.step import train_step

# space, input length, tasks, batch size, architectures, repeats (full run; --quick: fewer)
CASES = [
    ("small", 240, 1, 64, 5, 30),
    ("amber-deepsea", 1000, 919, 32, 3, 10),
]


def timed(step: Callable[[], object], device: torch.device) -> float:
    """Seconds of one call of ``step`` (synchronising CUDA before and after)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def bench_arch(
    net: SuperNet,
    supernet_opt: torch.optim.Optimizer,
    arch: Architecture,
    x: torch.Tensor,
    y: torch.Tensor,
    device: torch.device,
    repeats: int,
    warmup: int,
    compile_: bool = False,
) -> tuple[float, float]:
    """(median supernet step, median child step) in seconds for one architecture."""
    child = net.child(arch).train()
    child_forward = compiled(child) if compile_ else child
    child_opt = build_optimizer(child.parameters(), "adam", 1e-3)

    def supernet_step() -> None:
        train_step(net, lambda xf: net(xf, arch), supernet_opt, x, y, device, grad_clip=5.0)

    def child_step() -> None:
        train_step(child, child_forward, child_opt, x, y, device, grad_clip=5.0)

    for _ in range(warmup):
        supernet_step()
        child_step()
    times_s, times_c = [], []
    for r in range(repeats):  # interleaved, alternating which goes first
        first, second = (supernet_step, child_step) if r % 2 == 0 else (child_step, supernet_step)
        t1, t2 = timed(first, device), timed(second, device)
        ts, tc = (t1, t2) if r % 2 == 0 else (t2, t1)
        times_s.append(ts)
        times_c.append(tc)
    return statistics.median(times_s), statistics.median(times_c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer architectures and repeats")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, ...")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compile", action="store_true",
                        help="supernet blocks and children through torch.compile")
    args = parser.parse_args()

    device = resolve_device(args.device)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    rows = []
    ratios: dict[str, list[float]] = {}
    for name, length, n_tasks, batch, n_archs, repeats in CASES:
        if args.quick:
            n_archs, repeats = max(2, n_archs // 2), max(5, repeats // 3)
        batch = batch_for(device, batch)
        space = get_space(name)
        net = SuperNet(space, length, n_tasks).to(device).train()
        if args.compile:
            compile_blocks(net)
        opt = build_optimizer(net.parameters(), "adam", 1e-3)
        codes = rng.integers(0, 4, size=(batch, length))
        x = torch.zeros(batch, 4, length, dtype=torch.uint8)
        x.scatter_(1, torch.from_numpy(codes)[:, None, :], 1)
        y = torch.from_numpy((rng.random((batch, n_tasks)) < 0.2).astype(np.float32))
        x, y = x.to(device), y.to(device)
        for _ in range(n_archs):
            arch = sample_architecture(space, rng)
            ts, tc = bench_arch(net, opt, arch, x, y, device, repeats, warmup=3,
                                compile_=args.compile)
            ratios.setdefault(name, []).append(ts / tc)
            rows.append([name, arch.hash, batch, ts * 1e3, tc * 1e3, ts / tc])
    every = [r for values in ratios.values() for r in values]
    table = {
        "title": f"one training step on {device}: supernet path vs standalone child, same batch",
        "columns": ["space", "architecture", "batch", "supernet ms", "child ms", "ratio"],
        "rows": rows,
    }
    summary = {
        "title": "median ratio supernet / child (target <= 1.25)",
        "columns": ["space", "median ratio", "max ratio"],
        "rows": [[n, statistics.median(v), max(v)] for n, v in ratios.items()]
        + [["all", statistics.median(every), max(every)]],
    }
    print_table(table)
    print_table(summary)
    write_result(
        "supernet_step_compiled" if args.compile else "supernet_step",
        "Cost of weight sharing: supernet step vs child step"
        + (", both through torch.compile" if args.compile else ""),
        [summary, table],
        quick=args.quick,
        notes=["Median of interleaved repeats, same process, same batch; the child's weights "
               "are copied from the supernet."],
        device=device,
    )


if __name__ == "__main__":
    main()
