"""Which search pays on a CPU budget? Every strategy × evaluator at the same wall clock.

    .venv/bin/python benchmarks/search_compare.py [--quick] [--datasets taf7,tbp]
        [--searches rl:shared,random:shared,random:independent,evolution:independent,...]
        [--seeds 1,2,3] [--budget 10m] [--top-k 3] [--max-epochs 20] [--random 5]
        [--references deepbind] [--jobs 1] [--work DIR] [--tag NAME] [--ensembles]
        [--machine-note TEXT]

Each search named ``strategy:evaluator[:space]`` runs on that space (default ``small``;
``small-tuned`` searches the learning rate, dropout and width too) for the same wall-clock
``--budget`` (nothing else stops it), then its ``--top-k`` best architectures are
retrained from scratch with the same recipe (early stopping on validation AUROC, up to
``--max-epochs``) and the best of them on validation is kept (``search.retrain_top_k``).
Evaluators, each with genas's defaults otherwise:

- ``shared``: the weight-sharing supernet (2 warm-up epochs, 20 minibatches per step);
- ``independent``: each child trained from scratch for 4 epochs;
- ``independent1``: the same, 1 epoch per child;
- ``halving``: independent children by successive halving (rungs of 1 and 3 epochs, η = 3).

Beside them, per seed: ``--random`` architectures drawn uniformly from the first search's
space and the ``--references``, trained with the same recipe (``genas compare``). Test
AUROC is reported as mean ± sd over seeds; the anytime plot (best validation reward so far
against search seconds, mean over seeds) goes to ``results/anytime_<dataset>_<tag>.png``.
A rerun with the same ``--work`` reuses every finished search and training. Rewards of
different evaluators are different estimates and are not comparable with each other; the
test rows are. The notes give the children each search trained: the check that the searches
had the same machine (a search beside a foreign job trains far fewer).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import numpy as np
from common import RESULTS_DIR, print_table, write_result
from quality import (
    auroc_standard_error,
    dataset_config,
    median_row,
    search_and_retrain,
    summarise,
)

from genas.config import RunConfig, parse_config
from genas.data import load_splits
from genas.run_files import (
    BEST_ARCHITECTURE,
    COMPARE_DIR,
    HISTORY_JSONL,
    METRICS_JSON,
    MODEL_META,
    MODEL_WEIGHTS,
    PROBABILITIES_JSONL,
    TOP_K_DIR,
    TOP_K_JSON,
)
from genas.search.history import read_jsonl
from genas.workflows.compare_run import compare_run

EVALUATORS = {
    "shared": {"evaluator": "shared", "warmup_epochs": 2, "child_steps": 20},
    "independent": {"evaluator": "independent", "independent": {"epochs": 4}},
    "independent1": {"evaluator": "independent", "independent": {"epochs": 1}},
    "halving": {"evaluator": "independent", "independent": {"rungs": [1, 3], "eta": 3}},
}
DEFAULT_SEARCHES = ("rl:shared,random:shared,random:independent,evolution:independent,"
                    "tpe:independent,evolution:halving,evolution:halving:small-tuned")


def parse_search(search: str) -> tuple[str, str, str]:
    """``strategy:evaluator[:space]`` → (strategy, evaluator, space)."""
    strategy, evaluator, *space = search.split(":")
    return strategy, evaluator, (space[0] if space else "small")


def run_config(data: dict, base: Path, seed: int, search: str, args) -> RunConfig:
    strategy, evaluator, space = parse_search(search)
    raw = {
        "seed": seed,
        "data": data,
        "train": {"max_epochs": args.max_epochs, "patience": 4, "batch_size": 64,
                  "rc_predict": True, "device": "cpu"},
        "search": {"space": space, "strategy": strategy, "steps": 100000,
                   "archs_per_step": 10, "retrain_top_k": args.top_k,
                   **EVALUATORS[evaluator]},
    }
    return parse_config(raw, base, "<benchmark>")


def label(search: str) -> str:
    strategy, evaluator, space = parse_search(search)
    return f"{strategy} × {evaluator}" + ("" if space == "small" else f" ({space})")


def search_folder(work: Path, name: str, seed: int, search: str) -> Path:
    return work / f"{name}_seed{seed}_{search.replace(':', '_')}"


def anytime_curve(run_dir: Path) -> tuple[list[float], list[float]]:
    """(search seconds at the end of each step, best validation reward so far)."""
    rows = read_jsonl(run_dir / HISTORY_JSONL)
    steps = read_jsonl(run_dir / PROBABILITIES_JSONL)
    seconds, best, out_s, out_b = 0.0, -np.inf, [], []
    for step in steps:
        seconds += sum((step.get("seconds") or {}).values())
        rewards = [r["reward"] for r in rows if r["step"] == step["step"] and r["reward"]]
        best = max([best, *rewards])
        out_s.append(seconds)
        out_b.append(float(best))
    return out_s, out_b


def one_search(name: str, data: dict, base: Path, seed: int, search: str, work: Path, args,
               threads: int) -> None:
    """One search, retrained (meant for a worker process of ``--jobs``)."""
    import torch

    torch.set_num_threads(threads)
    config = run_config(data, base, seed, search, args)
    splits = load_splits(config.data, seed)
    search_and_retrain(config, search_folder(work, name, seed, search), splits, args.budget)


def baselines(name: str, data: dict, base: Path, seed: int, work: Path, args,
              threads: int) -> list[dict]:
    """The seed's random architectures and references (trained in the first search's folder)."""
    import torch

    torch.set_num_threads(threads)
    out = search_folder(work, name, seed, args.searches[0])
    splits = load_splits(run_config(data, base, seed, args.searches[0], args).data, seed)
    return compare_run(out, n_random=args.random, references=args.references, splits=splits,
                       progress=False, log=lambda _: None)


def train_all(found: dict[str, tuple[dict, Path]], seeds: list[int], work: Path, args,
              threads: int) -> None:
    """Every search (then its retraining) and every seed's baselines of every dataset, in one
    pool of ``--jobs`` workers: a seed's baselines start once its first search is done (they
    train in that search's folder), and no core waits for the last search of a dataset
    before the next dataset starts."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=spawn) as pool:
        pending = {pool.submit(one_search, name, data, base, seed, search, work, args, threads):
                   (name, seed, search)
                   for name, (data, base) in found.items() for seed in seeds
                   for search in args.searches}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                name, seed, search = pending.pop(future)
                future.result()
                if search == args.searches[0]:
                    data, base = found[name]
                    pending[pool.submit(baselines, name, data, base, seed, work, args,
                                        threads)] = (name, seed, "baselines")


