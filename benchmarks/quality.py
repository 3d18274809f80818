"""Does the search pay off? The paper's Fig. 2 on the data we have.

    .venv/bin/python benchmarks/quality.py [--quick]
        [--datasets nfe2,oct4_mafk,synthetic,taf7,tbp,srf,tcf12] [--seeds 1,2,3]
        [--steps 100] [--budget 30m] [--top-k 3] [--child-steps 20]
        [--reward-sequences N] [--device auto] [--jobs 1] [--train-on strategy]

For every dataset and seed (in one process, or in parallel with ``--jobs``):

- ``rl × shared``: AMBER's controller with the weight-sharing supernet, for ``--steps``
  controller steps (or until ``--budget`` ends, if given and reached first);
  its ``--top-k`` best architectures retrained from scratch (early stopping on validation
  AUROC) and the best of them on validation kept (``search.retrain_top_k``);
- ``random × shared``: random search with the same steps, supernet and final selection;
- 5 architectures sampled uniformly from the same space and trained like the final model
  (the paper's baseline; ``genas compare``), and the reference networks trained the same way;
- on NFE2 also the gkm-SVM scores shipped with the data.

Test AUROC / AUPRC are reported as mean ± sd over seeds, with parameters and seconds; a
note names the models whose training ended at chance in some seed, another where the two
searches' seconds went (supernet training, scoring, controller). The anytime curve (best
validation reward vs architectures scored, ``rl`` vs ``random``) comes from the two
searches' histories and is drawn to ``results/anytime_<dataset>.png``. A run on a CUDA device
writes ``quality_<dataset>_cuda.json`` and ``anytime_<dataset>_cuda.png`` instead, beside
the CPU results.
Data come from ``../shared/data`` (missing sets are skipped, with a note); the synthetic set
is made with ``genas simulate`` (32 tasks, 1000 bp) into the work folder. Searched and random
search rows count the training seconds of all ``--top-k`` retrained candidates.

Full mode bounds searches by controller steps only, so rl and random get equal compute: a
wall-clock budget gives each search the compute the machine happened to have free, and on a
shared machine two searches with the same budget ran 5× apart in controller steps. Quick
mode bounds them by a 1-minute budget instead, to keep its run time fixed. A rerun with the
same ``--work`` folder reuses every finished search, retraining and training, so adding a
reference trains only that reference. ``--jobs N`` runs the searches (and each seed's baseline
trainings) of all datasets and seeds in N processes at once, each on cores/N torch threads,
before the tables are made from their folders; on a GPU machine with many cores this is
several times faster than one search after another.

``rl``'s supernet trains on the controller's own draws, as in AMBER
(``search.supernet.train_on: strategy``), unless ``--train-on uniform`` (genas's default)
trains it on uniformly drawn paths (random search's are uniform anyway): its searches go to
``<dataset>_seed<N>_rl_uniform``, its results to ``quality_<dataset>_uniform[_cuda].json``,
and the random searches of a run without it in the same ``--work`` folder are reused.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from common import RESULTS_DIR, print_table, result_name, write_result
from sklearn.metrics import average_precision_score, roc_auc_score

from genas.config import RunConfig, parse_config
from genas.data import load_splits
from genas.run_files import (
    BEST_ARCHITECTURE,
    COMPARE_DIR,
    HISTORY_JSONL,
    METRICS_JSON,
    MODEL_META,
    SEARCH_STATE,
    TOP_K_JSON,
)
from genas.search.history import read_jsonl
from genas.train import resolve_device
from genas.train.metrics import auroc_standard_error as hanley_mcneil_se
from genas.workflows.compare_run import LEARNED_AUROC, compare_run
from genas.workflows.search_run import retrain_run, search_run

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
REFERENCES = ("deepbind", "deepsea", "basset", "danq")
#: Dataset name -> folder of ``deepbind_encode_h1``: TAF7 and TBP are far from saturated.
ENCODE_TFS = {"taf7": "TAF7", "tbp": "TBP", "srf": "SRF", "tcf12": "TCF12"}


def dataset_config(name: str, work: Path, quick: bool) -> tuple[dict, Path] | None:
    """(data section, base folder) of a dataset, or None when its files are absent."""
    if name == "nfe2":
        base = SHARED / "nfe2_gm12878"
        data = {
            "format": "fasta", "task": "NFE2", "length": 250, "fit_length": "pad",
            "train": {"positives": ["nfe2.tr.fa"], "negatives": ["nfe2.neg.tr.fa"]},
            "test": {"positives": ["nfe2.test.fa"], "negatives": ["nfe2.neg.test.fa"]},
        }
    elif name == "oct4_mafk":
        base = SHARED / "janggu_oct4_mafk"
        data = {
            "format": "fasta", "task": "Oct4_vs_MafK", "length": 200, "fit_length": "pad",
            "train": {"positives": ["sample.fa"], "negatives": ["sample2.fa"]},
            "test": {"positives": ["sample_test.fa"], "negatives": ["sample2_test.fa"]},
        }
    elif name in ENCODE_TFS:  # DeepBind's ENCODE H1 sets: peaks vs shuffled peaks, 101 bp
        base = SHARED / "deepbind_encode_h1" / ENCODE_TFS[name]
        data = {
            "format": "fasta", "task": ENCODE_TFS[name], "length": 101,
            "train": {"positives": ["train.pos.fa.gz"], "negatives": ["train.neg.fa.gz"]},
            "test": {"positives": ["test.pos.fa.gz"], "negatives": ["test.neg.fa.gz"]},
        }
    elif name == "synthetic":
        from genas.data.simulate import simulate

        base = work / "synthetic"
        sizes = (1000, 300, 300) if quick else (4000, 800, 800)  # sized for a CPU
        if not (base / "manifest.json").is_file():
            simulate(base, n_tasks=32, length=1000, n_train=sizes[0], n_valid=sizes[1],
                     n_test=sizes[2], seed=1, write_mat=False)
        data = {"format": "hdf5", "train": "train.h5", "valid": "valid.h5", "test": "test.h5"}
    else:
        raise SystemExit(f"unknown dataset {name!r}")
    if not base.is_dir():
        return None
    data.update({"rc_augment": True})
    if name != "synthetic":
        data["valid_fraction"] = 0.1
    return data, base


def run_config(data: dict, base: Path, seed: int, strategy: str, args) -> RunConfig:
    raw = {
        "seed": seed,
        "data": data,
        "train": {"max_epochs": args.max_epochs, "patience": 6, "batch_size": 64,
                  "rc_predict": True, "device": args.device},
        "search": {"space": "small", "strategy": strategy, "evaluator": "shared",
                   "supernet": {"train_on": args.train_on if strategy == "rl" else "strategy"},
                   "warmup_epochs": 1 if args.quick else 2, "steps": args.steps,
                   "child_steps": args.child_steps, "archs_per_step": 10,
                   "reward_sequences": args.reward_sequences, "retrain_top_k": args.top_k},
    }
    return parse_config(raw, base, "<benchmark>")


def search_dir(work: Path, name: str, seed: int, strategy: str, args) -> Path:
    """The folder of one search of the run."""
    uniform = strategy == "rl" and args.train_on == "uniform"
    return work / f"{name}_seed{seed}_{strategy}{'_uniform' if uniform else ''}"


def best_so_far(run_dir: Path) -> list[float]:
    """Best validation reward after each scored architecture, in history order."""
    best, out = -np.inf, []
    for row in read_jsonl(run_dir / HISTORY_JSONL):
        reward = row.get("reward")
        if reward is not None and np.isfinite(reward):
            best = max(best, reward)
        out.append(float(best))
    return out


def search_and_retrain(config: RunConfig, out: Path, splits, budget: str | None) -> dict:
    """Search (resuming a stopped one in ``out``) and retrain; the search's seconds and
    controller steps, and the training seconds of all retrained candidates.

    A finished search is not run again, a finished retraining (with the same top-k) is reused.
    """
    best = out / BEST_ARCHITECTURE
    top_k = config.search.retrain_top_k
    retrained = (out / METRICS_JSON).is_file() and (top_k == 1 or (out / TOP_K_JSON).is_file())
    if not best.is_file() or not retrained:
        if best.is_file() and (out / METRICS_JSON).is_file():  # retrained with another top-k
            retrain_run(out, splits=splits, top_k=top_k, progress=False, log=lambda _: None)
        else:
            search_run(config, out, resume=(out / SEARCH_STATE).is_file(), budget=budget,
                       retrain=True, progress=False, log=lambda _: None, splits=splits,
                       report=False)
    search = json.loads(best.read_text())
    if top_k == 1:
        train_seconds = json.loads((out / METRICS_JSON).read_text())["train_seconds"]
    else:
        rows = json.loads((out / TOP_K_JSON).read_text())["rows"]
        train_seconds = sum(r.get("train_seconds") or 0.0 for r in rows)
    return {"search_seconds": search["search_seconds"], "controller_steps": search["steps_done"],
            "seconds_by_part": search.get("seconds_by_part"),  # absent in older runs
            "train_seconds": train_seconds}


def median_row(randoms: list[dict]) -> dict:
    """The median over the random architectures of each column."""

    def median(key: str) -> float | None:
        values = [r[key] for r in randoms if r.get(key) is not None]
        return statistics.median(values) if values else None

    groups = {g for r in randoms for g in r.get("groups") or {}}
    return {
        "model": f"random architectures (median of {len(randoms)})",
        "groups": {
            g: statistics.median(r["groups"][g] for r in randoms if g in (r.get("groups") or {}))
            for g in sorted(groups)
        },
        "parameters": median("parameters"),
        "test_mean_auroc": median("test_mean_auroc"),
        "test_mean_auprc": median("test_mean_auprc"),
        "train_seconds": median("train_seconds"),
    }


def gkm_row() -> dict | None:
    base = SHARED / "nfe2_gm12878"
    labels, scores = [], []
    for name, label in (("nfe2.test.pred.txt", 1), ("nfe2.neg.test.pred.txt", 0)):
        path = base / name
        if not path.is_file():
            return None
        for line in path.read_text().splitlines():
            if line.strip():
                scores.append(float(line.split()[1]))
                labels.append(label)
    return {"model": "gkm-SVM (shipped scores)", "parameters": None,
            "test_mean_auroc": float(roc_auc_score(labels, scores)),
            "test_mean_auprc": float(average_precision_score(labels, scores)),
            "train_seconds": None}


def compare_baselines(out: Path, splits, args) -> list[dict]:
    """The seed's random architectures and references, trained in the ``rl`` search's folder
    (``genas compare``; trainings already in ``out/compare`` are reused). They do not depend
    on the search, so a ``_uniform`` search starts from those of the default one beside it."""
    default = out.with_name(out.name.removesuffix("_uniform"))
    if default != out and (default / COMPARE_DIR).is_dir() and not (out / COMPARE_DIR).exists():
        shutil.copytree(default / COMPARE_DIR, out / COMPARE_DIR)
    return compare_run(out, n_random=args.random, references=args.references, splits=splits,
                       progress=False, log=lambda _: None)


def run_one_search(name: str, data: dict, base: Path, seed: int, strategy: str, work: Path,
                   args, threads: int) -> None:
    """One search of :func:`one_seed`, retrained, and after ``rl`` the seed's baselines, so
    that :func:`one_seed` finds them done; meant for a worker process of ``--jobs``."""
    import torch

    torch.set_num_threads(threads)
    config = run_config(data, base, seed, strategy, args)
    splits = load_splits(config.data, seed)
    out = search_dir(work, name, seed, strategy, args)
    search_and_retrain(config, out, splits, args.budget)
    if strategy == "rl":
        compare_baselines(out, splits, args)


def run_searches_in_parallel(found: dict[str, tuple[dict, Path]], seeds: list[int],
                             work: Path, args) -> None:
    """Every (dataset, seed, strategy) search of the run, ``args.jobs`` at a time."""
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    spawn = multiprocessing.get_context("spawn")  # CUDA cannot be used in a forked child
    with ProcessPoolExecutor(args.jobs, mp_context=spawn) as pool:
        futures = [pool.submit(run_one_search, name, data, base, seed, strategy, work, args,
                               threads)
                   for name, (data, base) in found.items() for seed in seeds
                   for strategy in ("rl", "random")]
        for future in futures:
            future.result()  # raises a worker's error here


def one_seed(name: str, data: dict, base: Path, seed: int, work: Path, args) -> dict[str, Any]:
    """Rows {model: row} and the two anytime curves of one dataset and seed."""
    splits = load_splits(run_config(data, base, seed, "rl", args).data, seed)
    rows: dict[str, dict] = {}
    curves = {}
    for strategy in ("rl", "random"):
        out = search_dir(work, name, seed, strategy, args)
        config = run_config(data, base, seed, strategy, args)
        costs = search_and_retrain(config, out, splits, args.budget)
        curves[strategy] = best_so_far(out)
        metrics = json.loads((out / METRICS_JSON).read_text())
        label = "searched (rl × shared)" if strategy == "rl" else "random search (× shared)"
        test_groups = metrics["test"].get("groups") or {}
        rows[label] = {
            "model": label,
            "parameters": json.loads((out / MODEL_META).read_text())["parameters"],
            "groups": {g: v["mean_auroc"] for g, v in test_groups.items()},
            "test_mean_auroc": metrics["test"]["summary"]["mean_auroc"],
            "test_mean_auprc": metrics["test"]["summary"]["mean_auprc"],
            **costs,
            "archs_scored": len(curves[strategy]),
        }
        if strategy == "rl":
            compared = compare_baselines(out, splits, args)
            randoms = [r for r in compared if r["model"].startswith("random_")]
            if randoms:
                rows["random architectures (median)"] = median_row(randoms)
            for r in compared:
                if r["model"] != "searched (genas)" and r not in randoms:
                    rows[r["model"]] = r
    labels = splits.test.get_batch(np.arange(len(splits.test)))[1]  # float32 (N, T)
    return {"rows": rows, "curves": curves, "test_labels": labels}


def auroc_standard_error(auroc: float, labels) -> float | None:
    """The standard error of one AUROC on a single-task test set of ``labels`` (N, 1)
    (:func:`genas.train.metrics.auroc_standard_error`); None for several tasks. It says
    how far apart two models' test AUROCs must be before the test set can tell them apart."""
    if labels.shape[1] != 1:
        return None
    n_pos = int((labels[:, 0] == 1).sum())
    return hanley_mcneil_se(auroc, n_pos, int((labels[:, 0] == 0).sum()))


