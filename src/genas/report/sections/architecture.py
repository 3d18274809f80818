"""The report's section on the final architecture: its tokens in words and as a drawing."""

from __future__ import annotations

from genas.report import html
from genas.report.run_files import RunFiles
from genas.report.sections.common import Figures, TrainedModel


def architecture_section(
    files: RunFiles, loaded: TrainedModel | None, figures: Figures
) -> html.Section:
    """The chosen op per layer as text and as ``plots/architecture.png``.

    Args:
        loaded: the retrained model, if any; a genas-space network adds each block's output
            shape and parameter count to the drawing.
    """
    from genas.report.plots import plot_architecture

    section = html.Section("architecture", "Final architecture")
    if files.space is None or files.arch is None:
        return section
    rows = None
    if loaded is not None and "space" in loaded.spec:
        from genas.nn.summary import describe_layers

        rows = describe_layers(loaded.model, loaded.input_length)
    section.blocks.append(html.preformatted("\n".join(files.arch.describe(files.space))))
    caption = "Chosen op per layer, reductions and head; skip connections drawn as red arcs."
    if rows is None:
        caption += " Shapes and parameters appear once the architecture is retrained."
    fig = plot_architecture(files.space, files.arch, rows)
    section.blocks.append(figures.block("architecture", fig, "Architecture", caption))
    return section
