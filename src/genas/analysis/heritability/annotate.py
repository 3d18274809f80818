"""Variant effects -> S-LDSC annotation files (`PREFIX.<chr>.annot.gz`: CHR BP SNP CM, then
one column per annotation, rows in the panel's `.bim` order).

Input is a `genas vep` table (tab separated, header line), in either layout:

- long: columns `chrom`, `pos`, `task` and a score column (default `abs_diff`), optionally
  `id` (SNP id) and `group`; one row per variant and task (other columns, such as the alleles
  `ref`, `alt` and `ref_match`, are ignored);
- wide: columns `chrom`, `pos`, optionally `id`, and `<task>.<score>` for every task (the
  layout of `genas vep --wide`).

A SNP's value for an annotation is the largest |score| over the annotation's tasks (one task,
a task group, or all tasks). Continuous annotations keep that value; binary ones mark the
`top` fraction of panel SNPs with the largest values. Panel SNPs are matched to effects by
SNP id, else by chromosome and position; panel SNPs without an effect get 0.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genas.analysis.heritability.panel import ChromosomePanels, normalise_chrom
from genas.analysis.heritability.plink import Bim
from genas.errors import InputError
from genas.fileio import atomic_path
from genas.seq.fasta import open_text

_MISSING = {"", "na", "nan", ".", "none"}
_ANNOT_HEADER = ["CHR", "BP", "SNP", "CM"]


@dataclass
class EffectTable:
    """Per-variant scores: `scores[t]` is the (V,) |score| of task t (NaN where absent)."""

    chrom: list[str]
    pos: np.ndarray  # (V,) int64
    ids: list[str]
    scores: dict[str, np.ndarray]
    groups: dict[str, str] = field(default_factory=dict)  # task -> group, from a `group` column
    n_missing: int = 0  # rows or cells without a score


def read_effects(path: str | Path, score: str = "abs_diff") -> EffectTable:
    """Read a variant-effect table in long or wide layout (see the module docstring).

    Raises:
        InputError: naming the file (and line or column) for a missing `chrom`/`pos` column, a
            missing score column (long layout), a non-integer position, a non-numeric score, or
            a table with no variant.
    """
    with open_text(path) as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        columns = {name: i for i, name in enumerate(header)}
        for required in ("chrom", "pos"):
            if required not in columns:
                raise InputError(path, f"no column {required!r} (columns: {', '.join(header)})", 1)
        long = "task" in columns
        if long and score not in columns:
            raise InputError(path, f"no score column {score!r} (columns: {', '.join(header)})", 1)
        suffix = f".{score}"
        task_columns = [] if long else [c for c in header if c.endswith(suffix)]
        if not long and not task_columns:
            raise InputError(
                path, f"no 'task' column (long layout) and no '<task>{suffix}' columns (wide)", 1
            )
        keys: dict[tuple[str, int, str], int] = {}
        chrom, pos, ids = [], [], []
        values: dict[str, dict[int, float]] = {}
        groups: dict[str, str] = {}
        n_missing = 0
        for lineno, raw in enumerate(fh, start=2):
            line = raw.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != len(header):
                raise InputError(
                    path, f"{len(fields)} fields, the header has {len(header)}", lineno
                )
            try:
                position = int(fields[columns["pos"]])
            except ValueError:
                raise InputError(
                    path, f"column 'pos': not an integer: {fields[columns['pos']]!r}", lineno
                ) from None
            snp_id = fields[columns["id"]] if "id" in columns else "."
            key = (normalise_chrom(fields[columns["chrom"]]), position, snp_id)
            row = keys.setdefault(key, len(keys))
            if row == len(chrom):
                chrom.append(key[0])
                pos.append(position)
                ids.append(snp_id)
            cells = (
                [(fields[columns["task"]], fields[columns[score]], score)]
                if long
                else [(c[: -len(suffix)], fields[columns[c]], c) for c in task_columns]
            )
            for task, text, column in cells:
                value = _number(path, text, column, lineno)
                if value is None:
                    n_missing += 1
                    continue
                per_task = values.setdefault(task, {})
                per_task[row] = max(abs(value), per_task.get(row, 0.0))
            if long and "group" in columns:
                groups[fields[columns["task"]]] = fields[columns["group"]]
    if not chrom:
        raise InputError(path, "no variants")
    scores = {}
    for task, per_task in values.items():
        column = np.full(len(chrom), np.nan)
        column[list(per_task)] = list(per_task.values())
        scores[task] = column
    return EffectTable(chrom, np.array(pos, dtype=np.int64), ids, scores, groups, n_missing)


def _number(path: str | Path, text: str, column: str, lineno: int) -> float | None:
    if text.strip().lower() in _MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(path, f"column {column!r}: not a number: {text!r}", lineno) from None
    return None if math.isnan(value) else value


def read_groups(path: str | Path) -> dict[str, str]:
    """A task -> group map from a TSV with `task` and `group` columns (e.g. `tasks.tsv`)."""
    with open_text(path) as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        if "task" not in header or "group" not in header:
            raise InputError(path, "needs columns 'task' and 'group'", 1)
        t, g = header.index("task"), header.index("group")
        groups = {}
        for lineno, raw in enumerate(fh, start=2):
            fields = raw.rstrip("\r\n").split("\t")
            if fields == [""]:
                continue
            if len(fields) <= max(t, g):
                raise InputError(path, "missing task or group field", lineno)
            groups[fields[t]] = fields[g]
    return groups


def annotation_sets(
    effects: EffectTable, by: str, groups: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Annotation name -> tasks whose scores it aggregates.

    `by`: "task" (one annotation per task), "group" (per task group, from `groups` or the
    table's `group` column), or "all" (one annotation over every task).
    """
    tasks = list(effects.scores)
    if by == "task":
        return {_safe_name(t): [t] for t in tasks}
    if by == "all":
        return {"all_tasks": tasks}
    if by != "group":
        raise ValueError(f"by must be task, group or all, not {by!r}")
    mapping = dict(groups or effects.groups)
    if not mapping:
        raise InputError(
            None, "--by group needs a task -> group table (--groups) or a 'group' column"
        )
    sets: dict[str, list[str]] = {}
    for task in tasks:
        if task not in mapping:
            raise InputError(None, f"task {task!r} has no group in the task -> group table")
        sets.setdefault(_safe_name(mapping[task]), []).append(task)
    return sets


