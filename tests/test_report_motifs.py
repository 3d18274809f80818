"""The report's motif section and filter logos list only matches at the report's q threshold."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from genas.analysis.motifs import FilterMatches, FilterMotif, MotifMatch
from genas.data.motifs import load_jaspar
from genas.report.plots import plot_filter_logos, save_png
from genas.report.sections.motifs import match_rows, motif_section


def _analysis(max_q: float = 0.05) -> SimpleNamespace:
    """Three units: one matched at q = 0.001 (plus strand), one whose best match has q = 0.2,
    one without a matrix."""
    targets = load_jaspar(["MA0139.2", "MA0079"])
    core = targets[0].pfm[:, 3:11]
    matched = FilterMatches(
        FilterMotif(0, core, 120, 3.0), [MotifMatch(0, "MA0139.2", "CTCF", 1e-6, 1e-3, 3, "+")]
    )
    weak = FilterMatches(
        FilterMotif(1, targets[1].pfm, 80, 2.0),
        [MotifMatch(1, "MA0079.5", "SP1", 0.01, 0.2, 0, "-")],
    )
    empty = FilterMatches(FilterMotif(2, None, 3, 0.1))
    return SimpleNamespace(matches=[weak, matched, empty], targets=targets, recovery=None,
                           n_sequences=500, source="train split", max_q=max_q,
                           network="the model")  # fmt: skip


def test_table_lists_only_matches_below_the_threshold(tmp_path):
    analysis = _analysis()
    rows = match_rows(analysis.matches, 0.05)
    assert [row[0] for row in rows] == ["filter_0"]
    assert rows[0][3:] == ["MA0139.2 CTCF", 1e-6, 1e-3, "+"]
    assert [row[0] for row in match_rows(analysis.matches, 0.5)] == ["filter_0", "filter_1"]
    png = tmp_path / "logos.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    page = "".join(motif_section(analysis, png).blocks)
    assert "1 match a motif at q &lt; 0.05" in page
    assert "2 of 3 matrices are informative" in page
    assert "SP1" not in page and "MA0139.2 CTCF" in page
    strict = "".join(motif_section(_analysis(max_q=1e-4), png).blocks)
    assert "No unit matches a motif at q &lt; 0.0001" in strict and "<table" not in strict


def test_logos_draw_only_matches_below_the_threshold_aligned(tmp_path):
    analysis = _analysis()
    fig = plot_filter_logos(analysis.matches, analysis.targets, max_q=0.05)
    titles = [ax.get_title() for ax in fig.axes]
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t.startswith("MA0139.2 CTCF (+ strand)") for t in titles)
    assert not any("SP1" in t for t in titles + texts)
    assert "no database match at q < 0.05" in texts
    # filter_0 (the target's columns 3..10) drawn above the target, 3 columns to the right
    filter_ax = next(ax for ax in fig.axes if ax.get_title().startswith("filter_0"))
    match_ax = next(ax for ax in fig.axes if ax.get_title().startswith("MA0139.2"))
    assert filter_ax.get_xlim() == match_ax.get_xlim() == (-0.5, 14.5)
    left_edge = np.min(filter_ax.collections[0].get_paths()[0].vertices[:, 0])
    assert 2.5 < left_edge < 3.5
    assert save_png(fig, tmp_path / "logos.png").stat().st_size > 5000
