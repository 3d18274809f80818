"""The typed run config: validation, one-line errors, path resolution."""

from __future__ import annotations

from pathlib import Path

import pytest
from yaml_support import billion_laughs

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
        (
            {"data": {**MINIMAL["data"], "length": 100, "max_shift": 100}},
            "run.yaml: data: max_shift (100) must be below length (100)",
        ),
        ({**MINIMAL, "model": {"space": "small"}}, "needs an `architecture`"),
        ({**MINIMAL, "model": {"reference": "deepsea", "space": "small"}}, "either `reference`"),
        (  # a union (tokens or a file): the branch that fits, without pydantic's names
            {**MINIMAL, "model": {"space": "small", "architecture": ["a", "b"]}},
            "run.yaml: model.architecture.0: Input should be a valid integer",
        ),
    ],
)
def test_errors_name_key_and_location(raw, expected):
    assert expected in _error(raw)


def test_a_childs_old_step_cap_is_read_when_empty_and_refused_when_set():
    """Run folders of earlier versions hold ``search.independent.max_steps: null``."""
    old = parse_config({**MINIMAL, "search": {"independent": {"max_steps": None}}}, Path("."))
    assert old.search.independent.max_steps_per_epoch == 1000
    message = _error({**MINIMAL, "search": {"independent": {"max_steps": 50}}})
    assert "search.independent" in message and "replaced by max_steps_per_epoch" in message


def test_load_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="a folder, not a config file"):
        load_config(tmp_path)
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


BED = {"format": "bed", "intervals": "i.bed", "genome": "g.fa", "peaks": {"t": "p.bed"}}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({**MINIMAL, "seed": -5}, "run.yaml: seed: Input should be greater than or equal to 0"),
        ({**MINIMAL, "seed": 10**23}, "run.yaml: seed: Input should be less than 4294967296"),
        ({**MINIMAL, "seed": 1e23}, "run.yaml: seed: "),
        ({"data": {**MINIMAL["data"], "length": 10**10}}, "run.yaml: data.length: Input should"),
        ({"data": {**BED, "length": 10**10}}, "data.length: Input should be less than or equal"),
    ],
)
def test_seed_and_length_are_bounded(raw, expected):
    assert expected in _error(raw)
    assert parse_config({**MINIMAL, "seed": 2**32 - 1}, Path("/base"), "run.yaml").seed == 2**32 - 1


FASTA_YAML = "data:\n  format: fasta\n  train: {positives: [p.fa], negatives: [n.fa]}\n"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", ".NaN"])
def test_infinite_or_nan_floats_are_refused(tmp_path, value):
    path = tmp_path / "run.yaml"
    path.write_text(FASTA_YAML + f"train: {{lr: {value}}}\n")
    with pytest.raises(ConfigError, match=r"run.yaml: train.lr: Input should be a finite number"):
        load_config(path)
    assert "finite number" in _error({**MINIMAL, "search": {"supernet": {"grad_clip": 1e400}}})


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({**MINIMAL, "train": {"max_epochs": True}}, "train.max_epochs"),
        ({**MINIMAL, "train": {"lr": True}}, "train.lr"),
        ({**MINIMAL, "seed": False}, "seed"),
        ({"data": {**MINIMAL["data"], "length": True}}, "data.length"),
        ({**MINIMAL, "search": {"controller": {"lstm_size": True}}}, "search.controller.lstm_size"),
        ({**MINIMAL, "model": {"space": "small", "architecture": [0, True]}}, "model.architecture"),
        (
            {**MINIMAL, "model": {"reference": "basset", "options": {"hidden": True}}},
            "model.options",
        ),
    ],
)
def test_booleans_are_not_numbers(raw, key):
    assert _error(raw) == f"run.yaml: {key}: expected a number, got a boolean"


