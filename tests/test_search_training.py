"""Training settings searched with the architecture (``training:`` in a space YAML)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from genas.config import parse_config
from genas.data import load_splits
from genas.errors import ConfigError, InputError
from genas.nn import ChildNet, build_model, count_parameters
from genas.search.evaluators import make_evaluator
from genas.space import Architecture, ModelSpace, get_space, sample_architecture, token_choices
from genas.workflows.search_run import search_run

SMALL = get_space("small").to_dict()
TRAINING = {"lr": [0.0003, 0.003], "dropout": [0.1, 0.5], "width": [0.5, 1.0]}


def training_space(**training) -> ModelSpace:
    return ModelSpace.from_dict({**SMALL, "name": "small-training", "training": training})


def test_training_settings_are_tokens_after_ops_and_skips():
    space = training_space(**TRAINING)
    small = get_space("small")
    assert space.n_tokens == small.n_tokens + 3 and space.size == small.size * 8
    assert token_choices(space)[-3:] == [2, 2, 2]
    assert [name for name, _ in space.training] == ["lr", "dropout", "width"]
    arch = sample_architecture(space, np.random.default_rng(1))
    assert Architecture.from_tokens(space, arch.to_tokens()) == arch
    assert Architecture.from_dict(arch.to_dict()) == arch
    assert ModelSpace.from_dict(space.to_dict()) == space
    values = space.training_values(arch.training)
    assert set(values) == {"lr", "dropout", "width"}
    assert any(line.startswith("training: lr") for line in arch.describe(space))
    # a space without training settings keeps its tokens (and hashes)
    plain = sample_architecture(small, np.random.default_rng(1))
    assert plain.training == () and "training" not in plain.to_dict()


def test_child_takes_the_searched_width_and_dropout():
    space = training_space(dropout=[0.1, 0.5], width=[0.5, 2.0])
    ops = [0] * space.n_layers
    thin = ChildNet(space, Architecture.from_ops(space, ops, training=[0, 0]), 101, 1)
    wide = ChildNet(space, Architecture.from_ops(space, ops, training=[1, 1]), 101, 1)
    assert count_parameters(wide) > 4 * count_parameters(thin)
    assert thin.head.mlp[0].p == 0.1 and wide.head.mlp[0].p == 0.5
    rebuilt = build_model(wide.to_spec(), 101, 1)  # model.json round trip
    assert count_parameters(rebuilt) == count_parameters(wide)


@pytest.mark.parametrize(
    ("training", "message"),
    [
        ({"momentum": [0.9]}, "training: unknown setting 'momentum'"),
        ({"lr": []}, "training.lr: give a non-empty list"),
        ({"lr": [0.001, -1]}, "training.lr: -1 must be > 0"),
        ({"dropout": [1.0]}, "training.dropout: 1.0 must be in [0, 1)"),
        ({"width": ["x"]}, "training.width: 'x' is not a number"),
        ({"lr": [0.001, 0.001]}, "training.lr: a value is listed twice"),
        ({"lr": 0.001}, "training.lr: give a non-empty list"),
    ],
)
def test_bad_training_settings_name_the_file_and_key(tmp_path: Path, training, message):
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump({**SMALL, "training": training}))
    with pytest.raises(InputError, match=re.escape(message)) as err:
        ModelSpace.from_yaml(path)
    assert str(path) in str(err.value)


def test_independent_children_train_with_their_searched_lr(tiny_fasta, monkeypatch):
    from genas.search.evaluators import independent

    space = training_space(lr=[0.0003, 0.003], weight_decay=[0.0, 0.01])
    config = parse_config({"seed": 1, "data": tiny_fasta,
                           "search": {"evaluator": "independent",
                                      "independent": {"epochs": 1, "batch_size": 32}}}, Path("."))
    splits = load_splits(config.data, 1)
    seen = []
    original = independent.build_optimizer

    def spy(params, name, lr, weight_decay):
        seen.append((lr, weight_decay))
        return original(params, name, lr, weight_decay)

    monkeypatch.setattr(independent, "build_optimizer", spy)
    evaluator = make_evaluator(space, splits, config, "cpu")
    ops = [0] * space.n_layers
    for training in ([0, 1], [1, 0]):
        assert evaluator.score(Architecture.from_ops(space, ops, training=training)).valid
    assert seen == [(0.0003, 0.01), (0.003, 0.0)]


def test_search_and_retrain_use_the_searched_settings(tiny_fasta, tmp_path: Path):
    space_path = tmp_path / "space.yaml"
    space_path.write_text(yaml.safe_dump({**SMALL, "name": "small-training",
                                          "training": {"lr": [0.002, 0.004],
                                                       "dropout": [0.2, 0.4]}}))
    raw = {"seed": 3, "data": tiny_fasta,
           "search": {"space": str(space_path), "strategy": "evolution",
                      "evaluator": "independent", "steps": 2, "archs_per_step": 2,
                      "independent": {"epochs": 1, "batch_size": 32}, "reward_sequences": 60,
                      "retrain_top_k": 1},
           "train": {"batch_size": 32, "max_epochs": 1, "patience": 1}}
    config = parse_config(raw, Path("."))
    run = tmp_path / "run"
    search_run(config, run, retrain=True, progress=False, log=lambda _: None, report=False)
    best = json.loads((run / "best_architecture.json").read_text())
    chosen = best["training_values"]
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["train"]["lr"] == chosen["lr"]
    model = json.loads((run / "model.json").read_text())
    assert model["spec"]["architecture"]["training"] == best["training"]
    net = build_model(model["spec"], model["input_length"], 1)
    assert net.head.mlp[0].p == chosen["dropout"]
    assert torch.isfinite(net(torch.zeros(2, 4, model["input_length"]))).all()


@pytest.mark.parametrize(("search", "message"), [
    ({"strategy": "rl", "evaluator": "independent"}, "search.strategy: rl cannot search"),
    ({"strategy": "random", "evaluator": "shared"}, "search.evaluator: shared (one supernet)"),
])
def test_rl_and_the_supernet_refuse_training_settings(tiny_fasta, tmp_path, search, message):
    space_path = tmp_path / "space.yaml"
    space_path.write_text(yaml.safe_dump({**SMALL, "training": {"lr": [0.001, 0.01]}}))
    config = parse_config({"seed": 1, "data": tiny_fasta,
                           "search": {"space": str(space_path), **search}}, Path("."))
    with pytest.raises(ConfigError, match=re.escape(message)):
        search_run(config, tmp_path / "run", log=lambda _: None)
    assert not (tmp_path / "run").exists()
