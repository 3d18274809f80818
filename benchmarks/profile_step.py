"""Where one training step of a child network spends its time, op by op (torch.profiler).

    .venv/bin/python benchmarks/profile_step.py [--quick] [--space amber-deepsea] [--device auto]

Builds a random child of ``--space`` (seed 0) at ``--length`` bp and ``--tasks`` tasks, runs
three warm-up training steps (:func:`genas.train.step.train_step`; bf16 autocast
on CUDA), then profiles 5 more (3 with ``--quick``) and ranks PyTorch's ``aten::`` ops by
their self time on the device that runs them (kernel time on CUDA, CPU time on a CPU): what
bounds the step, and so what a low fraction of peak in ``throughput.py`` comes from.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from common import batch_for, print_table, write_result
from throughput import random_batch
from torch.profiler import ProfilerActivity, profile

from genas.nn import build_model
from genas.space import get_space, sample_architecture
from genas.train.device import resolve_device
from genas.train.optimizer import build_optimizer
from genas.train.step import train_step


def self_time_us(event, device: torch.device) -> float:
    """An averaged profiler event's self time (µs) on ``device`` (kernels on CUDA)."""
    if device.type == "cpu":
        return event.self_cpu_time_total
    return event.self_device_time_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer profiled steps")
    parser.add_argument("--space", default="amber-deepsea")
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=919)
    parser.add_argument("--batch", type=int, default=None,
                        help="default: 32 on a CPU, 1000 on a GPU")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--top", type=int, default=12, help="ops to list")
    args = parser.parse_args()
    device = resolve_device(args.device)
    batch = args.batch or batch_for(device, 32)
    steps = 3 if args.quick else 5

    space = get_space(args.space)
    arch = sample_architecture(space, np.random.default_rng(0))
    spec = {"space": args.space, "architecture": arch.to_tokens()}
    model = build_model(spec, args.length, args.tasks).to(device).train()
    opt = build_optimizer(model.parameters(), "adam", 1e-3)
    x, y = random_batch(args.length, args.tasks, batch, device)
    for _ in range(3):
        train_step(model, model, opt, x, y, device, grad_clip=5.0)
    activities = [ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
        torch.cuda.synchronize(device)
    with profile(activities=activities) as prof:
        for _ in range(steps):
            train_step(model, model, opt, x, y, device, grad_clip=5.0)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    ops = [e for e in prof.key_averages() if e.key.startswith("aten::")]
    times = {e.key: (self_time_us(e, device), e.count) for e in ops}
    total = sum(t for t, _ in times.values())
    ranked = sorted(times.items(), key=lambda kv: kv[1][0], reverse=True)[: args.top]
    rows = [
        [name, count // steps, t / steps / 1e3, t / total] for name, (t, count) in ranked
    ]
    where = "kernel" if device.type == "cuda" else "CPU"
    table = {
        "title": f"{where} time per training step by op: {args.space} child {arch.hash}, "
        f"{args.length} bp, {args.tasks} tasks, batch {batch}, {device}",
        "columns": ["op", "calls / step", "ms / step", "share"],
        "rows": rows,
    }
    print_table(table)
    print(f"\nall aten ops: {total / steps / 1e3:.1f} ms of {where} time per step")
    write_result(
        "profile_step",
        "Where a child's training step spends its time",
        [table],
        quick=args.quick,
        notes=[
            f"torch.profiler over {steps} training steps after 3 warm-up steps; share = the op's "
            f"self {where} time / all aten ops' ({total / steps / 1e3:.1f} ms per step).",
        ],
        device=device,
    )


if __name__ == "__main__":
    main()
