"""FASTA files per class -> one binary task (positives 1, negatives 0)."""

from __future__ import annotations

import numpy as np

from genas.config import FastaClassFiles, FastaData
from genas.data.dataset import ArrayDataset, DataSplits
from genas.data.encoding import encode_records
from genas.data.origins import SequenceOrigins
from genas.seq.fasta import read_fasta
from genas.seq.shuffle import dinucleotide_shuffle


def _first_length(cfg: FastaData) -> tuple[int, str]:
    """Input length L and where it came from (config, or the first training record)."""
    if cfg.length is not None:
        return cfg.length, "data.length"
    path = cfg.train.positives[0]
    record = next(read_fasta(path))
    return len(record.sequence), f"the length of {record.name!r}, the first record of {path.name}"


def _load_class_files(
    files: FastaClassFiles, cfg: FastaData, length: int, source: str, rng: np.random.Generator
) -> ArrayDataset:
    """Encode one split's positives, negatives and shuffled negatives.

    Returns:
        ArrayDataset: x uint8 (N, 4, L), y float32 (N, 1), with each record's name.
    """
    xs, ys, origins = [], [], []

    def add(path, names, seqs, label, lines):
        x = encode_records(
            names, seqs, length, cfg.fit_length, cfg.invalid_bases, path, source, lines=lines
        )
        xs.append(x)
        ys.append(np.full((len(x), 1), label, dtype=np.float32))
        origins.append(SequenceOrigins.of_records(names, [len(s) for s in seqs], length))

    for path in files.positives:
        records = list(read_fasta(path))
        names = [r.name for r in records]
        seqs = [r.sequence for r in records]
        lines = [r.line for r in records]
        add(path, names, seqs, 1.0, lines)
        for k in range(files.shuffled_negatives):
            shuffled = [dinucleotide_shuffle(s, rng) for s in seqs]
            add(path, [f"{n}|shuffle{k}" for n in names], shuffled, 0.0, lines)
    for path in files.negatives:
        records = list(read_fasta(path))
        names, seqs = [r.name for r in records], [r.sequence for r in records]
        add(path, names, seqs, 0.0, [r.line for r in records])
    return ArrayDataset(
        np.concatenate(xs), np.concatenate(ys), SequenceOrigins.concatenate(origins)
    )


def load_fasta_source(cfg: FastaData, seed: int) -> DataSplits:
    """Read the splits given as FASTA files; missing valid/test splits are None.

    Raises:
        InputError: from the FASTA reader or encoder, naming file and record (an empty file,
            a record of the wrong length, an invalid letter).
    """
    length, source = _first_length(cfg)
    splits = {}
    for index, name in enumerate(("train", "valid", "test")):
        files = getattr(cfg, name)
        if files is None:
            splits[name] = None
            continue
        rng = np.random.default_rng([seed, 101, index])
        splits[name] = _load_class_files(files, cfg, length, source, rng)
    return DataSplits(
        train=splits["train"],
        valid=splits["valid"],
        test=splits["test"],
        task_names=[cfg.task],
        task_groups=None,
        input_length=length,
    )
