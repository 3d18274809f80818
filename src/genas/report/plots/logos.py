"""Sequence logos: learned filters beside their JASPAR match, and attributions."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.textpath import TextPath

from genas.analysis.motifs import FilterMatches
from genas.data.motifs import Motif, information_content, reverse_complement_pfm
from genas.report.plots.common import message_figure, new_figure
from genas.seq.alphabet import ALPHABET

#: Classic nucleotide colours (A green, C blue, G orange, T red).
COLORS = {"A": "#109648", "C": "#255c99", "G": "#f7b32b", "T": "#d62839"}


@functools.cache
def _letter_path(letter: str) -> Path:
    """The outline of a bold letter scaled to the unit square [0, 1] × [0, 1]."""
    path = TextPath((0, 0), letter, size=1, prop=FontProperties(family="DejaVu Sans",
                                                                  weight="bold"))  # fmt: skip
    vertices = path.vertices.copy()
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    return Path((vertices - lo) / (hi - lo), path.codes)


def draw_logo(ax: Axes, matrix: np.ndarray, width: float = 0.9, first: int = 0) -> None:
    """Stacked letters of a (4, W) height matrix (ACGT rows) on ``ax``, at x = ``first`` + column.

    At each position the positive heights stack up from 0 (largest on top) and the negative
    ones down from 0; zero heights draw nothing. All letters go into one collection, so a logo
    of thousands of letters draws in a fraction of a second (a glyph object per letter, as in
    logomaker, takes ~10 ms each).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    paths, colors = [], []
    for pos in range(matrix.shape[1]):
        column = matrix[:, pos]
        for sign in (1, -1):
            base = 0.0
            for b in np.argsort(sign * column):  # smallest |h| nearest the axis
                h = column[b]
                if sign * h <= 0:
                    continue
                unit = _letter_path(ALPHABET[b])
                xy = unit.vertices * [width, h] + [first + pos - width / 2, base]
                paths.append(Path(xy, unit.codes))
                colors.append(COLORS[ALPHABET[b]])
                base += h
    ax.add_collection(PathCollection(paths, facecolors=colors, edgecolors="none",
                                     transform=ax.transData))  # fmt: skip
    low = min(0.0, matrix.clip(max=0).sum(axis=0).min(initial=0.0))
    high = max(matrix.clip(min=0).sum(axis=0).max(initial=0.0), 1e-9)
    pad = 0.05 * (high - low)
    ax.set_xlim(first - 0.5, first + matrix.shape[1] - 0.5)
    ax.set_ylim(low - (pad if low < 0 else 0), high + pad)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _logo(ax: Axes, matrix: np.ndarray, title: str, ylabel: str, first: int = 0) -> None:
    draw_logo(ax, matrix, first=first)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)


def information_matrix(pfm: np.ndarray) -> np.ndarray:
    """Letter heights of an information-content logo: p × IC of the column, (4, W)."""
    pfm = np.asarray(pfm, dtype=np.float64)
    return pfm * information_content(pfm)[None, :]


def plot_filter_logos(
    matches: Sequence[FilterMatches], targets: Sequence[Motif], n: int = 12
) -> Figure:
    """Logos of up to ``n`` units (those with a database match first, best p first), each
    beside its best match (reverse-complemented when it matched on the minus strand)."""
    with_match = sorted((m for m in matches if m.best), key=lambda m: m.best.p)
    rest = sorted((m for m in matches if not m.best and m.motif.pfm is not None),
                  key=lambda m: -m.motif.n_sites)  # fmt: skip
    chosen = (with_match + rest)[:n]
    if not chosen:
        return message_figure("no unit had enough activating windows for a matrix")
    fig = new_figure(1000, 30 + 130 * len(chosen))
    axes = fig.subplots(len(chosen), 2, squeeze=False, width_ratios=[1, 1.4])
    for row, fm in zip(axes, chosen, strict=True):
        motif = fm.motif
        _logo(row[0], information_matrix(motif.pfm),
              f"{motif.label} ({motif.n_sites} sites)", "bits")  # fmt: skip
        row[0].set_ylim(0, 2)
        best = fm.best
        if best is None:
            row[1].axis("off")
            row[1].text(0.02, 0.5, "no JASPAR match (q < 0.5)", va="center", fontsize=9)
            continue
        target = targets[best.target].pfm
        if best.strand == "-":
            target = reverse_complement_pfm(target)
        _logo(row[1], information_matrix(target),
              f"{best.id} {best.name} ({best.strand})  p={best.p:.1e}  q={best.q:.1e}",
              "bits")  # fmt: skip
        row[1].set_ylim(0, 2)
    return fig


def plot_attribution_logos(
    attributions: Sequence[np.ndarray],
    titles: Sequence[str],
    window: int | None = 120,
) -> Figure:
    """One logo row per sequence: letter heights = attribution (signed), (4, L) each.

    With ``window``, each row shows the ``window`` positions around its largest total
    |attribution| (logos of whole long sequences are unreadable).
    """
    if not attributions:
        return message_figure("no sequences to attribute")
    fig = new_figure(1200, 30 + 170 * len(attributions))
    axes = fig.subplots(len(attributions), 1, squeeze=False)[:, 0]
    for ax, attr, title in zip(axes, attributions, titles, strict=True):
        attr = np.asarray(attr, dtype=np.float64)
        start = 0
        if window is not None and attr.shape[1] > window:
            score = np.convolve(np.abs(attr).sum(axis=0), np.ones(window), mode="valid")
            start = int(np.argmax(score))
            attr = attr[:, start : start + window]
        _logo(ax, attr, title, "attribution", first=start)
        ax.axhline(0, color="grey", lw=0.5)
    return fig
