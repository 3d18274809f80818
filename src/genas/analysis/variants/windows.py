"""The model's input windows around variants: the centring convention and the one-hot windows.

Convention (for a model of input length L and an allele of k bases, 1 <= k <= L):

- The allele occupies window indices ``[L//2 - k//2, L//2 - k//2 + k)``: its base ``k//2``
  (0-based) sits at index ``L//2``. A SNV (k = 1) at 1-based VCF position POS is at index
  ``L//2`` of a window that starts at genome position ``POS - 1 - L//2`` (0-based). With an
  odd L it has ``L//2`` bases on each side; with an even L, ``L//2`` on the left and
  ``L//2 - 1`` on the right.
- The reference window holds the genome's bases, REF's span included, centred on REF (k =
  ``len(REF)``). The alternative window is centred on ALT (k = ``len(ALT)``): the genome left
  of POS, ALT, then the genome from the end of REF's span, cut to L. So an indel is
  re-centred: ref and alt windows are both exactly L bases, each centred on its own allele,
  and the flanks shift by about half the length change. A substitution (``len(REF) ==
  len(ALT)``) changes only the allele's bases.
- Positions beyond a chromosome end are N. The reverse complement of a window (for strand
  averaging) has the allele's middle base at index ``L - 1 - L//2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genas.seq.alphabet import encode
from genas.seq.genome import Genome

#: Widest genome stretch fetched at once; variants further apart are fetched separately.
MAX_SPAN = 1 << 20


def allele_start(length: int, allele_length: int) -> int:
    """Window index of an allele's first base: ``length//2 - allele_length//2`` (see module)."""
    return length // 2 - allele_length // 2


def window_bounds(pos: int, ref_length: int, length: int) -> tuple[int, int]:
    """Genome interval [start, end) (0-based) of the reference window of a 1-based ``pos``."""
    start = pos - 1 - allele_start(length, ref_length)
    return start, start + length


class WindowMaker:
    """Reference and alternative windows of variants, one-hot, from an indexed genome.

    Variants of one chromosome within :data:`MAX_SPAN` of each other are cut from one fetch
    of the genome, and windows are gathered from its one-hot encoding with array indexing.

    Args:
        genome: the reference genome.
        length: the model's input length L.
    """

    def __init__(self, genome: Genome, length: int, max_span: int = MAX_SPAN):
        self.genome = genome
        self.length = int(length)
        self.max_span = max(int(max_span), 1)

    def make(
        self,
        chroms: Sequence[str],
        pos: np.ndarray,
        refs: Sequence[str],
        alts: Sequence[str],
        out: np.ndarray | None = None,
    ) -> tuple[np.ndarray, list[str]]:
        """Windows of n variants.

        Args:
            chroms: n chromosome names, all in the genome.
            pos: int (n,) 1-based positions.
            refs, alts: n alleles of 1 to L letters from ACGTN.
            out: optional uint8 (2n, 4, L) array to fill.

        Returns:
            x uint8 (2n, 4, L): the n reference windows, then the n alternative windows; and
            the n genome sequences under each REF span (upper case), for checking REF.
        """
        n, L = len(chroms), self.length
        x = np.empty((2 * n, 4, L), dtype=np.uint8) if out is None else out
        if n == 0:
            return x, []
        pos0 = np.asarray(pos, dtype=np.int64) - 1
        r = np.fromiter(map(len, refs), dtype=np.int64, count=n)
        a = np.fromiter(map(len, alts), dtype=np.int64, count=n)
        s_r = allele_start(L, r)
        s_a = allele_start(L, a)
        lo = pos0 - np.maximum(s_r, s_a)
        hi = np.maximum(pos0 - s_r + L, pos0 + r + L - s_a - a)
        genome_ref = [""] * n
        names, codes = np.unique(np.asarray(chroms, dtype=object), return_inverse=True)
        order = np.lexsort((lo, codes))
        cols = np.arange(L)
        for seg in self._segments(order, codes, lo, hi):
            chrom = names[codes[seg[0]]]
            seg_lo, seg_hi = int(lo[seg].min()), int(hi[seg].max())
            text = self.genome.fetch(chrom, seg_lo, seg_hi)
            onehot = encode(text, invalid="N")  # (4, S)
            starts = pos0[seg] - s_r[seg] - seg_lo
            x[seg] = onehot[:, starts[:, None] + cols].transpose(1, 0, 2)
            for i in seg:
                p = int(pos0[i] - seg_lo)
                genome_ref[i] = text[p : p + int(r[i])].upper()
            self._alt_windows(x, seg, n, onehot, pos0 - seg_lo, r, a, s_r, s_a, alts)
        return x, genome_ref

    def _segments(self, order, codes, lo, hi) -> list[np.ndarray]:
        """Split variant indices (sorted by chromosome, start) into fetchable groups."""
        segments, current, seg_lo = [], [], 0
        for i in order:
            if current and (codes[i] != codes[current[0]] or hi[i] - seg_lo > self.max_span):
                segments.append(np.asarray(current))
                current = []
            if not current:
                seg_lo = lo[i]
            current.append(i)
        if current:
            segments.append(np.asarray(current))
        return segments

    def _alt_windows(self, x, seg, n, onehot, p, r, a, s_r, s_a, alts) -> None:
        """Fill x[n + seg] from the reference windows x[seg] and the one-hot genome stretch."""
        L = self.length
        x[n + seg] = x[seg]
        snv = seg[(r[seg] == 1) & (a[seg] == 1)]
        if len(snv):
            letters = encode("".join(alts[i] for i in snv), invalid="N")  # (4, n_snv)
            x[n + snv, :, L // 2] = letters.T
        for i in seg[(r[seg] != 1) | (a[seg] != 1)]:
            allele = encode(alts[i], invalid="N")
            if r[i] == a[i]:
                x[n + i, :, s_r[i] : s_r[i] + r[i]] = allele
                continue
            left = onehot[:, p[i] - s_a[i] : p[i]]
            right_start = p[i] + r[i]
            right = onehot[:, right_start : right_start + L - s_a[i] - a[i]]
            x[n + i] = np.concatenate([left, allele, right], axis=1)
