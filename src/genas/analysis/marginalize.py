"""In-silico marginalization: how much a motif, written into background sequences, moves a
model's outputs (tangermeme's ``marginalize``, gReLU's pattern marginalization).

Each motif's consensus is written over the centre of every background sequence, once on
each strand. Its effect on an output is the change of what the network computes for it (a
logit, a value or log rate, a class's log probability) averaged over the two strands, then
over the backgrounds, with its standard error over the backgrounds. Backgrounds are
dinucleotide shuffles of real sequences: their composition is real, their motifs are gone.

Written here rather than taken from tangermeme: its ``marginalize`` scores one motif at a
time against its own batching and output conventions; the whole computation is a batched
forward pass and a mean, and genas needs it on its own task types (log probability of a
class, original-scale predictions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from genas.seq.alphabet import encode, reverse_complement_str, to_float
from genas.train.task import TaskSpec


@dataclass(frozen=True)
class MotifEffects:
    """The effects of M motifs on the O outputs of a network.

    Attributes:
        effect: float64 (M, O): the mean change of each output (logit, value, log rate, class
            log probability) when the motif is written into a background.
        se: float64 (M, O): its standard error over the backgrounds.
        before: float64 (O,): the mean prediction (probability, value, rate) of the
            backgrounds, on the original scale.
        after: float64 (M, O): the mean prediction with the motif.
        start: (M,) the 0-based column where each motif was written.
    """

    effect: np.ndarray
    se: np.ndarray
    before: np.ndarray
    after: np.ndarray
    start: np.ndarray


def write_site(x: np.ndarray, site: str, start: int) -> np.ndarray:
    """Copies of one-hot sequences uint8 (N, 4, L) with ``site`` written over columns
    ``start .. start + len(site)``."""
    out = np.array(x, dtype=np.uint8, copy=True)
    out[:, :, start : start + len(site)] = encode(site)
    return out


@torch.no_grad()
def marginalize(
    model: nn.Module,
    backgrounds: np.ndarray,
    sites: Sequence[str],
    task: TaskSpec,
    *,
    batch_size: int = 1024,
    n_value: float = 0.25,
) -> MotifEffects:
    """The effect of each site (a motif's consensus, ACGT) written at the centre of every
    background, on either strand.

    Args:
        model: float (B, 4, L) → raw outputs (B, O); run in eval mode.
        backgrounds: uint8 (N, 4, L), N ≥ 2.
        sites: M strings of at most L letters.
        task: what the outputs are (multiclass: effects on log probabilities).
    """
    n, _, length = backgrounds.shape
    if n < 2:
        raise ValueError(f"need at least 2 backgrounds for a standard error, got {n}")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    multiclass = task.task_type == "multiclass"

    def run(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scored outputs, predictions on the original scale), each (rows, O)."""
        outs = []
        for s in range(0, len(x), batch_size):
            batch = to_float(torch.from_numpy(x[s : s + batch_size]), n_value).to(device)
            outs.append(model(batch).float().cpu())
        out = torch.cat(outs)
        scored = torch.log_softmax(out, dim=1) if multiclass else out
        return scored.double().numpy(), task.original_scale(task.predictions(out).double().numpy())

    try:
        base, base_pred = run(backgrounds)
        m, o = len(sites), base.shape[1]
        effect, se, after = np.zeros((m, o)), np.zeros((m, o)), np.zeros((m, o))
        starts = np.array([(length - len(site)) // 2 for site in sites], dtype=np.int64)
        for k, site in enumerate(sites):
            both = np.concatenate([
                write_site(backgrounds, site, int(starts[k])),
                write_site(backgrounds, reverse_complement_str(site), int(starts[k])),
            ])  # fmt: skip
            scored, predicted = run(both)
            change = (scored[:n] + scored[n:]) / 2 - base  # (N, O), the strands averaged
            effect[k] = change.mean(axis=0)
            se[k] = change.std(axis=0, ddof=1) / np.sqrt(n)
            after[k] = predicted.mean(axis=0)
    finally:
        model.train(was_training)
    return MotifEffects(effect, se, base_pred.mean(axis=0), after, starts)
