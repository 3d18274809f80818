"""Device selection, moving batches onto it, and the CPU threads of the process."""

from __future__ import annotations

import contextlib
import os

import torch

from genas.cpus import available_cpus
from genas.errors import GenasError
from genas.seq.alphabet import to_float


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """``"auto"`` (CUDA if available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``.

    Raises:
        GenasError: the device is unknown or not available on this machine.
    """
    if isinstance(spec, torch.device):
        device = spec
    else:
        text = str(spec).strip().lower()
        if text == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            device = torch.device(text)
        except (RuntimeError, ValueError):
            raise GenasError(f"device {spec!r}: unknown (use auto, cpu, cuda, cuda:N)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise GenasError(f"device {str(device)!r}: CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise GenasError(
                f"device {str(device)!r}: only {torch.cuda.device_count()} CUDA device(s) here"
            )
    elif device.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise GenasError("device 'mps': not available on this machine")
    elif device.type != "cpu":
        raise GenasError(f"device {str(device)!r}: unsupported (use auto, cpu, cuda, cuda:N)")
    return device


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA; a no-op context elsewhere."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Copy a CPU tensor to `device` asynchronously (pinned first when going to CUDA)."""
    if device.type == "cuda" and tensor.device.type == "cpu" and not tensor.is_pinned():
        tensor = tensor.pin_memory()
    return tensor.to(device, non_blocking=True)


def batch_to_float(x: torch.Tensor, device: torch.device, n_value: float) -> torch.Tensor:
    """A one-hot batch (B, 4, L) onto `device` as float32.

    uint8/bool input (the storage form) is moved as bytes and converted on the device
    (:func:`~genas.seq.alphabet.to_float`: N -> ``n_value``, padding -> 0); float input is
    moved and used as it is.
    """
    if x.ndim != 3 or x.shape[1] != 4:
        raise ValueError(f"expected a one-hot batch (B, 4, L), got shape {tuple(x.shape)}")
    x = to_device(x, device)
    if x.dtype in (torch.uint8, torch.bool):
        return to_float(x, n_value)
    return x.to(torch.float32)


# ---------------------------------------------------------------------------- threads


def _omp_num_threads() -> int | None:
    """A positive ``OMP_NUM_THREADS`` the user set, else None."""
    text = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def set_threads(n: int | None = None) -> int:
    """Set the torch CPU threads of this process; returns the number set.

    Args:
        n: intra-op threads (those of a convolution or a matrix product); None: the
            user's ``OMP_NUM_THREADS`` if set, else :func:`available_cpus`. Inter-op
            threads are set to 1 where torch still allows it (before its first parallel
            work): genas runs no inter-op parallel work, and an inter-op thread that did
            would bring ``n`` intra-op threads of its own.

    Call once per process, before the work (the CLI does, from ``--threads`` or the
    config's ``train.threads``). Ray trials set their own (their CPUs reserved).

    Raises:
        GenasError: ``n`` is less than 1.
    """
    if n is None:
        n = _omp_num_threads() or available_cpus()
    elif n < 1:
        raise GenasError(f"threads {n}: must be at least 1")
    torch.set_num_threads(n)
    if torch.get_num_interop_threads() != 1:
        with contextlib.suppress(RuntimeError):  # the inter-op pool already started
            torch.set_num_interop_threads(1)
    return n
