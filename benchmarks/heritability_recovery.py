"""S-LDSC recovery on the heritability simulation: how often the 95 % interval holds the truth.

    .venv/bin/python benchmarks/heritability_recovery.py [--quick] [--seeds 10]

For each seed: `genas heritability simulate` (2 chromosomes x 2,500 SNPs, 2,000 panel
individuals, GWAS N = 20,000, h2 = 0.5, a TF annotation on 10 % of SNPs with enrichment 5
and a DNase annotation of the same size with none), `genas heritability run` (annotate, LD
scores, regression with ldsc 2.0.1), then the same panel with a k = 1 GWAS (LD scores
reused). Prints each estimate and the coverage of the 95 % intervals; writes
`benchmarks/results/heritability_recovery.json`. Needs the ldsc environment (`make ldsc-env`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from genas.analysis.heritability.ldsc import find_ldsc
from genas.analysis.heritability.simulate import simulate_dataset
from genas.workflows.heritability_run import heritability_run, regress_step

RESULTS = Path(__file__).resolve().parent / "results" / "heritability_recovery.json"


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def one_seed(seed: int, root: Path, env) -> list[dict]:
    sim5, sim1, run = root / "sim5", root / "sim1", root / "run"
    start = time.perf_counter()
    simulate_dataset(sim5, enrichment=5.0, seed=seed)
    result5 = heritability_run(
        sim5 / "effects.tsv",
        sim5 / "gwas.tsv",
        sim5 / "panel",
        run,
        groups=sim5 / "tasks.tsv",
        top=0.1,
        env=env,
    )
    seconds = time.perf_counter() - start
    simulate_dataset(sim1, enrichment=1.0, seed=seed)
    result1 = regress_step(
        sim1 / "gwas.tsv",
        sim1 / "panel",
        [run / "annotations" / "genas"],
        root / "run1",
        baseline=run / "baseline" / "baseline",
        weights=run / "weights" / "weights",
        env=env,
    )
    rows = []
    for k, result in ((5.0, result5), (1.0, result1)):
        for row in result["annotations"]:
            if row["source"] != "annotation":
                continue
            truth = k if row["annotation"] == "TF" else 1.0
            rows.append(
                {
                    "seed": seed,
                    "k": k,
                    "annotation": row["annotation"],
                    "truth": truth,
                    "enrichment": row["enrichment"],
                    "se": row["enrichment_se"],
                    "p": row["enrichment_p"],
                    "tau_star": row["tau_star"],
                    "covered": abs(row["enrichment"] - truth) <= 1.96 * row["enrichment_se"],
                    "h2": result["summary"]["h2"],
                    "seconds_k5_run": seconds,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (1, 2, ...)")
    parser.add_argument("--quick", action="store_true", help="3 seeds")
    args = parser.parse_args()
    n_seeds = 3 if args.quick else args.seeds
    env = find_ldsc()
    rows = []
    print(
        f"{'seed':>4} {'k':>3} {'annotation':>10} {'truth':>5} {'estimate':>14} {'p':>9} "
        f"{'covered':>7}"
    )
    for seed in range(1, n_seeds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            for row in one_seed(seed, Path(tmp), env):
                rows.append(row)
                print(
                    f"{row['seed']:>4} {row['k']:>3.0f} {row['annotation']:>10} "
                    f"{row['truth']:>5.0f} {row['enrichment']:>7.2f} ± {row['se']:<4.2f} "
                    f"{row['p']:>9.2g} {str(row['covered']):>7}",
                    flush=True,
                )
    coverage = {}
    for key in ("TF k=5", "TF k=1", "DNase"):
        if key == "DNase":
            chosen = [r for r in rows if r["annotation"] == "DNase"]
        else:
            chosen = [r for r in rows if r["annotation"] == "TF" and f"k={r['k']:.0f}" in key]
        coverage[key] = sum(r["covered"] for r in chosen) / len(chosen)
    power = sum(r["p"] < 0.05 for r in rows if r["annotation"] == "TF" and r["k"] == 5.0)
    print("coverage of the 95 % intervals:", {k: round(v, 2) for k, v in coverage.items()})
    print(f"TF k=5 significant (p < 0.05) in {power} of {n_seeds} seeds")
    env_versions = env.versions()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "heritability_recovery",
                "machine": {
                    "cpu": cpu_name(),
                    "cores": os.cpu_count(),
                    "python": platform.python_version(),
                    "ldsc_env": env_versions,
                },
                "settings": {
                    "seeds": n_seeds,
                    "snps": 5000,
                    "panel_individuals": 2000,
                    "n_gwas": 20000,
                    "h2": 0.5,
                    "annotated_fraction": 0.1,
                },
                "coverage_95": coverage,
                "tf_k5_significant": power,
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
