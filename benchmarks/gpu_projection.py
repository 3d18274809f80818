"""Projected wall time of the paper's search schedule on this device, from measured steps.

    .venv/bin/python benchmarks/gpu_projection.py [--quick] [--device auto] [--compile]

The schedule (AMBER on DeepSEA): 300 controller steps, each training the supernet of the
``amber-deepsea`` space for 500 minibatches of 1000 sequences (1000 bp, 919 tasks) and scoring
100 architectures on a validation set of 8,000 sequences. Measured here, on random data:
seconds per supernet training step (median over sampled architectures, batch ``--batch``,
bf16 autocast on CUDA) and the supernet's inference throughput while scoring (sequences/s,
batch 500). Projection = 300 × (500 × 1000 / train seq/s + 100 × 8000 / score seq/s).
AMBER's budget for this schedule was 72 h on one V100. On a CPU the projection only shows
why the paper's schedule needs a GPU.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from common import print_table, write_result

from genas.nn import SuperNet
from genas.space import get_space, sample_architecture
from genas.train.compiling import compile_blocks
from genas.train.device import resolve_device
from genas.train.optimizer import build_optimizer
from genas.train.step import train_step

STEPS, MINIBATCHES, BATCH, ARCHS, N_VALID = 300, 500, 1000, 100, 8000


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def one_hot(n: int, length: int, gen: torch.Generator) -> torch.Tensor:
    codes = torch.randint(0, 4, (n, length), generator=gen)
    return torch.zeros(n, 4, length, dtype=torch.uint8).scatter_(1, codes[:, None, :], 1)


def measure(device: torch.device, batch: int, quick: bool, compile_: bool) -> tuple[float, float]:
    """(supernet training sequences/s, scoring sequences/s): medians over sampled
    architectures of the ``amber-deepsea`` supernet; with ``compile_`` its blocks run through
    ``torch.compile`` (:func:`genas.train.compiling.compile_blocks`; the untimed first
    repeat of each architecture compiles the blocks it has not met yet)."""
    n_archs, repeats = (2, 2) if quick else (4, 5)
    space = get_space("amber-deepsea")
    torch.manual_seed(0)
    net = SuperNet(space, 1000, 919).to(device).train()
    if compile_:
        compile_blocks(net)
    opt = build_optimizer(net.parameters(), "adam", 1e-3)
    gen = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    x = one_hot(batch, 1000, gen).to(device)
    y = (torch.rand(batch, 919, generator=gen) < 0.05).float().to(device)
    score_batch = 500 if device.type == "cuda" else 64
    xv = one_hot(score_batch, 1000, gen).to(device)
    train_times, score_rates = [], []
    for _ in range(n_archs):
        arch = sample_architecture(space, rng)
        for r in range(repeats + 1):
            sync(device)
            start = time.perf_counter()
            train_step(net, lambda xf, arch=arch: net(xf, arch), opt, x, y, device, grad_clip=5.0)
            sync(device)
            if r:
                train_times.append(time.perf_counter() - start)
        net.eval()
        with torch.no_grad(), torch.autocast(device.type, torch.bfloat16,
                                             enabled=device.type == "cuda"):
            for r in range(repeats + 1):
                sync(device)
                start = time.perf_counter()
                net(xv.float(), arch)
                sync(device)
                if r:
                    score_rates.append(score_batch / (time.perf_counter() - start))
        net.train()
    return batch / statistics.median(train_times), statistics.median(score_rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer architectures and repeats")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=None, help="training batch (default: "
                        "1000 on CUDA, 32 on CPU; times are scaled to 1000 sequences)")
    parser.add_argument("--compile", action="store_true",
                        help="also measure the supernet compiled block by block (same run)")
    args = parser.parse_args()
    device = resolve_device(args.device)
    batch = args.batch or (BATCH if device.type == "cuda" else 32)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({device})"
    rows = []
    for compile_ in (False, True) if args.compile else (False,):
        train_rate, score_rate = measure(device, batch, args.quick, compile_)
        train_h = STEPS * MINIBATCHES * BATCH / train_rate / 3600
        score_h = STEPS * ARCHS * N_VALID / score_rate / 3600
        rows.append([name, "torch.compile blocks" if compile_ else "eager", batch, train_rate,
                     score_rate, train_h, score_h, train_h + score_h, 72])
    table = {
        "title": f"paper schedule on amber-deepsea, projected from measured steps on {name}",
        "columns": ["device", "supernet", "train batch", "supernet train seq/s",
                    "scoring seq/s", "train hours", "scoring hours", "total hours",
                    "AMBER (V100) hours"],
        "rows": rows,
    }
    print_table(table)
    write_result(
        "gpu_projection",
        "Projected time of the paper's search schedule",
        [table],
        quick=args.quick,
        notes=[
            "Schedule: 300 controller steps × (500 supernet minibatches of 1000 sequences + 100 "
            "architectures scored on 8,000 validation sequences); 1000 bp, 919 tasks.",
            "Target on one H100: ≤ 1 hour. "
            + ("Measured on a GPU, bf16 autocast." if device.type == "cuda" else
               "This run was on a CPU: its row shows why the schedule needs a GPU (training "
               "time scaled linearly from the measured batch); a GPU run writes "
               "gpu_projection_cuda.json."),
        ],
        device=device,
    )


if __name__ == "__main__":
    main()
