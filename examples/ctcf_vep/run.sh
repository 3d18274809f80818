#!/usr/bin/env bash
# Variant effects on real CTCF allele-specific binding (ASB): 396 pairs of 100-bp GM12878
# sequences (GRCh37) that differ at one base, one allele bound more strongly by CTCF.
#
# There is no real CTCF training set here, so a model is searched and trained on synthetic
# data whose task `presence_CTCF` is CTCF binding (JASPAR MA0139.2 planted in a 2nd-order
# Markov background fitted to the bundled NFE2 genomic background sequences), with GATA1 and
# HNF4A presence tasks beside it as controls. Then each pair is scored (non-binding allele
# as "ref", binding allele as "alt") and the direction of the CTCF score is checked.
#
#   bash examples/ctcf_vep/run.sh [ASB_DIR]     # from the repository root
#
# Steps already done (dataset, trained run) are reused; delete sim_ctcf/ and runs/ctcf_vep/
# to start over. The search has a wall-clock budget, so its result depends on the machine.
set -euo pipefail
GENAS=${GENAS:-.venv/bin/genas}
ASB=${1:-../shared/data/ctcf_allele_specific}
RUN=runs/ctcf_vep
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}

if [ ! -f sim_ctcf/manifest.json ]; then
  "$GENAS" simulate sim_ctcf --tasks 3 --motifs MA0139,MA0035,MA0114 --length 100 \
    --n-train 8000 --n-valid 1000 --n-test 1000 --seed 1 \
    --background-fasta src/genas/demo_data/nfe2.neg.tr.fa.gz
fi
if [ ! -f "$RUN/model.safetensors" ]; then
  "$GENAS" search examples/ctcf_vep/config.yaml --budget 5m --retrain --quiet
fi
"$GENAS" vep "$RUN" --rc \
  --ref-fasta "$ASB/CTCF_nonbinding_alleles.fa" --alt-fasta "$ASB/CTCF_binding_alleles.fa" \
  -o "$RUN/asb_effects.tsv"
"$GENAS" vep-benchmark "$RUN/asb_effects.tsv" --task presence_CTCF --favoured alt \
  -o "$RUN/asb_benchmark.json"
for control in presence_GATA1 presence_HNF4A; do
  "$GENAS" vep-benchmark "$RUN/asb_effects.tsv" --task "$control" --favoured alt
done
