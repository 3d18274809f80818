"""A heritability simulation with a known answer: LD-block genotypes, an annotation, GWAS z-scores.

Genotypes: each chromosome is a run of LD blocks; within a block, haplotypes are thresholded
latent Gaussians with AR(1) correlation (a random `rho` per block), so LD decays with distance
inside a block and is absent between blocks. Two sets of individuals are drawn from the same
model: the reference panel (written as real PLINK files) and a larger "population" sample
whose block correlation matrices R_b stand for the population LD of the GWAS cohort.

Phenotype model (standardised genotypes, infinitesimal): beta_j ~ N(0, s_j), s_j = s for
unannotated SNPs and r*s for annotated ones, scaled so that sum_j s_j = h2. The per-SNP ratio
r is chosen so that S-LDSC's enrichment, (share of h2 in the annotation)/(share of SNPs),
equals the requested k: r = k (1 - p) / (1 - k p) for an annotation on a fraction p of SNPs.

GWAS: z_b ~ N(sqrt(N) R_b beta_b, R_b) per block (the distribution of marginal z-scores of a
GWAS of N individuals), which is what individual-level simulation gives for large N without
simulating N individuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import norm

from genas.analysis.heritability.plink import Bim, standardise, write_panel
from genas.fileio import atomic_path, atomic_write_json, atomic_write_text

# Allele pairs that are not strand-ambiguous (A/T and C/G are, and S-LDSC pipelines drop them).
UNAMBIGUOUS_PAIRS = np.array([["A", "C"], ["A", "G"], ["C", "T"], ["G", "T"]])


@dataclass
class SimulatedPanel:
    """A simulated reference panel and the population LD of the GWAS cohort.

    `genotypes` (N_panel, M) are A1 counts; `blocks[i]` the SNP indices of LD block i and
    `population_ld[i]` its (B_i, B_i) correlation matrix in the population sample.
    """

    bim: Bim
    genotypes: np.ndarray
    blocks: list[np.ndarray]
    population_ld: list[np.ndarray] = field(repr=False)


def simulate_panel(
    rng: np.random.Generator,
    *,
    n_individuals: int = 2000,
    n_population: int = 10000,
    snps_per_chromosome: int = 2500,
    chromosomes: tuple[int, ...] = (1, 2),
    block_size: tuple[int, int] = (20, 80),
    rho: tuple[float, float] = (0.5, 0.98),
    maf: tuple[float, float] = (0.1, 0.5),
    spacing_bp: int = 2000,
) -> SimulatedPanel:
    """Draw a reference panel with LD blocks (see the module docstring).

    Block sizes are uniform in `block_size` (SNPs), AR(1) correlations uniform in `rho`,
    minor allele frequencies uniform in `maf`. SNPs are `spacing_bp` apart with a gap of
    10 spacings between blocks; genetic position is 1 cM per Mb. A1 is the minor allele.
    """
    chrom, snp, bp, a1, a2 = [], [], [], [], []
    panel_cols, blocks, population_ld = [], [], []
    offset = 0
    for c in chromosomes:
        n_left, position = snps_per_chromosome, 100_000
        while n_left > 0:
            size = min(n_left, int(rng.integers(block_size[0], block_size[1] + 1)))
            haplotypes = _block_haplotypes(
                rng,
                2 * (n_individuals + n_population),
                size,
                rng.uniform(*rho),
                rng.uniform(*maf, size=size),
            )
            counts = haplotypes[0::2] + haplotypes[1::2]  # (n_individuals + n_population, size)
            panel_cols.append(counts[:n_individuals])
            population = standardise(counts[n_individuals:])
            population_ld.append(population.T @ population / n_population)
            blocks.append(np.arange(offset, offset + size))
            pairs = UNAMBIGUOUS_PAIRS[rng.integers(0, len(UNAMBIGUOUS_PAIRS), size=size)]
            swap = rng.random(size) < 0.5
            for j in range(size):
                chrom.append(str(c))
                snp.append(f"rs{c}_{position + j * spacing_bp}")
                bp.append(position + j * spacing_bp)
                a1.append(pairs[j, int(swap[j])])
                a2.append(pairs[j, 1 - int(swap[j])])
            position += (size + 10) * spacing_bp
            offset += size
            n_left -= size
    bp_arr = np.array(bp, dtype=np.int64)
    bim = Bim(
        chrom=np.array(chrom),
        snp=np.array(snp),
        cm=bp_arr / 1e6,
        bp=bp_arr,
        a1=np.array(a1),
        a2=np.array(a2),
    )
    genotypes = np.concatenate(panel_cols, axis=1).astype(np.int8)
    return SimulatedPanel(bim, genotypes, blocks, population_ld)


def _block_haplotypes(
    rng: np.random.Generator, n_haplotypes: int, size: int, rho: float, freq: np.ndarray
) -> np.ndarray:
    """(n_haplotypes, size) 0/1 alleles: AR(1) latent Gaussians thresholded at `freq`."""
    latent = np.empty((n_haplotypes, size))
    latent[:, 0] = rng.standard_normal(n_haplotypes)
    innovation = np.sqrt(1.0 - rho**2)
    for j in range(1, size):
        latent[:, j] = rho * latent[:, j - 1] + innovation * rng.standard_normal(n_haplotypes)
    return (latent < norm.ppf(freq)).astype(np.int8)


def per_snp_variance(annotation: np.ndarray, enrichment: float, h2: float) -> np.ndarray:
    """(M,) variance of each SNP's standardised effect giving S-LDSC enrichment `enrichment`.

    `annotation` is a boolean (M,) mask; the variances sum to `h2`.
    """
    annotation = np.asarray(annotation, dtype=bool)
    p = annotation.mean()
    if not 0 < p < 1:
        raise ValueError("the annotation must cover some but not all SNPs")
    if enrichment * p >= 1:
        raise ValueError(f"enrichment {enrichment} impossible for an annotation on {p:.3f} of SNPs")
    ratio = enrichment * (1 - p) / (1 - enrichment * p)
    weight = np.where(annotation, ratio, 1.0)
    return h2 * weight / weight.sum()


def simulate_zscores(
    rng: np.random.Generator, panel: SimulatedPanel, variance: np.ndarray, n_gwas: int
) -> np.ndarray:
    """(M,) GWAS z-scores: per block z_b ~ N(sqrt(N) R_b beta_b, R_b), beta_j ~ N(0, variance_j)."""
    beta = rng.standard_normal(len(variance)) * np.sqrt(variance)
    z = np.empty(len(variance))
    for index, ld in zip(panel.blocks, panel.population_ld, strict=True):
        root = _psd_root(ld)
        z[index] = np.sqrt(n_gwas) * ld @ beta[index] + root @ rng.standard_normal(len(index))
    return z


def _psd_root(matrix: np.ndarray) -> np.ndarray:
    """A square root S of a positive semi-definite matrix (S S^T = matrix)."""
    values, vectors = np.linalg.eigh(matrix)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def write_sumstats(path: str | Path, bim: Bim, z: np.ndarray, n_gwas: int) -> None:
    """A GWAS summary-statistics TSV: SNP, A1, A2, Z, N (alleles as in the panel)."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write("SNP\tA1\tA2\tZ\tN\n")
        for s, x, y, value in zip(bim.snp, bim.a1, bim.a2, z, strict=True):
            fh.write(f"{s}\t{x}\t{y}\t{value:.6g}\t{n_gwas}\n")