def gap_note(rows: list[list], se: float | None) -> str:
    """How far the searched model's mean test AUROC is above (+) or below (−) each other row
    of a :func:`summarise` table, in standard errors of one test AUROC where ``se`` is known."""
    auroc = {row[0]: row[2] for row in rows}
    searched = auroc["searched (rl × shared)"]
    parts = []
    for model, value in auroc.items():
        if model == "searched (rl × shared)" or value is None:
            continue
        gap = searched - value
        parts.append(f"{model} {gap:+.4f}" + (f" ({gap / se:+.2f} SE)" if se else ""))
    return "searched minus each other model, mean test AUROC: " + "; ".join(parts)


def parts_note(per_seed: list[dict]) -> str | None:
    """Where the two searches' seconds went (supernet / scoring / controller, % of the sum
    over seeds); None when no search recorded it."""
    parts = []
    for label in ("searched (rl × shared)", "random search (× shared)"):
        split = [s["rows"][label].get("seconds_by_part") for s in per_seed
                 if label in s["rows"]]
        split = [x for x in split if x]
        if split:
            totals = {k: sum(x.get(k, 0.0) for x in split) for k in split[0]}
            whole = sum(totals.values()) or 1.0
            parts.append(f"{label.split(' (')[0]}: " + ", ".join(
                f"{k} {100 * v / whole:.0f} %" for k, v in totals.items()))
    return "search time by part: " + "; ".join(parts) if parts else None


