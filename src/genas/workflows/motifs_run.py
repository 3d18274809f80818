"""`genas motifs RUN_DIR`: what a trained model's units respond to, as motifs, vs JASPAR.

Writes into ``RUN_DIR/motifs/``: ``filters.meme`` (one matrix per unit with enough
activating windows and information), ``matches.tsv`` (unit → JASPAR matches at q < ``max_q``
with TOMTOM p and q values),
``motifs.json`` (settings, per-filter summary and, for `genas simulate` data, the recovery of
the planted motifs); and ``RUN_DIR/plots/filter_logos.png``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch import nn

from genas.analysis.motifs import (
    MIN_BITS,
    MIN_MEAN_BITS,
    FilterMatches,
    default_layers,
    filter_pfms,
    recovery,
    tomtom_matches,
)
from genas.data.motifs import Motif, consensus, load_jaspar, read_meme, write_meme
from genas.errors import GenasError, InputError, missing_file
from genas.fileio import atomic_write_json, atomic_write_text
from genas.nn.ensemble import Ensemble
from genas.nn.model_file import LoadedModel, load_model
from genas.run_files import (
    CONFIG_YAML,
    FILTER_LOGOS_PNG,
    FILTERS_MEME,
    MATCHES_TSV,
    MOTIFS_DIR,
    MOTIFS_JSON,
    PLOTS_DIR,
)
from genas.run_lock import locks_run_folder
from genas.train.device import resolve_device

SPLITS = ("train", "valid", "test")


@dataclass
class MotifsResult:
    matches: list[FilterMatches]
    targets: list[Motif]
    recovery: dict | None
    n_sequences: int
    source: str
    out_dir: Path
    max_q: float  # the matches kept have q below this
    network: str  # whose units: "the model" or "the ensemble's first member (of 3)"


def load_sequences(
    run_dir: Path,
    loaded: LoadedModel,
    data: str | Path | None = None,
    genome: str | Path | None = None,
    split: str = "train",
    max_sequences: int = 5000,
) -> tuple[np.ndarray, str, Path | None]:
    """Sequences for the analysis: uint8 (N, 4, L), where they came from, and their folder.

    ``data``: FASTA, a .csv/.tsv table (``sequence`` column), BED (with ``genome``) or genas
    HDF5; without it, ``split`` of the data in
    the run's ``config.yaml``. At most ``max_sequences`` (the first ones) are used.
    """
    if split not in SPLITS:
        raise GenasError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if data is not None:
        data = Path(data)
        if not data.is_file():
            raise missing_file(data)
        if data.suffix.lower() in (".h5", ".hdf5"):
            from genas.data.source_hdf5 import open_hdf5_split

            dataset = open_hdf5_split(data, 4096, loaded.input_length, loaded.fit_length)
            n = min(len(dataset), max_sequences)
            x = dataset.get_batch(np.arange(n))[0]
        else:
            from genas.data.inputs import iter_prediction_input

            batches, n = [], 0  # read only the first max_sequences of a large file
            for _, x in iter_prediction_input(
                data, loaded.input_length, genome=genome, fit_length=loaded.fit_length
            ):
                batches.append(x[: max_sequences - n])
                n += len(batches[-1])
                if n >= max_sequences:
                    break
            x = np.concatenate(batches)
        return x, str(data), data.parent
    from genas.config import load_config
    from genas.data import load_splits

    config_path = run_dir / CONFIG_YAML
    if not config_path.is_file():
        raise GenasError(f"{config_path}: not found; give the sequences with --data")
    config = load_config(config_path)
    dataset = getattr(load_splits(config.data, config.seed), split)
    if dataset is None:
        raise GenasError(f"{config_path}: the data has no {split} split; pick another --split")
    n = min(len(dataset), max_sequences)
    x = dataset.get_batch(np.arange(n))[0]
    return x, f"{split} split of {config_path}", data_folder(config)


def data_folder(config) -> Path | None:
    """Folder of a run config's training data file (where `genas simulate` puts its manifest)."""
    train = getattr(config.data, "train", None) if config is not None else None
    return train.parent if isinstance(train, Path) else None


