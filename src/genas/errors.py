"""User-facing errors.

Every problem caused by the user's input (a file, a config key, an option) raises a
:class:`GenasError` subclass whose message is one line naming the file (and line, record
or key) and the problem. The CLI prints that line and exits non-zero, without a traceback.
"""

from __future__ import annotations

from pathlib import Path


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


class ConfigError(GenasError):
    """A bad run configuration (unknown key, wrong type, missing file ...)."""
