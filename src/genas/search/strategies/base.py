"""The ask/tell interface every search strategy implements.

The search loop drives a strategy like this (one controller step)::

    for _ in range(archs_per_step):
        arch = strategy.ask()
        strategy.tell(arch, evaluator(arch))   # NaN / -inf for an architecture that failed
    stats = strategy.step_end()                 # the rl strategy learns here
    write(strategy.probabilities())             # controller_probabilities.jsonl

A strategy works on any :class:`~genas.space.ModelSpace`, also one whose ops are labels only:
it never builds networks.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from genas.space import Architecture, ModelSpace


class Strategy(ABC):
    """Proposes architectures of ``space`` and learns from their rewards (higher is better).

    Subclasses implement :meth:`ask`, :meth:`tell`, :meth:`step_end`, :meth:`probabilities`,
    :meth:`most_likely`, :meth:`state_dict` and :meth:`load_state_dict`.
    """

    #: Short name, as in ``SearchConfig.strategy``.
    name: str = ""

    def __init__(self, space: ModelSpace) -> None:
        self.space = space

    @abstractmethod
    def ask(self) -> Architecture:
        """The next architecture to evaluate."""

    def ask_many(self, n: int) -> list[Architecture]:
        """``n`` architectures to evaluate, drawn from the same policy (no update between)."""
        return [self.ask() for _ in range(n)]

    def sampler(self, n: int) -> Callable[[], Architecture]:
        """A ``sample()`` for the supernet's ``n`` training minibatches of one step.

        The policy cannot change before :meth:`step_end`, so the ``n`` architectures are
        drawn lazily, in one :meth:`ask_many` on the first call. For the ``rl`` controller
        that is one batched pass instead of ``n`` passes of batch 1, which ran on the CPU
        between the GPU's minibatches and took over a quarter of a step on an H100.
        """
        pending: list[Architecture] = []

        def sample() -> Architecture:
            if not pending:
                pending.extend(reversed(self.ask_many(n)))
            return pending.pop()

        return sample

    @abstractmethod
    def tell(self, arch: Architecture, reward: float) -> None:
        """Report ``arch``'s reward. NaN / ±inf mark an invalid architecture: it counts as the
        lowest finite reward seen. ``arch`` need not come from :meth:`ask`."""

    def tell_point(
        self, arch: Architecture, values: Sequence[float], violation: float | None = None
    ) -> None:
        """Report ``arch``'s objective values of a multi-objective or constrained search
        (:mod:`genas.search.objectives`).

        Args:
            values: one per objective, each turned so that higher is better; ``values[0]``
                is the reward (NaN: invalid).
            violation: None without hard limits; else how far ``arch`` is over them
                (> 0: infeasible, never trained; <= 0: within them).

        This default, for a strategy that learns from one reward, tells ``values[0]``, or
        NaN (the lowest reward) for an infeasible architecture; Pareto-aware strategies
        override it.
        """
        infeasible = violation is not None and violation > 0
        self.tell(arch, math.nan if infeasible else values[0])

    @abstractmethod
    def step_end(self) -> dict[str, Any]:
        """Close a controller step (learn from the rewards told since the last call); stats."""

    @abstractmethod
    def probabilities(self) -> dict[str, list[list[float]]]:
        """``{"ops": [[p per op] per layer], "skips": [[p per earlier layer] per layer]}``.

        ``skips[i]`` has ``i`` entries (``skips[0] == []``); all 0.0 when the space does not
        search skips.
        """

    @abstractmethod
    def most_likely(self) -> Architecture:
        """The architecture the strategy currently favours."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume bit-identically; only tensors, numbers, strings,
        None, lists, tuples and dicts (``torch.load(weights_only=True)`` reads it)."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output (of a strategy of the same kind and space)."""

    def _check_arch(self, arch: Architecture) -> None:
        if not isinstance(arch, Architecture):
            raise TypeError(f"tell() takes an Architecture, got {type(arch).__name__}")
        arch.validate(self.space)

    def _check_state(self, state: dict[str, Any]) -> None:
        kind = state.get("strategy") if isinstance(state, dict) else None
        if kind != self.name:
            raise ValueError(f"state is of strategy {kind!r}, not {self.name!r}")
        if state.get("n_tokens") != self.space.n_tokens:
            raise ValueError(
                f"state is for a space of {state.get('n_tokens')} tokens, this space "
                f"{self.space.name!r} has {self.space.n_tokens}"
            )


