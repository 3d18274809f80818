"""One point of a model space: an op per layer and the skip connections.

Token list (AMBER / ENAS order), for a space that searches skips::

    [op_0, op_1, skip_0→1, op_2, skip_0→2, skip_1→2, op_3, skip_0→3, ...]

Layer 0 has no skip tokens; layer ``i`` has ``i`` (one per earlier layer). For a space with
``skips: false`` the tokens are the ops only. Skip ``j → i`` = 1 adds the output of layer
``j`` to the output of layer ``i``'s op (see genas.nn).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genas.errors import InputError, shown
from genas.fileio import atomic_write_json

if TYPE_CHECKING:
    from genas.space.model_space import ModelSpace


@dataclass(frozen=True)
class Architecture:
    """Op indices per layer plus skip bits; hashable, comparable.

    Attributes:
        ops: ``ops[i]`` = index of the op layer ``i`` uses (into ``space.layers[i]``).
        skips: ``skips[i]`` has ``i`` entries in {0, 1}; ``skips[i][j] = 1`` connects layer
            ``j`` to layer ``i``. ``None`` → all zeros.
        skip_tokens: whether :meth:`to_tokens` includes the skip bits (False for a space that
            does not search skips; then every skip must be 0).
        training: index of the value of each training setting the space searches
            (``ModelSpace.training``), in its order; ``()`` when it searches none.

    ``ValueError`` on a malformed architecture (wrong shapes, negative op index, non-0/1 skip).
    """

    ops: tuple[int, ...]
    skips: tuple[tuple[int, ...], ...] | None = None
    skip_tokens: bool = True
    training: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        ops = tuple(_as_int(f"op of layer {i}", v) for i, v in enumerate(self.ops))
        if not ops:
            raise ValueError("an architecture needs at least one layer")
        for i, v in enumerate(ops):
            if v < 0:
                raise ValueError(f"op of layer {i} is {v}; op indices start at 0")
        if self.skips is None:
            skips = tuple((0,) * i for i in range(len(ops)))
        else:
            if len(self.skips) != len(ops):
                raise ValueError(f"skips has {len(self.skips)} rows for {len(ops)} layers")
            skips = []
            for i, row in enumerate(self.skips):
                row = tuple(_as_int(f"skip into layer {i}", v) for v in row)
                if len(row) != i:
                    raise ValueError(f"skips of layer {i} must have {i} entries, got {len(row)}")
                for j, v in enumerate(row):
                    if v not in (0, 1):
                        raise ValueError(f"skip {j}→{i} must be 0 or 1, got {v}")
                skips.append(row)
            skips = tuple(skips)
        if not self.skip_tokens and any(any(row) for row in skips):
            raise ValueError("skip connections set but skip_tokens is False")
        training = tuple(_as_int(f"training token {i}", v) for i, v in enumerate(self.training))
        if any(v < 0 for v in training):
            raise ValueError(f"training tokens must be >= 0, got {list(training)}")
        object.__setattr__(self, "training", training)
        object.__setattr__(self, "ops", ops)
        object.__setattr__(self, "skips", skips)
        object.__setattr__(self, "skip_tokens", bool(self.skip_tokens))

    # ---------------------------------------------------------------- queries

    @property
    def n_layers(self) -> int:
        return len(self.ops)

    @property
    def n_skips(self) -> int:
        """Number of skip connections switched on."""
        return sum(sum(row) for row in self.skips)

    def skip_sources(self, layer: int) -> list[int]:
        """Earlier layers whose output is added to ``layer``'s output."""
        return [j for j, on in enumerate(self.skips[layer]) if on]

    @property
    def hash(self) -> str:
        """Stable short id: the first 12 hex digits of the SHA-1 of the token list."""
        text = ",".join(str(t) for t in self.to_tokens())
        return hashlib.sha1(text.encode()).hexdigest()[:12]

    # ---------------------------------------------------------------- tokens

    def to_tokens(self) -> list[int]:
        """AMBER token list ``[op_0, op_1, skip_0→1, op_2, skip_0→2, skip_1→2, ...]``, then
        the training tokens."""
        tokens: list[int] = []
        for i, op in enumerate(self.ops):
            tokens.append(op)
            if self.skip_tokens:
                tokens.extend(self.skips[i])
        return tokens + list(self.training)

    @classmethod
    def from_tokens(cls, space: ModelSpace, tokens: Sequence[int]) -> Architecture:
        """Decode a token list of ``space``; ``ValueError`` with the reason if it is invalid."""
        tokens = list(tokens)
        if len(tokens) != space.n_tokens:
            kind = "ops and skips" if space.skips else "ops"
            raise ValueError(
                f"space {space.name!r} takes {space.n_tokens} tokens ({kind}), got {len(tokens)}"
            )
        ops, skips, pos = [], [], 0
        for i in range(space.n_layers):
            ops.append(tokens[pos])
            pos += 1
            if space.skips:
                skips.append(tuple(tokens[pos : pos + i]))
                pos += i
        arch = cls(
            tuple(ops),
            tuple(skips) if space.skips else None,
            skip_tokens=space.skips,
            training=tuple(tokens[pos:]),
        )
        arch.validate(space)
        return arch

    @classmethod
    def from_ops(
        cls,
        space: ModelSpace,
        ops: Sequence[int | str],
        skips: Sequence[Sequence[int]] | None = None,
        training: Sequence[int] | None = None,
    ) -> Architecture:
        """Build from op indices or op labels (one per layer), optional skip rows and
        optional training tokens (default: the first value of each searched setting)."""
        indices = [space.op_index(i, op) if isinstance(op, str) else op for i, op in enumerate(ops)]
        arch = cls(
            tuple(indices),
            None if skips is None else tuple(tuple(r) for r in skips),
            skip_tokens=space.skips,
            training=tuple(training) if training is not None else (0,) * len(space.training),
        )
        arch.validate(space)
        return arch

    def validate(self, space: ModelSpace) -> None:
        """``ValueError`` unless this architecture is a point of ``space``."""
        if self.n_layers != space.n_layers:
            raise ValueError(
                f"architecture has {self.n_layers} layers, space {space.name!r} has "
                f"{space.n_layers}"
            )
        for i, op in enumerate(self.ops):
            if op >= space.num_ops(i):
                raise ValueError(
                    f"op index {op} of layer {i} is out of range (layer {i} of space "
                    f"{space.name!r} has {space.num_ops(i)} ops: 0..{space.num_ops(i) - 1})"
                )
        if not space.skips and self.n_skips:
            raise ValueError(
                f"space {space.name!r} does not search skips, but {self.n_skips} are set"
            )
        if self.skip_tokens != space.skips:
            raise ValueError(
                f"architecture {'has' if self.skip_tokens else 'lacks'} skip tokens, space "
                f"{space.name!r} {'searches' if space.skips else 'does not search'} skips"
            )
        if len(self.training) != len(space.training):
            raise ValueError(
                f"architecture has {len(self.training)} training tokens, space "
                f"{space.name!r} searches {len(space.training)} training settings"
            )
        for index, (name, values) in zip(self.training, space.training, strict=True):
            if index >= len(values):
                raise ValueError(
                    f"training token of {name} is {index}, but space {space.name!r} has "
                    f"{len(values)} values for it"
                )

    # ---------------------------------------------------------------- (de)serialise

    def to_dict(self) -> dict[str, Any]:
        """``{"ops": [...], "skips": [[...], ...], "skip_tokens": bool}``, and
        ``"training": [...]`` when the architecture has training tokens."""
        out: dict[str, Any] = {
            "ops": list(self.ops),
            "skips": [list(row) for row in self.skips],
            "skip_tokens": self.skip_tokens,
        }
        if self.training:
            out["training"] = list(self.training)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Architecture:
        """Inverse of :meth:`to_dict` (also reads :meth:`to_json`'s richer mapping)."""
        if not isinstance(data, Mapping) or "ops" not in data:
            raise ValueError("an architecture mapping needs an 'ops' list")
        skips = data.get("skips")
        return cls(
            tuple(data["ops"]),
            None if skips is None else tuple(tuple(r) for r in skips),
            skip_tokens=bool(data.get("skip_tokens", True)),
            training=tuple(data.get("training") or ()),
        )

    def to_json(self, path: str | Path, space: ModelSpace) -> None:
        """Write (atomically) a readable JSON: space name, tokens, ops, op labels, skips, hash."""
        self.validate(space)
        atomic_write_json(path, self.to_json_dict(space))

    def to_json_dict(self, space: ModelSpace) -> dict[str, Any]:
        return {
            "space": space.name,
            "hash": self.hash,
            "tokens": self.to_tokens(),
            "op_labels": [space.op(i, op).label for i, op in enumerate(self.ops)],
            **self.to_dict(),
            **({"training_values": space.training_values(self.training)} if self.training else {}),
        }

    @classmethod
    def from_json(cls, path: str | Path, space: ModelSpace | None = None) -> Architecture:
        """Read :meth:`to_json`'s file; with ``space``, check it belongs to that space.

        Raises:
            InputError: unreadable file, bad JSON, or an architecture not of ``space``.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise InputError(path, f"cannot read architecture: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InputError(path, "not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
        try:
            if isinstance(data, Mapping) and "ops" not in data and "tokens" in data:
                if space is None:
                    raise ValueError("a token-only architecture needs its model space to decode")
                arch = cls.from_tokens(space, data["tokens"])
            else:
                arch = cls.from_dict(data)
            if (
                isinstance(data, Mapping)
                and "tokens" in data
                and arch.to_tokens() != list(data["tokens"])
            ):
                raise ValueError("'tokens' disagree with 'ops'/'skips'")
            if space is not None:
                arch.validate(space)
        except (ValueError, TypeError) as exc:
            raise InputError(path, f"invalid architecture: {exc}") from None
        return arch

    def describe(self, space: ModelSpace) -> list[str]:
        """Human-readable lines, one per layer (op label, width, skips), reductions between."""
        self.validate(space)
        lines = [f"stem: conv_k{space.stem.kernel_size} ({space.stem.filters} filters) + BN"]
        for i, op in enumerate(self.ops):
            line = f"layer {i:>2}: {space.op(i, op).label:<16} {space.filters[i]:>4} filters"
            sources = self.skip_sources(i)
            if sources:
                line += "  + skips from " + ", ".join(str(j) for j in sources)
            lines.append(line)
            if i in space.reductions:
                lines.append(
                    f"  reduce: 1x1 conv → {space.filters[i + 1]}, max-pool {space.reduction_pool}"
                )
        head = space.head
        values = space.training_values(self.training)
        lines.append(
            f"head: {head.type} → dropout {values.get('dropout', head.dropout):g}"
            + (f" → dense {head.units} ReLU" if head.units else "")
            + " → dense T"
        )
        if values:
            lines.append("training: " + ", ".join(f"{k} {v:g}" for k, v in values.items()))
        return lines


def _as_int(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # numpy / torch integer scalars
        if hasattr(value, "__index__") and not isinstance(value, bool):
            return int(value.__index__())
        raise ValueError(f"{what} must be an integer, got {shown(value)}")
    return value
