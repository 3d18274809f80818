"""Figures of a fixed pixel size, rendered with Agg and written atomically as PNG."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from genas.fileio import atomic_write_bytes

DPI = 100


def new_figure(width_px: int = 900, height_px: int = 500) -> Figure:
    """An empty figure of ``width_px`` × ``height_px`` pixels (constrained layout)."""
    fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_size_px(fig: Figure) -> tuple[int, int]:
    """(width, height) in pixels of the PNG :func:`png_bytes` writes."""
    width, height = fig.get_size_inches()
    return round(width * DPI), round(height * DPI)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, exactly :func:`figure_size_px` large."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write the figure as a PNG (atomically); returns the path."""
    path = Path(path)
    atomic_write_bytes(path, png_bytes(fig))
    return path


def message_figure(text: str, width_px: int = 900, height_px: int = 200) -> Figure:
    """A figure holding only a line of text (a plot with nothing to show says why)."""
    fig = new_figure(width_px, height_px)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, wrap=True)
    return fig
