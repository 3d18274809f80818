"""In-silico marginalization: effects of written motifs against a linear model by hand, and
`genas marginalize` end to end on a tiny saved model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from typer.testing import CliRunner
from variants_support import TASKS, save_tiny_model

from genas.analysis.marginalize import marginalize, write_site
from genas.cli import app
from genas.data.motifs import Motif, write_meme
from genas.errors import GenasError, InputError
from genas.seq.alphabet import encode, reverse_complement_str
from genas.train.task import TaskSpec
from genas.workflows.marginalize_run import COLUMNS, marginalize_run

L = 24


class Linear(nn.Module):
    """output_t = Σ_{b,l} W[t, b, l] · x[b, l] + c_t."""

    def __init__(self, outputs: int, length: int, seed: int = 0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.weight = nn.Parameter(torch.randn(outputs, 4, length, generator=gen))
        self.bias = nn.Parameter(torch.randn(outputs, generator=gen))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nbl,tbl->nt", x, self.weight) + self.bias


def _backgrounds(n: int, length: int, seed: int = 1) -> np.ndarray:
    codes = np.random.default_rng(seed).integers(0, 4, size=(n, length))
    return (codes[:, None, :] == np.arange(4)[None, :, None]).astype(np.uint8)


def test_write_site():
    x = _backgrounds(2, 8)
    out = write_site(x, "GATA", 3)
    np.testing.assert_array_equal(out[:, :, 3:7], np.stack([encode("GATA")] * 2))
    np.testing.assert_array_equal(out[:, :, :3], x[:, :, :3])
    assert not np.shares_memory(out, x)


def test_effects_of_a_linear_model_by_hand():
    model, x = Linear(2, 12), _backgrounds(5, 12)
    w = model.weight.detach().numpy().astype(np.float64)
    found = marginalize(model, x, ["GATA", "CCGTA"], TaskSpec.binary(["a", "b"]), batch_size=3)
    for k, site in enumerate(["GATA", "CCGTA"]):
        start = (12 - len(site)) // 2
        assert found.start[k] == start
        change = np.zeros((5, 2))
        for strand in (site, reverse_complement_str(site)):
            written = x.astype(np.float64).copy()
            written[:, :, start : start + len(site)] = encode(strand)
            change += np.einsum("nbl,tbl->nt", written - x, w) / 2
        np.testing.assert_allclose(found.effect[k], change.mean(axis=0), atol=1e-5)
        np.testing.assert_allclose(found.se[k], change.std(axis=0, ddof=1) / np.sqrt(5),
                                   atol=1e-5)  # fmt: skip
    with torch.no_grad():
        logits = model(torch.from_numpy(x).float()).double().numpy()
    np.testing.assert_allclose(found.before, (1 / (1 + np.exp(-logits))).mean(axis=0), atol=1e-6)
    assert model.training  # restored


def test_multiclass_effects_are_on_log_probabilities():
    model, x = Linear(3, 10, seed=2), _backgrounds(4, 10)
    task = TaskSpec("multiclass", ("factor",), ("A", "B", "C"), "cross_entropy")
    found = marginalize(model, x, ["TTAC"], task)

    def log_probs(sequences: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.log_softmax(model(torch.from_numpy(sequences).float()), 1).numpy()

    forward, reverse = write_site(x, "TTAC", 3), write_site(x, "GTAA", 3)
    change = (log_probs(forward) + log_probs(reverse)) / 2 - log_probs(x)
    np.testing.assert_allclose(found.effect[0], change.mean(axis=0), atol=1e-5)
    assert found.after[0].sum() == pytest.approx(1.0)  # class probabilities
    with pytest.raises(ValueError, match="at least 2 backgrounds"):
        marginalize(model, x[:1], ["TTAC"], task)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("marginalize") / "run", L)


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "bg.fa"
    path.write_text("".join(f">r{i}\n{''.join(rng.choice(list('ACGT'), L))}\n" for i in range(9)))
    return path


def test_workflow_writes_a_sorted_table_of_every_motif_and_task(run, data, tmp_path):
    meme = tmp_path / "m.meme"
    write_meme(meme, [Motif("M1", "one", encode("ACGTA").astype(float) + 0.01),
                      Motif("M2", "two", encode("GGG").astype(float) + 0.01),
                      Motif("WIDE", "wide", encode("ACGT" * 7).astype(float) + 0.01)])  # fmt: skip
    lines = []
    table = marginalize_run(run, tmp_path / "e.tsv", motif_db=meme, data=data, n_backgrounds=6,
                            device="cpu", log=lines.append)  # fmt: skip
    assert "2 motifs (1 wider than 24 bp left out) x 6 backgrounds" in lines[0]
    written = pd.read_csv(tmp_path / "e.tsv", sep="\t")
    assert tuple(written.columns) == COLUMNS and len(written) == 4
    assert written["output"].tolist() == [TASKS[0]] * 2 + [TASKS[1]] * 2
    for _, rows in written.groupby("output"):
        assert rows["effect"].is_monotonic_decreasing
    assert set(written["consensus"]) == {"ACGTA", "GGG"}
    np.testing.assert_allclose(written["z"], written["effect"] / written["se"], rtol=1e-5)
    np.testing.assert_allclose(written["effect"], table["effect"], rtol=1e-5)


def test_jaspar_ids_and_refusals(run, data, tmp_path):
    table = marginalize_run(run, tmp_path / "j.parquet", motif_ids=["MA0139"], data=data,
                            device="cpu", log=lambda line: None)  # fmt: skip
    assert set(table["motif"]) == {"MA0139.2"} and set(table["name"]) == {"CTCF"}
    assert len(pd.read_parquet(tmp_path / "j.parquet")) == 2
    cases = [
        (dict(out=tmp_path / "e.h5"), InputError, r"e\.h5: the effects are a table"),
        (dict(motif_ids=["MA9999"]), GenasError, "--motifs: motif 'MA9999' is not in"),
        (dict(motif_ids=[]), GenasError, "--motifs: no motif id given"),
        (dict(motif_ids=["MA0139"], motif_db=tmp_path / "x.meme"), GenasError, "not both"),
        (dict(n_backgrounds=1), GenasError, "--backgrounds 1: at least 2"),
        (dict(motif_ids=["MA1929"]), GenasError, "no motif is at most 24 bp wide"),
    ]
    for overrides, error, message in cases:
        kwargs = {"out": tmp_path / "e.tsv", "data": data, "device": "cpu"} | overrides
        with pytest.raises(error, match=message):
            marginalize_run(run, **kwargs)
    assert not (tmp_path / "e.tsv").exists() and not (tmp_path / "e.h5").exists()


def test_cli(run, data, tmp_path):
    out = tmp_path / "e.tsv.gz"
    args = ["marginalize", str(run), "-o", str(out), "--motifs", "MA0139, MA0108",
            "--data", str(data), "--backgrounds", "5", "--device", "cpu"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "2 motifs x 5 backgrounds x 2 strands" in said and f"wrote {out} (4 rows)" in said
    assert "MA0108.3" in said and "TBP" in said
    assert len(pd.read_csv(out, sep="\t")) == 4
