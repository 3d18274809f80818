"""Downstream of training, for a tiny trained regression (log1p) and multiclass model: `genas
vep` against `genas predict` on the two alleles, the report's plots and tables by task type
(with motifs and attributions), and `compare`'s columns."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from test_task_types_e2e import LENGTH, MOTIF_A, MOTIF_B, _config, runner, tables  # noqa: F401

from genas.cli import app
from genas.config import load_config, parse_config
from genas.data import load_splits
from genas.report.sections.common import PLOT_NAMES
from genas.workflows.report_run import report_run
from genas.workflows.train_run import train_run

CLASSES = ["A_site", "B_site", "none"]


@pytest.fixture(scope="module")
def runs(tables, tmp_path_factory) -> dict[str, Path]:  # noqa: F811
    """``reg``: 2 regression tasks trained on log(1 + y); ``cls``: 3 classes; 1 epoch each."""
    root = tmp_path_factory.mktemp("downstream")
    text = (tables / "reg.tsv").read_text().splitlines()
    rows = [text[0]] + [
        "\t".join([c[0], *(v if v == "NA" else str(abs(float(v))) for v in c[1:])])
        for c in (line.split("\t") for line in text[1:])
    ]
    (root / "pos.tsv").write_text("\n".join(rows) + "\n")
    reg = _config(tables, root / "reg", {"file": "reg.tsv", "task_type": "regression",
                                         "target_transform": "log1p"})  # fmt: skip
    reg["data"]["train"] = str(root / "pos.tsv")
    reg["train"]["max_epochs"] = 2
    cls = _config(tables, root / "cls", {"file": "cls.tsv", "task_type": "multiclass"})
    cls["train"]["max_epochs"] = 2
    for raw in (reg, cls):
        train_run(parse_config(raw, root), progress=False)
    return {"reg": root / "reg", "cls": root / "cls", "root": root}


@pytest.fixture(scope="module")
def alleles(runs) -> tuple[Path, Path]:
    """Paired FASTA: random sequences (ref) and the same with site A or B planted (alt)."""
    rng = np.random.default_rng(7)
    refs = ["".join(rng.choice(list("ACGT"), LENGTH)) for _ in range(6)]
    alts = [s[:20] + (MOTIF_A, MOTIF_B)[i % 2] + s[28:] for i, s in enumerate(refs)]
    ref_fa, alt_fa = runs["root"] / "ref.fa", runs["root"] / "alt.fa"
    ref_fa.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(refs)))
    alt_fa.write_text("".join(f">a{i}\n{s}\n" for i, s in enumerate(alts)))
    return ref_fa, alt_fa


def _cli(*args: str) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _predicted(run: Path, fasta: Path, out: Path) -> pd.DataFrame:
    _cli("predict", run, fasta, "-o", out, "--device", "cpu")
    return pd.read_csv(out, sep="\t")


def test_vep_of_a_regression_model_is_predict_on_both_alleles(runs, alleles, tmp_path):
    ref_fa, alt_fa = alleles
    _cli("vep", runs["reg"], "--ref-fasta", ref_fa, "--alt-fasta", alt_fa, "-o",
         tmp_path / "e.tsv", "--wide", "--device", "cpu")  # fmt: skip
    effects = pd.read_csv(tmp_path / "e.tsv", sep="\t")
    ref = _predicted(runs["reg"], ref_fa, tmp_path / "ref.tsv")
    alt = _predicted(runs["reg"], alt_fa, tmp_path / "alt.tsv")
    for task in ("actA", "actB"):
        assert {f"{task}.{s}" for s in ("ref_value", "alt_value", "diff", "log2fc")} <= set(
            effects.columns
        )
        r, a = ref[task].to_numpy(), alt[task].to_numpy()  # the original scale (expm1)
        np.testing.assert_allclose(effects[f"{task}.ref_value"], r, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(effects[f"{task}.diff"], a - r, rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(effects[f"{task}.abs_diff"], abs(a - r), rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(
            effects[f"{task}.log2fc"], np.log2((a + 1) / (r + 1)), rtol=1e-3, atol=1e-4
        )
    assert effects["actA.diff"].abs().max() > 0  # the planted sites move the prediction


def test_vep_of_a_multiclass_model_scores_each_class(runs, alleles, tmp_path):
    ref_fa, alt_fa = alleles
    _cli("vep", runs["cls"], "--ref-fasta", ref_fa, "--alt-fasta", alt_fa, "-o",
         tmp_path / "e.parquet", "--device", "cpu")  # fmt: skip
    effects = pd.read_parquet(tmp_path / "e.parquet")
    assert effects["task"].tolist()[:3] == CLASSES
    ref = _predicted(runs["cls"], ref_fa, tmp_path / "ref.tsv")
    alt = _predicted(runs["cls"], alt_fa, tmp_path / "alt.tsv")
    for k, name in enumerate(CLASSES):
        rows = effects.iloc[k::3]
        np.testing.assert_allclose(rows["ref_prob"], ref[name], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(rows["diff"], alt[name] - ref[name], atol=2e-5)
    per_pair = effects.iloc[::3]
    assert per_pair["ref_class"].tolist() == ref["predicted_class"].tolist()
    assert per_pair["alt_class"].tolist() == alt["predicted_class"].tolist()
    np.testing.assert_allclose(effects.groupby("pair")["diff"].sum(), 0.0, atol=1e-5)


def test_multiclass_predictions_in_hdf5_match_the_tsv(runs, alleles, tmp_path):
    tsv = _predicted(runs["cls"], alleles[0], tmp_path / "p.tsv")
    _cli("predict", runs["cls"], alleles[0], "-o", tmp_path / "p.h5", "--device", "cpu")
    with h5py.File(tmp_path / "p.h5") as h5:
        assert [name.decode() for name in h5["task_names"][:]] == CLASSES
        assert h5.attrs["task_type"] == "multiclass" and h5["predictions"].shape == (6, 3)
        np.testing.assert_allclose(h5["predictions"][:], tsv[CLASSES], rtol=1e-5)
        assert [c.decode() for c in h5["predicted_class"][:]] == tsv["predicted_class"].tolist()
        assert [n.decode() for n in h5["name"][:]] == tsv["name"].tolist()


def test_evaluate_writes_labels_on_the_original_scale_and_class_names(runs, tmp_path):
    reg, cls = tmp_path / "reg.tsv", tmp_path / "cls.parquet"
    _cli("evaluate", runs["reg"], "--predictions", reg, "--device", "cpu")
    table = pd.read_csv(reg, sep="\t")
    assert list(table.columns) == ["row", "name", "actA", "actB", "actA.label", "actB.label"]
    source = pd.read_csv(runs["root"] / "pos.tsv", sep="\t")  # line k + 2 holds row k
    lines = table["name"].str.rsplit(":", n=1).str[1].astype(int) - 2
    for task in ("actA", "actB"):  # as in the file (the network was trained on log1p)
        np.testing.assert_allclose(table[f"{task}.label"], source[task].iloc[lines], atol=1e-4)
    assert table["actB.label"].isna().any() and (table[["actA", "actB"]] > -1).all().all()
    _cli("evaluate", runs["cls"], "--predictions", cls, "--device", "cpu")
    table = pd.read_parquet(cls)
    assert list(table.columns) == ["row", "name", *CLASSES, "predicted_class", "label"]
    np.testing.assert_allclose(table[CLASSES].sum(axis=1), 1.0, rtol=1e-5)
    stored = json.loads((runs["cls"] / "metrics.json").read_text())["test"]["summary"]
    accuracy = (table["predicted_class"] == table["label"]).mean()
    assert accuracy == pytest.approx(stored["accuracy"], abs=1e-6)


def _page(run: Path) -> str:
    return (run / "report.html").read_text()


def _section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}"')
    return page[start : page.index("</section>", start)]


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", html)


def test_report_of_a_regression_run(runs, tmp_path):
    run = tmp_path / "reg"
    shutil.copytree(runs["reg"], run)
    (run / "plots").mkdir(exist_ok=True)
    (run / "plots" / "performance_roc_pr.png").write_bytes(b"stale")  # of a binary report
    report_run(run, device="cpu", log=lambda _: None)
    plots = {p.stem for p in (run / "plots").glob("*.png")}
    # a reference network: no architecture plot
    assert plots == {"training_curves", "performance_scatter", "filter_logos",
                     "attribution_ism", "attribution_deeplift_shap"}  # fmt: skip
    assert plots - {"filter_logos"} <= set(PLOT_NAMES)
    page = _page(run)
    summary = _section(page, "summary")
    assert "test mean Pearson r" in summary and "test mean Spearman rho" in summary
    assert "AUROC" not in summary and "regression" in summary
    performance = _section(page, "performance")
    assert "Pearson r" in performance and "Spearman" in performance and "MSE" in performance
    assert "Predicted against observed" in performance and "ROC and PR" not in performance
    # the data section: targets on the stored scale (not log(1 + y)), per task and split
    config = load_config(run / "config.yaml")
    splits = load_splits(config.data, config.seed)
    y = np.expm1(np.concatenate(list(splits.train.iter_labels())))
    data = _section(page, "data")
    assert "sd" in data and "positives" not in data
    cells = _cells(data)
    assert cells[:3] == ["actA", "train", f"{int(np.isfinite(y[:, 0]).sum()):,}"]
    assert float(cells[3]) == pytest.approx(np.nanmean(y[:, 0]), rel=1e-3)
    attributions = _section(page, "attributions")
    assert "sequences with the highest observed target" in attributions
    assert "Task act" in attributions and "best-predicted task" in attributions
    assert "motifs" in re.findall(r'<section id="([^"]+)"', page)


def test_report_of_a_multiclass_run_with_a_chosen_class(runs, tmp_path):
    run = tmp_path / "cls"
    shutil.copytree(runs["cls"], run)
    _cli("report", run, "--task", "B_site", "--device", "cpu", "--no-motifs")
    plots = {p.stem for p in (run / "plots").glob("*.png")}
    assert plots == {"training_curves", "performance_confusion", "attribution_ism",
                     "attribution_deeplift_shap"}  # fmt: skip
    page = _page(run)
    assert "test macro AUROC" in _section(page, "summary")
    assert "test accuracy" in _section(page, "summary")
    performance = _section(page, "performance")
    assert "Confusion matrix" in performance and "ROC and PR" not in performance
    metrics = json.loads((run / "metrics.json").read_text())["test"]
    cells = _cells(performance)
    assert cells[0::7][:3] == CLASSES  # class, n, predicted, AUROC, precision, recall, F1
    assert [int(c.replace(",", "")) for c in cells[1::7][:3]] == [
        metrics["classes"][c]["n"] for c in CLASSES
    ]
    config = load_config(run / "config.yaml")
    splits = load_splits(config.data, config.seed)
    labels = np.concatenate(list(splits.train.iter_labels()))[:, 0]
    data = _cells(_section(page, "data"))
    assert data[0] == "A_site" and int(data[1]) == int((labels == 0).sum())
    attributions = _section(page, "attributions")
    assert "Class B_site (chosen with --task)" in attributions
    assert "log probability of the class" in attributions


def test_report_refuses_an_unknown_task_and_writes_nothing(runs, tmp_path):
    run = tmp_path / "cls"
    shutil.copytree(runs["cls"], run)
    before = sorted(p.name for p in run.rglob("*"))
    result = runner.invoke(app, ["report", str(run), "--task", "C_site"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--task C_site: the model has no class of that name (A_site, B_site, none)" in " ".join(
        result.output.split()
    )
    assert sorted(p.name for p in run.rglob("*")) == before


def test_compare_of_a_multiclass_run_prints_its_metrics(runs, tmp_path):
    run = tmp_path / "cls"
    shutil.copytree(runs["cls"], run)
    output = _cli("compare", run, "--random", "0", "--quiet")
    assert "macro AUROC" in output and "accuracy" in output and "macro F1" in output
    assert "AUPRC" not in output
    comparison = json.loads((run / "comparison.json").read_text())
    assert comparison["task_type"] == "multiclass"
    assert {"test_macro_auroc", "test_accuracy"} <= set(comparison["rows"][0])
    report_run(run, device="cpu", motifs=False, attributions=False, log=lambda _: None)
    table = _section(_page(run), "comparison")
    assert "macro AUROC" in table and "deepbind" in table and "AUPRC" not in table
