"""Predictions for allele pairs and the effect scores computed from them, by task type.

The scores follow the model's task type (:class:`~genas.train.task.TaskSpec`; names as in
Selene/Kipoi, DESIGN.md §3). The allele predictions carry a suffix (``ref_prob``,
``ref_value``) because ``ref`` and ``alt`` are the allele columns of the effects table.

**Binary**, per task, from the logits z_ref and z_alt (of the mean probability with the
reverse complement when asked), with p = sigmoid(z):

==============  ==============================================================
``ref_prob``     p_ref
``alt_prob``     p_alt
``diff``         p_alt - p_ref
``abs_diff``     |p_alt - p_ref|
``logit_diff``   logit(p_alt) - logit(p_ref) = z_alt - z_ref
``log2fc``       log2(p_alt / p_ref)
==============  ==============================================================

**Regression**, per task, from the predicted signal v on the scale of the stored targets
(what ``genas predict`` writes: the value; ``exp`` of the log rate of a Poisson model;
``expm1`` of the prediction of a ``log1p`` model):

==============  ==============================================================
``ref_value``    v_ref
``alt_value``    v_alt
``diff``         v_alt - v_ref
``abs_diff``     |v_alt - v_ref|
``log2fc``       log2((v_alt + 1) / (v_ref + 1)); NaN where a value is <= -1
==============  ==============================================================

The pseudocount 1 is Basenji's and Borzoi's (their ``logSAD`` and ``logSED`` scores are
``log2(alt + 1) - log2(ref + 1)`` of predicted coverage); gReLU's ``log2FC`` has none,
which is undefined wherever a predicted count is 0. With ``log1p`` targets it is the
difference of the network's own outputs over ln 2.

**Multiclass**, per class, from the K class logits, with p = softmax(z):

==============  ==============================================================
``ref_prob``     p_ref (of the class)
``alt_prob``     p_alt
``diff``         p_alt - p_ref
``abs_diff``     |p_alt - p_ref|
``log2fc``       log2(p_alt / p_ref), from log-softmax
==============  ==============================================================

and per variant ``ref_class`` and ``alt_class`` (:data:`CLASS_COLUMNS`): the most likely
class of each allele. A multiclass effects table has one row (long) or column group (wide)
per class where other models have one per task.

Every score is computed in float64 from the network's outputs, never from rounded or
clipped probabilities: a confident binary model's two alleles (logits 30 and 31, both
probabilities 1.0 in float32) still differ, by exactly 1 in ``logit_diff``.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import log_softmax
from torch import nn

from genas.nn.ensemble import combine_outputs
from genas.seq.alphabet import reverse_complement
from genas.train.device import autocast, batch_to_float, resolve_device
from genas.train.task import TaskSpec

#: The scores of a binary model (and of effects files written before task types).
SCORES = ("ref_prob", "alt_prob", "diff", "abs_diff", "logit_diff", "log2fc")
#: The scores of each task type, in column order.
TASK_SCORES = {
    "binary": SCORES,
    "regression": ("ref_value", "alt_value", "diff", "abs_diff", "log2fc"),
    "multiclass": ("ref_prob", "alt_prob", "diff", "abs_diff", "log2fc"),
}
#: Every score name of any task type (the columns that are not keys in an effects table).
ALL_SCORES = tuple(dict.fromkeys(name for names in TASK_SCORES.values() for name in names))
#: Scores positive when the alternative allele is predicted higher (signed alt - ref).
SIGNED_SCORES = ("diff", "logit_diff", "log2fc")
#: Multiclass: the per-variant columns naming each allele's most likely class.
CLASS_COLUMNS = ("ref_class", "alt_class")
_LN2 = np.log(2.0)


def score_names(task: TaskSpec | None = None) -> tuple[str, ...]:
    """The score columns of ``task``'s effects (binary when None), in order."""
    return TASK_SCORES[task.task_type if task is not None else "binary"]


