"""Regression and multi-class synthetic benchmarks: targets set by planted motif sites.

Sites are drawn from a blend of a motif's matrix and the uniform background,
``s · PFM + (1 - s) · 0.25`` with a per-site ``s`` drawn uniformly from a range, so planted
sites run from near-consensus to barely recognisable. Each site's *strength* is its PWM
log-odds score (base 2, against a uniform background) divided by the motif's best score,
clipped to [0, 1]: a property of the bases actually planted, which a network can read.

- **regression**: motif ``m`` gets Poisson(``site_rate``) sites per sequence; ``S_m`` is
  the sum of their strengths. Task ``t``'s target is
  ``offset_t + Σ_m w_tm · f(S_m) + ε_t`` with ``f(S) = S / (1 + S / saturation)``
  (diminishing returns of more and stronger sites) and Gaussian noise ``ε_t`` whose
  variance is ``noise_fraction`` of the target's (so no model's Pearson r can exceed about
  ``sqrt(1 - noise_fraction)``). Each task has a primary motif (weight 0.8 to 1.5) and a
  secondary one (weight ±0.3 to 0.7, negative with probability 0.3: a repressor).
- **multiclass**: K = M + 1 classes, one per motif and ``background``; a sequence of class
  ``m`` carries 1 + Poisson(0.5) sites of motif ``m``, a background one none; a fraction
  ``label_noise`` of the labels is replaced by another class.

Chance resemblances of the background to a motif are ignored, as in the binary benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genas.data.motifs import reverse_complement_pfm
from genas.data.simulate.planting import place_blocks
from genas.data.simulate.sites import Sites

#: Per-site blend of the motif's matrix with the uniform background (see the module).
STRENGTH_BLEND = (0.4, 1.0)
PRIMARY_WEIGHT = (0.8, 1.5)
SECONDARY_WEIGHT = (0.3, 0.7)
REPRESSOR_PROBABILITY = 0.3
#: Name of the multiclass benchmark's class without a planted motif.
BACKGROUND_CLASS = "background"
_PSEUDO = 0.01  # pseudo-probability of the log-odds matrices


@dataclass
class RegressionTruth:
    """How targets follow from planted sites (JSON-ready by :meth:`to_json`).

    Attributes:
        weights: float64 (T, M) effect of motif m's saturated strength on task t.
        offsets: float64 (T,) target of a sequence without sites.
        noise_sd: float64 (T,) standard deviation of the Gaussian noise.
        saturation: f(S) = S / (1 + S / saturation).
    """

    weights: np.ndarray
    offsets: np.ndarray
    noise_sd: np.ndarray
    saturation: float

    def activity(self, strengths: np.ndarray) -> np.ndarray:
        """Noise-free targets float64 (N, T) of summed site strengths (N, M)."""
        saturated = strengths / (1.0 + strengths / self.saturation)
        return self.offsets[None, :] + saturated @ self.weights.T


def design_regression(
    n_tasks: int, n_motifs: int, saturation: float, rng: np.random.Generator
) -> RegressionTruth:
    """Weights and offsets: task t's primary motif is ``t mod M`` (after a shuffle), its
    secondary a different random motif. ``noise_sd`` is set later (:func:`noise_levels`)."""
    weights = np.zeros((n_tasks, n_motifs))
    order = rng.permutation(n_motifs)
    for t in range(n_tasks):
        primary = int(order[t % n_motifs])
        weights[t, primary] = rng.uniform(*PRIMARY_WEIGHT)
        if n_motifs > 1:
            secondary = int(rng.choice([m for m in range(n_motifs) if m != primary]))
            sign = -1.0 if rng.random() < REPRESSOR_PROBABILITY else 1.0
            weights[t, secondary] = sign * rng.uniform(*SECONDARY_WEIGHT)
    offsets = rng.uniform(-0.5, 0.5, n_tasks)
    return RegressionTruth(weights, offsets, np.zeros(n_tasks), float(saturation))


def noise_levels(activity: np.ndarray, noise_fraction: float) -> np.ndarray:
    """Noise sd per task so that noise is ``noise_fraction`` of each target's variance."""
    var = activity.var(axis=0)
    return np.sqrt(var * noise_fraction / max(1.0 - noise_fraction, 1e-12))


