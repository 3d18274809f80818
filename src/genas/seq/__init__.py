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
from genas.seq.bed import Interval, iter_bed, read_bed, resize
from genas.seq.fasta import FastaRecord, open_text, read_fasta, write_fasta
from genas.seq.genome import Genome
from genas.seq.shuffle import dinucleotide_shuffle, shuffle_onehot

__all__ = [
    "ALPHABET",
    "FastaRecord",
    "Genome",
    "Interval",
    "InvalidBaseError",
    "decode",
    "dinucleotide_shuffle",
    "encode",
    "iter_bed",
    "open_text",
    "read_bed",
    "read_fasta",
    "resize",
    "reverse_complement",
    "reverse_complement_str",
    "shuffle_onehot",
    "to_float",
    "write_fasta",
]
