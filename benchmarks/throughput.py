"""Child-network training throughput and its fraction of the machine's matmul peak.

    .venv/bin/python benchmarks/throughput.py [--quick] [--device auto] [--compile]

For a few networks (a child of the ``small`` space at 250 bp, the DeepBind-like and Basset
references, a child of ``amber-deepsea`` and DeepSEA at 1000 bp / 919 tasks), time training
steps (:func:`genas.train.step.train_step`: forward, masked BCE, backward, clip,
Adam) on one batch, and report sequences/s and achieved GFLOP/s, with FLOPs counted
analytically from the convolution and dense shapes (:func:`genas.nn.forward_flops`; a
training step = 3 × forward). In the same run, the GFLOP/s of a large ``torch.mm`` in the
precision training runs in (float32 on a CPU, bf16 on CUDA) gives the machine's practical
peak; achieved / peak is the "fraction of peak". On a GPU every case runs at batch 1000.

Children of a space are also timed with PyTorch's own max-pooling in place of genas's
(:func:`genas.nn.ops.max_pool1d`, a profile-guided fix for CPU training): the "before" row.
With ``--compile``, every network is also timed through ``torch.compile``
(:func:`genas.train.compiling.compiled`, what ``train.compile: true`` runs) in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from common import batch_for, print_table, write_result

import genas.nn.ops as ops
from genas.nn import build_model, count_parameters, forward_flops
from genas.space import get_space, sample_architecture
from genas.train.compiling import compiled
from genas.train.device import resolve_device
from genas.train.optimizer import build_optimizer
from genas.train.step import train_step

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


def matmul_peak(device: torch.device, n: int, repeats: int, dtype: torch.dtype) -> float:
    """GFLOP/s of an (n × n) @ (n × n) matmul in ``dtype``, best of ``repeats``."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        torch.mm(a, b)
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


@contextlib.contextmanager
def pytorch_max_pool() -> Iterator[None]:
    """genas's max-pooling replaced by ``F.max_pool1d`` (the code before the CPU fix)."""
    fast = ops.max_pool1d
    ops.max_pool1d = lambda x, k, stride, ceil_mode=False: F.max_pool1d(
        x, k, stride=stride, ceil_mode=ceil_mode
    )
    try:
        yield
    finally:
        ops.max_pool1d = fast


def spec_of(model: str | dict, rng: np.random.Generator) -> dict:
    if isinstance(model, dict):
        return model
    space = get_space(model)
    return {"space": model, "architecture": sample_architecture(space, rng).to_tokens()}


