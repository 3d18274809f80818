"""Knowledge-guided reward (``search.knowledge``): how well a candidate's units agree with
motifs the user already knows.

BioNAS (Zhang et al. 2019) and AMBER's ``KnowledgeReward`` / ``LossAucReward(knowledge_
function=..., Lambda=...)`` add λ × a knowledge term to the validation reward. Here the term
is the **fraction of the given motifs recovered** by the candidate's units:

1. the units are those ``genas motifs`` reads by default (:func:`~genas.analysis.motifs.
   default_layers`: the stem's filters and, in a genas space network, every searched layer up
   to the first reduction), each turned into a matrix by
   :func:`~genas.analysis.motifs.filter_pfms` on a fixed, seeded sample of positive
   validation sequences (``search.knowledge.sequences``);
2. every informative matrix is compared by TOMTOM (:func:`~genas.analysis.motifs.
   tomtom_matches`) with the JASPAR 2024 CORE vertebrate motifs plus the given ones: TOMTOM's
   p-values take the target columns as their background, so a handful of given motifs alone
   would make any matrix look significant; q-values are Benjamini-Hochberg over a unit's
   p-values against all targets;
3. a given motif is recovered when some unit matches it at q < ``max_q`` (the same rule as
   :func:`~genas.analysis.motifs.recovery`, which `genas motifs` reports for simulated data).

The score is the fraction, not a smoother function of the q-values (e.g. the mean of
``-log10 q`` capped), because it is the very quantity the user asks for (does a unit
recover the motif?) and is blind to the strength of non-significant resemblances, which
among ~900 JASPAR targets are mostly between related motifs of one family. The best q of
each given motif is recorded beside it (``knowledge_q`` in the history), so another score
can be computed afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from torch import nn

from genas.analysis.motifs import default_layers, filter_pfms, recovery, tomtom_matches
from genas.config import KnowledgeConfig, SearchConfig
from genas.data.motifs import Motif, load_jaspar, read_meme
from genas.errors import ConfigError, GenasError, shown

#: The JASPAR release the ids are looked up in and the background targets come from.
RELEASE = "JASPAR2024"

# Rows read from the validation set at a time while looking for positives.
_LOAD_ROWS = 8192


@dataclass
class Knowledge:
    """The knowledge score of one network.

    Attributes:
        score: fraction of the given motifs recovered (0 to 1).
        recovered: ids of the recovered motifs, in the given order.
        best_q: per given motif, the smallest TOMTOM q-value of any unit (None: no unit
            was compared with it).
        seconds: time spent computing it.
    """

    score: float
    recovered: list[str] = field(default_factory=list)
    best_q: dict[str, float | None] = field(default_factory=dict)
    seconds: float = 0.0


@functools.lru_cache(maxsize=2)
def _database(release: str) -> tuple[Motif, ...]:
    """Every JASPAR CORE vertebrate motif (latest versions) of ``release``, read once."""
    return tuple(load_jaspar(release=release))


def knowledge_motifs(config: KnowledgeConfig) -> list[Motif]:
    """The given motifs: JASPAR ids looked up in the bundled :data:`RELEASE`, or a MEME
    file read.

    Raises:
        ConfigError: one line naming ``search.knowledge.motifs`` and the id that is not in
            the database (or listed twice), or the MEME file that is missing or unreadable.
    """
    if not isinstance(config.motifs, list):
        try:
            motifs = read_meme(config.motifs)
        except GenasError as error:
            raise ConfigError(f"search.knowledge.motifs: {error}") from None
        except (OSError, UnicodeError) as error:
            raise ConfigError(
                f"search.knowledge.motifs: {config.motifs}: unreadable ({error})"
            ) from None
    else:
        motifs = []
        for mid in config.motifs:
            try:
                motifs += load_jaspar([mid], release=RELEASE)
            except ValueError:
                raise ConfigError(
                    f"search.knowledge.motifs: {shown(mid)} is not a motif id of the "
                    f"bundled {RELEASE} (e.g. MA0139.2, or MA0139 for its latest version)"
                ) from None
    ids = [m.id for m in motifs]
    twice = next((mid for i, mid in enumerate(ids) if mid in ids[:i]), None)
    if twice is not None:
        raise ConfigError(f"search.knowledge.motifs: {twice} is given twice")
    return motifs


def check_knowledge(search: SearchConfig) -> None:
    """A one-line :class:`ConfigError` for ``search.knowledge`` motifs that cannot be
    found (:func:`knowledge_motifs`); checked before a run folder is touched."""
    if search.knowledge is not None:
        knowledge_motifs(search.knowledge)


def knowledge_sequences(dataset, task_type: str, n: int, seed: int) -> np.ndarray:
    """uint8 (S, 4, L): a seeded sample of at most ``n`` validation sequences, in file order.

    Binary tasks: drawn from the positives (a known label 1 in any task; all sequences when
    there are none), whose windows hold the motifs; regression and multiclass: from all.
    """
    rows = np.arange(len(dataset), dtype=np.int64)
    if task_type == "binary":
        positive = []
        for lo in range(0, len(rows), _LOAD_ROWS):
            _, y = dataset.get_batch(rows[lo : lo + _LOAD_ROWS])
            positive.append(np.nan_to_num(np.asarray(y, dtype=np.float32)).max(axis=1) > 0.5)
        found = rows[np.concatenate(positive)]
        rows = found if found.size else rows
    if rows.size > n:
        rng = np.random.default_rng([seed, 0x6B6E])
        rows = np.sort(rng.choice(rows, size=n, replace=False))
    x, _ = dataset.get_batch(rows)
    return np.asarray(x, dtype=np.uint8)


class KnowledgeScorer:
    """Scores networks against the given motifs (see the module docstring).

    Args:
        config: ``search.knowledge``.
        dataset: the validation set (``get_batch(indices)`` → uint8 (B, 4, L), (B, T)).
        task_type: binary, regression or multiclass (which sequences are read).
        seed: seed of the sequence sample.
        n_value: channel value of an unknown base N.
    """

    def __init__(
        self, config: KnowledgeConfig, dataset, task_type: str, seed: int, n_value: float = 0.25
    ):
        self.weight = float(config.weight)
        self.max_q = float(config.max_q)
        self.n_value = float(n_value)
        self.motifs = knowledge_motifs(config)
        self.ids = [m.id for m in self.motifs]
        given = set(self.ids)
        # the given motifs replace the database's matrices of the same id (a MEME file
        # may hold an edited JASPAR matrix)
        self.targets = [m for m in _database(RELEASE) if m.id not in given] + self.motifs
        self.x = knowledge_sequences(dataset, task_type, config.sequences, seed)

    def score(self, model: nn.Module, batch_size: int | None = None) -> Knowledge:
        """The :class:`Knowledge` of ``model`` (a genas space network, or any network whose
        first ``Conv1d`` reads the one-hot input).

        ``batch_size``: sequences per forward pass of :func:`filter_pfms` (None: its
        default); a network normalising with batch statistics wants all in one batch. The
        model's mode, parameters, gradients and every random generator are left as they
        were.
        """
        began = time.perf_counter()
        kwargs = {} if batch_size is None else {"batch_size": batch_size}
        with _gradients_kept(model):
            units = [
                unit
                for layer in default_layers(model)
                for unit in filter_pfms(model, self.x, layer=layer, n_value=self.n_value, **kwargs)
            ]
        # every match below q 1, so the best q of each given motif is known
        matches = tomtom_matches(units, self.targets, max_q=1.0, n_best=len(self.targets))
        found = recovery(matches, self.ids, max_q=self.max_q)
        best: dict[str, float | None] = dict.fromkeys(self.ids)
        for fm in matches:
            for m in fm.matches:
                if m.id in best and (best[m.id] is None or m.q < best[m.id]):
                    best[m.id] = m.q
        return Knowledge(
            score=float(found["fraction"]),
            recovered=list(found["recovered"]),
            best_q=best,
            seconds=time.perf_counter() - began,
        )

    def total(self, base_reward: float, knowledge: Knowledge) -> float:
        """The reward a strategy is told: ``base_reward + weight × knowledge.score``."""
        if not math.isfinite(base_reward):
            return base_reward
        return base_reward + self.weight * knowledge.score


@contextlib.contextmanager
def _gradients_kept(model: nn.Module) -> Iterator[None]:
    """The parameters' ``.grad`` as they were after the block (:func:`filter_pfms` measures
    receptive fields by backpropagation, which would leave gradients behind)."""
    params: Sequence[nn.Parameter] = list(model.parameters())
    saved = [p.grad for p in params]
    try:
        yield
    finally:
        for p, grad in zip(params, saved, strict=True):
            p.grad = grad
