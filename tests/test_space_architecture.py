"""Architecture: tokens, validation, JSON, hash, description."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from genas.errors import InputError
from genas.space import Architecture, ModelSpace, get_space, sample_architecture


@pytest.fixture(params=["amber-deepsea", "small"])
def space(request: pytest.FixtureRequest) -> ModelSpace:
    return get_space(request.param)


def test_token_round_trip(space: ModelSpace) -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        arch = sample_architecture(space, rng)
        tokens = arch.to_tokens()
        assert len(tokens) == space.n_tokens
        assert Architecture.from_tokens(space, tokens) == arch
        assert Architecture.from_dict(arch.to_dict()) == arch


def test_token_order_is_amber() -> None:
    space = get_space("small")
    arch = Architecture(
        (0, 1, 2, 3, 4, 5),
        ((), (1,), (0, 1), (1, 0, 1), (0, 0, 0, 1), (1, 1, 1, 1, 1)),
    )
    assert arch.to_tokens() == [0, 1, 1, 2, 0, 1, 3, 1, 0, 1, 4, 0, 0, 0, 1, 5, 1, 1, 1, 1, 1]
    assert arch.skip_sources(3) == [0, 2]
    assert arch.n_skips == 10
    arch.validate(space)


def test_no_skip_space_tokens_are_ops() -> None:
    space = ModelSpace.from_dict({"name": "n", "ops": ["conv_k3", "identity"], "n_layers": 3})
    arch = Architecture.from_tokens(space, [1, 0, 1])
    assert arch.to_tokens() == [1, 0, 1]
    assert arch.skips == ((), (0,), (0, 0))
    assert not arch.skip_tokens
    assert Architecture.from_ops(space, ["identity", "conv_k3", 1]) == arch


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        ([0] * 20, "takes 21 tokens"),
        ([0] * 22, "takes 21 tokens"),
        ([6] + [0] * 20, r"op index 6 of layer 0 is out of range .*0\.\.5"),
        ([0, 0, 2] + [0] * 18, "skip 0→1 must be 0 or 1"),
        ([-1] + [0] * 20, "op indices start at 0"),
        ([0.5] + [0] * 20, "must be an integer"),
    ],
)
def test_invalid_tokens(tokens: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Architecture.from_tokens(get_space("small"), tokens)


def test_validate_mismatches() -> None:
    small, deep = get_space("small"), get_space("amber-deepsea")
    arch = Architecture((0,) * 6)
    with pytest.raises(ValueError, match="6 layers"):
        arch.validate(deep)
    no_skip = ModelSpace.from_dict({"name": "n", "ops": ["identity"], "n_layers": 3})
    with pytest.raises(ValueError, match="does not search skips"):
        Architecture((0,) * 3, ((), (1,), (0, 0))).validate(no_skip)
    with pytest.raises(ValueError, match="lacks skip tokens"):
        Architecture((0,) * 6, skip_tokens=False).validate(small)
    with pytest.raises(ValueError, match="skips of layer 2 must have 2 entries"):
        Architecture((0,) * 3, ((), (0,), (0,)))


def test_json_round_trip(space: ModelSpace, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    arch = sample_architecture(space, rng)
    path = tmp_path / "best_architecture.json"
    arch.to_json(path, space)
    data = json.loads(path.read_text())
    assert data["space"] == space.name
    assert data["tokens"] == arch.to_tokens()
    assert data["op_labels"] == [space.op(i, k).label for i, k in enumerate(arch.ops)]
    assert data["hash"] == arch.hash
    assert Architecture.from_json(path) == arch
    assert Architecture.from_json(path, space) == arch


def test_json_tokens_only_and_errors(tmp_path: Path) -> None:
    space = get_space("small")
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"tokens": [1] + [0] * 20}))
    assert Architecture.from_json(path, space).ops == (1, 0, 0, 0, 0, 0)
    with pytest.raises(InputError, match="needs its model space"):
        Architecture.from_json(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        Architecture.from_json(path)
    path.write_bytes(b'{"tokens": "\xff"}')
    with pytest.raises(InputError, match=r"a\.json: not UTF-8 text"):
        Architecture.from_json(path)
    arch = Architecture((0,) * 6)
    path.write_text(json.dumps({**arch.to_dict(), "tokens": [1] * 21}))
    with pytest.raises(InputError, match="disagree"):
        Architecture.from_json(path)
    arch.to_json(tmp_path / "b.json", space)
    with pytest.raises(InputError, match="6 layers"):
        Architecture.from_json(tmp_path / "b.json", get_space("amber-deepsea"))


def test_hash_is_stable_and_distinct() -> None:
    space = get_space("amber-deepsea")
    zero = Architecture.from_tokens(space, [0] * 78)
    expected = hashlib.sha1(",".join(["0"] * 78).encode()).hexdigest()[:12]
    assert zero.hash == expected == "da6b2fdd5fe6"
    rng = np.random.default_rng(2)
    hashes = {sample_architecture(space, rng).hash for _ in range(200)}
    assert len(hashes) == 200


def test_describe() -> None:
    space = get_space("amber-deepsea")
    tokens = Architecture((2,) + (0,) * 11, tuple((1,) * i for i in range(12))).to_tokens()
    lines = Architecture.from_tokens(space, tokens).describe(space)
    text = "\n".join(lines)
    assert "layer  0: dilconv_k8_d10" in text
    assert "skips from 0, 1, 2" in text
    assert text.count("reduce:") == 3
    assert lines[-1].startswith("head: flatten")
