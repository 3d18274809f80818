"""How many CPUs this process may use: its CPU affinity, counted in physical cores, capped by
its cgroup CPU quota. Torch threads (``genas.train.device``) and worker processes
(``genas.parallel.processes``) are both sized from it."""

from __future__ import annotations

import math
import os
from pathlib import Path

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
