"""Variant effects of regression and multiclass models (seeded, untrained networks): every
score against a hand computation from the network's outputs, per loss and transform; the
strand average and ensembles combined as the task type says; class columns in every format;
vep-benchmark on such effects."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest
import torch
from variants_support import save_task_model, write_genome, write_vcf

from genas.analysis.variants import TASK_SCORES, effect_scores, read_effects, score_pairs
from genas.analysis.variants.scoring import CLASS_COLUMNS
from genas.analysis.variants.sources import VARIANT_KEYS
from genas.errors import GenasError, InputError
from genas.nn.model_file import load_model
from genas.seq.alphabet import encode, reverse_complement, to_float
from genas.train.task import TaskSpec
from genas.workflows.vep_run import vep_benchmark_run, vep_run

torch.set_num_threads(1)

L = 11
REFS = ["ACGTACGTACG", "TTTTGGGGCCA", "GATTACAGATT"]
ALTS = ["ACGTAGGTACG", "TTTTGAGGCCA", "GATTACGGATT"]


def outputs(model, seqs: list[str], rc: bool = False) -> np.ndarray:
    """Raw outputs (n, O) of ``model`` for window strings (and of their reverse complements)."""
    x = torch.from_numpy(to_float(encode(seqs)))
    with torch.no_grad():
        return model(reverse_complement(x) if rc else x).double().numpy()


@pytest.mark.parametrize(
    ("loss", "transform"), [("mse", None), ("huber", None), ("mse", "log1p"), ("poisson", None)]
)
def test_regression_scores_by_hand(tmp_path, loss, transform):
    loaded = load_model(save_task_model(tmp_path / "run", "regression", loss, transform, L))
    table = score_pairs(loaded, REFS, ALTS, device="cpu", wide=True)
    zr, za = outputs(loaded.model, REFS), outputs(loaded.model, ALTS)
    if loss == "poisson":
        vr, va = np.exp(zr), np.exp(za)
    elif transform == "log1p":
        vr, va = np.expm1(zr), np.expm1(za)
    else:
        vr, va = zr, za
    assert list(table.columns[3:8]) == [f"t0.{s}" for s in TASK_SCORES["regression"]]
    assert "t0.logit_diff" not in table.columns and "t0.ref_prob" not in table.columns
    for t, task in enumerate(["t0", "t1"]):
        np.testing.assert_allclose(table[f"{task}.ref_value"], vr[:, t], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(table[f"{task}.alt_value"], va[:, t], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(table[f"{task}.diff"], va[:, t] - vr[:, t], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(table[f"{task}.abs_diff"], abs(va[:, t] - vr[:, t]), atol=1e-5)
        with np.errstate(invalid="ignore"):
            log2fc = np.log2((va[:, t] + 1) / (vr[:, t] + 1))
        log2fc[(va[:, t] <= -1) | (vr[:, t] <= -1)] = np.nan
        np.testing.assert_allclose(table[f"{task}.log2fc"], log2fc, rtol=1e-4, atol=1e-5)


def test_regression_log2fc_by_hand():
    """Pseudocount 1; NaN where a value is <= -1; a log1p model's log2fc is the difference
    of its outputs over ln 2."""
    mse = TaskSpec("regression", ("a", "b", "c"), loss="mse")
    s = effect_scores(np.array([[-3.0, 1.0, -1.0]]), np.array([[0.5, 3.0, 0.0]]), mse)
    assert math.isnan(s["log2fc"][0, 0]) and math.isnan(s["log2fc"][0, 2])
    assert s["log2fc"][0, 1] == pytest.approx(1.0)
    assert s["diff"].tolist() == [[3.5, 2.0, 1.0]]
    log1p = TaskSpec("regression", ("a",), loss="mse", target_transform="log1p")
    s = effect_scores(np.array([[2.0]]), np.array([[5.0]]), log1p)
    assert s["log2fc"][0, 0] == pytest.approx(3 / math.log(2), rel=1e-6)
    assert s["ref_value"][0, 0] == pytest.approx(math.expm1(2.0), rel=1e-6)


def test_multiclass_scores_per_class_with_predicted_classes(tmp_path):
    loaded = load_model(save_task_model(tmp_path / "run", "multiclass", "cross_entropy", None, L))
    classes = ["A_site", "B_site", "none"]
    table = score_pairs(loaded, REFS, ALTS, device="cpu")
    assert list(table.columns) == ["pair", "ref_name", "alt_name", "ref_class", "alt_class",
                                   "task", *TASK_SCORES["multiclass"]]  # fmt: skip
    assert table["task"].tolist() == classes * 3
    pr = torch.softmax(torch.from_numpy(outputs(loaded.model, REFS)), 1).numpy()
    pa = torch.softmax(torch.from_numpy(outputs(loaded.model, ALTS)), 1).numpy()
    np.testing.assert_allclose(table["ref_prob"], pr.reshape(-1), rtol=1e-5)
    np.testing.assert_allclose(table["diff"], (pa - pr).reshape(-1), atol=1e-6)
    np.testing.assert_allclose(table["log2fc"], np.log2(pa / pr).reshape(-1), rtol=1e-4)
    np.testing.assert_allclose(table.groupby("pair")["alt_prob"].sum(), 1.0, rtol=1e-5)
    assert table["ref_class"].tolist()[::3] == [classes[i] for i in pr.argmax(1)]
    assert table["alt_class"].tolist()[::3] == [classes[i] for i in pa.argmax(1)]
    wide = score_pairs(loaded, REFS, ALTS, device="cpu", wide=True)
    assert list(wide.columns[3:6]) == ["ref_class", "alt_class", "A_site.ref_prob"]


@pytest.mark.parametrize(
    ("task_type", "loss", "mean"),
    [("regression", "mse", lambda z: z.mean(0)),
     ("regression", "poisson", lambda z: np.exp(z).mean(0)),
     ("multiclass", "cross_entropy", lambda z: torch.softmax(torch.from_numpy(z), 2).numpy()
      .mean(0))],
)  # fmt: skip
def test_strand_average_follows_the_task_type(tmp_path, task_type, loss, mean):
    loaded = load_model(save_task_model(tmp_path / "run", task_type, loss, None, L))
    table = score_pairs(loaded, REFS, ALTS, device="cpu", wide=True, rc_average=True)
    z = np.stack([outputs(loaded.model, ALTS), outputs(loaded.model, ALTS, rc=True)])
    first = "t0.alt_value" if task_type == "regression" else "A_site.alt_prob"
    np.testing.assert_allclose(table[first], mean(z)[:, 0], rtol=1e-5, atol=1e-6)


def test_regression_ensemble_scores_the_mean_rate(tmp_path):
    run = save_task_model(tmp_path / "run", "regression", "poisson", None, L, ensemble=True)
    loaded = load_model(run)
    table = score_pairs(loaded, REFS, ALTS, device="cpu", wide=True)
    rates = [np.exp(outputs(m, REFS)) for m in loaded.model.members]
    np.testing.assert_allclose(table["t1.ref_value"], np.mean(rates, 0)[:, 1], rtol=1e-5)


@pytest.mark.parametrize("name", ["e.tsv", "e.parquet", "e.h5"])
@pytest.mark.parametrize("wide", [False, True])
def test_multiclass_effects_files_and_benchmark(tmp_path, name, wide):
    run = save_task_model(tmp_path / "run", "multiclass", "cross_entropy", None, L)
    (tmp_path / "ref.fa").write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(REFS)))
    (tmp_path / "alt.fa").write_text("".join(f">a{i}\n{s}\n" for i, s in enumerate(ALTS)))
    out = tmp_path / name
    vep_run(run, out, ref_fasta=tmp_path / "ref.fa", alt_fasta=tmp_path / "alt.fa",
            wide=wide, device="cpu")  # fmt: skip
    model = load_model(run).model
    pr = torch.softmax(torch.from_numpy(outputs(model, REFS)), 1).numpy()
    pa = torch.softmax(torch.from_numpy(outputs(model, ALTS)), 1).numpy()
    table = read_effects(out, "B_site", "diff")
    classes = ["A_site", "B_site", "none"]
    assert table["ref_class"].astype(str).tolist() == [classes[i] for i in pr.argmax(1)]
    np.testing.assert_allclose(table["diff"], pa[:, 1] - pr[:, 1], atol=1e-6)
    report = vep_benchmark_run(out, task="B_site", favoured="alt")
    assert report["n_compared"] == 3
    refused = "no column '(B_site.)?logit_diff'|needs task_names and logit_diff"
    with pytest.raises(InputError, match=refused):
        read_effects(out, "B_site", "logit_diff")


def test_empty_multiclass_effects_keep_their_columns(tmp_path):
    run = save_task_model(tmp_path / "run", "multiclass", "cross_entropy", None, L)
    vcf = write_vcf(tmp_path / "none.vcf", [])
    for name in ("e.tsv", "e.h5"):
        vep_run(run, tmp_path / name, vcf=vcf, genome=write_genome(tmp_path), device="cpu")
    header = (tmp_path / "e.tsv").read_text().splitlines()[0].split("\t")
    assert header == [*VARIANT_KEYS, *CLASS_COLUMNS, "task", *TASK_SCORES["multiclass"]]
    with h5py.File(tmp_path / "e.h5") as h5:
        assert h5["ref_class"].shape == (0,) and h5["diff"].shape == (0, 3)
        assert [n.decode() for n in h5["task_names"][:]] == ["A_site", "B_site", "none"]


def test_benchmark_of_regression_effects_and_refused_scores(tmp_path):
    run = save_task_model(tmp_path / "run", "regression", "mse", None, L)
    (tmp_path / "ref.fa").write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(REFS)))
    (tmp_path / "alt.fa").write_text("".join(f">a{i}\n{s}\n" for i, s in enumerate(ALTS)))
    out = tmp_path / "e.tsv"
    vep_run(run, out, ref_fasta=tmp_path / "ref.fa", alt_fasta=tmp_path / "alt.fa", device="cpu")
    diff = read_effects(out, "t0", "diff")["diff"].to_numpy()
    report = vep_benchmark_run(out, task="t0", favoured="alt", margins=[0.0])
    assert report["margins"][0]["correct"] == int((diff > 0).sum())
    with pytest.raises(GenasError, match="--score must be one of diff, logit_diff, log2fc"):
        vep_benchmark_run(out, task="t0", favoured="alt", score="ref_value")
    with pytest.raises(InputError, match="no column 'logit_diff'"):
        vep_benchmark_run(out, task="t0", favoured="alt", score="logit_diff")
