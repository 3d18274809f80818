"""What a synthetic set's manifest says about its planted motifs, for both kinds of set
(binary/multiclass in :mod:`~genas.data.simulate.generate`, quantitative in
:mod:`~genas.data.simulate.generate_quantitative`)."""

from __future__ import annotations

from collections.abc import Sequence

from genas.data.motifs import Motif


def motif_records(motifs: Sequence[Motif]) -> list[dict]:
    """The manifest's record of each planted motif (index, id, name, consensus, width, bits)."""
    return [
        {
            "index": i,
            "id": m.id,
            "name": m.name,
            "consensus": m.consensus,
            "width": m.width,
            "information_content": round(m.information_content, 3),
        }
        for i, m in enumerate(motifs)
    ]


def motif_names(chosen: Sequence[Motif]) -> list[str]:
    """Motif names fit for task and class names (with ids when two share a name)."""
    names = [m.name for m in chosen]
    if len(set(names)) != len(names):
        names = [f"{m.name}.{m.id}" for m in chosen]
    return ["".join(c if c.isalnum() or c in "._-:" else "_" for c in n) for n in names]
