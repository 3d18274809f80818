"""One-hot encoding throughput: genas.seq.encode vs a naive encoder and tangermeme's.

    .venv/bin/python benchmarks/encode.py [--quick] [--n 20000 --length 1000]

The encoders run in the same process on the same random sequences: genas's vectorised
``encode`` (a batch of strings → uint8 (N, 4, L)), a naive per-character Python loop (on the
first ``--naive-n`` sequences, as it is slow), and, when installed (``pip install
genas[bench]``), ``tangermeme.utils.one_hot_encode`` (one sequence → (4, L), called per
sequence as its API is). Each is timed as the best of ``--repeats`` runs, in bases per second.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import print_table, write_result

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
    parser.add_argument("--quick", action="store_true", help="n = 5000")
    parser.add_argument("--n", type=int, default=None, help="number of sequences (20000)")
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
    args.n = args.n or (5000 if args.quick else 20000)

    rng = np.random.default_rng(args.seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    codes = rng.integers(0, 4, size=(args.n, args.length))
    sequences = [row.tobytes().decode("ascii") for row in letters[codes]]
    naive_n = max(1, min(args.n, args.naive_n or args.n // 20))

    np.testing.assert_array_equal(encode(sequences[:50]), naive_encode(sequences[:50]))
    t_fast = best_time(lambda: encode(sequences), args.repeats)
    t_naive = best_time(lambda: naive_encode(sequences[:naive_n]), 1)
    rows = [
        ["genas.seq.encode", args.n, t_fast, args.n * args.length / t_fast],
        ["naive Python loop", naive_n, t_naive, naive_n * args.length / t_naive],
    ]
    try:
        from tangermeme.utils import one_hot_encode
    except ImportError:
        notes = ["tangermeme not installed (pip install genas[bench]): not compared"]
    else:
        ours = encode(sequences[:50])
        theirs = np.stack([one_hot_encode(s).numpy() for s in sequences[:50]])
        np.testing.assert_array_equal(ours, theirs)
        t_tm = best_time(lambda: [one_hot_encode(s) for s in sequences], args.repeats)
        rows.append(["tangermeme one_hot_encode", args.n, t_tm, args.n * args.length / t_tm])
        notes = ["tangermeme returns int8 (4, L) per call; outputs checked equal to genas's"]
    for row in rows:
        row.append(rows[0][3] / row[3])
    table = {
        "title": f"one-hot encoding of {args.length} bp sequences (CPU, one thread of Python)",
        "columns": ["encoder", "sequences", "seconds", "bases/s", "genas speed-up"],
        "rows": rows,
    }
    print_table(table)
    write_result("encode", "One-hot encoding throughput", [table], quick=args.quick,
                 notes=notes)


if __name__ == "__main__":
    main()
