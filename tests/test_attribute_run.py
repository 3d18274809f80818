"""`genas attribute` on tiny saved models: each method's arrays against the attribution
functions and mutants scored by hand, BED rows, multiclass targets and refused options."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner
from variants_support import TASKS, save_task_model, save_tiny_model

from genas.analysis.attribution import deep_lift_shap, input_x_gradient
from genas.cli import app
from genas.data import load_prediction_input
from genas.errors import GenasError, InputError
from genas.nn.model_file import load_model
from genas.seq.alphabet import to_float
from genas.workflows.attribute_run import attribute_run
from genas.workflows.predict_run import predict_run

L = 11


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("attribute") / "run", L)


@pytest.fixture
def fasta(tmp_path):
    rng = np.random.default_rng(3)
    letters = np.array(list("ACGT"))
    records = ["".join(rng.choice(letters, k)) for k in (11, 11, 8, 15, 11)]
    records[4] = records[4][:5] + "N" + records[4][6:]  # an N column
    path = tmp_path / "q.fa"
    path.write_text("".join(f">s{i}\n{r}\n" for i, r in enumerate(records)))
    return path


def _read(path) -> dict:
    with h5py.File(path) as h5:
        return {key: h5[key][:] for key in h5} | {"attrs": dict(h5.attrs)}


def _logit(model, x: np.ndarray, task: int) -> np.ndarray:
    with torch.no_grad():
        return model(to_float(torch.from_numpy(x))).numpy()[:, task]


def test_ism_is_each_mutants_centred_change(run, fasta, tmp_path):
    out = tmp_path / "ism.h5"
    assert attribute_run(run, fasta, out, task="taskB", method="ism", batch_size=2,
                         device="cpu") == (5, "taskB")  # fmt: skip
    got = _read(out)
    assert [n.decode() for n in got["name"]] == [f"s{i}" for i in range(5)]
    assert got["sequences"].shape == got["hypothetical"].shape == (5, 4, L)
    assert got["attrs"]["method"] == "ism" and got["attrs"]["target"] == "logit"
    model, x = load_model(run).model.eval(), load_prediction_input(fasta, L)[1]
    np.testing.assert_array_equal(got["sequences"][:4], x[:4])
    assert got["sequences"][4, :, 5].sum() == 0 and x[4, :, 5].sum() == 4  # the N column
    for i in (0, 3):  # mutants by hand: every letter at every position
        effects = np.zeros((4, L))
        for b in range(4):
            for pos in range(L):
                mutant = x[i : i + 1].copy()
                mutant[0, :, pos], mutant[0, b, pos] = 0, 1
                effects[b, pos] = _logit(model, mutant, 1)[0] - _logit(model, x[i : i + 1], 1)[0]
        centred = effects - effects.mean(axis=0)
        np.testing.assert_allclose(got["hypothetical"][i], centred, atol=1e-5)
    np.testing.assert_allclose(got["attributions"], got["hypothetical"] * to_float(x), atol=1e-7)
    predict_run(run, fasta, tmp_path / "p.tsv", device="cpu")
    table = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    np.testing.assert_allclose(got["predictions"], table["taskB"], rtol=1e-5)


def test_deep_lift_and_gradients_match_the_attribution_functions(run, fasta, tmp_path):
    model = load_model(run).model
    for method, shuffles in (("deep_lift_shap", 4), ("input_x_gradient", 20)):
        out = tmp_path / f"{method}.h5"
        attribute_run(run, fasta, out, task="taskA", method=method, n_shuffles=shuffles,
                      seed=5, batch_size=8, device="cpu")  # fmt: skip
        got, x = _read(out), load_prediction_input(fasta, L)[1]
        if method == "deep_lift_shap":
            expected = deep_lift_shap(model, x, 0, n_shuffles=4, seed=5).sum(axis=1)
            assert got["attrs"]["n_shuffles"] == 4 and got["attrs"]["seed"] == 5
            np.testing.assert_allclose(got["attributions"].sum(axis=1), expected, atol=1e-5)
        else:
            expected = input_x_gradient(model, x, 0)
            np.testing.assert_allclose(got["attributions"], expected, atol=1e-6)
        assert np.abs(got["attributions"]).sum() > 0


def test_bed_rows_and_multiclass_targets(tmp_path):
    run = save_task_model(tmp_path / "cls", "multiclass", "cross_entropy", input_length=L)
    chrom = "AACGTTTGCAGGATCCAAACTTTAGGC" * 2
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom}\n")
    bed = tmp_path / "q.bed"
    bed.write_text("chr1\t10\t21\tpeak\t0\t-\nchr1\t2\t9\n")
    with pytest.raises(GenasError, match=r"--task: the model has 3 outputs; name the class "
                       r"\(A_site, B_site, none\)"):  # fmt: skip
        attribute_run(run, bed, tmp_path / "a.h5", genome=tmp_path / "g.fa", device="cpu")
    for method, target in (("ism", "class log probability"), ("deep_lift_shap", "class logit")):
        out = tmp_path / f"{method}.h5"
        attribute_run(run, bed, out, task="B_site", method=method, genome=tmp_path / "g.fa",
                      n_shuffles=3, device="cpu")  # fmt: skip
        got = _read(out)
        assert got["attrs"]["target"] == target and got["attrs"]["task_type"] == "multiclass"
        assert [c.decode() for c in got["chrom"]] == ["chr1", "chr1"]
        assert list(got["start"]) == [10, 2] and list(got["end"]) == [21, 9]
        assert [n.decode() for n in got["name"]] == ["peak", ""]
        assert [s.decode() for s in got["strand"]] == ["-", "+"]
        assert ((got["predictions"] > 0) & (got["predictions"] < 1)).all()  # B_site's prob


def test_refused_before_any_work(run, fasta, tmp_path):
    cases = [
        (dict(out=tmp_path / "a.tsv"), InputError, r"a\.tsv: attributions are arrays"),
        (dict(method="shap"), GenasError, "--method shap: not one of deep_lift_shap, ism"),
        (dict(task=None), GenasError, r"--task: the model has 2 outputs; name the task"),
        (dict(task="taskC"), GenasError, r"--task taskC: the model has no task of that name"),
    ]
    for overrides, error, message in cases:
        kwargs = {"out": tmp_path / "a.h5", "task": "taskA", "device": "cpu"} | overrides
        with pytest.raises(error, match=message):
            attribute_run(run, fasta, **kwargs)
    (tmp_path / "bad.fa").write_text(">a\nACGT\n>b\nACXT\n")
    with pytest.raises(InputError, match=r"bad\.fa:3: record 'b'.*invalid letter 'X'"):
        attribute_run(run, tmp_path / "bad.fa", tmp_path / "a.h5", task="taskA", device="cpu")
    assert not (tmp_path / "a.h5").exists() and not (tmp_path / "a.tsv").exists()


def test_cli(run, fasta, tmp_path):
    out = tmp_path / "a.h5"
    args = ["attribute", str(run), str(fasta), "-o", str(out), "--task", TASKS[0],
            "--method", "input_x_gradient", "--device", "cpu"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert f"wrote {out} (5 sequences, input_x_gradient of taskA)" in said
    result = CliRunner().invoke(app, [*args[:-4], "--method", "lime"])
    assert result.exit_code != 0 and "--method lime: not one of" in result.output
    assert "Traceback" not in result.output
