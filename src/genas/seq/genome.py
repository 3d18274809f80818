"""Random access to an indexed reference genome (pyfaidx)."""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import pyfaidx

from genas.errors import InputError


class Genome:
    """A reference genome FASTA, read through its ``.fai`` index.

    The index is built beside the FASTA when missing; if that folder is read-only it is
    built in the system temporary folder instead. Plain or bgzip-compressed FASTA.

    Args:
        path: the reference FASTA.

    Attributes:
        path: the FASTA path.
        chrom_sizes: chromosome name -> length (bp), in file order.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(self.path, "reference genome FASTA not found")
        try:
            self._fasta = self._open()
        except (
            pyfaidx.FastaIndexingError,
            pyfaidx.UnsupportedCompressionFormat,
            ValueError,
        ) as error:
            raise InputError(self.path, f"cannot index reference genome: {error}") from None
        except RuntimeError as error:  # pyfaidx's "Unhandled exception during fasta indexing"
            raise InputError(self.path, _indexing_problem(error)) from None
        self.chrom_sizes: dict[str, int] = {
            name: len(record) for name, record in self._fasta.records.items()
        }

    def _open(self) -> pyfaidx.Fasta:
        options = dict(as_raw=True, sequence_always_upper=False)
        try:
            return pyfaidx.Fasta(str(self.path), **options)
        except OSError:
            # Read-only folder without an index: keep the index in the temp folder.
            stat = self.path.stat()
            key = f"{self.path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()
            name = hashlib.sha1(key).hexdigest()[:16]
            index = Path(tempfile.gettempdir()) / f"genas-{name}-{self.path.name}.fai"
            return pyfaidx.Fasta(str(self.path), indexname=str(index), **options)

    def __contains__(self, chrom: str) -> bool:
        return chrom in self.chrom_sizes

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Sequence of ``chrom`` over [start, end) (0-based, half-open), case as in the file.

        Positions outside the chromosome (start < 0, end > its length) are filled with ``N``,
        so the result always has ``end - start`` letters.

        Raises:
            InputError: unknown chromosome, end < start, or a ``.fai`` index that does not
                match the FASTA (it changed after it was indexed).
        """
        size = self.chrom_sizes.get(chrom)
        if size is None:
            shown = ", ".join(list(self.chrom_sizes)[:5])
            more = ", ..." if len(self.chrom_sizes) > 5 else ""
            raise InputError(self.path, f"unknown chromosome {chrom!r} (genome has {shown}{more})")
        if end < start:
            raise InputError(self.path, f"interval {chrom}:{start}-{end} has end < start")
        lo, hi = max(start, 0), min(end, size)
        core = self._fasta[chrom][lo:hi] if hi > lo else ""
        if len(core) != max(hi - lo, 0) or ">" in core:
            # pyfaidx rebuilds an index older than the FASTA, not one written after it (a
            # copied folder): its offsets then cut the wrong bytes, newlines and headers.
            raise InputError(
                self._fasta.faidx.indexname,
                f"index does not match {self.path} (the FASTA changed after it was indexed): "
                "delete it to have it rebuilt",
            )
        left = min(lo, end) - start
        right = end - max(hi, start)
        return "N" * left + core + "N" * right

    def close(self) -> None:
        """Close the underlying file handle."""
        self._fasta.close()

    def __enter__(self) -> Genome:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Genome({str(self.path)!r}, {len(self.chrom_sizes)} chromosomes)"


def _indexing_problem(error: RuntimeError) -> str:
    """pyfaidx's RuntimeError for the line layout of a record it does not handle (blank or
    short lines inside it), as one line naming the record."""
    match = re.search(r"at entry (.*?)Please report", str(error))
    record = f" {match.group(1)!r}" if match else ""
    return (
        f"cannot index reference genome: record{record} has a blank or short line inside it "
        "(every line of a record but its last must have the same length)"
    )
