"""How well an evaluator's cheap scores rank architectures as full training would.

Every evaluator of a search is an estimate: a path of a weight-sharing supernet, or a child
trained for a few epochs, stands in for the architecture trained to convergence. A search can
only pay off when the estimate ranks candidates as standalone training does (Yu et al.,
"Evaluating the search phase of neural architecture search", ICLR 2020), so genas measures
that agreement rather than assuming it (``benchmarks/fidelity.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats


def rank_agreement(
    estimate: Sequence[float], truth: Sequence[float], top: int = 5
) -> dict[str, float]:
    """Rank agreement of ``estimate`` with ``truth`` (higher is better in both).

    Architectures whose estimate or truth is not finite (a failed training) are left out.

    Returns:
        ``kendall_tau`` and ``spearman_rho`` (NaN below 3 architectures), ``kendall_p``:
        the two-sided p-value of τ against no agreement (scipy's; with 30 architectures a τ
        below about 0.25 is within what chance gives, p > 0.05), ``top_precision``:
        the fraction of the ``top`` best by ``truth`` that are also among the ``top`` best by
        ``estimate`` (NaN when fewer than ``top`` remain), and ``n``, the architectures used.
    """
    if len(estimate) != len(truth):
        raise ValueError(f"{len(estimate)} estimates for {len(truth)} true scores")
    pairs = [
        (float(e), float(t))
        for e, t in zip(estimate, truth, strict=True)
        if math.isfinite(e) and math.isfinite(t)
    ]
    n = len(pairs)
    out = {"kendall_tau": math.nan, "kendall_p": math.nan, "spearman_rho": math.nan,
           "top_precision": math.nan, "n": n}
    if n >= 3:
        est, tru = zip(*pairs, strict=True)
        tau = stats.kendalltau(est, tru)
        out["kendall_tau"], out["kendall_p"] = float(tau.statistic), float(tau.pvalue)
        out["spearman_rho"] = float(stats.spearmanr(est, tru).statistic)
    if n >= top > 0:
        by_estimate = sorted(range(n), key=lambda i: -pairs[i][0])[:top]
        by_truth = sorted(range(n), key=lambda i: -pairs[i][1])[:top]
        out["top_precision"] = len(set(by_estimate) & set(by_truth)) / top
    return out
