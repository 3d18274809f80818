"""The bounded, strict YAML loader shared by run configs and model spaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from yaml_support import billion_laughs

from genas.errors import InputError, shown
from genas.yamlfile import MAX_YAML_BYTES, MAX_YAML_DEPTH, load_yaml


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "file.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_plain_documents_load(tmp_path: Path) -> None:
    assert load_yaml(_write(tmp_path, "a: [1, 2]\nb: {c: x}\n")) == {"a": [1, 2], "b": {"c": "x"}}
    assert load_yaml(_write(tmp_path, "")) is None
    # A few aliases, and a merge key overriding merged keys, are fine.
    text = "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 5\ne: [*b, *b]\n"
    data = load_yaml(_write(tmp_path, text))
    assert data["d"] == {"x": 5, "y": 2} and data["e"] == [{"x": 1, "y": 2}] * 2


def test_billion_laughs_refused_before_expanding(tmp_path: Path) -> None:
    # 9 levels expand to 10**9 strings: refused by counting the composed nodes, not by
    # building them (a loader that built them would exhaust memory here, not pass)
    path = _write(tmp_path, billion_laughs(9))
    with pytest.raises(InputError, match=r"file.yaml:\d+: YAML aliases expand past"):
        load_yaml(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb:\n  c: 2\n  c: 3\n", r"file.yaml:4: duplicate key 'c'"),
        ("name: x\nname: y\n", r"file.yaml:2: duplicate key 'name'"),
        ("[" * 100_000, rf"file.yaml:1: not valid YAML: nested more than {MAX_YAML_DEPTH}"),
        ("".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "v\n",
         "file.yaml: YAML nested too deeply"),
        ("a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 200)),
         rf"file.yaml:\d+: YAML nested more than {MAX_YAML_DEPTH} levels deep"),
        ("a: &a [*a]\n", "file.yaml:1: recursive YAML alias"),
        ("a: *nowhere\n", "file.yaml:1: not valid YAML: found undefined alias"),
        ("a: 2024-13-01\n", "file.yaml: not valid YAML: month must be in 1..12"),
        ("a: \x00\n", "file.yaml:1: not valid YAML: unacceptable character"),
        (b"a: 1\nb: caf\xe9\n", r"file.yaml:2: not UTF-8 text \(byte 0xe9\)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", r"file.yaml:1: not UTF-8 text \(byte 0x89\)"),
        ("# " + "x" * MAX_YAML_BYTES, "file.yaml: larger than"),
    ],
)
def test_bad_documents_are_one_line_errors(tmp_path: Path, text: str | bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        load_yaml(_write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_yaml(tmp_path)  # a folder


def test_shown_never_expands_a_large_value() -> None:
    nested: list = ["lol"] * 10
    for _ in range(8):
        nested = [nested] * 10  # 10**9 leaves, shared
    assert len(shown(nested)) <= 60
    assert len(shown("x" * 10**6)) <= 60
    assert shown("abc") == "'abc'"
