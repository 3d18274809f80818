"""`genas heritability ...`: variant effects -> S-LDSC annotations -> LD scores -> partitioned h2.

Steps (each a function, each a CLI command; `heritability_run` does all three):

1. `annotate_step`: a `genas vep` table + the panel's `.bim` -> `PREFIX.<chr>.annot.gz`.
2. `ldscore_step`: `ldsc.py --l2` per chromosome on the PLINK panel -> LD scores beside the
   annotation files (`PREFIX.<chr>.l2.ldscore.gz`, `.l2.M`, `.l2.M_5_50`, ldsc's layout).
3. `regress_step`: GWAS summary statistics aligned to the panel -> `ldsc.py --h2` with the
   baseline and the annotation(s) -> `results.tsv`, `results.json`, `enrichment.png`.

A run folder (`heritability_run`) holds `panel/` (only for a single-file panel, split per
chromosome), `annotations/genas.<chr>.*`, `baseline/baseline.<chr>.*` (an all-ones `base`
category unless a baseline is given), `weights/weights.<chr>.*`, `frq/panel.<chr>.frq`,
`gwas.sumstats.gz`, `ldsc/h2.*` (ldsc's own outputs and log) and the results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np

from genas.analysis.heritability import annotate as annot
from genas.analysis.heritability import ldsc
from genas.analysis.heritability.panel import ChromosomePanels, resolve_panel, write_frq
from genas.analysis.heritability.plink import Bim
from genas.analysis.heritability.plot import plot_enrichment
from genas.analysis.heritability.results import read_results, write_outputs
from genas.analysis.heritability.sumstats import munge_sumstats
from genas.errors import InputError
from genas.fileio import atomic_write_json
from genas.run_lock import run_folder_lock

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _chrom_file(prefix: Path, chrom: str, suffix: str) -> Path:
    return prefix.with_name(f"{prefix.name}.{chrom}{suffix}")


def annotate_step(
    effects: str | Path,
    bfile: str | Path,
    out_prefix: str | Path,
    *,
    by: str = "group",
    groups: str | Path | Mapping[str, str] | None = None,
    top: float | None = None,
    score: str = "abs_diff",
    split_dir: str | Path | None = None,
) -> annot.AnnotationSummary:
    """Annotate the panel's SNPs from a variant-effect table (see `annotate.annotate`).

    `groups`: a task -> group TSV (e.g. `tasks.tsv`) or mapping, for `by="group"` when the
    table has no `group` column.
    """
    out_prefix = Path(out_prefix)
    panels = resolve_panel(bfile, split_dir or out_prefix.parent / "panel")
    table = annot.read_effects(effects, score=score)
    mapping = annot.read_groups(groups) if isinstance(groups, str | Path) else groups
    return annot.annotate(table, panels, out_prefix, by=by, groups=mapping, top=top, source=effects)


def ldscore_step(
    bfile: str | Path,
    out_prefix: str | Path,
    *,
    annotated: bool = True,
    ld_wind_cm: float | None = 1.0,
    ld_wind_kb: float | None = None,
    env: ldsc.LdscEnv | None = None,
    split_dir: str | Path | None = None,
    log: Log = _quiet,
) -> list[Path]:
    """LD scores for every chromosome of the panel, written at `out_prefix.<chr>.l2.*`.

    With `annotated`, the annotation files `out_prefix.<chr>.annot.gz` must exist and match the
    panel (checked first, naming the first mismatching SNP); without, the LD scores are plain
    (S-LDSC's regression weights).
    """
    out_prefix = Path(out_prefix)
    panels = resolve_panel(bfile, split_dir or out_prefix.parent / "panel")
    env = env or ldsc.find_ldsc()
    annot_files: dict[str, Path | None] = dict.fromkeys(panels.chromosomes)
    if annotated:  # check every chromosome before the first ldsc run
        for chrom in panels.chromosomes:
            annot_files[chrom] = _chrom_file(out_prefix, chrom, ".annot.gz")
            annot.read_annot(annot_files[chrom], panels.bim(chrom), panels.bim_path(chrom))
    written = []
    for chrom, annot_file in annot_files.items():
        target = _chrom_file(out_prefix, chrom, "")
        log(f"ldsc --l2 chromosome {chrom} -> {target}.l2.ldscore.gz")
        written.append(
            ldsc.ldscore(
                env,
                panels.prefixes[chrom],
                target,
                annot=annot_file,
                ld_wind_cm=ld_wind_cm,
                ld_wind_kb=ld_wind_kb,
            )
        )
    return written


def _check_ld_scores(prefix: Path, panels: ChromosomePanels, *, counts: bool = True) -> None:
    """Every chromosome has LD scores at `prefix` (and SNP counts, which weights need not have)."""
    for chrom in panels.chromosomes:
        for suffix in (".l2.ldscore.gz", ".l2.M_5_50") if counts else (".l2.ldscore.gz",):
            path = _chrom_file(prefix, chrom, suffix)
            if not path.is_file():
                raise InputError(
                    path,
                    f"no LD scores for chromosome {chrom} of the panel "
                    "(run `genas heritability ldscore` for it)",
                )


def _annotation_sd(
    prefixes: list[Path], panels: ChromosomePanels, common: dict[str, np.ndarray]
) -> tuple[list[list[str]], dict[tuple[int, str], float], int]:
    """Each file set's annotation names; the SD of each over the common SNPs; their number.

    Reading the files also checks each matches the panel's `.bim` (naming the first mismatch).
    """
    names: list[list[str]] = [[] for _ in prefixes]
    blocks: list[list[np.ndarray]] = [[] for _ in prefixes]
    for chrom in panels.chromosomes:
        bim, bim_path = panels.bim(chrom), panels.bim_path(chrom)
        for i, prefix in enumerate(prefixes):
            names[i], values = annot.read_annot(
                _chrom_file(prefix, chrom, ".annot.gz"), bim, bim_path
            )
            blocks[i].append(values[common[chrom]])
    sd = {}
    for i, per_chrom in enumerate(blocks):
        values = np.vstack(per_chrom)
        sd |= {(i, name): float(values[:, j].std()) for j, name in enumerate(names[i])}
    return names, sd, int(sum(c.sum() for c in common.values()))


def regress_step(
    sumstats: str | Path,
    bfile: str | Path,
    annotations: list[str | Path],
    out: str | Path,
    *,
    baseline: str | Path,
    weights: str | Path,
    n: float | None = None,
    n_blocks: int = 200,
    env: ldsc.LdscEnv | None = None,
    split_dir: str | Path | None = None,
    log: Log = _quiet,
) -> dict:
    """Partitioned heritability of `annotations` on top of `baseline`; writes results in `out`.

    `annotations`, `baseline`, `weights`: per-chromosome prefixes with annotation files and LD
    scores (from `ldscore_step`; `weights` needs LD scores only). Returns the results JSON.
    """
    out = Path(out)
    env = env or ldsc.find_ldsc()
    panels = resolve_panel(bfile, split_dir or out / "panel")
    prefixes = [Path(baseline), *[Path(a) for a in annotations]]
    for prefix in prefixes:
        _check_ld_scores(prefix, panels)
    _check_ld_scores(Path(weights), panels, counts=False)
    whole = Bim.concat([panels.bim(c) for c in panels.chromosomes])
    log(f"aligning {sumstats} to the panel ({len(whole)} SNPs)")
    counts = munge_sumstats(sumstats, whole, out / "gwas.sumstats.gz", n=n)
    log("summary statistics: " + ", ".join(f"{k} {v}" for k, v in counts.as_dict().items()))
    common = {}
    for chrom in panels.chromosomes:
        maf = write_frq(_chrom_file(out / "frq" / "panel", chrom, ".frq"), panels.prefixes[chrom])
        common[chrom] = maf > 0.05
    names, sd, m_common = _annotation_sd(prefixes, panels, common)
    (out / "ldsc").mkdir(parents=True, exist_ok=True)
    log("ldsc --h2 (partitioned, block jackknife)")
    ldsc.partitioned_h2(
        env,
        out / "gwas.sumstats.gz",
        [p.with_name(p.name + ".") for p in prefixes],
        Path(weights).with_name(Path(weights).name + "."),
        out / "frq" / "panel.",
        out / "ldsc" / "h2",
        n_blocks=n_blocks,
    )
    sources = ["baseline"] + ["annotation"] * len(annotations)
    results, summary = read_results(
        out / "ldsc" / "h2",
        sources=sources,
        names_by_file=names,
        annotation_sd=sd,
        m_common=m_common,
    )
    summary |= {
        "sumstats": str(sumstats),
        "alignment": counts.as_dict(),
        "n_blocks": n_blocks,
        "m_common": m_common,
        "ldsc": env.versions(),
    }
    paths = write_outputs(out, results, summary)
    paths["plot"] = str(out / "enrichment.png")
    plot_enrichment([r for r in results if r.source == "annotation"], paths["plot"])
    log(f"wrote {paths['tsv']}, {paths['json']}, {paths['plot']}")
    return {"summary": summary, "annotations": [asdict(r) for r in results], "files": paths}


def heritability_run(
    effects: str | Path,
    sumstats: str | Path,
    bfile: str | Path,
    out: str | Path,
    *,
    by: str = "group",
    groups: str | Path | Mapping[str, str] | None = None,
    top: float | None = None,
    score: str = "abs_diff",
    baseline: str | Path | None = None,
    weights: str | Path | None = None,
    ld_wind_cm: float | None = 1.0,
    ld_wind_kb: float | None = None,
    n: float | None = None,
    n_blocks: int = 200,
    env: ldsc.LdscEnv | None = None,
    log: Log = _quiet,
) -> dict:
    """Annotate, compute LD scores, regress: the three steps in one run folder `out`.

    `baseline` / `weights`: prefixes of precomputed S-LDSC baseline annotation + LD scores and
    regression-weight LD scores; computed from the panel when not given (baseline: the
    all-ones `base` category).
    """
    out = Path(out)
    # One command at a time in this folder (ldsc writes many files under it).
    with run_folder_lock(out, create=True):
        env = env or ldsc.find_ldsc()
        split = out / "panel"
        panels = resolve_panel(bfile, split)
        if panels.left_out:
            log(f"left out (not autosomes 1-22): {panels.left_out}")
        bfile = panels.stem  # split once; every step then reads the per-chromosome file sets
        annotation = out / "annotations" / "genas"
        summary = annotate_step(
            effects, bfile, annotation, by=by, groups=groups, top=top, score=score, split_dir=split
        )
        log(
            f"annotated {summary.n_matched} of {summary.n_panel_snps} panel SNPs "
            f"({summary.n_effects_not_in_panel} effect variants not in the panel): "
            f"{summary.annotations}"
        )
        window = {"ld_wind_cm": ld_wind_cm, "ld_wind_kb": ld_wind_kb}
        ldscore_step(bfile, annotation, env=env, split_dir=split, log=log, **window)
        if baseline is None:
            baseline = out / "baseline" / "baseline"
            annot.base_annotation(panels, baseline)
            ldscore_step(bfile, baseline, env=env, split_dir=split, log=log, **window)
        if weights is None:
            weights = out / "weights" / "weights"
            ldscore_step(
                bfile, weights, annotated=False, env=env, split_dir=split, log=log, **window
            )
        result = regress_step(
            sumstats,
            bfile,
            [annotation],
            out,
            baseline=baseline,
            weights=weights,
            n=n,
            n_blocks=n_blocks,
            env=env,
            split_dir=split,
            log=log,
        )
        result["summary"]["annotate"] = asdict(summary)
        atomic_write_json(out / "results.json", {k: result[k] for k in ("summary", "annotations")})
        return result
