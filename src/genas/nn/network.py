"""Networks of a model space: the standalone child and the weight-sharing supernet.

Both are :class:`ArchNetwork`: one building code and one forward pass over an
architecture. They differ only in which modules they hold — the child those of its
architecture, the supernet every op of every layer (and every reduction and skip merge) —
so a child's ``state_dict`` is a subset of the supernet's, key for key.

Forward pass for an architecture ``a`` on x (N, 4, L)::

    h = stem(x)                                              # (N, F_0, L)
    for layer i:
        out_i = op[i][a.ops[i]](h)                           # same shape as h
        if any skip j → i:  out_i = BN_i(out_i + Σ_j out_j)  # ENAS / AMBER residual merge
        h = out_i
        if i is a reduction layer:                           # every stored output j ≤ i
            out_j = reduce[i, j](out_j)                      # (N, F_{i+1}, ceil(L_i / pool))
            h = out_i
    logits = head(h)                                         # (N, T)

A skip ``j → i`` adds layer ``j``'s output to the output of layer ``i``'s op (as in ENAS and
AMBER), so ``(i-1) → i`` is an ordinary residual connection. Stored outputs that no later
layer uses are not reduced (and the child does not hold their reduction).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import torch
from torch import Tensor, nn

from genas.errors import ConfigError
from genas.nn.ops import Reduction, Stem, build_op
from genas.space.architecture import Architecture
from genas.space.model_space import Head as HeadSpec
from genas.space.model_space import ModelSpace
from genas.space.operation import MAX_SIZE

INPUT_CHANNELS = 4


def scaled_filters(space: ModelSpace, width: float) -> list[int]:
    """Filters per layer times ``width`` (rounded, at least 1).

    Raises:
        ConfigError: a width that gives a layer more than
            :data:`~genas.space.operation.MAX_SIZE` filters (a typo: no memory holds it).
    """
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    widest = max(space.filters) * width
    if not widest <= MAX_SIZE:  # an infinite width too
        raise ConfigError(
            f"width {width:g} gives a layer of space {space.name!r} {widest:,.0f} filters, "
            f"more than {MAX_SIZE:,}"
        )
    return [max(1, round(f * width)) for f in space.filters]


def needed_reductions(space: ModelSpace, arch: Architecture) -> set[tuple[int, int]]:
    """Pairs (r, j): stored output ``j`` is reduced at the reduction after layer ``r``.

    Output ``r`` always (it feeds layer ``r + 1``); an earlier output only if a layer after
    ``r`` takes a skip from it.
    """
    pairs = set()
    for r in space.reductions:
        for j in range(r + 1):
            if j == r or any(arch.skips[i][j] for i in range(r + 1, space.n_layers)):
                pairs.add((r, j))
    return pairs


def _reduction_key(r: int, j: int) -> str:
    return f"{r}_{j}"


class LayerChoice(nn.Module):
    """One searched layer: the op blocks it holds and the BatchNorm after a skip merge.

    ``forward(x, op_index, skips)``: x (N, C, L), each skip (N, C, L) → (N, C, L).
    """

    def __init__(self, ops: dict[int, nn.Module], channels: int, merge_norm: bool):
        super().__init__()
        self.ops = nn.ModuleDict({str(k): m for k, m in sorted(ops.items())})
        self.merge_norm = nn.BatchNorm1d(channels) if merge_norm else None

    def forward(self, x: Tensor, op_index: int, skips: Sequence[Tensor] = ()) -> Tensor:
        out = self.ops[str(op_index)](x)
        if skips:
            for s in skips:
                out = out + s
            out = self.merge_norm(out)
        return out


class OutputHead(nn.Module):
    """The head of a space: (N, C, L) → logits (N, T).

    ``flatten``: flatten → dropout → [dense ``units`` → ReLU] → dense T.
    ``global_pool``: concat(mean over L, max over L) (N, 2C) → dropout → [dense → ReLU] →
    dense T. The bracketed part is left out when ``units == 0``.
    """

    def __init__(self, spec: HeadSpec, channels: int, length: int, n_tasks: int):
        super().__init__()
        self.kind = spec.type
        in_features = channels * length if spec.type == "flatten" else 2 * channels
        layers: list[nn.Module] = [nn.Dropout(spec.dropout)]
        if spec.units:
            layers += [nn.Linear(in_features, spec.units), nn.ReLU()]
            in_features = spec.units
        layers.append(nn.Linear(in_features, n_tasks))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1) if self.kind == "flatten" else global_avg_max_pool(x)
        return self.mlp(x)


def global_avg_max_pool(x: Tensor) -> Tensor:
    """(N, C, L) → (N, 2C): global average pool then global max pool, concatenated."""
    return torch.cat([x.mean(dim=-1), x.amax(dim=-1)], dim=1)


class ArchNetwork(nn.Module):
    """Holds the modules of a model space for a set of architectures (or all of them).

    Args:
        space: the model space; every op the network holds must be buildable.
        input_length: L of the (N, 4, L) input (fixes the flatten head's size).
        n_tasks: T, number of outputs (logits).
        width: multiplies every layer's filters.
        archs: hold the modules these architectures use; ``None``: hold every module.
        dropout: the head's dropout, in place of the space's ``head.dropout``.
    """

    def __init__(
        self,
        space: ModelSpace,
        input_length: int,
        n_tasks: int,
        width: float = 1.0,
        archs: Iterable[Architecture] | None = None,
        dropout: float | None = None,
    ):
        super().__init__()
        if input_length < 1:
            raise ValueError(f"input_length must be positive, got {input_length}")
        if n_tasks < 1:
            raise ValueError(f"n_tasks must be positive, got {n_tasks}")
        self.space = space
        self.input_length = input_length
        self.n_tasks = n_tasks
        self.width = width
        filters = scaled_filters(space, width)
        self.filters = filters
        archs = None if archs is None else list(archs)
        for a in archs or ():
            a.validate(space)

        n = space.n_layers
        if archs is None:
            op_sets = [set(range(space.num_ops(i))) for i in range(n)]
            merges = [space.skips and i > 0 for i in range(n)]
            pairs = {
                (r, j) for r in space.reductions for j in range(r + 1) if j == r or space.skips
            }
        else:
            op_sets = [{a.ops[i] for a in archs} for i in range(n)]
            merges = [any(any(a.skips[i]) for a in archs) for i in range(n)]
            pairs = set().union(*(needed_reductions(space, a) for a in archs))

        self.stem = Stem(INPUT_CHANNELS, filters[0], space.stem.kernel_size)
        layers = []
        for i in range(n):
            ops = {}
            for k in sorted(op_sets[i]):
                op = space.op(i, k)
                if not op.buildable:
                    raise ConfigError(
                        f"space {space.name!r}, layer {i}: op {op.label!r} is a label-only op "
                        "and cannot be built as a network"
                    )
                ops[k] = build_op(op, filters[i])
            layers.append(LayerChoice(ops, filters[i], merges[i]))
        self.layers = nn.ModuleList(layers)
        self.reductions = nn.ModuleDict(
            {
                _reduction_key(r, j): Reduction(filters[r], filters[r + 1], space.reduction_pool)
                for r, j in sorted(pairs)
            }
        )
        self.final_length = space.lengths(input_length)[-1]
        head = space.head if dropout is None else replace(space.head, dropout=dropout)
        self.head = OutputHead(head, filters[-1], self.final_length, n_tasks)

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 3 or x.shape[1] != INPUT_CHANNELS:
            raise ValueError(f"expected input (N, 4, L), got {tuple(x.shape)}")
        if self.space.head.type == "flatten" and x.shape[-1] != self.input_length:
            raise ValueError(
                f"this network takes length {self.input_length} (flatten head), got {x.shape[-1]}"
            )

    def forward_arch(self, x: Tensor, arch: Architecture) -> Tensor:
        """Run the path of ``arch`` only: x (N, 4, L) → logits (N, T)."""
        self._check_input(x)
        space = self.space
        pairs = needed_reductions(space, arch)
        h = self.stem(x)
        outs: list[Tensor | None] = []
        for i, layer in enumerate(self.layers):
            key = str(arch.ops[i])
            if key not in layer.ops:
                raise ValueError(f"this network does not hold op {key} of layer {i}")
            skips = [outs[j] for j in arch.skip_sources(i)]
            h = layer(h, arch.ops[i], skips)
            outs.append(h)
            if i in space.reductions:
                for j in range(i + 1):
                    outs[j] = (
                        self.reductions[_reduction_key(i, j)](outs[j]) if (i, j) in pairs else None
                    )
                h = outs[i]
        return self.head(h)


class ChildNet(ArchNetwork):
    """A standalone network of one architecture: x (N, 4, L) float32 → logits (N, T).

    Holds only the modules ``arch`` uses. ``width`` multiplies every layer's filters; so does
    the architecture's own ``width`` when the space searches it, and its ``dropout`` replaces
    the head's (``ModelSpace.training``).
    """

    def __init__(
        self,
        space: ModelSpace,
        arch: Architecture,
        input_length: int,
        n_tasks: int,
        width: float = 1.0,
    ):
        arch.validate(space)
        values = space.training_values(arch.training)
        super().__init__(
            space, input_length, n_tasks, width * values.get("width", 1.0), archs=[arch],
            dropout=values.get("dropout"),
        )
        self.arch = arch
        self.base_width = width

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_arch(x, self.arch)

    def to_spec(self) -> dict:
        """The dict :func:`genas.nn.build_model` rebuilds this network from."""
        return {
            "space": self.space.to_dict(),
            "architecture": self.arch.to_dict(),
            "width": self.base_width,
        }


class SuperNet(ArchNetwork):
    """The weight-sharing supernet: every op of every layer, one set of weights.

    ``forward(x, arch)`` runs only the path of ``arch`` (an :class:`Architecture` or its
    token list): x (N, 4, L) → logits (N, T).
    """

    def __init__(self, space: ModelSpace, input_length: int, n_tasks: int, width: float = 1.0):
        super().__init__(space, input_length, n_tasks, width, archs=None)

    def forward(self, x: Tensor, arch: Architecture | Sequence[int]) -> Tensor:
        if not isinstance(arch, Architecture):
            arch = Architecture.from_tokens(self.space, arch)
        return self.forward_arch(x, arch)

    def child(self, arch: Architecture) -> ChildNet:
        """A standalone :class:`ChildNet` of ``arch`` with this supernet's weights copied."""
        child = ChildNet(self.space, arch, self.input_length, self.n_tasks, self.width)
        own = self.state_dict()
        child.load_state_dict({k: own[k].clone() for k in child.state_dict()})
        return child.to(next(self.parameters()).device)
