"""The generated documentation is current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_config_reference_is_current():
    """docs/config.md's key reference matches the pydantic models (rerun the script if not)."""
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "config_reference.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_config_section_is_documented():
    """A new section model must be added to the reference's SECTIONS."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import config_reference
    finally:
        sys.path.pop(0)
    from pydantic import BaseModel

    from genas import config

    documented = {model for _, model in config_reference.SECTIONS}
    sections = {value for value in vars(config).values()
                if isinstance(value, type) and issubclass(value, config.StrictModel)
                and value is not config.StrictModel and value.__module__ == config.__name__}
    assert sections - documented == set()
    assert all(issubclass(m, BaseModel) for m in documented)
