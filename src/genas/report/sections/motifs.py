"""The report's motif section: the units of the trained model as motifs, matched by TOMTOM."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from genas.analysis.motifs import MIN_BITS, MIN_MEAN_BITS
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
    max_q: float  # matches at or above this q-value are not shown
    network: str  # whose units were analysed, e.g. "the model"


def motif_section(analysis: MotifAnalysis | str, filter_logos_png: Path) -> html.Section:
    """How many units match a known motif, the recovery of planted motifs, the filter logos
    and one table row per unit matched at q < ``analysis.max_q`` (best p first).

    Args:
        analysis: the motif analysis, or a one-line reason why it was skipped (then the
            section holds only that note).
        filter_logos_png: the logos the analysis drew (``plots/filter_logos.png``).
    """
    section = html.Section("motifs", "Motifs learned")
    if isinstance(analysis, str):
        section.blocks.append(html.paragraph(f"motif analysis skipped: {analysis}", note=True))
        return section
    matches, max_q = analysis.matches, analysis.max_q
    n_matched = sum(1 for fm in matches if fm.best_at(max_q))
    n_compared = sum(1 for fm in matches if fm.motif.pfm is not None)
    section.blocks.append(
        html.paragraph(
            f"Each unit of {analysis.network} (the first convolution's filters and, in a "
            f"searched network, the channels of the searched layers before the first "
            f"reduction) as a position frequency matrix from the windows of "
            f"{analysis.n_sequences} sequences ({analysis.source}) that activate it above 0.8 "
            f"of its maximum, trimmed of low-information edges. {n_compared} of {len(matches)} "
            f"matrices are informative (at least {MIN_BITS:g} bits in total and "
            f"{MIN_MEAN_BITS:g} bits per position) and were compared with "
            f"{len(analysis.targets)} motifs by TOMTOM; {n_matched} match a motif at "
            f"q < {max_q:g}."
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
            f"Each unit (upper logo) above its best match at q < {max_q:g} (lower logo, "
            "reverse-complemented when it matched on the minus strand), placed as TOMTOM "
            "aligned them; information content in bits.",
        )
    )
    rows = match_rows(matches, max_q)
    if not rows:
        section.blocks.append(html.paragraph(f"No unit matches a motif at q < {max_q:g}.", True))
        return section
    columns = ("unit", "sites", "consensus", "best match", "p", "q", "strand")
    section.blocks.append(html.table(columns, rows))
    return section


def match_rows(matches: Sequence[FilterMatches], max_q: float) -> list[list]:
    """One row per unit with a match at q < ``max_q`` (its best such), most significant first:
    ``[unit, sites, consensus, "id name", p, q, strand]``."""
    rows = []
    hits = [(fm, fm.best_at(max_q)) for fm in matches]
    for fm, best in sorted(((fm, b) for fm, b in hits if b), key=lambda pair: pair[1].p):
        cons = consensus(fm.motif.pfm) if fm.motif.pfm is not None else ""
        match = f"{best.id} {best.name}"
        rows.append([fm.motif.label, fm.motif.n_sites, cons, match, best.p, best.q, best.strand])
    return rows
