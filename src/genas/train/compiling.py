"""``torch.compile`` where it works, eager PyTorch where it does not (``train.compile``).

``torch.compile`` needs a working backend: a C++ compiler for the CPU, Triton for a GPU,
a Python version the installed torch supports. Where one is missing, the error shows up at
the first forward pass, deep inside a training run. genas probes the backend once per
process and device type by compiling and running a tiny function; if that fails, the
network runs eagerly and one warning says why. Compiled and eager networks give the same
results (to float32 rounding, tests/test_compiling.py), so falling back changes the speed
only.

Two ways to compile, because a network's graph may be fixed or chosen per call:

- :func:`compiled` – the whole network, for a network whose graph is fixed (a standalone
  child, a reference network): one graph, so BatchNorm, activation and pooling of
  neighbouring blocks can fuse.
- :func:`compile_blocks` – each block of an :class:`~genas.nn.network.ArchNetwork` on its
  own (stem, every op of every layer, reductions, head), for the weight-sharing supernet:
  its forward picks a path per call, and compiling the whole of it would trace one graph
  per path (and give up after ``torch._dynamo.config.cache_size_limit`` of them); a block's
  graph is the same whichever path runs through it.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn

from genas.nn.network import ArchNetwork


@functools.cache
def compile_unavailable(device_type: str = "cpu") -> str | None:
    """Why ``torch.compile`` cannot run on ``device_type`` here, or None when it can.

    Probed once per process and device type: a two-op function is compiled and run there.
    """
    try:
        probe = torch.compile(lambda x: torch.relu(x) * 2.0 + 1.0)
        probe(torch.ones(8, device=device_type))
    except Exception as error:  # any backend failure means: run eagerly
        lines = str(error).strip().splitlines()
        return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return None


def _usable(device: torch.device | str) -> bool:
    """True when ``torch.compile`` works on ``device``; else warns once per reason."""
    reason = compile_unavailable(torch.device(device).type)
    if reason is not None:
        _warn_once(reason)
    return reason is None


@functools.cache
def _warn_once(reason: str) -> None:
    warnings.warn(
        f"train.compile: torch.compile is unavailable here ({reason}); running eagerly",
        stacklevel=3,
    )


def _device_of(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def compiled(model: nn.Module) -> Callable[[Tensor], Tensor]:
    """``torch.compile(model)`` where the backend works on the model's device, else
    ``model`` itself. The result shares ``model``'s parameters: train through it, and save,
    load and evaluate ``model``."""
    return torch.compile(model) if _usable(_device_of(model)) else model


def compile_blocks(net: ArchNetwork) -> ArchNetwork:
    """Compile each block of ``net`` in place (``nn.Module.compile``) where the backend
    works, and return ``net``. Parameter names, ``state_dict`` and the path logic are
    unchanged; only each block's forward runs compiled."""
    if not _usable(_device_of(net)):
        return net
    blocks: list[nn.Module] = [net.stem, *net.reductions.values(), net.head]
    for layer in net.layers:
        blocks += list(layer.ops.values())
        if layer.merge_norm is not None:
            blocks.append(layer.merge_norm)
    for block in blocks:
        block.compile()
    return net
