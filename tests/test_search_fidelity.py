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
