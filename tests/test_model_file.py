"""model.json + model.safetensors on disk: file modes, and a hand-edited model.json refused in
one line (naming the file and the key) before any network is built for real."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from variants_support import save_tiny_model

import genas
import genas.nn.model_file as model_file
from genas.config import MAX_LENGTH
from genas.errors import GenasError
from genas.nn.model_file import MODEL_META, MODEL_WEIGHTS, load_model


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return save_tiny_model(tmp_path / "run")


def _edit_meta(run: Path, change) -> None:
    meta = json.loads((run / MODEL_META).read_text())
    change(meta)
    (run / MODEL_META).write_text(json.dumps(meta))


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_saved_files_get_the_mode_of_the_umask(tmp_path: Path, umask: int) -> None:
    # safetensors writes its own 0600 temporary file; other users must still read the weights.
    old = os.umask(umask)
    try:
        run = save_tiny_model(tmp_path / "run")
    finally:
        os.umask(old)
    for name in (MODEL_WEIGHTS, MODEL_META):
        assert (run / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_unedited_model_loads(run: Path) -> None:
    loaded = load_model(run)
    assert loaded.input_length == 11
    assert loaded.task_names == ["taskA", "taskB"]
    assert loaded.n_value == 0.25
    assert loaded.extra["alphabet"] == "ACGT"


def test_public_api_serves_the_model_file() -> None:
    assert genas.load_model is load_model
    assert genas.save_model is model_file.save_model
    assert genas.LoadedModel is model_file.LoadedModel


def test_any_length_that_trains_loads(tmp_path: Path) -> None:
    # config.MAX_LENGTH bounds both data.length and model.json's input_length
    run = save_tiny_model(tmp_path / "run", input_length=MAX_LENGTH)
    assert load_model(run).input_length == MAX_LENGTH
    _edit_meta(run, lambda m: m.update(input_length=MAX_LENGTH + 1))
    with pytest.raises(GenasError, match=f"{MODEL_META}: input_length"):
        load_model(run)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda m: m.update(task_names=[]), "task_names"),
        (lambda m: m.update(task_names=["taskA", "taskA"]), "task_names lists a task twice"),
        (lambda m: m.update(input_length=-1), "input_length"),
        (lambda m: m.update(input_length="abc"), "input_length"),
        (lambda m: m.update(input_length=1e12), "input_length"),
        (lambda m: m.update(input_length=10**9), "input_length"),
        (lambda m: m["encoding"].update(n_value="x"), "encoding.n_value"),
        (lambda m: m["encoding"].update(n_value=2.0), "encoding.n_value"),
        (lambda m: m.update(fit_length="stretch"), "fit_length"),
        (lambda m: m.update(task_groups={"g": ["nope"]}), "task_groups.g"),
        (lambda m: m.pop("spec"), "spec"),
        (lambda m: m["spec"].update(dropout=5), "spec: reference 'deepbind' with options"),
        (lambda m: m["spec"].update(hidden="abc"), "spec: reference 'deepbind' with options"),
        (lambda m: m["spec"].update(reference="nope"), "spec: unknown reference"),
        (lambda m: m.update(task_type="ordinal"), "task_type"),
        (lambda m: m.update(task_type="multiclass"), "a multiclass model needs class_names"),
        (lambda m: m.update(class_names=["a", "b"]), "class_names belong to a multiclass"),
        (lambda m: m.update(loss="cross_entropy"), "loss cross_entropy does not fit"),
        (lambda m: m.update(target_transform="log1p"), "target_transform belongs to a"),
    ],
)
def test_bad_model_json_is_one_line_naming_file_and_key(run: Path, change, key: str) -> None:
    _edit_meta(run, change)
    with pytest.raises(GenasError) as caught:
        load_model(run)
    message = str(caught.value)
    assert f"{MODEL_META}: {key}" in message or f"{MODEL_META}: Value error, {key}" in message
    assert "\n" not in message


@pytest.mark.parametrize("content", [b"\xff\xfe\x00\x01", b"[" * 100_000, b"[1, 2]", b"{"])
def test_unreadable_model_json_is_one_line(run: Path, content: bytes) -> None:
    (run / MODEL_META).write_bytes(content)
    with pytest.raises(GenasError, match=f"{MODEL_META}: corrupt model description"):
        load_model(run)


def test_weights_shapes_checked_before_building_for_real(run: Path, monkeypatch) -> None:
    # 30,000 filters and a 30,000-unit dense layer would take GBs to build; the weights hold 4.
    _edit_meta(run, lambda m: m["spec"].update(filters=30_000, hidden=30_000))
    devices = []
    real_build = model_file.build_model

    def spy(*args, **kwargs):
        devices.append(torch.get_default_device().type)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(model_file, "build_model", spy)
    pattern = rf"weights do not match .*{MODEL_META}: conv.weight has shape \[4, 4, 3\] in the "
    with pytest.raises(GenasError, match=pattern + r"weights, \[30000, 4, 3\]"):
        load_model(run)
    assert devices == ["meta"]


def test_weights_with_other_tensors_are_refused(run: Path) -> None:
    from safetensors.torch import load_file, save_file

    state = load_file(str(run / MODEL_WEIGHTS))
    state["extra.weight"] = torch.zeros(2)
    del state["conv.bias"]
    save_file(state, str(run / MODEL_WEIGHTS))
    with pytest.raises(GenasError, match=r"conv.bias is missing from the weights \(\+1 more\)"):
        load_model(run)


def test_task_type_round_trip_and_older_files_load_as_binary(tmp_path: Path) -> None:
    from genas.nn.build import build_model
    from genas.nn.model_file import save_model
    from genas.train.task import TaskSpec

    run = save_tiny_model(tmp_path / "old")
    _edit_meta(run, lambda m: [m.pop(k) for k in ("task_type", "class_names", "loss",
                                                 "target_transform")])  # fmt: skip
    old = load_model(run)
    assert (old.task_type, old.class_names, old.loss) == ("binary", None, "bce")
    assert TaskSpec.from_model(old) == TaskSpec.binary(["taskA", "taskB"])

    spec = {"reference": "deepbind", "filters": 4, "kernel_size": 3, "hidden": 4}
    tasks = {
        "reg": TaskSpec("regression", ("a", "b"), loss="poisson", target_transform="log1p"),
        "cls": TaskSpec("multiclass", ("factor",), ("Oct4", "MafK", "bg"), "cross_entropy"),
    }
    for name, task in tasks.items():
        model = build_model(spec, 11, task.n_outputs)
        save_model(tmp_path / name, model, spec, input_length=11,
                   task_names=list(task.task_names), **task.model_meta())  # fmt: skip
        loaded = load_model(tmp_path / name)
        assert TaskSpec.from_model(loaded) == task
        assert loaded.model(torch.zeros(2, 4, 11)).shape == (2, task.n_outputs)
    _edit_meta(tmp_path / "cls", lambda m: m.update(class_names=["Oct4", "MafK"]))
    with pytest.raises(GenasError, match="weights do not match"):  # 2 classes, 3 outputs
        load_model(tmp_path / "cls")
