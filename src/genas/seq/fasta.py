"""Streaming FASTA reading and atomic writing.

Plain and gzip-compressed files are both read (gzip is recognised by its magic bytes, not
by the file name). Records may span many lines; blank lines are ignored.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, NamedTuple

from genas.errors import InputError
from genas.fileio import atomic_path

_GZIP_MAGIC = b"\x1f\x8b"


class FastaRecord(NamedTuple):
    """One FASTA record: the header (without ``>``, up to the first whitespace) and its sequence."""

    name: str
    sequence: str


def open_text(path: str | Path) -> IO[str]:
    """Open a text file, transparently decompressing gzip (detected by magic bytes).

    Raises:
        InputError: the file does not exist or is not a file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == _GZIP_MAGIC:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_fasta(path: str | Path) -> Iterator[FastaRecord]:
    """Yield the records of a FASTA file one at a time.

    Raises:
        InputError: naming the file and line, for sequence text before the first header, a
            header with no sequence (empty record), a header with no name, or a file with no
            records at all.
    """
    name: str | None = None
    header_line = 0
    chunks: list[str] = []
    n_records = 0
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
                    yield FastaRecord(name, "".join(chunks))
                    n_records += 1
                fields = line[1:].split()
                if not fields:
                    raise InputError(path, "header without a name", lineno)
                name, header_line, chunks = fields[0], lineno, []
            elif line.startswith(";"):
                continue  # old-style comment line
            else:
                if name is None:
                    raise InputError(path, "sequence before the first '>' header", lineno)
                chunks.append("".join(line.split()))
        if name is not None:
            if not chunks:
                raise InputError(path, f"record {name!r} has no sequence", header_line)
            yield FastaRecord(name, "".join(chunks))
            n_records += 1
    if n_records == 0:
        raise InputError(path, "no FASTA records (empty file)")


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
            for name, sequence in records:
                fh.write(f">{name}\n")
                if width and width > 0:
                    for i in range(0, len(sequence), width):
                        fh.write(sequence[i : i + width] + "\n")
                else:
                    fh.write(sequence + "\n")
