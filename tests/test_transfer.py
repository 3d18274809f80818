"""Zero-shot architecture transfer: task descriptors, the transfer model, `genas transfer`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import planted_sequences
from typer.testing import CliRunner

from genas.cli import app
from genas.config import parse_config
from genas.data import ArrayDataset, DataSplits, load_splits
from genas.errors import GenasError, InputError
from genas.run_files import (
    BEST_ARCHITECTURE,
    CONFIG_YAML,
    HISTORY_JSONL,
    METRICS_JSON,
    TRANSFER_JSON,
    write_config,
)
from genas.search.descriptors import (
    base_codes,
    canonical_counts,
    canonical_kmers,
    descriptor_names,
    task_descriptor,
)
from genas.search.history import append_jsonl
from genas.search.transfer import (
    cross_validate,
    rank_targets,
    read_transfer_model,
    scored_architectures,
)
from genas.seq.fasta import FastaRecord, write_fasta
from genas.space import Architecture, get_space
from genas.workflows.transfer_run import transfer_fit, transfer_propose

runner = CliRunner()
#: 2 layers x 3 ops, no skips: 9 architectures.
SPACE = {
    "name": "transfer-test",
    "ops": ["conv_k7", "conv_k3", "maxpool_k3"],
    "n_layers": 2,
    "filters": 4,
    "skips": False,
    "stem": {"kernel_size": 4, "filters": 4},
    "head": {"type": "global_pool", "units": 0, "dropout": 0.0},
}
LONG, SHORT = "TGACTCAGCATT", "CACGTG"  # two planted motifs


def _quiet(_line: str) -> None:
    pass


# ------------------------------------------------------------------------ descriptors


def _splits(n_pos: int, n_neg: int, motif: str | None = LONG, seed: int = 0) -> DataSplits:
    """One binary task of 60 bp sequences held in memory; positives carry ``motif``."""
    from genas.data.encoding import encode_records

    rng = np.random.default_rng(seed)
    seqs = planted_sequences(rng, n_pos, 60, motif) + planted_sequences(rng, n_neg, 60, None)
    x = encode_records([f"s{i}" for i in range(len(seqs))], seqs, 60)
    y = np.array([[1.0]] * n_pos + [[0.0]] * n_neg, dtype=np.float32)
    return DataSplits(ArrayDataset(x, y), None, None, ["site"], None, 60)


def test_kmer_counts_by_hand():
    x = np.zeros((1, 4, 6), dtype=np.uint8)
    for position, base in enumerate([0, 1, 2, 3, 0, 0]):  # ACGTAA
        x[0, base, position] = 1
    x[0, :, 5] = 1  # N: the window over it does not count
    counts = canonical_counts(base_codes(x), 3)
    kmers = canonical_kmers(3)
    assert len(kmers) == 32 and len(canonical_kmers(4)) == 136
    found = {kmers[i]: c for i, c in enumerate(counts[0]) if c}
    # ACG (= CGT, its reverse complement) twice: ACG and CGT; GTA = TAC once
    assert found == {"ACG": 2, "GTA": 1}


def test_descriptor_is_deterministic_and_sees_the_motif():
    splits = _splits(120, 120)
    first = task_descriptor(splits)
    assert first.shape == (len(descriptor_names()),)
    assert np.array_equal(first, task_descriptor(_splits(120, 120)))
    # a seeded subset: the same seed reads the same sequences
    assert np.array_equal(
        task_descriptor(splits, max_sequences=200, seed=4),
        task_descriptor(splits, max_sequences=200, seed=4),
    )
    names = descriptor_names()
    top = names[int(np.argmax(first[: len(canonical_kmers(3))]))]
    assert top.removeprefix("kmer3_") in {"TGA", "TCA", "GAC", "GTC", "ACT", "AGT", "CTC",
                                          "GAG", "CAG", "CTG", "AGC", "GCT", "GCA", "TGC",
                                          "CAT", "ATG", "ATT", "AAT"}  # fmt: skip
    other = task_descriptor(_splits(120, 120, motif=SHORT))
    spectrum = slice(0, len(canonical_kmers(3)) + len(canonical_kmers(4)))
    assert float(first[spectrum] @ other[spectrum]) < 1.0  # unit vectors per k: sum < 2


def test_too_few_positives_is_one_line_naming_the_task():
    with pytest.raises(GenasError, match=r"task 'site': 30 positive .* at least 50"):
        task_descriptor(_splits(30, 200))
    with pytest.raises(GenasError, match="negative"):
        task_descriptor(_splits(200, 10))


def test_rank_targets_and_scored_architectures():
    assert rank_targets([0.7, 0.9, 0.8]).tolist() == [-0.5, 0.5, 0.0]
    rows = [
        {"tokens": [0, 1], "reward": 0.6},
        {"tokens": [0, 1], "reward": 0.8},
        {"tokens": [1, 1], "reward": None},
        {"tokens": [2, 1], "reward": 0.5, "valid": False},
    ]
    scored = scored_architectures(rows)
    assert [(a.tokens, round(a.reward, 6)) for a in scored] == [([0, 1], 0.7)]


# ----------------------------------------------------------------- fit and propose


def _fasta_task(root: Path, name: str, motif: str | None, seed: int, n_pos: int = 120) -> dict:
    """A one-task FASTA data config (60 bp; positives carry ``motif``) under ``root``."""
    rng = np.random.default_rng(seed)
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for kind, planted, n in (("pos", motif, n_pos), ("neg", None, 120)):
        records = [FastaRecord(f"{kind}{i}", s)
                   for i, s in enumerate(planted_sequences(rng, n, 60, planted))]  # fmt: skip
        write_fasta(folder / f"{kind}.fa", records)
    return {"format": "fasta", "task": name, "valid_fraction": 0.25,
            "train": {"positives": [str(folder / "pos.fa")],
                      "negatives": [str(folder / "neg.fa")]}}  # fmt: skip


def _reward(tokens: list[int], motif: str) -> float:
    """The made-up search reward: the long motif's tasks favour conv_k7 (op 0) in layer 0,
    the short motif's conv_k3 (op 1); layer 1 adds a little noise-free spread."""
    favoured = 0 if motif == LONG else 1
    return 0.7 + 0.2 * (tokens[0] == favoured) + 0.01 * tokens[1]


