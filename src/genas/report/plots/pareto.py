"""The Pareto front of a multi-objective search: the reward against each cost.

Inputs are the rows of ``history.jsonl`` (each with ``objectives``: the reward and the
costs of one architecture, and ``feasible``) and ``pareto.json``
(:mod:`genas.search.pareto`: the objectives and the front's numbered points).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure

from genas.report.plots.common import message_figure, new_figure

#: Axis labels of the objectives measured on the architecture.
_LABELS = {"parameters": "parameters", "latency_ms": "latency (ms)"}


def plot_pareto(rows: Sequence[dict], front: dict) -> Figure:
    """One panel per objective after the first: the first objective (y) against it (x, on
    a log scale when it spans more than a factor 10), every feasible scored architecture in
    grey, the front's points highlighted and numbered as in ``pareto.json`` (``genas
    retrain RUN --pick N``).

    With two objectives the front is also drawn as its staircase; with three, a point of the
    front may look dominated in one panel (it is better in the other objective).
    """
    names = [o["name"] for o in front.get("objectives", [])]
    points = front.get("points") or []
    if len(names) < 2 or not points:
        return message_figure("no Pareto front: the search scored no feasible architecture")
    first, others = names[0], names[1:]
    fig = new_figure(560 * len(others) + 80, 480)
    axes = fig.subplots(1, len(others), squeeze=False)[0]
    for ax, name in zip(axes, others, strict=True):
        xs, ys = _pairs(rows, first, name)
        ax.scatter(xs, ys, s=14, color="0.7", label=f"scored ({len(xs)})", zorder=1)
        fx = [p["objectives"][name] for p in points]
        fy = [p["objectives"][first] for p in points]
        if len(others) == 1:
            order = sorted(range(len(points)), key=lambda i: fx[i])
            ax.step([fx[i] for i in order], [fy[i] for i in order], where="post",
                    color="C3", lw=1, alpha=0.6)  # fmt: skip
        ax.scatter(fx, fy, s=36, color="C3", edgecolor="black", lw=0.5,
                   label=f"Pareto front ({len(points)})", zorder=3)  # fmt: skip
        for point, x, y in zip(points, fx, fy, strict=True):
            ax.annotate(str(point["point"]), (x, y), xytext=(4, 4), textcoords="offset points",
                        fontsize=8)  # fmt: skip
        if _spans_decades(xs + fx):  # else a log axis shows few or no labelled ticks
            ax.set_xscale("log")
        ax.set_xlabel(f"{_LABELS.get(name, name)} (lower is better)")
        ax.set_ylabel(f"{first} (higher is better)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle("Pareto front of the search (numbers: retrain --pick N)")
    return fig


def _pairs(rows: Sequence[dict], y_name: str, x_name: str) -> tuple[list[float], list[float]]:
    """(x, y) of the feasible rows with both objectives finite."""
    xs, ys = [], []
    for row in rows:
        values = row.get("objectives") or {}
        x, y = values.get(x_name), values.get(y_name)
        if row.get("feasible") is False or not _finite(x) or not _finite(y):
            continue
        xs.append(float(x))
        ys.append(float(y))
    return xs, ys


def _spans_decades(values: Sequence[float]) -> bool:
    low, high = min(values), max(values)
    return low > 0 and high / low > 10


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
