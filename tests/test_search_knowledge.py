"""Knowledge-guided reward (search.knowledge): bad motifs, the score, the history, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn
from typer.testing import CliRunner

from genas.cli import app
from genas.config import KnowledgeConfig, parse_config
from genas.data import load_splits
from genas.data.dataset import ArrayDataset
from genas.data.motifs import Motif, load_jaspar, sample_codes, write_meme
from genas.search.evaluators.base import Score
from genas.search.history import read_jsonl, step_rows, write_history_csv
from genas.search.knowledge import KnowledgeScorer
from genas.search.loop import run_search
from genas.space import get_space, sample_architecture

SOX21 = "MA0866.1"  # 15 bp, 23 bits: unlike any random filter


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("motifs", "meme_text", "message"),
    [
        (["MA0866.1", "MA9999.1"], None,
         "search.knowledge.motifs: 'MA9999.1' is not a motif id of the bundled JASPAR2024"),
        ("missing.meme", None, "search.knowledge.motifs: "),
        ("bad.meme", "MEME version 4\n\nMOTIF x\nletter-probability matrix: w= 2\n0.5 0.5\n",
         "bad.meme:5: expected 4 columns"),
        (["MA0866", "MA0866.1"], None, "search.knowledge.motifs: MA0866.1 is given twice"),
    ],
)  # fmt: skip
def test_bad_motifs_are_one_line_and_write_nothing(tiny_fasta, tmp_path: Path, motifs,
                                                   meme_text, message):
    if meme_text is not None:
        (tmp_path / motifs).write_text(meme_text)
    config = {"data": tiny_fasta, "output": {"dir": str(tmp_path / "run")},
              "search": {"knowledge": {"motifs": motifs, "weight": 0.1}}}  # fmt: skip
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(app, ["search", str(tmp_path / "search.yaml")])
    assert result.exit_code == 1, result.output
    assert message in result.output
    if motifs == "missing.meme":
        assert "missing.meme: file not found" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- the score


def _planted_set(motif: Motif, n: int = 200, length: int = 100) -> ArrayDataset:
    """``n`` random sequences, each with one site drawn from ``motif``; all positive."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(n, length))
    for row in codes:
        at = int(rng.integers(0, length - motif.width))
        row[at : at + motif.width] = sample_codes(motif.pfm, 1, rng)[0]
    x = (codes[:, None, :] == np.arange(4)[None, :, None]).astype(np.uint8)
    return ArrayDataset(x, np.ones((n, 1), np.float32))


def _network(motif: Motif, planted: bool) -> nn.Module:
    """A DeepBind-like net of 8 random filters; with ``planted``, filter 0 is the motif's
    log-odds matrix."""
    torch.manual_seed(0)
    conv = nn.Conv1d(4, 8, motif.width)
    if planted:
        with torch.no_grad():
            conv.weight[0] = torch.from_numpy(np.log((motif.pfm + 0.01) / 0.25)).float()
    return nn.Sequential(conv, nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(8, 1))


def test_a_filter_of_the_motif_scores_one_and_random_filters_zero(tmp_path: Path):
    (motif,) = load_jaspar([SOX21])
    data = _planted_set(motif)
    scorer = KnowledgeScorer(KnowledgeConfig(motifs=[SOX21], weight=0.5), data, "binary", 0)
    planted = scorer.score(_network(motif, planted=True))
    assert planted.score == 1.0 and planted.recovered == [SOX21]
    assert planted.best_q[SOX21] < 1e-6
    assert scorer.total(0.8, planted) == pytest.approx(1.3)
    random = scorer.score(_network(motif, planted=False))
    assert random.score == 0.0 and random.recovered == []
    # a MEME file's motif (not in JASPAR by its id) is compared beside the database
    mine = Motif("MYSITE", "mine", motif.pfm)
    write_meme(tmp_path / "mine.meme", [mine])
    config = KnowledgeConfig(motifs=tmp_path / "mine.meme", weight=0.5)
    from_file = KnowledgeScorer(config, data, "binary", 0)
    assert from_file.score(_network(motif, planted=True)).recovered == ["MYSITE"]
    assert from_file.score(_network(motif, planted=False)).score == 0.0


def test_a_plain_search_writes_no_knowledge_columns(tmp_path: Path):
    space = get_space("small")
    arch = sample_architecture(space, np.random.default_rng(0))
    write_history_csv(tmp_path / "h.csv", step_rows(0, [arch], [Score(0.7)]))
    assert "knowledge" not in (tmp_path / "h.csv").read_text()


# ---------------------------------------------------------------- the search


#: A small space with units in two layers before its reduction (the stem's, layer 0's): the
#: knowledge score reads both, and few of them, so a search of it takes a few seconds.
TINY_SPACE = {
    "name": "knowledge-tiny",
    "ops": ["conv_k7", "conv_k3", "identity"],
    "n_layers": 3,
    "filters": 8,
    "reductions": [0],
    "reduction_pool": 4,
    "skips": True,
    "stem": {"kernel_size": 8, "filters": 8},
    "head": {"type": "global_pool", "units": 8, "dropout": 0.1},
}


def _config(data: dict, evaluator: str, space: Path, **search):
    raw = {
        "seed": 2,
        "data": data,
        "search": {
            "space": str(space),
            "strategy": "rl",
            "evaluator": evaluator,
            "steps": 3,
            "child_steps": 3,
            "archs_per_step": 2,
            "reward_sequences": 60,
            "supernet": {"batch_size": 32},
            "independent": {"epochs": 1, "max_steps_per_epoch": 3, "batch_size": 32},
            "knowledge": {"motifs": ["MA0099.3"], "weight": 0.5, "sequences": 40},
            **search,
        },
        "train": {"batch_size": 32},
    }
    return parse_config(raw, Path("."))


def _search(config, run_dir: Path, **kwargs):
    splits = load_splits(config.data, config.seed)
    return run_search(config, run_dir, splits, log=lambda _: None, **kwargs)


def _strip_seconds(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


@pytest.mark.parametrize("evaluator", ["shared", "independent"])
def test_reward_parts_are_recorded_and_resume_is_identical(tiny_fasta, tmp_path, evaluator):
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(TINY_SPACE))
    _search(_config(tiny_fasta, evaluator, space), tmp_path / "a")
    rows = read_jsonl(tmp_path / "a" / "history.jsonl")
    assert len(rows) == 3 * 2
    for row in rows:
        assert row["reward"] == pytest.approx(row["base_reward"] + 0.5 * row["knowledge"])
        assert row["metrics"]["mean_auroc"] == row["base_reward"]
        assert set(row["knowledge_q"]) == {"MA0099.3"}
        assert row["knowledge"] == len(row["knowledge_recovered"])
    head = (tmp_path / "a" / "history.csv").read_text().splitlines()[0]
    assert "reward,base_reward,knowledge,knowledge_recovered,valid" in head

    _search(_config(tiny_fasta, evaluator, space, steps=1), tmp_path / "b")
    _search(_config(tiny_fasta, evaluator, space), tmp_path / "b", resume=True)
    resumed = read_jsonl(tmp_path / "b" / "history.jsonl")
    assert _strip_seconds(resumed) == _strip_seconds(rows)
