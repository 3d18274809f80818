"""One-hot encoding throughput: genas.seq.encode vs a naive per-character Python encoder.

    .venv/bin/python benchmarks/encode.py --n 20000 --length 1000

Both encoders run in the same process on the same random sequences (the naive one on the
first ``--naive-n`` of them, as it is slow); each is timed as the best of ``--repeats`` runs
and reported in bases per second.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from genas.seq import encode

_COLUMNS = {
    "A": (1, 0, 0, 0),
    "C": (0, 1, 0, 0),
    "G": (0, 0, 1, 0),
    "T": (0, 0, 0, 1),
    "N": (1, 1, 1, 1),
}


def naive_encode(sequences: list[str]) -> np.ndarray:
    """uint8 (N, 4, L) by looking up each letter in a dict, one at a time."""
    out = np.zeros((len(sequences), 4, len(sequences[0])), dtype=np.uint8)
    for i, seq in enumerate(sequences):
        for j, letter in enumerate(seq.upper()):
            column = _COLUMNS[letter]
            for k in range(4):
                out[i, k, j] = column[k]
    return out


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="number of sequences")
    parser.add_argument("--length", type=int, default=1000, help="sequence length (bp)")
    parser.add_argument(
        "--naive-n",
        type=int,
        default=None,
        help="sequences given to the naive encoder (default: n / 20)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    codes = rng.integers(0, 4, size=(args.n, args.length))
    sequences = [row.tobytes().decode("ascii") for row in letters[codes]]
    naive_n = max(1, min(args.n, args.naive_n or args.n // 20))

    np.testing.assert_array_equal(encode(sequences[:50]), naive_encode(sequences[:50]))
    t_fast = best_time(lambda: encode(sequences), args.repeats)
    t_naive = best_time(lambda: naive_encode(sequences[:naive_n]), 1)
    rows = [
        ("genas.seq.encode", args.n, t_fast, args.n * args.length / t_fast),
        ("naive Python loop", naive_n, t_naive, naive_n * args.length / t_naive),
    ]
    print(f"one-hot encoding, {args.length} bp sequences\n")
    print(f"{'encoder':<20} {'sequences':>10} {'seconds':>9} {'bases/s':>12}")
    for name, n, t, rate in rows:
        print(f"{name:<20} {n:>10} {t:>9.3f} {rate:>12.3e}")
    print(f"\nspeed-up: {rows[0][3] / rows[1][3]:.0f}x")


if __name__ == "__main__":
    main()
