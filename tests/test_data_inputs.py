import numpy as np
import pytest

from genas.data import load_prediction_input
from genas.errors import InputError
from genas.seq import Genome, decode


def test_fasta_input(tmp_path):
    path = tmp_path / "q.fa"
    path.write_text(">a\nACGTACGTAC\n>b\nGG\n")
    names, x = load_prediction_input(path, 6)
    assert names == ["a", "b"] and x.shape == (2, 4, 6) and x.dtype == np.uint8
    assert decode(x[0]) == "GTACGT" and decode(x[1, :, 2:4]) == "GG"
    with pytest.raises(InputError, match="record 'b' is 2 bp, expected 6"):
        load_prediction_input(path, 6, fit_length="crop")


def test_bed_input(tmp_path):
    chrom = "ACGTTGCAAC" * 5
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom}\n")
    bed = tmp_path / "q.txt"  # no telling extension: detected by content
    bed.write_text("chr1\t10\t20\nchr1\t0\t2\n")
    names, x = load_prediction_input(bed, 8, genome=tmp_path / "g.fa")
    assert names == ["chr1:10-20", "chr1:0-2"]
    assert decode(x[0]) == chrom[11:19]
    assert decode(x[1]) == "NNN" + chrom[:5]
    with Genome(tmp_path / "g.fa") as genome:
        names2, x2 = load_prediction_input(bed, 8, genome=genome)
    np.testing.assert_array_equal(x, x2)
    with pytest.raises(InputError, match="needs a reference genome"):
        load_prediction_input(bed, 8)
    bed.write_text("chr1\t10\t20\nchr9\t0\t5\n")
    with pytest.raises(InputError, match=r"q\.txt:2: chromosome 'chr9' is not in the genome"):
        load_prediction_input(bed, 8, genome=tmp_path / "g.fa")
