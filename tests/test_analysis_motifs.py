"""Filters → matrices → TOMTOM against JASPAR; recovery of planted motifs; `genas motifs`."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from genas.analysis.motifs import (
    FilterMatches,
    FilterMotif,
    MotifMatch,
    alignment_starts,
    benjamini_hochberg,
    filter_pfms,
    first_convolution,
    is_informative,
    receptive_field,
    recovery,
    tomtom_matches,
    trim_edges,
)
from genas.cli import app
from genas.data.motifs import load_jaspar, read_meme, reverse_complement_pfm, sample_codes
from genas.nn.network import ChildNet
from genas.space import Architecture, get_space

TRUE_ID = "MA0479.2"  # FOXH1, 8 bp (the stem's kernel width), 13.4 bits
runner = CliRunner()


@pytest.fixture(scope="module")
def jaspar():
    return load_jaspar()  # JASPAR 2024 CORE vertebrates, bundled with pyjaspar: 879 motifs


def planted_data(pfm: np.ndarray, n: int = 600, length: int = 80, seed: int = 0) -> np.ndarray:
    """Uniform random sequences, half with a site drawn from ``pfm`` at a random position."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, length)).astype(np.uint8)
    width = pfm.shape[1]
    sites = sample_codes(pfm, n // 2, rng)
    for i in range(n // 2):
        at = int(rng.integers(0, length - width))
        codes[i, at : at + width] = sites[i]
    return (codes[:, None, :] == np.arange(4, dtype=np.uint8)[None, :, None]).view(np.uint8)


def motif_detector(pfm: np.ndarray, length: int) -> ChildNet:
    """A `small`-space network whose stem filter 3 scores the motif's log-odds; the rest is 0."""
    space = get_space("small")
    arch = Architecture.from_ops(space, ["identity"] * space.n_layers)
    net = ChildNet(space, arch, length, 1).eval()
    with torch.no_grad():
        net.stem[0].weight.zero_()
        net.stem[0].weight[3] = torch.tensor(np.log2(pfm / 0.25 + 1e-3), dtype=torch.float32)
    return net


def test_planted_motif_is_recovered_and_tomtom_ranks_it_first(jaspar):
    assert len(jaspar) >= 50
    truth = next(m for m in jaspar if m.id == TRUE_ID)
    x = planted_data(truth.pfm)
    net = motif_detector(truth.pfm, x.shape[2])
    filters = filter_pfms(net, x)
    assert [f.filter for f in filters] == list(range(32))
    assert all(f.pfm is None for i, f in enumerate(filters) if i != 3)  # dead filters
    found = filters[3]
    assert 200 <= found.n_sites <= 320  # most of the 300 planted sites, few background windows
    aligned = found.pfm[:, : truth.width - found.offset]
    assert np.corrcoef(aligned.ravel(), truth.pfm[:, found.offset :].ravel())[0, 1] > 0.95
    matches = tomtom_matches(filters, jaspar)
    best = matches[3].best
    assert best.id == TRUE_ID and best.strand == "+"
    assert best.q < 1e-3
    assert all(not m.matches for i, m in enumerate(matches) if i != 3)


def test_a_flat_matrix_gets_no_match(jaspar):
    # What an untrained 19-bp filter gives: random, ~0.4 bits a column, 7.8 bits in all. Compared
    # anyway, TOMTOM calls it CTCF (the 33-bp matrix, whose 10-bp spacer is flat) at q < 0.05.
    weights = np.random.default_rng(0).normal(size=(4, 19))
    flat = FilterMotif(0, np.exp(weights) / np.exp(weights).sum(axis=0), 500, 1.0)
    ctcf = next(m for m in jaspar if m.id == "MA1930.2").pfm
    sharp = FilterMotif(1, ctcf[:, 19:30], 500, 1.0)  # the core after the spacer
    assert not is_informative(flat.pfm) and is_informative(sharp.pfm)
    forced = tomtom_matches([flat], jaspar, max_q=0.05, min_mean_bits=0.0)[0]
    assert forced.best is not None and forced.best.name == "CTCF"
    matches = tomtom_matches([flat, sharp], jaspar, max_q=0.05)
    assert matches[0].matches == []
    assert matches[1].best.name == "CTCF"


def test_an_untrained_network_yields_no_informative_matrix():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(4, 16, 19), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten())
    x = planted_data(np.full((4, 8), 0.25), n=400, length=100)
    loose = filter_pfms(model, x, min_mean_bits=0.0)
    assert sum(f.pfm is not None for f in loose) >= 8  # the matrices exist...
    assert all(f.pfm is None for f in filter_pfms(model, x))  # ...but are too flat to compare


def test_alignment_starts_follow_tomtoms_offset_and_strand(jaspar):
    assert alignment_starts(3) == (3, 0) and alignment_starts(-2) == (0, 2)
    ctcf = next(m for m in jaspar if m.id == "MA0139.2")
    core = ctcf.pfm[:, 3:11]
    queries = [
        core,  # + strand, starts at the target's column 3
        reverse_complement_pfm(core),  # - strand
        np.hstack([np.full((4, 2), 0.25), core]),  # starts 2 columns before column 3
        reverse_complement_pfm(ctcf.pfm[:, :6]),  # - strand, at the reversed target's end
    ]
    found = tomtom_matches(
        [FilterMotif(i, q, 100, 1.0) for i, q in enumerate(queries)], jaspar, max_q=1.0,
        n_best=len(jaspar),
    )  # fmt: skip
    strands = []
    for query, fm in zip(queries, found, strict=True):
        hit = next(m for m in fm.matches if m.id == ctcf.id)
        strands.append(hit.strand)
        target = reverse_complement_pfm(ctcf.pfm) if hit.strand == "-" else ctcf.pfm
        at_query, at_target = alignment_starts(hit.offset)
        informative = [i for i in range(query.shape[1]) if query[:, i].max() > 0.25]
        for i in informative:  # the same column of the target lies under each query column
            np.testing.assert_allclose(query[:, i], target[:, at_query + i - at_target])
    assert strands == ["+", "-", "+", "-"]


def test_filter_pfms_of_a_reference_network_and_its_errors():
    model = nn.Sequential(nn.Conv1d(4, 5, 6), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten())
    module, kernel, left = first_convolution(model)
    assert (module, kernel, left) == (model[0], 6, 0)
    x = planted_data(np.full((4, 6), 0.25), n=50, length=30)
    model.train()
    filters = filter_pfms(model, x, min_sites=1)
    assert model.training  # restored
    assert len(filters) == 5 and all(f.pfm is None or f.pfm.shape[0] == 4 for f in filters)
    with pytest.raises(ValueError, match="no Conv1d"):
        first_convolution(nn.Sequential(nn.Linear(4, 2)))
    with pytest.raises(ValueError, match="stride 1"):
        first_convolution(nn.Sequential(nn.Conv1d(4, 2, 3, stride=2)))
    with pytest.raises(ValueError, match=r"\(N, 4, L\)"):
        filter_pfms(model, x[:, :3])


def test_units_of_a_searched_layer_see_their_receptive_field():
    pfm = load_jaspar([TRUE_ID])[0].pfm
    x = planted_data(pfm, n=300)
    net = motif_detector(pfm, x.shape[2])
    space = net.space
    assert space.op(0, net.arch.ops[0]).label == "identity"
    assert receptive_field(net, net.layers[0], x.shape[2]) == (3, 8)  # the stem's k=8 window
    units = filter_pfms(net, x, layer=0)  # identity: layer 0's units are the stem's filters
    assert [u.label for u in units[:2]] == ["layer0_unit0", "layer0_unit1"]
    stem = filter_pfms(net, x)
    assert units[3].n_sites == stem[3].n_sites
    np.testing.assert_allclose(units[3].pfm, stem[3].pfm)
    with pytest.raises(ValueError, match="no searched layer 6"):
        filter_pfms(net, x, layer=6)
    with pytest.raises(ValueError, match="reduction"):
        receptive_field(net, net.layers[3], x.shape[2])


def test_flank_widens_the_window():
    pfm = load_jaspar([TRUE_ID])[0].pfm
    x = planted_data(pfm, n=200)
    net = motif_detector(pfm, x.shape[2])
    plain = filter_pfms(net, x, trim_bits=0.0)[3]
    wide = filter_pfms(net, x, flank=3, trim_bits=0.0)[3]
    assert plain.pfm.shape[1] == 8 and wide.pfm.shape[1] == 14
    assert np.allclose(wide.pfm[:, 3:11], plain.pfm)


def test_trim_edges():
    uniform = np.full((4, 1), 0.25)
    sharp = np.eye(4)[:, [0, 1, 2, 3, 0]]
    pfm = np.hstack([uniform, uniform, sharp, uniform])
    assert trim_edges(pfm, 0.3) == (2, 7)
    lo, hi = trim_edges(np.full((4, 10), 0.25), 0.3, min_width=4)  # nothing informative
    assert hi - lo == 4
    assert trim_edges(np.full((4, 3), 0.25), 0.3) == (0, 3)


def test_benjamini_hochberg_matches_the_definition():
    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan])
    q = benjamini_hochberg(p)
    # sorted p: .01 .03 .04 .5 1(nan) -> p*n/rank: .05 .075 .0667 .625 1 -> running min from right
    assert q.tolist() == pytest.approx([0.05, 0.0666667, 0.0666667, 0.625, 1.0], rel=1e-5)
    assert benjamini_hochberg(np.array([])).size == 0


