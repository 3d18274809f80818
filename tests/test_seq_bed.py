import gzip

import pytest

from genas.errors import InputError
from genas.seq import Interval, read_bed, resize


def test_read_bed_skips_headers(tmp_path):
    path = tmp_path / "a.bed"
    path.write_text(
        "track name=x\nbrowser position chr1\n# comment\n\n"
        "chr1\t10\t20\n"
        "chr2\t0\t5\tpeak1\t0\t-\textra\n"
        "chr3 7 9 . 0 .\n"
    )
    assert read_bed(path) == [
        Interval("chr1", 10, 20),
        Interval("chr2", 0, 5, "peak1", "-"),
        Interval("chr3", 7, 9, None, "+"),
    ]


def test_read_bed_gz(tmp_path):
    path = tmp_path / "a.bed.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("chr1\t1\t2\n")
    assert read_bed(path) == [Interval("chr1", 1, 2)]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("chr1\t10\n", "at least 3 columns"),
        ("chr1\tten\t20\n", "must be integers"),
        ("chr1\t30\t20\n", "start 30 > end 20"),
        ("chr1\t-5\t20\n", "negative"),
        ("chr1\t1\t2\tn\t0\tx\n", "strand"),
    ],
)
def test_bad_lines(tmp_path, line, fragment):
    path = tmp_path / "bad.bed"
    path.write_text("chr1\t0\t10\n" + line)
    with pytest.raises(InputError) as info:
        read_bed(path)
    assert str(info.value).startswith(f"{path}:2: ")
    assert fragment in str(info.value)


def test_resize_centred():
    assert resize(Interval("c", 100, 200), 10) == Interval("c", 145, 155)
    assert resize(Interval("c", 100, 101), 4) == Interval("c", 98, 102)
    r = resize(Interval("c", 0, 2, "n", "-"), 10)
    assert (r.start, r.end, r.name, r.strand) == (-4, 6, "n", "-")
    assert resize(Interval("c", 5, 17), 7).length == 7