def _safe_name(name: str) -> str:
    """Column names S-LDSC can carry (no whitespace; it appends 'L2_<i>')."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "annotation"


@dataclass
class AnnotationSummary:
    """What `annotate` did: SNP counts and, per annotation, SNPs annotated (binary) or mean."""

    n_panel_snps: int
    n_matched: int
    n_effect_variants: int
    n_effects_not_in_panel: int
    annotations: dict[str, dict[str, float]]
    files: list[str]


def annotate(
    effects: EffectTable,
    panels: ChromosomePanels,
    out_prefix: str | Path,
    *,
    by: str = "group",
    groups: Mapping[str, str] | None = None,
    top: float | None = None,
    source: str | Path | None = None,
) -> AnnotationSummary:
    """Write `out_prefix.<chr>.annot.gz` for every chromosome of the panel.

    `top`: a fraction in (0, 1) makes binary annotations (the `top` share of panel SNPs with the
    largest value, over all chromosomes); None keeps continuous values.

    Raises:
        InputError: a chromosome of the panel has no variant effect at all (`source` names the
            effect table in the message).
    """
    if top is not None and not 0 < top < 1:
        raise ValueError("top must be a fraction in (0, 1)")
    sets = annotation_sets(effects, by, groups)
    by_id = {snp: i for i, snp in enumerate(effects.ids) if snp not in (".", "")}
    by_pos = {(c, p): i for i, (c, p) in enumerate(zip(effects.chrom, effects.pos, strict=True))}
    bims = {c: panels.bim(c) for c in panels.chromosomes}
    matrix = {}
    matched_rows: set[int] = set()
    n_matched = 0
    for chrom, bim in bims.items():
        rows = _match(bim, chrom, by_id, by_pos)
        found = rows >= 0
        if not found.any():
            raise InputError(
                source,
                f"no variant effects for chromosome {chrom} of the panel "
                f"({len(bim)} SNPs in {panels.bim_path(chrom)})",
            )
        n_matched += int(found.sum())
        matched_rows.update(rows[found].tolist())
        values = np.zeros((len(bim), len(sets)))
        for j, tasks in enumerate(sets.values()):
            stacked = np.stack([effects.scores[t] for t in tasks])  # (T, V)
            best = np.nanmax(np.where(np.isnan(stacked), -np.inf, stacked), axis=0)
            best = np.where(np.isfinite(best), best, 0.0)
            values[found, j] = best[rows[found]]
        matrix[chrom] = values
    if top is not None:
        matrix = _top_fraction(matrix, top)
    files = []
    out_prefix = Path(out_prefix)
    for chrom, bim in bims.items():
        path = out_prefix.with_name(f"{out_prefix.name}.{chrom}.annot.gz")
        write_annot(path, bim, list(sets), matrix[chrom], binary=top is not None)
        files.append(str(path))
    all_values = np.concatenate(list(matrix.values()))
    described = {
        name: (
            {
                "snps_annotated": int(all_values[:, j].sum()),
                "fraction": float(all_values[:, j].mean()),
            }
            if top is not None
            else {"mean": float(all_values[:, j].mean()), "max": float(all_values[:, j].max())}
        )
        for j, name in enumerate(sets)
    }
    return AnnotationSummary(
        n_panel_snps=len(all_values),
        n_matched=n_matched,
        n_effect_variants=len(effects.chrom),
        n_effects_not_in_panel=len(effects.chrom) - len(matched_rows),
        annotations=described,
        files=files,
    )


def _match(bim: Bim, chrom: str, by_id: dict, by_pos: dict) -> np.ndarray:
    """(M,) row of each panel SNP in the effect table, -1 where it has none."""
    rows = np.full(len(bim), -1, dtype=np.int64)
    for i, (snp, bp) in enumerate(zip(bim.snp, bim.bp, strict=True)):
        row = by_id.get(snp)
        if row is None:
            row = by_pos.get((chrom, int(bp)))
        if row is not None:
            rows[i] = row
    return rows


def _top_fraction(matrix: dict[str, np.ndarray], top: float) -> dict[str, np.ndarray]:
    """Binary columns: 1 for the round(top * M) SNPs with the largest positive values."""
    chroms = list(matrix)
    stacked = np.concatenate([matrix[c] for c in chroms])
    binary = np.zeros_like(stacked)
    n_top = round(top * len(stacked))
    for j in range(stacked.shape[1]):
        order = np.argsort(-stacked[:, j], kind="stable")[:n_top]
        binary[order[stacked[order, j] > 0], j] = 1
    out, start = {}, 0
    for c in chroms:
        out[c] = binary[start : start + len(matrix[c])]
        start += len(matrix[c])
    return out


def write_annot(
    path: str | Path, bim: Bim, names: list[str], values: np.ndarray, *, binary: bool = False
) -> None:
    """Write one chromosome's `.annot.gz` (CHR BP SNP CM + `names`), rows in `bim` order."""
    if values.shape != (len(bim), len(names)):
        raise ValueError(f"values {values.shape} != ({len(bim)}, {len(names)})")
    fmt = "{:.0f}" if binary else "{:.6g}"
    with atomic_path(path) as tmp, gzip.open(tmp, "wt", compresslevel=6) as fh:
        fh.write("\t".join(_ANNOT_HEADER + names) + "\n")
        for i in range(len(bim)):
            cells = "\t".join(fmt.format(v) for v in values[i])
            fh.write(f"{bim.chrom[i]}\t{bim.bp[i]}\t{bim.snp[i]}\t{bim.cm[i]:.6g}\t{cells}\n")


