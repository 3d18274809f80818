"""The NFE2 and Oct4/MafK comparisons of ``quality.py``, cross-validated.

    .venv/bin/python benchmarks/quality_cv.py [--quick] [--datasets nfe2,oct4_mafk]
        [--folds 1,2,3,4,5] [--seed 1] [--steps 100] [--top-k 3] [--max-epochs 30]
        [--random 5] [--references deepbind] [--jobs 1] [--train-on strategy] [--work DIR]

The shipped test sets are small (NFE2 138 sequences, Oct4/MafK 200): one test AUROC near
0.986 on NFE2 has a standard error of 0.010, ten times the gaps between the models of
``quality_nfe2``. Here the training sequences are split into 5 folds and every fold in turn
is the test set: the other four are the training data (10 % of them held out for
validation, as in ``quality.py``), and everything of ``quality.py``'s row runs on it with
one seed — ``rl`` × shared searched and retrained, random search, the random architectures
and the references. NFE2's folds are gkm-SVM's own, shipped with its cross-validation scores
(``nfe2.cvpred.txt``), so gkm-SVM is compared on the same sequences and folds; Oct4/MafK's
are drawn once, stratified by class. The seed is the same in every fold, so ``random_i`` is
the same architecture in every fold.

Each model is scored by its test AUROC / AUPRC averaged over the folds (and, beside it, the
AUROC of all folds' predictions pooled). The searched model's gap to each other model comes
with a 95 % interval from a paired bootstrap (sequences resampled within each fold and
class; the median of the random architectures taken again on every resample), so whether a
gap is real is read off the interval. Each model's predictions are checked against the test
AUROC its training recorded. The per-fold table (mean ± sd over folds) is the one
``quality.py`` prints. Results: ``results/quality_<dataset>_cv.json``; with ``--train-on
uniform`` (as in ``quality.py``: only ``rl``'s searches are new, in ``_rl_uniform`` folders)
``quality_<dataset>_cv_uniform.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from common import print_table, write_result
from quality import (
    SHARED,
    dataset_config,
    one_seed,
    run_config,
    run_searches_in_parallel,
    search_dir,
    summarise,
)

from genas.data import load_splits
from genas.nn.model_file import load_model
from genas.run_files import COMPARE_DIR, METRICS_JSON, MODEL_META
from genas.seq.fasta import read_fasta, write_fasta
from genas.train import predict, resolve_device
from genas.train.metrics import binary_auroc_auprc

SEARCHED = "searched (rl × shared)"
RANDOM_SEARCH = "random search (× shared)"
GKM = "gkm-SVM (shipped CV scores)"
MEDIAN = "random architectures (median)"
BOOTSTRAP = 2000
N_FOLDS = 5
# dataset: (folder, training positives, training negatives)
TRAINING_FILES = {
    "nfe2": (SHARED / "nfe2_gm12878", "nfe2.tr.fa", "nfe2.neg.tr.fa"),
    "oct4_mafk": (SHARED / "janggu_oct4_mafk", "sample.fa", "sample2.fa"),
}
GKM_CV = SHARED / "nfe2_gm12878" / "nfe2.cvpred.txt"


def assign_folds(dataset: str) -> dict[str, tuple[int, int, float | None]]:
    """{training sequence name: (fold 1-5, label 0/1, gkm-SVM CV score or None)}.

    NFE2's folds are gkm-SVM's (``nfe2.cvpred.txt``); any other set's are drawn once, with
    a fixed seed, stratified by class.
    """
    base, positives, negatives = TRAINING_FILES[dataset]
    if dataset == "nfe2":
        folds = {}
        for line in GKM_CV.read_text().splitlines():
            if line.strip():
                name, score, label, fold = line.split()
                folds[name] = (int(fold), int(label == "1"), float(score))
        return folds
    folds = {}
    for file, label in ((positives, 1), (negatives, 0)):
        names = [r.name for r in read_fasta(base / file)]
        order = np.random.default_rng([N_FOLDS, label]).permutation(len(names))
        for rank, i in enumerate(order):
            folds[names[i]] = (rank % N_FOLDS + 1, label, None)
    return folds


def write_folds(dataset: str, folds: list[int], assigned: dict[str, tuple],
                work: Path) -> dict[int, Path]:
    """Each fold's four FASTA files (train and test, positives and negatives) in
    ``work/<dataset>_cv/fold<N>``, the training files read once; {fold: its folder}."""
    base, positives, negatives = TRAINING_FILES[dataset]
    out = {fold: work / f"{dataset}_cv" / f"fold{fold}" for fold in folds}
    for source, prefix in ((positives, "pos"), (negatives, "neg")):
        records = list(read_fasta(base / source))
        missing = [r.name for r in records if r.name not in assigned]
        if missing:
            raise SystemExit(f"{base / source}: {missing[0]!r} has no fold (not in {GKM_CV})")
        for fold, folder in out.items():
            folder.mkdir(parents=True, exist_ok=True)
            for split, in_split in (("train", False), ("test", True)):
                path = folder / f"{split}_{prefix}.fa"
                if not path.is_file():
                    write_fasta(path, [r for r in records
                                       if (assigned[r.name][0] == fold) == in_split])
    return out


def fold_data(dataset: str, fold_dir: Path) -> dict:
    """The data section of ``quality.py`` for ``dataset`` on the fold's files."""
    data, _ = dataset_config(dataset, fold_dir, quick=False)
    data["train"] = {"positives": ["train_pos.fa"], "negatives": ["train_neg.fa"]}
    data["test"] = {"positives": ["test_pos.fa"], "negatives": ["test_neg.fa"]}
    return data


