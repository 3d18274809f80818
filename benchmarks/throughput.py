"""Child-network training throughput and its fraction of the machine's matmul peak.

    .venv/bin/python benchmarks/throughput.py [--quick] [--device auto]

For a few networks (a child of the ``small`` space at 250 bp, the DeepBind-like and Basset
references, a child of ``amber-deepsea`` and DeepSEA at 1000 bp / 919 tasks), time training
steps (:func:`genas.search.evaluators.step.train_step`: forward, masked BCE, backward, clip,
Adam) on one batch, and report sequences/s and achieved GFLOP/s, with FLOPs counted
analytically from the convolution and dense shapes (:func:`genas.nn.forward_flops`; a
training step = 3 × forward). In the same run, the GFLOP/s of a large float32 ``torch.mm``
gives the machine's practical peak; achieved / peak is the "fraction of peak".
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from common import print_table, write_result

from genas.nn import build_model, count_parameters, forward_flops
from genas.search.evaluators.step import build_optimizer, train_step
from genas.space import get_space, sample_architecture
from genas.train.device import resolve_device

# name, model spec, input length, tasks, batch size
CASES = [
    ("small child", "small", 250, 1, 64),
    ("DeepBind-like", {"reference": "deepbind"}, 250, 1, 64),
    ("Basset", {"reference": "basset"}, 600, 164, 64),
    ("amber-deepsea child", "amber-deepsea", 1000, 919, 32),
    ("DeepSEA", {"reference": "deepsea"}, 1000, 919, 32),
]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device: torch.device, n: int, repeats: int) -> float:
    """GFLOP/s of an (n × n) @ (n × n) float32 matmul, best of ``repeats``."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        torch.mm(a, b)
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def spec_of(model: str | dict, rng: np.random.Generator) -> dict:
    if isinstance(model, dict):
        return model
    space = get_space(model)
    return {"space": model, "architecture": sample_architecture(space, rng).to_tokens()}


def step_seconds(spec: dict, length: int, tasks: int, batch: int, device, repeats: int) -> tuple:
    """(median seconds per training step, forward FLOPs per sequence, parameters)."""
    model = build_model(spec, length, tasks).to(device).train()
    flops = forward_flops(model, length)
    opt = build_optimizer(model.parameters(), "adam", 1e-3)
    gen = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 4, (batch, length), generator=gen)
    x = torch.zeros(batch, 4, length, dtype=torch.uint8).scatter_(1, codes[:, None, :], 1)
    y = (torch.rand(batch, tasks, generator=gen) < 0.2).float()
    x, y = x.to(device), y.to(device)
    times = []
    for r in range(repeats + 2):
        sync(device)
        start = time.perf_counter()
        train_step(model, model, opt, x, y, device, grad_clip=5.0)
        sync(device)
        if r >= 2:  # the first steps allocate and warm caches
            times.append(time.perf_counter() - start)
    return statistics.median(times), flops, count_parameters(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no DeepSEA")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    rng = np.random.default_rng(0)
    repeats = 3 if args.quick else 10
    peak = matmul_peak(device, 2048 if device.type == "cpu" else 8192, repeats)
    rows = []
    for name, model, length, tasks, batch in CASES:
        if args.quick and name in {"DeepSEA", "amber-deepsea child"}:
            continue
        spec = spec_of(model, rng)
        seconds, flops, params = step_seconds(spec, length, tasks, batch, device, repeats)
        gflops = 3 * flops * batch / seconds / 1e9
        rows.append(
            [name, length, tasks, batch, params, flops / 1e6, batch / seconds, gflops,
             gflops / peak]
        )
    table = {
        "title": f"training throughput on {device} (float32 torch.mm peak {peak:.1f} GFLOP/s)",
        "columns": ["network", "L", "tasks", "batch", "parameters", "forward MFLOP/seq",
                    "sequences/s", "GFLOP/s", "fraction of peak"],
        "rows": rows,
    }
    print_table(table)
    write_result(
        "throughput",
        "Child training throughput and fraction of peak",
        [table],
        quick=args.quick,
        notes=[
            "FLOPs: convolutions and dense layers only, counted from their shapes; a training "
            "step is taken as 3 × forward.",
            f"Peak: best of {repeats} float32 torch.mm of 2048 × 2048 on the same device, "
            "same run.",
        ],
        extra={"matmul_peak_gflops": peak},
    )


if __name__ == "__main__":
    main()
