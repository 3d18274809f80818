"""Checking effect scores against observed allelic directions (allele-specific binding).

For each variant or pair the truth says which allele binds more (``alt`` or ``ref``). With
``d`` the predicted score difference (alt - ref, e.g. ``diff``) of the chosen task, the
*signed* difference is ``s = d`` where alt is favoured and ``s = -d`` where ref is:
s > 0 means the model favours the same allele as the data.

- direction accuracy: the fraction of rows with s > 0 (a tie, s = 0, counts as wrong);
- its p-value: one-sided exact binomial test against chance (0.5);
- AUROC of the signed difference: the rows' s (favoured minus other allele, positives)
  against -s (the same rows with the alleles swapped, negatives); 0.5 is chance, and it
  is defined whatever the balance of ref- and alt-favoured rows;
- at a margin m > 0, only rows with |d| > m count (the confident predictions).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

DEFAULT_MARGINS = (0.0, 0.05, 0.1)


def signed_differences(diff: np.ndarray, favoured: Sequence[str] | np.ndarray) -> np.ndarray:
    """s (n,): ``diff`` where the alt allele is favoured, ``-diff`` where ref is.

    Raises:
        ValueError: a ``favoured`` value other than ``ref`` or ``alt``.
    """
    fav = np.asarray([str(f).strip().lower() for f in favoured], dtype=object)
    bad = ~np.isin(fav, ["ref", "alt"])
    if bad.any():
        raise ValueError(f"favoured allele must be 'ref' or 'alt', got {fav[bad][0]!r}")
    d = np.asarray(diff, dtype=np.float64)
    return np.where(fav == "alt", d, -d)


def direction_metrics(signed: np.ndarray, margin: float = 0.0) -> dict:
    """Direction accuracy, binomial p-value and AUROC of the rows with |s| > margin.

    ``margin`` 0 keeps every row. Returns a dict: margin, n, correct, accuracy, p_value,
    auroc (NaN where no row is kept).
    """
    s = np.asarray(signed, dtype=np.float64)
    s = s[~np.isnan(s)]
    if margin > 0:
        s = s[np.abs(s) > margin]
    n = len(s)
    correct = int((s > 0).sum())
    out = {"margin": float(margin), "n": n, "correct": correct}
    if n == 0:
        return out | {"accuracy": float("nan"), "p_value": float("nan"), "auroc": float("nan")}
    p_value = binomtest(correct, n, 0.5, alternative="greater").pvalue
    labels = np.r_[np.ones(n), np.zeros(n)]
    auroc = roc_auc_score(labels, np.r_[s, -s]) if np.any(s != 0) else 0.5
    return out | {"accuracy": correct / n, "p_value": float(p_value), "auroc": float(auroc)}


def direction_benchmark(
    diff: np.ndarray,
    favoured: Sequence[str] | np.ndarray,
    margins: Sequence[float] = DEFAULT_MARGINS,
) -> list[dict]:
    """:func:`direction_metrics` at each margin for differences and observed directions."""
    signed = signed_differences(diff, favoured)
    return [direction_metrics(signed, m) for m in margins]


def format_report(report: dict) -> str:
    """A plain-text table of a ``vep_benchmark_run`` report, one line per margin."""
    lines = [
        f"task {report['task']}, score {report['score']}: {report['n_compared']} rows compared "
        f"({report['truth']})",
        f"{'margin':>8} {'n':>7} {'correct':>8} {'accuracy':>9} {'p-value':>10} {'AUROC':>7}",
    ]
    for row in report["margins"]:
        lines.append(
            f"{row['margin']:>8g} {row['n']:>7d} {row['correct']:>8d} {row['accuracy']:>9.3f} "
            f"{row['p_value']:>10.3g} {row['auroc']:>7.3f}"
        )
    return "\n".join(lines)
