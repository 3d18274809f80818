"""Zero-shot architecture transfer, leave one task out: does a transferred architecture
do as well on a new task as a search of it?

    .venv/bin/python benchmarks/transfer.py [--quick] [--dataset synthetic|encode]
        [--seeds 1,2] [--archs 12] [--search-epochs 4] [--max-epochs 8] [--random 4]
        [--encode-train 3000] [--jobs 2] [--work DIR] [--tag NAME]

Tasks: ``synthetic`` (default) simulates one set of 8 binary tasks (``genas simulate``: 3
JASPAR motifs, rules presence / pair within a gap / at least k copies, 200 bp, 3,000
training sequences) and splits it into 8 single-task datasets; ``encode`` takes the four
DeepBind ENCODE H1 sets (``../shared/data/deepbind_encode_h1``: SRF, TAF7, TBP, TCF12,
101 bp), each cut to ``--encode-train`` (3,000) training and 600 validation sequences drawn
with a fixed seed, so that it fits a 2-core CPU; the test sets are whole (1,000).

Every task and seed gets a search of the benchmark's small space (4 layers × 6 ops, 16
filters, no skips: 1,296 architectures): random search, each of ``--archs`` children
trained alone for ``--search-epochs`` epochs (``evaluator: independent``); searches of one
seed draw the same architectures on every task, so the tasks are compared on the same
architectures. Then, for each held-out task:

- **transfer**: ``genas transfer fit`` on the other tasks' searches, ``genas transfer
  propose`` for the held-out task (no search of it);
- **pooled**: the same model with the descriptor left out (the tasks' rankings pooled):
  what the task descriptor adds;
- **search**: the held-out task's own search, its best architecture (the search of the same
  compute as each task the transfer model learned from);
- **random**: ``--random`` architectures drawn uniformly (per seed), their median.

Each is trained from scratch the same way (up to ``--max-epochs``, early stopping on
validation AUROC, patience 3) and scored on the task's test split. Test AUROC is the mean
over seeds. A rerun with the same ``--work`` reuses every finished search and training.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import yaml
from common import print_table, write_result

from genas.config import RunConfig, parse_config
from genas.data import load_splits, write_hdf5
from genas.run_files import BEST_ARCHITECTURE, METRICS_JSON, SEARCH_STATE
from genas.search.descriptors import task_descriptor
from genas.search.transfer import (
    TASK_SCALES,
    propose,
    read_transfer_model,
    select_settings,
)
from genas.space import get_space, sample_architecture
from genas.workflows.train_run import finished_run, train_run
from genas.workflows.transfer_run import transfer_fit, transfer_propose

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
ENCODE_TFS = ("SRF", "TAF7", "TBP", "TCF12")
#: The benchmark's space: small enough to train hundreds of children on a CPU.
SPACE = {
    "name": "transfer-mini",
    "description": "4 layers x 6 ops, 16 filters, one 4x reduction, no skips",
    "ops": ["conv_k7", "conv_k3", "dilconv_k3_d4", "maxpool_k3", "avgpool_k3", "identity"],
    "n_layers": 4,
    "filters": 16,
    "reductions": [1],
    "reduction_pool": 4,
    "skips": False,
    "stem": {"kernel_size": 8, "filters": 16},
    "head": {"type": "global_pool", "units": 16, "dropout": 0.1},
}
ARMS = ("transfer", "pooled", "search", "random")
PATIENCE = 3


# ------------------------------------------------------------------------------- data


def synthetic_tasks(work: Path, quick: bool) -> dict[str, Path]:
    """The single-task folders of one simulated 8-task set (4 tasks in quick mode)."""
    import h5py

    from genas.data.simulate import simulate

    source = work / "synthetic"
    if not (source / "manifest.json").is_file():
        simulate(source, n_tasks=8, n_motifs=3, length=200, n_train=3000, n_valid=600,
                 n_test=1000, seed=1, write_mat=False, positive_rate=0.3)  # fmt: skip
    names = [t["name"] for t in json.loads((source / "manifest.json").read_text())["tasks"]]
    keep = names[:4] if quick else names
    folders = {name: work / "tasks" / name for name in keep}
    for split in ("train", "valid", "test"):
        if all((f / f"{split}.h5").is_file() for f in folders.values()):
            continue
        with h5py.File(source / f"{split}.h5") as handle:
            x, y = handle["x"][:], handle["y"][:]
        for t, name in enumerate(names):
            if name in folders:
                folders[name].mkdir(parents=True, exist_ok=True)
                write_hdf5(folders[name] / f"{split}.h5", x, y[:, [t]], [name])
    return folders


def encode_tasks(work: Path, n_train: int) -> dict[str, Path]:
    """The DeepBind ENCODE H1 sets as single-task HDF5 folders, training (and validation)
    cut to ``n_train`` (and ``n_train // 5``) sequences drawn with a fixed seed."""
    folders = {}
    for tf in ENCODE_TFS:
        base = SHARED / "deepbind_encode_h1" / tf
        if not base.is_dir():
            raise SystemExit(f"{base}: not found")
        folder = folders[tf] = work / "tasks" / tf
        if (folder / "test.h5").is_file():
            continue
        raw = {
            "format": "fasta",
            "task": tf,
            "length": 101,
            "valid_fraction": 0.1,
            "train": {"positives": ["train.pos.fa.gz"], "negatives": ["train.neg.fa.gz"]},
            "test": {"positives": ["test.pos.fa.gz"], "negatives": ["test.neg.fa.gz"]},
        }
        splits = load_splits(parse_config({"data": raw}, base).data, 1)
        rng = np.random.default_rng(1)
        folder.mkdir(parents=True, exist_ok=True)
        for split, n in (("train", n_train), ("valid", n_train // 5), ("test", None)):
            data = getattr(splits, split)
            rows = np.arange(len(data)) if n is None or n >= len(data) else np.sort(
                rng.choice(len(data), n, replace=False))  # fmt: skip
            x, y = data.get_batch(rows)
            write_hdf5(folder / f"{split}.h5", x, y, [tf])
    return folders


# ----------------------------------------------------------------------------- configs


def task_config(folder: Path, space: Path, seed: int, args, *, search: bool = False,
                tokens: list[int] | None = None) -> RunConfig:  # fmt: skip
    """The run config of one task: its search (``search``) or the training of ``tokens``."""
    raw = {
        "seed": seed,
        "data": {"format": "hdf5", "train": str(folder / "train.h5"),
                 "valid": str(folder / "valid.h5"), "test": str(folder / "test.h5")},
        "train": {"max_epochs": args["max_epochs"], "patience": PATIENCE, "batch_size": 64,
                  "device": "cpu"},
    }  # fmt: skip
    if search:
        raw["search"] = {"space": str(space), "strategy": "random", "evaluator": "independent",
                         "steps": 2, "archs_per_step": max(1, args["archs"] // 2),
                         "independent": {"epochs": args["search_epochs"]},
                         "retrain_top_k": 1}  # fmt: skip
    if tokens is not None:
        raw["model"] = {"space": str(space), "architecture": tokens}
    return parse_config(raw, folder)


def run_search(folder: Path, space: Path, seed: int, out: Path, args: dict,
               threads: int) -> None:  # fmt: skip
    """One task's search (a worker process); skipped when finished."""
    import torch

    from genas.workflows.search_run import search_run

    if (out / BEST_ARCHITECTURE).is_file():
        return
    torch.set_num_threads(threads)
    config = task_config(folder, space, seed, args, search=True)
    search_run(config, out, resume=(out / SEARCH_STATE).is_file(), progress=False,
               log=lambda _: None, report=False)  # fmt: skip


def run_training(folder: Path, space: Path, seed: int, tokens: list[int], out: Path,
                 args: dict, threads: int) -> None:  # fmt: skip
    """One training of ``tokens`` on a task (a worker process); reused when finished."""
    import torch

    config = task_config(folder, space, seed, args, tokens=tokens)
    if finished_run(config, out) is not None:
        return
    torch.set_num_threads(threads)
    train_run(config, out, progress=False)


def parallel(jobs: int, calls: list[tuple]) -> None:
    """Run ``(function, *args)`` calls in ``jobs`` processes (spawned), all to the end."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=spawn) as pool:
        for future in [pool.submit(*call) for call in calls]:
            future.result()


# ----------------------------------------------------------------------------- the run


def proposals(tasks: dict[str, Path], space: Path, seed: int, work: Path, args: dict) -> dict:
    """Per held-out task: the architectures of the four arms and the transfer model's
    leave-one-task-out Spearman ρ (mean over its tasks)."""
    space_obj = get_space(str(space))
    rng = np.random.default_rng([seed, 5])
    randoms = [sample_architecture(space_obj, rng).to_tokens() for _ in range(args["random"])]
    out = {}
    for name, folder in tasks.items():
        root = work / f"seed{seed}"
        others = [root / other / search_name(args) for other in tasks if other != name]
        model_path = root / name / f"transfer_model_{search_name(args)}.json"
        if not model_path.is_file():
            transfer_fit(others, model_path, log=lambda _: None)
        model = read_transfer_model(model_path)
        config = task_config(folder, space, seed, args)
        splits = load_splits(config.data, seed)
        proposal_dir = root / name / f"transfer_{search_name(args)}"
        proposal = transfer_propose(model_path, config, proposal_dir, train=False,
                                    splits=splits, log=lambda _: None)  # fmt: skip
        pooled_settings, _ = select_settings(space_obj, model.tasks, task_scales=(None,))
        pooled = propose(model, space_obj, task_descriptor(splits), settings=pooled_settings)
        best = json.loads((root / name / search_name(args) / BEST_ARCHITECTURE).read_text())
        rhos = [v for v in model.cross_validation.values() if v is not None]
        out[name] = {
            "transfer": proposal.architecture.to_tokens(),
            "pooled": pooled[0][0].to_tokens(),
            "search": best["tokens"],
            "random": randoms,
            "cv_rho": float(np.mean(rhos)) if rhos else None,
            "task_scale": model.settings.task_scale,
        }
    return out


def search_name(args: dict) -> str:
    """The folder of a task's search: named by its settings, so that a rerun with others
    does not reuse it."""
    return f"search_{args['archs']}x{args['search_epochs']}"


def train_dir(work: Path, seed: int, task: str, tokens: list[int]) -> Path:
    return work / f"seed{seed}" / task / "train" / "-".join(map(str, tokens))


def test_auroc(folder: Path) -> float:
    return json.loads((folder / METRICS_JSON).read_text())["test"]["summary"]["mean_auroc"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="4 synthetic tasks, 1 seed, 4 children, 4 epochs")  # fmt: skip
    parser.add_argument("--dataset", default="synthetic", choices=("synthetic", "encode"))
    parser.add_argument("--seeds", default=None, help="(1,2)")
    parser.add_argument("--archs", type=int, default=None, help="children per search (12)")
    parser.add_argument(
        "--search-epochs",
        type=int,
        default=4,
        help="epochs of each search child (4, genas's default)",
    )
    parser.add_argument("--max-epochs", type=int, default=None, help="final trainings (8)")
    parser.add_argument("--random", type=int, default=None, help="random architectures (4)")
    parser.add_argument("--encode-train", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--work", default=None, help="folder of the runs (reused)")
    parser.add_argument("--tag", default=None, help="results: transfer[_DATASET][_TAG].json")
    args = parser.parse_args()
    quick = args.quick
    seeds = [int(s) for s in (args.seeds or ("1" if quick else "1,2")).split(",")]
    settings = {
        "archs": args.archs or (4 if quick else 12),
        "search_epochs": args.search_epochs,
        "max_epochs": args.max_epochs or (4 if quick else 8),
        "random": args.random if args.random is not None else (2 if quick else 4),
    }
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="genas-transfer-"))
    work.mkdir(parents=True, exist_ok=True)
    space = work / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE, sort_keys=False))
    if args.dataset == "synthetic":
        tasks = synthetic_tasks(work, quick)
    else:
        tasks = encode_tasks(work, args.encode_train)

    parallel(args.jobs, [(run_search, folder, space, seed, work / f"seed{seed}" / name /
                          search_name(settings), settings, threads)
                         for seed in seeds for name, folder in tasks.items()])  # fmt: skip
    chosen = {seed: proposals(tasks, space, seed, work, settings) for seed in seeds}
    calls, seen = [], set()
    for seed in seeds:
        for name, arms in chosen[seed].items():
            for tokens in [arms["transfer"], arms["pooled"], arms["search"], *arms["random"]]:
                folder = train_dir(work, seed, name, tokens)
                if folder not in seen:
                    seen.add(folder)
                    calls.append((run_training, tasks[name], space, seed, tokens, folder,
                                  settings, threads))  # fmt: skip
    parallel(args.jobs, calls)

    rows, raw = [], {}
    for name in tasks:
        per_seed = []
        for seed in seeds:
            arms = chosen[seed][name]
            score = {arm: test_auroc(train_dir(work, seed, name, arms[arm]))
                     for arm in ("transfer", "pooled", "search")}  # fmt: skip
            score["random"] = statistics.median(
                test_auroc(train_dir(work, seed, name, t)) for t in arms["random"]
            )
            per_seed.append({**score, "cv_rho": arms["cv_rho"], "task_scale": arms["task_scale"],
                             "same_as_search": arms["transfer"] == arms["search"],
                             "architectures": {a: arms[a] for a in ARMS}})  # fmt: skip
        raw[name] = per_seed
        mean = {arm: float(np.mean([s[arm] for s in per_seed])) for arm in ARMS}
        rhos = [s["cv_rho"] for s in per_seed if s["cv_rho"] is not None]
        rows.append([name, mean["transfer"], mean["pooled"], mean["search"], mean["random"],
                     mean["transfer"] - mean["search"], mean["transfer"] - mean["random"],
                     float(np.mean(rhos)) if rhos else None])  # fmt: skip
    means = [float(np.mean([r[i] for r in rows])) for i in range(1, 7)]
    rows.append(["mean over tasks", *means,
                 float(np.mean([r[7] for r in rows if r[7] is not None]))])  # fmt: skip
    table = {
        "title": f"{args.dataset}: test AUROC on each held-out task (mean of {len(seeds)} "
                 "seed(s))",
        "columns": ["held-out task", "transfer", "pooled (no descriptor)", "fresh search",
                    "random (median)", "transfer − search", "transfer − random",
                    "transfer model LOTO ρ"],
        "rows": rows,
    }  # fmt: skip
    print_table(table)
    n = len(tasks) * len(seeds)
    flat = [s for per_seed in raw.values() for s in per_seed]
    wins = {other: sum(s["transfer"] > s[other] for s in flat) for other in ARMS[1:]}
    ties = {other: sum(s["transfer"] == s[other] for s in flat) for other in ARMS[1:]}
    searched = settings["archs"] * settings["search_epochs"]
    scales = sorted({str(s["task_scale"]) for s in flat})
    notes = [
        f"{len(tasks)} tasks ({', '.join(tasks)}), seeds {seeds}; space `transfer-mini` "
        "(4 layers × 6 ops, 16 filters, no skips, 1,296 architectures).",
        f"Compute on the held-out task: fresh search {settings['archs']} children × "
        f"{settings['search_epochs']} epochs ({searched} child-epochs of its training set); "
        f"transfer 0 (its model learned from the other {len(tasks) - 1} tasks' searches, "
        f"{settings['archs'] * (len(tasks) - 1)} children). Every arm's final model: trained "
        f"from scratch, up to {settings['max_epochs']} epochs, early stopping on validation "
        f"AUROC (patience {PATIENCE}), the seed's seed; random = median of "
        f"{settings['random']} uniform architectures.",
        f"Over {n} (task, seed) pairs the transferred architecture scored higher than the "
        + ", ".join(f"{arm} arm in {wins[arm]} (equal in {ties[arm]})" for arm in ARMS[1:])
        + f"; it was the fresh search's own choice in "
        f"{sum(s['same_as_search'] for s in flat)}.",
        f"Task length scales chosen by leave-one-task-out CV (of {TASK_SCALES}; None = tasks "
        f"pooled): {', '.join(scales)}.",
    ]
    for note in notes:
        print(note)
    name = "transfer" if args.dataset == "synthetic" else f"transfer_{args.dataset}"
    name += f"_{args.tag}" if args.tag else ""
    title = (f"Zero-shot architecture transfer, leave one task out ({args.dataset}; search "
             f"children trained {settings['search_epochs']} epochs)")  # fmt: skip
    write_result(name, title,
                 [table], quick=quick, notes=notes,
                 extra={"settings": settings, "raw": raw})  # fmt: skip


if __name__ == "__main__":
    main()
