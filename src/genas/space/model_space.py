"""The model space: which operations each layer may choose, and the fixed scaffold around them.

A space is a stack of ``n_layers`` layers; layer ``i`` chooses one of ``layers[i]``
(:class:`~genas.space.operation.Operation`). When ``skips`` is true, each layer ``i`` may
also add the output of any earlier layer ``j < i`` (one yes/no per pair). The scaffold —
filters per layer, where the sequence is reduced, the stem and the head — is fixed.

YAML (every key but ``name`` and ``layers``/``ops`` is optional)::

    name: amber-deepsea
    description: ...
    ops: [conv_k8, conv_k4, dilconv_k8_d10, dilconv_k4_d10, maxpool_k4, avgpool_k4, identity]
    n_layers: 12            # with `ops`: the same candidates in every layer
    # layers: [[conv_k8, identity], [...], ...]   # or: candidates per layer
    filters: 32             # an int doubles after every reduction; or a list, one per layer
    reductions: [2, 5, 8]   # 0-based layers after which every stored output is reduced
    reduction_pool: 4
    skips: true
    stem: {kernel_size: 8, filters: 32}
    head: {type: flatten, units: 925, dropout: 0.1}
    training:               # optional: training settings searched with the architecture
      lr: [0.0003, 0.001, 0.003]
      weight_decay: [0, 0.0001]
      dropout: [0.1, 0.3, 0.5]   # replaces head.dropout
      width: [0.5, 1, 2]         # multiplies every layer's filters

Each ``training`` setting is one more token of an architecture (after the ops and skips),
an index into its list of values.

Defaults: ``filters: 32``, ``reductions: []``, ``reduction_pool: 4``, ``skips: false``,
``stem: {kernel_size: 8, filters: <filters of layer 0>}``,
``head: {type: global_pool, units: 32, dropout: 0.1}``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genas.errors import ConfigError, InputError, shown
from genas.space.operation import MAX_SIZE, Operation
from genas.yamlfile import load_yaml

HEAD_TYPES = ("flatten", "global_pool")
_SPACE_KEYS = (
    "name", "description", "layers", "ops", "n_layers", "filters", "reductions",
    "reduction_pool", "skips", "stem", "head", "training",
)  # fmt: skip
#: Most layers a space may have.
MAX_LAYERS = 1000
#: Training settings a space may search, in token order.
TRAINING_KEYS = ("lr", "weight_decay", "dropout", "width")
_STEM_KEYS = ("kernel_size", "filters")
_HEAD_KEYS = ("type", "units", "dropout")


@dataclass(frozen=True)
class Stem:
    """The fixed first layer: Conv1d(4 → filters, kernel_size, 'same') + BatchNorm."""

    kernel_size: int = 8
    filters: int = 32

    def __post_init__(self) -> None:
        _check_size("stem kernel_size", self.kernel_size)
        _check_size("stem filters", self.filters)


@dataclass(frozen=True)
class Head:
    """The fixed output block.

    ``flatten``: flatten (C·L) → dropout → dense ``units`` ReLU → dense T.
    ``global_pool``: concat(global average, global max) (2C) → dropout → dense ``units``
    ReLU → dense T. ``units = 0`` drops the hidden dense layer.
    """

    type: str = "global_pool"
    units: int = 32
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.type not in HEAD_TYPES:
            raise ValueError(
                f"head type must be one of {', '.join(HEAD_TYPES)}, got {shown(self.type)}"
            )
        if isinstance(self.units, bool) or not isinstance(self.units, int) or self.units < 0:
            raise ValueError(f"head units must be an integer >= 0, got {shown(self.units)}")
        _check_size("head units", max(self.units, 1))
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, int | float):
            raise ValueError(f"head dropout must be a number in [0, 1), got {shown(self.dropout)}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"head dropout must be in [0, 1), got {shown(self.dropout)}")


@dataclass(frozen=True)
class ModelSpace:
    """A search space of 1D-CNN architectures (plain data, hashable).

    Attributes:
        name: identifier (preset name or the YAML's ``name``).
        layers: candidate ops per layer; ``layers[i][k]`` is op ``k`` of layer ``i``.
        filters: channels of each layer's output (before any reduction after it).
        reductions: 0-based layers after which every stored output goes through a 1×1 conv
            to ``filters[i + 1]`` channels and a max-pool of ``reduction_pool`` (ceil mode).
            Filters may change only across a reduction.
        reduction_pool: pool size (= stride) of a reduction.
        skips: whether skip connections are part of the search.
        stem: the fixed first conv.
        head: the fixed output block.
        description: free text.
        training: searched training settings, ``((name, (value, ...)), ...)`` in the order
            of :data:`TRAINING_KEYS`; each is one more token of an architecture.
    """

    name: str
    layers: tuple[tuple[Operation, ...], ...]
    filters: tuple[int, ...] = ()
    reductions: tuple[int, ...] = ()
    reduction_pool: int = 4
    skips: bool = False
    stem: Stem | None = None
    head: Head = field(default_factory=Head)
    description: str = ""
    training: tuple[tuple[str, tuple[float, ...]], ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("a model space needs a non-empty name")
        layers = tuple(tuple(Operation.parse(op) for op in ops) for ops in self.layers)
        if not layers:
            raise ValueError("a model space needs at least one layer")
        _check_n_layers(len(layers))
        for i, ops in enumerate(layers):
            if not ops:
                raise ValueError(f"layer {i} has no candidate ops")
            labels = [op.label for op in ops]
            dupes = sorted({x for x in labels if labels.count(x) > 1})
            if dupes:
                raise ValueError(f"layer {i} lists the same op twice: {', '.join(dupes)}")
        set_(self, "layers", layers)
        for r in self.reductions:  # before set(): a list entry is not hashable
            _check_int("reduction layer", r)
        reductions = tuple(sorted(set(self.reductions)))
        for r in reductions:
            if not 0 <= r < len(layers) - 1:
                raise ValueError(
                    f"reduction after layer {r} is out of range (layers 0..{len(layers) - 2})"
                )
        set_(self, "reductions", reductions)
        _check_size("reduction_pool", self.reduction_pool)
        filters = self.filters or 32
        if isinstance(filters, int):
            filters = _doubling_filters(filters, len(layers), reductions)
        filters = tuple(filters)
        if len(filters) != len(layers):
            raise ValueError(f"filters has {len(filters)} entries for {len(layers)} layers")
        for i, f in enumerate(filters):
            _check_size(f"filters of layer {i}", f)
            if i and f != filters[i - 1] and i - 1 not in reductions:
                raise ValueError(
                    f"filters change from layer {i - 1} to {i} ({filters[i - 1]} → {f}) "
                    f"without a reduction after layer {i - 1}"
                )
        set_(self, "filters", filters)
        if not isinstance(self.skips, bool):
            raise ValueError(f"skips must be true or false, got {shown(self.skips)}")
        set_(self, "training", _check_training(self.training))
        if self.stem is None:
            set_(self, "stem", Stem(filters=filters[0]))
        elif self.stem.filters != filters[0]:
            raise ValueError(
                f"stem filters ({self.stem.filters}) must equal the filters of layer 0 "
                f"({filters[0]})"
            )

    # ---------------------------------------------------------------- queries

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    def num_ops(self, layer: int) -> int:
        """Number of candidate ops of ``layer``."""
        return len(self.layers[layer])

    @property
    def n_tokens(self) -> int:
        """Length of an architecture's token list: ops, ``n(n-1)/2`` skips if searched, and
        one token per searched training setting."""
        n = self.n_layers
        return n + (n * (n - 1) // 2 if self.skips else 0) + len(self.training)

    @property
    def size(self) -> int:
        """Number of distinct architectures in the space (exact)."""
        n = self.n_layers
        ops = math.prod(len(ops) for ops in self.layers)
        training = math.prod(len(values) for _, values in self.training)
        return ops * (2 ** (n * (n - 1) // 2) if self.skips else 1) * training

    @property
    def buildable(self) -> bool:
        """Whether genas.nn can build every op of every layer."""
        return all(op.buildable for ops in self.layers for op in ops)

    def training_values(self, indices: Sequence[int]) -> dict[str, float]:
        """``{setting: value}`` of an architecture's training tokens (``{}`` if none)."""
        return {name: values[i] for (name, values), i in zip(self.training, indices, strict=True)}

    def op(self, layer: int, index: int) -> Operation:
        return self.layers[layer][index]

    def op_index(self, layer: int, op: str | Mapping[str, Any] | Operation) -> int:
        """Index of ``op`` (label, mapping or Operation) among the candidates of ``layer``."""
        wanted = Operation.parse(op)
        try:
            return self.layers[layer].index(wanted)
        except ValueError:
            labels = ", ".join(o.label for o in self.layers[layer])
            raise ValueError(f"layer {layer} has no op {wanted.label} (ops: {labels})") from None

    def lengths(self, input_length: int) -> list[int]:
        """Sequence length of each layer's output (before a reduction after it)."""
        out, length = [], input_length
        for i in range(self.n_layers):
            out.append(length)
            if i in self.reductions:
                length = -(-length // self.reduction_pool)
        return out

    # ---------------------------------------------------------------- (de)serialise

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (YAML/JSON-ready) that :meth:`from_dict` reads back to an equal space."""
        first = self.layers[0]
        same = all(ops == first for ops in self.layers)
        d: dict[str, Any] = {"name": self.name}
        if self.description:
            d["description"] = self.description
        if same:
            d["ops"] = [op.to_config() for op in first]
            d["n_layers"] = self.n_layers
        else:
            d["layers"] = [[op.to_config() for op in ops] for ops in self.layers]
        d.update(
            filters=list(self.filters),
            reductions=list(self.reductions),
            reduction_pool=self.reduction_pool,
            skips=self.skips,
            stem={"kernel_size": self.stem.kernel_size, "filters": self.stem.filters},
            head={"type": self.head.type, "units": self.head.units, "dropout": self.head.dropout},
        )
        if self.training:
            d["training"] = {name: list(values) for name, values in self.training}
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | Path | None = None) -> ModelSpace:
        """Read a space from a mapping; unknown keys and bad values are one-line errors.

        Raises:
            InputError: when ``source`` (the file it came from) is given.
            ConfigError: otherwise.
        """
        try:
            return _from_dict(cls, data)
        except ValueError as exc:
            if source is not None:
                raise InputError(source, f"model space: {exc}") from None
            raise ConfigError(f"model space: {exc}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> ModelSpace:
        """Read a space from a YAML file (errors are :class:`~genas.errors.InputError`)."""
        path = Path(path)
        data = load_yaml(path)
        if not isinstance(data, Mapping):
            raise InputError(path, "a model space file must hold a mapping (name, ops, ...)")
        return cls.from_dict(data, source=path)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def content_digest(self) -> str:
        """16 hex digits of SHA-256 over :meth:`to_dict` without the description (words
        only): equal for spaces that decode the same tokens into the same networks."""
        content = self.to_dict()
        content.pop("description", None)
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


# -------------------------------------------------------------------- helpers


def _check_training(training: Any) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """The training settings in :data:`TRAINING_KEYS` order, each a non-empty list of
    distinct valid values; ``ValueError`` naming the setting otherwise."""
    pairs = dict(training)
    for name in pairs:
        if name not in TRAINING_KEYS:
            raise ValueError(
                f"training: unknown setting {shown(name)} (searchable: {', '.join(TRAINING_KEYS)})"
            )
    out = []
    for name in TRAINING_KEYS:
        if name not in pairs:
            continue
        values = pairs[name]
        if not isinstance(values, Sequence) or isinstance(values, str) or not values:
            raise ValueError(f"training.{name}: give a non-empty list of values")
        checked = []
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"training.{name}: {shown(value, 40)} is not a number")
            if not math.isfinite(value):
                raise ValueError(f"training.{name}: {shown(value)} is not a finite number")
            low_ok = value >= 0 if name in ("weight_decay", "dropout") else value > 0
            if not low_ok or (name == "dropout" and value >= 1):
                rule = {"lr": "> 0", "width": "> 0", "weight_decay": ">= 0",
                        "dropout": "in [0, 1)"}[name]
                raise ValueError(f"training.{name}: {shown(value)} must be {rule}")
            checked.append(float(value))
        if len(set(checked)) != len(checked):
            raise ValueError(f"training.{name}: a value is listed twice")
        out.append((name, tuple(checked)))
    return tuple(out)


def _check_int(what: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {shown(value)}")


def _check_positive_int(what: str, value: Any) -> None:
    _check_int(what, value)
    if value < 1:
        raise ValueError(f"{what} must be positive, got {shown(value)}")


def _check_size(what: str, value: Any) -> None:
    """A positive integer of at most :data:`~genas.space.operation.MAX_SIZE` (filters,
    units, kernel and pool sizes): a typo past it would build a network no memory holds."""
    _check_positive_int(what, value)
    if value > MAX_SIZE:
        raise ValueError(f"{what} must be at most {MAX_SIZE:,}, got {shown(value)}")


def _check_n_layers(n_layers: int) -> None:
    # n(n-1)/2 skip tokens and a network this deep are far past any useful space; a bound
    # keeps a typo (n_layers: 1000000000) from exhausting memory.
    if n_layers > MAX_LAYERS:
        raise ValueError(f"a model space has at most {MAX_LAYERS} layers, got {n_layers}")


def _description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"description must be text, got a {type(value).__name__}")
    return value.strip()


def _doubling_filters(start: int, n_layers: int, reductions: Sequence[int]) -> list[int]:
    _check_positive_int("filters", start)
    out, f = [], start
    for i in range(n_layers):
        out.append(f)
        if i in reductions:
            f *= 2
    return out


def _reject_unknown(where: str, data: Mapping[str, Any], allowed: Sequence[str]) -> None:
    for key in data:
        if key not in allowed:
            raise ValueError(f"unknown key {shown(key)} in {where} (allowed: {', '.join(allowed)})")


def _sub_mapping(where: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be a mapping, got {shown(value)}")
    return value


def _parse_ops(where: str, ops: Any) -> tuple[Operation, ...]:
    if not isinstance(ops, Sequence) or isinstance(ops, str):
        raise ValueError(f"{where} must be a list of ops, got {shown(ops)}")
    parsed = []
    for k, op in enumerate(ops):
        try:
            parsed.append(Operation.parse(op))
        except ValueError as exc:
            raise ValueError(f"{where}, op {k}: {exc}") from None
    return tuple(parsed)


def _from_dict(cls: type[ModelSpace], data: Mapping[str, Any]) -> ModelSpace:
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a mapping, got {type(data).__name__}")
    _reject_unknown("model space", data, _SPACE_KEYS)
    if "name" not in data:
        raise ValueError("missing key 'name'")
    if ("layers" in data) == ("ops" in data):
        raise ValueError("give either 'layers' (ops per layer) or 'ops' with 'n_layers'")
    if "layers" in data:
        if "n_layers" in data:
            raise ValueError("'n_layers' goes with 'ops', not with 'layers'")
        layers_raw = data["layers"]
        if not isinstance(layers_raw, Sequence) or isinstance(layers_raw, str):
            raise ValueError("'layers' must be a list of op lists")
        layers = tuple(_parse_ops(f"layer {i}", ops) for i, ops in enumerate(layers_raw))
    else:
        if "n_layers" not in data:
            raise ValueError("'ops' needs 'n_layers'")
        n_layers = data["n_layers"]
        _check_positive_int("n_layers", n_layers)
        _check_n_layers(n_layers)  # before the tuple of n_layers entries is made
        layers = (_parse_ops("ops", data["ops"]),) * n_layers
    stem_raw = _sub_mapping("stem", data.get("stem"))
    _reject_unknown("stem", stem_raw, _STEM_KEYS)
    head_raw = _sub_mapping("head", data.get("head"))
    _reject_unknown("head", head_raw, _HEAD_KEYS)
    filters = data.get("filters", 32)
    if not isinstance(filters, int):
        if not isinstance(filters, Sequence) or isinstance(filters, str):
            raise ValueError(f"filters must be an integer or a list, got {shown(filters)}")
        filters = tuple(filters)
    reductions = data.get("reductions", ())
    if not isinstance(reductions, Sequence) or isinstance(reductions, str):
        raise ValueError(f"reductions must be a list of layer indices, got {shown(reductions)}")
    space = cls(
        name=data["name"],
        layers=layers,
        filters=filters,
        reductions=tuple(reductions),
        reduction_pool=data.get("reduction_pool", 4),
        skips=data.get("skips", False),
        head=Head(**head_raw),
        description=_description(data.get("description")),
        training=tuple(_sub_mapping("training", data.get("training")).items()),
    )
    if stem_raw:
        stem = Stem(
            kernel_size=stem_raw.get("kernel_size", 8),
            filters=stem_raw.get("filters", space.filters[0]),
        )
        space = cls(**{**space.__dict__, "stem": stem})
    return space
