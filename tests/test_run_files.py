"""genas.run_files owns the names of a run folder's files: no other module spells one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import genas.run_files as run_files
from genas.config import RunConfig, load_config
from genas.errors import InputError

PACKAGE = Path(run_files.__file__).parent
NAMES = {
    value: key for key, value in vars(run_files).items() if key.isupper() and isinstance(value, str)
}


def _spelled_names(path: Path) -> list[str]:
    """Run-folder names written out in ``path``: a file name (with its dot) anywhere as a
    string, or a folder name as the right side of ``/`` (``"motifs"`` alone is also a key)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            node = node.right
        elif not (isinstance(node, ast.Constant) and "." in str(node.value)):
            continue
        if isinstance(node, ast.Constant) and node.value in NAMES:
            found.add(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
    return sorted(found)


def test_no_two_names_are_the_same_file() -> None:
    constants = [v for k, v in vars(run_files).items() if k.isupper() and isinstance(v, str)]
    assert len(constants) == len(set(constants))


def test_only_run_files_spells_a_run_folder_name() -> None:
    spelled = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != Path(run_files.__file__)
        for line in _spelled_names(path)
    ]
    assert spelled == [], "use the names of genas.run_files: " + "; ".join(spelled)


def test_write_config_writes_the_resolved_config(tmp_path: Path) -> None:
    config = RunConfig.model_validate({"seed": 7, "data": {"format": "table", "train": "t.csv"}})
    run_files.write_config(tmp_path, config)
    assert sorted(p.name for p in tmp_path.iterdir()) == [run_files.CONFIG_YAML]
    assert load_config(tmp_path / run_files.CONFIG_YAML).seed == 7


def test_read_json(tmp_path: Path) -> None:
    assert run_files.read_json(tmp_path / run_files.METRICS_JSON) is None
    (tmp_path / run_files.METRICS_JSON).write_text('{"a": 1}')
    assert run_files.read_json(tmp_path / run_files.METRICS_JSON) == {"a": 1}
    (tmp_path / run_files.METRICS_JSON).write_text('{"a": 1,\n')
    with pytest.raises(InputError, match=r"metrics\.json:2: not valid JSON"):
        run_files.read_json(tmp_path / run_files.METRICS_JSON)
    (tmp_path / run_files.METRICS_JSON).write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InputError, match=r"metrics\.json: not UTF-8 text"):
        run_files.read_json(tmp_path / run_files.METRICS_JSON)
    (tmp_path / run_files.METRICS_JSON).write_text("[1, 2]")
    with pytest.raises(InputError, match=r"metrics\.json: not a JSON object \(a list\)"):
        run_files.read_json(tmp_path / run_files.METRICS_JSON)
