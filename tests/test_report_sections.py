"""Report sections built from small hand-made run contents: class counts, per-task metrics as
a table or box plots, training curves of an ensemble's members, provenance, stale figures."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from genas.report.run_files import RunFiles
from genas.report.sections import (
    ClassCounts,
    Figures,
    comparison_section,
    count_classes,
    count_labels,
    counts_from_metrics,
    data_section,
    performance_section,
    provenance_section,
    summarise_targets,
    summary_section,
    training_section,
)
from genas.report.sections.training import training_histories
from genas.run_files import (
    FILTER_LOGOS_PNG,
    METRICS_JSON,
    PROVENANCE_JSON,
    read_provenance,
    record_command,
)


def empty_run(run_dir: Path, **contents) -> RunFiles:
    fields = dict(config=None, history=[], probabilities=[], best=None, metrics=None,
                  comparison=None, model_meta=None, space=None, arch=None)  # fmt: skip
    return RunFiles(run_dir, **(fields | contents))


def html_cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", html)


def test_count_labels_per_task():
    y = np.array([[1, 0, 0.5], [0, np.nan, 2.0], [1, 1, 0]], dtype=np.float32)
    counts = count_labels([y[:2], y[2:]])  # blocks of rows, as iter_labels gives them
    assert counts.positives.tolist() == [2, 1, 0]
    assert counts.negatives.tolist() == [1, 1, 1]
    assert counts.other.tolist() == [0, 0, 2] and not counts.binary
    with pytest.raises(ValueError):
        count_labels([])


def test_data_section_a_row_per_task_or_a_summary():
    few = {"train": count_labels([np.array([[1, 0], [0, 0], [1, 1]])]),
           "test": count_labels([np.array([[0, 1]])])}  # fmt: skip
    html = "".join(data_section(few, ["a", "b"]).blocks)
    assert "train positives" in html and "test negatives" in html and "other" not in html
    assert html_cells(html) == ["a", "2", "1", "0", "1", "b", "1", "2", "1", "0"]
    rng = np.random.default_rng(0)
    y = (rng.random((200, 30)) < 0.1).astype(np.float32)
    y[:, 7] = 0  # a task without positives
    many = data_section({"train": count_labels([y])}, [f"t{i}" for i in range(30)])
    cells = html_cells("".join(many.blocks))
    assert cells[0] == "train" and cells[1] == f"{int(y.sum()):,}" and cells[-1] == "1"
    assert data_section({}, []).blocks == []


def test_counts_from_metrics_when_the_data_is_gone():
    metrics = {"tasks": {"a": {"auroc": 0.9, "n_pos": 12, "n": 40}}}
    counts = counts_from_metrics(metrics, ["a"])
    assert counts.positives.tolist() == [12] and counts.negatives.tolist() == [28]
    assert counts_from_metrics({"tasks": {"a": {"pearson": 0.5}}}, ["a"]) is None
    assert counts_from_metrics(None, ["a"]) is None


def test_target_summaries_and_class_counts():
    rng = np.random.default_rng(0)
    y = rng.normal(1e6, 2.0, (300, 3))  # a large offset: no digits lost
    y[5, 1] = np.nan
    y[:, 2] = np.nan
    y[9, 2] = 4.0
    s = summarise_targets([y[:10], y[10:200], y[200:]])
    assert s.n.tolist() == [300, 299, 1]
    np.testing.assert_allclose(s.mean[:2], np.nanmean(y[:, :2], axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.sd[:2], np.nanstd(y[:, :2], axis=0, ddof=1), rtol=1e-9)
    assert s.mean[2] == 4.0 and np.isnan(s.sd[2]) and s.lo[2] == s.hi[2] == 4.0
    assert s.lo[0] == y[:, 0].min() and s.hi[1] == np.nanmax(y[:, 1])
    counts = count_classes([np.array([[0.0], [2.0], [np.nan]]), np.array([[2.0]])], 3)
    assert counts.counts.tolist() == [1, 0, 2]
    with pytest.raises(ValueError):
        summarise_targets([])


def test_data_section_of_regression_targets_and_classes():
    y = np.array([[1.0, 10.0], [3.0, np.nan], [5.0, 30.0]])
    html = "".join(data_section({"train": summarise_targets([y])}, ["a", "b"]).blocks)
    assert "positives" not in html and "sd" in html
    assert html_cells(html) == [
        *("a", "train", "3", "3.0000", "2.0000", "1.0000", "5.0000"),
        *("b", "train", "2", "20.0000", "14.1421", "10.0000", "30.0000"),
    ]
    many = data_section(
        {"test": summarise_targets([np.ones((4, 30))])}, [f"t{i}" for i in range(30)]
    )
    assert html_cells("".join(many.blocks))[:3] == ["test", "30", "4.0000"]
    classes = {"train": ClassCounts(np.array([3, 1])), "test": ClassCounts(np.array([0, 2]))}
    cells = html_cells("".join(data_section(classes, ["x", "y"]).blocks))
    assert cells == ["x", "3", "0.7500", "0", "0.0000", "y", "1", "0.2500", "2", "1.0000"]
    gone = counts_from_metrics({"classes": {"x": {"n": 4}, "y": {"n": 6}}}, ["x", "y"])
    assert gone.counts.tolist() == [4, 6]


def test_summary_performance_and_comparison_follow_the_task_type(tmp_path: Path):
    tasks = {f"t{i}": {"pearson": 0.1 * i, "spearman": 0.1 * i, "r2": 0.0, "mse": 1.0, "n": 9}
             for i in range(6)}  # fmt: skip
    summary = {"mean_pearson": 0.25, "mean_spearman": 0.2, "mean_r2": 0.1}
    metrics = {"test": {"task_type": "regression", "tasks": tasks, "summary": summary}}
    comparison = {"rows": [{"model": "deepbind", "task_type": "regression",
                            "test_mean_pearson": 0.3, "test_mean_spearman": 0.2}]}  # fmt: skip
    files = empty_run(tmp_path, metrics=metrics, comparison=comparison)
    html = "".join(summary_section(files, None, []).blocks)
    assert "test mean Pearson r" in html and "0.2500" in html and "AUROC" not in html
    performance = performance_section(files, Figures(tmp_path))
    assert [p.name for p in tmp_path.glob("*.png")] == ["performance_by_group.png"]
    assert "<img" in "".join(performance.blocks)
    table = "".join(comparison_section(files).blocks)
    assert "mean Pearson r" in table and "0.3000" in table and "AUROC" not in table
    few = {"test": {"task_type": "regression", "tasks": dict(list(tasks.items())[:2])}}
    html = "".join(performance_section(empty_run(tmp_path, metrics=few), Figures(tmp_path)).blocks)
    assert "Pearson r" in html and "R²" in html and "MSE" in html


def test_comparison_section_has_the_terminal_tables_columns_with_the_standard_error(
    tmp_path: Path,
):
    """On a one-task binary test set the report shows each AUROC's standard error, as the
    terminal's table does, and no median column (it would repeat the one task's AUROC)."""
    rows = [{"model": name, "task_type": "binary", "parameters": 14_017,
             "test_mean_auroc": auroc, "test_median_auroc": auroc, "test_auroc_se": 0.0123,
             "test_mean_auprc": 0.81, "train_seconds": 25.0}
            for name, auroc in (("searched (genas)", 0.86), ("deepbind", 0.82))]
    files = empty_run(tmp_path, comparison={"rows": rows})
    html = "".join(comparison_section(files).blocks)
    headers = re.findall(r"<th>([^<]*)</th>", html)
    assert headers == ["model", "parameters", "test AUROC", "± SE", "test AUPRC", "train s"]
    assert html_cells(html)[:6] == ["searched (genas)", "14,017", "0.8600", "0.0123", "0.8100",
                                    "25"]


def test_performance_is_a_table_for_few_tasks_and_box_plots_for_many(tmp_path: Path):
    figures = Figures(tmp_path)
    one = {"test": {"tasks": {"site": {"auroc": 0.91, "auprc": 0.88, "n_pos": 60, "n": 120}}}}
    section = performance_section(empty_run(tmp_path, metrics=one), figures)
    html = "".join(section.blocks)
    assert "<img" not in html and html_cells(html) == ["site", "0.9100", "0.8800", "60", "120"]
    assert "positives" in html and not list(tmp_path.glob("*.png"))
    tasks = {f"t{i}": {"auroc": 0.5 + i / 20, "auprc": 0.4 + i / 20} for i in range(6)}
    section = performance_section(empty_run(tmp_path, metrics={"test": {"tasks": tasks}}), figures)
    assert "<img" in "".join(section.blocks)
    assert [p.name for p in tmp_path.glob("*.png")] == ["performance_by_group.png"]


def test_training_curves_of_an_ensembles_members(tmp_path: Path):
    rows = []
    for rank in (1, 2, 3):
        folder = tmp_path / f"rank_{rank}"
        folder.mkdir()
        history = [{"epoch": e, "train_loss": 1.0 / e, "valid_loss": 1.1 / e,
                    "valid_mean_auroc": 0.5 + 0.1 * e} for e in range(1, 3 + rank)]  # fmt: skip
        (folder / METRICS_JSON).write_text(json.dumps({"history": history, "best_epoch": 2}))
        rows.append({"rank": rank, "run_dir": str(folder)})
    metrics = {"history": [], "best_epoch": None, "ensemble_ranks": [1, 3]}  # rank 2 failed
    files = empty_run(tmp_path, metrics=metrics, top_k={"rows": rows})
    histories, best = training_histories(files)
    assert list(histories) == ["rank 1", "rank 3"] and len(histories["rank 3"]) == 5
    assert best == {"rank 1": 2, "rank 3": 2}
    section = training_section(files, Figures(tmp_path))
    assert "each of the 2 members" in "".join(section.blocks)
    assert (tmp_path / "training_curves.png").stat().st_size > 5000
    single = empty_run(tmp_path, metrics={"history": histories["rank 1"], "best_epoch": 2})
    assert list(training_histories(single)[0]) == ["final model"]
    untrained = empty_run(tmp_path, metrics={"history": []})
    assert training_section(untrained, Figures(tmp_path)).blocks == []


def test_figures_remove_only_the_reports_stale_files(tmp_path: Path):
    from genas.report.plots.common import message_figure

    figures = Figures(tmp_path)
    for name in ("architecture.png", "search_rewards.png", FILTER_LOGOS_PNG, "mine.png"):
        (tmp_path / name).write_bytes(b"old")
    figures.block("architecture", message_figure("x"), "Architecture")
    with pytest.raises(ValueError, match="PLOT_NAMES"):
        figures.block("not_registered", message_figure("x"), "X")
    assert not (tmp_path / "not_registered.png").exists()
    removed = figures.remove_stale()
    assert sorted(p.name for p in removed) == [FILTER_LOGOS_PNG, "search_rewards.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["architecture.png", "mine.png"]
    kept = Figures(tmp_path)
    (tmp_path / FILTER_LOGOS_PNG).write_bytes(b"drawn by the motif analysis")
    kept.keep(FILTER_LOGOS_PNG)
    assert [p.name for p in kept.remove_stale()] == ["architecture.png"]
    assert (tmp_path / FILTER_LOGOS_PNG).exists()


def test_record_command_and_the_provenance_section(tmp_path: Path, monkeypatch):
    import genas

    assert read_provenance(tmp_path) == []
    monkeypatch.setattr(sys, "argv", ["/usr/bin/genas", "search", "my config.yaml", "--retrain"])
    record_command(tmp_path, device="cpu", seed=7)
    record_command(tmp_path, device="cpu", seed=7)  # the same process again: one entry
    monkeypatch.setattr(sys, "argv", ["/usr/bin/genas", "report", "run"])
    record_command(tmp_path, device="cuda", seed=7)
    commands = json.loads((tmp_path / PROVENANCE_JSON).read_text())["commands"]
    assert [c["command"] for c in commands] == [
        "genas search 'my config.yaml' --retrain",
        "genas report run",
    ]
    first = commands[0]
    assert first["genas"] == genas.__version__ and first["seed"] == 7 and first["device"] == "cpu"
    assert first["torch"] and re.fullmatch(r"3\.\d+\.\d+", first["python"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", first["time"])
    files = empty_run(tmp_path, provenance=read_provenance(tmp_path))
    report = {"time": "now", "genas": "0.1", "torch": "2", "python": "3.11", "device": "cpu"}
    html = "".join(provenance_section(files, report).blocks)
    assert "genas search &#x27;my config.yaml&#x27; --retrain" in html
    assert "the model ran on cpu" in html
    bare = "".join(provenance_section(replace(files, provenance=[]), report).blocks)
    assert "records no command line" in bare
