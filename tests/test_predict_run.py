"""`genas predict` on a tiny saved model: streamed output, minus-strand BED intervals, and a
hand-edited input length refused."""

from __future__ import annotations

import importlib
import json
from functools import partial

import h5py
import numpy as np
import pandas as pd
import pytest
import torch
from variants_support import TASKS, save_tiny_model

from genas.analysis.variants import score_pairs
from genas.errors import GenasError, InputError
from genas.nn.model_file import load_model
from genas.seq.alphabet import reverse_complement_str
from genas.workflows.predict_run import predict_run

L = 11
# The module (genas.workflows re-exports the function under the same name).
predict_module = importlib.import_module("genas.workflows.predict_run")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("predict") / "run", L)


def _fasta(path, n: int):
    rng = np.random.default_rng(1)
    letters = np.array(list("ACGT"))
    lengths = rng.integers(5, 20, n)  # shorter and longer than L: centre-padded / cropped
    path.write_text(
        "".join(f">s{i}\n{''.join(rng.choice(letters, k))}\n" for i, k in enumerate(lengths))
    )
    return path


def _hand_onehot(sequence: str, length: int) -> np.ndarray:
    """float32 (4, length): ACGT rows, the record centre-cropped or centre-padded with
    all-zero columns (the extra column of an odd difference on the right)."""
    k = len(sequence)
    if k > length:
        start = (k - length) // 2
        sequence, left = sequence[start : start + length], 0
    else:
        left = (length - k) // 2
    x = np.zeros((4, length), dtype=np.float32)
    for j, letter in enumerate(sequence):
        x["ACGT".index(letter), left + j] = 1.0
    return x


def test_output_is_the_sigmoid_of_the_network_on_each_fitted_record(run, tmp_path):
    fasta = _fasta(tmp_path / "q.fa", 10)
    out = tmp_path / "pred.tsv"
    assert predict_run(run, fasta, out, batch_size=3, device="cpu") == (10, len(TASKS))
    records = fasta.read_text().split(">")[1:]
    names = [record.split()[0] for record in records]
    x = torch.from_numpy(np.stack([_hand_onehot(record.split()[1], L) for record in records]))
    with torch.no_grad():
        expected = torch.sigmoid(load_model(run).model.eval()(x)).numpy()
    lines = out.read_text().splitlines()
    assert lines[0].split("\t") == ["name", *TASKS]
    rows = [line.split("\t") for line in lines[1:]]
    assert [row[0] for row in rows] == names
    written = np.array([[float(value) for value in row[1:]] for row in rows])
    np.testing.assert_allclose(written, expected, rtol=2e-5)
    assert np.ptp(written, axis=0).min() > 0.01  # the records' predictions differ


@pytest.mark.parametrize("name", ["p.tsv.gz", "p.parquet", "p.h5"])
def test_every_output_format_holds_the_tsv_predictions(run, tmp_path, name):
    fasta = _fasta(tmp_path / "q.fa", 7)
    predict_run(run, fasta, tmp_path / "p.tsv", batch_size=3, device="cpu")
    expected = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert predict_run(run, fasta, tmp_path / name, batch_size=3, device="cpu") == (7, 2)
    if name.endswith(".h5"):
        with h5py.File(tmp_path / name) as h5:
            assert [task.decode() for task in h5["task_names"][:]] == TASKS
            assert h5["predictions"].dtype == np.float32 and h5.attrs["task_type"] == "binary"
            names = [value.decode() for value in h5["name"][:]]
            values = h5["predictions"][:]
    else:
        read = pd.read_parquet if name.endswith(".parquet") else partial(pd.read_csv, sep="\t")
        frame = read(tmp_path / name)
        assert list(frame.columns) == ["name", *TASKS]
        names, values = frame["name"].tolist(), frame[TASKS].to_numpy()
    assert names == expected["name"].tolist()
    np.testing.assert_allclose(values, expected[TASKS].to_numpy(), rtol=1e-5)  # TSV: %.6g


def test_unknown_output_extension_is_refused_before_reading_the_input(run, tmp_path):
    with pytest.raises(InputError, match=r"p\.csv: unknown output format: use \.tsv"):
        predict_run(run, tmp_path / "missing.fa", tmp_path / "p.csv", device="cpu")
    assert list(tmp_path.iterdir()) == []


