"""VCF reading (pysam): records split by ALT, line numbers, bgzip + tabix, malformed input."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pysam
import pytest

from genas.errors import InputError
from genas.seq.vcf import Variant, VcfReader

HEADER = (
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr1,length=300>\n"
    "##contig=<ID=chr2,length=120>\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
)


def write_vcf(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines))
    return path


def test_records_split_by_alt_with_line_numbers(tmp_path):
    vcf = write_vcf(
        tmp_path / "v.vcf",
        [
            "chr1\t20\trs1\tA\tC,G\t.\t.\t.",
            "chr1\t40\t.\tAC\tA\t.\t.\t.",
            "chr2\t7\t.\tG\t.\t.\t.\t.",
        ],
    )
    with VcfReader(vcf) as reader:
        variants = list(reader)
        assert (reader.records, reader.alleles) == (3, 4)
    assert variants == [
        Variant("chr1", 20, "rs1", "A", "C", 5),
        Variant("chr1", 20, "rs1", "A", "G", 5),
        Variant("chr1", 40, ".", "AC", "A", 6),
        Variant("chr2", 7, ".", "G", ".", 7),
    ]


def test_bgzip_tabix_and_region(tmp_path):
    lines = [f"chr1\t{p}\t.\tA\tT\t.\t.\t." for p in (10, 50, 90)] + ["chr2\t5\t.\tC\tG\t.\t.\t."]
    plain = write_vcf(tmp_path / "v.vcf", lines)
    shutil.copy(plain, tmp_path / "copy.vcf")
    indexed = Path(pysam.tabix_index(str(tmp_path / "copy.vcf"), preset="vcf", force=True))
    assert indexed.suffix == ".gz" and Path(str(indexed) + ".tbi").is_file()
    with VcfReader(plain) as a, VcfReader(indexed) as b:
        assert list(a) == list(b)
    with VcfReader(indexed, region="chr1:40-95") as reader:
        got = [(v.chrom, v.pos, v.line) for v in reader]
    assert got == [("chr1", 50, None), ("chr1", 90, None)]


def test_region_without_index_is_an_error(tmp_path):
    vcf = write_vcf(tmp_path / "v.vcf", ["chr1\t10\t.\tA\tT\t.\t.\t."])
    with pytest.raises(InputError, match="cannot read region"), VcfReader(vcf, "chr1") as reader:
        list(reader)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("chr1\txx\t.\tA\tT\t.\t.\t.", "POS 'xx' is not a positive integer"),
        ("chr1\t30\t.\tA", "4 tab-separated column(s), expected at least 8"),
    ],
)
def test_malformed_record_names_its_line(tmp_path, line, problem):
    vcf = write_vcf(tmp_path / "bad.vcf", ["chr1\t10\t.\tA\tT\t.\t.\t.", line])
    with pytest.raises(InputError) as info, VcfReader(vcf) as reader:
        list(reader)
    assert info.value.line == 6
    assert problem in str(info.value)
    assert str(info.value).startswith(f"{vcf}:6: ")


def test_missing_and_non_vcf_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        VcfReader(tmp_path / "absent.vcf")
    other = tmp_path / "x.vcf"
    other.write_text("this is not a VCF\n")
    with pytest.raises(InputError, match="not a readable VCF"):
        VcfReader(other)


def test_plain_gzip_is_read_through_a_bgzip_copy(tmp_path):
    lines = ["chr1\t20\trs1\tA\tC,G\t.\t.\t.", "chr2\t7\t.\tG\tT\t.\t.\t."]
    plain = write_vcf(tmp_path / "v.vcf", lines)
    gz = tmp_path / "v.vcf.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))  # plain gzip, not bgzip
    with VcfReader(plain) as a, VcfReader(gz) as b:
        assert list(b) == list(a)  # line numbers included
        copy = b._copy.name
    assert not Path(copy).exists()  # removed on close
    with pytest.raises(InputError, match="cannot read region 'chr1': plain gzip has no index"):
        VcfReader(gz, region="chr1")
    many = write_vcf(tmp_path / "many.vcf", [f"chr1\t{p}\t.\tA\tT\t.\t.\t." for p in range(9, 99)])
    data = gzip.compress(many.read_bytes())
    gz.write_bytes(data[: len(data) // 2])  # truncated after the header
    with pytest.raises(InputError, match=r"v\.vcf\.gz: truncated or corrupt gzip file"):
        VcfReader(gz)