def model_dirs(name: str, seed: int, work: Path, args) -> dict[str, Path]:
    """{model: its run folder} for one fold: the two searches, then every random
    architecture and reference trained beside the ``rl`` search (gkm-SVM has none)."""
    out = search_dir(work, name, seed, "rl", args)
    dirs = {SEARCHED: out, RANDOM_SEARCH: search_dir(work, name, seed, "random", args)}
    for run_dir in sorted((out / COMPARE_DIR).iterdir()):
        if (run_dir / MODEL_META).is_file():
            dirs[run_dir.name] = run_dir
    return dirs


def fold_predictions(name: str, data: dict, base: Path, seed: int, work: Path,
                     args) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """Test sequence names, labels (N,) and each model's probabilities (N,) for one fold,
    rc-averaged as in training; each checked against the test AUROC its run recorded."""
    splits = load_splits(run_config(data, base, seed, "rl", args).data, seed)
    x, y = splits.test.get_batch(np.arange(len(splits.test)))
    names = [r.name for f in ("test_pos.fa", "test_neg.fa") for r in read_fasta(base / f)]
    labels = y[:, 0]
    device = resolve_device(args.device)
    probs = {}
    for model, run_dir in model_dirs(name, seed, work, args).items():
        loaded = load_model(run_dir, device=device)
        p = predict(loaded.model, x, rc_average=True, device=device,
                    n_value=loaded.n_value)[:, 0]
        recorded = json.loads((run_dir / METRICS_JSON).read_text())["test"]["summary"]
        got = binary_auroc_auprc(labels[None] == 1, p[None])[0][0]
        if abs(got - recorded["mean_auroc"]) > 1e-6:
            raise SystemExit(f"{run_dir}: predictions give test AUROC {got:.6f}, its run "
                             f"recorded {recorded['mean_auroc']:.6f}")
        probs[model] = p
    return names, labels, probs