def ensemble_row(label_: str, folders: list[Path], config: RunConfig, splits) -> dict | None:
    """Test metrics of the ensemble (averaged probabilities) of the models trained in
    ``folders`` (``search.ensemble``'s model, built after the fact); None with fewer than 2."""
    from genas.nn import Ensemble
    from genas.nn.model_file import load_model
    from genas.workflows.train_run import evaluate_splits

    folders = [f for f in folders if (f / MODEL_WEIGHTS).is_file()]
    if len(folders) < 2:
        return None
    members = [load_model(f).model for f in folders]
    metrics = evaluate_splits(Ensemble(members).eval(), splits, config)
    return {"model": label_, "parameters": sum(sum(p.numel() for p in m.parameters())
                                               for m in members),
            "test_mean_auroc": metrics["test"]["summary"]["mean_auroc"],
            "test_mean_auprc": metrics["test"]["summary"]["mean_auprc"]}


def best_single_model(out: Path) -> dict:
    """Test metrics and size of the retrained candidate best on validation: the run's model
    without ``search.ensemble`` (with it, the run's model.json / metrics.json are the
    ensemble's, which is its own row)."""
    if not (out / TOP_K_JSON).is_file():  # top-k 1: the run's model is that candidate
        metrics = json.loads((out / METRICS_JSON).read_text())["test"]["summary"]
        return {"parameters": json.loads((out / MODEL_META).read_text())["parameters"],
                "test_mean_auroc": metrics["mean_auroc"], "test_mean_auprc": metrics["mean_auprc"]}
    trained = [r for r in json.loads((out / TOP_K_JSON).read_text())["rows"] if not r["error"]]
    chosen = max(trained, key=lambda r: r["valid_score"])
    return {key: chosen[key] for key in ("parameters", "test_mean_auroc", "test_mean_auprc")}


