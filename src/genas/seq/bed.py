"""BED intervals: reading and resizing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from genas.errors import InputError
from genas.seq.fasta import open_text

_SKIP_PREFIXES = ("#", "track", "browser")


class Interval(NamedTuple):
    """A genomic interval, 0-based half-open [start, end) as in BED."""

    chrom: str
    start: int
    end: int
    name: str | None = None
    strand: str = "+"

    @property
    def length(self) -> int:
        """end - start (bp). (``len()`` stays the tuple's field count, as NamedTuple needs.)"""
        return self.end - self.start

    @property
    def label(self) -> str:
        """``chrom:start-end``."""
        return f"{self.chrom}:{self.start}-{self.end}"


def read_bed(path: str | Path) -> list[Interval]:
    """Read a BED file (plain or gzip); see :func:`iter_bed`."""
    return [interval for _, interval in iter_bed(path)]


def iter_bed(path: str | Path) -> Iterator[tuple[int, Interval]]:
    """Yield ``(line number, Interval)`` for each interval of a BED file (plain or gzip).

    Columns beyond the 6th are ignored.

    ``track``, ``browser`` and ``#`` lines and blank lines are skipped. Column 4 (name) and
    6 (strand; ``.`` read as ``+``) are optional.

    Raises:
        InputError: naming file and line, for fewer than 3 columns, non-integer or negative
            coordinates, start > end, or a strand other than ``+``, ``-``, ``.``.
    """
    with open_text(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.startswith(_SKIP_PREFIXES):
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            if len(fields) < 3:
                raise InputError(
                    path,
                    f"expected at least 3 columns (chrom start end), found {len(fields)}",
                    lineno,
                )
            chrom = fields[0]
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise InputError(
                    path,
                    f"start and end must be integers, found {fields[1]!r} {fields[2]!r}",
                    lineno,
                ) from None
            if start < 0 or end < 0:
                raise InputError(path, f"negative coordinate {start}-{end}", lineno)
            if start > end:
                raise InputError(path, f"start {start} > end {end}", lineno)
            name = fields[3] if len(fields) > 3 and fields[3] not in ("", ".") else None
            strand = fields[5] if len(fields) > 5 else "+"
            if strand not in ("+", "-", "."):
                raise InputError(path, f"strand must be +, - or ., found {strand!r}", lineno)
            yield lineno, Interval(chrom, start, end, name, "+" if strand == "." else strand)


def resize(interval: Interval, length: int) -> Interval:
    """The interval of ``length`` bp with the same centre (floor of the midpoint).

    The result may start below 0 or end past the chromosome; :meth:`Genome.fetch` pads
    such intervals with ``N``.
    """
    if length <= 0:
        raise ValueError(f"length must be positive, got {length}")
    centre = (interval.start + interval.end) // 2
    start = centre - length // 2
    return interval._replace(start=start, end=start + length)
