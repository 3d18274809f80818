"""Which bases a model's prediction depends on: in-silico mutagenesis and gradient attributions.

- :func:`saturation_mutagenesis`: every alternative base at every position (3 per one-hot
  column, 4 at an N), each mutant a row of a batched forward pass; the reference sequences
  are predicted once. Effects are changes in the network's output (the logit; the value or
  log rate of a regression model), or with ``log_softmax`` in a class's log probability.
- :func:`input_x_gradient`: x · ∂logit/∂x.
- :func:`deep_lift_shap`: DeepLIFT (captum) averaged over dinucleotide-shuffled references of
  each sequence — DeepSHAP as used for genomics models (Lundberg & Lee 2017; Shrikumar 2017).

All take uint8 one-hot sequences (N, 4, L) and a model mapping float (N, 4, L) → outputs
(N, O), and work on any output (a task, or a class of a multi-class model). Each also gives
hypothetical contributions (N, 4, L), what every letter would contribute at each position had
it been there (the input TF-MoDISco reads); times the one-hot they are the contributions of
the sequence's own letters.
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


def ism_attribution(
    effects: np.ndarray, x: np.ndarray, *, hypothetical: bool = False
) -> np.ndarray:
    """Per-base attribution from mutagenesis effects, for logos.

    The mean-centred effect ``e_b − mean_b' e_b'`` at the reference base, i.e. minus the mean
    effect of mutating it away (scaled by 3/4): positive where the reference base raises the
    logit. With ``hypothetical``, the mean-centred effect of every letter (what each would
    contribute had it been there).

    Args:
        effects: (N, T, 4, L) from :func:`saturation_mutagenesis`.
        x: uint8 (N, 4, L) the reference sequences.

    Returns:
        float32 (N, T, 4, L), non-zero only at reference (one-hot) bases unless
        ``hypothetical``.
    """
    centred = effects - effects.mean(axis=2, keepdims=True)
    if hypothetical:
        return centred.astype(np.float32)
    onehot = (x == 1) & (x.sum(axis=1, keepdims=True) == 1)
    return (centred * onehot[:, None]).astype(np.float32)


def input_x_gradient(
    model: nn.Module,
    x: np.ndarray,
    task: int,
    *,
    batch_size: int = 256,
    n_value: float = 0.25,
    hypothetical: bool = False,
) -> np.ndarray:
    """Input × gradient of output ``task`` (a logit, value or class logit): float32
    (N, 4, L); with ``hypothetical``, the gradient itself (each letter's contribution had it
    been there)."""
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
            out.append((grad if hypothetical else grad * xb).detach().cpu().numpy())
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
    hypothetical: bool = False,
    batch_size: int = 320,
) -> np.ndarray:
    """DeepLIFT (captum's rules) of output ``task`` (a logit, a regression value or a class
    logit), averaged over ``n_shuffles`` dinucleotide-shuffled references of each sequence:
    float32 (N, 4, L).

    With multipliers m (4, L) against a reference r, the attribution of base c at l is
    ``(x − r)·m`` (the default), and the hypothetical contribution of base c, had it been
    there, ``m_c − Σ_c' r_c'·m_c'`` (``hypothetical=True``; what TF-MoDISco reads, as in
    the DeepSHAP genomics code). Both are averaged over the references; the hypothetical
    contributions times the one-hot x give, at each position, the sum of the attributions
    over its 4 letters.

    The attributions of each sequence sum to its output minus the mean output of its
    references (DeepLIFT's summation-to-delta), up to captum's approximation of
    nonlinearities that are not modules (e.g. functional pooling).

    Args:
        batch_size: rows (sequences × references) per backward pass.
    """
    from captum.attr import DeepLift

    x = _check(x)
    device = _device(model)
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    explainer = DeepLift(model, multiply_by_inputs=False)  # the multipliers m
    out = np.zeros(x.shape, dtype=np.float32)
    step = max(1, batch_size // n_shuffles)  # sequences per pass
    try:
        for s in range(0, len(x), step):
            chunk = x[s : s + step]
            copies = np.repeat(chunk, n_shuffles, axis=0)  # each sequence's rows together
            inputs = to_float(torch.from_numpy(copies), n_value).to(device)
            # one shuffle per row, drawn sequence by sequence as they are stacked
            baselines = to_float(torch.from_numpy(shuffle_onehot(copies, rng)), n_value)
            baselines = baselines.to(device)
            with warnings.catch_warnings():  # captum announces its hooks on every call
                warnings.simplefilter("ignore", UserWarning)
                m = explainer.attribute(inputs.requires_grad_(True), baselines, target=task)
            m = m.detach()
            if hypothetical:
                scores = m - (baselines * m).sum(dim=1, keepdim=True)
            else:
                scores = (inputs.detach() - baselines) * m
            scores = scores.reshape(len(chunk), n_shuffles, *x.shape[1:]).mean(dim=1)
            out[s : s + len(chunk)] = scores.cpu().numpy()
    finally:
        model.train(was_training)
    return out