def chance_note(per_seed: list[dict]) -> str | None:
    """Which models ended some seeds at chance (mean test AUROC < LEARNED_AUROC: it never
    learned), and their mean over the seeds that learned; None if none did."""
    parts = []
    for model in dict.fromkeys(m for s in per_seed for m in s["rows"]):
        values = [s["rows"][model].get("test_mean_auroc") for s in per_seed
                  if model in s["rows"]]
        values = [v for v in values if v is not None]
        learned = [v for v in values if v >= LEARNED_AUROC]
        if len(learned) < len(values):
            parts.append(
                f"{model} in {len(values) - len(learned)} of {len(values)} seeds"
                + (f" (mean of the others {np.mean(learned):.4f})" if learned else "")
            )
    if not parts:
        return None
    return (f"ended at chance (test AUROC < {LEARNED_AUROC}; counted in the means above): "
            + "; ".join(parts))


def summarise(per_seed: list[dict]) -> list[list]:
    """One row per model: mean ± sd over seeds of the test metrics, parameters, seconds."""
    models = list(dict.fromkeys(m for s in per_seed for m in s["rows"]))
    table = []
    for model in models:
        got = [s["rows"][model] for s in per_seed if model in s["rows"]]

        def stat(key: str, got=got) -> tuple[float | None, float | None]:
            values = [g[key] for g in got if g.get(key) is not None]
            if not values:
                return None, None
            sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
            return float(np.mean(values)), sd

        auroc, auroc_sd = stat("test_mean_auroc")
        auprc, auprc_sd = stat("test_mean_auprc")
        params, _ = stat("parameters")
        search_s, _ = stat("search_seconds")
        steps, _ = stat("controller_steps")
        train_s, _ = stat("train_seconds")
        table.append([model, len(got), auroc, auroc_sd, auprc, auprc_sd,
                      None if params is None else int(params),
                      None if steps is None else round(steps), search_s, train_s])
    return table


