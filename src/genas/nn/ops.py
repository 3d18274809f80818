"""The op blocks of a model space — the one definition used by children and the supernet.

Every op block maps (N, C, L) → (N, C, L): stride 1 with 'same' padding, also for even
kernels and dilation (the extra position of an odd total padding goes to the right).

- conv / dilconv: Conv1d(C → C, k, dilation) → BatchNorm → activation. This is AMBER's
  order; the block's output is normalised and (for ReLU) non-negative. No conv bias (the
  BatchNorm shift replaces it).
- sepconv: depthwise Conv1d(k, dilation) → pointwise Conv1d(1) → BatchNorm → activation.
- maxpool / avgpool: Conv1d(C → C, 1) → BatchNorm → ReLU → pool(k, stride 1, 'same').
  Max-pool pads with −inf, avg-pool averages over real positions only.
- identity: the input itself.

Plus the fixed blocks around the searched layers: :class:`Stem` and :class:`Reduction`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from genas.errors import ConfigError
from genas.space.operation import BUILDABLE_TYPES, Operation


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding that keeps the length of a stride-1 window op."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def activation(name: str) -> nn.Module:
    """The activation module for an op's ``activation`` parameter."""
    table: dict[str, type[nn.Module]] = {
        "relu": nn.ReLU,
        "gelu": nn.GELU,
        "elu": nn.ELU,
        "silu": nn.SiLU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "linear": nn.Identity,
    }
    if name not in table:
        raise ValueError(f"unknown activation {name!r} (allowed: {', '.join(table)})")
    return table[name]()


