"""Every plot function on a real (tiny) run folder gives a non-empty PNG of the expected size."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from genas.analysis.motifs import FilterMatches, FilterMotif, MotifMatch
from genas.data.motifs import load_jaspar
from genas.report import plots
from genas.report.plots.common import new_figure
from genas.report.plots.logos import draw_logo, information_matrix
from genas.report.plots.search import moving_average, policy_entropy, reward_per_step
from genas.report.run_files import load_run_files
from genas.space import Architecture, get_space


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def check_png(fig, tmp_path: Path, name: str, min_bytes: int = 5000) -> None:
    expected = plots.figure_size_px(fig)
    path = plots.save_png(fig, tmp_path / f"{name}.png")
    data = path.read_bytes()
    assert png_size(data) == expected
    assert min(expected) >= 150
    # not a blank canvas: a PNG of one flat colour compresses to a few hundred bytes
    assert len(data) > min_bytes, f"{name}: suspiciously small PNG ({len(data)} bytes)"


@pytest.fixture(scope="module")
def run(tiny_run):
    return load_run_files(tiny_run)


def test_run_folder_has_what_the_plots_need(run):
    assert run.history and run.probabilities and run.metrics and run.comparison
    assert run.space.name == "small" and run.arch is not None and run.has_model


def test_search_plots(run, tmp_path):
    space, probs = run.space, run.probabilities
    check_png(plots.plot_op_probabilities(probs, space), tmp_path, "ops")
    check_png(plots.plot_skip_heatmap(probs, space), tmp_path, "skip_heatmap")
    check_png(plots.plot_skip_over_time(probs, space, layer=3), tmp_path, "skip_time")
    check_png(plots.plot_rewards(run.history), tmp_path, "rewards")
    # a random search beside it (here the same rows, shifted, stand in for one)
    shifted = [{**row, "reward": row["reward"] - 0.1} for row in run.history]
    beside = plots.plot_rewards(run.history, shifted)
    labels = [line.get_label() for line in beside.axes[0].get_lines()]
    assert "random search: best" in labels and "random search: best" not in [
        line.get_label() for line in plots.plot_rewards(run.history).axes[0].get_lines()
    ]
    check_png(beside, tmp_path, "rewards_random")
    check_png(plots.plot_controller_entropy(probs, space), tmp_path, "entropy")


def test_architecture_plot_with_and_without_shapes(run, tmp_path):
    from genas.nn.model_file import load_model
    from genas.nn.summary import describe_layers

    loaded = load_model(run.run_dir)
    rows = describe_layers(loaded.model, loaded.input_length)
    check_png(plots.plot_architecture(run.space, run.arch, rows), tmp_path, "arch")
    check_png(plots.plot_architecture(run.space, run.arch), tmp_path, "arch_bare")
    space = get_space("amber-deepsea")
    rng = np.random.default_rng(0)
    from genas.space import sample_architecture

    big = sample_architecture(space, rng)
    fig = plots.plot_architecture(space, big)
    assert plots.figure_size_px(fig)[1] > plots.figure_size_px(plots.plot_architecture(
        run.space, run.arch))[1]  # fmt: skip
    check_png(fig, tmp_path, "arch_deepsea")


def test_performance_plots(run, tmp_path):
    tasks = run.metrics["test"]["tasks"]
    check_png(plots.plot_metric_by_group(tasks), tmp_path, "by_group")
    groups = {"first": list(tasks)[:1], "all": list(tasks)}
    check_png(plots.plot_metric_by_group(tasks, groups), tmp_path, "by_group2")
    baselines = {}
    for row in run.comparison["rows"][1:]:
        metrics = json.loads((Path(row["run_dir"]) / "metrics.json").read_text())
        baselines[row["model"]] = metrics["test"]["tasks"]
    assert baselines
    check_png(plots.plot_model_vs_baselines(tasks, baselines), tmp_path, "scatter")
    check_png(plots.plot_model_vs_baselines(tasks, baselines, "auprc"), tmp_path, "scatter2")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(200, 3)).astype(np.float32)
    scores = np.clip(y * 0.3 + rng.random((200, 3)), 0, 1)
    check_png(plots.plot_roc_pr(y, scores, ["a", "b", "c"], [0, 2]), tmp_path, "roc_pr")


def test_logo_plots(tmp_path):
    targets = load_jaspar(["MA0139", "MA0079"])
    motif = FilterMotif(0, targets[0].pfm[:, 3:12], n_sites=120, max_activation=3.0)
    hit = MotifMatch(0, targets[0].id, targets[0].name, 1e-8, 1e-5, 3, "-")
    matches = [FilterMatches(motif, [hit]), FilterMatches(FilterMotif(1, None, 0, 0.0))]
    check_png(plots.plot_filter_logos(matches, targets), tmp_path, "filters")
    rng = np.random.default_rng(1)
    attributions = [rng.normal(size=(4, 300)) * (rng.random((4, 300)) < 0.25) for _ in range(2)]
    check_png(plots.plot_attribution_logos(attributions, ["s1", "s2"]), tmp_path, "attr")


def test_plots_with_nothing_to_show_say_so(tmp_path):
    space = get_space("small")
    for fig in (
        plots.plot_op_probabilities([], space),
        plots.plot_rewards([{"step": 0, "reward": None}]),
        plots.plot_model_vs_baselines({"t": {"auroc": 0.9}}, {}),
        plots.plot_roc_pr(np.zeros((5, 1)), np.zeros((5, 1)), ["t"], [0]),
        plots.plot_filter_logos([], []),
    ):
        check_png(fig, tmp_path, "empty", min_bytes=1000)
    no_skips = get_space("small").to_dict() | {"name": "noskip", "skips": False}
    from genas.space import ModelSpace

    flat = ModelSpace.from_dict(no_skips)
    probs = [{"step": 0, "ops": [[1 / 6] * 6] * 6, "skips": [[]] * 6}]
    check_png(plots.plot_skip_heatmap(probs, flat), tmp_path, "noskip", min_bytes=1000)
    with pytest.raises(ValueError, match="layer must be"):
        plots.plot_skip_over_time(probs, space, layer=0)
    with pytest.raises(ValueError, match="metric"):
        plots.plot_model_vs_baselines({}, {"x": {}}, metric="mcc")


def test_reward_and_entropy_helpers():
    rows = [
        {"step": 0, "reward": 0.5},
        {"step": 0, "reward": 0.7},
        {"step": 1, "reward": None},
        {"step": 2, "reward": 0.9},
    ]
    steps, mean, best = reward_per_step(rows)
    assert steps.tolist() == [1, 3]
    assert mean.tolist() == pytest.approx([0.6, 0.9])
    assert best.tolist() == pytest.approx([0.7, 0.9])
    assert moving_average(np.array([1.0, 3.0, 5.0, 7.0]), 2).tolist() == [1.0, 2.0, 4.0, 6.0]
    ops, skips = policy_entropy({"ops": [[0.5, 0.5], [1.0, 0.0]], "skips": [[], [0.5]]})
    assert ops == pytest.approx(np.log(2)) and skips == pytest.approx(np.log(2))


def test_draw_logo_stacks_heights():
    fig = new_figure(400, 200)
    ax = fig.add_subplot()
    matrix = np.array([[1.0, 0.0], [0.5, -0.3], [0.0, 0.0], [0.0, -0.2]])
    draw_logo(ax, matrix, first=10)
    (collection,) = ax.collections
    assert len(collection.get_paths()) == 4  # zero heights draw nothing
    assert ax.get_xlim() == (9.5, 11.5)
    low, high = ax.get_ylim()
    assert low < -0.5 and high > 1.5
    pfm = np.array([[1.0, 0.25], [0.0, 0.25], [0.0, 0.25], [0.0, 0.25]])
    assert information_matrix(pfm)[:, 0].tolist() == [2.0, 0.0, 0.0, 0.0]
    assert np.allclose(information_matrix(pfm)[:, 1], 0.0)


def test_architecture_plot_rejects_a_foreign_architecture():
    space = get_space("small")
    with pytest.raises(ValueError):
        plots.plot_architecture(space, Architecture((0, 0)))


def test_architecture_text_stays_in_its_boxes(tmp_path):
    """Long op names, shapes and parameter counts (a wide amber-deepsea net) fit their boxes."""
    from matplotlib.patches import FancyBboxPatch

    from genas.nn.build import build_model
    from genas.nn.summary import describe_layers
    from genas.space import ModelSpace, sample_architecture

    spec = get_space("amber-deepsea").to_dict() | {"name": "long-ops"}
    spec["ops"] = [
        {"type": "dilconv", "kernel_size": 15, "dilation": 16, "activation": "gelu"},
        {"type": "conv", "kernel_size": 21, "activation": "silu"},
        "maxpool_k4",
    ]
    space = ModelSpace.from_dict(spec)
    arch = sample_architecture(space, np.random.default_rng(3))
    model = build_model({"space": space.to_dict(), "architecture": arch.to_dict(), "width": 2.0},
                        2000, 919)  # fmt: skip
    fig = plots.plot_architecture(space, arch, describe_layers(model, 2000))
    check_png(fig, tmp_path, "arch_long")
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    boxes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, FancyBboxPatch)]
    texts = [t for t in ax.texts if t.get_text() and not t.get_text().startswith("architecture")]
    assert len(boxes) == len(space.reductions) + arch.n_layers + 3
    assert any("dilconv_k15_d16_gelu" in t.get_text() for t in texts)
    for text in texts:
        extent = text.get_window_extent(renderer)
        inside = [b for b in boxes if b.y0 <= (extent.y0 + extent.y1) / 2 <= b.y1]
        assert len(inside) == 1, text.get_text()
        assert inside[0].x0 < extent.x0 and extent.x1 < inside[0].x1, text.get_text()


def test_attribution_logos_count_in_the_sequence_coordinates(tmp_path):
    attr = np.zeros((4, 300))
    attr[1, 200:210] = 1.0  # the window of most attribution: columns 140-259 around it
    fig = plots.plot_attribution_logos(
        [attr, attr[:, :100]], ["chr3:1,234,567-1,234,866 (+) peak_42", "seq"],
        starts=[1_234_567, 1], xlabel="genomic position (1-based)",
    )  # fmt: skip
    check_png(fig, tmp_path, "attr_coords", min_bytes=2000)
    top, bottom = fig.axes
    low, high = top.get_xlim()
    assert low <= 1_234_567 + 200 and high >= 1_234_567 + 209 and high - low == 120
    assert top.get_title() == "chr3:1,234,567-1,234,866 (+) peak_42"
    assert bottom.get_xlim() == (0.5, 100.5) and bottom.get_xlabel().startswith("genomic")


def test_training_curves(tmp_path):
    from genas.report.plots.training import validation_metric

    def rows(n, shift):
        return [
            {"epoch": e, "train_loss": 0.7 - 0.05 * e, "valid_loss": 0.69 - 0.04 * e + shift,
             "valid_mean_auroc": 0.6 + 0.05 * e - shift, "lr": 1e-3}
            for e in range(1, n + 1)
        ]  # fmt: skip

    fig = plots.plot_training_curves({"rank 1": rows(6, 0.0), "rank 2": rows(4, 0.02)},
                                     {"rank 1": 5, "rank 2": 4})  # fmt: skip
    check_png(fig, tmp_path, "curves")
    loss, metric = fig.axes
    assert len(loss.lines) == 4 and len(metric.lines) == 4  # 2 curves + 2 kept-epoch stars
    assert metric.get_ylabel() == "valid_mean_auroc"
    assert validation_metric([{"epoch": 1, "valid_loss": 1.0, "valid_pearson": 0.3}]) == (
        "valid_pearson"
    )
    assert validation_metric([{"epoch": 1, "valid_mean_auroc": float("nan")}]) is None
    check_png(plots.plot_training_curves({}), tmp_path, "no_curves", min_bytes=1000)


def test_regression_and_multiclass_performance_plots(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.normal(size=(300, 4))
    y[::7, 1] = np.nan  # unknown targets are dropped per task
    p = y + rng.normal(scale=0.5, size=y.shape)
    names = ["a", "b", "c", "d"]
    check_png(plots.plot_predicted_vs_observed(y, p, names, [0, 1, 3], "log(1 + y)"), tmp_path,
              "scatter")  # fmt: skip
    one = plots.plot_predicted_vs_observed(y, p, names, [2])
    assert plots.figure_size_px(one) == (370, 340)
    tasks = {n: {"pearson": 0.2 * i, "spearman": 0.1 * i} for i, n in enumerate(names * 2)}
    check_png(plots.plot_metric_by_group(tasks, None, ("pearson", "spearman")), tmp_path, "box")
    baseline = {"deepbind": {n: {"pearson": -0.3 + 0.2 * i} for i, n in enumerate(names)}}
    check_png(plots.plot_model_vs_baselines(tasks, baseline, "pearson"), tmp_path, "vs")
    check_png(plots.plot_confusion([[30, 5, 2], [4, 40, 9], [0, 0, 0]], ["x", "y", "z"]),
              tmp_path, "confusion")  # fmt: skip
    with pytest.raises(ValueError, match="does not fit 2 classes"):
        plots.plot_confusion([[1, 2, 3]], ["x", "y"])