def test_ints_for_floats_and_booleans_for_booleans_still_accepted():
    raw = {**MINIMAL, "train": {"lr": 1, "rc_predict": True}, "search": {"ensemble": False}}
    config = parse_config(raw, Path("/base"), "run.yaml")
    assert config.train.lr == 1.0 and config.train.rc_predict is True


def test_relative_search_space_resolves_against_config_dir(tmp_path, monkeypatch):
    folder = tmp_path / "configs"
    (folder / "spaces").mkdir(parents=True)
    path = folder / "run.yaml"
    path.write_text(FASTA_YAML + "search: {space: spaces/mine.yaml}\n")
    monkeypatch.chdir(tmp_path)  # not the config's folder
    assert load_config(path).search.space == str(folder.resolve() / "spaces" / "mine.yaml")
    path.write_text(FASTA_YAML + "search: {space: small}\n")
    assert load_config(path).search.space == "small"  # a preset name stays a name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # nested aliases: refused before anything expands them (10**7 'lol's)
        (billion_laughs(7, "seed"), r"run.yaml:\d+: YAML aliases expand past"),
        # PyYAML would keep the last value silently
        ("seed: 1\ntrain: {lr: 0.1}\nseed: 2\n", "run.yaml:3: duplicate key 'seed'"),
        ("train:\n  lr: 0.1\n  lr: 0.2\n", "run.yaml:3: duplicate key 'lr'"),
        # RecursionError and UnicodeDecodeError before
        ("[" * 100_000, "run.yaml:1: not valid YAML: nested more than 100 levels"),
        ("seed: 1\n# café\n".encode("latin-1"), r"run.yaml:2: not UTF-8 text \(byte 0xe9\)"),
    ],
)
def test_hostile_yaml_is_one_line_config_error(tmp_path, content, message):
    path = tmp_path / "run.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert "\n" not in str(caught.value)


TABLE = {"format": "table", "train": "t.tsv"}


def test_task_type_sets_the_default_loss_and_reward():
    for task_type, loss, reward in (("binary", "bce", "auroc_mean"),
                                    ("regression", "mse", "pearson_mean"),
                                    ("multiclass", "cross_entropy", "macro_auroc")):  # fmt: skip
        raw = {"data": {**TABLE, "task_type": task_type}, "search": {}}
        config = parse_config(raw, Path("/base"), "run.yaml")
        assert (config.train.loss, config.search.reward) == (loss, reward)
    raw = {"data": {**TABLE, "task_type": "regression"}, "train": {"loss": "poisson"},
           "search": {"reward": "neg_mse"}}  # fmt: skip
    config = parse_config(raw, Path("/base"), "run.yaml")
    assert (config.train.loss, config.search.reward) == ("poisson", "neg_mse")


@pytest.mark.parametrize(
    ("data", "extra", "expected"),
    [
        ({"task_type": "count"}, {}, "run.yaml: data.task_type: Input should be 'binary'"),
        ({}, {"train": {"loss": "mse"}},
         "run.yaml: train.loss: mse does not fit data.task_type binary (use bce)"),
        ({"task_type": "regression"}, {"search": {"reward": "auroc_mean"}},
         "run.yaml: search.reward: auroc_mean does not fit data.task_type regression"),
        ({"task_type": "multiclass"}, {"train": {"loss": "poisson"}},
         "train.loss: poisson does not fit data.task_type multiclass (use cross_entropy)"),
        ({"class_names": ["a", "b"]}, {}, "run.yaml: data: class_names needs task_type"),
        ({"task_type": "multiclass", "class_names": ["a", "a"]}, {}, "lists a class twice"),
        ({"target_transform": "log1p"}, {}, "target_transform needs task_type: regression"),
    ],
)
def test_task_settings_that_do_not_fit_are_one_line(data, extra, expected):
    assert expected in _error({"data": {**TABLE, **data}, **extra})


def test_peak_and_fasta_data_are_binary_only():
    raw = {"data": {**MINIMAL["data"], "task_type": "regression"}}
    assert "task_type regression needs a table or HDF5 input (fasta labels" in _error(raw)
