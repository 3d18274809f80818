"""Attribution logos: which bases of a sequence drive a prediction, in the sequence's own
coordinates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from genas.report.plots.common import message_figure, new_figure
from genas.report.plots.logos import draw_logo


def plot_attribution_logos(
    attributions: Sequence[np.ndarray],
    titles: Sequence[str],
    starts: Sequence[int] | None = None,
    xlabel: str = "position in the sequence (1-based)",
    window: int | None = 120,
) -> Figure:
    """One logo row per sequence: letter heights = attribution (signed), (4, L) each.

    Args:
        attributions: (4, L) per sequence.
        titles: one per sequence (its name and coordinates).
        starts: the coordinate of each sequence's column 0 on the x axis (a genomic start,
            or 1 for positions within the sequence); default 1.
        xlabel: what the x axis counts.
        window: show only the ``window`` positions around each row's largest total
            |attribution| (logos of whole long sequences are unreadable); None: all.
    """
    if not attributions:
        return message_figure("no sequences to attribute")
    starts = [1] * len(attributions) if starts is None else [int(s) for s in starts]
    fig = new_figure(1200, 50 + 170 * len(attributions))
    axes = fig.subplots(len(attributions), 1, squeeze=False)[:, 0]
    for ax, attr, title, first in zip(axes, attributions, titles, starts, strict=True):
        attr = np.asarray(attr, dtype=np.float64)
        offset = 0
        if window is not None and attr.shape[1] > window:
            score = np.convolve(np.abs(attr).sum(axis=0), np.ones(window), mode="valid")
            offset = int(np.argmax(score))
            attr = attr[:, offset : offset + window]
        draw_logo(ax, attr, first=first + offset)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("attribution", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes[-1].set_xlabel(xlabel, fontsize=8)
    return fig