def log_odds(pfm: np.ndarray) -> np.ndarray:
    """Base-2 log-odds (4, W) of a matrix against a uniform background."""
    p = (np.asarray(pfm, dtype=np.float64) + _PSEUDO) / (1.0 + 4 * _PSEUDO)
    return np.log2(p / 0.25)


def plan_counts(
    counts: np.ndarray, widths: np.ndarray, length: int, rng: np.random.Generator
) -> Sites:
    """Non-overlapping sites for ``counts`` int (N, M) sites of each motif per sequence (as
    many as fit), random strands; ``task`` is -1 and ``decoy`` False."""
    n, m = counts.shape
    seq = np.repeat(np.tile(np.arange(n), m), counts.T.ravel())
    motif = np.repeat(np.repeat(np.arange(m), n), counts.T.ravel())
    start, keep = place_blocks(seq, widths[motif], n, length, rng)
    seq, motif = seq[keep], motif[keep]
    strand = np.where(rng.random(len(seq)) < 0.5, 1, -1).astype(np.int8)
    minus_one = np.full(len(seq), -1, np.int64)
    return Sites(seq, motif, start, strand, minus_one, np.zeros(len(seq), bool)).sorted()


def plant_blended(
    codes: np.ndarray,
    sites: Sites,
    pfms: list[np.ndarray],
    blend: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Write each site into ``codes`` uint8 (N, L), drawn from its motif's matrix blended
    with the background by a uniform factor in ``blend``; returns each site's strength
    float64 (S,) (normalised PWM score of the bases planted, in [0, 1])."""
    strength = np.zeros(len(sites))
    mix = rng.uniform(*blend, len(sites))
    for m, pfm in enumerate(pfms):
        best = log_odds(pfm).max(axis=0).sum()
        for strand in (1, -1):
            rows = np.flatnonzero((sites.motif == m) & (sites.strand == strand))
            if not rows.size:
                continue
            matrix = pfm if strand == 1 else reverse_complement_pfm(pfm)
            probs = mix[rows, None, None] * matrix[None] + (1 - mix[rows, None, None]) * 0.25
            cum = np.cumsum(probs, axis=1)[:, :3, :]  # (S, 3, W)
            u = rng.random((rows.size, 1, matrix.shape[1]))
            site = (u >= cum).sum(axis=1).astype(np.uint8)  # (S, W) base codes
            score = log_odds(matrix)[site, np.arange(matrix.shape[1])[None, :]].sum(axis=1)
            strength[rows] = np.clip(score / best, 0.0, 1.0)
            cols = sites.start[rows, None] + np.arange(matrix.shape[1])
            codes[sites.seq[rows, None], cols] = site
    return strength


def summed_strengths(sites: Sites, strength: np.ndarray, n: int, n_motifs: int) -> np.ndarray:
    """float64 (N, M): the summed strength of each motif's sites in each sequence."""
    out = np.zeros((n, n_motifs))
    np.add.at(out, (sites.seq, sites.motif), strength)
    return out


def class_counts(
    n: int, n_motifs: int, label_noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multiclass plan: (true class int (N,), observed label int (N,), site counts (N, M)).

    Classes 0..M-1 are the motifs, M the background; a fraction ``label_noise`` of the
    observed labels is another class, drawn uniformly."""
    k = n_motifs + 1
    truth = rng.integers(0, k, n)
    counts = np.zeros((n, n_motifs), np.int64)
    carriers = np.flatnonzero(truth < n_motifs)
    counts[carriers, truth[carriers]] = 1 + rng.poisson(0.5, carriers.size)
    label = truth.copy()
    flip = np.flatnonzero(rng.random(n) < label_noise)
    label[flip] = (truth[flip] + rng.integers(1, k, flip.size)) % k
    return truth, label, counts
