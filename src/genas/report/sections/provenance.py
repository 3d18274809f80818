"""The report's provenance section: which commands made the run, with which software, where."""

from __future__ import annotations

from collections.abc import Mapping

from genas.report import html
from genas.report.run_files import RunFiles

_COLUMNS = ("time", "command", "genas", "torch", "python", "device", "seed")


def provenance_section(files: RunFiles, report: Mapping[str, object]) -> html.Section:
    """A row per command that wrote the run (:data:`genas.run_files.PROVENANCE_JSON`),
    oldest first, then the versions and device of this report itself.

    Args:
        report: ``time``, ``genas``, ``torch``, ``python``, ``device`` of the report.
    """
    section = html.Section("provenance", "Provenance")
    if files.provenance:
        section.blocks.append(html.paragraph("The commands that wrote this run, oldest first."))
        rows = [[entry.get(key) for key in _COLUMNS] for entry in files.provenance]
        section.blocks.append(html.table(_COLUMNS, rows))
    else:
        made_with = (files.model_meta or {}).get("genas_version")
        seed = files.config.seed if files.config is not None else None
        section.blocks.append(html.paragraph(
            "The run records no command line (it was made before genas recorded one)"
            + (f"; its model was saved by genas {made_with}" if made_with else "")
            + (f"; seed {seed}" if seed is not None else "") + ".", note=True))  # fmt: skip
    shown = ", ".join(
        f"{key} {report[key]}" for key in ("genas", "torch", "python") if key in report
    )
    section.blocks.append(html.paragraph(
        f"This report: written {report.get('time')} with {shown}; the model ran on "
        f"{report.get('device')}."))  # fmt: skip
    return section