def _search_run(root: Path, name: str, motif: str, seed: int, space: Path) -> Path:
    """A search run folder whose history scored all 9 architectures by :func:`_reward`."""
    run = root / f"run_{name}"
    run.mkdir(parents=True)
    raw = {
        "seed": 1,
        "data": _fasta_task(root / "data", name, motif, seed),
        "search": {"space": str(space), "strategy": "random", "evaluator": "independent"},
    }
    write_config(run, parse_config(raw, root))
    rows = [
        {"step": 0, "index": i, "arch_hash": f"h{i}", "tokens": [a, b],
         "reward": _reward([a, b], motif)}
        for i, (a, b) in enumerate((a, b) for a in range(3) for b in range(3))
    ]  # fmt: skip
    append_jsonl(run / HISTORY_JSONL, rows)
    return run


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict:
    """Four search runs (two tasks of each motif), a transfer model fitted to them, and
    configs of new tasks."""
    root = tmp_path_factory.mktemp("transfer")
    space = root / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    runs = [
        _search_run(root, name, motif, seed, space)
        for name, motif, seed in (("long1", LONG, 1), ("short1", SHORT, 2),
                                  ("long2", LONG, 3), ("short2", SHORT, 4))
    ]  # fmt: skip
    model = root / "model.json"
    transfer_fit(runs, model, log=_quiet)
    configs = {}
    for name, motif, n_pos in (("new_long", LONG, 120), ("new_short", SHORT, 120),
                               ("few", LONG, 20)):  # fmt: skip
        raw = {"seed": 2, "data": _fasta_task(root / "data", name, motif, 10 + n_pos, n_pos),
               "train": {"max_epochs": 1, "batch_size": 32, "device": "cpu"}}  # fmt: skip
        path = root / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw))
        configs[name] = path
    return {"root": root, "runs": runs, "model": model, "configs": configs, "space": space}


def test_fit_learns_which_architectures_suit_which_task(fitted):
    model = read_transfer_model(fitted["model"])
    assert [t.name for t in model.tasks] == ["long1", "short1", "long2", "short2"]
    assert model.space_digest == get_space(str(fitted["space"])).content_digest()
    # the tasks disagree, so pooling them cannot rank a held-out task; the descriptor can
    assert model.settings.task_scale is not None
    assert all(rho is not None and rho > 0.5 for rho in model.cross_validation.values())


def test_a_task_of_equal_rewards_has_no_cross_validated_rho_and_no_warning(fitted):
    import warnings

    model = read_transfer_model(fitted["model"])
    for arch in model.tasks[0].archs:
        arch.reward = 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's ConstantInputWarning would fail the test
        rho = cross_validate(get_space(model.space), model.tasks, model.settings)
    assert rho[model.tasks[0].name] is None


