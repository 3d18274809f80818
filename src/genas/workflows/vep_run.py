"""`genas vep` and `genas vep-benchmark`: score variants or allele pairs with a trained model,
and check the scores against observed allelic directions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from genas.analysis.variants import (
    DEFAULT_MARGINS,
    VepSummary,
    direction_benchmark,
    iter_pair_effects,
    iter_variant_effects,
    open_effects_writer,
    read_effects,
)
from genas.analysis.variants.pipeline import write_effects
from genas.analysis.variants.scoring import (
    SIGNED_SCORES,
    score_names,
    variant_columns,
)
from genas.analysis.variants.sources import MISMATCH_MODES, PAIR_KEYS, VARIANT_KEYS
from genas.errors import GenasError, InputError, missing_file
from genas.fileio import atomic_write_json
from genas.nn.model_file import load_model
from genas.seq.genome import Genome
from genas.table_files import output_format
from genas.train.task import TaskSpec

#: Columns that identify a row of an effects table (for joining a truth table).
KEY_COLUMNS = (*VARIANT_KEYS[:-1], *PAIR_KEYS)


def vep_run(
    run_dir: str | Path,
    out: str | Path,
    *,
    vcf: str | Path | None = None,
    genome: str | Path | None = None,
    ref_fasta: str | Path | None = None,
    alt_fasta: str | Path | None = None,
    region: str | None = None,
    wide: bool = False,
    rc_average: bool = False,
    batch_size: int = 64,
    device: str = "auto",
    on_mismatch: str = "score",
    max_allele_length: int = 50,
    invalid_bases: str = "error",
    warn: Callable[[str], None] | None = None,
    progress: Callable[[str], None] | None = None,
    progress_every_s: float = 10.0,
) -> VepSummary:
    """Score the variants of ``vcf`` on ``genome``, or the pairs of ``ref_fasta`` and
    ``alt_fasta``, and stream the effects into ``out`` (format by extension: ``.tsv``,
    ``.tsv.gz``, ``.parquet``, ``.h5``), written atomically. The scores follow the model's
    task type (:mod:`genas.analysis.variants.scoring`): per task for binary and regression
    models, per class for a multiclass one.

    ``progress`` receives a line every ``progress_every_s`` seconds of scoring: variants (or
    pairs) scored so far and the rate (None: quiet).

    Returns:
        The counts: read, scored, skipped by reason.

    Raises:
        GenasError: a wrong combination of inputs, a bad option.
        InputError: bad input files (see :func:`~genas.analysis.variants.score_variants`).
    """
    pairs = ref_fasta is not None or alt_fasta is not None
    if pairs == (vcf is not None):
        raise GenasError("give either --vcf with --genome, or --ref-fasta with --alt-fasta")
    if pairs and (ref_fasta is None or alt_fasta is None):
        raise GenasError("--ref-fasta and --alt-fasta go together")
    if not pairs and genome is None:
        raise GenasError("--vcf needs --genome (the reference FASTA the VCF refers to)")
    if pairs and region is not None:
        raise GenasError("--region applies to --vcf input only")
    if on_mismatch not in MISMATCH_MODES:
        raise GenasError(f"--on-mismatch must be one of {', '.join(MISMATCH_MODES)}")
    if batch_size < 1 or max_allele_length < 1:
        raise GenasError("--batch-size and --max-allele-length must be at least 1")
    output_format(out)  # an unknown extension fails before any work
    loaded = load_model(run_dir)
    task = TaskSpec.from_model(loaded)
    summary = VepSummary()
    options = dict(batch_size=batch_size, rc_average=rc_average, device=device)
    shown = dict(progress=progress, every_s=progress_every_s)
    keys = (*(PAIR_KEYS if pairs else VARIANT_KEYS), *variant_columns(task))
    with open_effects_writer(out, list(task.output_names), keys, wide, score_names(task)) as writer:
        if pairs:
            chunks = iter_pair_effects(
                loaded, ref_fasta, alt_fasta, summary, invalid_bases=invalid_bases, **options
            )
            write_effects(writer, chunks, unit="pairs", **shown)
        else:
            with Genome(genome) as ref:
                chunks = iter_variant_effects(
                    loaded,
                    vcf,
                    ref,
                    summary,
                    on_mismatch=on_mismatch,
                    max_allele_length=max_allele_length,
                    region=region,
                    warn=warn,
                    **options,
                )
                write_effects(writer, chunks, unit="variants", **shown)
    return summary


def vep_benchmark_run(
    effects: str | Path,
    *,
    task: str,
    truth: str | Path | None = None,
    favoured: str | None = None,
    score: str = "diff",
    margins: Sequence[float] = DEFAULT_MARGINS,
    out: str | Path | None = None,
) -> dict:
    """Direction accuracy, binomial p-value and AUROC of ``task``'s ``score`` against the
    observed favoured allele (see :mod:`genas.analysis.variants.benchmark`).

    Args:
        effects: an effects file written by :func:`vep_run` (any format or layout).
        task: the task whose score is checked (a class, for a multiclass model's effects).
        truth: a TSV with a ``favoured`` column (``ref`` or ``alt``) and key columns shared
            with the effects (``chrom, pos, ref, alt``, ``id``, ``pair``, ``ref_name`` ...),
            joined on all the shared ones.
        favoured: instead of ``truth``: the allele favoured in every row (``alt`` when the
            alternative file holds the binding alleles).
        score: ``diff`` (default) or another score that is positive when alt scores higher
            (:data:`~genas.analysis.variants.scoring.SIGNED_SCORES`; a regression model's
            effects have no ``logit_diff``).
        margins: report also the rows with |score| above each margin, in the score's units
            (a probability for binary and multiclass ``diff``, the predicted signal for
            regression).
        out: optional JSON report.

    Returns:
        The report: inputs, row counts and one entry per margin.
    """
    if (truth is None) == (favoured is None):
        raise GenasError("give either --truth (a TSV with a 'favoured' column) or --favoured")
    if favoured is not None and favoured not in ("ref", "alt"):
        raise GenasError(f"--favoured must be 'ref' or 'alt', got {favoured!r}")
    if score not in SIGNED_SCORES:
        raise GenasError(f"--score must be one of {', '.join(SIGNED_SCORES)}, got {score!r}")
    table = read_effects(effects, task, score)
    n_effects = len(table)
    if truth is not None:
        table, favoured_rows = _join_truth(table, Path(truth))
    else:
        favoured_rows = [favoured] * len(table)
    try:
        rows = direction_benchmark(table[score].to_numpy(), favoured_rows, margins)
    except ValueError as error:
        raise InputError(truth, str(error)) from None
    report = {
        "effects": str(effects),
        "task": task,
        "score": score,
        "truth": str(truth) if truth is not None else f"all rows favour {favoured}",
        "n_effects": n_effects,
        "n_compared": len(table),
        "margins": rows,
    }
    if out is not None:
        atomic_write_json(out, report)
    return report


def _join_truth(table: pd.DataFrame, truth: Path) -> tuple[pd.DataFrame, list[str]]:
    if not truth.is_file():
        raise missing_file(truth)
    try:
        observed = pd.read_csv(truth, sep="\t", dtype=str)
    except (ValueError, pd.errors.ParserError) as error:
        raise InputError(truth, f"cannot read truth table ({error})") from None
    if "favoured" not in observed.columns:
        raise InputError(truth, "no 'favoured' column (values: ref or alt)")
    on = [c for c in KEY_COLUMNS if c in observed.columns and c in table.columns]
    if not on:
        raise InputError(
            truth, f"no key column shared with the effects (any of {', '.join(KEY_COLUMNS)})"
        )
    left = table.astype({c: str for c in on})
    merged = left.merge(observed[[*on, "favoured"]], on=on, how="inner")
    if merged.empty:
        raise InputError(truth, f"no row matches the effects on {', '.join(on)}")
    return merged, merged["favoured"].tolist()