def one_seed(name: str, data: dict, base: Path, seed: int, work: Path, args) -> dict:
    """Rows {model: row} and the anytime curves of one dataset and seed (all trained).

    With ``--ensembles``, each search's retrained top-k also as one ensemble, and the first
    k random architectures as one ensemble beside it: the same number of trained models,
    so the two rows separate what the search adds from what averaging adds."""
    rows, curves = {}, {}
    splits = load_splits(run_config(data, base, seed, args.searches[0], args).data, seed)
    for search in args.searches:
        out = search_folder(work, name, seed, search)
        best = json.loads((out / BEST_ARCHITECTURE).read_text())
        rows[label(search)] = {
            "model": label(search),
            **best_single_model(out),
            "search_seconds": best["search_seconds"],
            "controller_steps": best["steps_done"],
            "children": len(read_jsonl(out / HISTORY_JSONL)),
            "train_seconds": _retrain_seconds(out),
        }
        curves[search] = anytime_curve(out)
        if args.ensembles:
            config = run_config(data, base, seed, search, args)
            members = sorted((out / TOP_K_DIR).glob("rank_*"))
            row = ensemble_row(f"{label(search)}, ensemble of top {len(members)}", members,
                               config, splits)
            if row:
                rows[row["model"]] = row
    compared = baselines(name, data, base, seed, work, args, torch_threads())
    randoms = [r for r in compared if r["model"].startswith("random_")]
    if randoms:
        rows["random architectures (median)"] = median_row(randoms)
    if args.ensembles and randoms:
        first = search_folder(work, name, seed, args.searches[0]) / COMPARE_DIR
        k = min(args.top_k, len(randoms))
        row = ensemble_row(f"ensemble of {k} random architectures",
                           [first / f"random_{i}" for i in range(1, k + 1)],
                           run_config(data, base, seed, args.searches[0], args), splits)
        if row:
            rows[row["model"]] = row
    for r in compared:
        if r["model"] != "searched (genas)" and r not in randoms:
            rows[r["model"]] = r
    labels = splits.test.get_batch(np.arange(len(splits.test)))[1]
    return {"rows": rows, "curves": curves, "test_labels": labels}


