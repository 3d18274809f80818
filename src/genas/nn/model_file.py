"""A trained model on disk: `model.safetensors` (weights) + `model.json` (how to rebuild it).

`model.json` holds the build spec (reference name, or model space + architecture + width),
the input length, task names and groups, the task type (with the class names of a
multiclass model, the loss and the target transform), the alphabet and the encoding of N
and padding — everything needed to use the model on new sequences, and nothing that needs
unpickling. A file without a task type (written before genas had one) is a binary model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

import genas
from genas.config import MAX_LENGTH, TASK_LOSSES, format_validation_error
from genas.errors import GenasError, shown
from genas.fileio import atomic_path, atomic_write_json
from genas.nn.build import build_model, count_parameters
from genas.run_files import MODEL_META, MODEL_WEIGHTS
from genas.seq.alphabet import ALPHABET

#: Key of the input length in the metadata of `model.safetensors`.
WEIGHTS_INPUT_LENGTH = "genas_input_length"
#: Largest ``model.json`` read; genas writes a few kB.
MAX_META_BYTES = 16 << 20


class ModelEncoding(BaseModel):
    """``model.json``'s ``encoding``: how sequences are one-hot encoded for the model."""

    model_config = ConfigDict(extra="allow")

    n_value: float = Field(0.25, ge=0, le=1, allow_inf_nan=False, strict=True)


class ModelMeta(BaseModel):
    """The schema of ``model.json``; keys it does not name are kept (``LoadedModel.extra``)."""

    model_config = ConfigDict(extra="allow")

    spec: dict[str, Any]
    # the bound of ``data.length`` (config.MAX_LENGTH), so any model that trains loads, and a
    # hand-edited ``input_length`` cannot make every padded sequence exhaust memory
    input_length: int = Field(gt=0, le=MAX_LENGTH, strict=True)
    task_names: list[str] = Field(min_length=1)
    task_groups: dict[str, list[str]] | None = None
    encoding: ModelEncoding = Field(default_factory=ModelEncoding)
    fit_length: Literal["error", "crop", "pad", "crop_or_pad"] = "crop_or_pad"
    task_type: Literal["binary", "regression", "multiclass"] = "binary"
    class_names: list[str] | None = Field(None, min_length=2)
    loss: Literal["bce", "mse", "poisson", "huber", "cross_entropy"] | None = None
    target_transform: Literal["log1p"] | None = None

    @property
    def n_outputs(self) -> int:
        """Outputs of the network: K classes (multiclass), else one per task."""
        if self.task_type == "multiclass":
            return len(self.class_names or ())
        return len(self.task_names)

    @model_validator(mode="after")
    def _tasks_consistent(self) -> ModelMeta:
        names = set(self.task_names)
        if len(names) != len(self.task_names):
            raise ValueError("task_names lists a task twice")
        multiclass = self.task_type == "multiclass"
        if multiclass and (self.class_names is None or len(self.task_names) != 1):
            raise ValueError("a multiclass model needs class_names and exactly one task name")
        if not multiclass and self.class_names is not None:
            raise ValueError(f"class_names belong to a multiclass model, not {self.task_type}")
        if multiclass and len(set(self.class_names)) != len(self.class_names):
            raise ValueError("class_names lists a class twice")
        if self.loss is not None and self.loss not in TASK_LOSSES[self.task_type]:
            raise ValueError(f"loss {self.loss} does not fit task_type {self.task_type}")
        if self.target_transform is not None and self.task_type != "regression":
            raise ValueError("target_transform belongs to a regression model")
        for group, members in (self.task_groups or {}).items():
            unknown = [m for m in members if m not in names]
            if unknown:
                raise ValueError(f"task_groups.{group} names unknown task {shown(unknown[0])}")
        return self


@dataclass
class LoadedModel:
    """A rebuilt model (in eval mode) and the facts needed to feed it."""

    model: torch.nn.Module
    spec: dict
    input_length: int
    task_names: list[str]
    task_groups: dict[str, list[str]] | None = None
    n_value: float = 0.25
    fit_length: str = "crop_or_pad"
    extra: dict[str, Any] = field(default_factory=dict)
    task_type: str = "binary"
    class_names: list[str] | None = None
    loss: str = "bce"
    target_transform: str | None = None


def save_model(
    run_dir: str | Path,
    model: torch.nn.Module,
    spec: dict,
    *,
    input_length: int,
    task_names: list[str],
    task_groups: dict[str, list[str]] | None = None,
    n_value: float = 0.25,
    fit_length: str = "crop_or_pad",
    extra: dict[str, Any] | None = None,
    task_type: str = "binary",
    class_names: list[str] | None = None,
    loss: str | None = None,
    target_transform: str | None = None,
) -> None:
    """Write `model.safetensors` and `model.json` into `run_dir`, each atomically.

    ``task_type``, ``class_names`` (multiclass), ``loss`` and ``target_transform`` say
    what the network's outputs are (:class:`ModelMeta`)."""
    run_dir = Path(run_dir)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(run_dir / MODEL_WEIGHTS) as tmp:
        # The input length travels with the weights too: see _check_input_length.
        save_file(state, str(tmp), metadata={WEIGHTS_INPUT_LENGTH: str(input_length)})
    meta = {
        "genas_version": genas.__version__,
        "spec": spec,
        "input_length": input_length,
        "task_names": list(task_names),
        "task_groups": task_groups,
        "parameters": count_parameters(model),
        "alphabet": ALPHABET,
        "encoding": {"layout": "(N, 4, L)", "n_value": n_value, "padding_value": 0.0},
        "fit_length": fit_length,
        "task_type": task_type,
        "class_names": None if class_names is None else list(class_names),
        "loss": loss,
        "target_transform": target_transform,
        **(extra or {}),
    }
    atomic_write_json(run_dir / MODEL_META, meta)


