"""The typed run config: validation, one-line errors, path resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from genas.config import load_config, parse_config
from genas.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

MINIMAL = {"data": {"format": "fasta", "train": {"positives": ["p.fa"], "negatives": ["n.fa"]}}}


def _error(raw: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, Path("/base"), "run.yaml")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_defaults_and_relative_paths_resolve_against_config_dir():
    config = parse_config(MINIMAL, Path("/base/configs"), "run.yaml")
    assert config.data.train.positives == [Path("/base/configs/p.fa")]
    assert config.model.reference == "deepbind"
    assert config.train.lr == 1e-3
    assert config.output.dir == Path("runs/run")  # output stays relative to the working dir


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({**MINIMAL, "trian": {}}, "run.yaml: unknown key 'trian' in top level"),
        (
            {"data": {**MINIMAL["data"], "lenght": 200}},
            "run.yaml: unknown key 'lenght' in data",
        ),
        ({**MINIMAL, "train": {"lr": 0.1, "epochs": 3}}, "unknown key 'epochs' in train"),
        ({**MINIMAL, "train": {"lr": -1}}, "run.yaml: train.lr: Input should be greater than 0"),
        ({"data": {"format": "bam", "train": "x"}}, "does not match any of the expected tags"),
        ({}, "run.yaml: data: Field required"),
        ({**MINIMAL, "model": {"space": "small"}}, "needs an `architecture`"),
        ({**MINIMAL, "model": {"reference": "deepsea", "space": "small"}}, "either `reference`"),
    ],
)
def test_errors_name_key_and_location(raw, expected):
    assert expected in _error(raw)


def test_load_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="empty.yaml: config file is empty"):
        load_config(empty)
    broken = tmp_path / "broken.yaml"
    broken.write_text("data:\n  format: fasta\n   bad: [\n")
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+: not valid YAML"):
        load_config(broken)


def test_space_yaml_path_resolves_against_config_dir():
    raw = {**MINIMAL, "model": {"space": "spaces/mine.yaml", "architecture": [0, 1]}}
    config = parse_config(raw, Path("/base/configs"), "run.yaml")
    assert config.model.space == "/base/configs/spaces/mine.yaml"


@pytest.mark.parametrize("name", ["nfe2.yaml", "synthetic.yaml", "taf7.yaml"])
def test_examples_validate(name):
    config = load_config(EXAMPLES / name)
    assert config.data.train is not None
