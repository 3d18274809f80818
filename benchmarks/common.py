"""What every benchmark shares: the machine it ran on, and where its figures go.

Each benchmark is a script that measures, prints a table and calls :func:`write_result`,
which writes ``benchmarks/results/<name>.json`` (``<name>_cuda.json`` for a run on a GPU, so
that CPU and GPU figures stand side by side); ``benchmarks/results_md.py`` turns those files
into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Batch size of the timed steps on a GPU: the paper's minibatch. The CPU batches (32-64)
# would leave a GPU waiting on kernel launches and measure the launch rate, not the card.
GPU_BATCH = 1000


def batch_for(device: torch.device, cpu_batch: int) -> int:
    """``cpu_batch`` on a CPU, :data:`GPU_BATCH` on an accelerator."""
    return cpu_batch if device.type == "cpu" else GPU_BATCH


def result_name(name: str, device: torch.device | None) -> str:
    """``name``, or ``name_cuda`` when the figures were measured on a CUDA device."""
    return f"{name}_cuda" if device is not None and device.type == "cuda" else name


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo; else platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """CPU model, cores, threads torch uses, torch/python versions, GPU if any."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "gpu": gpu,
    }


def command() -> str:
    """The command line that ran this benchmark, as a user would type it."""
    return shlex.join([".venv/bin/python", *[_relative(a) for a in sys.argv]])


def _relative(arg: str) -> str:
    path = Path(arg)
    if path.is_absolute() and path.exists():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return arg
    return arg


def write_result(
    name: str,
    title: str,
    tables: list[dict[str, Any]],
    *,
    quick: bool,
    notes: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    device: torch.device | None = None,
) -> Path:
    """Write ``results/<name>.json`` (``<name>_cuda.json`` when ``device`` is a CUDA device).

    Args:
        tables: ``{"title": str, "columns": [str], "rows": [[cell]]}`` each, as printed.
        quick: whether the figures come from the ``--quick`` mode.
        notes: sentences shown under the tables (the target, what a figure means).
        extra: anything else worth keeping (raw per-repeat times, curves).
        device: where the figures were measured; None for CPU-only benchmarks.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "title": title,
        "mode": "quick" if quick else "full",
        "command": command(),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        "tables": tables,
        "notes": notes or [],
        **(extra or {}),
    }
    path = RESULTS_DIR / f"{result_name(name, device)}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    tmp.replace(path)
    return path


def print_table(table: dict[str, Any]) -> None:
    """Print one table of :func:`write_result` as aligned text."""
    cells = [[_cell(c) for c in row] for row in table["rows"]]
    widths = [
        max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(table["columns"])
    ]
    print(f"\n{table['title']}")
    print("  ".join(h.rjust(w) for h, w in zip(table["columns"], widths, strict=True)))
    for row in cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "–"
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return "–" if value is None else str(value)


class Stopwatch:
    """``with Stopwatch() as t: ...``; then ``t.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
