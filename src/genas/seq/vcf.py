"""Streaming VCF reading through pysam (htslib): plain, gzip or bgzip; a region via tabix.

Records are read one at a time (memory does not grow with the file) and split into one
:class:`Variant` per ALT allele. Nothing is interpreted beyond the fixed columns: which
alleles can be scored is decided by the caller (:mod:`genas.analysis.variants`).
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pysam

from genas.errors import InputError, missing_file
from genas.seq.fasta import gzip_errors, open_text


class Variant(NamedTuple):
    """One ALT allele of a VCF record.

    Attributes:
        chrom: chromosome name as in the VCF.
        pos: 1-based position of the first base of ``ref`` (the VCF POS).
        id: the VCF ID (``"."`` when missing).
        ref: the REF allele, as written.
        alt: one ALT allele, as written (``"."`` for a record without ALT).
        line: 1-based line of the record in the file; ``None`` when read through an index.
    """

    chrom: str
    pos: int
    id: str
    ref: str
    alt: str
    line: int | None = None


class VcfReader:
    """Iterate over the variants of a VCF file, one per ALT allele, in file order.

    Args:
        path: ``.vcf``, ``.vcf.gz`` (gzip or bgzip) or ``.bcf``.
        region: ``"chr1"`` or ``"chr1:1000-2000"`` (1-based, inclusive): only records
            overlapping it, read through the tabix/CSI index beside the file.

    Attributes:
        records: VCF records read so far.
        alleles: variants yielded so far (records split by ALT allele).

    Raises:
        InputError: missing file, not a VCF, a region without an index or with an unknown
            chromosome, a malformed record (naming its line).
    """

    def __init__(self, path: str | Path, region: str | None = None):
        self.path = Path(path)
        self.region = region
        self.records = 0
        self.alleles = 0
        self._copy: tempfile.TemporaryDirectory | None = None
        if not self.path.is_file():
            raise missing_file(self.path)
        self._verbosity = pysam.set_verbosity(0)  # htslib would print its own messages
        try:
            self._file = self._open()
        except BaseException:
            self._release()
            raise
        self._header_lines = None if region else _count_header_lines(self.path)

    def __iter__(self) -> Iterator[Variant]:
        if self.region is None:
            records = iter(self._file)
        else:
            try:
                records = self._file.fetch(region=self.region)
            except (OSError, ValueError) as error:
                raise InputError(
                    self.path, f"cannot read region {self.region!r}: {error}"
                ) from None
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except (OSError, ValueError) as error:
                raise self._malformed(error) from None
            self.records += 1
            line = None if self._header_lines is None else self._header_lines + self.records
            vid = record.id or "."
            for alt in record.alts or (".",):
                self.alleles += 1
                yield Variant(record.chrom, record.pos, vid, record.ref, alt, line)

    def _malformed(self, error: Exception) -> InputError:
        """The error for the record after the last one read, diagnosed from its text."""
        if self._header_lines is None:
            where = f" of region {self.region!r}" if self.region else ""
            return InputError(
                self.path, f"malformed record after record {self.records}{where} ({error})"
            )
        line = self._header_lines + self.records + 1
        return InputError(self.path, _diagnose(_read_line(self.path, line), error), line)

    def _open(self) -> pysam.VariantFile:
        """Open the file; a plain-gzip one through a bgzip copy in the temporary folder.

        htslib reads only bgzip among compressed VCFs ("seek not implemented in files
        compressed by method 1"); the copy is about the size of the file and is removed
        on :meth:`close`.
        """
        if not _is_plain_gzip(self.path):
            return _variant_file(self.path, self.path)
        if self.region is not None:
            raise InputError(
                self.path,
                f"cannot read region {self.region!r}: plain gzip has no index "
                "(compress with bgzip, index with tabix)",
            )
        self._copy = tempfile.TemporaryDirectory(prefix="genas-vcf-")
        copy = Path(self._copy.name) / "variants.vcf.gz"
        with (
            gzip_errors(self.path),
            gzip.open(self.path, "rb") as source,
            pysam.BGZFile(str(copy), "wb") as target,
        ):
            shutil.copyfileobj(source, target, 1 << 20)
        return _variant_file(copy, self.path)

    def _release(self) -> None:
        """Remove the bgzip copy (if any) and restore htslib's verbosity."""
        if self._copy is not None:
            self._copy.cleanup()
            self._copy = None
        pysam.set_verbosity(self._verbosity)

    def close(self) -> None:
        self._file.close()
        self._release()

    def __enter__(self) -> VcfReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_plain_gzip(path: Path) -> bool:
    """gzip, but not bgzip (BGZF: gzip blocks whose header has a ``BC`` extra field)."""
    with open(path, "rb") as handle:
        head = handle.read(14)
    if head[:2] != b"\x1f\x8b":
        return False
    return not (len(head) == 14 and head[3] & 4 and head[12:14] == b"BC")


def _variant_file(path: Path, source: Path) -> pysam.VariantFile:
    """pysam's reader of `path`, a copy of `source` or `source` itself."""
    try:
        return pysam.VariantFile(str(path))
    except (OSError, ValueError) as error:
        raise InputError(source, f"not a readable VCF file ({error})") from None


def _count_header_lines(path: Path) -> int | None:
    """Lines starting with ``#`` at the top of a text VCF; None for BCF (binary)."""
    if path.suffix.lower() == ".bcf":
        return None
    count = 0
    with open_text(path) as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            count += 1
    return count


def _read_line(path: Path, number: int) -> str | None:
    with open_text(path) as handle:
        for i, line in enumerate(handle, start=1):
            if i == number:
                return line.rstrip("\r\n")
    return None


def _diagnose(text: str | None, error: Exception) -> str:
    """A one-line description of what is wrong with a VCF data line."""
    if text is None:
        return f"malformed VCF record ({error})"
    fields = text.split("\t")
    if len(fields) < 8:
        return (
            f"malformed VCF record: {len(fields)} tab-separated column(s), expected at least 8 "
            "(CHROM POS ID REF ALT QUAL FILTER INFO)"
        )
    if not fields[1].isdigit():
        return f"malformed VCF record: POS {fields[1]!r} is not a positive integer"
    return f"malformed VCF record ({error})"
