"""The lock of a run folder: one command at a time writes into it (DESIGN.md §2).

Every command that writes a run folder (``train``, ``search``, ``retrain``, ``compare``,
``evaluate``, ``report``, ``motifs``, ``fidelity``) holds an exclusive advisory lock
(:func:`fcntl.flock`) on ``RUN/.lock`` while it writes; a second command gets a one-line
:class:`~genas.errors.GenasError` naming the folder and the holder's process id, which the
holder writes into the lock file. The kernel drops the lock when the holder's process ends,
however it ends, so a ``kill -9`` never leaves a folder locked; the holder removes the file
when it lets go (a killed one leaves it, and the next command takes it over).

Taking the lock of a run folder (one with a ``config.yaml``) also removes the temporary files
of :func:`genas.fileio.atomic_path` that a killed writer left in it: no live writer can be
making them while the lock is held.

The lock is reentrant within a thread: ``search --retrain`` retrains and writes the report
in the folder its search holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from genas.errors import GenasError
from genas.fileio import is_atomic_temporary
from genas.run_files import CONFIG_YAML, LOCK_FILE

#: Folder levels searched for temporaries (RUN/replicate_1/top_k/rank_2/checkpoint).
SWEEP_DEPTH = 4
T = TypeVar("T")


@dataclass
class _Held:
    fd: int
    thread: int


_held: dict[Path, _Held] = {}  # resolved folder -> the lock this process holds on it
_guard = threading.Lock()


@contextlib.contextmanager
def run_folder_lock(folder: str | Path, *, create: bool = False) -> Iterator[Path]:
    """Hold the lock of run folder ``folder`` for the ``with`` block; yields the folder.

    Args:
        create: make the folder (and its parents) if missing; else a missing folder is an
            error. Call it once the command's input is validated, so that a refused command
            leaves nothing behind.

    Raises:
        GenasError: another command (or another thread of this one) holds the folder, or
            ``folder`` is not a folder (missing, and ``create`` is false).
    """
    folder = Path(folder)
    if create and not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():
        raise GenasError(f"{folder}: not a folder")
    key, me = folder.resolve(), threading.get_ident()
    with _guard:
        held = _held.get(key)
    if held is not None and held.thread == me:  # an outer block of this thread holds it
        yield folder
        return
    fd = _acquire(folder)
    with _guard:
        _held[key] = _Held(fd, me)
    try:
        if _is_run_folder(folder):  # not a folder given by mistake
            remove_stale_temporaries(folder)
        yield folder
    finally:
        with _guard:
            del _held[key]
        _release(folder, fd)


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete the :func:`~genas.fileio.atomic_path` temporaries under ``folder`` (a killed
    writer's); returns them. Sub-folders holding their own lock file are other runs'
    (replicates, fidelity trainings) and are left to their own lock. Call it with the lock
    of ``folder`` held."""
    folder = Path(folder)
    removed = []
    for root, dirs, files in os.walk(folder):
        depth = len(Path(root).relative_to(folder).parts)
        if depth and LOCK_FILE in files:
            dirs.clear()
            continue
        if depth == SWEEP_DEPTH:  # deep enough for any run's files; `report ~` stays quick
            dirs.clear()
        for name in files:
            if is_atomic_temporary(name):
                path = Path(root) / name
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a run: its ``config.yaml``, or the temporary file of a
    first one whose writer was killed before renaming it (found by fault injection)."""
    if (folder / CONFIG_YAML).is_file():
        return True
    return any(
        name.startswith(f".{CONFIG_YAML}.") and is_atomic_temporary(name)
        for name in os.listdir(folder)
    )


def lock_holder(folder: str | Path) -> str | None:
    """What the lock file of ``folder`` says about its holder (``"PID on HOST"``), if any."""
    try:
        return _describe((Path(folder) / LOCK_FILE).read_text())
    except (OSError, UnicodeDecodeError):
        return None


def _acquire(folder: Path) -> int:
    path = folder / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = lock_holder(folder) or "unknown"
            raise GenasError(
                f"{folder}: in use by another genas command (pid {holder}); wait for it to "
                "end, or use another run folder"
            ) from None
        except OSError as error:  # a file system without locks
            os.close(fd)
            raise GenasError(f"{path}: cannot lock the run folder ({error.strerror})") from None
        # The previous holder removes the file as it lets go: the lock then belongs to a file
        # nobody else will open. Keep it only if it is still the folder's lock file.
        if _is_open_as(fd, path):
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
    return fd


def _release(folder: Path, fd: int) -> None:
    with contextlib.suppress(OSError):  # the folder may be gone
        (folder / LOCK_FILE).unlink()
    os.close(fd)  # after the unlink: a waiter that got the old file sees it is gone


def _is_open_as(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _describe(text: str) -> str | None:
    """``"PID"`` (this host) or ``"PID on HOST"`` from a lock file's text."""
    parts = text.split()
    if not parts or not parts[0].isdigit():
        return None
    if len(parts) > 1 and parts[1] != socket.gethostname():
        return f"{parts[0]} on {parts[1][:100]}"
    return parts[0]


def locks_run_folder(function: Callable[..., T]) -> Callable[..., T]:
    """Decorator of a workflow whose first argument is an existing run folder: it runs
    holding that folder's lock."""

    @functools.wraps(function)
    def locked(run_dir: str | Path, *args: Any, **kwargs: Any) -> T:
        with run_folder_lock(run_dir):
            return function(run_dir, *args, **kwargs)

    return locked