def group_table(name: str, per_seed: list[dict]) -> dict | None:
    """Mean test AUROC per task group (mean ± sd over seeds) of each model; None without groups."""
    models = list(dict.fromkeys(m for s in per_seed for m in s["rows"]))
    rows_of_seeds = [r for s in per_seed for r in s["rows"].values()]
    groups = sorted({g for r in rows_of_seeds for g in r.get("groups") or {}})
    if not groups:
        return None
    rows = []
    for model in models:
        row = [model]
        for group in groups:
            values = [s["rows"][model]["groups"][group] for s in per_seed
                      if group in (s["rows"].get(model, {}).get("groups") or {})]
            sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
            row += [float(np.mean(values)) if values else None, sd]
        rows.append(row)
    return {
        "title": f"{name}: mean test AUROC per task group ({len(per_seed)} seed(s))",
        "columns": ["model"] + [c for g in groups for c in (g, "± sd")],
        "rows": rows,
    }


def anytime(name: str, per_seed: list[dict], png: Path, rl_label: str = "rl × shared") -> dict:
    """The mean best-so-far curves of rl and random, drawn to ``png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    out = {}
    for strategy, colour, label in (("rl", "tab:blue", rl_label),
                                    ("random", "tab:orange", "random × shared")):
        curves = [s["curves"][strategy] for s in per_seed]
        n = min(len(c) for c in curves)
        mean = np.mean([c[:n] for c in curves], axis=0) if n else np.array([])
        ax.plot(np.arange(1, n + 1), mean, color=colour, label=label)
        out[strategy] = [float(v) for v in mean]
    ax.set_xlabel("architectures scored")
    ax.set_ylabel("best validation reward so far (mean AUROC)")
    ax.set_title(f"anytime performance, {name} (mean of {len(per_seed)} seeds)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="NFE2, 1 seed, 1-minute searches")
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--seeds", default=None)
    parser.add_argument("--budget", default=None,
                        help="wall-clock cap per search (e.g. 30m; quick: 1m, full: none)")
    parser.add_argument("--work", default=None, help="folder for the runs (default: temporary); "
                        "a rerun with the same folder resumes stopped searches and reuses "
                        "finished runs")
    parser.add_argument("--references", default=None,
                        help=f"comma-separated (default: {','.join(REFERENCES)}; quick: "
                        "deepbind; '' for none)")
    parser.add_argument("--random", type=int, default=None, help="random architectures (5)")
    parser.add_argument("--max-epochs", type=int, default=None, help="training epochs (30)")
    parser.add_argument("--steps", type=int, default=None,
                        help="controller steps per search, if the budget does not end it first "
                        "(100; quick: 1000, so that the budget ends it)")
    parser.add_argument("--top-k", type=int, default=None,
                        help="architectures retrained per search, best on validation kept (3; "
                        "quick: 1)")
    parser.add_argument("--child-steps", type=int, default=20,
                        help="supernet minibatches per controller step (20)")
    parser.add_argument("--reward-sequences", type=int, default=None,
                        help="validation sequences each architecture is scored on (all)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, ... (results of a "
                        "CUDA run go to quality_<dataset>_cuda.json)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="searches run at once, in separate processes (1)")
    parser.add_argument("--train-on", choices=("strategy", "uniform"), default="strategy",
                        help="paths rl's supernet trains on (search.supernet.train_on): "
                        "strategy, AMBER's, with which the main rows were measured; uniform, "
                        "genas's default, results in quality_<dataset>_uniform.json")
    args = parser.parse_args()
    device = resolve_device(args.device)  # names the results; the configs keep args.device
    datasets = (args.datasets or ("nfe2" if args.quick else "nfe2,oct4_mafk,synthetic")).split(",")
    seeds = [int(s) for s in (args.seeds or ("1" if args.quick else "1,2,3")).split(",")]
    args.budget = args.budget or ("1m" if args.quick else None)
    args.steps = args.steps or (1000 if args.quick else 100)
    references = args.references if args.references is not None else (
        "deepbind" if args.quick else ",".join(REFERENCES))
    args.references = tuple(r for r in references.split(",") if r)  # "" for none
    args.random = args.random if args.random is not None else (2 if args.quick else 5)
    args.max_epochs = args.max_epochs or (5 if args.quick else 30)
    args.top_k = args.top_k or (1 if args.quick else 3)
    uniform = args.train_on == "uniform"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        found = {}
        for name in datasets:
            if (config := dataset_config(name, work, args.quick)) is None:
                print(f"{name}: data not found under {SHARED}, skipped")
            else:
                found[name] = config
        if args.jobs > 1:
            run_searches_in_parallel(found, seeds, work, args)
        for name, (data, base) in found.items():
            per_seed = [one_seed(name, data, base, seed, work, args) for seed in seeds]
            if name == "nfe2" and (gkm := gkm_row()):  # fixed scores: one "seed"
                per_seed[0]["rows"][gkm["model"]] = gkm
            table = {
                "title": f"{name}: test set, {len(seeds)} seed(s), searches of {args.steps} "
                "controller steps" + (f" or {args.budget}" if args.budget else "") + ", "
                f"{args.child_steps} supernet minibatches per "
                f"controller step, training up to {args.max_epochs} epochs, best of top "
                f"{args.top_k} retrained"
                + (", rl's supernet trained on uniform paths" if uniform else ""),
                "columns": ["model", "seeds", "AUROC", "± sd", "AUPRC", "± sd", "parameters",
                            "controller steps", "search s", "train s"],
                "rows": summarise(per_seed),
            }
            print_table(table)
            tables = [table]
            if (groups := group_table(name, per_seed)) is not None:
                print_table(groups)
                tables.append(groups)
            benchmark = name + ("_uniform" if uniform else "")
            png = f"anytime_{result_name(benchmark, device)}.png"
            curves = anytime(name, per_seed, RESULTS_DIR / png,
                             "rl × shared, uniform paths" if uniform else "rl × shared")
            notes = []
            labels = per_seed[0]["test_labels"]
            searched = next(r[2] for r in table["rows"] if r[0] == "searched (rl × shared)")
            if (se := auroc_standard_error(searched, labels)) is not None:
                notes.append(
                    f"test set: {len(labels)} sequences, {int(labels.sum())} positive; the "
                    f"standard error of one test AUROC near {searched:.3f} is {se:.4f} "
                    "(Hanley & McNeil), so gaps smaller than that are within test-set noise"
                )
            notes.append(gap_note(table["rows"], se))
            if (chance := chance_note(per_seed)) is not None:
                notes.append(chance)
            if (split := parts_note(per_seed)) is not None:
                notes.append(split)
            for strategy in ("rl", "random"):
                c = curves[strategy]
                if c:
                    marks = [c[max(0, round(f * len(c)) - 1)] for f in (0.25, 0.5, 1.0)]
                    notes.append(
                        f"anytime, {strategy}: best validation reward after 25/50/100 % of "
                        f"{len(c)} architectures: " + " / ".join(f"{m:.4f}" for m in marks)
                        + f" (plot: results/{png})"
                    )
            write_result(
                f"quality_{benchmark}",
                f"Search vs random vs hand-designed: {benchmark}",
                tables,
                quick=args.quick,
                notes=notes,
                extra={"anytime": curves, "images": [f"results/{png}"]},
                device=device,
            )


if __name__ == "__main__":
    main()
