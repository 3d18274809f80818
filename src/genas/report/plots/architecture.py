"""A picture of the final network: one box per block, skip connections as arcs.

Each box holds up to three columns (the block, its output shape, its parameters); the boxes
are as wide as the longest text, measured with the renderer, so no text runs out of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from genas.report.plots.common import new_figure
from genas.space import Architecture, ModelSpace

_COLORS = {"input": "#dddddd", "stem": "#c6dbef", "layer": "#9ecae1", "identity": "#eeeeee",
           "reduction": "#fdd0a2", "head": "#c7e9c0"}  # fmt: skip
_FONT = FontProperties(family="monospace", size=9)
#: Pixels: row pitch, box height, text padding in a box, gap between columns, room for arcs.
_ROW, _BOX, _PAD, _GAP, _ARCS, _MARGIN, _TOP = 48, 31, 12, 28, 250, 20, 50


def _blocks(space: ModelSpace, arch: Architecture, rows: Sequence[dict] | None) -> list[dict]:
    """Boxes top to bottom: ``{"text", "shape", "params", "kind", "layer"}`` (shape and
    params ``""`` without ``rows``); reductions merged into one box."""
    info = {row["name"]: row for row in rows or ()}

    def detail(names: list[str]) -> dict:
        found = [info[n] for n in names if n in info]
        if not found:
            return {"shape": "", "params": ""}
        params = sum(r["params"] for r in found)
        return {"shape": f"out {tuple(found[-1]['output_shape'])}", "params": f"{params:,} params"}

    stem = space.stem
    blocks = [{"text": "input: one-hot (4, L)", "kind": "input", "layer": None, **detail([])}]
    blocks.append({"text": f"stem: conv k{stem.kernel_size} + BN", "kind": "stem",
                   "layer": None, **detail(["stem"])})  # fmt: skip
    for i, op in enumerate(arch.ops):
        label = space.op(i, op).label
        kind = "identity" if label == "identity" else "layer"
        blocks.append({"text": f"layer {i}: {label}", "kind": kind, "layer": i,
                       **detail([f"layers.{i}"])})  # fmt: skip
        if i in space.reductions:
            names = [n for n in info if n.startswith(f"reductions.{i}_")]
            count = f" ×{len(names)}" if names else ""
            blocks.append({"text": f"reduction{count}: 1×1 conv + max-pool {space.reduction_pool}",
                           "kind": "reduction", "layer": None, **detail(names)})  # fmt: skip
    head = space.head
    text = f"head: {head.type}" + (f" → dense {head.units} ReLU" if head.units else "")
    blocks.append({"text": text + " → dense T", "kind": "head", "layer": None,
                   **detail(["head"])})  # fmt: skip
    return blocks


def _text_width(fig: Figure, text: str) -> float:
    """Width in pixels of ``text`` drawn in the boxes' font."""
    if not text:
        return 0.0
    renderer = fig.canvas.get_renderer()
    width, _, _ = renderer.get_text_width_height_descent(text, _FONT, ismath=False)
    return width


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
    height = _TOP + _ROW * n
    fig = new_figure(900, height)  # resized below, once the texts are measured
    columns = [max(_text_width(fig, b[key]) for b in blocks) for key in ("text", "shape", "params")]
    inner = columns[0] + sum(_GAP + w for w in columns[1:] if w)
    box = max(600.0, inner + 2 * _PAD)
    width = int(round(_MARGIN + box + _ARCS))
    fig.set_size_inches(width / fig.dpi, height / fig.dpi)
    fig.set_layout_engine("none")
    # one data unit = one pixel, y downwards: boxes and texts are placed as measured
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    left, right = _MARGIN, _MARGIN + box
    shape_x = left + _PAD + columns[0] + _GAP
    y_of_layer = {}
    for k, block in enumerate(blocks):
        y = _TOP + _ROW * k + _ROW / 2
        ax.add_patch(FancyBboxPatch((left, y - _BOX / 2), box, _BOX, boxstyle="round,pad=2",
                                    fc=_COLORS[block["kind"]], ec="#555555", lw=1))  # fmt: skip
        ax.text(left + _PAD, y, block["text"], va="center", ha="left", fontproperties=_FONT)
        ax.text(shape_x, y, block["shape"], va="center", ha="left", fontproperties=_FONT)
        ax.text(right - _PAD, y, block["params"], va="center", ha="right", fontproperties=_FONT)
        if k:
            ax.annotate("", xy=(left + box / 2, y - _BOX / 2 - 2),
                        xytext=(left + box / 2, y - _ROW + _BOX / 2 + 2),
                        arrowprops={"arrowstyle": "->", "color": "#555555"})  # fmt: skip
        if block["layer"] is not None:
            y_of_layer[block["layer"]] = y
    for i in range(arch.n_layers):
        for j in arch.skip_sources(i):
            y0, y1 = y_of_layer[j], y_of_layer[i]
            # an arc bulges right by rad × length / 2: wider for longer skips, within the
            # room left for the arcs (one data unit is one pixel)
            rad = min(0.15 + 0.05 * (i - j), 2 * (_ARCS - 20) / (y1 - y0))
            ax.add_patch(FancyArrowPatch((right, y0), (right, y1),
                                         connectionstyle=f"arc3,rad={-rad:.3f}",
                                         arrowstyle="-|>", mutation_scale=10, color="#d62728",
                                         lw=1.2, alpha=0.8))  # fmt: skip
    n_skips = arch.n_skips
    ax.text(width / 2, _TOP / 2, title or f"architecture {arch.hash} ({space.name}; {n_skips} "
            f"skip{'' if n_skips == 1 else 's'} in red)", ha="center", va="center",
            fontsize=12)  # fmt: skip
    return fig
