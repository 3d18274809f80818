"""Training curves: the loss and the validation metric per epoch, from ``metrics.json``'s
``history`` (one row per epoch, :func:`genas.train.loop.fit`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from genas.report.plots.common import message_figure, new_figure

#: Validation metrics drawn in the right panel, first found wins (a binary run has AUROC;
#: another task type brings its own ``valid_*`` metric, drawn if it is the only one).
PREFERRED_METRICS = ("valid_mean_auroc", "valid_mean_auprc")


def validation_metric(history: Sequence[Mapping]) -> str | None:
    """The history's validation metric to draw: :data:`PREFERRED_METRICS` first, else the
    first ``valid_*`` key other than the loss with a finite value; None if there is none."""

    def drawn(key: str) -> bool:
        return any(_finite(row.get(key)) for row in history)

    keys = [k for row in history for k in row if k.startswith("valid_") and k != "valid_loss"]
    ordered = [k for k in PREFERRED_METRICS if k in keys] + list(dict.fromkeys(keys))
    return next((k for k in ordered if drawn(k)), None)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _series(history: Sequence[Mapping], key: str) -> tuple[list[int], list[float]]:
    """(epochs, values) of the rows where ``key`` is a finite number."""
    rows = [row for row in history if _finite(row.get(key)) and "epoch" in row]
    return [int(row["epoch"]) for row in rows], [float(row[key]) for row in rows]


def plot_training_curves(
    histories: Mapping[str, Sequence[Mapping]], best_epochs: Mapping[str, int | None] | None = None
) -> Figure:
    """Per model: train and validation loss (left) and the validation metric (right) per epoch.

    Args:
        histories: model name -> its epoch rows (``epoch``, ``train_loss``, ``valid_loss``,
            ``valid_mean_auroc``, ...); several models (an ensemble's members) share the axes.
        best_epochs: model name -> the epoch whose weights were kept, marked on the metric.
    """
    histories = {name: rows for name, rows in histories.items() if rows}
    if not histories:
        return message_figure("no training history in metrics.json")
    best_epochs = best_epochs or {}
    metric = validation_metric([row for rows in histories.values() for row in rows])
    fig = new_figure(1000, 420)
    ax_loss, ax_metric = fig.subplots(1, 2)
    colors = [f"C{k % 10}" for k in range(len(histories))]
    several = len(histories) > 1
    for color, (name, rows) in zip(colors, histories.items(), strict=True):
        prefix = f"{name}: " if several else ""
        for key, style, label in (("train_loss", "-", "train"), ("valid_loss", "--", "valid")):
            epochs, values = _series(rows, key)
            if epochs:
                ax_loss.plot(epochs, values, style, color=color, marker="o", ms=3,
                             label=f"{prefix}{label} loss")  # fmt: skip
        if metric is not None:
            epochs, values = _series(rows, metric)
            ax_metric.plot(epochs, values, "-", color=color, marker="o", ms=3,
                           label=name if several else None)  # fmt: skip
            best = best_epochs.get(name)
            if best in epochs:
                ax_metric.plot([best], [values[epochs.index(best)]], "*", color=color, ms=14,
                               mec="black", label=f"{prefix}kept epoch {best}")  # fmt: skip
    ax_loss.set_title("loss per epoch")
    ax_loss.set_ylabel("loss")
    ax_metric.set_title(f"validation {metric or 'metric'} per epoch")
    ax_metric.set_ylabel(metric or "")
    if metric is None:
        ax_metric.text(0.5, 0.5, "no validation metric recorded", ha="center", va="center")
    for ax in (ax_loss, ax_metric):
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return fig
