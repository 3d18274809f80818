"""The report's attribution section: which bases drive the model's output for one task (or
class), as logos."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genas.report import html
from genas.report.sections.common import Figures

#: Per task type: what is attributed (ISM caption), which sequences are shown, and how their
#: prediction is titled.
_KINDS = {
    "binary": ("logit", "highest-scoring true positives", "p"),
    "regression": ("predicted value", "sequences with the highest observed target", "predicted"),
    "multiclass": ("log probability of the class",
                   "most confidently predicted sequences of that class", "p"),
}  # fmt: skip


@dataclass
class Attributions:
    """Attributions of a few sequences of one split for one task (or class).

    ``labels`` name each sequence (its record name and genomic interval, or its row of the
    split when the data has no names); ``starts`` hold the coordinate of each sequence's
    first base on the x axis, which counts ``xlabel``. ``scores`` are the predictions for
    the task (probabilities, or values of a regression task, with ``observed`` its
    targets); ``ism`` and ``deep_lift_shap`` are (n, 4, L). ``task_type`` says what is
    attributed; ``chosen`` how the task was picked.
    """

    task_name: str
    split: str
    labels: list[str]
    starts: np.ndarray
    xlabel: str
    scores: np.ndarray
    ism: np.ndarray
    deep_lift_shap: np.ndarray
    task_type: str = "binary"
    chosen: str = "the best-predicted task"
    observed: np.ndarray | None = None


def attribution_section(attributions: Attributions | None, figures: Figures) -> html.Section:
    """Logos of in-silico mutagenesis and DeepLIFT/SHAP, one row per sequence; an empty
    section (left out of the page) when there is nothing to show."""
    from genas.report.plots import plot_attribution_logos

    section = html.Section("attributions", "Attributions")
    if attributions is None:
        return section
    a = attributions
    unit, which, score = _KINDS[a.task_type]
    titles = []
    for k, (label, p) in enumerate(zip(a.labels, a.scores, strict=True)):
        observed = "" if a.observed is None else f", observed {a.observed[k]:.3g}"
        titles.append(f"{label} ({score} = {p:.3g}{observed})")
    kind = "Class" if a.task_type == "multiclass" else "Task"
    section.blocks.append(
        html.paragraph(
            f"{kind} {a.task_name} ({a.chosen}): its {len(a.labels)} {which} of the {a.split} "
            "split (of a longer sequence, the 120 bp with the most attribution). Top to "
            "bottom: " + "; ".join(a.labels) + "."
        )
    )
    output = "the class's logit" if a.task_type == "multiclass" else f"the {unit}"
    for name, matrix, title, caption in (
        ("attribution_ism", a.ism, "In-silico mutagenesis",
         f"Letter height: minus the mean change in the {unit} of mutating the base away "
         "(mean-centred saturation mutagenesis)."),
        ("attribution_deeplift_shap", a.deep_lift_shap, "DeepLIFT/SHAP",
         f"DeepLIFT (captum) of {output}, averaged over 20 dinucleotide-shuffled "
         "references."),
    ):  # fmt: skip
        fig = plot_attribution_logos(list(matrix), titles, a.starts, a.xlabel)
        section.blocks.append(figures.block(name, fig, title, caption))
    return section