def random_batch(length: int, tasks: int, batch: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Random one-hot sequences (B, 4, L) uint8 and 0/1 labels (B, T) with 20 % positives."""
    gen = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 4, (batch, length), generator=gen)
    x = torch.zeros(batch, 4, length, dtype=torch.uint8).scatter_(1, codes[:, None, :], 1)
    y = (torch.rand(batch, tasks, generator=gen) < 0.2).float()
    return x.to(device), y.to(device)


def step_seconds(spec: dict, length: int, tasks: int, batch: int, device, repeats: int,
                 compile_: bool = False) -> tuple:
    """(median seconds per training step, forward FLOPs per sequence, parameters); with
    ``compile_`` the forward runs through ``torch.compile`` (compiled in the untimed steps)."""
    model = build_model(spec, length, tasks).to(device).train()
    forward = compiled(model) if compile_ else model
    flops = forward_flops(model, length)
    opt = build_optimizer(model.parameters(), "adam", 1e-3)
    x, y = random_batch(length, tasks, batch, device)
    times = []
    for r in range(repeats + 2):
        sync(device)
        start = time.perf_counter()
        train_step(model, forward, opt, x, y, device, grad_clip=5.0)
        sync(device)
        if r >= 2:  # the first steps allocate and warm caches
            times.append(time.perf_counter() - start)
    return statistics.median(times), flops, count_parameters(model)


# profiler events that cover all the work of max-pooling (children included), forward and
# backward: PyTorch's autograd path and genas's (genas.nn.ops._MaxPool1d)
MAX_POOL_EVENTS = {
    "aten::max_pool1d", "MaxPool2DWithIndicesBackward0", "_MaxPool1d", "_MaxPool1dBackward",
}  # fmt: skip


def max_pool_share(spec: dict, length: int, tasks: int, batch: int, device) -> float:
    """Fraction of the CPU time of 5 profiled training steps spent max-pooling."""
    from torch.profiler import ProfilerActivity, profile

    model = build_model(spec, length, tasks).to(device).train()
    opt = build_optimizer(model.parameters(), "adam", 1e-3)
    x, y = random_batch(length, tasks, batch, device)
    train_step(model, model, opt, x, y, device, grad_clip=5.0)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(5):
            train_step(model, model, opt, x, y, device, grad_clip=5.0)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    pooled = sum(e.cpu_time_total for e in events if e.key in MAX_POOL_EVENTS)
    return pooled / total if total else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no DeepSEA")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--compile", action="store_true",
                        help="also time every network through torch.compile")
    args = parser.parse_args()
    device = resolve_device(args.device)
    rng = np.random.default_rng(0)
    repeats = 3 if args.quick else 10
    # the peak in the precision training runs in: float32 on a CPU, bf16 autocast on CUDA
    on_cpu = device.type == "cpu"
    peak_n, peak_dtype = (2048, torch.float32) if on_cpu else (8192, torch.bfloat16)
    peak = matmul_peak(device, peak_n, repeats, peak_dtype)
    rows, profile_notes = [], []
    for name, model, length, tasks, batch in CASES:
        if args.quick and name in {"DeepSEA", "amber-deepsea child"}:
            continue
        spec = spec_of(model, rng)
        batch = batch_for(device, batch)
        variants = [(name, contextlib.nullcontext(), False)]
        if "space" in spec and device.type == "cpu":
            variants.append((f"{name}, PyTorch max-pool (before)", pytorch_max_pool(), False))
        if args.compile:
            variants.append((f"{name}, torch.compile", contextlib.nullcontext(), True))
        has_before = len(variants) > 1 and not variants[1][2]
        shares = []
        for label, context, compile_ in variants:
            with context:
                seconds, flops, params = step_seconds(spec, length, tasks, batch, device, repeats,
                                                      compile_)
                if has_before and not compile_:  # the max-pool profile: genas's and PyTorch's
                    shares.append(max_pool_share(spec, length, tasks, batch, device))
            gflops = 3 * flops * batch / seconds / 1e9
            rows.append(
                [label, length, tasks, batch, params, flops / 1e6, batch / seconds, gflops,
                 gflops / peak]
            )
        if shares:
            profile_notes.append(
                f"torch.profiler, {name}: max-pooling ops take {shares[0]:.0%} of the CPU time "
                f"of a training step with genas's pooling, {shares[1]:.0%} with PyTorch's"
            )
    table = {
        "title": f"training throughput on {device} ({str(peak_dtype).removeprefix('torch.')} "
        f"torch.mm peak {peak:.1f} GFLOP/s)",
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
            f"Peak: best of {repeats} {str(peak_dtype).removeprefix('torch.')} torch.mm of "
            f"{peak_n} × {peak_n} on the same device, same run"
            + (" (training runs under bf16 autocast there)." if not on_cpu else "."),
            "Profile: PyTorch's CPU max-pool kernel with indices (what autograd uses) is slow "
            "on (N, C, L) memory; genas pools in channels-last memory when training on CPU "
            "(genas.nn.ops.max_pool1d, same values and gradients). The '(before)' rows time the "
            "same network with PyTorch's kernel in the same run.",
            *profile_notes,
        ],
        extra={"matmul_peak_gflops": peak},
        device=device,
    )


if __name__ == "__main__":
    main()