def finite_rewards(rewards: Sequence[float], floor: float | None) -> tuple[list[float], int]:
    """Replace non-finite rewards by the lowest finite reward (of ``rewards`` and ``floor``).

    Returns the rewards and the number replaced. With no finite reward at all, invalid ones
    become 0.0.
    """
    finite = [float(r) for r in rewards if math.isfinite(r)]
    candidates = finite + ([floor] if floor is not None else [])
    low = min(candidates) if candidates else 0.0
    out = [float(r) if math.isfinite(r) else low for r in rewards]
    return out, len(rewards) - len(finite)


def step_stats(step: int, told: Sequence[float], floor: float | None) -> dict[str, Any]:
    """What ``step_end`` returns for the rewards ``told`` in a step: ``step``, ``n_archs``,
    ``n_invalid`` and, when any was told, ``reward_mean`` and ``reward_max`` (invalid
    rewards counted as the lowest, :func:`finite_rewards`)."""
    rewards, n_invalid = finite_rewards(told, floor)
    stats: dict[str, Any] = {"step": step, "n_archs": len(rewards), "n_invalid": n_invalid}
    if rewards:
        stats["reward_mean"] = float(sum(rewards) / len(rewards))
        stats["reward_max"] = float(max(rewards))
    return stats


class TellBook:
    """What a strategy without a policy of its own (random search, evolution) keeps of the
    rewards told: the current step's (for :func:`step_stats`), the lowest finite one (what
    an invalid reward counts as), the best architecture and the steps ended. Its
    :meth:`state` keys are part of those strategies' ``state_dict``."""

    def __init__(self) -> None:
        self.pending: list[float] = []
        self.min_reward: float | None = None
        self.best: tuple[list[int], float] | None = None  # (tokens, reward)
        self.steps = 0

    def record(self, arch: Architecture, reward: float) -> None:
        """A reward told for ``arch`` (NaN or ±inf for one that failed)."""
        self.pending.append(reward)
        if math.isfinite(reward):
            if self.min_reward is None or reward < self.min_reward:
                self.min_reward = reward
            if self.best is None or reward > self.best[1]:
                self.best = (arch.to_tokens(), reward)

    def step_end(self) -> dict[str, Any]:
        """:func:`step_stats` of the step's rewards; the next step starts empty."""
        stats = step_stats(self.steps + 1, self.pending, self.min_reward)
        self.pending = []
        self.steps += 1
        return stats

    def best_architecture(self, space: ModelSpace) -> Architecture:
        """The best-rewarded architecture told so far (op 0 everywhere, no skips, before
        any): such a strategy's :meth:`Strategy.most_likely`."""
        if self.best is not None:
            return Architecture.from_tokens(space, self.best[0])
        return Architecture.from_ops(space, [0] * space.n_layers)

    def state(self) -> dict[str, Any]:
        return {
            "pending": list(self.pending),
            "min_reward": self.min_reward,
            "best_tokens": None if self.best is None else list(self.best[0]),
            "best_reward": None if self.best is None else self.best[1],
            "steps": self.steps,
        }

    def load(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state`'s keys of a strategy's saved state."""
        self.pending = [float(r) for r in state["pending"]]
        self.min_reward = state["min_reward"]
        tokens = state["best_tokens"]
        self.best = None if tokens is None else ([int(t) for t in tokens], state["best_reward"])
        self.steps = int(state["steps"])


def usage_frequencies(
    space: ModelSpace, archs: Sequence[Architecture], skip_prob: float
) -> dict[str, list[list[float]]]:
    """:meth:`Strategy.probabilities` of a strategy without a policy of its own: how often
    each op of each layer and each skip is used among ``archs`` (uniform ops and
    ``skip_prob`` when there are none; skips 0 in a space that does not search them)."""
    L = space.n_layers
    if not archs:
        ops = [[1.0 / space.num_ops(i)] * space.num_ops(i) for i in range(L)]
        return {"ops": ops, "skips": uniform_skip_rows(L, skip_prob if space.skips else 0.0)}
    n = len(archs)
    ops = [[sum(a.ops[i] == k for a in archs) / n for k in range(space.num_ops(i))]
           for i in range(L)]
    skips = [[sum(a.skips[i][j] for a in archs) / n for j in range(i)] for i in range(L)]
    return {"ops": ops, "skips": skips}


def uniform_skip_rows(n_layers: int, p: float) -> list[list[float]]:
    """``[[p] * i for i in range(n_layers)]``: the skip rows of :meth:`Strategy.probabilities`."""
    return [[p] * i for i in range(n_layers)]
