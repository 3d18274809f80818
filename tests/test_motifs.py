"""Motifs: JASPAR access through pyjaspar, MEME reading/writing, sampling."""

from pathlib import Path

import numpy as np
import pytest

from genas.data.motifs import (
    Motif,
    consensus,
    load_jaspar,
    read_meme,
    reverse_complement_pfm,
    sample_codes,
    sample_site,
    write_meme,
)
from genas.errors import InputError

SHARED_MEME = (
    Path(__file__).resolve().parents[1]
    / "../shared/data/jaspar2024/JASPAR2024_CORE_vertebrates_non-redundant.meme"
)


def test_load_jaspar_ctcf_ma0139_1_is_4x19_probabilities():
    (ctcf,) = load_jaspar(["MA0139.1"])
    assert ctcf.id == "MA0139.1" and ctcf.name == "CTCF"
    assert ctcf.pfm.shape == (4, 19)
    np.testing.assert_allclose(ctcf.pfm.sum(axis=0), 1.0)
    assert ctcf.consensus == "TGGCCACCAGGGGGCGCTA"


def test_load_jaspar_base_id_gives_latest_version():
    # In JASPAR 2024 the latest CTCF matrix is MA0139.2, trimmed to 15 columns.
    (ctcf,) = load_jaspar(["MA0139"])
    assert ctcf.id == "MA0139.2" and ctcf.name == "CTCF"
    assert ctcf.pfm.shape == (4, 15)
    np.testing.assert_allclose(ctcf.pfm.sum(axis=0), 1.0)


def test_load_jaspar_unknown_id():
    with pytest.raises(ValueError, match="MA9999.1"):
        load_jaspar(["MA9999.1"])


def test_load_jaspar_collection_is_sorted_and_complete():
    motifs = load_jaspar()
    assert len(motifs) == 879  # CORE vertebrates, latest versions, JASPAR 2024
    assert [m.id for m in motifs] == sorted(m.id for m in motifs)
    assert all(m.family is None or isinstance(m.family, str) for m in motifs)


def test_meme_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    motifs = [
        Motif("M1", "alpha", rng.dirichlet(np.ones(4), size=7).T, n_sites=12),
        Motif("M2.1", "beta::gamma", rng.dirichlet(np.ones(4), size=11).T),
    ]
    path = tmp_path / "m.meme"
    write_meme(path, motifs)
    back = read_meme(path)
    assert [(m.id, m.name) for m in back] == [("M1", "alpha"), ("M2.1", "beta::gamma")]
    assert back[0].n_sites == 12
    for a, b in zip(motifs, back, strict=True):
        np.testing.assert_allclose(a.pfm, b.pfm, atol=1e-5)


def test_read_shared_jaspar_meme_matches_pyjaspar():
    if not SHARED_MEME.is_file():
        pytest.skip("shared JASPAR 2024 MEME file absent")
    motifs = read_meme(SHARED_MEME)
    assert len(motifs) == 879
    by_id = {m.id: m for m in motifs}
    (ctcf,) = load_jaspar(["MA0139.2"])
    np.testing.assert_allclose(by_id["MA0139.2"].pfm, ctcf.pfm, atol=1e-5)


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("MEME version 4\n\nALPHABET= ACGU\n", 3, "alphabet"),
        ("MEME version 4\nletter-probability matrix: w= 2\n", 2, "before any MOTIF"),
        ("MOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.1 0.2 0.3 0.4\n", 3, "2 rows"),
        ("MOTIF a\nletter-probability matrix: alength= 4 w= 1\n0.1 0.2 x 0.4\n", 3, "numbers"),
        ("MOTIF a\nletter-probability matrix: alength= 4 w= 1\n0.5 0.5 0\n", 3, "4 columns"),
        ("MOTIF a\nletter-probability matrix: alength= 4\n", 2, "w="),
    ],
)
def test_read_meme_errors_name_file_and_line(tmp_path, text, line, match):
    path = tmp_path / "bad.meme"
    path.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        read_meme(path)
    assert err.value.line == line and err.value.path == str(path)


def test_read_meme_missing_and_empty(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_meme(tmp_path / "nope.meme")
    (tmp_path / "empty.meme").write_text("MEME version 4\n")
    with pytest.raises(InputError, match="no motifs"):
        read_meme(tmp_path / "empty.meme")


def test_motif_validates_shape_and_normalises_counts():
    m = Motif("x", "x", [[2, 0], [2, 4], [0, 0], [0, 0]])
    np.testing.assert_allclose(m.pfm, [[0.5, 0], [0.5, 1], [0, 0], [0, 0]])
    with pytest.raises(ValueError, match="shape"):
        Motif("x", "x", np.ones((3, 5)))
    with pytest.raises(ValueError, match="all-zero"):
        Motif("x", "x", np.zeros((4, 2)))


def test_reverse_complement_pfm():
    pfm = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1]])  # "ACT"
    assert consensus(reverse_complement_pfm(pfm)) == "AGT"


def test_sampling_follows_the_matrix():
    pfm = np.array([[0.7, 0.0], [0.1, 0.0], [0.1, 1.0], [0.1, 0.0]])
    codes = sample_codes(pfm, 20000, np.random.default_rng(1))
    assert codes.shape == (20000, 2) and codes.dtype == np.uint8
    freq = np.bincount(codes[:, 0], minlength=4) / 20000
    np.testing.assert_allclose(freq, pfm[:, 0], atol=0.015)
    assert (codes[:, 1] == 2).all()
    motif = Motif("x", "x", pfm)
    rng = np.random.default_rng(2)
    sites = {sample_site(motif, rng) for _ in range(50)}
    assert all(len(s) == 2 and s[1] == "G" for s in sites)
    assert all(sample_site(motif, rng, strand="-")[0] == "C" for _ in range(20))
