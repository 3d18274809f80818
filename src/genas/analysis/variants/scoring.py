"""Predictions for allele pairs and the effect scores computed from them.

Scores per task (names as in Selene/Kipoi; DESIGN.md §3), from the logits z_ref and z_alt
of the two windows (of their mean probability with the reverse complement when asked),
with p = sigmoid(z):

==============  ==============================================================
``ref_prob``     p_ref
``alt_prob``     p_alt
``diff``         p_alt - p_ref
``abs_diff``     |p_alt - p_ref|
``logit_diff``   logit(p_alt) - logit(p_ref) = z_alt - z_ref
``log2fc``       log2(p_alt / p_ref)
==============  ==============================================================

Every score is computed in float64 from the logits, never from rounded or clipped
probabilities: a confident model's two alleles (logits 30 and 31, both probabilities 1.0 in
float32) still differ, by exactly 1 in ``logit_diff``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from genas.nn.ensemble import mean_probability_logit
from genas.seq.alphabet import reverse_complement
from genas.train.device import autocast, batch_to_float, resolve_device

SCORES = ("ref_prob", "alt_prob", "diff", "abs_diff", "logit_diff", "log2fc")


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log(sigmoid(z)), accurate for large |z| (no overflow, no rounding to 0)."""
    return -np.logaddexp(0.0, -z)


def effect_scores(logit_ref: np.ndarray, logit_alt: np.ndarray) -> dict[str, np.ndarray]:
    """Every score of :data:`SCORES` from the logits (n, T) of the two alleles; float32
    (n, T) each."""
    zr = np.asarray(logit_ref, dtype=np.float64)
    za = np.asarray(logit_alt, dtype=np.float64)
    log_pr, log_pa = _log_sigmoid(zr), _log_sigmoid(za)
    pr, pa = np.exp(log_pr), np.exp(log_pa)
    # p_alt - p_ref = (1 - p_ref) - (1 - p_alt): the small complements keep the digits that
    # the subtraction of two probabilities near 1 would lose.
    diff = np.where(za + zr > 0, np.exp(_log_sigmoid(-zr)) - np.exp(_log_sigmoid(-za)), pa - pr)
    scores = {
        "ref_prob": pr,
        "alt_prob": pa,
        "diff": diff,
        "abs_diff": np.abs(diff),
        "logit_diff": za - zr,
        "log2fc": (log_pa - log_pr) / np.log(2.0),
    }
    return {k: v.astype(np.float32) for k, v in scores.items()}


class AllelePredictor:
    """Logits of reference and alternative windows in one forward pass per batch.

    Args:
        model: float32 (B, 4, L) -> logits (B, T); put in eval mode on ``device``.
        rc_average: average each window's probabilities with its reverse complement's
            (the batch then holds 4 sequences per variant); the logit of that mean is
            returned.
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
        """Logits of n allele pairs.

        Args:
            x: uint8 (2n, 4, L): n reference windows, then the n alternative windows.

        Returns:
            z_ref, z_alt: float64 (n, T) each (see :func:`effect_scores`).
        """
        n = x.shape[0] // 2
        with torch.inference_mode():
            xf = batch_to_float(torch.from_numpy(x), self.device, self.n_value)
            if self.rc_average:
                xf = torch.cat([xf, reverse_complement(xf)])
            with autocast(self.device):
                logits = self.model(xf).float()
            if self.rc_average:
                logits = mean_probability_logit(
                    torch.stack([logits[: 2 * n], logits[2 * n :]]).double()
                )
            logits = logits.double().cpu().numpy()
        return logits[:n], logits[n:]
