"""Which bases a model's prediction depends on: in-silico mutagenesis and gradient attributions.

- :func:`saturation_mutagenesis`: every alternative base at every position (3 per one-hot
  column, 4 at an N), each mutant a row of a batched forward pass; the reference sequences
  are predicted once. Effects are changes in the network's output (the logit; the value or
  log rate of a regression model), or with ``log_softmax`` in a class's log probability.
- :func:`input_x_gradient`: x · ∂logit/∂x.
- :func:`deep_lift_shap`: DeepLIFT (captum) averaged over dinucleotide-shuffled references of
  each sequence — DeepSHAP as used for genomics models (Lundberg & Lee 2017; Shrikumar 2017).

All take uint8 one-hot sequences (N, 4, L) and a model mapping float (N, 4, L) → outputs
(N, O), and work on any output (a task, or a class of a multi-class model).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from genas.seq.alphabet import to_float
from genas.seq.shuffle import shuffle_onehot


def _device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def _check(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[1] != 4:
        raise ValueError(f"expected one-hot sequences (N, 4, L), got shape {x.shape}")
    return x


def mutation_sites(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every single-base mutant of each sequence: (sequence, base, position) index arrays.

    A mutant puts base b at position l where b is not the reference base: 3 per one-hot
    column, 4 per N column; padding columns (all zero) are not mutated.
    """
    x = _check(x)
    column = x.sum(axis=1, keepdims=True)  # (N, 1, L): 1 one-hot, 4 N, 0 padding
    seq, base, pos = np.nonzero(((x == 0) & (column == 1)) | (column > 1))
    return seq, base, pos


@torch.no_grad()
def saturation_mutagenesis(
    model: nn.Module,
    x: np.ndarray,
    *,
    tasks: Sequence[int] | None = None,
    batch_size: int = 1024,
    n_value: float = 0.25,
    log_softmax: bool = False,
) -> np.ndarray:
    """In-silico saturation mutagenesis.

    Args:
        model: float (B, 4, L) → outputs (B, O); run in eval mode.
        x: uint8 (N, 4, L) reference sequences.
        tasks: output columns to keep (default: all O).
        batch_size: mutant sequences per forward pass.
        log_softmax: take the log-softmax over all O outputs first (a multi-class model:
            effects on each class's log probability, which, unlike a class logit, does not
            move with the other classes' logits).

    Returns:
        float32 (N, T', 4, L): ``out(x with base b at l) − out(x)`` for each kept output;
        0 at the reference base and at padding.
    """
    x = _check(x)
    device = _device(model)
    was_training = model.training
    model.eval()

    def forward(batch: torch.Tensor) -> torch.Tensor:
        out = model(batch)
        return torch.log_softmax(out.float(), dim=1) if log_softmax else out

    try:
        ref_x = to_float(torch.from_numpy(np.ascontiguousarray(x)), n_value).to(device)
        cols = None if tasks is None else torch.as_tensor(list(tasks), device=device)
        ref = torch.cat([forward(ref_x[s : s + batch_size]) for s in range(0, len(x), batch_size)])
        if cols is not None:
            ref = ref[:, cols]
        n, _, length = x.shape
        out = torch.zeros(n, ref.shape[1], 4, length, device=device)
        seq, base, pos = (torch.from_numpy(a).to(device) for a in mutation_sites(x))
        for s in range(0, seq.numel(), batch_size):
            si, bi, pi = seq[s : s + batch_size], base[s : s + batch_size], pos[s : s + batch_size]
            rows = torch.arange(si.numel(), device=device)
            mutants = ref_x[si]  # advanced indexing copies
            mutants[rows, :, pi] = 0.0
            mutants[rows, bi, pi] = 1.0
            logits = forward(mutants)
            if cols is not None:
                logits = logits[:, cols]
            out[si, :, bi, pi] = logits - ref[si]
    finally:
        model.train(was_training)
    return out.cpu().numpy()


def ism_attribution(effects: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-base attribution from mutagenesis effects, for logos.

    The mean-centred effect ``e_b − mean_b' e_b'`` at the reference base, i.e. minus the mean
    effect of mutating it away (scaled by 3/4): positive where the reference base raises the
    logit.

    Args:
        effects: (N, T, 4, L) from :func:`saturation_mutagenesis`.
        x: uint8 (N, 4, L) the reference sequences.

    Returns:
        float32 (N, T, 4, L), non-zero only at reference (one-hot) bases.
    """
    centred = effects - effects.mean(axis=2, keepdims=True)
    onehot = (x == 1) & (x.sum(axis=1, keepdims=True) == 1)
    return (centred * onehot[:, None]).astype(np.float32)


def input_x_gradient(
    model: nn.Module, x: np.ndarray, task: int, *, batch_size: int = 256, n_value: float = 0.25
) -> np.ndarray:
    """Input × gradient of output ``task`` (a logit, value or class logit): float32
    (N, 4, L)."""
    x = _check(x)
    device = _device(model)
    was_training = model.training
    model.eval()
    out = []
    try:
        for s in range(0, len(x), batch_size):
            xb = to_float(torch.from_numpy(np.ascontiguousarray(x[s : s + batch_size])), n_value)
            xb = xb.to(device).requires_grad_(True)
            (grad,) = torch.autograd.grad(model(xb)[:, task].sum(), xb)
            out.append((grad * xb).detach().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(out).astype(np.float32)


def deep_lift_shap(
    model: nn.Module,
    x: np.ndarray,
    task: int,
    *,
    n_shuffles: int = 20,
    seed: int = 0,
    n_value: float = 0.25,
) -> np.ndarray:
    """DeepLIFT (captum's rules) of output ``task`` (a logit, a regression value or a class
    logit), averaged over ``n_shuffles``
    dinucleotide-shuffled references of each sequence: float32 (N, 4, L).

    The attributions of each sequence sum to its logit minus the mean logit of its references
    (DeepLIFT's summation-to-delta), up to captum's approximation of nonlinearities that are
    not modules (e.g. functional pooling).
    """
    from captum.attr import DeepLift

    x = _check(x)
    device = _device(model)
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    explainer = DeepLift(model)
    out = np.zeros(x.shape, dtype=np.float32)
    try:
        for i in range(len(x)):
            copies = np.repeat(x[i : i + 1], n_shuffles, axis=0)
            inputs = to_float(torch.from_numpy(copies), n_value)
            baselines = to_float(torch.from_numpy(shuffle_onehot(copies, rng)), n_value)
            with warnings.catch_warnings():  # captum announces its hooks on every call
                warnings.simplefilter("ignore", UserWarning)
                attr = explainer.attribute(
                    inputs.to(device).requires_grad_(True), baselines.to(device), target=task
                )
            out[i] = attr.detach().mean(dim=0).cpu().numpy()
    finally:
        model.train(was_training)
    return out
