"""ModelSpace: presets, (de)serialisation, validation errors, label-only spaces."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from yaml_support import billion_laughs

from genas.errors import ConfigError, GenasError, InputError
from genas.space import ModelSpace, Operation, get_space, list_presets


def test_presets_listed_and_cached() -> None:
    assert {"amber-deepsea", "small", "small-tuned"} <= set(list_presets())
    assert get_space("small") is get_space("small")
    space = get_space("small")
    assert get_space(space) is space


def test_amber_deepsea_is_the_paper_space() -> None:
    s = get_space("amber-deepsea")
    assert s.n_layers == 12
    assert all(s.num_ops(i) == 7 for i in range(12))
    assert [op.label for op in s.layers[0]] == [
        "conv_k8", "conv_k4", "dilconv_k8_d10", "dilconv_k4_d10",
        "maxpool_k4", "avgpool_k4", "identity",
    ]  # fmt: skip
    assert s.filters == (32,) * 3 + (64,) * 3 + (128,) * 3 + (256,) * 3
    assert s.reductions == (2, 5, 8) and s.reduction_pool == 4
    assert s.lengths(1000) == [1000] * 3 + [250] * 3 + [63] * 3 + [16] * 3
    assert s.skips and s.n_tokens == 78
    assert s.size == 7**12 * 2**66
    assert (s.stem.kernel_size, s.stem.filters) == (8, 32)
    assert (s.head.type, s.head.units) == ("flatten", 925)


def test_small_space() -> None:
    s = get_space("small")
    assert s.n_layers == 6 and s.n_tokens == 21
    assert s.filters == (32, 32, 32, 64, 64, 64)
    assert s.head.type == "global_pool"
    assert s.size == 6**6 * 2**15
    assert s.buildable


@pytest.mark.parametrize("name", ["amber-deepsea", "small"])
def test_dict_and_yaml_round_trip(name: str, tmp_path: Path) -> None:
    s = get_space(name)
    assert ModelSpace.from_dict(s.to_dict()) == s
    path = tmp_path / "space.yaml"
    path.write_text(s.to_yaml())
    assert get_space(str(path)) == s
    assert ModelSpace.from_yaml(path) == s


def test_per_layer_ops_and_filter_list(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: mine\n"
        "layers:\n"
        "  - [conv_k5, {type: conv, kernel_size: 3, dilation: 2}]\n"
        "  - [identity, maxpool_k3]\n"
        "  - [conv_k3]\n"
        "filters: [16, 32, 32]\n"
        "reductions: [0]\n"
        "head: {type: flatten, units: 0}\n"
    )
    s = ModelSpace.from_yaml(path)
    assert s.layers[0][1] == Operation.parse("dilconv_k3_d2")
    assert [s.num_ops(i) for i in range(3)] == [2, 2, 1]
    assert s.size == 4 and not s.skips
    assert s.stem.filters == 16
    assert ModelSpace.from_dict(s.to_dict()) == s
    assert s.op_index(1, "maxpool_k3") == 1
    with pytest.raises(ValueError, match="has no op"):
        s.op_index(1, "conv_k9")


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nops: [conv_k3]\nn_layers: 2\nfliters: 32\n")
    with pytest.raises(InputError, match="fliters") as info:
        ModelSpace.from_yaml(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nops: [conv_k3]\nn_layers: 2\nhead: {type: flatten, unit: 3}\n",
            "'unit' in head",
        ),
        ("name: x\nops: [conv_k3]\nn_layers: 2\nstem: {size: 3}\n", "'size' in stem"),
        ("name: x\nops: [conv_k3]\n", "needs 'n_layers'"),
        ("ops: [conv_k3]\nn_layers: 2\n", "missing key 'name'"),
        ("name: x\nops: [conv_k3, conv_k3]\nn_layers: 2\n", "same op twice"),
        ("name: x\nops: [conv_k3, conv]\nn_layers: 2\n", "ops, op 1: conv needs a kernel_size"),
        ("name: x\nops: [conv_k3]\nn_layers: 2\nfilters: [8, 16]\n", "without a reduction"),
        ("name: x\nops: [conv_k3]\nn_layers: 2\nreductions: [1]\n", "out of range"),
        ("name: x\nops: [conv_k3]\nn_layers: 2\nhead: {type: lstm}\n", "head type"),
        ("name: x\nops: [conv_k3]\nn_layers: 2\nstem: {filters: 8}\n", "stem filters"),
        ("- a\n- b\n", "must hold a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_space_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        ModelSpace.from_yaml(path)


def test_from_dict_without_source_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown key 'bogus'"):
        ModelSpace.from_dict({"name": "x", "ops": ["identity"], "n_layers": 1, "bogus": 1})


def test_get_space_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown model space 'nope'.*amber-deepsea"):
        get_space("nope")
    with pytest.raises(GenasError, match="not found"):
        get_space(str(tmp_path / "missing.yaml"))


def test_label_only_space() -> None:
    s = ModelSpace.from_dict(
        {"name": "bench", "ops": ["nor_conv_3x3", "skip_connect", "none"], "n_layers": 4}
    )
    assert not s.buildable
    assert s.size == 3**4 and s.n_tokens == 4
    assert ModelSpace.from_dict(s.to_dict()) == s


def test_space_package_does_not_import_torch() -> None:
    code = (
        "import sys, genas.space as s; s.get_space('amber-deepsea'); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("key", ["description", "n_layers", "filters", "name"])
def test_billion_laughs_space_refused_before_expanding(tmp_path: Path, key: str) -> None:
    path = tmp_path / "lol.yaml"
    # 10**7 leaves: far past the limit, yet small enough that the old loader only took
    # seconds to fail this test.
    path.write_text(billion_laughs(7, key, head="ops: [conv_k3]\n"))
    with pytest.raises(InputError, match=r"lol.yaml:\d+: YAML aliases expand past"):
        ModelSpace.from_yaml(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nops: [conv_k3]\nn_layers: 2\nn_layers: 3\n",
            "bad.yaml:4: duplicate key 'n_layers'",
        ),
        ("name: x\nhead: {units: 8, units: 16}\n", r"bad.yaml:2: duplicate key 'units'"),
        ("name: " + "[" * 100_000, "bad.yaml:1: not valid YAML: nested more than"),
    ],
)
def test_duplicate_keys_and_deep_nesting_are_one_line(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        ModelSpace.from_yaml(path)


def test_binary_space_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes("name: café\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"bad.yaml:1: not UTF-8 text"):
        ModelSpace.from_yaml(path)


@pytest.mark.parametrize(
    "data",
    [
        {"n_layers": list(range(10**6))},
        {"n_layers": 1, "filters": "x" * 10**6},
        {"n_layers": 1, "head": {"units": ["u"] * 10**6}},
        {"n_layers": 1, "ops": [{"type": "custom", "p": [0] * 10**6}]},
    ],
)
def test_error_messages_never_hold_a_whole_value(data: dict) -> None:
    with pytest.raises(ConfigError) as caught:
        ModelSpace.from_dict({"name": "x", "ops": ["conv_k3"], **data})
    assert len(str(caught.value)) < 200


def test_space_size_and_description_are_bounded() -> None:
    with pytest.raises(ConfigError, match="at most 1000 layers, got 1000000000"):
        ModelSpace.from_dict({"name": "x", "ops": ["identity"], "n_layers": 10**9})
    with pytest.raises(ConfigError, match="description must be text, got a list"):
        ModelSpace.from_dict({"name": "x", "ops": ["identity"], "n_layers": 1, "description": [1]})
