"""In-silico saturation mutagenesis throughput beside the model's raw forward pass.

    .venv/bin/python benchmarks/ism_throughput.py [--quick]

For a random architecture of the ``small`` space (L bp, T tasks), in the same process and at
the same batch size B, interleaved and each the best of the repeats:

- raw forward: the model on ready float batches of B sequences, as many as ISM needs;
- ism: ``saturation_mutagenesis`` on n sequences (3·L mutants each) end to end — building
  the mutant batches, the forward passes, the reference pass and the effect table.

Overhead = 1 − (ISM mutants/s) / (raw forward sequences/s); target ≤ 15 %.
Writes ``benchmarks/results/ism_throughput.json``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import print_table, write_result

from genas.analysis.attribution import saturation_mutagenesis
from genas.nn.network import ChildNet
from genas.space import get_space, sample_architecture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sequences and repeats")
    args = parser.parse_args()
    length, n_tasks, batch = 300, 12, 512
    n_seqs, repeats = (2, 2) if args.quick else (6, 3)

    space = get_space("small")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = ChildNet(space, sample_architecture(space, rng), length, n_tasks).eval()
    codes = rng.integers(0, 4, size=(n_seqs, length))
    x = (codes[:, None, :] == np.arange(4)[None, :, None]).astype(np.uint8)
    n_mutants = n_seqs * length * 3
    n_batches = -(-n_mutants // batch)
    ready = torch.from_numpy(np.repeat(x[:1], batch, axis=0).astype(np.float32))

    def raw() -> float:
        began = time.perf_counter()
        with torch.no_grad():
            for _ in range(n_batches):
                model(ready)
        return time.perf_counter() - began

    def ism() -> float:
        began = time.perf_counter()
        saturation_mutagenesis(model, x, batch_size=batch)
        return time.perf_counter() - began

    raw(), ism()  # warm-up
    raw_times, ism_times = [], []
    for _ in range(repeats):
        raw_times.append(raw())
        ism_times.append(ism())
    raw_rate = n_batches * batch / min(raw_times)
    ism_rate = n_mutants / min(ism_times)
    overhead = 1 - ism_rate / raw_rate
    table = {
        "title": f"ISM vs raw forward (small space, L={length}, T={n_tasks}, batch {batch})",
        "columns": ["pass", "sequences", "best s", "sequences/s"],
        "rows": [
            ["raw forward", n_batches * batch, min(raw_times), raw_rate],
            ["ism (mutants)", n_mutants, min(ism_times), ism_rate],
        ],
    }
    print_table(table)
    print(f"\nISM overhead vs raw forward: {overhead:.1%} (target <= 15 %)")
    path = write_result(
        "ism_throughput",
        "In-silico saturation mutagenesis throughput",
        [table],
        quick=args.quick,
        notes=[
            f"ISM overhead vs the raw forward pass: {overhead:.1%} (target <= 15 %).",
            "raw forward covers ceil(mutants / B) full batches, so it also does the padding "
            "rows of ISM's last partial batch; ISM adds one reference pass per call.",
        ],
        extra={"overhead": overhead, "raw_times": raw_times, "ism_times": ism_times},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
