"""One candidate operation of a layer: a type and its parameters.

An :class:`Operation` is plain data (no torch). It is written in YAML either as a label
string (``conv_k8``, ``dilconv_k8_d10``, ``maxpool_k4``, ``identity``) or as a mapping
(``{type: conv, kernel_size: 8, dilation: 10, activation: relu}``).

Types genas.nn can build (each keeps the shape (N, C, L)):

==========  ===========================================  ======================
type        parameters (defaults)                        label
==========  ===========================================  ======================
conv        kernel_size, dilation (1), activation (relu) ``conv_k8``
dilconv     kernel_size, dilation, activation (relu)     ``dilconv_k8_d10``
sepconv     kernel_size, dilation (1), activation (relu) ``sepconv_k8``
maxpool     kernel_size (alias pool_size)                ``maxpool_k4``
avgpool     kernel_size (alias pool_size)                ``avgpool_k4``
identity    —                                            ``identity``
==========  ===========================================  ======================

A ``conv`` with dilation > 1 is the same op as a ``dilconv`` and is stored as one; a
``dilconv`` with dilation 1 is stored as a ``conv``. A non-default activation is appended to
the label (``conv_k8_gelu``).

Any other type is a *label-only* op: a search strategy can search it (a tabular benchmark,
say), but genas.nn refuses to build it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genas.errors import shown

#: Types genas.nn knows how to build.
BUILDABLE_TYPES = ("conv", "dilconv", "sepconv", "maxpool", "avgpool", "identity")
#: Activations a conv-type op may use.
ACTIVATIONS = ("relu", "gelu", "elu", "silu", "tanh", "sigmoid", "linear")

_CONV_TYPES = ("conv", "dilconv", "sepconv")
_POOL_TYPES = ("maxpool", "avgpool")
#: Largest kernel, pool size or dilation of an op (and filters or units of a model space):
#: far past any useful network, a bound that keeps a typo (``conv_k80000000``) from making
#: genas build a network no memory holds, or overflow torch's sizes.
MAX_SIZE = 1 << 16
_ALLOWED_PARAMS: dict[str, tuple[str, ...]] = {
    "conv": ("kernel_size", "dilation", "activation"),
    "dilconv": ("kernel_size", "dilation", "activation"),
    "sepconv": ("kernel_size", "dilation", "activation"),
    "maxpool": ("kernel_size",),
    "avgpool": ("kernel_size",),
    "identity": (),
}
_LABEL_PART = re.compile(r"^(?P<key>[kd])(?P<value>\d+)$")


@dataclass(frozen=True)
class Operation:
    """A candidate operation: ``type`` plus parameters, hashable and comparable.

    Construct with ``Operation("conv", {"kernel_size": 8})`` or :meth:`parse`. Parameters
    are stored canonically (sorted ``(key, value)`` pairs, defaults filled in), so two ways of
    writing the same op compare equal. ``ValueError`` on an invalid op.
    """

    type: str
    param_items: tuple[tuple[str, Any], ...] | Mapping[str, Any] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.type, str) or not self.type.strip():
            raise ValueError(f"op type must be a non-empty string, got {shown(self.type)}")
        raw = dict(self.param_items)
        if not all(isinstance(key, str) for key in raw):
            raise ValueError(f"op {self.type.strip()!r}: parameter names must be text, got "
                             f"{shown(sorted(raw, key=str))}")
        op_type, params = _canonical(self.type.strip(), raw)
        object.__setattr__(self, "type", op_type)
        object.__setattr__(self, "param_items", tuple(sorted(params.items())))

    # ---------------------------------------------------------------- views

    @property
    def params(self) -> dict[str, Any]:
        """The parameters as a new dict."""
        return dict(self.param_items)

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    @property
    def buildable(self) -> bool:
        """Whether genas.nn can build this op (False for label-only ops)."""
        return self.type in BUILDABLE_TYPES

    @property
    def label(self) -> str:
        """Short readable name: ``conv_k8``, ``dilconv_k8_d10``, ``maxpool_k4``, ``identity``."""
        p = self.params
        if self.type in _CONV_TYPES:
            parts = [self.type, f"k{p['kernel_size']}"]
            if self.type == "dilconv" or p["dilation"] != 1:
                parts.append(f"d{p['dilation']}")
            if p["activation"] != "relu":
                parts.append(p["activation"])
            return "_".join(parts)
        if self.type in _POOL_TYPES:
            return f"{self.type}_k{p['kernel_size']}"
        if not p:
            return self.type
        inner = ",".join(f"{k}={v}" for k, v in self.param_items)
        return f"{self.type}({inner})"

    def __str__(self) -> str:
        return self.label

    # ---------------------------------------------------------------- (de)serialise

    @classmethod
    def parse(cls, value: str | Mapping[str, Any] | Operation) -> Operation:
        """An op from a label string, a ``{type: ..., **params}`` mapping, or an Operation."""
        if isinstance(value, Operation):
            return value
        if isinstance(value, str):
            return cls.from_label(value)
        if isinstance(value, Mapping):
            if "type" not in value:
                raise ValueError(f"op mapping needs a 'type' key: {shown(dict(value))}")
            params = {k: v for k, v in value.items() if k != "type"}
            return cls(value["type"], params)
        raise ValueError(f"an op is a label string or a mapping with 'type', got {shown(value)}")

    @classmethod
    def from_label(cls, label: str) -> Operation:
        """Parse ``conv_k8``, ``dilconv_k4_d10``, ``maxpool_k4``, ``conv_k8_gelu``, ``identity``.

        A label whose first ``_``-separated word is not a buildable type is a label-only op
        whose type is the whole label.
        """
        label = label.strip()
        words = label.split("_")
        head = words[0]
        if head not in BUILDABLE_TYPES:
            return cls(label)
        params: dict[str, Any] = {}
        for word in words[1:]:
            m = _LABEL_PART.match(word)
            if m:
                key = "kernel_size" if m["key"] == "k" else "dilation"
                params[key] = int(m["value"])
            elif word in ACTIVATIONS:
                params["activation"] = word
            else:
                raise ValueError(
                    f"op label {shown(label)}: cannot read {shown(word)} "
                    "(expected k<int> kernel, d<int> dilation or an activation)"
                )
        return cls(head, params)

    def to_dict(self) -> dict[str, Any]:
        """``{"type": ..., **params}``."""
        return {"type": self.type, **self.params}

    def to_config(self) -> str | dict[str, Any]:
        """The label when it reads back to the same op, else :meth:`to_dict`."""
        try:
            if Operation.from_label(self.label) == self:
                return self.label
        except ValueError:
            pass
        return self.to_dict()


def _positive_int(op_type: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{op_type}: {key} must be a positive integer, got {shown(value)}")
    if value > MAX_SIZE:
        raise ValueError(f"{op_type}: {key} must be at most {MAX_SIZE:,}, got {shown(value)}")
    return value


def _canonical(op_type: str, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Validate params, fill defaults, and merge conv/dilconv; return (type, params)."""
    if op_type not in BUILDABLE_TYPES:
        for key, value in raw.items():
            if not isinstance(value, str | int | float | bool):
                raise ValueError(
                    f"{shown(op_type)}: parameter {shown(key)} must be a scalar, got {shown(value)}"
                )
        return op_type, raw
    if op_type in _POOL_TYPES and "pool_size" in raw:
        if "kernel_size" in raw:
            raise ValueError(f"{op_type}: give kernel_size or pool_size, not both")
        raw["kernel_size"] = raw.pop("pool_size")
    allowed = _ALLOWED_PARAMS[op_type]
    for key in raw:
        if key not in allowed:
            hint = ", ".join(allowed) or "none"
            raise ValueError(f"{op_type}: unknown parameter {shown(key)} (allowed: {hint})")
    if op_type == "identity":
        return op_type, {}
    if "kernel_size" not in raw:
        raise ValueError(f"{op_type} needs a kernel_size (label e.g. '{op_type}_k4')")
    params: dict[str, Any] = {
        "kernel_size": _positive_int(op_type, "kernel_size", raw["kernel_size"])
    }
    if op_type in _POOL_TYPES:
        return op_type, params
    if op_type == "dilconv" and "dilation" not in raw:
        raise ValueError("dilconv needs a dilation (label e.g. 'dilconv_k8_d10')")
    params["dilation"] = _positive_int(op_type, "dilation", raw.get("dilation", 1))
    activation = raw.get("activation", "relu")
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"{op_type}: unknown activation {shown(activation)} (allowed: {', '.join(ACTIVATIONS)})"
        )
    params["activation"] = activation
    if op_type == "conv" and params["dilation"] > 1:
        op_type = "dilconv"
    elif op_type == "dilconv" and params["dilation"] == 1:
        op_type = "conv"
    return op_type, params
