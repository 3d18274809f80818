"""Turning named sequences into fixed-length one-hot arrays, with errors that name the record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from genas.errors import InputError
from genas.seq.alphabet import InvalidBaseError, encode

FIT_MODES = ("error", "crop", "pad", "crop_or_pad")


def _fit_hint(fit_length: str, too_long: bool) -> str:
    if fit_length == "error":
        return "set fit_length (crop, pad or crop_or_pad)"
    return "set fit_length to " + ("crop or crop_or_pad" if too_long else "pad or crop_or_pad")


def fit_offset(n: int, length: int) -> int:
    """Where column 0 of an ``n``-bp record fitted to ``length`` bp lies in the record
    (0-based): a centre-cropped record starts ``(n - length) // 2`` bases in; a
    centre-padded one has ``(length - n) // 2`` padding columns before its first base (a
    negative offset). The one rule of :func:`encode_records` and :func:`fit_onehot`."""
    return (n - length) // 2 if n >= length else -((length - n) // 2)


def encode_records(
    names: Sequence[str],
    sequences: Sequence[str],
    length: int,
    fit_length: str = "error",
    invalid_bases: str = "error",
    path: str | Path | None = None,
    length_source: str | None = None,
    locate: Callable[[int, int], str] | None = None,
    lines: Sequence[int | None] | None = None,
) -> np.ndarray:
    """One-hot encode named sequences to exactly ``length`` bp.

    Longer sequences are centre-cropped (``fit_length`` crop / crop_or_pad), shorter ones
    centre-padded with padding columns (pad / crop_or_pad); otherwise a wrong length is an
    error. With ``invalid_bases="N"`` letters outside ACGTN are read as N.

    Args:
        names: N record names (for error messages).
        sequences: N strings.
        length: the output length L.
        fit_length: error, crop, pad or crop_or_pad.
        invalid_bases: error or N.
        path: the file the records came from (for error messages).
        length_source: where ``length`` came from, e.g. "the first record", for messages.
        locate: names where letter ``p`` (0-based) of sequence ``i`` (as given, before
            cropping) lies for an invalid letter's message, as ``locate(i, p)``: "chr1:1234"
            for a genome window, say, or a position net of padding the caller added;
            default "position p + 1".
        lines: the line of the file where each record starts (a FASTA header, a table
            row), for messages; None where unknown.

    Returns:
        uint8 array (N, 4, L).

    Raises:
        InputError: naming the file, the record and (given ``lines``) its line, for a wrong
            length or an invalid letter.
    """
    if fit_length not in FIT_MODES:
        raise ValueError(f"fit_length must be one of {FIT_MODES}, got {fit_length!r}")
    crop = fit_length in ("crop", "crop_or_pad")
    pad = fit_length in ("pad", "crop_or_pad")

    def line(i: int) -> int | None:
        return None if lines is None else lines[i]

    fitted: list[str] = []
    left_pad = np.zeros(len(sequences), dtype=np.int64)
    cropped = np.zeros(len(sequences), dtype=np.int64)  # bases cut off the left of each record
    for i, (name, seq) in enumerate(zip(names, sequences, strict=True)):
        n = len(seq)
        if n > length:
            if not crop:
                problem = _length_problem(name, n, length, length_source, fit_length)
                raise InputError(path, problem, line(i))
            start = cropped[i] = fit_offset(n, length)
            seq = seq[start : start + length]
        elif n < length:
            if not pad:
                problem = _length_problem(name, n, length, length_source, fit_length)
                raise InputError(path, problem, line(i))
            left_pad[i] = -fit_offset(n, length)
        fitted.append(seq)
    try:
        x = encode(fitted, length=length, invalid=invalid_bases)
    except InvalidBaseError as error:
        i, p = error.index, int(cropped[error.index] + error.position)
        where = locate(i, p) if locate is not None else f"position {p + 1}"
        raise InputError(
            path,
            f"record {names[i]!r}: invalid letter {error.letter!r} at {where} "
            "(data.invalid_bases: N in a config, "
            "or --invalid-as-n, reads such letters as N)",
            line(i),
        ) from None
    for i in np.flatnonzero(left_pad):
        shift, n = int(left_pad[i]), len(fitted[i])
        x[i, :, shift : shift + n] = x[i, :, :n].copy()
        x[i, :, :shift] = 0
    return x


def _length_problem(name: str, n: int, length: int, source: str | None, fit_length: str) -> str:
    expected = f"expected {length}" + (f" ({source})" if source else "")
    return f"record {name!r} is {n} bp, {expected}; {_fit_hint(fit_length, n > length)}"


def fit_onehot(x: np.ndarray, length: int) -> np.ndarray:
    """Centre-crop or centre-pad one-hot sequences to ``length`` columns.

    Args:
        x: uint8 (N, 4, L0).
        length: the output length L.

    Returns:
        uint8 (N, 4, L): the middle L columns of longer inputs; shorter inputs in the middle
        of padding (all-zero) columns, the extra column (odd difference) on the right.
    """
    current = x.shape[-1]
    if current == length:
        return x
    if current > length:
        start = fit_offset(current, length)
        return np.ascontiguousarray(x[..., start : start + length])
    out = np.zeros((*x.shape[:-1], length), dtype=x.dtype)
    start = -fit_offset(current, length)
    out[..., start : start + current] = x
    return out


def check_array_length(current: int, length: int | None, fit_length: str, path: str | Path) -> int:
    """The length arrays of ``current`` columns are served at, or an InputError.

    ``length`` None keeps ``current``; a different ``length`` needs a matching fit_length.
    """
    if length is None or length == current:
        return current
    too_long = current > length
    allowed = fit_length in (("crop", "crop_or_pad") if too_long else ("pad", "crop_or_pad"))
    if not allowed:
        raise InputError(
            path,
            f"sequences are {current} bp, expected {length}; {_fit_hint(fit_length, too_long)}",
        )
    return length
