"""Named model spaces shipped with genas (YAML files in ``space/presets/``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from genas.errors import ConfigError
from genas.space.model_space import ModelSpace

PRESET_DIR = Path(__file__).parent / "presets"


def list_presets() -> list[str]:
    """Names of the bundled spaces (``amber-deepsea``, ``small``, ...)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


@cache
def _load_preset(name: str) -> ModelSpace:
    return ModelSpace.from_yaml(PRESET_DIR / f"{name}.yaml")


def get_space(name_or_path: str | Path | ModelSpace) -> ModelSpace:
    """A model space from a preset name, a YAML path, or a :class:`ModelSpace` (returned as is).

    Raises:
        ConfigError: neither a preset nor an existing file.
        InputError: the YAML file is invalid.
    """
    if isinstance(name_or_path, ModelSpace):
        return name_or_path
    text = str(name_or_path)
    if isinstance(name_or_path, str) and text in list_presets():
        return _load_preset(text)
    path = Path(text)
    if path.is_file():
        return ModelSpace.from_yaml(path)
    if path.suffix in (".yaml", ".yml"):
        raise ConfigError(f"model space file not found: {path}")
    raise ConfigError(
        f"unknown model space {text!r} (presets: {', '.join(list_presets())}; "
        "or the path of a space YAML file)"
    )
