"""Variant effect prediction: score VCF variants and sequence pairs with a trained model.

- :mod:`~genas.analysis.variants.windows`: the centring convention and the one-hot windows;
- :mod:`~genas.analysis.variants.sources`: batches from variants or pairs, skip counting;
- :mod:`~genas.analysis.variants.scoring`: predictions of allele pairs, the effect scores;
- :mod:`~genas.analysis.variants.pipeline`: a reader thread feeding the model;
- :mod:`~genas.analysis.variants.effects_io`: TSV / Parquet / HDF5 writers and a reader;
- :mod:`~genas.analysis.variants.benchmark`: direction accuracy against allele-specific data;
- :mod:`~genas.analysis.variants.api`: ``score_variants``, ``score_pairs``.
"""

from genas.analysis.variants.api import (
    iter_pair_effects,
    iter_variant_effects,
    score_pairs,
    score_variants,
)
from genas.analysis.variants.benchmark import (
    DEFAULT_MARGINS,
    direction_benchmark,
    direction_metrics,
    signed_differences,
)
from genas.analysis.variants.effects_io import (
    effects_frame,
    open_effects_writer,
    read_effects,
)
from genas.analysis.variants.scoring import (
    SCORES,
    TASK_SCORES,
    AllelePredictor,
    effect_scores,
    score_names,
)
from genas.analysis.variants.sources import SKIP_REASONS, VepSummary
from genas.analysis.variants.windows import WindowMaker, allele_start, window_bounds

__all__ = [
    "DEFAULT_MARGINS",
    "SCORES",
    "SKIP_REASONS",
    "TASK_SCORES",
    "AllelePredictor",
    "VepSummary",
    "WindowMaker",
    "allele_start",
    "direction_benchmark",
    "direction_metrics",
    "effect_scores",
    "effects_frame",
    "iter_pair_effects",
    "iter_variant_effects",
    "open_effects_writer",
    "read_effects",
    "score_names",
    "score_pairs",
    "score_variants",
    "signed_differences",
    "window_bounds",
]
