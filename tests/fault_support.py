"""Fault injection for a search: number the points where it writes its run folder, and make
one of them fail, as a kill -9 or as a full disk.

Kill points are where the state on disk changes: just before and just after each rename
into the run folder (``os.replace``: every atomic write, and the checkpoint's move of the
current checkpoint to ``search_state.prev.pt``), and before, halfway through (a torn line)
and after each append to a JSON-lines file. A kill anywhere else leaves the same files as a
kill at the next of these points, so these are every state a kill can leave.

Write points are the writes themselves (each :func:`genas.fileio.atomic_path` block and
each append); on a full disk the N-th fails with ``ENOSPC`` after writing part of its data,
as a real write does: an atomic write then leaves its target as it was, an append a torn
last line.

Run as a script, it runs ``genas ARGS`` killed at one kill point (for a test that needs a
real SIGKILL): ``python fault_support.py POINT RUN_DIR ARGS...``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import genas.fileio
import genas.workflows.search_run  # noqa: F401 (loads every module a search writes with)
from genas.search import history

Setattr = Callable[[object, str, object], None]


class SearchFaults:
    """Count the kill and write points of a search writing ``run_dir``; with ``fail_at``,
    fail the point of that index (``fault``: ``"kill"`` counts kill points and sends
    SIGKILL, ``"enospc"`` counts write points and raises ``OSError(ENOSPC)``).

    Attributes:
        kill_points / write_points: a description of each point passed, in order.
        before_failure: the run folder's files (relative path -> bytes) just before the
            failing write began (``"enospc"``).
        failed_path: the file whose write failed (``"enospc"``).
    """

    def __init__(self, run_dir: str | Path, fail_at: int | None = None, fault: str = "kill"):
        self.run_dir = Path(run_dir).resolve()
        self.fail_at = fail_at
        self.fault = fault
        self.kill_points: list[str] = []
        self.write_points: list[str] = []
        self.before_failure: dict[str, bytes] | None = None
        self.failed_path: Path | None = None
        self._full_disk = False  # the next `open` of the history module fails its write

    def install(self, setattr_: Setattr) -> None:
        """Wrap ``os.replace``, ``history.append_jsonl`` (and the ``open`` it uses) and every
        module's ``atomic_path`` (``setattr_``: ``monkeypatch.setattr`` with
        ``raising=False``, or ``setattr`` in a process that ends).

        The modules of a search are imported with this one, so none imports ``atomic_path``
        while it is wrapped (it would keep the wrapper after the test).
        """
        real_replace, real_append = os.replace, history.append_jsonl
        real_atomic = genas.fileio.atomic_path

        def replace(source, target, *args, **kwargs):
            ours = self._ours(target)
            if ours:
                self._kill_point(f"before renaming onto {Path(target).name}")
            real_replace(source, target, *args, **kwargs)
            if ours:
                self._kill_point(f"after renaming onto {Path(target).name}")

        def append_jsonl(path: Path, rows: list[dict]) -> None:
            self._kill_point(f"before appending to {path.name}")
            if self._fails_next("kill", self.kill_points):  # the kill cuts the write short
                text = "".join(json.dumps(row) + "\n" for row in rows)
                _append(path, text[: len(text) // 2])
            self._kill_point(f"halfway through appending to {path.name}")
            self._full_disk = self._write_point(f"append to {path.name}", path)
            real_append(path, rows)  # through self._open: fails halfway on a full disk
            self._kill_point(f"after appending to {path.name}")

        @contextlib.contextmanager
        def atomic_path(path: str | Path) -> Iterator[Path]:
            failing = self._write_point(f"atomic write of {Path(path).name}", Path(path))
            with real_atomic(path) as tmp:
                if failing:  # the writer stores part of the file, then the disk is full
                    tmp.write_bytes(b"\0" * 64)
                    raise _enospc()
                yield tmp

        setattr_(os, "replace", replace)
        setattr_(history, "append_jsonl", append_jsonl)
        setattr_(history, "open", self._open)  # the module's own `open`, before builtins'
        for module in list(sys.modules.values()):
            if getattr(module, "atomic_path", None) is real_atomic:
                setattr_(module, "atomic_path", atomic_path)

    def _ours(self, path: str | Path) -> bool:
        return Path(os.path.abspath(path)).resolve().is_relative_to(self.run_dir)

    def _fails_next(self, fault: str, points: list[str]) -> bool:
        return self.fault == fault and len(points) == self.fail_at

    def _kill_point(self, what: str) -> None:
        if self._fails_next("kill", self.kill_points):
            os.kill(os.getpid(), signal.SIGKILL)
        self.kill_points.append(what)

    def _write_point(self, what: str, path: Path) -> bool:
        """Count a write; whether it is the one to fail (the folder is then recorded)."""
        failing = self._fails_next("enospc", self.write_points)
        self.write_points.append(what)
        if failing:
            self.before_failure = files_of(self.run_dir)
            self.failed_path = path
        return failing

    def _open(self, *args, **kwargs):
        handle = open(*args, **kwargs)  # noqa: SIM115 (the caller closes it)
        if not self._full_disk:
            return handle
        self._full_disk = False
        return _FullDisk(handle)


class _FullDisk:
    """A text file on a disk that fills up: its first write stores half of the text, then
    fails as ``write`` does (no file named)."""

    def __init__(self, handle):
        self._handle = handle

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def write(self, text: str) -> int:
        self._handle.write(text[: len(text) // 2])
        self._handle.flush()
        raise _enospc()

    def __getattr__(self, name: str):
        return getattr(self._handle, name)


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but the lock (relative path -> content)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _append(path: Path, text: str) -> None:
    with open(path, "a") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


if __name__ == "__main__":
    point, run_dir, *args = sys.argv[1:]
    SearchFaults(run_dir, fail_at=int(point), fault="kill").install(setattr)
    # the script's own imports are done: from here on only the search renames and appends
    from genas.cli import app

    app(args, prog_name="genas")
