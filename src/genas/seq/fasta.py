"""Streaming FASTA reading and atomic writing.

Plain and gzip-compressed files are both read (gzip is recognised by its magic bytes, not
by the file name). Records may span many lines; blank lines are ignored.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import warnings
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, NamedTuple

from genas.errors import InputError, missing_file
from genas.fileio import atomic_path

_GZIP_MAGIC = b"\x1f\x8b"


class FastaRecord(NamedTuple):
    """One FASTA record: the header (without ``>``, up to the first whitespace), its
    sequence and the line of its header in the file (1-based; None for a record not read
    from a file), which error messages name."""

    name: str
    sequence: str
    line: int | None = None


@contextlib.contextmanager
def gzip_errors(path: str | Path) -> Iterator[None]:
    """Report truncated or corrupt gzip data read in the block as an InputError naming `path`.

    Python's gzip raises a bare EOFError for a truncated file, which names no file (and
    which click would turn into a bare "Aborted.").
    """
    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise InputError(path, f"truncated or corrupt gzip file ({error})") from None


class _GzipReader(gzip.GzipFile):
    """A gzip file whose corrupt or truncated data is an InputError naming the file.

    Text reading (``io.TextIOWrapper``, ``csv``, iteration) goes through ``read1`` and
    ``read``.
    """

    def __init__(self, path: Path):
        super().__init__(path, "rb")
        self.source = path

    def read(self, size: int | None = -1) -> bytes:
        with gzip_errors(self.source):
            return super().read(size)

    def read1(self, size: int = -1) -> bytes:
        with gzip_errors(self.source):
            return super().read1(size)


def open_text(path: str | Path) -> IO[str]:
    """Open a text file, transparently decompressing gzip (detected by magic bytes).

    Raises:
        InputError: the file does not exist or is not a file; while reading, gzip data that
            is truncated or corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file(path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == _GZIP_MAGIC:
        return io.TextIOWrapper(_GzipReader(path), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_fasta(path: str | Path) -> Iterator[FastaRecord]:
    """Yield the records of a FASTA file one at a time.

    A record name seen before is read all the same (outputs keyed by name would then mix
    records), and one warning naming the file, the first repeated name and the count is
    given once the file has been read.

    Raises:
        InputError: naming the file and line, for sequence text before the first header, a
            header with no sequence (empty record), a header with no name, or a file with no
            records at all.
    """
    name: str | None = None
    header_line = 0
    chunks: list[str] = []
    n_records = 0
    duplicates = _DuplicateNames(path)
    with open_text(path) as fh:
        lineno = 0
        for lineno, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith(">"):
                if name is not None:
                    if not chunks:
                        raise InputError(path, f"record {name!r} has no sequence", header_line)
                    yield FastaRecord(name, "".join(chunks), header_line)
                    n_records += 1
                fields = line[1:].split()
                if not fields:
                    raise InputError(path, "header without a name", lineno)
                name, header_line, chunks = fields[0], lineno, []
                duplicates.see(name, lineno)
            elif line.startswith(";"):
                continue  # old-style comment line
            else:
                if name is None:
                    raise InputError(path, "sequence before the first '>' header", lineno)
                chunks.append("".join(line.split()))
        if name is not None:
            if not chunks:
                raise InputError(path, f"record {name!r} has no sequence", header_line)
            yield FastaRecord(name, "".join(chunks), header_line)
            n_records += 1
    if n_records == 0:
        raise InputError(path, "no FASTA records (empty file)")
    duplicates.warn()


class _DuplicateNames:
    """Record names seen in one FASTA file, and the first name seen twice."""

    def __init__(self, path: str | Path):
        self.path = path
        self.first_line: dict[str, int] = {}
        self.count = 0
        self.example: tuple[str, int, int] | None = None

    def see(self, name: str, lineno: int) -> None:
        first = self.first_line.setdefault(name, lineno)
        if first != lineno:
            self.count += 1
            self.example = self.example or (name, first, lineno)

    def warn(self) -> None:
        """One warning line if any name repeated."""
        if self.example is None:
            return
        name, first, again = self.example
        others = self.count - 1
        more = f"; {others} more repeated name{'s' * (others > 1)}" if others else ""
        warnings.warn(
            f"{self.path}:{again}: duplicate record name {name[:80]!r} (first at line "
            f"{first}{more})",
            stacklevel=3,
        )


def write_fasta(
    path: str | Path, records: Iterable[FastaRecord | tuple[str, str]], width: int = 80
) -> None:
    """Write records atomically, wrapping sequences at ``width`` letters (0: one line).

    A name ending in ``.gz`` is written gzip-compressed.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(tmp, "wt", encoding="utf-8") as fh:
            for name, sequence, *_ in records:  # a FastaRecord also carries its line
                fh.write(f">{name}\n")
                if width and width > 0:
                    for i in range(0, len(sequence), width):
                        fh.write(sequence[i : i + width] + "\n")
                else:
                    fh.write(sequence + "\n")
