"""The HTML report: written by `search --retrain` and `genas report`, self-contained, renders in
headless Chromium without console errors."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import genas.report.plots
from genas.cli import app
from genas.errors import GenasError, InputError
from genas.report import html
from genas.workflows.report_run import report_run

runner = CliRunner()
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
SEARCH_PLOTS = {
    "search_rewards",
    "search_op_probabilities",
    "search_entropy",
    "search_skip_heatmap",
    "search_skip_last_layer",
}
MODEL_PLOTS = {  # of a one-task model: its per-task metrics are a table, not box plots
    "architecture",
    "training_curves",
    "performance_roc_pr",
    "filter_logos",
    "attribution_ism",
    "attribution_deeplift_shap",
}


def section_ids(page: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', page)


def check_self_contained(page: str) -> int:
    """No reference outside the file; every image an embedded PNG. Returns the image count."""
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page), "external reference"
    assert "<script" not in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.count("<img") == len(images)
    return len(images)


def test_search_with_retrain_writes_the_report(tiny_run: Path):
    page = (tiny_run / "report.html").read_text()
    ids = section_ids(page)
    assert ids[:4] == ["summary", "data", "architecture", "training"]
    assert {"search", "performance", "motifs", "attributions"} <= set(ids)
    assert ids[-1] == "provenance"
    assert check_self_contained(page) == len(SEARCH_PLOTS | MODEL_PLOTS)
    assert {p.stem for p in (tiny_run / "plots").glob("*.png")} == SEARCH_PLOTS | MODEL_PLOTS
    assert "small (6 layers, 21 tokens)" in page
    assert "test mean AUROC" in page and "TOMTOM" in page


def test_report_counts_the_classes_of_each_split(tiny_run: Path):
    from genas.config import load_config
    from genas.data import load_splits

    config = load_config(tiny_run / "config.yaml")
    splits = load_splits(config.data, config.seed)
    page = (tiny_run / "report.html").read_text()
    data = page[page.index('<section id="data"') : page.index('<section id="architecture"')]
    cells = [int(c.replace(",", "")) for c in re.findall(r'<td class="num">([\d,]+)</td>', data)]
    expected = []
    for dataset in (splits.train, splits.valid, splits.test):
        y = dataset.get_batch(np.arange(len(dataset)))[1][:, 0]
        expected += [int((y == 1).sum()), int((y == 0).sum())]
    assert cells == expected and expected[-2:] == [60, 60]  # tpos.fa, tneg.fa
    assert "train positives" in data and "test negatives" in data


def test_report_names_attributed_sequences_by_their_records(tiny_run: Path):
    page = (tiny_run / "report.html").read_text()
    section = page[page.index('<section id="attributions"') :]
    names = re.search(r"Top to bottom: ([^<]+)\.</p>", section).group(1).split("; ")
    assert len(names) == 3 and all(re.fullmatch(r"tpos\d+", n) for n in names), names
    assert "test sequence" not in section


def test_report_shows_the_training_curves_and_provenance(tiny_run: Path):
    import genas

    page = (tiny_run / "report.html").read_text()
    assert "Training curves" in page and "kept" in page
    provenance = page[page.index('<section id="provenance"') :]
    for needle in ("command", "torch", "python", f"<td>{genas.__version__}</td>", "seed"):
        assert needle in provenance
    assert "pytest" in provenance  # the command line of the process that made the run
    assert '<td class="num">3</td>' in provenance  # the run's seed


def test_genas_report_adds_the_comparison(tiny_run: Path, tmp_path: Path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "report.html").unlink()
    result = runner.invoke(app, ["report", str(run), "--no-motifs", "--no-attributions"])
    assert result.exit_code == 0, result.output
    page = (run / "report.html").read_text()
    assert "comparison" in section_ids(page) and "motifs" not in section_ids(page)
    assert "searched (genas)" in page and "random_1" in page
    # one task: the comparison table, no scatter of a single point
    assert not (run / "plots" / "performance_vs_baselines.png").exists()
    check_self_contained(page)


def test_a_report_removes_the_figures_it_no_longer_draws(tiny_run: Path, tmp_path: Path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    plots = run / "plots"
    (plots / "my_figure.png").write_bytes(b"mine")  # the user's files stay
    (plots / "notes.txt").write_text("mine")
    before = {p.name for p in plots.iterdir()}
    log: list[str] = []
    report_run(run, motifs=False, attributions=False, log=log.append)
    dropped = {"filter_logos.png", "attribution_ism.png", "attribution_deeplift_shap.png"}
    assert dropped <= before
    assert {p.name for p in plots.iterdir()} == before - dropped
    assert any("removed 3 figure(s)" in line for line in log)
    assert not {"motifs", "attributions"} & set(section_ids((run / "report.html").read_text()))


def test_report_prints_a_line_per_stage(tiny_run: Path, tmp_path: Path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    log: list[str] = []
    report_run(run, motifs=False, device="cpu", log=log.append)
    stages = [line.split()[1] for line in log if line.startswith("report: ")]
    order = ["loading", "counting", "predicting", "performance", "attributions", "writing"]
    assert [s for s in stages if s in order] == order
    assert log[-1].startswith("report: ") and "plots in" in log[-1]


def test_report_runs_on_the_device_asked_for(tiny_run: Path, tmp_path: Path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    page = (run / "report.html").read_bytes()
    with pytest.raises(GenasError, match="nonsense"):
        report_run(run, device="nonsense", log=lambda _: None)
    assert (run / "report.html").read_bytes() == page  # refused before anything is written
    report_run(run, motifs=False, attributions=False, device="cpu", log=lambda _: None)
    assert "the model ran on cpu" in (run / "report.html").read_text()


def test_report_of_a_search_without_a_model(tiny_run: Path, tmp_path: Path):
    run = tmp_path / "search_only"
    run.mkdir()
    for name in ("config.yaml", "history.jsonl", "controller_probabilities.jsonl"):
        shutil.copy(tiny_run / name, run / name)
    best = json.loads((tiny_run / "best_architecture.json").read_text())
    (run / "best_architecture.json").write_text(json.dumps({**best, "reward": 0.55}))
    report_run(run, log=lambda _: None)
    page = (run / "report.html").read_text()
    assert section_ids(page) == ["summary", "architecture", "search", "provenance"]
    assert "records no command line" in page  # no provenance.json copied
    assert "appear once the architecture is retrained" in page
    assert "stayed within 0.1 of chance" in page  # a search reward near 0.5 is flagged
    assert {p.stem for p in (run / "plots").glob("*.png")} == SEARCH_PLOTS | {"architecture"}


def test_report_with_a_random_search_beside(tiny_run: Path, tmp_path: Path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    drawn = []

    def plot_rewards(rows, random_rows=None):  # what the search section draws beside
        drawn.append(random_rows)
        return original(rows, random_rows)

    original = genas.report.plots.plot_rewards
    monkeypatch.setattr(genas.report.plots, "plot_rewards", plot_rewards)
    log = []
    report_run(run, random_run=tiny_run, motifs=False, attributions=False, log=log.append)
    assert "report:" in log[-1]
    history = [json.loads(line) for line in (tiny_run / "history.jsonl").read_text().splitlines()]
    assert [row["arch_hash"] for row in drawn[0]] == [row["arch_hash"] for row in history]
    with pytest.raises(GenasError, match="--random-run"):
        report_run(run, random_run=tmp_path, motifs=False, attributions=False)


def test_report_bad_input(tiny_run: Path, tmp_path: Path):
    def fails(args: list[str], *needles: str) -> None:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        for needle in needles:
            assert needle in result.output

    fails(["report", str(tmp_path / "nope")], "nope: not a folder")
    fails(["report", str(tmp_path)], "no run files here")
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "metrics.json").write_text('{"test": ')
    fails(["report", str(run)], "metrics.json:1", "not valid JSON")
    with pytest.raises(InputError):
        report_run(run)

    run = tmp_path / "trained"  # the user's own inputs fail before anything is written
    shutil.copytree(tiny_run, run)
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    fails(["report", str(run), "--data", str(tmp_path / "absent.fa")], "absent.fa: file not found")
    (tmp_path / "bad.fa").write_text(">a\nACGTX" + "A" * 95 + "\n")  # 100 bp, the model's
    fails(["report", str(run), "--data", str(tmp_path / "bad.fa")],
          "bad.fa:1: record 'a': invalid letter 'X' at position 5")
    (run / "history.jsonl").unlink()  # a trained run that was not searched
    del before[run / "history.jsonl"]
    fails(["report", str(run), "--random-run", str(tiny_run)], "is not a search run")
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_report_notes_unreadable_data(tiny_run: Path, tmp_path: Path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    config = (run / "config.yaml").read_text()
    moved = re.sub(r"(/[^\s\]]+)/pos\.fa", str(tmp_path / "gone") + "/pos.fa", config)
    assert moved != config
    (run / "config.yaml").write_text(moved)
    report_run(run, log=lambda _: None)
    page = (run / "report.html").read_text()
    assert "could not be read" in page
    assert "attributions" not in section_ids(page)


def test_html_helpers_escape_and_format():
    assert html.esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    table = html.table(["a", "b"], [[1234567, 0.123456], [None, float("nan")], ["<x>", 1e-7]])
    assert "1,234,567" in table and "0.1235" in table and "nan" in table
    assert "&lt;x&gt;" in table and "1.00e-07" in table and "<td>-</td>" in table
    page = html.render_page("t<", "s", [html.Section("a", "A", [html.paragraph("p&")])])
    assert page.startswith("<!DOCTYPE html>") and "t&lt;" in page and "p&amp;" in page


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (`make test` installs Debian's chromium package "
    "where apt-get is available)",
)
def test_report_renders_in_headless_chromium(tiny_run: Path, tmp_path: Path):
    from matplotlib.image import imread

    shot = tmp_path / "report.png"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2400",
        f"--screenshot={shot}",
        (tiny_run / "report.html").resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-2000:]
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert not console, "console messages:\n" + "\n".join(console)
    assert "ERR_FILE_NOT_FOUND" not in log
    pixels = imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    assert np.std(pixels[..., :3]) > 0.05  # not a blank page
