"""Rank agreement of an evaluator's scores with standalone training (search/fidelity.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genas.search.fidelity import rank_agreement


def test_same_order_agrees_fully_and_reversed_order_not_at_all():
    truth = list(np.linspace(0.80, 0.86, 30))
    same = rank_agreement([t * 2 for t in truth], truth)
    assert same["kendall_tau"] == pytest.approx(1.0) and same["spearman_rho"] == pytest.approx(1.0)
    assert same["kendall_p"] < 1e-6 and same["top_precision"] == 1.0 and same["n"] == 30
    reverse = rank_agreement([-t for t in truth], truth)
    assert reverse["kendall_tau"] == pytest.approx(-1.0) and reverse["top_precision"] == 0.0


def test_chance_agreement_is_not_significant():
    """Scores unrelated to the truth: τ near 0, p-values spread over (0, 1) (not all small)."""
    rng = np.random.default_rng(0)
    truth = rng.normal(size=30)
    p_values = [rank_agreement(rng.normal(size=30), truth)["kendall_p"] for _ in range(200)]
    assert 0.02 < np.mean(np.array(p_values) < 0.05) < 0.10  # about 5 % below 0.05


def test_failed_trainings_are_left_out():
    agree = rank_agreement([0.9, math.nan, 0.7, 0.6, 0.5, 0.4], [0.9, 0.8, 0.7, 0.6, 0.5, math.inf])
    assert agree["n"] == 4 and agree["kendall_tau"] == pytest.approx(1.0)
    assert math.isnan(rank_agreement([1.0, 2.0], [1.0, 2.0])["kendall_p"])  # below 3
    with pytest.raises(ValueError, match="2 estimates for 3 true scores"):
        rank_agreement([1.0, 2.0], [1.0, 2.0, 3.0])


def test_fidelity_view_fits_80_columns_with_every_number_whole():
    """`genas fidelity`'s terminal table: at 80 columns no number or header is cut; only
    evaluator names wrap (each row at most two lines)."""
    from rich.console import Console

    from genas.report.tables import fidelity_view
    from genas.workflows.fidelity_run import fidelity_table

    rng = np.random.default_rng(0)
    n = 30
    truth = [[{"valid_auroc": float(v), "seconds": 180.5}, {"valid_auroc": float(v) + 0.001}]
             for v in rng.uniform(0.8, 0.9, n)]
    curves = [{str(e): {"reward": float(rng.uniform()), "seconds": 44.91} for e in (1, 2, 4)}
              for _ in range(n)]
    supernet = {f"{e}:{bn}": {"rewards": list(rng.uniform(size=n)), "train_seconds": 30.0,
                              "score_seconds": 1.5}
                for e in (1, 8) for bn in ("batch", "running", "recalibrate")}
    table = fidelity_table({"truth": truth, "curves": curves, "supernet": supernet},
                           (1, 2, 4), (1, 8), "rank agreement with standalone training "
                           "(30 architectures of small)")
    console = Console(width=80, record=True)
    console.print(fidelity_view(table))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "…" not in text
    body = [line for line in lines if line.startswith("│")]
    assert len(body) <= 2 * len(table["rows"])
    for row in table["rows"]:  # τ and seconds per architecture shown whole, on one line
        assert any(f"{row[2]:.3f}" in line and f"{row[7]:.1f}" in line for line in body)
    for header in ("evaluator", "archs", "τ", "p", "ρ", "top 5", "s/arch"):
        assert header in lines[1] + lines[2]


def _table(rows: list[list]) -> dict:
    return {"columns": ["evaluator", "archs", "Kendall τ", "τ p-value", "Spearman ρ",
                        "top-5 precision", "seconds", "s / arch"], "rows": rows}


def test_fidelity_verdict_names_the_cheapest_evaluator_that_ranks_better_than_chance():
    from genas.workflows.fidelity_run import fidelity_verdict

    ceiling = ["standalone seed 1 vs seed 2 (the ceiling)", 30, 0.40, 0.002, 0.52, 0.4, 3933, 131.1]
    rows = [ceiling,
            ["independent, 1 epoch", 30, 0.20, 0.13, 0.32, 0.2, 218, 7.3],  # chance
            ["independent, 4 epochs", 30, 0.28, 0.03, 0.37, 0.2, 867, 28.9],
            ["independent, 8 epochs", 30, 0.33, 0.01, 0.45, 0.4, 1734, 57.8],  # dearer
            ["supernet, 1 epoch, batch BN", 30, -0.28, 0.03, -0.38, 0.2, 15, 0.5]]  # inverted
    verdict = fidelity_verdict(_table(rows))
    assert verdict.startswith("cheapest evaluator that ranks better than chance: "
                              "independent, 4 epochs (τ 0.28, p 0.030, 28.9 s per architecture)")
    assert "agree at τ 0.40 (p 0.002)" in verdict
    nothing = fidelity_verdict(_table([ceiling, rows[1], rows[4],
                                       ["supernet, 8 epochs, batch BN", 30, math.nan, math.nan,
                                        math.nan, math.nan, 77, 2.6]]))
    assert nothing.startswith("no evaluator ranked the architectures better than chance")