def fold_scores(labels: list[np.ndarray], scores: list[np.ndarray],
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean over folds of each model's test AUROC and AUPRC, both (M,).

    Args:
        labels: per fold, float (N_f,) 0/1.
        scores: per fold, float (M, N_f): the M models' scores.
        rng: if given, each fold's sequences are resampled with replacement within each
            class first (one bootstrap draw).
    """
    auroc, auprc = 0.0, 0.0
    for y, s in zip(labels, scores, strict=True):
        idx = np.arange(len(y))
        if rng is not None:
            pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
            idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        y_rows = np.broadcast_to(y[idx] == 1, (len(s), len(idx)))
        a, p = binary_auroc_auprc(y_rows, s[:, idx])
        auroc, auprc = auroc + a, auprc + p
    return auroc / len(labels), auprc / len(labels)


def cv_table(dataset: str, models: list[str], labels: list[np.ndarray],
             scores: list[np.ndarray], seed: int) -> tuple[dict, dict[str, Any]]:
    """The cross-validated table: each model's mean test AUROC / AUPRC over the folds, its
    AUROC on all folds' predictions pooled, and the searched model's gap to it with a 95 %
    paired bootstrap interval (resampling within each fold and class); the median of the
    random architectures is taken on every resample."""
    randoms = [i for i, m in enumerate(models) if m.startswith("random_")]
    searched = models.index(SEARCHED)

    def with_median(values: np.ndarray) -> np.ndarray:  # (..., M) -> (..., M + 1)
        if not randoms:
            return values
        median = np.median(values[..., randoms], axis=-1, keepdims=True)
        return np.concatenate([values, median], axis=-1)

    auroc, auprc = (with_median(v) for v in fold_scores(labels, scores))
    y_all, s_all = np.concatenate(labels) == 1, np.concatenate(scores, axis=1)
    pooled = with_median(binary_auroc_auprc(np.broadcast_to(y_all, s_all.shape), s_all)[0])
    rng = np.random.default_rng([seed, 2024])
    draws = with_median(np.stack([fold_scores(labels, scores, rng)[0]
                                  for _ in range(BOOTSTRAP)]))  # (BOOTSTRAP, M [+ 1])
    gaps = draws[:, [searched]] - draws
    names = models + ([MEDIAN] if randoms else [])
    order = [m for m in (SEARCHED, MEDIAN, RANDOM_SEARCH, GKM) if m in names]
    order += [m for m in models if m not in order]
    rows = []
    for model in order:
        i = names.index(model)
        row = [model, auroc[i], auprc[i], pooled[i]]
        if model == SEARCHED:
            row += [None, None, None, None]
        else:
            low, high = np.percentile(gaps[:, i], [2.5, 97.5])
            row += [auroc[searched] - auroc[i], low, high, np.mean(gaps[:, i] > 0)]
        rows.append([row[0]] + [None if v is None else float(v) for v in row[1:]])
    n = sum(len(y) for y in labels)
    table = {
        "title": f"{dataset}, {len(labels)} cross-validation fold(s): test AUROC / AUPRC as the "
        f"mean over folds ({n} out-of-fold sequences, {int(y_all.sum())} positive), "
        "AUROC of the pooled predictions, and searched minus each model with a 95 % paired "
        f"bootstrap interval ({BOOTSTRAP} resamples)",
        "columns": ["model", "AUROC", "AUPRC", "pooled AUROC", "searched − model", "95 % low",
                    "95 % high", "P(searched better)"],
        "rows": rows,
    }
    raw = {"models": names, "auroc": auroc.tolist(), "auprc": auprc.tolist(),
           "pooled_auroc": pooled.tolist()}
    return table, raw


def run_dataset(dataset: str, folds: list[int], work: Path, args) -> None:
    """Every fold of one dataset; prints and writes ``quality_<dataset>_cv.json``."""
    assigned = assign_folds(dataset)
    found = {f"{dataset}_fold{f}": (fold_data(dataset, d), d)
             for f, d in write_folds(dataset, folds, assigned, work).items()}
    if args.jobs > 1:
        run_searches_in_parallel(found, [args.seed], work, args)
    per_fold, labels, probs = [], [], []
    for name, (data, base) in found.items():
        per_fold.append(one_seed(name, data, base, args.seed, work, args))
        names, y, p = fold_predictions(name, data, base, args.seed, work, args)
        if not np.array_equal(y, [assigned[n][1] for n in names]):
            raise SystemExit(f"{base}: the test labels differ from the fold assignment's")
        if dataset == "nfe2":
            p[GKM] = np.array([assigned[n][2] for n in names])
        labels.append(y)
        probs.append(p)
    models = list(probs[0])
    scores = [np.stack([p[m] for m in models]) for p in probs]  # per fold (M, N_f)
    table, raw = cv_table(dataset, models, labels, scores, args.seed)
    fold_table = {
        "title": f"{dataset}, per test fold: {len(folds)} of {N_FOLDS} folds, seed "
        f"{args.seed}, searches of {args.steps} controller steps"
        + (f" or {args.budget}" if args.budget else "")
        + f", training up to {args.max_epochs} epochs, best of top {args.top_k} retrained"
        + (", rl's supernet trained on uniform paths" if args.train_on == "uniform" else "")
        + "; mean ± sd over folds",
        "columns": ["model", "folds", "AUROC", "± sd", "AUPRC", "± sd", "parameters",
                    "controller steps", "search s", "train s"],
        "rows": summarise(per_fold),
    }
    print_table(table)
    print_table(fold_table)
    notes = [
        "folds: gkm-SVM's own (nfe2.cvpred.txt), whose scores are its 5-fold cross-validation "
        "predictions, trained on all four other folds; genas's models train on 90 % of them "
        "and stop early on the other 10 %" if dataset == "nfe2" else
        f"folds: the training files' sequences split once into {N_FOLDS}, stratified by "
        "class, with a fixed seed; the shipped test files are not used",
        f"the random architectures are the same {args.random} in every fold (one seed), so "
        "each one's row is that architecture's; the median row is the median of those, "
        "taken again on every bootstrap resample",
    ]
    uniform = args.train_on == "uniform"
    write_result(f"quality_{dataset}_cv" + ("_uniform" if uniform else ""),
                 f"Search vs random vs hand-designed: {dataset}, cross-validated"
                 + (", rl's supernet on uniform paths" if uniform else ""),
                 [table, fold_table], quick=args.quick, notes=notes,
                 extra={"cv": raw, "folds": folds}, device=resolve_device(args.device))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="NFE2's fold 1 only, 1-minute searches, 2 random architectures")
    parser.add_argument("--datasets", default=None, help="nfe2,oct4_mafk (quick: nfe2)")
    parser.add_argument("--folds", default=None, help="test folds, 1-5 (default: all)")
    parser.add_argument("--seed", type=int, default=1, help="the run seed of every fold (1)")
    parser.add_argument("--steps", type=int, default=None, help="controller steps per search "
                        "(100; quick: 1000, so that its 1-minute budget ends it)")
    parser.add_argument("--top-k", type=int, default=None, help="retrained per search (3)")
    parser.add_argument("--max-epochs", type=int, default=None, help="training epochs (30)")
    parser.add_argument("--random", type=int, default=None, help="random architectures (5)")
    parser.add_argument("--references", default="deepbind",
                        help="comma-separated references (deepbind; '' for none)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--jobs", type=int, default=1, help="searches run at once (1)")
    parser.add_argument("--train-on", choices=("strategy", "uniform"), default="strategy",
                        help="paths rl's supernet trains on, as in quality.py (results: "
                        "quality_<dataset>_cv_uniform.json)")
    parser.add_argument("--work", default=None, help="folder for the runs (default: "
                        "temporary); a rerun with the same folder reuses finished runs")
    args = parser.parse_args()
    datasets = (args.datasets or ("nfe2" if args.quick else "nfe2,oct4_mafk")).split(",")
    if unknown := set(datasets) - set(TRAINING_FILES):
        raise SystemExit(f"--datasets: unknown {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(TRAINING_FILES)})")
    folds = [int(f) for f in (args.folds or ("1" if args.quick else "1,2,3,4,5")).split(",")]
    if not set(folds) <= set(range(1, N_FOLDS + 1)):
        raise SystemExit(f"--folds: folds are 1 to {N_FOLDS}, got {args.folds}")
    # the settings quality.py's run_config and searches read
    args.budget = "1m" if args.quick else None
    args.steps = args.steps or (1000 if args.quick else 100)
    args.top_k = args.top_k or (1 if args.quick else 3)
    args.max_epochs = args.max_epochs or (5 if args.quick else 30)
    args.random = args.random if args.random is not None else (2 if args.quick else 5)
    args.references = tuple(r for r in args.references.split(",") if r)
    args.child_steps, args.reward_sequences = 20, None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        for dataset in datasets:
            base = TRAINING_FILES[dataset][0]
            if not base.is_dir() or (dataset == "nfe2" and not GKM_CV.is_file()):
                print(f"{dataset}: data not found under {SHARED}, skipped")
                continue
            run_dataset(dataset, folds, work, args)


if __name__ == "__main__":
    main()
