"""File writers of the synthetic benchmark: genas HDF5, DeepSEA .mat layouts, tasks.tsv.

Every file is written to a temporary name beside the target and renamed on success.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from genas.data.simulate.sites import Sites
from genas.fileio import atomic_path, atomic_write_text

#: ACGT -> AGCT (DeepSEA's channel order); the permutation is its own inverse.
ACGT_TO_AGCT = np.array([0, 2, 1, 3])
_MAT73_HEADER = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created by: genas, HDF5 schema 1.00 ."
_COMPRESSION = {"compression": "gzip", "compression_opts": 1}


def _x_chunks(n: int, length: int) -> tuple[int, int, int]:
    return (max(1, min(n, (1 << 20) // max(4 * length, 1))), 4, max(length, 1))


def write_genas_h5(
    path: str | Path,
    x: np.ndarray,
    y: np.ndarray,
    task_names: Sequence[str],
    task_groups: Sequence[str] | None,
    *,
    y_clean: np.ndarray | None = None,
    sites: Sites | None = None,
    motif_ids: Sequence[str] = (),
    attrs: dict | None = None,
    strength: np.ndarray | None = None,
) -> None:
    """genas HDF5 layout.

    Datasets: ``x`` uint8 (N, 4, L) ACGT one-hot, ``y`` (N, T) (uint8 binary labels, else
    float32: regression targets, class indices), ``task_names`` and ``task_groups`` (T,)
    UTF-8 strings (groups optional); optionally ``y_clean`` (N, T) targets before noise and
    group ``planted`` with one dataset per :class:`Sites` column (attr ``motif_ids`` maps
    the ``motif`` column to ids) and ``strength`` (each site's normalised PWM score). File
    attrs ``genas_format=1``, ``alphabet="ACGT"`` plus ``attrs``.
    """
    n, _, length = x.shape
    str_dt = h5py.string_dtype("utf-8")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["genas_format"] = 1
        f.attrs["alphabet"] = "ACGT"
        for k, v in (attrs or {}).items():
            f.attrs[k] = v
        f.create_dataset(
            "x", data=x, chunks=_x_chunks(n, length) if n else None, **(_COMPRESSION if n else {})
        )
        f.create_dataset("y", data=y, dtype=_label_dtype(y))
        if y_clean is not None:
            f.create_dataset("y_clean", data=y_clean, dtype=_label_dtype(y_clean))
        f.create_dataset("task_names", data=list(task_names), dtype=str_dt)
        if task_groups is not None:
            f.create_dataset("task_groups", data=list(task_groups), dtype=str_dt)
        if sites is not None:
            g = f.create_group("planted")
            g.attrs["motif_ids"] = list(motif_ids)
            g.attrs["description"] = (
                "one row per planted site: seq (row of x), motif (index into motif_ids), "
                "start (0-based), strand (+1/-1), task (task that planted it), "
                "decoy (1 = near miss of that task's rule)"
            )
            for name, dtype in (
                ("seq", np.int32),
                ("motif", np.int16),
                ("start", np.int32),
                ("strand", np.int8),
                ("task", np.int16),
                ("decoy", np.uint8),
            ):
                g.create_dataset(name, data=getattr(sites, name).astype(dtype))
            if strength is not None:
                g.create_dataset("strength", data=np.asarray(strength, dtype=np.float32))


def _label_dtype(y: np.ndarray) -> type:
    """uint8 for binary labels (as DeepSEA stores them), float32 for any other targets."""
    return np.uint8 if np.asarray(y).dtype in (np.uint8, np.bool_) else np.float32


def write_deepsea_v73(path: str | Path, x: np.ndarray, y: np.ndarray, prefix: str) -> None:
    """DeepSEA's ``train.mat`` layout: MATLAB v7.3 (HDF5 with a 512-byte userblock).

    Through h5py: ``{prefix}xdata`` uint8 (L, 4, N) in A, G, C, T order and ``{prefix}data``
    uint8 (T, N) — MATLAB sees them as (N, 4, L) and (N, T).
    """
    n, _, length = x.shape
    block = max(1, (64 << 20) // max(4 * length, 1))
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", userblock_size=512) as f:
            kw = _COMPRESSION if n else {}
            chunks = (length, 4, _x_chunks(n, length)[0]) if n else None
            dx = f.create_dataset(
                f"{prefix}xdata", shape=(length, 4, n), dtype=np.uint8, chunks=chunks, **kw
            )
            for i in range(0, n, block):
                dx[:, :, i : i + block] = x[i : i + block, ACGT_TO_AGCT].transpose(2, 1, 0)
            dy = f.create_dataset(f"{prefix}data", data=np.ascontiguousarray(y.T))
            for ds in (dx, dy):
                ds.attrs["MATLAB_class"] = np.bytes_("uint8")
        header = _MAT73_HEADER.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM"
        with open(tmp, "r+b") as fh:
            fh.write(header)


def write_deepsea_v5(path: str | Path, x: np.ndarray, y: np.ndarray, prefix: str) -> None:
    """DeepSEA's ``valid.mat`` / ``test.mat`` layout: MATLAB v5 with ``{prefix}xdata`` uint8
    (N, 4, L) in A, G, C, T order and ``{prefix}data`` uint8 (N, T)."""
    from scipy.io import savemat

    with atomic_path(path) as tmp:
        savemat(
            tmp,
            {f"{prefix}xdata": np.ascontiguousarray(x[:, ACGT_TO_AGCT]), f"{prefix}data": y},
            format="5",
            do_compression=True,
        )


def write_run_config(path: str | Path, config: dict, header: str) -> None:
    """A ready-to-run genas config (YAML) beside the data, ``header`` as leading comments."""
    import yaml

    comment = "".join(f"# {line}\n" for line in header.splitlines())
    atomic_write_text(path, comment + yaml.safe_dump(config, sort_keys=False))


def write_tasks_tsv(path: str | Path, rows: Sequence[tuple[str, str, str]]) -> None:
    """``tasks.tsv``: header ``task\\tgroup\\trule`` then one row per task."""
    lines = ["task\tgroup\trule"] + ["\t".join(r) for r in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")
