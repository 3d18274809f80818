"""Run the benchmark suite, then regenerate ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/run.py --quick     # `make bench`: ~15 minutes on a 2-core CPU
    .venv/bin/python benchmarks/run.py             # full mode: hours on a CPU; use a GPU

Each benchmark runs in its own process, one after another (never two at once: they time
themselves), and writes ``benchmarks/results/<name>.json``. A benchmark that fails is
reported and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, extra arguments) in the order they run
SUITE = [
    ("encode.py", []),
    ("throughput.py", []),
    ("profile_step.py", []),
    ("supernet_step.py", []),
    ("streaming.py", []),
    ("scaling.py", []),
    ("shared_cpu.py", []),
    ("gpu_projection.py", []),
    ("vep_throughput.py", []),
    ("ism_throughput.py", []),
    ("heritability_recovery.py", []),
    ("quality.py", []),
    ("quality_cv.py", []),
    ("fidelity.py", []),
    ("search_compare.py", []),
    ("knowledge_reward.py", ["--jobs", "2"]),
    ("transfer.py", []),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the few-minute version")
    parser.add_argument("--only", default=None, help="comma-separated script names to run")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    failed = []
    for script, extra in SUITE:
        if only and script.removesuffix(".py") not in only and script not in only:
            continue
        if not (HERE / script).is_file():
            continue
        command = [sys.executable, str(HERE / script), *extra, *(["--quick"] if args.quick else [])]
        print(f"\n=== {script} {'--quick' if args.quick else ''}", flush=True)
        start = time.perf_counter()
        if subprocess.run(command, cwd=HERE.parent).returncode != 0:
            failed.append(script)
        print(f"=== {script}: {time.perf_counter() - start:.0f} s", flush=True)
    subprocess.run([sys.executable, str(HERE / "results_md.py")], check=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
