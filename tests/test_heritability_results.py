"""Results of S-LDSC: category names, the jackknife, tau*, the outputs and the plot."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rich.console import Console

from genas.analysis.heritability.plot import plot_enrichment
from genas.analysis.heritability.results import (
    AnnotationResult,
    category_key,
    jackknife_se,
    parse_h2_log,
    results_table,
    write_outputs,
)
from genas.errors import GenasError

LOG = """Read regression weight LD Scores for 5000 SNPs.
After merging with regression SNP LD, 4990 SNPs remain.
Total Observed scale h2: 0.4421 (0.0621)
Categories: L2_0 TFL2_1 DNaseL2_1
Lambda GC: 5.1
Mean Chi^2: 5.9125
Intercept: 1.3213 (0.4438)
"""


def test_jackknife_se_of_a_mean_is_the_standard_error():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    estimate = x.mean(axis=0)
    delete = np.stack([(x.sum(axis=0) - x[i]) / 49 for i in range(50)])
    np.testing.assert_allclose(jackknife_se(estimate, delete), x.std(axis=0, ddof=1) / np.sqrt(50))


def test_category_names():
    names = [["base"], ["TF", "DNase"]]
    assert category_key("L2_0", names) == (0, "base")
    assert category_key("TFL2_1", names) == (1, "TF")
    assert category_key("DNase_ATACL2_1", names) == (1, "DNase_ATAC")
    with pytest.raises(GenasError, match="unexpected ldsc category"):
        category_key("Coefficient", names)


def test_parse_h2_log(tmp_path):
    (tmp_path / "h2.log").write_text(LOG)
    summary = parse_h2_log(tmp_path / "h2.log")
    assert summary == {
        "h2": 0.4421,
        "h2_se": 0.0621,
        "intercept": 1.3213,
        "intercept_se": 0.4438,
        "mean_chi2": 5.9125,
        "lambda_gc": 5.1,
        "n_snps": 4990.0,
    }
    (tmp_path / "bad.log").write_text("Beginning analysis\n")
    with pytest.raises(GenasError, match="no 'h2' in the ldsc log"):
        parse_h2_log(tmp_path / "bad.log")


def _result(name: str, source: str, enrichment: float) -> AnnotationResult:
    return AnnotationResult(
        name, source, 0.1, 0.1 * enrichment, 0.05, enrichment, 0.5, 0.01, 1e-4, 2e-5, 5.0, 0.8, 0.2
    )


def test_outputs_and_plot(tmp_path):
    results = [
        _result("base", "baseline", 1.0),
        _result("TF", "annotation", 4.8),
        _result("DNase", "annotation", 1.1),
    ]
    summary = {"h2": 0.44, "h2_se": 0.06, "intercept": 1.3, "mean_chi2": 5.9}
    paths = write_outputs(tmp_path / "out", results, summary)
    plot_enrichment([r for r in results if r.source == "annotation"], tmp_path / "out" / "e.png")
    lines = (tmp_path / "out" / "results.tsv").read_text().splitlines()
    assert lines[0].startswith("annotation\tsource\tprop_snps") and len(lines) == 4
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["annotations"][1]["enrichment"] == 4.8 and data["summary"]["h2"] == 0.44
    assert (tmp_path / "out" / "e.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths == {"tsv": str(tmp_path / "out" / "results.tsv"),
                     "json": str(tmp_path / "out" / "results.json")}
    console = Console(width=120, record=True)
    console.print(results_table(data))
    text = console.export_text()
    assert "TF" in text and "4.80 ± 0.50" in text and "base (baseline)" in text
