"""Helpers of the variant-effect tests: a small genome FASTA, a tiny saved model, VCF text,
and the window convention computed by hand with string slicing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genas.nn.build import build_model
from genas.nn.model_file import save_model
from genas.seq.alphabet import encode, reverse_complement, to_float
from genas.seq.fasta import FastaRecord, write_fasta

VCF_HEADER = (
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=chr1,length=300>\n"
    "##contig=<ID=chr2,length=60>\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
)
TASKS = ["taskA", "taskB"]


def genome_sequences() -> dict[str, str]:
    """chr1: 300 bp (bases 100-119 soft-masked, lower case), chr2: 60 bp; seeded."""
    rng = np.random.default_rng(42)
    letters = np.array(list("ACGT"))
    chr1 = "".join(letters[rng.integers(0, 4, 300)])
    chr1 = chr1[:100] + chr1[100:120].lower() + chr1[120:]
    chr2 = "".join(letters[rng.integers(0, 4, 60)])
    return {"chr1": chr1, "chr2": chr2}


def write_genome(folder: Path) -> Path:
    path = folder / "genome.fa"
    write_fasta(path, [FastaRecord(k, v) for k, v in genome_sequences().items()], width=60)
    return path


def write_vcf(path: Path, lines: list[str]) -> Path:
    path.write_text(VCF_HEADER + "".join(line + "\n" for line in lines))
    return path


def save_tiny_model(folder: Path, input_length: int = 11) -> Path:
    """A DeepBind-like net with seeded weights (4 filters k3, 2 tasks) saved as a run."""
    torch.manual_seed(0)
    spec = {"reference": "deepbind", "filters": 4, "kernel_size": 3, "hidden": 4}
    model = build_model(spec, input_length, len(TASKS))
    with torch.no_grad():  # larger weights: predictions that move with single bases
        for p in model.parameters():
            p.mul_(3.0)
    save_model(folder, model, spec, input_length=input_length, task_names=TASKS)
    return folder


def save_task_model(
    folder: Path,
    task_type: str,
    loss: str,
    target_transform: str | None = None,
    input_length: int = 11,
    *,
    ensemble: bool = False,
) -> Path:
    """A seeded DeepBind-like net saved as a ``task_type`` run: tasks ``t0``, ``t1``
    (regression) or classes ``A_site``, ``B_site``, ``none`` (multiclass, task ``factor``);
    with ``ensemble``, two such members combined as the loss says."""
    from genas.train.task import TaskSpec

    if task_type == "multiclass":
        task = TaskSpec(task_type, ("factor",), ("A_site", "B_site", "none"), loss)
    else:
        task = TaskSpec(task_type, ("t0", "t1"), None, loss, target_transform)
    torch.manual_seed(1)
    spec = {"reference": "deepbind", "filters": 4, "kernel_size": 3, "hidden": 4}
    if ensemble:
        spec = {"ensemble": [spec, spec], "combine": task.ensemble_combine}
    model = build_model(spec, input_length, task.n_outputs)
    with torch.no_grad():  # larger weights: outputs that move with single bases
        for p in model.parameters():
            p.mul_(3.0)
    save_model(folder, model, spec, input_length=input_length,
               task_names=list(task.task_names), **task.model_meta())  # fmt: skip
    return folder


def hand_windows(seq: str, pos: int, ref: str, alt: str, length: int) -> tuple[str, str]:
    """The documented convention with plain string slicing: (ref window, alt window)."""

    def span(a: int, b: int) -> str:
        return "".join(seq[i] if 0 <= i < len(seq) else "N" for i in range(a, b))

    p0 = pos - 1
    left_ref = length // 2 - len(ref) // 2
    ref_window = span(p0 - left_ref, p0 - left_ref + length)
    left_alt = length // 2 - len(alt) // 2
    right = length - left_alt - len(alt)
    alt_window = span(p0 - left_alt, p0) + alt + span(p0 + len(ref), p0 + len(ref) + right)
    return ref_window, alt_window


def probabilities(model, windows: list[str], rc_average: bool = False) -> np.ndarray:
    """sigmoid(model(x)) for window strings, optionally averaged with the reverse strand."""
    x = torch.from_numpy(to_float(encode(windows, invalid="N")))
    with torch.no_grad():
        p = torch.sigmoid(model(x))
        if rc_average:
            p = 0.5 * (p + torch.sigmoid(model(reverse_complement(x))))
    return p.numpy().astype(np.float64)
