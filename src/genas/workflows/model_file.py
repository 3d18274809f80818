"""A trained model on disk: `model.safetensors` (weights) + `model.json` (how to rebuild it).

`model.json` holds the build spec (reference name, or model space + architecture + width),
the input length, task names and groups, the alphabet and the encoding of N and padding —
everything needed to use the model on new sequences, and nothing that needs unpickling.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

import genas
from genas.errors import GenasError
from genas.fileio import atomic_path, atomic_write_json
from genas.nn.build import build_model, count_parameters
from genas.seq.alphabet import ALPHABET

MODEL_WEIGHTS = "model.safetensors"
MODEL_META = "model.json"


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
) -> None:
    """Write `model.safetensors` and `model.json` into `run_dir`, each atomically."""
    run_dir = Path(run_dir)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(run_dir / MODEL_WEIGHTS) as tmp:
        save_file(state, str(tmp))
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
        **(extra or {}),
    }
    atomic_write_json(run_dir / MODEL_META, meta)


def load_model(run_dir: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild the model saved in `run_dir`; clear one-line errors for missing/corrupt files."""
    run_dir = Path(run_dir)
    meta_path, weights_path = run_dir / MODEL_META, run_dir / MODEL_WEIGHTS
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise GenasError(f"{path}: not found (is {run_dir} a trained run folder?)")
    try:
        meta = json.loads(meta_path.read_text())
        spec, input_length, task_names = meta["spec"], meta["input_length"], meta["task_names"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise GenasError(f"{meta_path}: corrupt model description ({error})") from None
    model = build_model(spec, input_length, len(task_names))
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
    return LoadedModel(
        model=model,
        spec=spec,
        input_length=input_length,
        task_names=task_names,
        task_groups=meta.get("task_groups"),
        n_value=meta.get("encoding", {}).get("n_value", 0.25),
        fit_length=meta.get("fit_length", "crop_or_pad"),
        extra={k: v for k, v in meta.items() if k not in known},
    )
