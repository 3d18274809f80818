"""Motifs as position probability matrices: JASPAR access, MEME files, sampling.

A motif's matrix ``pfm`` is float64 (4, W): row = base in the order A, C, G, T, column =
position, each column a probability distribution (sums to 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genas.errors import InputError, missing_file
from genas.fileio import atomic_path
from genas.seq.alphabet import ALPHABET

_LETTERS = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


@dataclass(eq=False)
class Motif:
    """A DNA motif.

    Attributes:
        id: matrix id, e.g. ``"MA0139.2"``.
        name: factor name, e.g. ``"CTCF"``.
        pfm: float64 (4, W) probabilities, rows A, C, G, T; columns are normalised to sum to 1
            on construction (counts are accepted too).
        n_sites: number of sites the matrix was built from, if known.
        family: transcription-factor family (JASPAR ``tf_family``), if known.
    """

    id: str
    name: str
    pfm: np.ndarray
    n_sites: int | None = None
    family: str | None = None

    def __post_init__(self) -> None:
        pfm = np.array(self.pfm, dtype=np.float64)
        if pfm.ndim != 2 or pfm.shape[0] != 4 or pfm.shape[1] < 1:
            raise ValueError(f"motif {self.id}: pfm must have shape (4, W), got {pfm.shape}")
        if not np.isfinite(pfm).all() or (pfm < 0).any():
            raise ValueError(f"motif {self.id}: pfm holds negative or non-finite values")
        col = pfm.sum(axis=0)
        if (col <= 0).any():
            raise ValueError(f"motif {self.id}: pfm has an all-zero column")
        self.pfm = pfm / col

    @property
    def width(self) -> int:
        """Number of positions W."""
        return int(self.pfm.shape[1])

    @property
    def consensus(self) -> str:
        """Most probable letter at each position (ties: first in ACGT)."""
        return consensus(self.pfm)

    @property
    def information_content(self) -> float:
        """Total information content in bits against a uniform background."""
        return float(information_content(self.pfm).sum())


def consensus(pfm: np.ndarray) -> str:
    """Consensus string of a (4, W) matrix."""
    return _LETTERS[np.asarray(pfm).argmax(axis=0)].tobytes().decode("ascii")


def information_content(pfm: np.ndarray) -> np.ndarray:
    """Per-position information content in bits, float64 (W,), uniform background."""
    p = np.asarray(pfm, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return 2.0 + plogp.sum(axis=0)


def reverse_complement_pfm(pfm: np.ndarray) -> np.ndarray:
    """Reverse complement of a (4, W) ACGT matrix: flip both axes (A<->T, C<->G)."""
    return np.ascontiguousarray(np.asarray(pfm)[::-1, ::-1])


def sample_codes(pfm: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` sites from a (4, W) matrix as base codes uint8 (n, W), 0..3 = A, C, G, T."""
    cum = np.cumsum(np.asarray(pfm, dtype=np.float64), axis=0)[:3].T  # (W, 3)
    u = rng.random((n, cum.shape[0]))
    return (u[:, :, None] >= cum[None, :, :]).sum(axis=2, dtype=np.uint8)


def sample_site(motif: Motif, rng: np.random.Generator, strand: str = "+") -> str:
    """Draw one site (a string of W letters) from the motif; ``strand="-"`` draws from its
    reverse complement."""
    pfm = motif.pfm if strand == "+" else reverse_complement_pfm(motif.pfm)
    return _LETTERS[sample_codes(pfm, 1, rng)[0]].tobytes().decode("ascii")


# --------------------------------------------------------------------------- JASPAR


def _from_jaspar(record) -> Motif:
    counts = np.array([record.counts[b] for b in ALPHABET], dtype=np.float64)
    col = counts.sum(axis=0)
    n_sites = int(round(float(col.max()))) if col.size else None
    family = ", ".join(record.tf_family) if record.tf_family else None
    return Motif(record.matrix_id, record.name, counts, n_sites=n_sites, family=family)