def test_proposal_differs_between_tasks_of_different_motifs(fitted, tmp_path):
    space = get_space(str(fitted["space"]))
    chosen = {}
    for name in ("new_long", "new_short"):
        config = _load(fitted["configs"][name])
        proposal = transfer_propose(
            fitted["model"], config, tmp_path / name, train=False, log=_quiet
        )
        chosen[name] = proposal.architecture
        best = json.loads((tmp_path / name / BEST_ARCHITECTURE).read_text())
        assert best["tokens"] == proposal.architecture.to_tokens()
        assert best["chosen_by"] == "transfer"
        listed = json.loads((tmp_path / name / TRANSFER_JSON).read_text())
        assert listed["candidates"] == space.size  # a 9-architecture space: all ranked
        assert not (tmp_path / name / METRICS_JSON).exists()  # --no-train
    assert space.op(0, chosen["new_long"].ops[0]).label == "conv_k7"
    assert space.op(0, chosen["new_short"].ops[0]).label == "conv_k3"


def test_cli_round_trip_trains_the_proposal(fitted, tmp_path):
    model = tmp_path / "model.json"
    result = runner.invoke(app, ["transfer", "fit", *map(str, fitted["runs"]), "-o", str(model)])
    assert result.exit_code == 0, result.output
    assert "Spearman" in result.output and read_transfer_model(model).tasks
    run = tmp_path / "run"
    args = ["transfer", "propose", str(model), "--data", str(fitted["configs"]["new_long"]),
            "--out", str(run), "--quiet", "--samples", "0"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((run / METRICS_JSON).read_text())
    assert metrics["valid"]["summary"]["n_tasks"] == 1
    saved = _load(run / CONFIG_YAML)
    arch = Architecture.from_json(run / BEST_ARCHITECTURE, get_space(saved.search.space))
    assert saved.model.architecture == arch.to_tokens()  # trained as `retrain` does
    assert saved.search.retrain_top_k == 1
    # a second proposal into the same folder is allowed; another run's folder is not
    assert runner.invoke(app, [*args, "--no-train"]).exit_code == 0
    _one_line_error(
        runner.invoke(app, [*args[:-5], "--out", str(fitted["runs"][0]), "--no-train"]),
        "holds another run",
    )


def test_too_few_positives_on_the_cli_writes_nothing(fitted, tmp_path):
    run = tmp_path / "run"
    result = runner.invoke(app, ["transfer", "propose", str(fitted["model"]), "--data",
                                 str(fitted["configs"]["few"]), "--out", str(run)])  # fmt: skip
    _one_line_error(result, "few.yaml", "task 'few'", "positive training sequences")
    assert not run.exists()


def test_a_task_of_another_space_is_refused(fitted, tmp_path):
    raw = yaml.safe_load(fitted["configs"]["new_long"].read_text())
    raw["search"] = {"space": "small"}
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(raw))
    run = tmp_path / "run"
    result = runner.invoke(app, ["transfer", "propose", str(fitted["model"]), "--data",
                                 str(path), "--out", str(run)])  # fmt: skip
    _one_line_error(result, "model space 'small' differs from")
    assert not run.exists()


def test_a_model_with_tokens_outside_its_space_is_refused(fitted, tmp_path):
    raw = json.loads(Path(fitted["model"]).read_text())
    raw["tasks"][0]["archs"][1]["tokens"] = [99] * len(raw["tasks"][0]["archs"][1]["tokens"])
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(raw))
    run = tmp_path / "run"
    result = runner.invoke(app, ["transfer", "propose", str(edited), "--data",
                                 str(fitted["configs"]["new_long"]), "--out", str(run)])
    _one_line_error(result, "edited.json", "architecture 2:")
    assert not run.exists()


def test_fit_refuses_runs_of_two_spaces_and_bad_models(fitted, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    raw = yaml.safe_load((fitted["runs"][1] / CONFIG_YAML).read_text())
    raw["search"]["space"] = "small"
    (other / CONFIG_YAML).write_text(yaml.safe_dump(raw))
    out = tmp_path / "model.json"
    with pytest.raises(GenasError, match="differs from"):
        transfer_fit([fitted["runs"][0], other], out, log=_quiet)
    with pytest.raises(GenasError, match="at least 2 tasks"):
        transfer_fit([fitted["runs"][0]], out, log=_quiet)
    with pytest.raises(GenasError, match="given twice"):
        transfer_fit([fitted["runs"][0], fitted["runs"][1], str(fitted["runs"][0]) + "/"],
                     out, log=_quiet)
    assert not out.exists()
    out.write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not a transfer model"):
        read_transfer_model(out)


# ------------------------------------------------------------------------------ helpers


def _load(path: Path):
    from genas.config import load_config

    return load_config(path)


def _one_line_error(result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_descriptor_of_a_loaded_dataset(tiny_fasta):
    config = parse_config({"data": tiny_fasta}, Path("."))
    descriptor = task_descriptor(load_splits(config.data, 0))
    assert np.isfinite(descriptor).all()
