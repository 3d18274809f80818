"""What the report's section builders share: the figure saver, the trained model they read,
and the choice of tasks to show."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from genas.fileio import atomic_write_bytes
from genas.report import html
from genas.report.run_files import RunFiles
from genas.run_files import FILTER_LOGOS_PNG

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure


class TrainedModel(Protocol):
    """The parts of a loaded model (``genas.nn.model_file.LoadedModel``) the report
    reads; a protocol so that the report layer does not import the workflows."""

    model: torch.nn.Module
    spec: dict
    input_length: int


#: Every figure the report's sections may write, as ``plots/NAME.png``: a rerun removes
#: those it no longer draws (and no other file; :meth:`Figures.remove_stale`).
PLOT_NAMES = (
    "architecture",
    "training_curves",
    "search_rewards",
    "search_op_probabilities",
    "search_entropy",
    "search_skip_heatmap",
    "search_skip_last_layer",
    "search_pareto",
    "performance_by_group",
    "performance_vs_baselines",
    "performance_roc_pr",
    "performance_scatter",
    "performance_confusion",
    "attribution_ism",
    "attribution_deeplift_shap",
)


class Figures:
    """Saves each figure to ``plots_dir/NAME.png`` and returns its HTML block; remembers
    what this report drew, so that the figures of an earlier report it no longer draws can
    be removed."""

    def __init__(self, plots_dir: Path) -> None:
        self.plots_dir = plots_dir
        self.current: set[str] = set()

    def block(self, name: str, fig: Figure, title: str, caption: str = "") -> str:
        """Write ``NAME.png`` (atomically) and return the figure's HTML, image embedded.

        Raises:
            ValueError: ``name`` is not one of :data:`PLOT_NAMES`.
        """
        from genas.report.plots import png_bytes

        if name not in PLOT_NAMES:
            raise ValueError(f"figure {name!r} is not in PLOT_NAMES (add it there)")
        png = png_bytes(fig)
        atomic_write_bytes(self.plots_dir / f"{name}.png", png)
        self.current.add(f"{name}.png")
        return html.figure(png, title, caption)

    def keep(self, file_name: str) -> None:
        """Mark ``file_name`` in the plots folder, drawn by another step (the motif
        analysis's :data:`~genas.run_files.FILTER_LOGOS_PNG`), as part of this report."""
        self.current.add(file_name)

    def remove_stale(self) -> list[Path]:
        """Delete the report's figures (:data:`PLOT_NAMES` and the filter logos) that this
        report did not draw or keep; any other file in the folder stays. Returns them."""
        names = {f"{name}.png" for name in PLOT_NAMES} | {FILTER_LOGOS_PNG}
        stale = [self.plots_dir / n for n in sorted(names - self.current)]
        stale = [path for path in stale if path.is_file()]
        for path in stale:
            path.unlink()
        return stale


def split_metrics(metrics: dict | None) -> dict:
    """One split's metrics of ``metrics.json``: the test split's, else the validation split's."""
    metrics = metrics or {}
    return metrics.get("test") or metrics.get("valid") or {}


def task_metrics(metrics: dict | None) -> dict:
    """Per-task metrics of ``metrics.json``: the test split's, else the validation split's."""
    return split_metrics(metrics).get("tasks") or {}


def run_task_type(files: RunFiles) -> str:
    """The task type of a run: as its metrics or its ``model.json`` record it (binary for
    runs written before task types)."""
    recorded = split_metrics(files.metrics).get("task_type")
    return str(recorded or (files.model_meta or {}).get("task_type") or "binary")


#: The per-task metric that ranks tasks (and classes) by how well they are predicted.
RANKING_METRIC = {"binary": "auroc", "regression": "pearson", "multiclass": "auroc"}


def spread_tasks(tasks: dict, names: list[str], k: int = 6, metric: str = "auroc") -> list[int]:
    """Up to ``k`` task indices spread over the range of ``metric`` (AUROC; Pearson r for
    regression), best first."""
    scored = [
        (float(tasks[n][metric]), i)
        for i, n in enumerate(names)
        if n in tasks and tasks[n].get(metric) is not None and math.isfinite(tasks[n][metric])
    ]
    scored.sort(reverse=True)
    if len(scored) <= k:
        return [i for _, i in scored]
    picks = np.unique(np.linspace(0, len(scored) - 1, k).round().astype(int))
    return [scored[p][1] for p in picks]
