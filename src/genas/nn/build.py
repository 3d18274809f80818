"""Build a model from the spec stored in a run's ``model.json``; count its parameters and
the operations of one forward pass.

A spec is one of::

    {"reference": "deepbind"}                        # plus options of that builder
    {"space": <ModelSpace.to_dict() | preset name | YAML path>,
     "architecture": <Architecture.to_dict() | token list>,
     "width": 1.0}
    {"ensemble": [<spec>, <spec>, ...],              # averaged predictions (nn.Ensemble);
     "combine": "sigmoid"}                           #   mean, exp, softmax by task type
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from genas.errors import ConfigError, GenasError
from genas.nn.ensemble import COMBINE, Ensemble
from genas.nn.network import ChildNet
from genas.nn.references import REFERENCES
from genas.space.architecture import Architecture
from genas.space.model_space import ModelSpace
from genas.space.presets import get_space

_SPACE_SPEC_KEYS = ("space", "architecture", "width")


def build_model(spec: Mapping[str, Any], input_length: int, n_tasks: int) -> nn.Module:
    """The network of ``spec``: float32 (N, 4, ``input_length``) → outputs (N, ``n_tasks``).

    ``n_tasks`` is the number of outputs: one per task, or one per class of a multiclass
    task (the one head of every network; :attr:`genas.train.task.TaskSpec.n_outputs`).

    Raises:
        ConfigError: an invalid spec (unknown key or reference, bad architecture, ...).
        ValueError: ``input_length`` too short for a reference network.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"model spec must be a mapping, got {type(spec).__name__}")
    if "ensemble" in spec:
        return _build_ensemble(spec, input_length, n_tasks)
    if ("reference" in spec) == ("space" in spec):
        raise ConfigError("model spec needs either 'reference' or 'space' (with 'architecture')")
    if "reference" in spec:
        return _build_reference(spec, input_length, n_tasks)
    return _build_child(spec, input_length, n_tasks)


def _build_ensemble(spec: Mapping[str, Any], input_length: int, n_tasks: int) -> Ensemble:
    members = spec["ensemble"]
    if not set(spec) <= {"ensemble", "combine"}:
        raise ConfigError("an ensemble model spec takes only the keys 'ensemble' and 'combine'")
    combine = spec.get("combine", "sigmoid")  # files written before 'combine': binary
    if combine not in COMBINE:
        raise ConfigError(
            f"model spec: unknown ensemble combine {combine!r} (known: {', '.join(COMBINE)})"
        )
    if not isinstance(members, Sequence) or isinstance(members, str) or len(members) < 2:
        raise ConfigError("model spec: 'ensemble' must list at least 2 member specs")
    if any(isinstance(m, Mapping) and "ensemble" in m for m in members):
        raise ConfigError("model spec: an ensemble member cannot be an ensemble")
    return Ensemble([build_model(m, input_length, n_tasks) for m in members], combine)


def _build_reference(spec: Mapping[str, Any], input_length: int, n_tasks: int) -> nn.Module:
    name = spec["reference"]
    if name not in REFERENCES:
        raise ConfigError(
            f"unknown reference architecture {name!r} (known: {', '.join(REFERENCES)})"
        )
    builder = REFERENCES[name]
    options = {k: v for k, v in spec.items() if k != "reference"}
    allowed = [
        p for p in inspect.signature(builder).parameters if p not in ("input_length", "n_tasks")
    ]
    for key in options:
        if key not in allowed:
            hint = ", ".join(allowed) or "none"
            raise ConfigError(f"reference {name!r} takes no option {key!r} (options: {hint})")
    try:
        return builder(input_length, n_tasks, **options)
    except (TypeError, ValueError, RuntimeError) as error:  # e.g. hidden: -5, dropout: 5
        shown_options = ", ".join(f"{k}: {v!r}" for k, v in options.items())
        raise ConfigError(f"reference {name!r} with options {{{shown_options}}}: "
                          f"{' '.join(str(error).split())}") from None


def _build_child(spec: Mapping[str, Any], input_length: int, n_tasks: int) -> ChildNet:
    for key in spec:
        if key not in _SPACE_SPEC_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in model spec (allowed: {', '.join(_SPACE_SPEC_KEYS)})"
            )
    if "architecture" not in spec:
        raise ConfigError("model spec with 'space' needs an 'architecture'")
    raw_space = spec["space"]
    space = (
        ModelSpace.from_dict(raw_space) if isinstance(raw_space, Mapping) else get_space(raw_space)
    )
    raw_arch = spec["architecture"]
    try:
        if isinstance(raw_arch, Mapping):
            arch = Architecture.from_dict(raw_arch)
            arch.validate(space)
        elif isinstance(raw_arch, Sequence) and not isinstance(raw_arch, str):
            arch = Architecture.from_tokens(space, raw_arch)
        else:
            raise ValueError(f"expected a mapping or a token list, got {raw_arch!r}")
    except ValueError as exc:
        raise ConfigError(f"model spec: invalid architecture: {exc}") from None
    width = spec.get("width", 1.0)
    if isinstance(width, bool) or not isinstance(width, int | float) or width <= 0:
        raise ConfigError(f"model spec: width must be a positive number, got {width!r}")
    try:
        return ChildNet(space, arch, input_length, n_tasks, width=float(width))
    except GenasError:
        raise
    except ValueError as exc:
        raise ConfigError(f"model spec: {exc}") from None


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``model`` (each shared tensor once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def forward_flops(spec: Mapping[str, Any], input_length: int) -> int:
    """Floating-point operations of the forward pass of ``spec``'s network on one sequence
    (1, 4, ``input_length``), as torch's ``FlopCounterMode`` counts them (convolutions and
    matrix products; the rest is small beside them). Counted on the meta device: from the
    shapes alone, nothing allocated or computed."""
    with torch.device("meta"):
        model = build_model(spec, input_length, 1)
        model.eval()  # BatchNorm after a dense layer cannot take a batch of one in train mode
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, 4, input_length))
    return int(counter.get_total_flops())
