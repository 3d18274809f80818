"""The package's layers (DESIGN.md §2): data flows one way, and a module never imports one
of a higher layer, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "genas"

#: Each top-level module or subpackage of genas and its layer, lowest first; a module may
#: import its own layer and those below it.
LAYERS = {
    **dict.fromkeys(
        ("errors", "fileio", "yamlfile", "config", "run_lock", "run_files", "cpus", "table_files"),
        0,
    ),
    **dict.fromkeys(("seq", "space", "parallel"), 1),
    **dict.fromkeys(("data", "nn"), 2),
    "train": 3,
    **dict.fromkeys(("search", "analysis"), 4),
    "report": 5,
    "workflows": 6,
    "cli": 7,
}


def _unit(path: Path) -> str:
    """The top-level module or subpackage of genas that ``path`` belongs to."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _imported_units(path: Path) -> set[str]:
    """The genas units ``path`` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found |= {m.split(".")[1] for m in modules if m.startswith("genas.")}
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_every_unit_has_a_layer() -> None:
    units = {_unit(p) for p in MODULES}
    assert units - LAYERS.keys() == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path: Path) -> None:
    own = LAYERS[_unit(path)]
    higher = {unit for unit in _imported_units(path) if LAYERS.get(unit, -1) > own}
    assert higher == set(), f"{path.relative_to(PACKAGE)} imports the higher layer(s) {higher}"
