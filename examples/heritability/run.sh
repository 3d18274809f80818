#!/usr/bin/env bash
# Heritability enrichment (S-LDSC) end to end on simulated data, in one command:
#
#   bash examples/heritability/run.sh [OUT]        (default OUT: runs/heritability)
#
# 1. `genas heritability simulate`: a PLINK reference panel (2 chromosomes x 2,500 SNPs,
#    2,000 individuals, LD blocks), variant effects in `genas vep` layout, task groups, and
#    GWAS summary statistics (N = 20,000, h2 = 0.5) whose heritability is enriched 5-fold in
#    the SNPs the TF tasks score highest; the DNase tasks score an unrelated random 10 %.
# 2. `genas heritability run`: annotate (top 10 % max |diff| per task group) -> LD scores
#    (ldsc --l2) -> partitioned heritability (ldsc --h2, block jackknife) -> results.
#
# Needs the ldsc environment: `make ldsc-env` (or `genas heritability setup`).
set -euo pipefail
OUT=${1:-runs/heritability}
GENAS=${GENAS:-genas}
command -v "$GENAS" >/dev/null || GENAS=.venv/bin/genas

"$GENAS" heritability simulate "$OUT/sim" --enrichment 5 --seed 1
"$GENAS" heritability run "$OUT/sim/effects.tsv" "$OUT/sim/gwas.tsv" \
    --bfile "$OUT/sim/panel" --groups "$OUT/sim/tasks.tsv" --top 0.1 --out "$OUT/run"
echo "results: $OUT/run/results.tsv, $OUT/run/results.json, $OUT/run/enrichment.png"
