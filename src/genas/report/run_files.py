"""Read what a run folder holds, for the report: each file optional, each error one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from genas.config import RunConfig, load_config
from genas.errors import GenasError
from genas.run_files import (
    BEST_ARCHITECTURE,
    COMPARISON_JSON,
    CONFIG_YAML,
    HISTORY_JSONL,
    METRICS_JSON,
    MODEL_META,
    MODEL_WEIGHTS,
    PROBABILITIES_JSONL,
    TOP_K_JSON,
    read_json,
    read_provenance,
)
from genas.search.history import read_history, read_probabilities
from genas.space import Architecture, ModelSpace, get_space


@dataclass
class RunFiles:
    """The contents of a run folder; ``None`` / ``[]`` for what is absent.

    ``space`` and ``arch`` are the searched model space and the final architecture: from
    ``model.json`` when the run was (re)trained, else from ``best_architecture.json``.
    ``top_k`` is ``retrain_top_k.json`` (the candidates retrained, an ensemble's members);
    ``provenance`` the commands that wrote the run (:func:`genas.run_files.record_command`).
    """

    run_dir: Path
    config: RunConfig | None
    history: list[dict]
    probabilities: list[dict]
    best: dict | None
    metrics: dict | None
    comparison: dict | None
    model_meta: dict | None
    space: ModelSpace | None
    arch: Architecture | None
    top_k: dict | None = None
    provenance: list[dict] = field(default_factory=list)

    @property
    def has_model(self) -> bool:
        return self.model_meta is not None and (self.run_dir / MODEL_WEIGHTS).is_file()


def load_run_files(run_dir: str | Path) -> RunFiles:
    """Read a search and/or training run folder.

    Raises:
        GenasError: not a folder, or a folder with none of a run's files.
        InputError: a corrupt JSON file.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise GenasError(f"{run_dir}: not a folder")
    config_path = run_dir / CONFIG_YAML
    config = load_config(config_path) if config_path.is_file() else None
    best = read_json(run_dir / BEST_ARCHITECTURE)
    metrics = read_json(run_dir / METRICS_JSON)
    comparison = read_json(run_dir / COMPARISON_JSON)
    model_meta = read_json(run_dir / MODEL_META)
    space, arch = _space_and_arch(run_dir, config, best, model_meta)
    # the searched space checks the tokens and probabilities the plots draw
    history = read_history(run_dir / HISTORY_JSONL, space)
    probabilities = read_probabilities(run_dir / PROBABILITIES_JSONL, space)
    if not any((history, best, metrics, model_meta)):
        raise GenasError(
            f"{run_dir}: no run files here ({HISTORY_JSONL}, {BEST_ARCHITECTURE}, {METRICS_JSON} "
            f"or {MODEL_META}); is it a genas run folder?"
        )
    return RunFiles(
        run_dir,
        config,
        history,
        probabilities,
        best,
        metrics,
        comparison,
        model_meta,
        space,
        arch,
        top_k=read_json(run_dir / TOP_K_JSON),
        provenance=read_provenance(run_dir),
    )


def _space_and_arch(
    run_dir: Path, config: RunConfig | None, best: dict | None, meta: dict | None
) -> tuple[ModelSpace | None, Architecture | None]:
    spec = (meta or {}).get("spec") or {}
    try:
        if isinstance(spec.get("space"), dict):
            space = ModelSpace.from_dict(spec["space"])
            return space, Architecture.from_dict(spec["architecture"])
        name = (config.search.space if config and config.search else None) or (best or {}).get(
            "space"
        )
        if name is None:
            return None, None
        space = get_space(name)
        if best is None:
            return space, None
        return space, Architecture.from_tokens(space, best["tokens"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GenasError(f"{run_dir}: cannot read the run's architecture ({exc})") from None
