import gzip

import numpy as np
import pytest

from genas.data import load_prediction_input
from genas.data.inputs import iter_prediction_input
from genas.errors import InputError
from genas.seq import Genome, decode
from genas.seq.alphabet import reverse_complement_str


def test_fasta_input(tmp_path):
    path = tmp_path / "q.fa"
    path.write_text(">a\nACGTACGTAC\n>b\nGG\n")
    rows, x = load_prediction_input(path, 6)
    assert rows == {"name": ["a", "b"]} and x.shape == (2, 4, 6) and x.dtype == np.uint8
    assert decode(x[0]) == "GTACGT" and decode(x[1, :, 2:4]) == "GG"
    with pytest.raises(InputError, match="q.fa:3: record 'b' is 2 bp, expected 6"):
        load_prediction_input(path, 6, fit_length="crop")


def test_bed_input(tmp_path):
    chrom = "ACGTTGCAAC" * 5
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom}\n")
    bed = tmp_path / "q.txt"  # no telling extension: detected by content
    bed.write_text("chr1\t10\t20\nchr1\t0\t2\n")
    rows, x = load_prediction_input(bed, 8, genome=tmp_path / "g.fa")
    assert rows == {  # the BED lines' own intervals, not the 8-bp windows read
        "chrom": ["chr1", "chr1"], "start": [10, 0], "end": [20, 2], "name": ["", ""],
        "strand": ["+", "+"],
    }  # fmt: skip
    assert decode(x[0]) == chrom[11:19]
    assert decode(x[1]) == "NNN" + chrom[:5]
    with Genome(tmp_path / "g.fa") as genome:
        _, x2 = load_prediction_input(bed, 8, genome=genome)
    np.testing.assert_array_equal(x, x2)
    with pytest.raises(InputError, match="not FASTA .*or BED intervals with a reference genome"):
        load_prediction_input(bed, 8)
    named = tmp_path / "q.bed"
    named.write_text(bed.read_text())
    with pytest.raises(InputError, match="q.bed: BED input needs a reference genome"):
        load_prediction_input(named, 8)
    vcf = tmp_path / "v.vcf.gz"
    with gzip.open(vcf, "wt") as handle:
        handle.write("##fileformat=VCFv4.2\nchr1\t3\t.\tG\tA\n")
    with pytest.raises(InputError, match="not FASTA.*scored by `genas vep`"):
        load_prediction_input(vcf, 8)
    bed.write_text("chr1\t10\t20\nchr9\t0\t5\n")
    with pytest.raises(InputError, match=r"q\.txt:2: chromosome 'chr9' is not in the genome"):
        load_prediction_input(bed, 8, genome=tmp_path / "g.fa")
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom[:30]}R{chrom[31:]}\n")  # IUPAC R
    bed.write_text("chr1\t0\t8\nchr1\t26\t34\n")
    with pytest.raises(InputError, match=r"q\.txt:2: record 'chr1:26-34': invalid letter 'R' "
                       r"at chr1:31 \("):
        load_prediction_input(bed, 8, genome=tmp_path / "g.fa")
    bed.write_text("chr1\t27\t33\tx\t0\t-\n")  # resized to 26-34, read from its end
    with pytest.raises(InputError, match=r"q\.txt:1: record 'chr1:27-33\(-\)': invalid letter "
                       r"'R' at chr1:31 \("):
        load_prediction_input(bed, 8, genome=tmp_path / "g.fa")


def test_bed_minus_strand_reads_the_reverse_complement(tmp_path):
    chrom = "AACGTTTGCAGGATCCAAAC" * 3
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom}\n")
    bed = tmp_path / "q.bed"
    bed.write_text("chr1\t10\t20\tfwd\t0\t+\nchr1\t10\t20\trev\t0\t-\nchr1\t10\t20\tdot\t0\t.\n")
    rows, x = load_prediction_input(bed, 8, genome=tmp_path / "g.fa")
    assert rows["name"] == ["fwd", "rev", "dot"] and rows["strand"] == ["+", "-", "+"]
    assert decode(x[0]) == decode(x[2]) == chrom[11:19]
    assert decode(x[1]) == reverse_complement_str(chrom[11:19])


def test_input_is_read_in_batches(tmp_path):
    path = tmp_path / "q.fa"
    path.write_text("".join(f">r{i}\nACGTAC\n" for i in range(7)))
    batches = list(iter_prediction_input(path, 6, batch_size=3))
    assert [rows["name"] for rows, _ in batches] == [["r0", "r1", "r2"], ["r3", "r4", "r5"], ["r6"]]
    assert [x.shape for _, x in batches] == [(3, 4, 6), (3, 4, 6), (1, 4, 6)]


def test_table_input(tmp_path):
    path = tmp_path / "lib.csv"
    path.write_text("id,sequence,activity\nv1,ACGTACGTAC,1.5\n\nv2,GG,0.2\n")
    rows, x = load_prediction_input(path, 6)
    assert rows == {"name": ["lib.csv:2", "lib.csv:4"]} and x.shape == (2, 4, 6)
    assert decode(x[0]) == "GTACGT" and decode(x[1, :, 2:4]) == "GG"  # as FASTA records
    batches = list(iter_prediction_input(path, 6, id_column="id", batch_size=1))
    assert [rows["name"] for rows, _ in batches] == [["v1"], ["v2"]]
    packed = tmp_path / "lib.tsv.gz"
    with gzip.open(packed, "wt") as handle:
        handle.write("seq\tname\nACGTAC\tw1\n")
    rows, _ = next(iter_prediction_input(packed, 6, sequence_column="seq", id_column="name"))
    assert rows == {"name": ["w1"]}
    bad = [
        ("id,sequence\nv1,ACGT\n", {"id_column": "name"},
         r"lib\.csv:1: no column 'name'; available: 'id', 'sequence'"),
        ("id,sequence\nv1,\n", {}, r"lib\.csv:2: empty sequence in column 'sequence'"),
        ("id,sequence\nv1,ACXT\n", {}, r"lib\.csv:2: record 'lib\.csv:2'.*invalid letter 'X'"),
        ("id,sequence\nv1\n", {}, r"lib\.csv:2: row has 1 fields, the header has 2"),
        ("id,sequence\n", {}, r"lib\.csv: table has a header but no rows"),
    ]  # fmt: skip
    for text, kwargs, message in bad:
        path.write_text(text)
        with pytest.raises(InputError, match=message):
            list(iter_prediction_input(path, 6, **kwargs))
