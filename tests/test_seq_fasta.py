import gzip

import pytest

from genas.errors import InputError
from genas.seq import FastaRecord, read_fasta, write_fasta


def test_multiline_and_blank_lines(tmp_path):
    path = tmp_path / "a.fa"
    path.write_text(">r1 some description\nACGT\nacgt\n\n>r2\nNNNN\n")
    records = list(read_fasta(path))
    # each record carries its header's line, which error messages name
    assert records == [FastaRecord("r1", "ACGTacgt", 1), FastaRecord("r2", "NNNN", 5)]


def test_gzip_detected_by_magic_bytes(tmp_path):
    path = tmp_path / "plain_name.fa"  # no .gz suffix on purpose
    with gzip.open(path, "wt") as fh:
        fh.write(">x\nACG\nT\n")
    assert list(read_fasta(path)) == [FastaRecord("x", "ACGT", 1)]


def test_write_round_trip(tmp_path):
    records = [FastaRecord("a", "ACGT" * 50), FastaRecord("b", "N")]
    for name in ("out.fa", "out.fa.gz"):
        write_fasta(tmp_path / name, records, width=60)
        assert [(r.name, r.sequence) for r in read_fasta(tmp_path / name)] == [
            (r.name, r.sequence) for r in records
        ]
    assert (tmp_path / "out.fa").read_text().splitlines()[1] == ("ACGT" * 50)[:60]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("ACGT\n>r\nACGT\n", 1, "before the first '>' header"),
        (">r1\nACGT\n>r2\n>r3\nAC\n", 3, "record 'r2' has no sequence"),
        (">r1\nACGT\n>r2\n", 3, "record 'r2' has no sequence"),
        (">\nACGT\n", 1, "header without a name"),
    ],
)
def test_errors_name_file_and_line(tmp_path, text, line, fragment):
    path = tmp_path / "bad.fa"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        list(read_fasta(path))
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert fragment in str(info.value)


def test_empty_and_missing_file(tmp_path):
    path = tmp_path / "empty.fa"
    path.write_text("\n\n")
    with pytest.raises(InputError, match="empty file"):
        list(read_fasta(path))
    with pytest.raises(InputError, match="file not found"):
        list(read_fasta(tmp_path / "missing.fa"))
    with pytest.raises(InputError, match=f"{tmp_path}: a folder, not a file"):
        list(read_fasta(tmp_path))


def test_duplicate_record_names_warn_once_naming_file_and_record(tmp_path, recwarn):
    path = tmp_path / "dup.fa"
    path.write_text(">a\nAC\n>b\nGT\n>a\nTT\n>b\nCC\n>c\nAA\n")
    records = list(read_fasta(path))
    assert [r.name for r in records] == ["a", "b", "a", "b", "c"]  # all still read
    messages = [str(w.message) for w in recwarn]
    assert messages == [
        f"{path}:5: duplicate record name 'a' (first at line 1; 1 more repeated name)"
    ]
    recwarn.clear()
    unique = tmp_path / "unique.fa"
    unique.write_text(">a\nAC\n>b\nGT\n")
    list(read_fasta(unique))
    assert not recwarn.list


def test_truncated_or_corrupt_gzip_names_the_file(tmp_path):
    data = gzip.compress(b">a\n" + b"ACGT" * 5000 + b"\n>b\nAC\n")
    truncated = tmp_path / "cut.fa.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.fa\.gz: truncated or corrupt gzip file"):
        list(read_fasta(truncated))
    corrupt = tmp_path / "bad.fa.gz"
    corrupt.write_bytes(data[:20] + b"garbage" * 10 + data[90:])
    with pytest.raises(InputError, match=r"bad\.fa\.gz: truncated or corrupt gzip file"):
        list(read_fasta(corrupt))
