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

from genas.analysis.motifs import FilterMatches, alignment_starts
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
    matches: Sequence[FilterMatches],
    targets: Sequence[Motif],
    n: int = 12,
    max_q: float = 0.05,
) -> Figure:
    """Logos of up to ``n`` units (those with a database match at q < ``max_q`` first, best p
    first), each above its best such match on a shared x axis, aligned as TOMTOM aligned them
    (the match reverse-complemented when it matched on the minus strand); matches at or above
    ``max_q`` are not drawn."""
    with_match = sorted((m for m in matches if m.best_at(max_q)), key=lambda m: m.best_at(max_q).p)
    rest = sorted((m for m in matches if not m.best_at(max_q) and m.motif.pfm is not None),
                  key=lambda m: -m.motif.n_sites)  # fmt: skip
    chosen = (with_match + rest)[:n]
    if not chosen:
        return message_figure("no unit had enough activating windows for an informative matrix")
    fig = new_figure(900, 30 + 190 * len(chosen))
    axes = fig.subplots(2 * len(chosen), 1, squeeze=False)[:, 0]
    for filter_ax, match_ax, fm in zip(axes[::2], axes[1::2], chosen, strict=True):
        motif, hit = fm.motif, fm.best_at(max_q)
        title = f"{motif.label} ({motif.n_sites} sites)"
        if hit is None:
            _logo(filter_ax, information_matrix(motif.pfm), title, "bits")
            filter_ax.set_ylim(0, 2)
            match_ax.axis("off")
            match_ax.text(0.02, 0.5, f"no database match at q < {max_q:g}", va="center",
                          fontsize=9, transform=match_ax.transAxes)  # fmt: skip
            continue
        target = targets[hit.target].pfm
        if hit.strand == "-":
            target = reverse_complement_pfm(target)
        at_filter, at_target = alignment_starts(hit.offset)
        _logo(filter_ax, information_matrix(motif.pfm), title, "bits", first=at_filter)
        _logo(match_ax, information_matrix(target),
              f"{hit.id} {hit.name} ({hit.strand} strand)  p={hit.p:.1e}  q={hit.q:.1e}",
              "bits", first=at_target)  # fmt: skip
        width = max(at_filter + motif.pfm.shape[1], at_target + target.shape[1])
        for ax in (filter_ax, match_ax):
            ax.set_xlim(-0.5, width - 0.5)
            ax.set_ylim(0, 2)
    return fig

