"""Knowledge-guided reward: does adding λ × motif recovery to the reward find architectures
whose filters recover the planted motifs more often, at no loss of test AUROC?

    .venv/bin/python benchmarks/knowledge_reward.py [--quick] [--seeds 1,2,3]
        [--weight 0.1] [--steps 4] [--archs-per-step 4] [--jobs 2] [--work DIR]

A synthetic set (``genas simulate``: 4 binary tasks over 200 bp, seed 1, its planted JASPAR
motifs in ``manifest.json``) is searched once per seed with ``search.knowledge.weight`` 0
and once with ``--weight`` (λ), both with the planted motifs as the knowledge
(``search.knowledge.motifs``: with λ = 0 the score is recorded but not used), the same
number of scored architectures (``--steps`` × ``--archs-per-step``; a step budget, not wall
clock, as the machine is shared), TPE over the ``small`` space and the ``independent``
evaluator with short children (``--child-epochs``). The search's choice is retrained
(``--max-epochs``, early stopping) and then

- its units (stem and searched layers up to the reduction) are matched to JASPAR by TOMTOM
  on the test split's positives, as the knowledge score reads a child on validation
  positives: how many of the planted motifs (the truth from the manifest) some unit
  matches at q < 0.05; and the same with ``genas motifs`` (on all test sequences);
- its test AUROC (mean over tasks) is read from ``metrics.json``.

Searches write into ``--work`` (default: a temporary folder); a rerun with the same folder
reuses finished searches. ``--jobs N`` runs N searches at once, each on cores/N threads.
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

from common import print_table, write_result

from genas.config import parse_config
from genas.data import load_splits
from genas.run_files import BEST_ARCHITECTURE, HISTORY_JSONL, METRICS_JSON
from genas.search.history import read_jsonl
from genas.search.knowledge import Knowledge, KnowledgeScorer
from genas.workflows.motifs_run import motifs_run, planted_motif_ids
from genas.workflows.search_run import search_run

SPACE = "small"
DATA_SEED = 1  # the synthetic set (its planted motifs); the search seeds vary


def make_data(work: Path, quick: bool) -> Path:
    """The synthetic set in ``work/synthetic`` (made once)."""
    from genas.data.simulate import simulate

    base = work / "synthetic"
    sizes = (1500, 400, 600) if quick else (2500, 500, 1000)  # sized for a 2-core CPU
    if not (base / "manifest.json").is_file():
        simulate(base, n_tasks=4, length=200, n_train=sizes[0], n_valid=sizes[1],
                 n_test=sizes[2], seed=DATA_SEED, write_mat=False)
    return base


def make_config(base: Path, seed: int, weight: float, planted: list[str], args):
    raw = {
        "seed": seed,
        "data": {"format": "hdf5", "train": "train.h5", "valid": "valid.h5", "test": "test.h5",
                 "rc_augment": True},
        "train": {"max_epochs": args.max_epochs, "patience": 3, "batch_size": 64,
                  "device": "cpu"},
        "search": {
            "space": SPACE, "strategy": "tpe", "evaluator": "independent",
            "steps": args.steps, "archs_per_step": args.archs_per_step,
            "tpe": {"n_startup": args.startup},
            "independent": {"epochs": args.child_epochs, "batch_size": 64},
            "retrain_top_k": 1,
            "knowledge": {"motifs": planted, "weight": weight},
        },
    }
    return parse_config(raw, base, "<knowledge_reward>")


def run_dir(work: Path, seed: int, weight: float) -> Path:
    return work / f"seed{seed}_lambda{weight:g}"


def run_one(base: Path, seed: int, weight: float, work: Path, args, threads: int) -> dict:
    """One search (λ = ``weight``), its retraining and the motif recovery of the retrained
    model; the summary is kept in ``result.json`` of the run (reused when there)."""
    import torch

    out = run_dir(work, seed, weight)
    done = out / "result.json"
    if done.is_file():
        return json.loads(done.read_text())
    torch.set_num_threads(threads)
    planted = planted_motif_ids(base / "manifest.json")
    config = make_config(base, seed, weight, planted, args)
    splits = load_splits(config.data, config.seed)
    quiet = lambda _: None  # noqa: E731
    if not (out / METRICS_JSON).is_file():  # a finished search and retraining is reused
        search_run(config, out, retrain=True, progress=False, log=quiet, splits=splits,
                   report=False)
    found = motifs_run(out, split="test", max_sequences=args.motif_sequences,
                       manifest=base / "manifest.json", device="cpu", log=quiet)
    rows = read_jsonl(out / HISTORY_JSONL)
    best = json.loads((out / BEST_ARCHITECTURE).read_text())
    chosen = next(r for r in rows if r["tokens"] == best["tokens"])
    metrics = json.loads((out / METRICS_JSON).read_text())
    positives, seconds = retrained_knowledge(out, config, splits, args.motif_sequences)
    result = {
        "seed": seed,
        "weight": weight,
        "tokens": best["tokens"],
        "recovered": positives.recovered,
        "recovered_all_sequences": found.recovery["recovered"],
        "planted": found.recovery["planted"],
        "test_auroc": metrics["test"]["summary"]["mean_auroc"],
        "valid_auroc": metrics["valid"]["summary"]["mean_auroc"],
        "chosen_base_reward": chosen["base_reward"],
        "chosen_knowledge": chosen["knowledge"],
        "children": len(rows),
        "children_with_knowledge": sum(1 for r in rows if (r.get("knowledge") or 0) > 0),
        "knowledge_seconds": seconds,
        "child_seconds_median": statistics.median(r["seconds"] for r in rows),
        "search_seconds": best["search_seconds"],
        "train_seconds": metrics.get("train_seconds"),
    }
    done.write_text(json.dumps(result, indent=2) + "\n")
    return result


def retrained_knowledge(out: Path, config, splits, n_test: int) -> tuple[Knowledge, float]:
    """The retrained model's recovery of the planted motifs on the test split's positives
    (up to ``n_test``), and the seconds of its knowledge score as the search computes it
    per child (validation positives; the database and the sequences already read)."""
    from genas.nn.model_file import load_model

    model = load_model(out, device="cpu").model
    knowledge = config.search.knowledge
    on_test = KnowledgeScorer(knowledge.model_copy(update={"sequences": n_test}),
                              splits.test, "binary", config.seed, config.data.n_value)
    on_valid = KnowledgeScorer(knowledge, splits.valid, "binary", config.seed,
                               config.data.n_value)  # fmt: skip
    return on_test.score(model), on_valid.score(model).seconds


def _mean_sd(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    return mean, statistics.stdev(values) if len(values) > 1 else float("nan")


def tables(results: list[dict], weights: list[float]) -> list[dict]:
    per_seed = {
        "title": "Each search: the chosen architecture, retrained",
        "columns": ["λ", "seed", "planted recovered", "genas motifs", "test AUROC",
                    "valid AUROC", "chosen: knowledge", "chosen: base reward",
                    "children with knowledge > 0", "search s"],
        "rows": [[r["weight"], r["seed"], f"{len(r['recovered'])}/{r['planted']}",
                  f"{len(r['recovered_all_sequences'])}/{r['planted']}",
                  r["test_auroc"], r["valid_auroc"], r["chosen_knowledge"],
                  r["chosen_base_reward"], f"{r['children_with_knowledge']}/{r['children']}",
                  r["search_seconds"]] for r in results],
    }  # fmt: skip
    summary_rows = []
    for weight in weights:
        runs = [r for r in results if r["weight"] == weight]
        recovered = [len(r["recovered"]) / r["planted"] for r in runs]
        auroc_mean, auroc_sd = _mean_sd([r["test_auroc"] for r in runs])
        rec_mean, rec_sd = _mean_sd(recovered)
        summary_rows.append([
            weight, len(runs), rec_mean, rec_sd,
            sum(1 for r in runs if len(r["recovered"]) == r["planted"]),
            auroc_mean, auroc_sd,
            statistics.fmean(r["chosen_knowledge"] for r in runs),
        ])  # fmt: skip
    summary = {
        "title": "λ = 0 vs λ > 0: the retrained choice's recovery of the planted motifs and "
        "test AUROC (mean ± sd over seeds)",
        "columns": ["λ", "seeds", "fraction recovered", "± sd", "seeds recovering all",
                    "test AUROC", "± sd", "chosen: knowledge (search)"],
        "rows": summary_rows,
    }
    return [summary, per_seed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller set, 3 steps x 3 architectures, 4 retraining epochs")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--weight", type=float, default=0.1, help="λ of the guided searches")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--archs-per-step", type=int, default=None)
    parser.add_argument("--startup", type=int, default=None, help="TPE's random trials")
    parser.add_argument("--child-epochs", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, default=None, help="retraining (8)")
    parser.add_argument("--motif-sequences", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--work", default=None, help="folder of the searches (reused)")
    parser.add_argument("--machine-note", default=None,
                        help="a sentence on how the machine was shared while measuring")
    args = parser.parse_args()
    args.steps = args.steps or (3 if args.quick else 4)
    args.archs_per_step = args.archs_per_step or (3 if args.quick else 4)
    args.startup = args.startup or (4 if args.quick else 6)
    args.max_epochs = args.max_epochs or (4 if args.quick else 8)
    seeds = [int(s) for s in args.seeds.split(",")]
    weights = [0.0, args.weight]
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="genas-knowledge-"))
    work.mkdir(parents=True, exist_ok=True)
    base = make_data(work, args.quick)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=spawn) as pool:
        futures = [pool.submit(run_one, base, seed, weight, work, args, threads)
                   for seed in seeds for weight in weights]
        results = [f.result() for f in futures]
    out_tables = tables(results, weights)
    for table in out_tables:
        print_table(table)
    planted = planted_motif_ids(base / "manifest.json")
    n_children = args.steps * args.archs_per_step
    notes = [
        f"Synthetic set: genas simulate, 4 binary tasks, 200 bp, seed {DATA_SEED}; planted "
        f"motifs {', '.join(planted)} (the knowledge given to every search).",
        f"Each search: TPE ({args.startup} random trials first) over the `{SPACE}` space, "
        f"{n_children} architectures ({args.steps} steps x {args.archs_per_step}), each "
        f"trained alone for {args.child_epochs} epoch(s); the best total reward retrained "
        f"(up to {args.max_epochs} epochs, patience 3). λ = 0 searches compute the knowledge "
        "score too but do not add it.",
        "planted recovered: planted motifs some unit of the retrained model matches at "
        "TOMTOM q < 0.05 against JASPAR 2024, read on the test split's positives (up to "
        f"{args.motif_sequences}); genas motifs: the same by `genas motifs` on "
        f"{args.motif_sequences} test sequences, positives and negatives; chosen: "
        "knowledge is the search-time score of the chosen child (validation positives).",
        "Knowledge score cost (unit matrices on 300 positive validation sequences + TOMTOM "
        "against 879 JASPAR motifs), timed on each retrained model: median "
        f"{statistics.median(r['knowledge_seconds'] for r in results):.1f} s; median child "
        f"(training, scoring and knowledge) "
        f"{statistics.median(r['child_seconds_median'] for r in results):.1f} s.",
    ]
    if args.machine_note:
        notes.append(args.machine_note)
    write_result("knowledge_reward", "Knowledge-guided reward on the synthetic set",
                 out_tables, quick=args.quick, notes=notes, extra={"raw": results})


if __name__ == "__main__":
    main()