class SameConv1d(nn.Conv1d):
    """Conv1d, stride 1, that keeps the length: (N, C_in, L) → (N, C_out, L).

    Symmetric padding goes to the conv itself; an odd total (even kernel, odd dilation) is
    padded explicitly, one more zero on the right.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
    ):
        left, right = same_padding(kernel_size, dilation)
        symmetric = left == right
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            dilation=dilation,
            groups=groups,
            bias=bias,
            padding=left if symmetric else 0,
        )
        self.extra_pad = (0, 0) if symmetric else (left, right)

    def forward(self, x: Tensor) -> Tensor:
        if self.extra_pad != (0, 0):
            x = F.pad(x, self.extra_pad)
        return super().forward(x)


class _MaxPool1d(torch.autograd.Function):
    """Max-pooling through channels-last memory (see :func:`max_pool1d`)."""

    @staticmethod
    def forward(ctx, x: Tensor, kernel_size: int, stride: int, ceil_mode: bool) -> Tensor:
        channels_last = x.transpose(1, 2).contiguous().transpose(1, 2)
        out, indices = F.max_pool1d(
            channels_last, kernel_size, stride=stride, ceil_mode=ceil_mode, return_indices=True
        )
        ctx.save_for_backward(indices)
        ctx.length = x.shape[-1]
        return out.contiguous()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None]:
        (indices,) = ctx.saved_tensors  # (N, C, L_out): argmax positions along L
        grad_x = grad.new_zeros(*grad.shape[:-1], ctx.length)
        return grad_x.scatter_add_(-1, indices, grad.contiguous()), None, None, None


def max_pool1d(x: Tensor, kernel_size: int, stride: int, ceil_mode: bool = False) -> Tensor:
    """``F.max_pool1d`` of (N, C, L), the same values and gradients, faster when training on CPU.

    PyTorch's CPU kernel that also returns the argmax indices (what its autograd needs) is
    about 15× slower on the (N, C, L) layout than on channels-last memory, and made
    max-pooling a third of a `small`-space child's training step. On CPU with autograd on,
    the input is pooled in channels-last memory and the result and its gradient are laid
    back to (N, C, L) (ops after it are slow on channels-last tensors); the gradient goes to
    the same argmax positions.
    """
    if x.device.type != "cpu" or not (x.requires_grad and torch.is_grad_enabled()):
        return F.max_pool1d(x, kernel_size, stride=stride, ceil_mode=ceil_mode)
    return _MaxPool1d.apply(x, kernel_size, stride, ceil_mode)


class MaxPool1d(nn.MaxPool1d):
    """``nn.MaxPool1d`` (no padding, no dilation) through :func:`max_pool1d`."""

    def forward(self, x: Tensor) -> Tensor:
        return max_pool1d(x, self.kernel_size, self.stride, self.ceil_mode)


class SamePool1d(nn.Module):
    """Max or average pool, stride 1, keeping the length: (N, C, L) → (N, C, L)."""

    def __init__(self, kernel_size: int, mode: str):
        super().__init__()
        if mode not in ("max", "avg"):
            raise ValueError(f"pool mode must be 'max' or 'avg', got {mode!r}")
        self.kernel_size = kernel_size
        self.mode = mode
        self.pad = same_padding(kernel_size)

    def forward(self, x: Tensor) -> Tensor:
        k = self.kernel_size
        if self.mode == "max":
            return max_pool1d(F.pad(x, self.pad, value=float("-inf")), k, stride=1)
        summed = F.avg_pool1d(F.pad(x, self.pad), k, stride=1)
        ones = torch.ones(1, 1, x.shape[-1], dtype=x.dtype, device=x.device)
        real = F.avg_pool1d(F.pad(ones, self.pad), k, stride=1)
        return summed / real

    def extra_repr(self) -> str:
        return f"mode={self.mode}, kernel_size={self.kernel_size}"


def _conv_bn_act(channels: int, op: Operation) -> nn.Sequential:
    p = op.params
    return nn.Sequential(
        SameConv1d(channels, channels, p["kernel_size"], dilation=p["dilation"], bias=False),
        nn.BatchNorm1d(channels),
        activation(p["activation"]),
    )


def _sepconv(channels: int, op: Operation) -> nn.Sequential:
    p = op.params
    return nn.Sequential(
        SameConv1d(
            channels,
            channels,
            p["kernel_size"],
            dilation=p["dilation"],
            groups=channels,
            bias=False,
        ),
        nn.Conv1d(channels, channels, 1, bias=False),
        nn.BatchNorm1d(channels),
        activation(p["activation"]),
    )


def _pool(channels: int, op: Operation) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(channels, channels, 1, bias=False),
        nn.BatchNorm1d(channels),
        nn.ReLU(),
        SamePool1d(op.params["kernel_size"], "max" if op.type == "maxpool" else "avg"),
    )


def build_op(op: Operation, channels: int) -> nn.Module:
    """The block of ``op`` for ``channels`` channels: (N, C, L) → (N, C, L).

    Raises:
        ConfigError: ``op`` is a label-only op (its type is not one genas.nn can build).
    """
    if op.type in ("conv", "dilconv"):
        return _conv_bn_act(channels, op)
    if op.type == "sepconv":
        return _sepconv(channels, op)
    if op.type in ("maxpool", "avgpool"):
        return _pool(channels, op)
    if op.type == "identity":
        return nn.Identity()
    raise ConfigError(
        f"op {op.label!r} is a label-only op; genas.nn builds only {', '.join(BUILDABLE_TYPES)}"
    )


class Stem(nn.Sequential):
    """Conv1d(4 → filters, kernel_size, 'same', no bias) → BatchNorm: (N, 4, L) → (N, F, L)."""

    def __init__(self, in_channels: int, filters: int, kernel_size: int):
        super().__init__(
            SameConv1d(in_channels, filters, kernel_size, bias=False),
            nn.BatchNorm1d(filters),
        )


class Reduction(nn.Sequential):
    """1×1 Conv1d(C_in → C_out) → MaxPool(pool, stride pool, ceil mode).

    (N, C_in, L) → (N, C_out, ceil(L / pool)). As in AMBER: a linear map to the new width,
    then max-pooling; the ceil mode keeps the last partial window (1000 → 250 → 63 → 16).
    """

    def __init__(self, in_channels: int, out_channels: int, pool: int):
        super().__init__(
            nn.Conv1d(in_channels, out_channels, 1),
            MaxPool1d(pool, stride=pool, ceil_mode=True),
        )