def write_panel_by_chromosome(prefix: str | Path, panel: SimulatedPanel) -> list[Path]:
    """Write `prefix.<chr>.bed/.bim/.fam` for each chromosome (the ldsc layout)."""
    prefix = Path(prefix)
    ids = [f"ind{i + 1}" for i in range(panel.genotypes.shape[0])]
    written = []
    for chrom in panel.bim.chromosomes():
        mask = panel.bim.chrom == chrom
        chrom_prefix = prefix.with_name(f"{prefix.name}.{chrom}")
        write_panel(chrom_prefix, panel.genotypes[:, mask], panel.bim.subset(mask), ids)
        written.append(chrom_prefix)
    return written


def write_effects(
    path: str | Path,
    rng: np.random.Generator,
    bim: Bim,
    sets: dict[str, np.ndarray],
    tasks_per_group: int = 2,
) -> dict[str, str]:
    """A `genas vep`-style long table in which each group's SNP set has the largest effects.

    For group g with boolean (M,) set S_g, tasks `g_1..g_n` get |diff| ~ U(0, 0.2) for SNPs
    outside S_g; each SNP in S_g gets |diff| ~ U(0.3, 0.9) in one of the group's tasks (so the
    group's max |diff| singles S_g out, while single tasks do not). Returns task -> group.
    """
    groups: dict[str, str] = {}
    columns: list[tuple[str, np.ndarray]] = []
    m = len(bim)
    for group, members in sets.items():
        which = rng.integers(0, tasks_per_group, size=m)
        for t in range(tasks_per_group):
            task = f"{group}_{t + 1}"
            groups[task] = group
            size = np.where(
                members & (which == t), rng.uniform(0.3, 0.9, m), rng.uniform(0, 0.2, m)
            )
            columns.append((task, size * rng.choice([-1.0, 1.0], size=m)))
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write("chrom\tpos\tid\tref\talt\tref_match\ttask\tdiff\tabs_diff\n")
        for i in range(m):
            key = f"{bim.chrom[i]}\t{bim.bp[i]}\t{bim.snp[i]}\t{bim.a2[i]}\t{bim.a1[i]}\tTrue"
            for task, diff in columns:
                fh.write(f"{key}\t{task}\t{diff[i]:.4g}\t{abs(diff[i]):.4g}\n")
    return groups