def load_jaspar(
    ids: Sequence[str] | None = None,
    collection: str = "CORE",
    tax_group: str | None = "vertebrates",
    release: str = "JASPAR2024",
) -> list[Motif]:
    """Motifs from the JASPAR database bundled with pyjaspar (no network).

    Args:
        ids: matrix ids; a base id (``"MA0139"``) gives its latest version in ``release``, a
            versioned id (``"MA0139.1"``) that version. ``None``: every motif (latest
            versions) of ``collection`` and ``tax_group``, sorted by id.
        collection, tax_group: selection when ``ids`` is None.
        release: JASPAR release name known to pyjaspar.

    Raises:
        ValueError: an id is not in the release.
    """
    import warnings

    from pyjaspar import jaspardb

    db = jaspardb(release=release)
    if ids is not None:
        out = []
        for mid in ids:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rec = db.fetch_motif_by_id(mid)
            if rec is None:
                raise ValueError(f"motif {mid!r} is not in {release}")
            out.append(_from_jaspar(rec))
        return out
    kwargs = {"collection": collection}
    if tax_group is not None:
        kwargs["tax_group"] = [tax_group]
    records = db.fetch_motifs(**kwargs)
    return sorted((_from_jaspar(r) for r in records), key=lambda m: m.id)


# --------------------------------------------------------------------------- MEME

_MATRIX_RE = re.compile(r"letter-probability matrix:(.*)$", re.IGNORECASE)
_KEYVAL_RE = re.compile(r"(\w+)\s*=\s*(\S+)")


def read_meme(path: str | Path) -> list[Motif]:
    """Motifs of a MEME (minimal) text file, in file order.

    Only the DNA alphabet ACGT is accepted. Raises :class:`InputError` naming the file and
    line for a missing file, a wrong alphabet, a malformed or short matrix, or no motifs.
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file(path)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    motifs: list[Motif] = []
    i = 0
    current: tuple[str, str, int] | None = None  # id, name, line of MOTIF
    while i < len(lines):
        line = lines[i].strip()
        lineno = i + 1
        i += 1
        if line.startswith("ALPHABET"):
            alph = line.split("=", 1)[1].strip() if "=" in line else ""
            if alph.split()[0:1] != ["ACGT"]:
                raise InputError(path, f"alphabet {alph!r} is not ACGT", lineno)
        elif line.startswith("MOTIF"):
            fields = line.split()
            if len(fields) < 2:
                raise InputError(path, "MOTIF line without an id", lineno)
            current = (fields[1], fields[2] if len(fields) > 2 else fields[1], lineno)
        elif (m := _MATRIX_RE.match(line)) is not None:
            if current is None:
                raise InputError(path, "letter-probability matrix before any MOTIF line", lineno)
            info = dict(_KEYVAL_RE.findall(m.group(1)))
            try:
                width = int(info["w"])
                alength = int(info.get("alength", 4))
                nsites = int(float(info["nsites"])) if "nsites" in info else None
            except (KeyError, ValueError):
                raise InputError(path, "matrix header needs 'w= <int>'", lineno) from None
            if alength != 4:
                raise InputError(path, f"alength= {alength}, expected 4", lineno)
            rows = []
            while len(rows) < width:
                if i >= len(lines):
                    raise InputError(
                        path, f"motif {current[0]}: expected {width} rows, got {len(rows)}", i
                    )
                row = lines[i].strip()
                i += 1
                if not row:
                    continue
                try:
                    values = [float(v) for v in row.split()]
                except ValueError:
                    raise InputError(path, f"not a row of numbers: {row[:40]!r}", i) from None
                if len(values) != 4:
                    raise InputError(path, f"expected 4 columns, got {len(values)}", i)
                rows.append(values)
            try:
                motifs.append(Motif(current[0], current[1], np.array(rows).T, n_sites=nsites))
            except ValueError as err:
                raise InputError(path, str(err), current[2]) from None
            current = None
    if not motifs:
        raise InputError(path, "no motifs found")
    return motifs


def write_meme(path: str | Path, motifs: Iterable[Motif]) -> None:
    """Write motifs as a MEME version 4 minimal file (atomically)."""
    out = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", ""]
    out += ["Background letter frequencies", "A 0.25 C 0.25 G 0.25 T 0.25", ""]
    for m in motifs:
        out.append(f"MOTIF {m.id} {m.name}".rstrip())
        nsites = m.n_sites if m.n_sites is not None else 20
        out.append(f"letter-probability matrix: alength= 4 w= {m.width} nsites= {nsites} E= 0")
        out += [" " + " ".join(f"{v:.6f}" for v in col) for col in m.pfm.T]
        out.append("")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(out))