def base_annotation(panels: ChromosomePanels, out_prefix: str | Path) -> list[str]:
    """The minimal baseline: one all-ones `base` column (S-LDSC's intercept category)."""
    out_prefix = Path(out_prefix)
    files = []
    for chrom in panels.chromosomes:
        bim = panels.bim(chrom)
        path = out_prefix.with_name(f"{out_prefix.name}.{chrom}.annot.gz")
        write_annot(path, bim, ["base"], np.ones((len(bim), 1)), binary=True)
        files.append(str(path))
    return files


def read_annot(path: str | Path, bim: Bim, bim_path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read an `.annot.gz` file and check its rows are the panel's SNPs, in the same order.

    Returns the annotation names and the (M, A) values.

    Raises:
        InputError: the file is missing, its header does not start CHR BP SNP CM, a value is
            not numeric (naming the column), or its SNPs differ from the `.bim` (naming the
            first mismatch, or the two counts).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "annotation file not found (is the chromosome missing?)")
    with open_text(path) as fh:
        header = fh.readline().split()
        if header[:4] != _ANNOT_HEADER or len(header) < 5:
            raise InputError(path, "header must be CHR BP SNP CM then annotation columns", 1)
        names = header[4:]
        values = []
        for lineno, line in enumerate(fh, start=2):
            fields = line.split()
            if not fields:
                continue
            i = len(values)
            if i >= len(bim):
                raise InputError(
                    path,
                    f"more SNPs than the {len(bim)} of {bim_path} (extra SNP {fields[2]})",
                    lineno,
                )
            if len(fields) != len(header):
                raise InputError(
                    path, f"{len(fields)} fields, the header has {len(header)}", lineno
                )
            if fields[2] != bim.snp[i]:
                raise InputError(
                    path,
                    f"SNP {fields[2]} does not match the panel: {bim_path} line {i + 1} "
                    f"has {bim.snp[i]} (annotation rows must follow the .bim order)",
                    lineno,
                )
            row = []
            for name, text in zip(names, fields[4:], strict=True):
                try:
                    row.append(float(text))
                except ValueError:
                    raise InputError(
                        path, f"column {name!r}: not a number: {text!r}", lineno
                    ) from None
            values.append(row)
    if len(values) != len(bim):
        raise InputError(
            path,
            f"has {len(values)} SNPs, {bim_path} has {len(bim)} (first missing: "
            f"{bim.snp[len(values)]})",
        )
    return names, np.array(values)
