"""Direction accuracy, binomial p-value and AUROC against observed allelic directions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logit

from genas.analysis.variants import (
    direction_benchmark,
    direction_metrics,
    effect_scores,
    open_effects_writer,
    signed_differences,
)
from genas.analysis.variants.sources import VARIANT_KEYS
from genas.errors import GenasError, InputError
from genas.workflows.vep_run import vep_benchmark_run


def auroc_by_hand(s: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties 1/2; positives s, negatives -s."""
    pos, neg = s, -s
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def test_metrics_by_hand():
    s = np.array([0.3, -0.1, 0.2, 0.0])
    row = direction_metrics(s)
    assert (row["n"], row["correct"], row["accuracy"]) == (4, 2, 0.5)
    assert row["p_value"] == pytest.approx(11 / 16)  # P(X >= 2), X ~ Bin(4, 1/2)
    assert row["auroc"] == pytest.approx(auroc_by_hand(s))
    confident = direction_metrics(s, margin=0.15)
    assert (confident["n"], confident["correct"], confident["accuracy"]) == (2, 2, 1.0)
    assert confident["p_value"] == pytest.approx(0.25)
    assert confident["auroc"] == pytest.approx(1.0)
    empty = direction_metrics(s, margin=1.0)
    assert empty["n"] == 0 and np.isnan(empty["accuracy"])


def test_signed_differences_follow_the_favoured_allele():
    s = signed_differences(np.array([0.2, 0.2, -0.4]), ["alt", "REF", "ref"])
    np.testing.assert_allclose(s, [0.2, -0.2, 0.4])
    with pytest.raises(ValueError, match="'ref' or 'alt'"):
        signed_differences(np.array([0.1]), ["both"])
    rows = direction_benchmark(np.array([0.2, 0.01, -0.3]), ["alt", "alt", "ref"], (0, 0.05))
    assert [r["n"] for r in rows] == [3, 2] and rows[0]["accuracy"] == 1.0


def effects_file(tmp_path):
    diff_alt = np.array([[0.5, 0.2], [0.6, 0.1], [0.2, 0.9], [0.3, 0.3]])
    diff_ref = np.array([[0.1, 0.4], [0.7, 0.1], [0.1, 0.1], [0.3, 0.6]])
    keys = {
        "chrom": ["chr1"] * 4,
        "pos": np.array([10, 20, 30, 40]),
        "id": ["a", "b", "c", "d"],
        "ref": ["A"] * 4,
        "alt": ["G"] * 4,
        "ref_match": np.ones(4, bool),
    }
    path = tmp_path / "effects.tsv"
    with open_effects_writer(path, ["x", "y"], VARIANT_KEYS) as writer:
        writer.write(keys, effect_scores(logit(diff_ref), logit(diff_alt)))
    return path  # task x diffs: +0.4, -0.1, +0.1, 0.0


def test_benchmark_run_with_truth_table(tmp_path):
    effects = effects_file(tmp_path)
    truth = tmp_path / "truth.tsv"
    truth.write_text("chrom\tpos\tfavoured\nchr1\t10\talt\nchr1\t20\tref\nchr1\t30\tref\n")
    report = vep_benchmark_run(effects, task="x", truth=truth, margins=(0, 0.2))
    assert report["n_effects"] == 4 and report["n_compared"] == 3
    first = report["margins"][0]
    assert (first["n"], first["correct"]) == (3, 2)  # +0.4 right, -0.1 right, +0.1 wrong
    assert report["margins"][1]["n"] == 1
    everything = vep_benchmark_run(effects, task="x", favoured="alt", out=tmp_path / "r.json")
    assert everything["margins"][0]["correct"] == 2 and (tmp_path / "r.json").is_file()


def test_benchmark_bad_input(tmp_path):
    effects = effects_file(tmp_path)
    with pytest.raises(GenasError, match="either --truth"):
        vep_benchmark_run(effects, task="x")
    with pytest.raises(GenasError, match="--score"):
        vep_benchmark_run(effects, task="x", favoured="alt", score="abs_diff")
    bad = tmp_path / "bad.tsv"
    bad.write_text("pos\tdirection\n10\talt\n")
    with pytest.raises(InputError, match="no 'favoured' column"):
        vep_benchmark_run(effects, task="x", truth=bad)
    bad.write_text("name\tfavoured\n10\talt\n")
    with pytest.raises(InputError, match="no key column shared"):
        vep_benchmark_run(effects, task="x", truth=bad)
    bad.write_text("pos\tfavoured\n99\talt\n")
    with pytest.raises(InputError, match="no row matches"):
        vep_benchmark_run(effects, task="x", truth=bad)
    bad.write_text("pos\tfavoured\n10\tup\n")
    with pytest.raises(InputError, match="'ref' or 'alt'"):
        vep_benchmark_run(effects, task="x", truth=bad)
