"""Run folders seen from a worker: on a cluster they must be on shared storage."""

from __future__ import annotations

import socket
from pathlib import Path

from genas.errors import GenasError


def require_shared_dir(path: str | Path) -> Path:
    """``path`` as a Path, after checking it exists here (the driver creates it first).

    Raises:
        GenasError: it does not: this worker runs on a machine that does not see the
            driver's run folder.
    """
    path = Path(path)
    if not path.is_dir():
        raise GenasError(
            f"{path}: run folder not found on {socket.gethostname()}; put the run folder on "
            "storage every Ray node mounts at the same path"
        )
    return path