def find_manifest(folder: Path | None) -> Path | None:
    """``folder/manifest.json`` if it is a `genas simulate` manifest."""
    if folder is None:
        return None
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        return path if "genas_simulation" in json.loads(path.read_text()) else None
    except json.JSONDecodeError:
        return None


def planted_motif_ids(manifest: Path) -> list[str]:
    """JASPAR ids of the motifs a `genas simulate` manifest says were planted."""
    try:
        return [m["id"] for m in json.loads(manifest.read_text())["motifs"]]
    except json.JSONDecodeError as exc:
        raise InputError(manifest, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    except (KeyError, TypeError):
        raise InputError(
            manifest, "no 'motifs' list with 'id's (not a genas simulate manifest)"
        ) from None


@locks_run_folder
def motifs_run(
    run_dir: str | Path,
    *,
    data: str | Path | None = None,
    genome: str | Path | None = None,
    split: str = "train",
    max_sequences: int = 5000,
    layers: str = "auto",
    threshold: float = 0.8,
    motif_db: str | Path | None = None,
    release: str = "JASPAR2024",
    manifest: str | Path | None = None,
    max_q: float = 0.05,
    n_logos: int = 12,
    sequences: tuple[np.ndarray, str, Path | None] | None = None,
    loaded: LoadedModel | None = None,
    device: str = "auto",
    log=print,
) -> MotifsResult:
    """Units → matrices → TOMTOM against JASPAR (or ``motif_db``, a MEME file); write files.

    ``layers``: ``"stem"`` (the first convolution), searched layer indices (``"0,1"``), a
    mix (``"stem,2"``), or ``"auto"``: the stem and, in a genas space network, every searched
    layer up to the first reduction (see :mod:`genas.analysis.motifs` for why).

    Only matches at q < ``max_q`` are kept, written and drawn. A `genas simulate`
    ``manifest.json`` (given, or found beside the data) adds the fraction of planted motifs
    that some filter matches. ``sequences`` (x, source,
    folder) and ``loaded`` skip reading the data and the model again (``loaded`` stays on
    its device; otherwise the model is loaded onto ``device``: auto, cpu, cuda, cuda:N).
    """
    from genas.report.plots import plot_filter_logos, save_png

    run_dir = Path(run_dir)
    loaded = loaded or load_model(run_dir, device=resolve_device(device))
    if sequences is None:
        sequences = load_sequences(run_dir, loaded, data, genome, split, max_sequences)
    x, source, folder = sequences
    manifest_path = Path(manifest) if manifest is not None else find_manifest(folder)
    if manifest_path is not None and not manifest_path.is_file():
        raise missing_file(manifest_path)
    planted = planted_motif_ids(manifest_path) if manifest_path is not None else None
    targets = read_meme(motif_db) if motif_db is not None else load_jaspar(release=release)
    model, network = analysed_network(loaded.model)
    chosen = parse_layers(layers, model)
    log(f"motifs: {len(x)} sequences from {source}; units of {network}")
    filters = [
        unit
        for layer in chosen
        for unit in filter_pfms(model, x, layer=layer, threshold=threshold, n_value=loaded.n_value)
    ]
    matches = tomtom_matches(filters, targets, max_q=max_q, n_best=10)
    recovered = None
    if planted is not None:
        recovered = recovery(matches, planted, max_q=max_q)
        recovered["manifest"] = str(manifest_path)
        log(
            f"planted motifs recovered (q < {max_q:g}): {len(recovered['recovered'])}/"
            f"{recovered['planted']} ({recovered['fraction']:.0%})"
        )
    out_dir = run_dir / MOTIFS_DIR
    write_meme(out_dir / FILTERS_MEME, [f.to_motif() for f in filters if f.pfm is not None])
    atomic_write_text(out_dir / MATCHES_TSV, matches_tsv(matches))
    summary = {
        "sequences": len(x),
        "source": source,
        "network": network,
        "layers": ["stem" if layer is None else layer for layer in chosen],
        "threshold": threshold,
        "min_bits": MIN_BITS,
        "min_mean_bits": MIN_MEAN_BITS,
        "max_q": max_q,
        "database": str(motif_db) if motif_db is not None else f"{release} CORE vertebrates",
        "targets": len(targets),
        "filters": [_filter_summary(fm) for fm in matches],
        "recovery": recovered,
    }
    atomic_write_json(out_dir / MOTIFS_JSON, summary)
    logos = plot_filter_logos(matches, targets, n=n_logos, max_q=max_q)
    save_png(logos, run_dir / PLOTS_DIR / FILTER_LOGOS_PNG)
    n_matched = sum(1 for fm in matches if fm.best_at(max_q))
    log(f"{n_matched}/{len(matches)} units match a database motif at q < {max_q:g}; "
        f"tables in {out_dir}")  # fmt: skip
    return MotifsResult(matches, list(targets), recovered, len(x), source, out_dir, max_q, network)


def analysed_network(model: nn.Module) -> tuple[nn.Module, str]:
    """The network whose units are analysed, and how the report names it: the model, or an
    ensemble's first member (the best-ranked retrained architecture: members are trained
    separately, so their units are different detectors and are not pooled)."""
    if isinstance(model, Ensemble):
        return model.members[0], f"the ensemble's first member (of {len(model.members)})"
    return model, "the model"


def parse_layers(text: str, model) -> list[int | None]:
    """``"auto"``, ``"stem"``, ``"0,2"``, ``"stem,1"`` → layers for :func:`filter_pfms`
    (``None`` = the first convolution)."""
    space = getattr(model, "space", None)
    n_layers = len(model.layers) if space is not None else 0
    if text.strip() == "auto":
        return default_layers(model)
    out: list[int | None] = []
    for item in (t.strip() for t in text.split(",")):
        if item == "stem":
            out.append(None)
        elif item.isdigit() and int(item) < n_layers:
            out.append(int(item))
        else:
            known = f"0..{n_layers - 1}" if n_layers else "none: not a genas space network"
            raise GenasError(
                f"--layers: {item!r} is not 'auto', 'stem' or a searched layer (layers: {known})"
            )
    return out


def _filter_summary(fm: FilterMatches) -> dict:
    best = fm.best
    return {
        "unit": fm.motif.label,
        "layer": fm.motif.layer,
        "filter": fm.motif.filter,
        "n_sites": fm.motif.n_sites,
        "consensus": consensus(fm.motif.pfm) if fm.motif.pfm is not None else None,
        "best_match": None
        if best is None
        else {"id": best.id, "name": best.name, "p": best.p, "q": best.q, "strand": best.strand},
    }


MATCH_COLUMNS = (
    "unit",
    "n_sites",
    "consensus",
    "rank",
    "id",
    "name",
    "p",
    "q",
    "strand",
    "offset",
)


def matches_tsv(matches: list[FilterMatches]) -> str:
    """One line per (filter, match); a filter without matches gets one line with empty fields."""
    lines = ["\t".join(MATCH_COLUMNS)]
    for fm in matches:
        motif = fm.motif
        cons = consensus(motif.pfm) if motif.pfm is not None else ""
        head = [motif.label, str(motif.n_sites), cons]
        if not fm.matches:
            lines.append("\t".join(head + [""] * 7))
        for rank, m in enumerate(fm.matches, start=1):
            cells = [str(rank), m.id, m.name, f"{m.p:.3g}", f"{m.q:.3g}", m.strand, str(m.offset)]
            lines.append("\t".join(head + cells))
    return "\n".join(lines) + "\n"
