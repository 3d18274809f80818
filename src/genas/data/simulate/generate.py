"""``simulate``: write a synthetic DeepSEA-shaped benchmark to a folder (binary tasks here;
regression and multiclass targets in :mod:`genas.data.simulate.generate_quantitative`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from genas.data.motifs import Motif, load_jaspar
from genas.data.simulate.background import MarkovBackground, fit_markov_fasta, iid_background
from genas.data.simulate.calibrate import calibrate
from genas.data.simulate.generate_quantitative import simulate_quantitative
from genas.data.simulate.manifest import motif_names, motif_records
from genas.data.simulate.planting import plan_sites, plant_sites
from genas.data.simulate.rules import TaskRule, all_labels, design_tasks
from genas.data.simulate.writers import (
    write_deepsea_v5,
    write_deepsea_v73,
    write_genas_h5,
    write_run_config,
    write_tasks_tsv,
)
from genas.fileio import atomic_write_json
from genas.run_files import CONFIG_YAML

#: Automatic motif choice: widths in this range, at least this many bits, no dimers, no
#: tandem repeats, one motif per TF family, no shared consensus 6-mer. 16 bits (not 10):
#: sites sampled from a well-conserved matrix resemble each other, so a network finds the
#: motif from the few hundred sites of a 2000-sequence training set.
AUTO_WIDTH = (8, 20)
AUTO_MIN_BITS = 16.0
#: A consensus that repeats itself with period 1..4 at this fraction of positions or more
#: (e.g. GGAA repeats, poly-A, CA repeats) is a low-complexity motif and not chosen.
AUTO_MAX_REPEAT = 0.75
#: No two automatically chosen motifs share a consensus k-mer of this length (either strand).
AUTO_SHARED_KMER = 6

#: Sequences per split (train, valid, test) by task type when not given: a quantitative
#: target carries less information per sequence than a rare binary label (MPRA and
#: STARR-seq libraries hold 10^4 to 10^5 sequences).
DEFAULT_SIZES = {
    "binary": (2000, 500, 500),
    "regression": (20000, 2000, 2000),
    "multiclass": (6000, 1000, 1000),
}

LABEL_NOTE = (
    "Labels follow each task's rule over the planted sites only (see 'planted'); chance "
    "resemblances of the background to a motif are ignored. Motifs chosen automatically have "
    f">= {AUTO_MIN_BITS:g} bits of information, so such chance hits are rare. 'y' has label "
    "noise applied (a fraction label_noise of each task's positives swapped with as many "
    "negatives on average, so positive rates are kept); 'y_clean' in the .h5 files has none."
)


def simulate(
    out_dir: str | Path,
    *,
    n_tasks: int = 16,
    length: int = 500,
    n_train: int | None = None,
    n_valid: int | None = None,
    n_test: int | None = None,
    seed: int = 1,
    gc: float = 0.42,
    background: str | None = None,
    background_fasta: str | Path | None = None,
    markov_order: int = 2,
    motif_ids: Sequence[str] | None = None,
    motifs: Sequence[Motif] | None = None,
    n_motifs: int | None = None,
    positive_rate: float | tuple[float, float] | Sequence[float] = (0.05, 0.3),
    label_noise: float = 0.02,
    decoy_rate: float = 0.5,
    write_mat: bool = True,
    release: str = "JASPAR2024",
    task_type: str = "binary",
    noise_fraction: float = 0.15,
    site_rate: float = 0.5,
    saturation: float = 2.0,
) -> dict:
    """Generate a synthetic multi-task benchmark with planted JASPAR motifs.

    Writes into ``out_dir``: ``{train,valid,test}.h5`` (genas HDF5: ``x`` uint8 (N, 4, L),
    ``y`` and ``y_clean`` uint8 (N, T), ``task_names``, ``task_groups``, group ``planted``),
    DeepSEA layouts ``train.mat`` (v7.3; ``trainxdata`` (L, 4, N), ``traindata`` (T, N) via
    h5py) and ``valid.mat`` / ``test.mat`` (v5; ``validxdata`` (N, 4, L), ``validdata``
    (N, T)) in A, G, C, T channel order, ``tasks.tsv``, ``config.yaml`` (a ready-to-run
    ``genas search`` config of the set) and ``manifest.json`` (written last).

    ``task_type="regression"`` or ``"multiclass"`` makes quantitative targets instead
    (:mod:`genas.data.simulate.quantitative`: float32 ``y``, no ``.mat`` files): T
    regression tasks whose targets follow the number and strength of planted sites plus
    Gaussian noise, or one multiclass task (which motif is planted, or background; the
    motifs are ``n_tasks`` classes). The manifest holds the truth (weights, offsets, noise).

    Args:
        n_tasks: T >= 1; about half ``presence``, a quarter ``pair``, a quarter ``count``.
        length: sequence length L.
        n_train, n_valid, n_test: sequences per split; None: :data:`DEFAULT_SIZES` of the
            task type.
        seed: all randomness derives from it; same seed and arguments -> same x and y.
        gc: GC fraction of the i.i.d. background.
        background: ``"iid"`` or ``"markov"``; default ``"markov"`` when ``background_fasta``
            is given, else ``"iid"``.
        background_fasta: sequences to fit the order-``markov_order`` Markov background to.
        motif_ids: JASPAR ids to use (all of them unless ``n_motifs`` is smaller).
        motifs: motifs to use instead of JASPAR ids (e.g. from :func:`read_meme`).
        n_motifs: number of motifs; default all given, or (auto choice) ``n_tasks`` drawn
            and those no task uses dropped.
        positive_rate: a tuple ``(lo, hi)``: each task's target rate drawn uniformly in it;
            a list of T numbers: per task; a float: every task.
        label_noise: fraction of each task's positives turned negative, with as many negatives
            turned positive on average (0 <= label_noise < 0.5); see :func:`add_label_noise`.
        decoy_rate: near-miss plantings (pair/count tasks) per true planting.
        write_mat: also write the DeepSEA ``.mat`` files (binary tasks only).
        task_type: ``binary`` (rules over planted sites), ``regression`` or ``multiclass``.
        noise_fraction: regression: share of each target's variance that is noise.
        site_rate: regression: mean sites of each motif per sequence (Poisson).
        saturation: regression: f(S) = S / (1 + S / saturation) of the summed strengths.

    Returns:
        The manifest (also written to ``manifest.json``).

    Raises:
        ValueError: bad parameters (n_tasks < 1, length too short for a rule, ...).
        InputError: ``background_fasta`` missing, empty or without ACGT sequence.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    defaults = DEFAULT_SIZES.get(task_type, DEFAULT_SIZES["binary"])
    n_train, n_valid, n_test = (
        d if n is None else n for n, d in zip((n_train, n_valid, n_test), defaults, strict=True)
    )
    params = dict(
        n_tasks=n_tasks,
        length=length,
        n_train=n_train,
        n_valid=n_valid,
        n_test=n_test,
        seed=seed,
        gc=gc,
        background=background,
        markov_order=markov_order,
        background_fasta=None if background_fasta is None else str(background_fasta),
        motif_ids=None if motif_ids is None else list(motif_ids),
        n_motifs=n_motifs,
        positive_rate=_jsonable(positive_rate),
        label_noise=label_noise,
        decoy_rate=decoy_rate,
        write_mat=write_mat,
        release=release,
        task_type=task_type,
    )
    _check_params(n_tasks, length, (n_train, n_valid, n_test), gc, label_noise, decoy_rate)
    _check_out_dir(out_dir)
    if task_type not in ("binary", "regression", "multiclass"):
        raise ValueError(f"task_type must be binary, regression or multiclass, got {task_type!r}")
    if task_type == "regression":
        if not 0.0 <= noise_fraction < 1.0:
            raise ValueError(f"noise_fraction must be in [0, 1), got {noise_fraction}")
        if site_rate <= 0 or saturation <= 0:
            raise ValueError("site_rate and saturation must be positive")
        params.update(noise_fraction=noise_fraction, site_rate=site_rate, saturation=saturation)
    background = background or ("markov" if background_fasta is not None else "iid")
    params["background"] = background
    markov = _background_model(background, background_fasta, markov_order)

    ss_design, ss_pilot, *ss_splits = np.random.SeedSequence(seed).spawn(5)
    rng = np.random.default_rng(ss_design)
    chosen = _choose_motifs(motifs, motif_ids, n_motifs, n_tasks, release, rng)
    if task_type != "binary":
        for m in chosen:
            if m.width > length:
                raise ValueError(f"length {length} is shorter than motif {m.name} ({m.width} bp)")
        classes = [*motif_names(chosen), "background"] if task_type == "multiclass" else None
        _write_config(out_dir, task_type, seed, classes)
        sizes = {"train": n_train, "valid": n_valid, "test": n_test}
        return simulate_quantitative(
            out_dir, params, task_type=task_type, chosen=chosen, length=length, sizes=sizes,
            markov=markov, gc=gc, seeds=[ss_pilot, *ss_splits], rng=rng, n_tasks=n_tasks,
            noise_fraction=noise_fraction, site_rate=site_rate, saturation=saturation,
            label_noise=label_noise, started=t0,
        )  # fmt: skip
    widths = np.array([m.width for m in chosen], dtype=np.int64)
    rules = design_tasks(n_tasks, widths, length, rng)
    if motifs is None and motif_ids is None and n_motifs is None:
        chosen, rules = _drop_unused(chosen, rules)
        widths = np.array([m.width for m in chosen], dtype=np.int64)
    for rule in rules:
        if rule.min_length(widths) > length:
            raise ValueError(
                f"length {length} is too short for task rule "
                f"{rule.describe([m.name for m in chosen])}: needs {rule.min_length(widths)} bp"
            )
    targets, rate_range = _targets(positive_rate, n_tasks, rng)
    activation, targets, _ = calibrate(
        rules, widths, targets, decoy_rate, length, ss_pilot, rate_range
    )
    _write_config(out_dir, task_type, seed, None)  # once the parameters are known to work

    names = _task_names(rules, chosen)
    groups = [r.kind for r in rules]
    ids = [m.id for m in chosen]
    pfms = [m.pfm for m in chosen]
    rates: dict[str, dict[str, list[float]]] = {}
    split_info = {}
    for split, n, ss in zip(
        ("train", "valid", "test"), (n_train, n_valid, n_test), ss_splits, strict=True
    ):
        r_plan, r_bg, r_site, r_noise = (np.random.default_rng(s) for s in ss.spawn(4))
        sites = plan_sites(rules, widths, activation, decoy_rate, n, length, r_plan)
        codes = (
            markov.sample(n, length, r_bg)
            if markov is not None
            else iid_background(n, length, gc, r_bg)
        )
        plant_sites(codes, sites, pfms, r_site)
        x = (codes[:, None, :] == np.arange(4, dtype=np.uint8)[None, :, None]).view(np.uint8)
        y_clean = all_labels(rules, sites, widths, n)
        y = add_label_noise(y_clean, label_noise, r_noise)
        del codes
        write_genas_h5(
            out_dir / f"{split}.h5",
            x,
            y,
            names,
            groups,
            y_clean=y_clean,
            sites=sites,
            motif_ids=ids,
            attrs={"source": "genas.data.simulate", "seed": seed, "split": split},
        )
        files = {"h5": f"{split}.h5"}
        if write_mat:
            writer = write_deepsea_v73 if split == "train" else write_deepsea_v5
            writer(out_dir / f"{split}.mat", x, y, split)
            files["mat"] = f"{split}.mat"
        rates[split] = {"noisy": _mean(y), "clean": _mean(y_clean)}
        split_info[split] = {
            "n": n,
            "files": files,
            "planted": {
                "file": f"{split}.h5",
                "group": "planted",
                "n_rows": len(sites),
                "columns": ["seq", "motif", "start", "strand", "task", "decoy"],
            },
        }

    tasks_json = []
    for t, rule in enumerate(rules):
        tasks_json.append(
            {
                "index": t,
                "name": names[t],
                "group": groups[t],
                "rule": rule.to_json(ids),
                "description": rule.describe([m.name for m in chosen]),
                "target_positive_rate": round(float(targets[t]), 6),
                "activation_probability": round(float(activation[t]), 6),
                "positive_rate": {s: round(rates[s]["noisy"][t], 6) for s in rates},
                "positive_rate_clean": {s: round(rates[s]["clean"][t], 6) for s in rates},
            }
        )
    write_tasks_tsv(
        out_dir / "tasks.tsv", [(t["name"], t["group"], t["description"]) for t in tasks_json]
    )
    manifest = {
        "genas_simulation": 1,
        "parameters": params,
        "alphabet": "ACGT",
        "mat_channel_order": "AGCT",
        "labels": LABEL_NOTE,
        "motifs": motif_records(chosen),
        "tasks": tasks_json,
        "task_groups": {
            g: [t for t, x in enumerate(groups) if x == g] for g in dict.fromkeys(groups)
        },
        "splits": split_info,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    atomic_write_json(out_dir / "manifest.json", manifest)
    return manifest


def add_label_noise(y_clean: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Noisy labels (N, T) uint8 that keep each task's positive rate.

    Each positive becomes negative with probability ``noise``; each negative becomes positive
    with probability ``noise * p / (1 - p)`` (p = the task's positive rate), so a fraction
    ``noise`` of the observed positives is false whatever the task's rate. Flipping every
    label with one probability instead would swamp a 5 %-rate task with false positives.
    """
    rate = y_clean.mean(axis=0, keepdims=True)
    flip_neg = noise * rate / np.maximum(1.0 - rate, 1e-12)
    flip = np.where(y_clean == 1, noise, flip_neg)
    return y_clean ^ (rng.random(y_clean.shape) < flip).astype(np.uint8)


def _check_out_dir(out_dir: Path) -> None:
    """Refuse a folder with files in it that no earlier simulation wrote (a run folder, say):
    its config.yaml would be replaced. A folder with ``manifest.json`` is simulated again."""
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "manifest.json").is_file():
        raise ValueError(
            f"{out_dir} holds files and no simulated dataset (manifest.json); "
            "choose a new or empty folder"
        )


def _check_params(n_tasks, length, sizes, gc, label_noise, decoy_rate) -> None:
    if not isinstance(n_tasks, int | np.integer) or n_tasks < 1:
        raise ValueError(f"n_tasks must be an integer >= 1, got {n_tasks!r}")
    if not isinstance(length, int | np.integer) or length < 1:
        raise ValueError(f"length must be an integer >= 1, got {length!r}")
    if any(int(n) < 0 for n in sizes) or int(sizes[0]) < 1:
        raise ValueError(f"split sizes must be >= 0, and train's >= 1, got {sizes}")
    if not 0.0 <= gc <= 1.0:
        raise ValueError(f"gc must be in [0, 1], got {gc}")
    if not 0.0 <= label_noise < 0.5:
        raise ValueError(f"label_noise must be in [0, 0.5), got {label_noise}")
    if decoy_rate < 0:
        raise ValueError(f"decoy_rate must be >= 0, got {decoy_rate}")


def _background_model(background, fasta, order) -> MarkovBackground | None:
    if background not in ("iid", "markov"):
        raise ValueError(f"background must be 'iid' or 'markov', got {background!r}")
    if background == "iid":
        if fasta is not None:
            raise ValueError("background_fasta is only used with background='markov'")
        return None
    if fasta is None:
        raise ValueError("background='markov' needs background_fasta")
    return fit_markov_fasta(fasta, order)


def _choose_motifs(motifs, motif_ids, n_motifs, n_tasks, release, rng) -> list[Motif]:
    if motifs is not None and motif_ids is not None:
        raise ValueError("give motifs or motif_ids, not both")
    if n_motifs is not None and n_motifs < 1:
        raise ValueError(f"n_motifs must be >= 1, got {n_motifs}")
    if motifs is not None or motif_ids is not None:
        pool = list(motifs) if motifs is not None else load_jaspar(motif_ids, release=release)
        if not pool:
            raise ValueError("no motifs given")
        if n_motifs is not None and n_motifs > len(pool):
            raise ValueError(f"n_motifs={n_motifs} but only {len(pool)} motifs given")
        if len({m.id for m in pool}) != len(pool):
            raise ValueError("motif ids must be distinct")
        return pool[: n_motifs or len(pool)]
    candidates = [
        m
        for m in load_jaspar(release=release)
        if AUTO_WIDTH[0] <= m.width <= AUTO_WIDTH[1]
        and m.information_content >= AUTO_MIN_BITS
        and "::" not in m.name
        and not is_low_complexity(m.consensus)
    ]
    chosen, families, kmers = [], set(), set()
    for i in rng.permutation(len(candidates)):
        m = candidates[i]
        own = consensus_kmers(m.consensus)
        if m.family in families or own & kmers:
            continue
        families.add(m.family)
        kmers |= own
        chosen.append(m)
    want = n_motifs or min(max(n_tasks, 2 if n_tasks >= 2 else 1), len(chosen))
    if want > len(chosen):
        raise ValueError(f"n_motifs={want}: only {len(chosen)} distinct-family motifs qualify")
    return chosen[:want]


def is_low_complexity(consensus: str, max_repeat: float = AUTO_MAX_REPEAT) -> bool:
    """Whether ``consensus`` is a tandem repeat: for some period p in 1..4, the fraction of
    positions i with ``consensus[i] == consensus[i + p]`` is at least ``max_repeat``."""
    for p in range(1, 5):
        n = len(consensus) - p
        same = sum(a == b for a, b in zip(consensus[:n], consensus[p:], strict=True))
        if n >= 4 and same >= max_repeat * n:
            return True
    return False


def consensus_kmers(consensus: str, k: int = AUTO_SHARED_KMER) -> set[str]:
    """The k-mers of ``consensus`` and of its reverse complement. Two automatically chosen
    motifs share none, so no motif's sites also look like another's (e.g. two ACGTCA
    motifs of different families)."""
    rc = consensus[::-1].translate(str.maketrans("ACGT", "TGCA"))
    return {s[i : i + k] for s in (consensus, rc) for i in range(len(s) - k + 1)}


def _drop_unused(chosen: list[Motif], rules: list[TaskRule]) -> tuple[list[Motif], list[TaskRule]]:
    """Keep only the motifs some rule uses (in their order) and renumber the rules."""
    used = sorted({m for r in rules for m in r.motifs})
    new = {old: i for i, old in enumerate(used)}
    rules = [replace(r, motifs=tuple(new[m] for m in r.motifs)) for r in rules]
    return [chosen[i] for i in used], rules


def _targets(positive_rate, n_tasks, rng) -> tuple[np.ndarray, tuple[float, float] | None]:
    if isinstance(positive_rate, tuple):
        if len(positive_rate) != 2:
            raise ValueError("positive_rate as a tuple must be (lo, hi)")
        lo, hi = (float(v) for v in positive_rate)
        if not 0.0 < lo <= hi < 1.0:
            raise ValueError(f"positive_rate range must satisfy 0 < lo <= hi < 1, got {lo, hi}")
        return rng.uniform(lo, hi, n_tasks), (lo, hi)
    rates = (
        np.broadcast_to(np.asarray(positive_rate, dtype=np.float64), (n_tasks,)).copy()
        if np.ndim(positive_rate) == 0
        else np.asarray(positive_rate, dtype=np.float64)
    )
    if rates.shape != (n_tasks,):
        raise ValueError(f"positive_rate needs {n_tasks} values, got {len(rates)}")
    if not ((rates > 0) & (rates < 1)).all():
        raise ValueError("positive rates must be in (0, 1)")
    return rates, None


def _task_names(rules: Sequence[TaskRule], chosen: Sequence[Motif]) -> list[str]:
    return [r.short_name(motif_names(chosen)) for r in rules]


#: Settings of the ``config.yaml`` a simulated set comes with: a search, retraining
#: included, that fits in 20 minutes on two CPU cores for the default regression set
#: (20,000 sequences of 200 bp): a 6-minute search, then the best architecture retrained.
CONFIG_TRAIN = {"max_epochs": 25, "patience": 4}
CONFIG_SEARCH = {"budget": "6m", "retrain_top_k": 1}


def _write_config(out_dir: Path, task_type: str, seed: int, classes: list[str] | None) -> None:
    """``config.yaml``: a ready-to-run `genas search` config of the set (data paths relative
    to it, the run folder ``runs/<folder name>`` relative to the working directory)."""
    data = {"format": "hdf5", "train": "train.h5", "valid": "valid.h5", "test": "test.h5"}
    data["task_type"] = task_type
    if classes is not None:
        data["class_names"] = classes
    config = {
        "seed": seed,
        "data": data,
        "train": dict(CONFIG_TRAIN),
        "search": dict(CONFIG_SEARCH),
        "output": {"dir": f"runs/{Path(out_dir).resolve().name}"},
    }
    header = (
        f"genas search config of the simulated {task_type} set in this folder, written by\n"
        "`genas simulate`; run: genas search config.yaml --retrain"
    )
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_run_config(Path(out_dir) / CONFIG_YAML, config, header)


def _mean(y: np.ndarray) -> list[float]:
    return [float(v) for v in y.mean(axis=0)] if len(y) else [float("nan")] * y.shape[1]


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, tuple | list):
        return [float(x) for x in v]
    return v