def simulate_dataset(
    out: str | Path,
    *,
    enrichment: float = 5.0,
    h2: float = 0.5,
    n_gwas: int = 20000,
    annotated_fraction: float = 0.1,
    n_individuals: int = 2000,
    snps_per_chromosome: int = 2500,
    swapped_fraction: float = 0.05,
    seed: int = 1,
) -> dict:
    """Write a complete heritability test case into `out` and return its truth.

    Files: `panel.<chr>.bed/.bim/.fam` (reference panel, chromosomes 1 and 2), `effects.tsv`
    (variant effects: group `TF` marks the causal-enriched SNP set, group `DNase` an
    unrelated random set of the same size), `tasks.tsv` (task -> group), `gwas.tsv` (SNP A1 A2
    Z N; a `swapped_fraction` of SNPs reported with A1/A2 swapped and Z negated, as a
    GWAS on the other allele would), `truth.json`.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    panel = simulate_panel(
        rng, n_individuals=n_individuals, snps_per_chromosome=snps_per_chromosome
    )
    write_panel_by_chromosome(out / "panel", panel)
    m = len(panel.bim)
    n_annotated = round(annotated_fraction * m)
    sets = {}
    for name in ("TF", "DNase"):
        members = np.zeros(m, dtype=bool)
        members[rng.choice(m, n_annotated, replace=False)] = True
        sets[name] = members
    groups = write_effects(out / "effects.tsv", rng, panel.bim, sets)
    lines = ["task\tgroup"] + [f"{t}\t{g}" for t, g in groups.items()]
    atomic_write_text(out / "tasks.tsv", "\n".join(lines) + "\n")
    z = simulate_zscores(rng, panel, per_snp_variance(sets["TF"], enrichment, h2), n_gwas)
    swapped = rng.random(m) < swapped_fraction
    reported = panel.bim.subset(np.arange(m))
    reported.a1 = np.where(swapped, panel.bim.a2, panel.bim.a1)
    reported.a2 = np.where(swapped, panel.bim.a1, panel.bim.a2)
    write_sumstats(out / "gwas.tsv", reported, np.where(swapped, -z, z), n_gwas)
    truth = {
        "enrichment": {"TF": enrichment, "DNase": 1.0},
        "h2": h2,
        "n_gwas": n_gwas,
        "n_snps": m,
        "n_individuals": n_individuals,
        "annotated_fraction": n_annotated / m,
        "swapped_alleles": int(swapped.sum()),
        "seed": seed,
    }
    atomic_write_json(out / "truth.json", truth)
    return truth