def test_input_is_read_and_scored_batch_by_batch(run, tmp_path, monkeypatch):
    fasta = _fasta(tmp_path / "q.fa", 12)
    read, seen_at_call = [], []
    original_iter, original_predict = predict_module.iter_prediction_input, predict_module.predict

    def counting_iter(*args, **kwargs):
        for batch in original_iter(*args, **kwargs):
            read.append(len(batch[0]))
            yield batch

    def recording_predict(model, x, **kwargs):
        seen_at_call.append((len(read), len(x)))
        return original_predict(model, x, **kwargs)

    monkeypatch.setattr(predict_module, "iter_prediction_input", counting_iter)
    monkeypatch.setattr(predict_module, "predict", recording_predict)
    predict_run(run, fasta, tmp_path / "pred.tsv", batch_size=1, device="cpu")
    assert [size for _, size in seen_at_call] == [1] * 12  # one forward call per batch
    # the reader runs at most a few batches ahead of the model, never the whole file
    assert all(n_read - call <= 4 for call, (n_read, _) in enumerate(seen_at_call))


def test_minus_strand_bed_interval_scores_the_reverse_complement(run, tmp_path):
    chrom = "AACGTTTGCAGGATCCAAACTTTAGGC" * 2
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom}\n")
    bed = tmp_path / "q.bed"
    bed.write_text("chr1\t10\t21\ta\t0\t+\nchr1\t10\t21\tb\t0\t-\n")
    window = chrom[10:21]
    fasta = tmp_path / "w.fa"
    fasta.write_text(f">fwd\n{window}\n>rev\n{reverse_complement_str(window)}\n")
    predict_run(run, bed, tmp_path / "bed.tsv", genome=tmp_path / "g.fa", device="cpu")
    predict_run(run, fasta, tmp_path / "fa.tsv", device="cpu")
    bed_rows = [line.split("\t") for line in (tmp_path / "bed.tsv").read_text().splitlines()]
    fa_rows = [line.split("\t") for line in (tmp_path / "fa.tsv").read_text().splitlines()]
    assert bed_rows[0][:5] == ["chrom", "start", "end", "name", "strand"]
    assert [row[:5] for row in bed_rows[1:]] == [
        ["chr1", "10", "21", "a", "+"], ["chr1", "10", "21", "b", "-"]
    ]  # fmt: skip
    assert [row[5:] for row in bed_rows[1:]] == [row[1:] for row in fa_rows[1:]]
    assert bed_rows[1][5:] != bed_rows[2][5:]  # the toy model is not strand-symmetric


def test_hand_edited_input_length_is_refused(run, tmp_path):
    edited = tmp_path / "edited"
    edited.mkdir()
    for name in ("model.json", "model.safetensors"):
        (edited / name).write_bytes((run / name).read_bytes())
    meta = json.loads((edited / "model.json").read_text())
    meta["input_length"] = 15  # DeepBind pools globally: the weights fit any length
    (edited / "model.json").write_text(json.dumps(meta))
    fasta = _fasta(tmp_path / "q.fa", 2)
    message = r"model.json: input_length 15 differs from the 11 the weights in model.safetensors"
    with pytest.raises(GenasError, match=message):
        predict_run(edited, fasta, tmp_path / "pred.tsv", device="cpu")
    with pytest.raises(GenasError, match=message):
        score_pairs(edited, ["ACGTACGTACG"], ["ACGTACCTACG"], device="cpu")
    assert not (tmp_path / "pred.tsv").exists()


def test_a_sequence_table_scores_as_the_same_fasta(run, tmp_path):
    from typer.testing import CliRunner

    from genas.cli import app

    fasta = _fasta(tmp_path / "q.fa", 6)
    lines = fasta.read_text().splitlines()
    names, sequences = [n[1:] for n in lines[::2]], lines[1::2]
    table = tmp_path / "library.tsv"
    rows = "".join(f"{s}\tv_{n}\n" for n, s in zip(names, sequences, strict=True))
    table.write_text("seq\tvariant\n" + rows)
    predict_run(run, fasta, tmp_path / "fa.tsv", device="cpu")
    args = ["predict", str(run), str(table), "-o", str(tmp_path / "t.tsv"),
            "--sequence-column", "seq", "--id-column", "variant", "--device", "cpu"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    from_fasta = pd.read_csv(tmp_path / "fa.tsv", sep="\t")
    from_table = pd.read_csv(tmp_path / "t.tsv", sep="\t")
    assert from_table["name"].tolist() == [f"v_{n}" for n in names]
    np.testing.assert_array_equal(from_table[TASKS].to_numpy(), from_fasta[TASKS].to_numpy())
    result = CliRunner().invoke(app, [*args[:5], "--device", "cpu"])  # no "sequence" column
    assert result.exit_code != 0 and "library.tsv:1: no column 'sequence'" in result.output
