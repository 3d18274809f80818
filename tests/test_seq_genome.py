import pytest

from genas.errors import InputError
from genas.seq import Genome

CHR1 = "ACGTACGTAA" * 3  # 30 bp
CHR2 = "ggccTTAANN"  # 10 bp, soft-masked start


@pytest.fixture
def genome_path(tmp_path):
    path = tmp_path / "genome.fa"
    path.write_text(f">chr1\n{CHR1[:12]}\n{CHR1[12:24]}\n{CHR1[24:]}\n>chr2 desc\n{CHR2}\n")
    return path


def test_sizes_and_index_built(genome_path):
    genome = Genome(genome_path)
    assert genome.chrom_sizes == {"chr1": 30, "chr2": 10}
    assert (genome_path.parent / "genome.fa.fai").is_file()
    assert "chr1" in genome and "chrX" not in genome


def test_fetch_inside_and_padded(genome_path):
    with Genome(genome_path) as genome:
        assert genome.fetch("chr1", 5, 17) == CHR1[5:17]
        assert genome.fetch("chr2", 0, 4) == "ggcc"  # case kept
        assert genome.fetch("chr1", -3, 2) == "NNN" + CHR1[:2]
        assert genome.fetch("chr1", 27, 33) == CHR1[27:] + "NNN"
        assert genome.fetch("chr2", -2, 12) == "NN" + CHR2 + "NN"
        assert genome.fetch("chr2", 15, 18) == "NNN"
        assert genome.fetch("chr2", -8, -5) == "NNN"
        assert genome.fetch("chr1", 4, 4) == ""


def test_errors(genome_path, tmp_path):
    genome = Genome(genome_path)
    with pytest.raises(InputError, match="unknown chromosome 'chrX'"):
        genome.fetch("chrX", 0, 5)
    with pytest.raises(InputError, match="end < start"):
        genome.fetch("chr1", 5, 2)
    with pytest.raises(InputError, match="not found"):
        Genome(tmp_path / "missing.fa")
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">c\nACGT\nAC\nACGT\n")
    with pytest.raises(InputError, match=r"ragged\.fa: cannot index reference genome"):
        Genome(ragged)


def test_index_in_temp_folder_when_beside_is_not_writable(genome_path, monkeypatch):
    import pyfaidx

    real = pyfaidx.Fasta
    calls = []

    def fasta(filename, indexname=None, **kw):
        calls.append(indexname)
        if indexname is None:
            raise OSError("not writable")
        return real(filename, indexname=indexname, **kw)

    monkeypatch.setattr(pyfaidx, "Fasta", fasta)
    genome = Genome(genome_path)
    assert calls[0] is None and calls[1].endswith("genome.fa.fai") and "genas-" in calls[1]
    assert genome.fetch("chr1", 0, 4) == CHR1[:4]
    assert not (genome_path.parent / "genome.fa.fai").exists()
