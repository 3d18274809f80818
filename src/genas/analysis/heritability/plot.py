"""The heritability figure: enrichment (± SE) and tau* (± SE) per annotation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from genas.fileio import atomic_path

if TYPE_CHECKING:
    from genas.analysis.heritability.results import AnnotationResult


def plot_enrichment(results: list[AnnotationResult], path: str | Path) -> None:
    """Two panels, one row per annotation: enrichment with a line at 1, tau* with a line at 0.

    Bars are ± 1 SE (block jackknife). Written as PNG, atomically.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.annotation for r in results]
    rows = range(len(results))
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(8, 1.2 + 0.45 * max(len(results), 1)), sharey=True
    )
    left.errorbar(
        [r.enrichment for r in results],
        rows,
        xerr=[r.enrichment_se for r in results],
        fmt="o",
        capsize=3,
    )
    left.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    left.set_xlabel("enrichment (h² share / SNP share)")
    right.errorbar(
        [r.tau_star for r in results],
        rows,
        xerr=[r.tau_star_se for r in results],
        fmt="o",
        color="tab:orange",
        capsize=3,
    )
    right.axvline(0.0, color="grey", linestyle="--", linewidth=1)
    right.set_xlabel("τ* (standardised effect)")
    left.set_yticks(list(rows), names)
    left.set_ylim(len(results) - 0.5, -0.5)  # first annotation on top
    fig.suptitle("S-LDSC partitioned heritability (± 1 SE, block jackknife)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
