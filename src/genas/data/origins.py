"""Where a dataset's sequences come from: each record's own name and coordinates.

Plots of single sequences (attribution logos) are titled with the record's name and genomic
interval, and number their x axis in the record's own coordinates: the genome's for
genome-backed data (BED + reference), the record's (1-based) for FASTA and tables. Sources
without record names (DeepSEA ``.mat``, genas HDF5 files without ``names``) give no origins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from genas.data.encoding import fit_offset


def _objects(values: Sequence | None) -> np.ndarray | None:
    if values is None:
        return None
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _text(values: np.ndarray | None, n: int) -> np.ndarray:
    """object (n,): ``values`` as strings, "" where None (or all "" without values)."""
    out = np.full(n, "", dtype=object)
    if values is not None:
        out[:] = ["" if v is None else str(v) for v in values]
    return out


@dataclass(frozen=True)
class SequenceOrigins:
    """The origin of each of N sequences (rows of a dataset).

    Attributes:
        names: object (N,): the record's own name (FASTA header, table id, BED name column;
            None where it has none), or None when the source names no record.
        starts: int64 (N,): the 1-based coordinate of column 0 of the one-hot (N, 4, L):
            genomic (``BED start + 1``) for genome-backed rows, in the record for FASTA and
            table rows (above 1 when the record was centre-cropped, below 1 when padded).
        chroms: object (N,) chromosome of genome-backed rows, else None.
        strands: object (N,) ``+``/``-`` of genome-backed rows, else None.
    """

    names: np.ndarray | None
    starts: np.ndarray
    chroms: np.ndarray | None = None
    strands: np.ndarray | None = None

    @classmethod
    def of_records(
        cls, names: Sequence[str], lengths: Sequence[int], length: int
    ) -> SequenceOrigins:
        """Records (FASTA, table rows) of the given ``lengths``, fitted to ``length`` bp."""
        starts = np.array([1 + fit_offset(int(n), length) for n in lengths], dtype=np.int64)
        return cls(names=_objects(names), starts=starts)

    @classmethod
    def of_intervals(
        cls,
        chroms: Sequence[str],
        starts: Sequence[int],
        strands: Sequence[str],
        names: Sequence[str | None] | None = None,
    ) -> SequenceOrigins:
        """Genome windows given by their 0-based (BED) ``starts``."""
        named = names is not None and any(n for n in names)
        return cls(
            names=_objects(names) if named else None,
            starts=np.asarray(starts, dtype=np.int64) + 1,
            chroms=_objects(chroms),
            strands=_objects(strands),
        )

    @staticmethod
    def concatenate(parts: Sequence[SequenceOrigins]) -> SequenceOrigins:
        """The origins of datasets stacked in order (names and coordinates kept per part)."""
        n = [len(p.starts) for p in parts]

        def column(key: str) -> np.ndarray | None:
            if all(getattr(p, key) is None for p in parts):
                return None
            filled = [
                getattr(p, key) if getattr(p, key) is not None else np.full(k, None, object)
                for p, k in zip(parts, n, strict=True)
            ]
            return np.concatenate(filled)

        return SequenceOrigins(
            names=column("names"),
            starts=np.concatenate([p.starts for p in parts]),
            chroms=column("chroms"),
            strands=column("strands"),
        )

    def __len__(self) -> int:
        return len(self.starts)

    def take(self, indices: np.ndarray) -> SequenceOrigins:
        """The origins of the rows ``indices`` (integer positions or a boolean mask)."""

        def pick(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[indices]

        return SequenceOrigins(
            pick(self.names), self.starts[indices], pick(self.chroms), pick(self.strands)
        )

    def columns(self, length: int) -> dict[str, np.ndarray]:
        """The rows as table columns, each (N,), for files: genome windows of ``length`` bp
        as BED columns ``chrom``, ``start``, ``end`` (0-based, end exclusive), ``name``
        ("" for none) and ``strand``, as `genas predict` writes BED input; other records as
        ``name`` (empty dict when the source names none)."""
        names = _text(self.names, len(self))
        if self.chroms is None:
            return {} if self.names is None else {"name": names}
        starts = self.starts - 1
        return {
            "chrom": _text(self.chroms, len(self)),
            "start": starts,
            "end": starts + length,
            "name": names,
            "strand": _text(self.strands, len(self)),
        }

    def label(self, i: int, length: int) -> str:
        """Row ``i`` of ``length`` bp in words: ``chr3:1,234,568-1,234,667 (+) peak_42``
        (1-based, inclusive, as a genome browser shows it) for genome windows, else the
        record's name (``""`` when it has none)."""
        name = "" if self.names is None or self.names[i] is None else str(self.names[i])
        if self.chroms is None or self.chroms[i] is None:  # not a genome window
            return name
        start = int(self.starts[i])
        where = f"{self.chroms[i]}:{start:,}-{start + length - 1:,}"
        strand = "" if self.strands is None or self.strands[i] is None else f" ({self.strands[i]})"
        return f"{where}{strand} {name}".rstrip()
