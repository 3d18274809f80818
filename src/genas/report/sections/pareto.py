"""The report's Pareto section, for a multi-objective search (``pareto.json``)."""

from __future__ import annotations

from genas.report import html
from genas.report.run_files import RunFiles
from genas.report.sections.common import Figures
from genas.search.pareto import read_pareto


def pareto_section(files: RunFiles, figures: Figures) -> html.Section:
    """The front against each cost (grey: every scored architecture) and the table of its
    points; empty (left out of the page) when the run has no ``pareto.json``."""
    from genas.report.plots.pareto import plot_pareto

    section = html.Section("pareto", "Pareto front")
    front = read_pareto(files.run_dir)
    if front is None:
        return section
    names = [o["name"] for o in front["objectives"]]
    points = front["points"]
    infeasible = sum(1 for row in files.history if row.get("feasible") is False)
    caption = (
        f"{len(points)} non-dominated of {front.get('n_rows', len(files.history))} scored "
        f"architectures (objectives: {', '.join(names)})"
        + (f"; {infeasible} over a hard limit were not trained and are not shown" if infeasible
           else "")  # fmt: skip
        + "."
    )
    section.blocks.append(
        figures.block("search_pareto", plot_pareto(files.history, front), "Pareto front", caption)
    )
    section.blocks.append(html.paragraph(
        "Retrain any point with `genas retrain RUN --pick N` (N: the point's number)."
    ))  # fmt: skip
    rows = [
        [p["point"], p["arch_hash"], *(p["objectives"].get(n) for n in names), p["step"] + 1]
        for p in points
    ]
    section.blocks.append(html.table(["point", "architecture", *names, "step"], rows))
    return section
