"""What the network learned: one position frequency matrix per unit, matched to JASPAR.

Unit → matrix follows Basset (Kelley et al. 2016): run the network over many sequences, keep
every window whose activation exceeds ``threshold`` × the unit's largest activation, and count
the bases of those windows (aligned as the unit sees them, optionally widened by ``flank``
bases each side). The units are the first convolution's filters (DeepBind, Basset) or, in a
genas space network, the channels of a searched layer before the first reduction: there the
stem is a linear 8-bp convolution, and motif-wide, rectified detectors appear a layer or two
deeper (their windows are their measured receptive fields). The matrices are compared with
every JASPAR motif by TOMTOM (memelite's implementation, both strands); q-values are
Benjamini–Hochberg over each unit's p-values against all targets, as MEME's tomtom computes
them.

Only informative matrices are compared. TOMTOM sums column scores over the alignment, so a
wide, nearly flat matrix (an untrained filter fires on windows that each share a little with
its random weights: ~0.5 bits a column over 19 columns) collects a significant score against
long low-information database motifs, such as CTCF's 31- and 33-bp matrices with their 10-bp
0-bit spacer (37 of 40 random 19-column matrices of 0.1–0.3 bits a column match them at
q < 1e-4). So each matrix is trimmed of low-information edges (as gReLU and universalmotif trim
motifs before comparing them) and compared only when the remaining core holds ``min_bits`` in
total and ``min_mean_bits`` per column on average (:func:`is_informative`): the cores of 99 % of
JASPAR 2024 CORE vertebrate motifs, trimmed the same way, hold ≥ 0.83 bits a column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from genas.data.motifs import Motif, information_content
from genas.seq.alphabet import to_float

#: Edge columns below this information (bits) are trimmed off a unit's matrix.
TRIM_BITS = 0.3
#: A trimmed matrix is compared with the database only with this much information in total...
MIN_BITS = 4.0
#: ...and this much per column on average (bits; see the module docstring).
MIN_MEAN_BITS = 0.8


@dataclass
class FilterMotif:
    """The matrix of one first-layer filter.

    Attributes:
        filter: index of the filter (output channel of the first convolution).
        pfm: float64 (4, W) probabilities (rows A, C, G, T), trimmed of low-information edges;
            None when fewer than ``min_sites`` windows passed the threshold or the matrix
            is not informative (:func:`is_informative`).
        n_sites: windows counted.
        max_activation: the filter's largest activation over the sequences.
        offset: position of the trimmed matrix's first column within the counted window.
        layer: ``None`` for a first-convolution filter, else the searched layer of the unit.
    """

    filter: int
    pfm: np.ndarray | None
    n_sites: int
    max_activation: float
    offset: int = 0
    layer: int | None = None

    @property
    def label(self) -> str:
        """``filter_<i>`` or ``layer<k>_unit<i>``."""
        if self.layer is None:
            return f"filter_{self.filter}"
        return f"layer{self.layer}_unit{self.filter}"

    def to_motif(self) -> Motif:
        """As a :class:`Motif` named :attr:`label` (requires a matrix)."""
        if self.pfm is None:
            raise ValueError(f"{self.label} has no matrix")
        return Motif(self.label, self.label, self.pfm, n_sites=self.n_sites)


@dataclass
class MotifMatch:
    """One TOMTOM hit of a filter matrix against a database motif.

    ``offset`` is memelite's: the column of the target, reverse-complemented when ``strand``
    is ``"-"``, that lies under the filter matrix's first column (negative when the filter
    starts before the target); see :func:`alignment_starts`.
    """

    target: int  # index into the target list
    id: str
    name: str
    p: float
    q: float
    offset: int
    strand: str  # "+" or "-"


def alignment_starts(offset: int) -> tuple[int, int]:
    """Where the filter matrix and its match start on a shared axis: ``(filter, target)``.

    ``offset`` is :attr:`MotifMatch.offset` (the target column aligned with the filter's
    column 0, in the target as matched: reverse-complemented on the minus strand). The
    leftmost of the two starts at 0: filter column i and target column i + offset then share
    an x position.
    """
    return max(0, offset), max(0, -offset)


@dataclass
class FilterMatches:
    """A filter's matrix and its database matches, best (smallest p) first."""

    motif: FilterMotif
    matches: list[MotifMatch] = field(default_factory=list)

    @property
    def best(self) -> MotifMatch | None:
        return self.matches[0] if self.matches else None

    def best_at(self, max_q: float) -> MotifMatch | None:
        """The best match with q < ``max_q``, or None."""
        return next((m for m in self.matches if m.q < max_q), None)


