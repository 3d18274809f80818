"""The heritability simulation: LD blocks, the enrichment it plants, null z-scores."""

from __future__ import annotations

import numpy as np
import pytest

from genas.analysis.heritability.plink import read_panel, standardise
from genas.analysis.heritability.simulate import (
    per_snp_variance,
    simulate_dataset,
    simulate_panel,
    simulate_zscores,
)


@pytest.fixture(scope="module")
def panel():
    return simulate_panel(
        np.random.default_rng(3),
        n_individuals=600,
        n_population=2000,
        snps_per_chromosome=150,
        block_size=(20, 30),
        rho=(0.9, 0.9),
    )


def test_ld_inside_blocks_only(panel):
    x = standardise(panel.genotypes)
    r = x.T @ x / x.shape[0]
    first, second = panel.blocks[0], panel.blocks[1]
    neighbours = [r[i, i + 1] for i in first[:-1]]
    # AR(1) latent correlation 0.9 gives strong LD between neighbouring SNPs ...
    assert np.mean(np.abs(neighbours)) > 0.5
    # ... and none across blocks (sampling noise only, ~ 1/sqrt(600)).
    assert np.abs(r[np.ix_(first, second)]).mean() < 0.06
    assert panel.bim.chromosomes() == ["1", "2"]
    assert np.all(np.diff(panel.bim.bp[panel.bim.chrom == "1"]) > 0)


def test_per_snp_variance_gives_the_enrichment():
    annotation = np.zeros(1000, dtype=bool)
    annotation[:100] = True
    for k in (1.0, 3.0, 5.0):
        variance = per_snp_variance(annotation, k, h2=0.4)
        assert variance.sum() == pytest.approx(0.4)
        share = variance[annotation].sum() / variance.sum()
        assert share / annotation.mean() == pytest.approx(k)
    with pytest.raises(ValueError, match="impossible"):
        per_snp_variance(annotation, 10.0, h2=0.4)


def test_zscores_have_the_ld_covariance_and_the_planted_mean():
    small = simulate_panel(
        np.random.default_rng(5),
        n_individuals=50,
        n_population=3000,
        snps_per_chromosome=10,
        chromosomes=(1,),
        block_size=(5, 5),
    )
    rng = np.random.default_rng(0)
    null = np.stack([simulate_zscores(rng, small, np.zeros(10), n_gwas=1000) for _ in range(4000)])
    block = small.blocks[0]
    # Under the null z_b ~ N(0, R_b): unit variances, the population LD as covariance.
    np.testing.assert_allclose(np.cov(null[:, block].T), small.population_ld[0], atol=0.08)
    # With h2 spread over the SNPs, E[z_j^2] = 1 + N * sum_k r_jk^2 var_k.
    variance = np.full(10, 0.002)
    z = np.stack([simulate_zscores(rng, small, variance, n_gwas=1000) for _ in range(4000)])
    r2 = small.population_ld[0] ** 2
    expected = 1 + 1000 * r2 @ variance[block]
    np.testing.assert_allclose((z[:, block] ** 2).mean(axis=0), expected, rtol=0.1)


def test_dataset_files(tmp_path):
    truth = simulate_dataset(tmp_path, snps_per_chromosome=120, n_individuals=100, seed=2)
    for name in (
        "panel.1.bed",
        "panel.2.bim",
        "panel.2.fam",
        "effects.tsv",
        "tasks.tsv",
        "gwas.tsv",
        "truth.json",
    ):
        assert (tmp_path / name).is_file()
    panel = read_panel(tmp_path / "panel.1")
    assert panel.genotypes().shape == (100, 120)
    assert truth["annotated_fraction"] == pytest.approx(0.1)
    header = (tmp_path / "effects.tsv").read_text().splitlines()[0].split("\t")
    assert header[:7] == ["chrom", "pos", "id", "ref", "alt", "ref_match", "task"]
    assert "abs_diff" in header
    gwas = (tmp_path / "gwas.tsv").read_text().splitlines()
    assert gwas[0] == "SNP\tA1\tA2\tZ\tN" and len(gwas) == 241
