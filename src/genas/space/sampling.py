"""Uniform random architectures of a space (the paper's "sampled architectures" baseline)."""

from __future__ import annotations

import numpy as np

from genas.space.architecture import Architecture
from genas.space.model_space import ModelSpace


def sample_architecture(
    space: ModelSpace,
    rng: np.random.Generator,
    skip_prob: float = 0.4,
    n_skips: int | None = None,
) -> Architecture:
    """One architecture: a uniform op per layer; skips Bernoulli(`skip_prob`) or exactly `n_skips`;
    a uniform value of each training setting the space searches.

    With ``n_skips`` set, that many of the ``L(L-1)/2`` possible skips are switched on, chosen
    uniformly (AMBER's random baseline uses ``round(0.4 * L(L-1)/2)``). A space that does not
    search skips gets none.
    """
    ops = [int(rng.integers(space.num_ops(i))) for i in range(space.n_layers)]
    n_possible = space.n_layers * (space.n_layers - 1) // 2
    skips = None
    if space.skips:
        skips = _sample_skips(space, rng, skip_prob, n_skips, n_possible)
    training = [int(rng.integers(len(values))) for _, values in space.training]
    return Architecture.from_ops(space, ops, skips, training)


def _sample_skips(
    space: ModelSpace,
    rng: np.random.Generator,
    skip_prob: float,
    n_skips: int | None,
    n_possible: int,
) -> list[tuple[int, ...]]:
    """Skip rows of :func:`sample_architecture` (row ``i`` has ``i`` bits)."""
    if n_skips is None:
        bits = (rng.random(n_possible) < skip_prob).astype(int)
    else:
        if not 0 <= n_skips <= n_possible:
            raise ValueError(f"n_skips must be in [0, {n_possible}], got {n_skips}")
        bits = np.zeros(n_possible, dtype=int)
        bits[rng.choice(n_possible, size=n_skips, replace=False)] = 1
    skips, start = [], 0
    for i in range(space.n_layers):
        skips.append(tuple(int(b) for b in bits[start : start + i]))
        start += i
    return skips


def token_choices(space: ModelSpace) -> list[int]:
    """How many values each token of ``space`` can take, in token order: the op count of
    layer ``i`` for its op token, 2 for each skip bit, the number of values of each training
    setting (:meth:`Architecture.to_tokens`)."""
    choices: list[int] = []
    for i in range(space.n_layers):
        choices.append(space.num_ops(i))
        if space.skips:
            choices.extend([2] * i)
    return choices + [len(values) for _, values in space.training]


def mutate_architecture(
    space: ModelSpace, arch: Architecture, rng: np.random.Generator
) -> Architecture:
    """``arch`` with one token changed to another of its values: a layer's op, or one skip bit
    flipped (the single mutation of regularized evolution; Real et al., AAAI 2019). The token
    is drawn uniformly among those with more than one value; an architecture of a space with
    no such token is returned as is."""
    tokens = arch.to_tokens()
    choices = token_choices(space)
    open_tokens = [i for i, n in enumerate(choices) if n > 1]
    if not open_tokens:
        return arch
    position = open_tokens[int(rng.integers(len(open_tokens)))]
    shift = 1 + int(rng.integers(choices[position] - 1))  # any value but the current one
    tokens[position] = (tokens[position] + shift) % choices[position]
    return Architecture.from_tokens(space, tokens)
