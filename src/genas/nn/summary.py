"""Per-layer table of a network: output shape and parameters of each block."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from genas.nn.network import ArchNetwork, ChildNet, SuperNet
from genas.space.architecture import Architecture
from genas.space.model_space import ModelSpace


def _blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Top-level blocks; the items of a ModuleList / ModuleDict count as blocks."""
    out = []
    for name, child in model.named_children():
        if isinstance(child, nn.ModuleList | nn.ModuleDict):
            out.extend((f"{name}.{sub}", m) for sub, m in child.named_children())
        else:
            out.append((name, child))
    return out


def _kind(name: str, module: nn.Module, model: nn.Module, arch: Architecture | None) -> str:
    if isinstance(model, ArchNetwork) and name.startswith("layers.") and arch is not None:
        i = int(name.split(".")[1])
        text = model.space.op(i, arch.ops[i]).label
        sources = arch.skip_sources(i)
        return text + (f" + skips {sources}" if sources else "")
    if isinstance(model, ArchNetwork) and name.startswith("reductions."):
        r, j = name.split(".")[1].split("_")
        return f"reduction after layer {r} of output {j}"
    return type(module).__name__


def describe_layers(
    model: nn.Module | tuple[ModelSpace, Architecture],
    input_length: int,
    arch: Architecture | None = None,
    n_tasks: int = 1,
) -> list[dict[str, Any]]:
    """Rows ``{"name", "kind", "output_shape", "params"}``, in the order the blocks run.

    Args:
        model: a network, or ``(space, arch)`` to describe that architecture's child.
        input_length: L of the dummy (1, 4, L) input run through the model.
        arch: the path to run when ``model`` is a :class:`SuperNet`.
        n_tasks: outputs of the child built from ``(space, arch)``.

    ``output_shape`` leaves out the batch dimension. Blocks that do not run on this input
    (ops a supernet holds but ``arch`` does not use) are left out; a supernet layer's
    ``params`` counts every op it holds.
    """
    if isinstance(model, tuple):
        space, arch = model
        model = ChildNet(space, arch, input_length, n_tasks)
    if isinstance(model, ChildNet):
        arch = model.arch
    if isinstance(model, SuperNet) and arch is None:
        raise ValueError("describe_layers of a SuperNet needs the architecture to run")
    rows: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    handles = []
    for name, module in _blocks(model):

        def hook(_m: nn.Module, _inp: Any, out: Any, name: str = name) -> None:
            tensor = out[0] if isinstance(out, tuple) else out
            rows[name]["output_shape"] = tuple(tensor.shape[1:])
            order.append(name)

        rows[name] = {
            "name": name,
            "kind": _kind(name, module, model, arch),
            "output_shape": None,
            "params": sum(p.numel() for p in module.parameters()),
        }
        handles.append(module.register_forward_hook(hook))
    _run_once(model, input_length, arch, handles)
    return [rows[name] for name in dict.fromkeys(order)]


def _run_once(
    model: nn.Module, input_length: int, arch: Architecture | None, handles: list
) -> None:
    """One eval-mode forward of a zero (1, 4, L) input (so the hooks fire); then remove the
    hooks and restore the training mode."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = torch.zeros(1, 4, input_length, device=device)
            model(x, arch) if isinstance(model, SuperNet) else model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)


def forward_flops(model: nn.Module, input_length: int, arch: Architecture | None = None) -> int:
    """Floating-point operations of one sequence's forward pass through the convolutions and
    dense layers (a multiply-add counts 2), counted analytically from their shapes.

    Conv1d: ``2 · C_in/groups · K · C_out · L_out``; Linear: ``2 · in · out``. Pooling,
    normalisation and activations are left out (memory-bound, a few % of the total). A
    training step costs about 3× this (forward, and twice for the backward pass).
    """
    total = 0
    handles = []

    def conv_hook(m: nn.Conv1d, _inp: Any, out: torch.Tensor) -> None:
        nonlocal total
        total += 2 * (m.in_channels // m.groups) * m.kernel_size[0] * m.out_channels * out.shape[-1]

    def linear_hook(m: nn.Linear, _inp: Any, _out: torch.Tensor) -> None:
        nonlocal total
        total += 2 * m.in_features * m.out_features

    for module in model.modules():
        if isinstance(module, nn.Conv1d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    _run_once(model, input_length, arch, handles)
    return total
