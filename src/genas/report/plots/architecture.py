"""A picture of the final network: one box per block, skip connections as arcs."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from genas.report.plots.common import new_figure
from genas.space import Architecture, ModelSpace

_COLORS = {"input": "#dddddd", "stem": "#c6dbef", "layer": "#9ecae1", "identity": "#eeeeee",
           "reduction": "#fdd0a2", "head": "#c7e9c0"}  # fmt: skip


def _blocks(space: ModelSpace, arch: Architecture, rows: Sequence[dict] | None) -> list[dict]:
    """Boxes top to bottom: ``{"text", "kind", "layer"}``; reductions merged into one box."""
    info = {row["name"]: row for row in rows or ()}

    def detail(names: list[str]) -> str:
        found = [info[n] for n in names if n in info]
        if not found:
            return ""
        shape = found[-1]["output_shape"]
        params = sum(r["params"] for r in found)
        return f"   out {tuple(shape)}   {params:,} params"

    stem = space.stem
    blocks = [{"text": "input: one-hot (4, L)", "kind": "input", "layer": None}]
    blocks.append({"text": f"stem: conv k{stem.kernel_size} + BN" + detail(["stem"]),
                   "kind": "stem", "layer": None})  # fmt: skip
    for i, op in enumerate(arch.ops):
        label = space.op(i, op).label
        kind = "identity" if label == "identity" else "layer"
        blocks.append({"text": f"layer {i}: {label}" + detail([f"layers.{i}"]), "kind": kind,
                       "layer": i})  # fmt: skip
        if i in space.reductions:
            names = [n for n in info if n.startswith(f"reductions.{i}_")]
            blocks.append({"text": f"reduction: 1×1 conv + max-pool {space.reduction_pool}"
                           + (f" ({len(names)} outputs)" if names else "")
                           + detail(names), "kind": "reduction", "layer": None})  # fmt: skip
    head = space.head
    text = f"head: {head.type}" + (f" → dense {head.units} ReLU" if head.units else "")
    blocks.append({"text": text + " → dense T (logits)" + detail(["head"]), "kind": "head",
                   "layer": None})  # fmt: skip
    return blocks


def plot_architecture(
    space: ModelSpace,
    arch: Architecture,
    rows: Sequence[dict] | None = None,
    title: str | None = None,
) -> Figure:
    """The network of ``arch``: chosen op per layer, reductions, head; skips as arcs on the right.

    Args:
        rows: :func:`genas.nn.summary.describe_layers` output of the built network; adds each
            block's output shape and parameter count when given.
    """
    arch.validate(space)
    blocks = _blocks(space, arch, rows)
    n = len(blocks)
    fig = new_figure(900, 70 + 48 * n)
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(-n + 0.3, 0.7)
    ax.axis("off")
    y_of_layer = {}
    for k, block in enumerate(blocks):
        y = -k
        ax.add_patch(FancyBboxPatch((0.3, y - 0.32), 7.0, 0.64, boxstyle="round,pad=0.02",
                                    fc=_COLORS[block["kind"]], ec="#555555", lw=1))  # fmt: skip
        ax.text(0.5, y, block["text"], va="center", ha="left", fontsize=9, family="monospace")
        if k:
            ax.annotate("", xy=(3.8, y + 0.33), xytext=(3.8, y + 0.67),
                        arrowprops={"arrowstyle": "->", "color": "#555555"})  # fmt: skip
        if block["layer"] is not None:
            y_of_layer[block["layer"]] = y
    for i in range(arch.n_layers):
        for j in arch.skip_sources(i):
            y0, y1 = y_of_layer[j], y_of_layer[i]
            rad = -0.15 - 0.05 * (i - j)
            ax.add_patch(FancyArrowPatch((7.3, y0), (7.3, y1), connectionstyle=f"arc3,rad={rad}",
                                         arrowstyle="-|>", mutation_scale=10, color="#d62728",
                                         lw=1.2))  # fmt: skip
    n_skips = arch.n_skips
    ax.set_title(title or f"architecture {arch.hash} ({space.name}; {n_skips} skip"
                 f"{'' if n_skips == 1 else 's'} in red)")  # fmt: skip
    return fig