def first_convolution(model: nn.Module) -> tuple[nn.Module, int, int]:
    """The module whose output holds the first-layer filter activations.

    Returns ``(module, kernel_size, left_padding)``: for a genas space network, its stem
    (conv + BatchNorm: activations on a common scale); otherwise the first ``Conv1d`` that
    reads the 4 one-hot channels. ``left_padding`` tells where output position ``l`` starts
    in the input: at ``l - left_padding``.
    """
    stem = getattr(model, "stem", None)
    if isinstance(stem, nn.Sequential) and isinstance(stem[0], nn.Conv1d):
        conv = stem[0]
        return stem, int(conv.kernel_size[0]), _left_padding(conv)
    for module in model.modules():
        if isinstance(module, nn.Conv1d) and module.in_channels == 4:
            return module, int(module.kernel_size[0]), _left_padding(module)
    raise ValueError("the model has no Conv1d reading the 4 one-hot channels")


def _left_padding(conv: nn.Conv1d) -> int:
    extra = getattr(conv, "extra_pad", (0, 0))
    pad = conv.padding[0] if isinstance(conv.padding, tuple) else 0
    if conv.dilation[0] != 1 or conv.stride[0] != 1:
        raise ValueError("the first convolution must have stride 1 and no dilation")
    return int(pad) + int(extra[0])


def _batches(x: np.ndarray, batch_size: int, n_value: float, device) -> Iterator[torch.Tensor]:
    for start in range(0, x.shape[0], batch_size):
        chunk = torch.from_numpy(np.ascontiguousarray(x[start : start + batch_size]))
        yield to_float(chunk, n_value).to(device)


class _Stop(Exception):
    """Raised by the hook once the wanted layer has run: the rest of the network is skipped."""


def layer_units(model: nn.Module, layer: int | None) -> nn.Module:
    """The module whose output channels are analysed: the first convolution (``None``) or
    searched layer ``layer`` of a genas space network (its output after any skip merge)."""
    if layer is None:
        return first_convolution(model)[0]
    layers = getattr(model, "layers", None)
    if not isinstance(layers, nn.ModuleList) or not 0 <= layer < len(layers):
        raise ValueError(f"the model has no searched layer {layer}")
    return layers[layer]


def default_layers(model: nn.Module) -> list[int | None]:
    """The units analysed by default: the first convolution (``None``) and, in a genas space
    network, every searched layer up to the first reduction (see the module docstring)."""
    space = getattr(model, "space", None)
    if space is None:
        return [None]
    last = space.reductions[0] if space.reductions else len(model.layers) - 1
    return [None, *range(last + 1)]


