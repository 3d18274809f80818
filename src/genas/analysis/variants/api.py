"""Variant effect prediction, the Python API: ``score_variants`` and ``score_pairs``.

Both stream: variants are read, windowed, encoded and scored ``batch_size`` at a time (a
reader thread prepares the next batch while the model runs), so memory does not grow with
the number of variants; the ``iter_*`` functions yield the scored chunks, the ``score_*``
functions collect them into one DataFrame.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from genas.analysis.variants.effects_io import effects_frame
from genas.analysis.variants.pipeline import Chunk, iter_effects
from genas.analysis.variants.scoring import (
    AllelePredictor,
    score_names,
    variant_columns,
)
from genas.analysis.variants.sources import (
    Batch,
    VepSummary,
    pair_batches,
    variant_batches,
)
from genas.errors import GenasError, InputError
from genas.nn.model_file import LoadedModel, load_model
from genas.seq.genome import Genome
from genas.seq.vcf import Variant, VcfReader
from genas.train.task import TaskSpec

Variants = str | Path | pd.DataFrame | Iterable[Variant | tuple]


def as_loaded_model(model: LoadedModel | str | Path) -> LoadedModel:
    """A :class:`LoadedModel` as given, or loaded from a trained run folder."""
    return model if isinstance(model, LoadedModel) else load_model(model)


def iter_variant_effects(
    model: LoadedModel,
    variants: Variants,
    genome: Genome,
    summary: VepSummary,
    *,
    batch_size: int = 64,
    rc_average: bool = False,
    device: str = "auto",
    on_mismatch: str = "score",
    max_allele_length: int = 50,
    region: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[Chunk]:
    """Scored chunks ``(keys, scores)`` of variants; ``summary`` is complete at the end.

    See :func:`score_variants` for the arguments.
    """
    task = TaskSpec.from_model(model)
    predictor = _predictor(model, task, rc_average, device)
    batches = _variant_source(
        variants,
        genome,
        model.input_length,
        summary,
        batch_size=batch_size,
        on_mismatch=on_mismatch,
        max_allele_length=max_allele_length,
        region=region,
        warn=warn,
    )
    yield from iter_effects(predictor, batches, task=task)


def iter_pair_effects(
    model: LoadedModel,
    ref_sequences: str | Path | Sequence[str],
    alt_sequences: str | Path | Sequence[str],
    summary: VepSummary,
    *,
    batch_size: int = 64,
    rc_average: bool = False,
    device: str = "auto",
    invalid_bases: str = "error",
) -> Iterator[Chunk]:
    """Scored chunks ``(keys, scores)`` of sequence pairs; see :func:`score_pairs`."""
    task = TaskSpec.from_model(model)
    predictor = _predictor(model, task, rc_average, device)
    batches = pair_batches(
        ref_sequences,
        alt_sequences,
        model.input_length,
        summary,
        batch_size=batch_size,
        invalid_bases=invalid_bases,
    )
    yield from iter_effects(predictor, batches, task=task)


def _predictor(
    model: LoadedModel, task: TaskSpec, rc_average: bool, device: str
) -> AllelePredictor:
    """The allele predictor of ``model``, averaging strands as its task type does."""
    return AllelePredictor(
        model.model,
        rc_average=rc_average,
        device=device,
        n_value=model.n_value,
        combine=task.ensemble_combine,
    )


def score_variants(
    model: LoadedModel | str | Path,
    variants: Variants,
    genome: Genome | str | Path,
    *,
    wide: bool = False,
    batch_size: int = 64,
    rc_average: bool = False,
    device: str = "auto",
    on_mismatch: str = "score",
    max_allele_length: int = 50,
    region: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Effect scores of variants, one row per (variant, task), or per variant with ``wide``.

    Each variant is scored on two windows of the model's input length (the centring
    convention is in :mod:`genas.analysis.variants.windows`): the reference and the
    alternative sequence. Scores follow the model's task type (binary, regression,
    multiclass: one row per class); see :mod:`genas.analysis.variants.scoring`.

    Args:
        model: a loaded model or a trained run folder.
        variants: a VCF file (plain, gzip or bgzip; multi-allelic records are split), a
            DataFrame with columns ``chrom, pos, ref, alt`` (and ``id``), or an iterable of
            :class:`~genas.seq.vcf.Variant` / ``(chrom, pos, id, ref, alt)`` tuples. Positions
            are 1-based, as in VCF.
        genome: the reference genome (FASTA path or :class:`~genas.seq.genome.Genome`).
        wide: one row per variant with ``<task>.<score>`` columns.
        batch_size: variants per forward pass (2 sequences each, 4 with ``rc_average``).
        rc_average: average each prediction with that of the reverse complement.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
        on_mismatch: REF not matching the genome: ``"score"`` (with the genome's bases,
            ``ref_match`` False), ``"skip"`` or ``"error"``.
        max_allele_length: variants with a longer REF or ALT are skipped.
        region: with a VCF, only this region (``chr1:1000-2000``), via its index.
        warn: receives the warnings (a missing chromosome, once each); default
            :func:`warnings.warn`.

    Returns:
        The effects table; ``.attrs["summary"]`` holds the counts (read, scored, skipped
        by reason).
    """
    loaded = as_loaded_model(model)
    summary = VepSummary()
    with _open_genome(genome) as ref:
        chunks = iter_variant_effects(
            loaded,
            variants,
            ref,
            summary,
            batch_size=batch_size,
            rc_average=rc_average,
            device=device,
            on_mismatch=on_mismatch,
            max_allele_length=max_allele_length,
            region=region,
            warn=warn,
        )
        return _collect(chunks, loaded, wide, summary, _VARIANT_EMPTY)


