"""The report's attribution section: which bases drive the model's best task, as logos."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genas.report import html
from genas.report.sections.common import Figures


@dataclass
class Attributions:
    """Attributions of a few test sequences for one task.

    ``indices`` are the sequences' positions in the test split and ``scores`` their
    predicted probabilities for the task; ``ism`` and ``deep_lift_shap`` are (n, 4, L).
    """

    task_name: str
    indices: np.ndarray
    scores: np.ndarray
    ism: np.ndarray
    deep_lift_shap: np.ndarray


def attribution_section(attributions: Attributions | None, figures: Figures) -> html.Section:
    """Logos of in-silico mutagenesis and DeepLIFT/SHAP, one row per sequence; an empty
    section (left out of the page) when there is nothing to show."""
    from genas.report.plots import plot_attribution_logos

    section = html.Section("attributions", "Attributions")
    if attributions is None:
        return section
    a = attributions
    titles = [f"test sequence {i} (p = {p:.2f})" for i, p in zip(a.indices, a.scores, strict=True)]
    section.blocks.append(
        html.paragraph(
            f"Task {a.task_name} (the best-predicted task): its {len(a.indices)} highest-scoring "
            "true positives of the test split."
        )
    )
    section.blocks.append(
        figures.block(
            "attribution_ism",
            plot_attribution_logos(list(a.ism), titles),
            "In-silico mutagenesis",
            "Letter height: minus the mean logit change of mutating the base away (mean-centred "
            "saturation mutagenesis).",
        )
    )
    section.blocks.append(
        figures.block(
            "attribution_deeplift_shap",
            plot_attribution_logos(list(a.deep_lift_shap), titles),
            "DeepLIFT/SHAP",
            "DeepLIFT (captum) averaged over 20 dinucleotide-shuffled references.",
        )
    )
    return section
