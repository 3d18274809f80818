"""Predictions for allele pairs and the effect scores computed from them.

Scores per task (names as in Selene/Kipoi; DESIGN.md §3), from the probabilities p_ref and
p_alt of the two windows (averaged with their reverse complements when asked):

==============  ==============================================================
``ref_prob``     p_ref
``alt_prob``     p_alt
``diff``         p_alt - p_ref
``abs_diff``     |p_alt - p_ref|
``logit_diff``   logit(p_alt) - logit(p_ref),  logit(p) = ln(p / (1 - p))
``log2fc``       log2(p_alt / p_ref)
==============  ==============================================================

In ``logit_diff`` and ``log2fc`` probabilities are first clipped to
[:data:`EPS`, 1 - :data:`EPS`], so saturated predictions give finite scores.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from genas.seq.alphabet import reverse_complement
from genas.train.device import autocast, batch_to_float, resolve_device

SCORES = ("ref_prob", "alt_prob", "diff", "abs_diff", "logit_diff", "log2fc")
EPS = 1e-6


def effect_scores(p_ref: np.ndarray, p_alt: np.ndarray) -> dict[str, np.ndarray]:
    """Every score of :data:`SCORES` from probabilities (n, T); float32 (n, T) each."""
    pr = np.asarray(p_ref, dtype=np.float64)
    pa = np.asarray(p_alt, dtype=np.float64)
    cr, ca = np.clip(pr, EPS, 1 - EPS), np.clip(pa, EPS, 1 - EPS)
    diff = pa - pr
    scores = {
        "ref_prob": pr,
        "alt_prob": pa,
        "diff": diff,
        "abs_diff": np.abs(diff),
        "logit_diff": (np.log(ca) - np.log1p(-ca)) - (np.log(cr) - np.log1p(-cr)),
        "log2fc": np.log2(ca) - np.log2(cr),
    }
    return {k: v.astype(np.float32) for k, v in scores.items()}


class AllelePredictor:
    """Probabilities of reference and alternative windows in one forward pass per batch.

    Args:
        model: float32 (B, 4, L) -> logits (B, T); put in eval mode on ``device``.
        rc_average: average each window's probabilities with its reverse complement's
            (the batch then holds 4 sequences per variant).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
        n_value: channel value of an unknown base N.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        rc_average: bool = False,
        device: str | torch.device = "auto",
        n_value: float = 0.25,
    ):
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.rc_average = rc_average
        self.n_value = n_value

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities of n allele pairs.

        Args:
            x: uint8 (2n, 4, L): n reference windows, then the n alternative windows.

        Returns:
            p_ref, p_alt: float32 (n, T) each.
        """
        n = x.shape[0] // 2
        with torch.inference_mode():
            xf = batch_to_float(torch.from_numpy(x), self.device, self.n_value)
            if self.rc_average:
                xf = torch.cat([xf, reverse_complement(xf)])
            with autocast(self.device):
                probs = torch.sigmoid(self.model(xf).float())
            if self.rc_average:
                probs = 0.5 * (probs[: 2 * n] + probs[2 * n :])
            probs = probs.cpu().numpy()
        return probs[:n], probs[n:]