def _fm(i: int, hits: list[tuple[str, float]]) -> FilterMatches:
    motif = FilterMotif(i, np.full((4, 4), 0.25), 10, 1.0)
    return FilterMatches(motif, [MotifMatch(0, mid, mid, q / 10, q, 0, "+") for mid, q in hits])


def test_recovery_counts_motifs_matched_at_q():
    matches = [
        _fm(0, [("A", 0.001), ("B", 0.01)]),
        _fm(1, [("C", 0.2)]),
        _fm(2, [("X", 0.01), ("D", 0.04)]),
    ]
    rec = recovery(matches, ["A", "B", "C", "D"], max_q=0.05)
    assert rec["recovered"] == ["A", "B", "D"]
    assert rec["fraction"] == pytest.approx(0.75)
    assert rec["best_match"] == ["A"]
    assert rec["by_motif"] == {"A": ["filter_0"], "B": ["filter_0"], "C": [], "D": ["filter_2"]}


def test_genas_motifs_on_a_run(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    result = runner.invoke(app, ["motifs", str(run), "--split", "test", "--max-sequences", "100"])
    assert result.exit_code == 0, result.output
    assert "100 sequences" in result.output
    summary = json.loads((run / "motifs" / "motifs.json").read_text())
    assert summary["sequences"] == 100 and summary["targets"] >= 50
    assert summary["layers"] == ["stem", 0, 1, 2]  # `small`: reduction after layer 2
    assert len(summary["filters"]) == 4 * 32 and summary["recovery"] is None
    lines = (run / "motifs" / "matches.tsv").read_text().splitlines()
    assert lines[0].split("\t")[:3] == ["unit", "n_sites", "consensus"]
    units = {line.split("\t")[0] for line in lines[1:]}
    assert {f"filter_{i}" for i in range(32)} | {f"layer2_unit{i}" for i in range(32)} <= units
    with_matrix = [f for f in summary["filters"] if f["consensus"]]
    assert len(read_meme(run / "motifs" / "filters.meme")) == len(with_matrix)
    assert (run / "plots" / "filter_logos.png").stat().st_size > 5000


def test_genas_motifs_recovery_from_a_manifest(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"genas_simulation": 1, "motifs": [{"id": "MA0099.4"}]}))
    args = ["motifs", str(run), "--max-sequences", "200", "--manifest", str(manifest)]
    args += ["--layers", "stem", "--threshold", "0.5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rec = json.loads((run / "motifs" / "motifs.json").read_text())["recovery"]
    assert rec["planted"] == 1 and rec["manifest"] == str(manifest)
    assert "planted motifs recovered" in result.output


def test_an_ensemble_is_analysed_through_its_first_member():
    from genas.nn.ensemble import Ensemble
    from genas.workflows.motifs_run import analysed_network, parse_layers

    members = [motif_detector(np.full((4, 8), 0.25), 80) for _ in range(2)]
    model, name = analysed_network(Ensemble(members))
    assert model is members[0] and name == "the ensemble's first member (of 2)"
    assert parse_layers("auto", model) == [None, 0, 1, 2]  # its searched layers, not the stem only
    assert analysed_network(members[1]) == (members[1], "the model")


def _fails(args: list[str], *needles: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output


def test_genas_motifs_bad_input(tiny_run, tmp_path):
    _fails(["motifs", str(tmp_path)], "model.json: not found")
    _fails(["motifs", str(tiny_run), "--data", str(tmp_path / "nope.fa")], "nope.fa", "not found")
    _fails(["motifs", str(tiny_run), "--split", "dev"], "split must be one of")
    _fails(["motifs", str(tiny_run), "--layers", "stem,9"], "'9' is not", "layers: 0..5")
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json")
    _fails(["motifs", str(tiny_run), "--manifest", str(bad)], "manifest.json:1", "not valid JSON")
    bad.write_text(json.dumps({"motifs": "x"}))
    _fails(["motifs", str(tiny_run), "--manifest", str(bad)], "not a genas simulate manifest")
    _fails(["motifs", str(tiny_run), "--manifest", str(tmp_path / "gone.json")], "not found")
    meme = tmp_path / "db.meme"
    meme.write_text("MEME version 4\n\nALPHABET= ACDE\n")
    _fails(["motifs", str(tiny_run), "--motif-db", str(meme)], "db.meme", "alphabet")


def test_given_sequences_are_read_up_to_the_limit(tmp_path):
    from variants_support import save_tiny_model

    from genas.data import load_prediction_input
    from genas.nn.model_file import load_model
    from genas.workflows.motifs_run import load_sequences

    run = save_tiny_model(tmp_path / "run", 11)
    loaded = load_model(run)
    fasta = tmp_path / "q.fa"
    fasta.write_text("".join(f">r{i}\n{'ACGTTGCA'[i:] + 'ACGT' * 3}\n" for i in range(7)))
    x, source, folder = load_sequences(run, loaded, fasta, max_sequences=3)
    np.testing.assert_array_equal(x, load_prediction_input(fasta, 11)[1][:3])
    assert source == str(fasta) and folder == tmp_path
    table = tmp_path / "q.csv"
    table.write_text("sequence\n" + "".join(f"{'ACGTTGCA'[i:]}ACGTACGTACGT\n" for i in range(7)))
    x_table, _, _ = load_sequences(run, loaded, table, max_sequences=10)
    np.testing.assert_array_equal(x_table, load_prediction_input(fasta, 11)[1])
