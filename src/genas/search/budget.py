"""Wall-clock budgets: "90s", "30m", "2h", "1h30m", or plain seconds."""

from __future__ import annotations

import re

from genas.errors import ConfigError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_budget(text: str | float | int | None) -> float | None:
    """Seconds of a budget string (None stays None); ConfigError on anything else."""
    if text is None:
        return None
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        cleaned = text.strip().lower().replace(" ", "")
        try:
            seconds = float(cleaned)
        except ValueError:
            parts = _PART.findall(cleaned)
            if not parts or "".join(n + u for n, u in parts) != cleaned:
                raise ConfigError(
                    f"budget {text!r}: expected a duration like 90s, 30m, 2h or 1h30m"
                ) from None
            seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(f"budget {text!r}: must be positive")
    return seconds
