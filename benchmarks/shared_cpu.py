"""How much genas processes that share a machine's CPUs slow each other down.

    .venv/bin/python benchmarks/shared_cpu.py [--quick] [--processes 1,2,3]

For each workload (a fixed-step `genas search`, a fixed-epoch `genas train`, a `genas
predict` over a fixed FASTA), runs 1, 2 and 3 copies of the same command at once and
reports each copy's wall time against one copy alone. With N copies on C cores, fair
sharing is a slowdown of about N × (the cores one copy used alone) / C: 2× for two copies on
a 2-core machine. Two settings side by side:

- ``spinning``: OpenMP's default wait policy (idle threads spin before they sleep), as
  genas ran before its CLI set ``OMP_WAIT_POLICY=PASSIVE``; run through ``genas.cli:app``
  directly, which skips the default :func:`genas.cli.main` sets.
- ``genas default``: the ``genas`` command as users run it.

Both use the default thread count (the physical cores this process may use). Run it alone
on an idle machine: anything else running changes every figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import print_table, write_result

ROOT = Path(__file__).resolve().parent.parent
NFE2 = ROOT.parent / "shared" / "data" / "nfe2_gm12878"
PYTHON = sys.executable
#: `genas` without :func:`genas.cli.main`'s OMP_WAIT_POLICY default (the old behaviour).
SPINNING = [PYTHON, "-c", "import sys; from genas.cli import app; sys.argv[0] = 'genas'; app()"]
GENAS = [PYTHON, "-c", "import sys; from genas.cli import main; sys.argv[0] = 'genas'; main()"]
SETTINGS = {"spinning": SPINNING, "genas default": GENAS}


def write_config(folder: Path, quick: bool) -> Path:
    """NFE2 (examples/nfe2.yaml's data) with a fixed amount of work: AMBER's search for a
    fixed number of controller steps, and DeepBind-like training for fixed epochs."""
    raw = yaml.safe_load((ROOT / "examples" / "nfe2.yaml").read_text())
    for split in ("train", "test"):
        for kind in ("positives", "negatives"):
            raw["data"][split][kind] = [
                str((ROOT / "examples" / p).resolve()) for p in raw["data"][split][kind]
            ]
    raw["train"].update(max_epochs=1 if quick else 2, patience=10)
    raw["search"].update(steps=4 if quick else 12, warmup_epochs=0, budget=None, retrain_top_k=1)
    path = folder / "nfe2.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def workloads(config: Path, model_run: Path) -> dict[str, list[str]]:
    """The genas arguments of each workload (``{out}``: a folder of each copy's own)."""
    return {
        "search": ["search", str(config), "--out", "{out}", "--quiet", "--no-report"],
        "train": ["train", str(config), "--out", "{out}", "--quiet"],
        "predict": [
            "predict",
            str(model_run),
            str(NFE2 / "nfe2.neg.tr.fa"),
            "-o",
            "{out}/p.tsv",
        ],
    }


def run_copies(prefix: list[str], args: list[str], copies: int, work: Path) -> list[float]:
    """Start ``copies`` processes at once; each one's wall time in seconds."""
    procs, starts = [], []
    for i in range(copies):
        out = work / f"copy{i}_{time.monotonic_ns()}"
        out.mkdir(parents=True)
        command = prefix + [a.replace("{out}", str(out)) for a in args]
        starts.append(time.perf_counter())
        procs.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        )
    seconds = [0.0] * copies
    pending = set(range(copies))
    while pending:
        for i in list(pending):
            if procs[i].poll() is not None:
                seconds[i] = time.perf_counter() - starts[i]
                pending.discard(i)
        time.sleep(0.05)
    for proc in procs:
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(prefix + args)} failed: {proc.stderr.read()[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--processes", default="1,2,3", help="copies at once, e.g. 1,2")
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.processes.split(",")} | {1})
    if not NFE2.is_dir():
        raise SystemExit(f"{NFE2}: the shared NFE2 data is needed")
    env_note = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY") if k in os.environ}
    if env_note:
        raise SystemExit(f"unset {', '.join(env_note)}: this benchmark measures the defaults")
    rows, raw = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = write_config(work, args.quick)
        model_run = work / "model"
        subprocess.run(
            GENAS + ["train", str(config), "--out", str(model_run), "--quiet"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for workload, genas_args in workloads(config, model_run).items():
            for setting, prefix in SETTINGS.items():
                alone = None
                for copies in counts:
                    seconds = run_copies(prefix, genas_args, copies, work)
                    raw[f"{workload}/{setting}/{copies}"] = seconds
                    mean = sum(seconds) / len(seconds)
                    alone = alone or mean
                    rows.append(
                        [
                            workload,
                            setting,
                            copies,
                            round(mean, 1),
                            round(max(seconds) / alone, 2),
                            round(mean / alone, 2),
                        ]
                    )
                    print(
                        f"{workload:8s} {setting:14s} x{copies}: "
                        + ", ".join(f"{s:.1f}" for s in seconds),
                        flush=True,
                    )
    table = {
        "title": "Wall time of each copy when 1-3 copies of one command share the CPUs",
        "columns": ["workload", "setting", "copies", "mean s", "worst slowdown", "mean slowdown"],
        "rows": rows,
    }
    print_table(table)
    write_result(
        "shared_cpu",
        "Processes sharing the CPUs",
        [table],
        quick=args.quick,
        notes=[
            f"{os.cpu_count()} logical CPUs. Slowdown: a copy's wall time over one copy alone "
            "with the same setting; fair sharing of C cores by N copies that each used all C "
            "alone is about N×. Target: ≤ 2.5× for two copies.",
            "spinning: OpenMP's default wait policy (genas before its CLI set "
            "OMP_WAIT_POLICY=PASSIVE); genas default: the genas command as shipped.",
            "Workloads on NFE2 (examples/nfe2.yaml): search = rl × shared, fixed controller "
            "steps; train = DeepBind-like, fixed epochs; predict = the NFE2 background "
            "training FASTA through the trained model.",
        ],
        extra={"seconds": raw},
    )


if __name__ == "__main__":
    main()
