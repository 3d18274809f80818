"""What a resumed command must share with the run it continues, and the one-line refusal.

`genas search --resume` and `genas train --resume` compare the run folder's ``config.yaml``
with the config that resumes it, key by key, before they touch the folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from genas.config import RunConfig, StrictModel
from genas.errors import GenasError, shown


def check_unchanged(
    saved: RunConfig, config: RunConfig, keys: Iterable[tuple[str, ...]], source: Path
) -> None:
    """Raise :func:`refuse_resume` for the first of ``keys`` (attribute paths such as
    ``("train", "lr")``) whose value differs between ``saved`` and ``config``, naming the
    innermost key that differs (``data.length``, not ``data``)."""
    for key in keys:
        old, new = saved, config
        for part in key:
            old, new = getattr(old, part, None), getattr(new, part, None)
        if old == new:
            continue
        path = list(key)
        while isinstance(old, StrictModel) and type(old) is type(new):
            part = next(n for n in type(old).model_fields if getattr(old, n) != getattr(new, n))
            old, new = getattr(old, part), getattr(new, part)
            path.append(part)
        refuse_resume(source, ".".join(path), old, new)


def refuse_resume(source: Path, key: str, old: Any, new: Any) -> None:
    """A one-line :class:`GenasError`: ``key`` of ``source`` was ``old``, is now ``new``."""
    change = (
        f"{shown(new, 80)} (the run has {shown(old, 80)})"
        if not isinstance(old, StrictModel) else "another value than the run's"
    )
    raise GenasError(
        f"{source}: cannot resume with {key} = {change}; start a new run folder, "
        f"or resume with the run's own {key.split(' ')[0]}"
    )
