"""Device selection, moving batches onto it, and the CPU threads of the process."""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path

import torch

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

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")
CPU_SYSFS = Path("/sys/devices/system/cpu")


def _read(path: Path) -> str | None:
    """The text of a small system file; None where it cannot be read (absent, no access)."""
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _quota(quota: str, period: str) -> float | None:
    """CPUs a CFS quota allows (``quota / period``); None for no quota or unreadable text."""
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # cgroup v2 "max": no quota
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def _cgroup_limits(mount: Path, relative: str, read_one) -> list[float]:
    """The quotas ``read_one(folder)`` finds in the process's cgroup folder and each folder
    above it up to ``mount``: the tightest of them binds."""
    folder = mount / relative.strip("/")
    limits = []
    while True:
        if (limit := read_one(folder)) is not None:
            limits.append(limit)
        if folder == mount or mount not in folder.parents:
            return limits
        folder = folder.parent


def _v2_quota(folder: Path) -> float | None:
    fields = (_read(folder / "cpu.max") or "").split()  # "max 100000" or "150000 100000"
    return _quota(fields[0], fields[1]) if len(fields) == 2 else None


def _v1_quota(folder: Path) -> float | None:
    quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
    return _quota(quota.strip(), period.strip()) if quota and period else None


def cgroup_cpu_limit() -> float | None:
    """CPUs this process's cgroup CPU quota allows (e.g. 1.5 for ``docker --cpus 1.5``, a
    Kubernetes CPU limit, a Slurm job with CPU bandwidth control); None without a quota.

    The process's cgroup comes from ``/proc/self/cgroup`` (v2 ``0::PATH``; v1 the ``cpu``
    controller's line); its ``cpu.max`` (v2) or ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``
    (v1) and those of the cgroups above it are read, and the tightest quota is returned.
    """
    limits = []
    for line in (_read(PROC_CGROUP) or "0::/\n").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, relative = parts
        if hierarchy == "0" and controllers == "":
            limits += _cgroup_limits(CGROUP_ROOT, relative, _v2_quota)
        elif "cpu" in controllers.split(","):
            limits += _cgroup_limits(CGROUP_ROOT / "cpu", relative, _v1_quota)
    return min(limits) if limits else None


def _physical_cores(cpus: set[int]) -> int | None:
    """Distinct physical cores among the logical CPUs ``cpus`` (hyperthreads of one core
    count once), from sysfs; None where the topology cannot be read."""
    cores = set()
    for cpu in cpus:
        topology = CPU_SYSFS / f"cpu{cpu}" / "topology"
        package, core = _read(topology / "physical_package_id"), _read(topology / "core_id")
        if package is None or core is None:
            return None
        cores.add((package.strip(), core.strip()))
    return len(cores) or None


def available_cpus() -> int:
    """CPUs this process may use: the physical cores of its CPU affinity (``taskset``,
    Slurm's ``--cpus-per-task``, a cpuset; logical CPUs where the topology is unknown),
    capped by its cgroup CPU quota (rounded up), at least 1.

    torch's own default is the machine's physical cores, whether this process may use them
    or not: a job given 4 of 64 cores then runs 32 threads that wait for each other.
    """
    try:
        cpus = set(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = set(range(os.cpu_count() or 1))
    n = _physical_cores(cpus) or len(cpus)
    limit = cgroup_cpu_limit()
    if limit is not None:
        n = min(n, math.ceil(limit))
    return max(1, n)


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
