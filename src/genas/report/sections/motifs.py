"""The report's motif section: the units of the trained model as motifs, matched by TOMTOM."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from genas.data.motifs import consensus
from genas.report import html

if TYPE_CHECKING:
    from genas.analysis.motifs import FilterMatches
    from genas.data.motifs import Motif


class MotifAnalysis(Protocol):
    """What the section reads of a motif analysis (``genas.workflows.motifs_run.MotifsResult``;
    a protocol so that the report layer does not import the workflows)."""

    matches: list[FilterMatches]
    targets: Sequence[Motif]
    recovery: dict | None
    n_sequences: int
    source: str


def motif_section(analysis: MotifAnalysis | str, filter_logos_png: Path) -> html.Section:
    """How many units match a known motif, the recovery of planted motifs, the filter logos
    and one table row per matched unit (best p first).

    Args:
        analysis: the motif analysis, or a one-line reason why it was skipped (then the
            section holds only that note).
        filter_logos_png: the logos the analysis drew (``plots/filter_logos.png``).
    """
    section = html.Section("motifs", "Motifs learned")
    if isinstance(analysis, str):
        section.blocks.append(html.paragraph(f"motif analysis skipped: {analysis}", note=True))
        return section
    matches = analysis.matches
    n_matched = sum(1 for fm in matches if fm.best and fm.best.q < 0.05)
    section.blocks.append(
        html.paragraph(
            f"Each unit (the stem's filters and the channels of the searched layers before "
            f"the first reduction) as a position frequency matrix from the windows of "
            f"{analysis.n_sequences} sequences ({analysis.source}) that activate it above 0.8 "
            f"of its maximum, compared with {len(analysis.targets)} motifs by TOMTOM. "
            f"{n_matched} of {len(matches)} units match a motif at q < 0.05."
        )
    )
    rec = analysis.recovery
    if rec is not None:
        section.blocks.append(
            html.paragraph(
                f"Planted motifs recovered (matched by some filter at q < {rec['max_q']:g}): "
                f"{len(rec['recovered'])} of {rec['planted']} ({rec['fraction']:.0%}); "
                f"the top match of some filter: {len(rec['best_match'])} of {rec['planted']}."
            )
        )
    section.blocks.append(
        html.figure(
            filter_logos_png.read_bytes(),
            "Filter logos",
            "Each filter (left) and its best match (right); information content in bits.",
        )
    )
    columns = ("unit", "sites", "consensus", "best match", "p", "q", "strand")
    section.blocks.append(html.table(columns, _match_rows(matches)))
    return section


def _match_rows(matches: list[FilterMatches]) -> list[list]:
    """One row per unit with a best match, most significant first."""
    rows = []
    for fm in sorted((m for m in matches if m.best), key=lambda m: m.best.p):
        best = fm.best
        cons = consensus(fm.motif.pfm) if fm.motif.pfm is not None else ""
        rows.append(
            [
                fm.motif.label,
                fm.motif.n_sites,
                cons,
                best and f"{best.id} {best.name}",
                best and best.p,
                best and best.q,
                best and best.strand,
            ]
        )
    return rows