def _retrain_seconds(out: Path) -> float:
    top_k = out / TOP_K_JSON
    if top_k.is_file():
        return sum(r.get("train_seconds") or 0.0 for r in json.loads(top_k.read_text())["rows"])
    return json.loads((out / METRICS_JSON).read_text())["train_seconds"]


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def plot_anytime(name: str, per_seed: list[dict], searches: list[str], png: Path) -> dict:
    """Mean best-so-far validation reward against search seconds, one line per search."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4), dpi=120)
    out = {}
    for search in searches:
        curves = [s["curves"][search] for s in per_seed]
        grid = np.linspace(0, min(c[0][-1] for c in curves if c[0]), 50)
        mean = np.mean([np.interp(grid, c[0], c[1], left=np.nan) for c in curves], axis=0)
        ax.plot(grid, mean, label=label(search))
        out[search] = {"seconds": grid.tolist(), "best_reward": mean.tolist()}
    ax.set_xlabel("search seconds")
    ax.set_ylabel("best validation reward so far")
    ax.set_title(f"{name}: anytime (mean of {len(per_seed)} seeds; rewards of different "
                 "evaluators are different estimates)", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="TAF7, 1 seed, 1-minute searches, 2 searches")
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--searches", default=None, help=f"(default {DEFAULT_SEARCHES})")
    parser.add_argument("--seeds", default=None)
    parser.add_argument("--budget", default=None, help="wall clock of each search (10m)")
    parser.add_argument("--top-k", type=int, default=None, help="retrained per search (3)")
    parser.add_argument("--max-epochs", type=int, default=None, help="retraining (20)")
    parser.add_argument("--random", type=int, default=None, help="random architectures (5)")
    parser.add_argument("--references", default="deepbind")
    parser.add_argument("--jobs", type=int, default=1, help="searches at once")
    parser.add_argument("--work", default=None, help="folder of the runs (reused)")
    parser.add_argument("--tag", default="search", help="results: search_compare_<dataset>_TAG")
    parser.add_argument("--ensembles", action="store_true",
                        help="also each search's top-k, and k random architectures, as "
                        "ensembles (no extra training)")
    parser.add_argument("--machine-note", default=None,
                        help="a sentence on how the machine was shared while measuring")
    args = parser.parse_args()
    quick = args.quick
    args.searches = (args.searches or ("random:shared,evolution:halving" if quick
                                       else DEFAULT_SEARCHES)).split(",")
    for search in args.searches:
        _, evaluator, _ = parse_search(search)
        if evaluator not in EVALUATORS:
            raise SystemExit(f"--searches: {search!r}: evaluator must be one of "
                             f"{', '.join(EVALUATORS)}")
    datasets = (args.datasets or ("taf7" if quick else "taf7,tbp")).split(",")
    seeds = [int(s) for s in (args.seeds or ("1" if quick else "1,2,3")).split(",")]
    args.budget = args.budget or ("1m" if quick else "10m")
    args.top_k = args.top_k or (1 if quick else 3)
    args.max_epochs = args.max_epochs or (3 if quick else 20)
    args.random = args.random if args.random is not None else (1 if quick else 5)
    args.references = tuple(r for r in args.references.split(",") if r)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        found = {}
        for name in datasets:
            if (config := dataset_config(name, work, quick)) is None:
                print(f"{name}: data not found, skipped")
            else:
                found[name] = config
        train_all(found, seeds, work, args, threads)
        for name, (data, base) in found.items():
            per_seed = [one_seed(name, data, base, seed, work, args) for seed in seeds]
            table = {
                "title": f"{name}: test set, {len(seeds)} seed(s), every search {args.budget} "
                f"of wall clock, then its top {args.top_k} retrained (up to "
                f"{args.max_epochs} epochs, best on validation kept)",
                "columns": ["model", "seeds", "AUROC", "± sd", "AUPRC", "± sd", "parameters",
                            "steps", "search s", "train s"],
                "rows": summarise(per_seed),
            }
            print_table(table)
            png = f"anytime_{name}_{args.tag}.png"
            curves = plot_anytime(name, per_seed, args.searches, RESULTS_DIR / png)
            labels = per_seed[0]["test_labels"]
            auroc = {row[0]: row[2] for row in table["rows"]}
            notes = [f"machine: {args.jobs} search(es) at a time on {os.cpu_count()} cores"]
            if args.machine_note:
                notes.append(args.machine_note)
            median = auroc.get("random architectures (median)")
            if median is not None and (se := auroc_standard_error(median, labels)):
                notes.append(f"test set: {len(labels)} sequences; the standard error of one "
                             f"test AUROC near {median:.3f} is {se:.4f} (Hanley & McNeil)")
            for search in args.searches:  # the fairness check of a wall-clock comparison
                children = [s["rows"][label(search)]["children"] for s in per_seed]
                notes.append(f"{label(search)}: children trained per search (seeds "
                             f"{','.join(map(str, seeds))}): {', '.join(map(str, children))}")
            for model in auroc:  # the spread behind each mean
                by_seed = [s["rows"][model]["test_mean_auroc"] if model in s["rows"] else None
                           for s in per_seed]
                notes.append(f"{model}: test AUROC by seed: "
                             + ", ".join("–" if v is None else f"{v:.4f}" for v in by_seed))
            for search in args.searches:
                gaps = [f"{other} {auroc[label(search)] - value:+.4f}"
                        for other, value in auroc.items()
                        if other != label(search) and value is not None]
                notes.append(f"{label(search)} minus each other row: " + "; ".join(gaps))
            write_result(f"search_compare_{name}_{args.tag}",
                         f"Strategies × evaluators at the same wall clock: {name}",
                         [table], quick=quick, notes=notes,
                         extra={"anytime": curves, "images": [f"results/{png}"]})


if __name__ == "__main__":
    main()
