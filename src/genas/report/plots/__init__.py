"""Plots of a run: the search, the final architecture, performance, motifs and attributions.

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` of a fixed pixel size
(no pyplot state, no display needed); :func:`save_png` writes it.
"""

from genas.report.plots.architecture import plot_architecture
from genas.report.plots.common import figure_size_px, new_figure, png_bytes, save_png
from genas.report.plots.logos import plot_attribution_logos, plot_filter_logos
from genas.report.plots.performance import (
    plot_metric_by_group,
    plot_model_vs_baselines,
    plot_roc_pr,
)
from genas.report.plots.search import (
    plot_controller_entropy,
    plot_op_probabilities,
    plot_rewards,
    plot_skip_heatmap,
    plot_skip_over_time,
)

__all__ = [
    "figure_size_px",
    "new_figure",
    "plot_architecture",
    "plot_attribution_logos",
    "plot_controller_entropy",
    "plot_filter_logos",
    "plot_metric_by_group",
    "plot_model_vs_baselines",
    "plot_op_probabilities",
    "plot_rewards",
    "plot_roc_pr",
    "plot_skip_heatmap",
    "plot_skip_over_time",
    "png_bytes",
    "save_png",
]