def load_model(run_dir: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild the model saved in `run_dir`; clear one-line errors for missing/corrupt files.

    ``model.json`` is validated (:class:`ModelMeta`) and the network it describes is checked
    against the tensor shapes in the weights file's header before any real tensor is made,
    so a hand-edited description cannot make genas allocate more than the weights need.
    """
    run_dir = Path(run_dir)
    meta_path, weights_path = run_dir / MODEL_META, run_dir / MODEL_WEIGHTS
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise GenasError(f"{path}: not found (is {run_dir} a trained run folder?)")
    raw = _read_meta(meta_path)
    try:
        meta = ModelMeta.model_validate(raw)
    except ValidationError as error:
        raise GenasError(format_validation_error(error, str(meta_path))) from None
    _check_input_length(weights_path, meta.input_length, meta_path)
    _check_weight_shapes(meta, meta_path, weights_path)
    model = build_model(meta.spec, meta.input_length, meta.n_outputs)
    try:
        state = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as error:
        raise GenasError(f"{weights_path}: corrupt weights file ({error})") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        first = str(error).splitlines()[0]
        raise GenasError(f"{weights_path}: weights do not match {meta_path} ({first})") from None
    model.to(device).eval()
    known = {"spec", "input_length", "task_names", "task_groups", "encoding", "fit_length"}
    known |= {"task_type", "class_names", "loss", "target_transform"}
    return LoadedModel(
        model=model,
        spec=meta.spec,
        input_length=meta.input_length,
        task_names=meta.task_names,
        task_groups=meta.task_groups,
        n_value=meta.encoding.n_value,
        fit_length=meta.fit_length,
        extra={k: v for k, v in raw.items() if k not in known},
        task_type=meta.task_type,
        class_names=meta.class_names,
        loss=meta.loss or TASK_LOSSES[meta.task_type][0],
        target_transform=meta.target_transform,
    )


def _read_meta(meta_path: Path) -> dict[str, Any]:
    """The JSON object in ``model.json``, read only up to :data:`MAX_META_BYTES`."""
    try:
        with meta_path.open("rb") as file:
            data = file.read(MAX_META_BYTES + 1)
    except OSError as error:
        raise GenasError(f"{meta_path}: cannot read ({error.strerror or error})") from None
    if len(data) > MAX_META_BYTES:
        raise GenasError(f"{meta_path}: larger than {MAX_META_BYTES:,} bytes; not a model.json")
    try:
        raw = json.loads(data)  # from bytes: json detects UTF-8/16/32 itself
    except (ValueError, RecursionError) as error:  # JSONDecodeError, bad UTF-8, deep nesting
        raise GenasError(f"{meta_path}: corrupt model description ({_first_line(error)})") from None
    if not isinstance(raw, dict):
        raise GenasError(f"{meta_path}: corrupt model description (not a JSON object)")
    return raw


def _check_weight_shapes(meta: ModelMeta, meta_path: Path, weights_path: Path) -> None:
    """Build ``meta``'s network on the meta device (no memory) and compare its tensors'
    names and shapes with those listed in the header of the weights file."""
    try:
        with torch.device("meta"):
            skeleton = build_model(meta.spec, meta.input_length, meta.n_outputs)
    except GenasError as error:
        raise GenasError(f"{meta_path}: spec: {error}") from None
    except (ValueError, TypeError, RuntimeError) as error:  # an option no layer accepts
        raise GenasError(f"{meta_path}: spec: cannot build it ({_first_line(error)})") from None
    expected = {name: tuple(t.shape) for name, t in skeleton.state_dict().items()}
    try:
        with safe_open(str(weights_path), framework="pt") as handle:
            names = handle.keys()
            found = {name: tuple(handle.get_slice(name).get_shape()) for name in names}
    except (SafetensorError, OSError, ValueError) as error:
        raise GenasError(f"{weights_path}: corrupt weights file ({error})") from None
    problems = [
        f"{name} has shape {list(found[name])} in the weights, {list(shape)} in {MODEL_META}"
        for name, shape in expected.items()
        if name in found and found[name] != shape
    ]
    problems += [f"{name} is missing from the weights" for name in expected if name not in found]
    problems += [f"the weights hold an unexpected {name}" for name in found if name not in expected]
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        # [:300]: a hand-made weights file may hold tensor names of any length.
        raise GenasError(
            f"{weights_path}: weights do not match {meta_path}: {problems[0][:300]}{more}"
        )


def _first_line(error: BaseException) -> str:
    """The first line of an exception's message (its type if empty), at most 200 characters."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def _check_input_length(weights_path: Path, input_length: Any, meta_path: Path) -> None:
    """Refuse a `model.json` whose input length is not the one the weights were saved with.

    The weights of a network with global pooling fit any input length, so a hand-edited
    length would load and silently change every prediction (sequences cropped or padded to
    it). Weights saved before genas recorded the length are not checked.
    """
    try:
        with safe_open(str(weights_path), framework="pt") as handle:
            stored = (handle.metadata() or {}).get(WEIGHTS_INPUT_LENGTH)
    except (SafetensorError, OSError, ValueError) as error:
        raise GenasError(f"{weights_path}: corrupt weights file ({error})") from None
    if stored is not None and stored != str(input_length):
        raise GenasError(
            f"{meta_path}: input_length {str(input_length)[:20]} differs from the {stored[:20]} "
            f"the weights in {weights_path.name} were saved with (edit it back to {stored[:20]})"
        )
