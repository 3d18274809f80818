"""User-facing errors.

Every problem caused by the user's input (a file, a config key, an option) raises a
:class:`GenasError` subclass whose message is one line naming the file (and line, record
or key) and the problem. The CLI prints that line and exits non-zero, without a traceback.
"""

from __future__ import annotations

import errno
import os
import reprlib
from pathlib import Path
from typing import Any


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for an error message.

    Only the part shown is looked at (:mod:`reprlib`), so a huge or deeply nested value read
    from a user's file never gets expanded into a message.
    """
    short = reprlib.Repr()
    short.maxstring = short.maxother = short.maxlong = limit
    text = short.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class GenasError(Exception):
    """Base class of every error the CLI reports as one line."""


class InputError(GenasError):
    """A bad input file: malformed, wrong shape, missing, empty, ..."""

    def __init__(self, path: str | Path | None, problem: str, line: int | None = None):
        self.path = None if path is None else str(path)
        self.problem = problem
        self.line = line
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {problem}")


def missing_file(path: str | Path) -> InputError:
    """The error for an input file that is not there: absent, or a folder in its place."""
    return InputError(path, "a folder, not a file" if Path(path).is_dir() else "file not found")


class ConfigError(GenasError):
    """A bad run configuration (unknown key, wrong type, missing file ...)."""


#: Exceptions the CLI reports as one line (:func:`error_line`) instead of a traceback:
#: the user's input, or the machine it runs on (permissions, a full disk, memory), caused
#: them; a traceback would not help the user fix them.
REPORTED_ERRORS: tuple[type[BaseException], ...] = (
    GenasError,
    OSError,
    MemoryError,
    RecursionError,
    UnicodeError,
    EOFError,
)

# The reasons worth rewording; any other OSError keeps its system message.
_OS_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EISDIR: "is a folder, expected a file",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ENOENT: "not found",
    errno.ENAMETOOLONG: "file name too long",
}


def error_line(error: BaseException) -> str:
    """One line describing one of :data:`REPORTED_ERRORS`, naming the path of an OSError."""
    if isinstance(error, GenasError):
        text = str(error)
    elif isinstance(error, OSError):
        text = _os_error_text(error)
    elif isinstance(error, MemoryError):
        text = f"out of memory{f': {error}' if str(error) else ''}"
    elif isinstance(error, RecursionError):
        text = f"input nested too deeply ({error})"
    elif isinstance(error, UnicodeError):
        text = f"not valid text ({error})"
    elif isinstance(error, EOFError):
        text = f"unexpected end of input{f' ({error})' if str(error) else ''}"
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.splitlines())


def _os_error_text(error: OSError) -> str:
    """``PATH: reason`` (``SOURCE -> TARGET: reason`` for a failed rename or copy)."""
    if error.errno is None:  # raised with a message only (h5py, pysam ...)
        return str(error)
    paths = [
        os.fsdecode(p) if isinstance(p, bytes) else str(p)
        for p in (error.filename, error.filename2)
        if p is not None
    ]
    reason = _OS_REASONS.get(error.errno) or error.strerror or str(error)
    if error.errno == errno.EEXIST:  # e.g. a folder was wanted where a file is
        where = paths[-1] if paths else ""
        reason = "already exists" + ("" if os.path.isdir(where) else " and is not a folder")
    return f"{' -> '.join(paths)}: {reason}" if paths else reason
