"""`genas marginalize RUN_DIR -o OUT`: which known motifs move the model's predictions.

Every motif of JASPAR (or of a MEME file) is written, as its consensus, into the centre of
dinucleotide-shuffled sequences of the run's own data (or of ``--data``), and its effect on
each output is measured (:mod:`genas.analysis.marginalize`). A complement to `genas motifs`,
which reads motifs from the network's filters: this asks the whole network.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from genas.analysis.marginalize import marginalize
from genas.data.motifs import Motif, load_jaspar, read_meme
from genas.errors import GenasError, InputError
from genas.nn.model_file import load_model
from genas.seq.shuffle import shuffle_onehot
from genas.table_files import open_table, output_format
from genas.train.device import resolve_device
from genas.train.task import TaskSpec
from genas.workflows.motifs_run import load_sequences

#: The columns of the output, one row per motif and output.
COLUMNS = ("motif", "name", "consensus", "output", "effect", "se", "z", "before", "after")


def marginalize_run(
    run_dir: str | Path,
    out: str | Path,
    *,
    motif_ids: list[str] | None = None,
    motif_db: str | Path | None = None,
    release: str = "JASPAR2024",
    data: str | Path | None = None,
    genome: str | Path | None = None,
    n_backgrounds: int = 100,
    seed: int = 0,
    batch_size: int = 1024,
    device: str = "auto",
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Write the effect of each motif on each output to ``out`` (.tsv, .tsv.gz, .parquet),
    atomically, and return the table.

    Columns (:data:`COLUMNS`): ``motif`` (id), ``name``, ``consensus`` (the letters written),
    ``output`` (task or class), ``effect`` (mean change of the logit, value or log rate, or
    of a class's log probability, over the backgrounds and both strands), ``se`` (its
    standard error over the backgrounds), ``z`` (effect / se), ``before`` and ``after``
    (the mean prediction without and with the motif: probability, value or rate). Rows are
    sorted by output, then by effect, largest first.

    Backgrounds: dinucleotide shuffles (``seed``) of the first ``n_backgrounds`` sequences
    of the run's training data or of ``data`` (FASTA, table, BED with ``genome``, HDF5).
    Motifs: ``motif_ids`` of JASPAR ``release``, every motif of ``motif_db`` (MEME), or
    every CORE vertebrate motif of the release; those wider than the model's input are
    left out.

    Raises:
        GenasError: an output that is not a table, an unknown motif id, no motif that fits,
            fewer than 2 backgrounds; bad input files (one line, naming the file).
    """
    if output_format(out) == "hdf5":
        raise InputError(out, "the effects are a table: write .tsv, .tsv.gz or .parquet")
    if n_backgrounds < 2:
        raise GenasError(f"--backgrounds {n_backgrounds}: at least 2 (for a standard error)")
    motifs = _motifs(motif_ids, motif_db, release)
    loaded = load_model(run_dir, device=resolve_device(device))
    task = TaskSpec.from_model(loaded)
    length = loaded.input_length
    fitting = [m for m in motifs if m.width <= length]
    if not fitting:
        raise GenasError(f"no motif is at most {length} bp wide, the model's input length")
    x, _, _ = load_sequences(Path(run_dir), loaded, data, genome, max_sequences=n_backgrounds)
    if len(x) < 2:
        raise GenasError(f"{len(x)} background sequence: at least 2 are needed")
    backgrounds = shuffle_onehot(x, np.random.default_rng(seed))
    sites = [m.consensus for m in fitting]
    left_out = f" ({len(motifs) - len(fitting)} wider than {length} bp left out)" if len(
        fitting) < len(motifs) else ""  # fmt: skip
    log(f"marginalize: {len(fitting)} motifs{left_out} x {len(x)} backgrounds x 2 strands")
    found = marginalize(loaded.model, backgrounds, sites, task,
                        batch_size=batch_size, n_value=loaded.n_value)  # fmt: skip
    outputs = list(task.output_names)
    m, o = found.effect.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        z = found.effect / found.se
    table = pd.DataFrame({
        "motif": np.repeat([mo.id for mo in fitting], o),
        "name": np.repeat([mo.name for mo in fitting], o),
        "consensus": np.repeat(sites, o),
        "output": np.tile(outputs, m),
        "effect": found.effect.ravel(),
        "se": found.se.ravel(),
        "z": z.ravel(),
        "before": np.tile(found.before, m),
        "after": found.after.ravel(),
    })  # fmt: skip
    order = {name: i for i, name in enumerate(outputs)}
    table = table.sort_values(
        ["output", "effect"], key=lambda c: c.map(order) if c.name == "output" else -c,
        kind="stable",
    ).reset_index(drop=True)  # fmt: skip
    with open_table(out) as writer:
        writer.write_frame(table)
    return table


def _motifs(ids: list[str] | None, motif_db: str | Path | None, release: str) -> list[Motif]:
    """The motifs asked for (see :func:`marginalize_run`)."""
    if ids is not None and motif_db is not None:
        raise GenasError("give --motifs (JASPAR ids) or --motif-db (a MEME file), not both")
    if ids is not None and not ids:
        raise GenasError("--motifs: no motif id given")
    if motif_db is not None:
        return read_meme(motif_db)
    try:
        return load_jaspar(ids=ids, release=release)
    except ValueError as exc:
        raise GenasError(f"--motifs: {exc}") from None
