"""The report's search section: rewards over the search and how the controller's policy moved."""

from __future__ import annotations

from genas.report import html
from genas.report.run_files import RunFiles
from genas.report.sections.common import Figures


def search_section(
    files: RunFiles, figures: Figures, random_rows: list[dict] | None = None
) -> html.Section:
    """Rewards per step, then (with controller probabilities) op probabilities, policy
    entropy and skip probabilities.

    Args:
        random_rows: the history of a random search, drawn beside this run's rewards.
    """
    from genas.report.plots import (
        plot_controller_entropy,
        plot_op_probabilities,
        plot_rewards,
        plot_skip_heatmap,
        plot_skip_over_time,
    )

    section = html.Section("search", "Search")
    if files.history:
        fig = plot_rewards(files.history, random_rows)
        caption = "Each step's mean and best validation reward, and a 5-step moving average."
        section.blocks.append(figures.block("search_rewards", fig, "Rewards", caption))
    space, probs = files.space, files.probabilities
    if not probs or space is None:
        return section
    section.blocks += [
        figures.block(
            "search_op_probabilities",
            plot_op_probabilities(probs, space),
            "Operation probabilities per layer",
            "The controller's probability of each op along its most likely path, per "
            "controller step (AMBER Fig. 3).",
        ),
        figures.block(
            "search_entropy",
            plot_controller_entropy(probs, space),
            "Controller entropy",
            "Entropy of the policy's op and skip choices; dotted: a uniform policy.",
        ),
    ]
    if space.skips and space.n_layers > 1:
        section.blocks += [
            figures.block(
                "search_skip_heatmap",
                plot_skip_heatmap(probs, space),
                "Skip probabilities",
                "Probability of each skip j → i at the end.",
            ),
            figures.block(
                "search_skip_last_layer",
                plot_skip_over_time(probs, space),
                "Skips into the last layer",
                "Over the controller steps.",
            ),
        ]
    return section
