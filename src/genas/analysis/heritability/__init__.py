"""Heritability enrichment of model-annotated SNPs: stratified LD-score regression (S-LDSC).

- `annotate`: variant effects (`genas vep`) -> LDSC annotation files, per chromosome;
- `plink`, `panel`: PLINK .bed/.bim/.fam reading and writing (numpy), per-chromosome panels;
- `ldsc`: runs the real `ldsc` 2.0.1 in its own environment (LD scores, partitioned h2);
- `sumstats`: GWAS summary statistics -> `.sumstats.gz`, alleles aligned to the panel;
- `results`, `plot`: enrichment, tau and tau* per annotation, as TSV, JSON and PNG;
- `simulate`: a panel with LD blocks and GWAS z-scores with a known enrichment.

The steps chained into one run are in `genas.workflows.heritability_run`.
"""
