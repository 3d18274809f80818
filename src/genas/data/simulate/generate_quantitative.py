"""``simulate(task_type="regression" | "multiclass")``: the splits, files and manifest of a
quantitative or multi-class benchmark (:mod:`genas.data.simulate.quantitative`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genas.data.motifs import Motif
from genas.data.simulate.background import MarkovBackground, iid_background
from genas.data.simulate.manifest import motif_names, motif_records
from genas.data.simulate.quantitative import (
    BACKGROUND_CLASS,
    STRENGTH_BLEND,
    RegressionTruth,
    class_counts,
    design_regression,
    noise_levels,
    plan_counts,
    plant_blended,
    summed_strengths,
)
from genas.data.simulate.writers import write_genas_h5, write_tasks_tsv
from genas.fileio import atomic_write_json

#: Pilot sequences the noise level of each regression task is measured on.
N_PILOT = 20000


def simulate_quantitative(
    out_dir: Path,
    params: dict,
    *,
    task_type: str,
    chosen: Sequence[Motif],
    length: int,
    sizes: dict[str, int],
    markov: MarkovBackground | None,
    gc: float,
    seeds: list[np.random.SeedSequence],
    rng: np.random.Generator,
    n_tasks: int,
    noise_fraction: float,
    site_rate: float,
    saturation: float,
    label_noise: float,
    started: float,
) -> dict:
    """Write ``{train,valid,test}.h5``, ``tasks.tsv`` and ``manifest.json`` (last).

    Args:
        seeds: the pilot's seed, then one per split (train, valid, test).
        rng: the design's generator (weights and offsets of regression tasks).
        n_tasks: regression tasks T (multiclass: ignored; K = motifs + 1).
    """
    widths = np.array([m.width for m in chosen], dtype=np.int64)
    pfms = [m.pfm for m in chosen]
    names = motif_names(chosen)
    n_motifs = len(chosen)
    truth = None
    if task_type == "regression":
        truth = design_regression(n_tasks, n_motifs, saturation, rng)
        pilot = _regression_split(N_PILOT, length, widths, pfms, site_rate, truth, seeds[0])
        truth.noise_sd = noise_levels(pilot["activity"], noise_fraction)
        task_names = [
            f"t{t}_{names[int(np.argmax(np.abs(truth.weights[t])))]}" for t in range(n_tasks)
        ]
        groups = [
            "repressed" if (truth.weights[t] < 0).any() else "activated" for t in range(n_tasks)
        ]
    else:
        task_names, groups = ["class"], None
    class_names = [*names, BACKGROUND_CLASS] if task_type == "multiclass" else None

    split_info, oracle, class_rates = {}, {}, {}
    for (split, n), ss in zip(sizes.items(), seeds[1:], strict=True):
        r_plan, r_bg, r_site, r_noise = (np.random.default_rng(s) for s in ss.spawn(4))
        codes = (
            markov.sample(n, length, r_bg)
            if markov is not None
            else iid_background(n, length, gc, r_bg)
        )
        if task_type == "regression":
            counts = r_plan.poisson(site_rate, (n, n_motifs))
            sites = plan_counts(counts, widths, length, r_plan)
            strength = plant_blended(codes, sites, pfms, STRENGTH_BLEND, r_site)
            y_clean = truth.activity(summed_strengths(sites, strength, n, n_motifs))
            y = y_clean + r_noise.normal(size=y_clean.shape) * truth.noise_sd[None, :]
            oracle[split] = [_pearson(y_clean[:, t], y[:, t]) for t in range(n_tasks)]
        else:
            clean, label, counts = class_counts(n, n_motifs, label_noise, r_plan)
            sites = plan_counts(counts, widths, length, r_plan)
            strength = plant_blended(codes, sites, pfms, STRENGTH_BLEND, r_site)
            y_clean, y = clean[:, None].astype(np.float32), label[:, None].astype(np.float32)
            class_rates[split] = np.bincount(label, minlength=n_motifs + 1).tolist()
        x = (codes[:, None, :] == np.arange(4, dtype=np.uint8)[None, :, None]).view(np.uint8)
        write_genas_h5(
            out_dir / f"{split}.h5",
            x,
            y.astype(np.float32),
            task_names,
            groups,
            y_clean=y_clean.astype(np.float32),
            sites=sites,
            motif_ids=[m.id for m in chosen],
            attrs={"source": "genas.data.simulate", "seed": params["seed"], "split": split},
            strength=strength,
        )
        split_info[split] = {
            "n": n,
            "files": {"h5": f"{split}.h5"},
            "planted": {
                "file": f"{split}.h5",
                "group": "planted",
                "n_rows": len(sites),
                "columns": ["seq", "motif", "start", "strand", "task", "decoy", "strength"],
            },
        }

    manifest = {
        "genas_simulation": 1,
        "task_type": task_type,
        "parameters": params,
        "alphabet": "ACGT",
        "motifs": motif_records(chosen),
        "splits": split_info,
    }
    if truth is not None:
        manifest.update(_regression_manifest(truth, task_names, groups, chosen, oracle,
                                             noise_fraction))  # fmt: skip
        rows = [(t["name"], t["group"], t["description"]) for t in manifest["tasks"]]
    else:
        manifest.update(
            targets=(
                f"class = the motif planted (1 + Poisson(0.5) sites of it), or "
                f"{BACKGROUND_CLASS!r} for none; a fraction label_noise of the labels is "
                "another class ('y_clean' in the .h5 files: before that noise)"
            ),
            class_names=class_names,
            class_counts=class_rates,
            tasks=[{"index": 0, "name": "class", "classes": class_names}],
        )
        rows = [("class", "multiclass", "the planted motif: " + ", ".join(class_names))]
    write_tasks_tsv(out_dir / "tasks.tsv", rows)
    manifest["seconds"] = round(time.perf_counter() - started, 3)
    atomic_write_json(out_dir / "manifest.json", manifest)
    return manifest


def _regression_split(n, length, widths, pfms, site_rate, truth, seed) -> dict:
    """Noise-free targets of ``n`` sequences (the pilot that sets the noise levels)."""
    r_plan, r_site = (np.random.default_rng(s) for s in seed.spawn(2))
    counts = r_plan.poisson(site_rate, (n, len(pfms)))
    sites = plan_counts(counts, widths, length, r_plan)
    codes = np.zeros((n, length), np.uint8)  # a site's strength depends on its bases only
    strength = plant_blended(codes, sites, pfms, STRENGTH_BLEND, r_site)
    return {"activity": truth.activity(summed_strengths(sites, strength, n, len(pfms)))}


def _regression_manifest(
    truth: RegressionTruth,
    task_names: list[str],
    groups: list[str],
    chosen: Sequence[Motif],
    oracle: dict[str, list[float]],
    noise_fraction: float,
) -> dict:
    """The truth of a regression benchmark: formula, and per task weights, offset, noise."""
    names = [m.name for m in chosen]
    tasks = []
    for t, name in enumerate(task_names):
        used = np.flatnonzero(truth.weights[t])
        w = truth.weights[t]
        terms = " ".join(
            f"{'-' if w[m] < 0 else '+'} {abs(w[m]):.3g}*f(S_{names[m]})" for m in used
        )
        tasks.append(
            {
                "index": t,
                "name": name,
                "group": groups[t],
                "description": f"{truth.offsets[t]:.3g} {terms} + N(0, {truth.noise_sd[t]:.3g}^2)",
                "weights": {chosen[m].id: round(float(truth.weights[t, m]), 6) for m in used},
                "offset": round(float(truth.offsets[t]), 6),
                "noise_sd": round(float(truth.noise_sd[t]), 6),
                "pearson_ceiling": round(float(np.sqrt(1.0 - noise_fraction)), 6),
                "pearson_of_noise_free_target": {
                    split: round(values[t], 6) for split, values in oracle.items()
                },
            }
        )
    return {
        "targets": (
            "y_t = offset_t + sum_m w_tm * f(S_m) + N(0, noise_sd_t^2), S_m = summed strength "
            "(normalised PWM score of the bases planted) of motif m's sites in the sequence, "
            f"f(S) = S / (1 + S / {truth.saturation:g}); 'y_clean' in the .h5 files has no noise"
        ),
        "tasks": tasks,
    }


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])