def variant_columns(task: TaskSpec | None = None) -> tuple[str, ...]:
    """Per-variant columns that ``task``'s scoring adds after the keys (multiclass:
    :data:`CLASS_COLUMNS`)."""
    return CLASS_COLUMNS if task is not None and task.task_type == "multiclass" else ()


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log(sigmoid(z)), accurate for large |z| (no overflow, no rounding to 0)."""
    return -np.logaddexp(0.0, -z)


def effect_scores(
    out_ref: np.ndarray, out_alt: np.ndarray, task: TaskSpec | None = None
) -> dict[str, np.ndarray]:
    """Every score of ``task`` (:func:`score_names`; binary when None) from the network's
    outputs (n, O) of the two alleles: float32 (n, O) each, in column order."""
    zr = np.asarray(out_ref, dtype=np.float64)
    za = np.asarray(out_alt, dtype=np.float64)
    kind = task.task_type if task is not None else "binary"
    if kind == "regression":
        scores = _regression_scores(zr, za, task)
    elif kind == "multiclass":
        scores = _multiclass_scores(zr, za)
    else:
        scores = _binary_scores(zr, za)
    return {k: scores[k].astype(np.float32) for k in score_names(task)}


def predicted_classes(
    out_ref: np.ndarray, out_alt: np.ndarray, task: TaskSpec
) -> dict[str, np.ndarray]:
    """Multiclass: :data:`CLASS_COLUMNS`, each allele's most likely class name, object (n,)
    each, from the class logits (n, K); empty for other task types."""
    if task.class_names is None:
        return {}
    names = np.asarray(task.class_names, dtype=object)
    return {
        "ref_class": names[np.asarray(out_ref).argmax(axis=1)],
        "alt_class": names[np.asarray(out_alt).argmax(axis=1)],
    }


def _binary_scores(zr: np.ndarray, za: np.ndarray) -> dict[str, np.ndarray]:
    log_pr, log_pa = _log_sigmoid(zr), _log_sigmoid(za)
    pr, pa = np.exp(log_pr), np.exp(log_pa)
    # p_alt - p_ref = (1 - p_ref) - (1 - p_alt): the small complements keep the digits that
    # the subtraction of two probabilities near 1 would lose.
    diff = np.where(za + zr > 0, np.exp(_log_sigmoid(-zr)) - np.exp(_log_sigmoid(-za)), pa - pr)
    return {
        "ref_prob": pr,
        "alt_prob": pa,
        "diff": diff,
        "abs_diff": np.abs(diff),
        "logit_diff": za - zr,
        "log2fc": (log_pa - log_pr) / _LN2,
    }


def _regression_scores(zr: np.ndarray, za: np.ndarray, task: TaskSpec) -> dict[str, np.ndarray]:
    vr, va = _signal(zr, task), _signal(za, task)
    diff = va - vr
    with np.errstate(divide="ignore", invalid="ignore"):  # a value <= -1: no log
        log2fc = (np.log1p(va) - np.log1p(vr)) / _LN2
    return {
        "ref_value": vr,
        "alt_value": va,
        "diff": diff,
        "abs_diff": np.abs(diff),
        "log2fc": np.where(np.isfinite(log2fc), log2fc, np.nan),
    }


def _signal(z: np.ndarray, task: TaskSpec) -> np.ndarray:
    """The prediction on the scale of the stored targets (what ``predict`` writes)."""
    return task.original_scale(task.predictions(torch.from_numpy(z)).numpy())


def _multiclass_scores(zr: np.ndarray, za: np.ndarray) -> dict[str, np.ndarray]:
    log_pr, log_pa = log_softmax(zr, axis=1), log_softmax(za, axis=1)
    pr, pa = np.exp(log_pr), np.exp(log_pa)
    diff = pa - pr
    return {
        "ref_prob": pr,
        "alt_prob": pa,
        "diff": diff,
        "abs_diff": np.abs(diff),
        "log2fc": (log_pa - log_pr) / _LN2,
    }


class AllelePredictor:
    """Outputs of reference and alternative windows in one forward pass per batch.

    Args:
        model: float32 (B, 4, L) -> outputs (B, O); put in eval mode on ``device``.
        rc_average: average each window's predictions with its reverse complement's (the
            batch then holds 4 sequences per variant); the output whose prediction is that
            mean is returned (:func:`~genas.nn.ensemble.combine_outputs`).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
        n_value: channel value of an unknown base N.
        combine: what the outputs are, for ``rc_average``
            (:attr:`TaskSpec.ensemble_combine <genas.train.task.TaskSpec.ensemble_combine>`;
            ``sigmoid``: binary logits).
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        rc_average: bool = False,
        device: str | torch.device = "auto",
        n_value: float = 0.25,
        combine: str = "sigmoid",
    ):
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.rc_average = rc_average
        self.n_value = n_value
        self.combine = combine

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outputs of n allele pairs.

        Args:
            x: uint8 (2n, 4, L): n reference windows, then the n alternative windows.

        Returns:
            out_ref, out_alt: float64 (n, O) each (see :func:`effect_scores`).
        """
        n = x.shape[0] // 2
        with torch.inference_mode():
            xf = batch_to_float(torch.from_numpy(x), self.device, self.n_value)
            if self.rc_average:
                xf = torch.cat([xf, reverse_complement(xf)])
            with autocast(self.device):
                out = self.model(xf).float()
            if self.rc_average:
                pair = torch.stack([out[: 2 * n], out[2 * n :]]).double()
                out = combine_outputs(pair, self.combine)
            out = out.double().cpu().numpy()
        return out[:n], out[n:]
