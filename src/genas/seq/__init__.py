"""DNA as data: alphabet and one-hot, reverse complement, FASTA, BED, reference genome, shuffles."""

from genas.seq.alphabet import (
    ALPHABET,
    InvalidBaseError,
    decode,
    encode,
    reverse_complement,
    reverse_complement_str,
    to_float,
)

__all__ = [
    "ALPHABET",
    "InvalidBaseError",
    "decode",
    "encode",
    "reverse_complement",
    "reverse_complement_str",
    "to_float",
]
