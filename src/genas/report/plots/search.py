"""How the search went: op and skip probabilities per layer, rewards, controller entropy.

Inputs are the rows of a run's ``controller_probabilities.jsonl`` (one per controller step:
``{"step", "ops": [[p per op] per layer], "skips": [[p per earlier layer] per layer]}``) and
of ``history.jsonl`` (one per scored architecture: ``{"step", "reward", ...}``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from genas.report.plots.common import message_figure, new_figure
from genas.space import ModelSpace


def _steps(probs: Sequence[dict]) -> np.ndarray:
    return np.array([row["step"] + 1 for row in probs])


def plot_op_probabilities(probs: Sequence[dict], space: ModelSpace, ncols: int = 3) -> Figure:
    """One panel per layer: each op's probability over the controller steps (AMBER Fig. 3)."""
    if not probs:
        return message_figure("no controller probabilities recorded")
    n = space.n_layers
    nrows = math.ceil(n / ncols)
    fig = new_figure(1200, 260 * nrows + 60)
    steps = _steps(probs)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)
    for i in range(nrows * ncols):
        ax = axes[i // ncols][i % ncols]
        if i >= n:
            ax.axis("off")
            continue
        p = np.array([row["ops"][i] for row in probs])  # (steps, ops)
        for k in range(space.num_ops(i)):
            ax.plot(steps, p[:, k], label=space.op(i, k).label, lw=1.5)
        ax.set_title(f"layer {i}")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        if i % ncols == 0:
            ax.set_ylabel("probability")
        if i // ncols == nrows - 1 or i + ncols >= n:
            ax.set_xlabel("controller step")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=min(len(labels), 7))
    return fig


def _skip_matrix(row: dict, n_layers: int) -> np.ndarray:
    matrix = np.full((n_layers, n_layers), np.nan)
    for i, probs in enumerate(row.get("skips") or []):
        for j, p in enumerate(probs):
            matrix[i, j] = p
    return matrix


def plot_skip_heatmap(probs: Sequence[dict], space: ModelSpace) -> Figure:
    """Skip probability layer × earlier layer at the last controller step."""
    if not probs:
        return message_figure("no controller probabilities recorded")
    if not space.skips or space.n_layers < 2:
        return message_figure(f"space {space.name!r} does not search skip connections")
    n = space.n_layers
    matrix = _skip_matrix(probs[-1], n)
    fig = new_figure(700, 600)
    ax = fig.add_subplot()
    image = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
    for i in range(n):
        for j in range(i):
            value = matrix[i, j]
            color = "black" if value > 0.6 else "white"
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("from earlier layer j")
    ax.set_ylabel("into layer i")
    ax.set_title(f"skip probability j → i at step {probs[-1]['step'] + 1}")
    fig.colorbar(image, ax=ax, label="probability")
    return fig


