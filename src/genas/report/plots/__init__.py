"""Plots of a run: the search, the final architecture, training, performance, motifs and
attributions.

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` of a fixed pixel size
(no pyplot state, no display needed); :func:`save_png` writes it.
"""

from genas.report.plots.architecture import plot_architecture
from genas.report.plots.attributions import plot_attribution_logos
from genas.report.plots.common import figure_size_px, new_figure, png_bytes, save_png
from genas.report.plots.logos import plot_filter_logos
from genas.report.plots.performance import (
    plot_confusion,
    plot_metric_by_group,
    plot_model_vs_baselines,
    plot_predicted_vs_observed,
    plot_roc_pr,
)
from genas.report.plots.search import (
    plot_controller_entropy,
    plot_op_probabilities,
    plot_rewards,
    plot_skip_heatmap,
    plot_skip_over_time,
)
from genas.report.plots.training import plot_training_curves

__all__ = [
    "figure_size_px",
    "new_figure",
    "plot_architecture",
    "plot_attribution_logos",
    "plot_confusion",
    "plot_controller_entropy",
    "plot_filter_logos",
    "plot_metric_by_group",
    "plot_model_vs_baselines",
    "plot_op_probabilities",
    "plot_predicted_vs_observed",
    "plot_rewards",
    "plot_roc_pr",
    "plot_skip_heatmap",
    "plot_skip_over_time",
    "plot_training_curves",
    "png_bytes",
    "save_png",
]
