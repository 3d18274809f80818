"""What the report's section builders share: the figure saver, the trained model they read,
and the choice of tasks to show."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from genas.fileio import atomic_write_bytes
from genas.report import html

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure


class TrainedModel(Protocol):
    """The parts of a loaded model (``genas.nn.model_file.LoadedModel``) the report
    reads; a protocol so that the report layer does not import the workflows."""

    model: torch.nn.Module
    spec: dict
    input_length: int


class Figures:
    """Saves each figure to ``plots_dir/NAME.png`` and returns its HTML block."""

    def __init__(self, plots_dir: Path) -> None:
        self.plots_dir = plots_dir

    def block(self, name: str, fig: Figure, title: str, caption: str = "") -> str:
        """Write ``NAME.png`` (atomically) and return the figure's HTML, image embedded."""
        from genas.report.plots import png_bytes

        png = png_bytes(fig)
        atomic_write_bytes(self.plots_dir / f"{name}.png", png)
        return html.figure(png, title, caption)


def task_metrics(metrics: dict | None) -> dict:
    """Per-task metrics of ``metrics.json``: the test split's, else the validation split's."""
    metrics = metrics or {}
    split = metrics.get("test") or metrics.get("valid") or {}
    return split.get("tasks") or {}


def spread_tasks(tasks: dict, names: list[str], k: int = 6) -> list[int]:
    """Up to ``k`` task indices spread over the range of AUROC, best first."""
    scored = [
        (float(tasks[n]["auroc"]), i)
        for i, n in enumerate(names)
        if n in tasks and tasks[n].get("auroc") is not None and math.isfinite(tasks[n]["auroc"])
    ]
    scored.sort(reverse=True)
    if len(scored) <= k:
        return [i for _, i in scored]
    picks = np.unique(np.linspace(0, len(scored) - 1, k).round().astype(int))
    return [scored[p][1] for p in picks]