def _outputs(model: nn.Module, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``module``'s output (N, C, L') when ``model`` runs on x."""
    found: list[torch.Tensor] = []

    def hook(_m, _i, out):
        found.append(out)
        raise _Stop

    handle = module.register_forward_hook(hook)
    try:
        model(x)
    except _Stop:
        pass
    finally:
        handle.remove()
    return found[0]


def receptive_field(
    model: nn.Module, module: nn.Module, length: int, seed: int = 0
) -> tuple[int, int]:
    """(left, width): output position l of ``module`` sees input columns l − left ... + width.

    Measured, not derived: the input columns with a non-zero gradient of the middle output
    position (all channels, 64 random sequences, so max-pools and ReLUs open every path).
    Raises ValueError for a module whose output length differs from the input's (after a
    reduction, positions no longer map one to one).
    """
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(64, length))
    device = next(model.parameters()).device
    onehot = (codes[:, None, :] == np.arange(4)[None, :, None]).astype(np.float32)
    x = torch.from_numpy(onehot).to(device).requires_grad_(True)
    with torch.enable_grad():
        out = _outputs(model, module, x)
        if out.shape[-1] != length:
            raise ValueError("the layer's output length differs from the input's (a reduction)")
        out[:, :, length // 2].sum().backward()
    cols = np.flatnonzero(x.grad.abs().sum(dim=(0, 1)).cpu().numpy() > 0)
    return length // 2 - int(cols[0]), int(cols[-1] - cols[0]) + 1


@torch.no_grad()
def filter_pfms(
    model: nn.Module,
    x: np.ndarray,
    *,
    layer: int | None = None,
    threshold: float = 0.8,
    flank: int = 0,
    min_sites: int = 10,
    trim_bits: float = TRIM_BITS,
    min_bits: float = MIN_BITS,
    min_mean_bits: float = MIN_MEAN_BITS,
    batch_size: int = 256,
    n_value: float = 0.25,
    pseudocount: float = 0.5,
) -> list[FilterMotif]:
    """A position frequency matrix for each unit (channel) of a layer.

    Args:
        model: a trained network (eval mode is set here and restored after).
        x: uint8 (N, 4, L) one-hot sequences.
        layer: ``None``: the first convolution's filters (DeepBind / Basset); an int: the
            units of that searched layer of a genas space network (before the first
            reduction), whose windows are the units' measured receptive fields.
        threshold: windows with activation > ``threshold`` × the unit's maximum count.
        flank: bases added each side of the window.
        min_sites: units with fewer windows get ``pfm=None`` (dead or unselective).
        trim_bits: edge columns below this information content (bits) are cut off.
        min_bits, min_mean_bits: a trimmed matrix with less information in total or per
            column (a unit that fires on nearly any sequence, an untrained filter) gets
            ``pfm=None``: TOMTOM gives such flat matrices spuriously small p-values.
        pseudocount: added to every count before normalising.

    Returns:
        One :class:`FilterMotif` per unit, in channel order (``layer`` recorded).
    """
    if x.ndim != 3 or x.shape[1] != 4:
        raise ValueError(f"expected one-hot sequences (N, 4, L), got shape {x.shape}")
    module = layer_units(model, layer)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        if layer is None:
            _, kernel, left = first_convolution(model)
        else:
            left, kernel = receptive_field(model, module, x.shape[2])
        maxima = None
        for xb in _batches(x, batch_size, n_value, device):
            batch_max = _outputs(model, module, xb).amax(dim=(0, 2))
            maxima = batch_max if maxima is None else torch.maximum(maxima, batch_max)
        n_filters = maxima.shape[0]
        width = kernel + 2 * flank
        counts = torch.zeros(n_filters, 4, width, dtype=torch.float64, device=device)
        n_sites = torch.zeros(n_filters, dtype=torch.long, device=device)
        cut = (threshold * maxima.clamp(min=0)).view(1, -1, 1)
        live = (maxima > 0).view(1, -1, 1)
        for xb in _batches(x, batch_size, n_value, device):
            act = _outputs(model, module, xb)  # (B, F, L)
            mask = (act > cut) & live
            # Window of output l: input columns l - left - flank ... + width (padding = 0).
            padded = nn.functional.pad(xb, (left + flank, width))
            windows = padded.unfold(2, width, 1)[:, :, : act.shape[2]]  # (B, 4, L, W)
            counts += torch.einsum("bfl,bclw->fcw", mask.double(), windows.double())
            n_sites += mask.sum(dim=(0, 2))
    finally:
        model.train(was_training)
    out = []
    for f in range(n_filters):
        sites = int(n_sites[f])
        if sites < min_sites:
            out.append(FilterMotif(f, None, sites, float(maxima[f]), layer=layer))
            continue
        pfm = counts[f].cpu().numpy() + pseudocount
        pfm /= pfm.sum(axis=0, keepdims=True)
        lo, hi = trim_edges(pfm, trim_bits)
        if not is_informative(pfm[:, lo:hi], min_bits, min_mean_bits):
            out.append(FilterMotif(f, None, sites, float(maxima[f]), layer=layer))
            continue
        out.append(FilterMotif(f, pfm[:, lo:hi], sites, float(maxima[f]), offset=lo, layer=layer))
    return out


def trim_edges(pfm: np.ndarray, min_bits: float, min_width: int = 4) -> tuple[int, int]:
    """Column range ``[lo, hi)`` without the edge columns below ``min_bits``.

    Never narrower than ``min_width`` (the most informative window of that width is kept
    when trimming would cut more).
    """
    ic = information_content(pfm)
    keep = np.flatnonzero(ic >= min_bits)
    width = pfm.shape[1]
    if keep.size and keep[-1] + 1 - keep[0] >= min_width:
        return int(keep[0]), int(keep[-1]) + 1
    if width <= min_width:
        return 0, width
    sums = np.convolve(ic, np.ones(min_width), mode="valid")
    lo = int(np.argmax(sums))
    return lo, lo + min_width


def is_informative(
    pfm: np.ndarray, min_bits: float = MIN_BITS, min_mean_bits: float = MIN_MEAN_BITS
) -> bool:
    """Whether a (trimmed) (4, W) matrix holds ``min_bits`` in total and ``min_mean_bits``
    per column: only such matrices are compared with a database (see the module docstring)."""
    ic = information_content(pfm)
    return bool(ic.sum() >= min_bits and ic.mean() >= min_mean_bits)


def tomtom_matches(
    queries: Sequence[FilterMotif],
    targets: Sequence[Motif],
    *,
    max_q: float = 0.5,
    n_best: int = 5,
    n_jobs: int = 1,
    min_bits: float = MIN_BITS,
    min_mean_bits: float = MIN_MEAN_BITS,
) -> list[FilterMatches]:
    """Compare each informative filter matrix with every target motif (TOMTOM, both strands).

    Args:
        queries: the filters (those without a matrix, or whose matrix is not informative by
            :func:`is_informative` with ``min_bits`` and ``min_mean_bits``, get no matches).
        targets: database motifs; TOMTOM's p-values use the target columns as background,
            so give a whole database (≥ 50 motifs), e.g. :func:`genas.data.motifs.load_jaspar`.
        max_q: keep matches with q below this.
        n_best: keep at most this many matches per filter.
        n_jobs: numba threads.

    Returns:
        One :class:`FilterMatches` per query, in query order.
    """
    from memelite import tomtom

    with_pfm = [
        i
        for i, q in enumerate(queries)
        if q.pfm is not None and is_informative(q.pfm, min_bits, min_mean_bits)
    ]
    out = [FilterMatches(q) for q in queries]
    if not with_pfm or not targets:
        return out
    pvals, _scores, offsets, _overlaps, strands = tomtom(
        [queries[i].pfm for i in with_pfm], [t.pfm for t in targets], n_jobs=n_jobs
    )
    for row, i in enumerate(with_pfm):
        p = np.asarray(pvals[row], dtype=np.float64)
        q = benjamini_hochberg(p)
        for t in np.argsort(p, kind="stable")[:n_best]:
            if q[t] >= max_q:
                break
            out[i].matches.append(
                MotifMatch(
                    target=int(t),
                    id=targets[t].id,
                    name=targets[t].name,
                    p=float(p[t]),
                    q=float(q[t]),
                    offset=int(offsets[row, t]),
                    strand="-" if int(strands[row, t]) else "+",
                )
            )
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values of a vector of p-values (NaN treated as 1)."""
    p = np.where(np.isfinite(p), np.asarray(p, dtype=np.float64), 1.0)
    n = p.size
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def recovery(matches: Sequence[FilterMatches], planted: Sequence[str], max_q: float = 0.05) -> dict:
    """Which planted motifs some filter matches at q < ``max_q``.

    Args:
        matches: :func:`tomtom_matches` output.
        planted: JASPAR ids of the planted motifs (e.g. from ``manifest.json``).

    Returns:
        ``{"planted": n, "recovered": [ids], "fraction": f, "best_match": [ids],
        "by_motif": {id: [unit labels]}}``; ``best_match`` lists the planted motifs that are
        some filter's top hit (a stricter reading).
    """
    by_motif: dict[str, list[int]] = {mid: [] for mid in planted}
    best: set[str] = set()
    for fm in matches:
        for rank, m in enumerate(fm.matches):
            if m.q < max_q and m.id in by_motif:
                by_motif[m.id].append(fm.motif.label)
                if rank == 0:
                    best.add(m.id)
    recovered = [mid for mid in planted if by_motif[mid]]
    n = len(planted)
    return {
        "planted": n,
        "max_q": max_q,
        "recovered": recovered,
        "fraction": len(recovered) / n if n else float("nan"),
        "best_match": [mid for mid in planted if mid in best],
        "by_motif": by_motif,
    }