def score_pairs(
    model: LoadedModel | str | Path,
    ref_sequences: str | Path | Sequence[str],
    alt_sequences: str | Path | Sequence[str],
    *,
    wide: bool = False,
    batch_size: int = 64,
    rc_average: bool = False,
    device: str = "auto",
    invalid_bases: str = "error",
) -> pd.DataFrame:
    """Effect scores of sequence pairs: record i of ``ref_sequences`` vs record i of
    ``alt_sequences`` (FASTA files or lists of strings), each centred in the model's input
    window: cropped, or padded with N on both sides.

    Returns:
        Key columns ``pair, ref_name, alt_name``, then as :func:`score_variants`.
    """
    loaded = as_loaded_model(model)
    summary = VepSummary()
    chunks = iter_pair_effects(
        loaded,
        ref_sequences,
        alt_sequences,
        summary,
        batch_size=batch_size,
        rc_average=rc_average,
        device=device,
        invalid_bases=invalid_bases,
    )
    return _collect(chunks, loaded, wide, summary, _PAIR_EMPTY)


_VARIANT_EMPTY = {
    "chrom": object,
    "pos": np.int64,
    "id": object,
    "ref": object,
    "alt": object,
    "ref_match": bool,
}
_PAIR_EMPTY = {"pair": np.int64, "ref_name": object, "alt_name": object}


def _collect(
    chunks, loaded: LoadedModel, wide: bool, summary: VepSummary, empty_keys
) -> pd.DataFrame:
    task = TaskSpec.from_model(loaded)
    names = list(task.output_names)
    frames = [effects_frame(keys, scores, names, wide) for keys, scores in chunks]
    if frames:
        frame = pd.concat(frames, ignore_index=True)
    else:
        keys = {k: np.array([], dtype=t) for k, t in empty_keys.items()}
        keys |= {k: np.array([], dtype=object) for k in variant_columns(task)}
        empty = {s: np.zeros((0, len(names)), np.float32) for s in score_names(task)}
        frame = effects_frame(keys, empty, names, wide)
    frame.attrs["summary"] = summary.to_dict()
    return frame


@contextlib.contextmanager
def _open_genome(genome: Genome | str | Path) -> Iterator[Genome]:
    if isinstance(genome, Genome):
        yield genome
        return
    ref = Genome(genome)
    try:
        yield ref
    finally:
        ref.close()


def _variant_source(
    variants: Variants,
    genome: Genome,
    length: int,
    summary: VepSummary,
    *,
    region: str | None,
    **options,
) -> Iterator[Batch]:
    """Batches from a VCF path, a DataFrame or an iterable; sets ``summary.read``."""
    if isinstance(variants, str | Path):
        with VcfReader(variants, region=region) as reader:
            yield from variant_batches(reader, genome, length, summary, path=variants, **options)
            summary.read = reader.records
        return
    if region is not None:
        raise GenasError("a region can only be selected in a VCF file")
    records = _records(variants)
    counted = _counting(records, summary)
    yield from variant_batches(counted, genome, length, summary, **options)


def _records(variants) -> Iterator[tuple]:
    """(chrom, pos, id, ref, alts) records of a DataFrame or an iterable of tuples."""
    if isinstance(variants, pd.DataFrame):
        missing = [c for c in ("chrom", "pos", "ref", "alt") if c not in variants.columns]
        if missing:
            raise InputError(None, f"variants table lacks column(s) {', '.join(missing)}")
        ids = variants["id"] if "id" in variants.columns else ["."] * len(variants)
        yield from zip(
            variants["chrom"].astype(str),
            variants["pos"].astype(np.int64),
            ids,
            variants["ref"].astype(str),
            variants["alt"].astype(str),
            strict=True,
        )
        return
    for item in variants:
        yield tuple(item)[:5]


def _counting(records: Iterator[tuple], summary: VepSummary) -> Iterator[Variant]:
    """Variants of records, with comma-separated ALTs split, counting records read."""
    for chrom, pos, vid, ref, alt in records:
        summary.read += 1
        for allele in str(alt).split(","):
            yield Variant(str(chrom), int(pos), str(vid), str(ref), allele.strip())
