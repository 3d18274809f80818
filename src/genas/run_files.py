"""The files of a run folder (DESIGN.md §2): every name, defined once, and the small helpers
that read and write them.

A run folder is the contract between the commands: ``search`` writes the history, the
checkpoint and the chosen architecture; ``retrain`` and ``train`` the model and its metrics;
``compare`` the comparison; ``report`` the plots and the page; ``motifs``, ``vep`` and
``predict`` read the model. Each of them names a file through this module, so that no two
modules can disagree on a name. This module is at the bottom of the layers: it imports
only the configuration, the file helpers and the package version (not torch), and every
layer may use it.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import genas
from genas.config import RunConfig, dump_config
from genas.errors import InputError
from genas.fileio import atomic_write_text

# --------------------------------------------------------------------- every run
#: The resolved configuration of the run; it marks a folder as a run folder.
CONFIG_YAML = "config.yaml"
#: The lock a writing command holds (:mod:`genas.run_lock`).
LOCK_FILE = ".lock"
#: The commands that wrote the run, each with its versions, device and time
#: (:func:`record_command`).
PROVENANCE_JSON = "provenance.json"

# ---------------------------------------------------------- a trained model (train, retrain)
#: The weights of the trained model (safetensors).
MODEL_WEIGHTS = "model.safetensors"
#: How to rebuild the trained model (:mod:`genas.nn.model_file`).
MODEL_META = "model.json"
#: Metrics of the trained model on the validation and test splits; its presence marks a
#: finished training of the ``config.yaml`` beside it.
METRICS_JSON = "metrics.json"
#: The epoch checkpoints of a training (resumed by ``train --resume``).
TRAIN_CHECKPOINT_DIR = "checkpoint"
#: What makes a folder a trained model elsewhere: copied together by ``retrain --top-k``.
MODEL_FILES = (MODEL_WEIGHTS, MODEL_META, METRICS_JSON)

# ------------------------------------------------------------------------------ search
#: One JSON line per scored architecture (:mod:`genas.search.history`).
HISTORY_JSONL = "history.jsonl"
#: The same history as CSV.
HISTORY_CSV = "history.csv"
#: One JSON line per controller step: the policy's probabilities and the step's seconds.
PROBABILITIES_JSONL = "controller_probabilities.jsonl"
#: The search checkpoint (:mod:`genas.search.checkpoint`), and the one before it.
SEARCH_STATE = "search_state.pt"
SEARCH_STATE_PREVIOUS = "search_state.prev.pt"
#: What a resumed search must share with the run beyond its config (space content, data).
SEARCH_FINGERPRINT_JSON = "search_fingerprint.json"
#: The search's choice, with its reward and timings.
BEST_ARCHITECTURE = "best_architecture.json"
#: ``retrain --top-k``: the K candidates' folders (``top_k/rank_R``) and their table.
TOP_K_DIR = "top_k"
TOP_K_JSON = "retrain_top_k.json"
#: ``search --replicates N``: the replicates' folders (``replicate_R``) and their table.
REPLICATES_JSON = "replicates.json"
#: A multi-objective search (``search.objectives``): the Pareto front of its history
#: (:mod:`genas.search.pareto`), whose points ``retrain --pick N`` trains.
PARETO_JSON = "pareto.json"
#: ``transfer propose``: the proposal (transfer model, descriptor, ranked candidates) that
#: its ``best_architecture.json`` came from, instead of a search.
TRANSFER_JSON = "transfer.json"

# ----------------------------------------------------------------------------- compare
#: ``compare``: the baselines' run folders (``compare/NAME``) and the table, as JSON and TSV.
COMPARE_DIR = "compare"
COMPARISON_JSON = "comparison.json"
COMPARISON_TSV = "comparison.tsv"
#: ``demo``: its comparison table (with gkm-SVM), read by the report before comparison.json.
DEMO_SUMMARY_JSON = "summary.json"

# ------------------------------------------------------------------------ report, motifs
#: ``report``: the self-contained page and the folder of its plots (PNG).
REPORT_HTML = "report.html"
PLOTS_DIR = "plots"
#: The logos of the filters' motifs (in :data:`PLOTS_DIR`), drawn by ``motifs``.
FILTER_LOGOS_PNG = "filter_logos.png"
#: ``motifs``: its folder, and the files in it.
MOTIFS_DIR = "motifs"
FILTERS_MEME = "filters.meme"
MATCHES_TSV = "matches.tsv"
MOTIFS_JSON = "motifs.json"


def top_k_name(rank: int) -> str:
    """The name (and folder under :data:`TOP_K_DIR`) of the candidate of search rank ``rank``."""
    return f"rank_{rank}"


def replicate_dir(run_dir: Path, number: int) -> Path:
    """The run folder of replicate search ``number`` (1-based) of ``run_dir``."""
    return run_dir / f"replicate_{number}"


def write_config(run_dir: Path, config: RunConfig) -> None:
    """Write the run's resolved :data:`CONFIG_YAML`, atomically."""
    atomic_write_text(run_dir / CONFIG_YAML, dump_config(config))


def record_command(run_dir: Path, *, device: str, seed: int) -> None:
    """Add this process's command line, versions (genas, torch, Python), ``device``, ``seed``
    and the time to :data:`PROVENANCE_JSON` (``{"commands": [...]}``, oldest first).

    A process records itself once per folder (``search --retrain`` is one command), so the
    list reads as the commands that made and then changed the run.
    """
    path = run_dir / PROVENANCE_JSON
    commands = read_provenance(run_dir)
    command = command_line()
    if (
        commands
        and commands[-1].get("pid") == os.getpid()
        and commands[-1].get("command") == command
    ):
        return
    commands.append(
        {
            "command": command,
            "time": now(),
            **software_versions(),
            "device": str(device),
            "seed": seed,
            "pid": os.getpid(),
        }
    )
    atomic_write_text(path, json.dumps({"commands": commands}, indent=1) + "\n")


def command_line() -> str:
    """This process's command line as a shell would take it: the program's name (``genas``,
    or ``python -m PACKAGE``) and its arguments, quoted where needed."""
    program = Path(sys.argv[0])
    head = (
        ["python", "-m", program.parent.name] if program.name == "__main__.py" else [program.name]
    )
    return shlex.join([*head, *sys.argv[1:]])


def software_versions() -> dict[str, str | None]:
    """``{"genas", "torch", "python"}`` versions of this process (torch's from its package
    metadata, without importing it; None if it has none)."""
    try:
        torch_version = version("torch")
    except PackageNotFoundError:  # torch built from source without metadata
        torch_version = None
    return {"genas": genas.__version__, "torch": torch_version, "python": platform.python_version()}


def now() -> str:
    """The local time with its UTC offset, to the second (ISO 8601), as provenance records it."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def read_provenance(run_dir: Path) -> list[dict]:
    """The commands of :data:`PROVENANCE_JSON`, oldest first; [] when the run has none (it
    was made before genas recorded them)."""
    commands = (read_json(run_dir / PROVENANCE_JSON) or {}).get("commands")
    return [c for c in commands if isinstance(c, dict)] if isinstance(commands, list) else []


def read_json(path: Path) -> dict | None:
    """A JSON file's object, None if the file is absent; InputError (naming the file) if it
    is not UTF-8 text, not JSON or not a JSON object."""
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(value, dict):
        raise InputError(path, f"not a JSON object (a {type(value).__name__})")
    return value