def plot_skip_over_time(
    probs: Sequence[dict], space: ModelSpace, layer: int | None = None
) -> Figure:
    """Skip probability into one layer (default: the last) from each earlier layer, over steps."""
    if not probs:
        return message_figure("no controller probabilities recorded")
    if not space.skips or space.n_layers < 2:
        return message_figure(f"space {space.name!r} does not search skip connections")
    layer = space.n_layers - 1 if layer is None else layer
    if not 1 <= layer < space.n_layers:
        raise ValueError(f"layer must be in 1..{space.n_layers - 1}, got {layer}")
    steps = _steps(probs)
    p = np.array([row["skips"][layer] for row in probs])  # (steps, layer)
    fig = new_figure(900, 450)
    ax = fig.add_subplot()
    for j in range(layer):
        ax.plot(steps, p[:, j], label=f"from layer {j}", lw=1.5)
    ax.set_ylim(0, 1)
    ax.set_xlabel("controller step")
    ax.set_ylabel("probability")
    ax.set_title(f"skip connections into layer {layer}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


def reward_per_step(rows: Sequence[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps (1-based), mean and best finite reward of each step that has one."""
    by_step: dict[int, list[float]] = {}
    for row in rows:
        reward = row.get("reward")
        if reward is not None and math.isfinite(reward):
            by_step.setdefault(int(row["step"]), []).append(float(reward))
    steps = sorted(by_step)
    mean = np.array([np.mean(by_step[s]) for s in steps])
    best = np.array([np.max(by_step[s]) for s in steps])
    return np.array(steps) + 1, mean, best


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (shorter windows at the start)."""
    values = np.asarray(values, dtype=np.float64)
    cumsum = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(idx - window, 0)
    return (cumsum[idx] - cumsum[lo]) / (idx - lo)


def plot_rewards(
    rows: Sequence[dict],
    random_rows: Sequence[dict] | None = None,
    window: int = 5,
    label: str = "controller",
) -> Figure:
    """Reward per controller step: mean, best and a moving average of the mean; the same for a
    random search beside it when ``random_rows`` is given."""
    steps, mean, best = reward_per_step(rows)
    if steps.size == 0:
        return message_figure("no finite reward in the history")
    fig = new_figure(900, 450)
    ax = fig.add_subplot()
    ax.plot(steps, mean, "o", ms=3, alpha=0.5, color="C0", label=f"{label}: step mean")
    ax.plot(steps, best, "^", ms=3, alpha=0.5, color="C2", label=f"{label}: step best")
    ax.plot(
        steps, moving_average(mean, window), color="C0", lw=2, label=f"{label}: mean, MA{window}"
    )
    if random_rows:
        r_steps, r_mean, r_best = reward_per_step(random_rows)
        if r_steps.size:
            ax.plot(r_steps, moving_average(r_mean, window), color="C3", lw=2, ls="--",
                    label=f"random search: mean, MA{window}")  # fmt: skip
            ax.plot(r_steps, r_best, "v", ms=3, alpha=0.5, color="C3", label="random search: best")
    ax.set_xlabel("controller step")
    ax.set_ylabel("reward")
    ax.set_title("reward of the scored architectures")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def policy_entropy(row: dict) -> tuple[float, float]:
    """Entropy (nats) of the op choices and of the skip choices along the recorded path."""
    ops = 0.0
    for p in row.get("ops") or []:
        p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1.0)
        ops += float(-(p * np.log(p)).sum())
    skips = 0.0
    for p in row.get("skips") or []:
        p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
        skips += float(-(p * np.log(p) + (1 - p) * np.log(1 - p)).sum())
    return ops, skips


def plot_controller_entropy(probs: Sequence[dict], space: ModelSpace) -> Figure:
    """Entropy of the controller's policy over the steps, with the uniform policy's for scale."""
    if not probs:
        return message_figure("no controller probabilities recorded")
    steps = _steps(probs)
    values = np.array([policy_entropy(row) for row in probs])  # (steps, 2)
    uniform_ops = sum(math.log(space.num_ops(i)) for i in range(space.n_layers))
    fig = new_figure(900, 450)
    ax = fig.add_subplot()
    ax.plot(steps, values[:, 0], color="C0", lw=2, label="ops")
    ax.axhline(uniform_ops, color="C0", ls=":", label="ops, uniform policy")
    if space.skips:
        n_skips = space.n_layers * (space.n_layers - 1) // 2
        ax.plot(steps, values[:, 1], color="C1", lw=2, label="skips")
        ax.axhline(n_skips * math.log(2), color="C1", ls=":", label="skips, uniform policy")
    sampled = [row.get("stats", {}).get("entropy") for row in probs]
    if any(v is not None for v in sampled):
        ax.plot(steps, [np.nan if v is None else v for v in sampled], color="C2", lw=1,
                label="sampled architectures (mean)")  # fmt: skip
    ax.set_ylim(bottom=0)
    ax.set_xlabel("controller step")
    ax.set_ylabel("entropy (nats)")
    ax.set_title("controller entropy")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig
