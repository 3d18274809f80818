"""S-LDSC output -> per-annotation results (enrichment, tau, tau*), written as TSV, JSON, PNG.

ldsc's `.results` table gives, per category, the proportion of SNPs and of h2, the enrichment
(with block-jackknife SE and p) and the coefficient tau (with SE). genas adds tau*, the
standardised effect size of Gazal et al. (2017): tau*_c = tau_c * sd_c * M / h2g, where sd_c
is the standard deviation of annotation c over the M common SNPs (MAF > 5 %, the SNPs S-LDSC
counts) and h2g the SNP heritability. Its SE comes from the same block jackknife: ldsc's
delete values of tau and of h2g (`--print-delete-vals`) give delete values of tau*, turned
into pseudo-values as ldsc does for its ratios.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from genas.errors import GenasError
from genas.fileio import atomic_path, atomic_write_json

_CATEGORY = re.compile(r"^(?P<name>.*)L2_(?P<file>\d+)$")
RESULT_COLUMNS = (
    "annotation",
    "source",
    "prop_snps",
    "prop_h2",
    "prop_h2_se",
    "enrichment",
    "enrichment_se",
    "enrichment_p",
    "tau",
    "tau_se",
    "tau_z",
    "tau_star",
    "tau_star_se",
)


@dataclass
class AnnotationResult:
    """One S-LDSC category. `source` is "baseline" or "annotation"."""

    annotation: str
    source: str
    prop_snps: float
    prop_h2: float
    prop_h2_se: float
    enrichment: float
    enrichment_se: float
    enrichment_p: float
    tau: float
    tau_se: float
    tau_z: float
    tau_star: float
    tau_star_se: float


def jackknife_se(estimate: np.ndarray, delete_values: np.ndarray) -> np.ndarray:
    """Block-jackknife SE from (B, K) delete values and the (K,) full-data estimate.

    Pseudo-values B * estimate - (B - 1) * delete_b; SE = sqrt(var(pseudo) / B) (as ldsc).
    """
    n_blocks = delete_values.shape[0]
    pseudo = n_blocks * estimate[None, :] - (n_blocks - 1) * delete_values
    return np.sqrt(np.var(pseudo, axis=0, ddof=1) / n_blocks)


def parse_h2_log(path: str | Path) -> dict[str, float]:
    """Total h2 (and SE), mean chi^2, lambda GC, intercept (and SE) from an ldsc --h2 log."""
    text = Path(path).read_text()
    found = {}
    patterns = {
        "h2": r"Total Observed scale h2: (\S+) \((\S+)\)",
        "intercept": r"Intercept: (\S+) \((\S+)\)",
        "mean_chi2": r"Mean Chi\^2: (\S+)",
        "lambda_gc": r"Lambda GC: (\S+)",
        "n_snps": r"After merging with regression SNP LD, (\d+) SNPs remain",
    }
    for key, pattern in patterns.items():
        match = re.search(pattern, text)
        if match is None:
            raise GenasError(f"{path}: no {key!r} in the ldsc log")
        found[key] = float(match.group(1))
        if match.re.groups > 1:
            found[f"{key}_se"] = float(match.group(2))
    return found


def category_key(category: str, names_by_file: list[list[str]]) -> tuple[int, str]:
    """ldsc's category name -> (file index, annotation name).

    ldsc names a category `<annotation>L2_<file index>`, and just `L2_<i>` when the file has a
    single annotation column.
    """
    match = _CATEGORY.match(category)
    if match is None:
        raise GenasError(f"unexpected ldsc category name {category!r}")
    index = int(match["file"])
    return index, match["name"] or names_by_file[index][0]


def read_results(
    prefix: str | Path,
    *,
    sources: list[str],
    names_by_file: list[list[str]],
    annotation_sd: dict[tuple[int, str], float],
    m_common: int,
) -> tuple[list[AnnotationResult], dict[str, float]]:
    """Read ldsc's `PREFIX.results`, `.log`, `.delete`, `.part_delete` (one --h2 run).

    `sources[i]` labels the i-th `--ref-ld-chr` file set ("baseline" or "annotation") and
    `names_by_file[i]` lists its annotation columns; `annotation_sd[(i, name)]` is the SD of
    that annotation over the `m_common` common SNPs. Returns the per-category results (ldsc
    drops categories whose LD scores do not vary) and the run summary (h2, intercept, ...).
    """
    prefix = Path(prefix)
    summary = parse_h2_log(prefix.with_name(prefix.name + ".log"))
    with open(prefix.with_name(prefix.name + ".results")) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    keys = [category_key(r["Category"], names_by_file) for r in rows]
    tau = np.array([float(r["Coefficient"]) for r in rows])
    h2_delete = np.loadtxt(prefix.with_name(prefix.name + ".delete"), ndmin=2)  # (B, 1)
    tau_delete = np.loadtxt(prefix.with_name(prefix.name + ".part_delete"), ndmin=2)  # (B, K)
    if tau_delete.shape[1] != len(rows):
        raise GenasError(f"{prefix}: {len(rows)} categories, {tau_delete.shape[1]} delete columns")
    scale = np.array([annotation_sd[key] for key in keys]) * m_common
    tau_star = tau * scale / summary["h2"]
    tau_star_delete = tau_delete * scale[None, :] / h2_delete
    tau_star_se = jackknife_se(tau_star, tau_star_delete)
    results = []
    for k, row in enumerate(rows):
        file_index, name = keys[k]
        results.append(
            AnnotationResult(
                annotation=name,
                source=sources[file_index],
                prop_snps=_float(row["Prop._SNPs"]),
                prop_h2=_float(row["Prop._h2"]),
                prop_h2_se=_float(row["Prop._h2_std_error"]),
                enrichment=_float(row["Enrichment"]),
                enrichment_se=_float(row["Enrichment_std_error"]),
                enrichment_p=_float(row["Enrichment_p"]),
                tau=float(tau[k]),
                tau_se=_float(row["Coefficient_std_error"]),
                tau_z=_float(row["Coefficient_z-score"]),
                tau_star=float(tau_star[k]),
                tau_star_se=float(tau_star_se[k]),
            )
        )
    return results, summary


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def write_outputs(
    folder: str | Path, results: list[AnnotationResult], summary: dict
) -> dict[str, str]:
    """Write `results.tsv` and `results.json` into `folder` (the figure:
    :func:`genas.analysis.heritability.plot.plot_enrichment`).

    The report (and anything else) reads `results.json`: {"summary": {...}, "annotations":
    [{annotation, source, prop_snps, ..., tau_star, tau_star_se}, ...]}. Returns the paths
    written ("tsv", "json").
    """
    folder = Path(folder)
    tsv = folder / "results.tsv"
    with atomic_path(tsv) as tmp, open(tmp, "w") as fh:
        fh.write("\t".join(RESULT_COLUMNS) + "\n")
        for r in results:
            values = asdict(r)
            fh.write("\t".join(_cell(values[c]) for c in RESULT_COLUMNS) + "\n")
    json_path = folder / "results.json"
    atomic_write_json(json_path, {"summary": summary, "annotations": [asdict(r) for r in results]})
    return {"tsv": str(tsv), "json": str(json_path)}


def _cell(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def results_table(result: dict):
    """A rich table of a run's results (`{"summary": ..., "annotations": [...]}`)."""
    from rich.table import Table

    summary = result["summary"]
    table = Table(
        title=f"S-LDSC: h2 {summary['h2']:.3g} ({summary['h2_se']:.2g}), "
        f"intercept {summary['intercept']:.3g}, mean chi2 {summary['mean_chi2']:.3g}"
    )
    for column in ("annotation", "SNPs", "h2", "enrichment", "p", "tau*"):
        table.add_column(column, justify="left" if column == "annotation" else "right")
    for r in result["annotations"]:
        name = r["annotation"] + (" (baseline)" if r["source"] == "baseline" else "")
        table.add_row(
            name,
            f"{r['prop_snps']:.3f}",
            f"{r['prop_h2']:.3f}",
            f"{r['enrichment']:.2f} ± {r['enrichment_se']:.2f}",
            f"{r['enrichment_p']:.2g}",
            f"{r['tau_star']:.2f} ± {r['tau_star_se']:.2f}",
        )
    table.caption = "SNPs, h2: proportions; ± 1 SE (block jackknife)"
    return table
