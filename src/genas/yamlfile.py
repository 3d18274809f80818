"""Read a user's YAML file (run config, model space) with bounds, strictly.

PyYAML's ``safe_load`` runs no code but trusts the document's size: nested aliases (a
"billion laughs" file) expand a few hundred bytes into billions of nodes as soon as anything
walks or prints the result, a deeply nested document raises ``RecursionError``, and a key
given twice silently keeps its last value. :func:`load_yaml` composes the document into
PyYAML's node graph first (where an alias is one shared node, so nothing is expanded), checks
it, and only then builds Python objects. Every problem is a one-line
:class:`~genas.errors.InputError` naming the file (and line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from genas.errors import InputError, shown

#: Largest YAML file read, in bytes: a config or model space is a few kB.
MAX_YAML_BYTES = 1 << 20
#: Largest document once aliases are expanded, counted in nodes plus scalar characters.
#: An alias-free file stays well under 4x its size, so only alias amplification hits this.
MAX_YAML_EXPANDED = 4 * MAX_YAML_BYTES
#: Deepest nesting of collections (genas's own files nest 4 deep).
MAX_YAML_DEPTH = 100

_MERGE_TAG = "tag:yaml.org,2002:merge"


def load_yaml(path: str | Path) -> Any:
    """The Python value of the YAML document in ``path`` (``None`` for an empty file).

    Raises:
        InputError: the file cannot be read, is not UTF-8, is larger than
            :data:`MAX_YAML_BYTES`, is not valid YAML, repeats a key of a mapping, nests
            deeper than :data:`MAX_YAML_DEPTH`, or expands (through aliases) past
            :data:`MAX_YAML_EXPANDED`.
    """
    path = Path(path)
    text = _read_text(path)
    try:
        loader = _Loader(text)
    except yaml.YAMLError as error:  # a character YAML does not allow (NUL, ...)
        raise _yaml_error(path, error, text) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(path, node)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise _yaml_error(path, error, text) from None
    except ValueError as error:  # a scalar PyYAML cannot convert: 2024-13-01, a 5000-digit int
        raise InputError(path, f"not valid YAML: {str(error)[:200]}") from None
    except RecursionError:
        raise InputError(
            path, f"YAML nested too deeply (more than {MAX_YAML_DEPTH} levels)"
        ) from None
    finally:
        loader.dispose()


def _read_text(path: Path) -> str:
    """The file's text, read only up to the size limit."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_YAML_BYTES + 1)
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror or error}") from None
    if len(data) > MAX_YAML_BYTES:
        raise InputError(path, f"larger than {MAX_YAML_BYTES:,} bytes; not a genas YAML file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise InputError(path, f"not UTF-8 text (byte 0x{byte:02x})", line=line) from None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing deep flow nesting (``[[[[...``) as it reads it.

    PyYAML's scanner does work proportional to the flow depth for every token, so 100,000
    ``[`` take minutes before the composer's ``RecursionError``; stopping at the limit is
    immediate. (Deep *block* nesting needs indentation, so the size limit bounds it.)
    """

    def fetch_flow_collection_start(self, TokenClass: type) -> None:  # noqa: N803 (PyYAML's name)
        if self.flow_level >= MAX_YAML_DEPTH:
            raise yaml.scanner.ScannerError(
                None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", self.get_mark()
            )
        super().fetch_flow_collection_start(TokenClass)


def _yaml_error(path: Path, error: yaml.YAMLError, text: str = "") -> InputError:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return InputError(path, f"not valid YAML: {str(problem)[:200]}", line=line)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_nodes(path: Path, root: yaml.Node) -> None:
    """Reject repeated keys, recursive aliases, deep nesting and large alias expansion.

    Walks each distinct node once (iteratively: the graph may be deep), computing the
    size and depth of its expansion from its children's.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            _check_bounds(path, node, size[key], depth[key])
            continue
        if key in size:
            continue  # an alias of a node already checked
        if key in on_path:
            raise InputError(path, "recursive YAML alias", line=node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            size[key], depth[key] = 1 + len(node.value), 0
            _check_bounds(path, node, size[key], 0)
            continue
        if isinstance(node, yaml.MappingNode):
            _reject_repeated_keys(path, node)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)


def _check_bounds(path: Path, node: yaml.Node, expanded: int, depth: int) -> None:
    line = node.start_mark.line + 1
    if expanded > MAX_YAML_EXPANDED:
        raise InputError(
            path,
            f"YAML aliases expand past {MAX_YAML_EXPANDED:,} nodes and characters "
            "(nested aliases, a 'billion laughs' file?)",
            line=line,
        )
    if depth > MAX_YAML_DEPTH:
        raise InputError(path, f"YAML nested more than {MAX_YAML_DEPTH} levels deep", line=line)


def _reject_repeated_keys(path: Path, node: yaml.MappingNode) -> None:
    """PyYAML keeps the last of two equal keys; a repeated key is almost always a mistake."""
    seen: set[tuple[str, str]] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
            continue  # `<<: *defaults` may override merged keys, as YAML intends
        key = (key_node.tag, key_node.value)
        if key in seen:
            raise InputError(
                path, f"duplicate key {shown(key_node.value)}", line=key_node.start_mark.line + 1
            )
        seen.add(key)
