"""Choose how often each task's rule is planted so its positive rate lands on a target.

Motifs are shared between tasks, so a presence task is also made positive by the plantings
of pair and count tasks (and decoys) that use its motif: its "floor". The calibration runs
the planting plan (no sequences needed) on a pilot set several times with the same random
numbers and updates the activation probabilities:

- pair/count tasks: ``p <- p * target / realised``;
- presence tasks: ``p = (target - floor) / (1 - floor)`` with ``target`` raised to the floor
  when the floor is already above it. With a range target, when a presence task's floor is
  above the range's upper end, the targets of the tasks that share its motif are lowered.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genas.data.simulate.planting import plan_sites
from genas.data.simulate.rules import TaskRule, rule_labels


def calibrate(
    rules: Sequence[TaskRule],
    widths: np.ndarray,
    targets: np.ndarray,
    decoy_rate: float,
    length: int,
    seed: np.random.SeedSequence,
    rate_range: tuple[float, float] | None,
    n_pilot: int = 20000,
    n_iter: int = 10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Activation probabilities for each task.

    Args:
        rules: T rules. widths: int (M,) motif widths. targets: float (T,) wanted rates.
        rate_range: (lo, hi) when targets were drawn from a range (lets targets move inside
            it), None for fixed targets.
        seed: seed of the pilot's random numbers (the same in every iteration).

    Returns:
        (activation float (T,), targets float (T,) after any lowering, pilot positive rates
        float (T,) under that activation).
    """
    targets = np.asarray(targets, dtype=np.float64).copy()
    act = targets.copy()
    presence = [t for t, r in enumerate(rules) if r.kind == "presence"]
    users = {
        t: [
            c
            for c, r in enumerate(rules)
            if r.kind != "presence" and rules[t].motifs[0] in r.motifs
        ]
        for t in presence
    }
    rates = np.zeros(len(rules))
    goals = {}  # presence tasks' targets, raised to their floor
    for it in range(n_iter + 1):
        sites = plan_sites(
            rules, widths, act, decoy_rate, n_pilot, length, np.random.default_rng(seed)
        )
        rates = np.array([rule_labels(r, sites, widths, n_pilot).mean() for r in rules])
        if it == n_iter:
            break
        for t, rule in enumerate(rules):
            if rule.kind != "presence":
                act[t] = np.clip(act[t] * targets[t] / max(rates[t], 1.0 / n_pilot), 0.0, 1.0)
        for t in presence:
            floor = rule_labels(rules[t], sites, widths, n_pilot, mask=sites.task != t).mean()
            if rate_range is not None and floor > rate_range[1]:
                for c in users[t]:
                    targets[c] = max(targets[c] * rate_range[1] / floor, 0.25 * rate_range[0])
            goal = max(targets[t], floor)
            if rate_range is not None:
                goal = min(goal, rate_range[1])
            act[t] = np.clip((goal - floor) / max(1.0 - floor, 1e-9), 0.0, 1.0)
            goals[t] = goal
    effective = targets.copy()
    for t, goal in goals.items():
        effective[t] = goal
    return act, effective, rates
