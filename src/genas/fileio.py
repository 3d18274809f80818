"""Atomic file writes: write to a temporary file beside the target, then rename.

A reader never sees a half-written file, and a crash leaves the previous version intact.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write to; it replaces `path` only if the block succeeds.

    The temporary file keeps the target's suffix(es), so writers that choose a format by
    extension (h5py, pandas, savemat) behave the same.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = _temporary_affixes(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    except OSError as error:  # e.g. a read-only folder
        raise about_path(error, path) from error
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
            # mkstemp creates 0600, and some writers (safetensors) replace the temporary file
            # with their own 0600 one: give the final file the mode a plain open() would.
            os.chmod(tmp_path, _default_file_mode())
            os.replace(tmp_path, path)
        except OSError as error:
            # A full disk names no file, a failed rename the hidden temporary one: the
            # user knows the file they asked for.
            if error.errno is None or error.filename not in (None, str(tmp_path)):
                raise
            raise about_path(error, path) from error
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _temporary_affixes(path: Path) -> tuple[str, str]:
    """Prefix and suffix of :func:`atomic_path`'s temporary files for ``path``:
    ``.NAME.<8 random characters>.tmp<suffixes of NAME>``."""
    return f".{path.name}.", ".tmp" + "".join(path.suffixes)


# mkstemp's random part: 8 characters of [a-z0-9_] (tempfile._RandomNameSequence)
_TEMPORARY = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp(?P<suffix>.*)")


def is_atomic_temporary(name: str) -> bool:
    """Whether a file name is one of :func:`atomic_path`'s temporary files (left behind
    only when the process writing it was killed)."""
    match = _TEMPORARY.fullmatch(name)
    if match is None:
        return False
    return _temporary_affixes(Path(match["target"]))[1] == ".tmp" + match["suffix"]


def about_path(error: OSError, path: str | Path) -> OSError:
    """The same error (its OSError subclass follows from the errno), about `path`: for an
    error that names no file (a full disk) or a hidden temporary one."""
    return OSError(error.errno, error.strerror, str(path))


def _default_file_mode() -> int:
    """0o666 less the process umask: the mode ``open(path, "w")`` gives a new file."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """JSON with NaN and ±infinity written as null (valid JSON for every reader).

    ``allow_nan=False`` guards the promise: a non-finite number that escaped the
    conversion raises instead of writing ``NaN`` or ``Infinity`` tokens.
    """
    text = json.dumps(_non_finite_to_none(obj), indent=2, allow_nan=False)
    atomic_write_text(path, text + "\n")


def _non_finite_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _non_finite_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_non_finite_to_none(v) for v in obj]
    return obj
