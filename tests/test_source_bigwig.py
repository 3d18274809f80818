"""The bigWig source: per-window and per-bin targets read from small bigWig files written with
pyBigWig over a small genome, checked exactly against hand-computed values; chromosome splits;
bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyBigWig
import pytest
import yaml
from typer.testing import CliRunner

from genas.cli import app
from genas.config import load_config, parse_config
from genas.data import load_splits, source_bigwig
from genas.data.source_bed import GenomeWindows
from genas.errors import ConfigError, InputError
from genas.run_files import METRICS_JSON, MODEL_META
from genas.seq import Interval, decode

SIZES = {"chr1": 400, "chr2": 300, "chr3": 200, "chr4": 100}

# Signal runs (start, end, value) per track and chromosome; every other base has no value.
# Values are multiples of 1/4, so every sum and mean below is exact in float32.
RUNS = {
    "a": {
        "chr1": [
            (100, 110, 2.0),
            (110, 120, 4.0),
            (200, 205, 1.5),
            (300, 310, 1.0),
            (330, 340, 2.0),
        ],
        "chr2": [(50, 70, 3.0)],
        "chr3": [(10, 30, 0.5)],
    },
    "b": {
        "chr1": [(0, 5, 2.0), (95, 105, 1.0), (300, 340, 0.25)],
        "chr2": [(60, 70, 2.5), (70, 80, 2.5)],  # written as fixed-step entries (see below)
        "chr3": [(195, 200, 4.0)],
    },
}

# BED lines; each interval is resized to a 40 bp window around its centre.
INTERVALS = [
    ("chr1", 95, 115),  # line 1: window [85, 125)
    ("chr1", 200, 210),  # line 2: [185, 225)
    ("chr2", 50, 70),  # line 3: [40, 80)        valid
    ("chr1", 0, 20),  # line 4: [-10, 30): 10 bp off the start
    ("chr3", 10, 30),  # line 5: [0, 40)         test
    ("chr1", 300, 340),  # line 6: [300, 340)
    ("chr3", 180, 200),  # line 7: [170, 210): 10 bp off the end  test
]

# Sums of each 10 bp bin of each window, by hand from RUNS (BED line -> 4 bins).
BIN_SUMS = {
    "a": {1: [0, 10, 30, 20], 2: [0, 7.5, 0, 0], 3: [0, 30, 30, 0], 4: [0, 0, 0, 0],
          5: [0, 5, 5, 0], 6: [10, 0, 0, 20], 7: [0, 0, 0, 0]},
    "b": {1: [0, 10, 0, 0], 2: [0, 0, 0, 0], 3: [0, 0, 25, 25], 4: [0, 10, 0, 0],
          5: [0, 0, 0, 0], 6: [2.5, 2.5, 2.5, 2.5], 7: [0, 0, 20, 0]},
}  # fmt: skip
# Maxima of the same bins, by hand.
BIN_MAX = {
    "a": {1: [0, 2, 4, 4], 2: [0, 1.5, 0, 0], 3: [0, 3, 3, 0], 4: [0, 0, 0, 0],
          5: [0, 0.5, 0.5, 0], 6: [1, 0, 0, 2], 7: [0, 0, 0, 0]},
    "b": {1: [0, 1, 0, 0], 2: [0, 0, 0, 0], 3: [0, 0, 2.5, 2.5], 4: [0, 2, 0, 0],
          5: [0, 0, 0, 0], 6: [0.25, 0.25, 0.25, 0.25], 7: [0, 0, 4, 0]},
}  # fmt: skip
TRAIN, VALID, TEST = [1, 2, 4, 6], [3], [5, 7]  # chr1 | chr2 | chr3


def write_bigwig(path: Path, runs: dict, sizes: dict[str, int]) -> Path:
    """A bigWig of ``runs`` (chromosome -> [(start, end, value)]) with pyBigWig's writer.

    Runs of one width that follow each other are written as fixed-step entries (wiggle
    ``fixedStep``), the others as bedGraph entries, so both encodings are read.
    """
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(sizes.items()))
    for chrom in sizes:
        spans = runs.get(chrom, [])
        if not spans:
            continue
        starts, ends, values = (list(column) for column in zip(*spans, strict=True))
        widths = {e - s for s, e in zip(starts, ends, strict=True)}
        if len(spans) > 1 and len(widths) == 1 and starts[1:] == ends[:-1]:
            (width,) = widths
            bw.addEntries(chrom, starts[0], values=values, span=width, step=width)
        else:
            bw.addEntries([chrom] * len(spans), starts, ends=ends, values=values)
    bw.close()
    return path


def write_bed(path: Path, lines) -> Path:
    path.write_text("".join("\t".join(map(str, line)) + "\n" for line in lines))
    return path


@pytest.fixture
def inputs(tmp_path):
    rng = np.random.default_rng(0)
    seqs = {c: "".join(rng.choice(list("ACGT"), n)) for c, n in SIZES.items()}
    genome = tmp_path / "g.fa"
    genome.write_text("".join(f">{c}\n{s}\n" for c, s in seqs.items()))
    tracks = {
        task: write_bigwig(tmp_path / f"{task}.bw", runs, {c: SIZES[c] for c in RUNS[task]})
        for task, runs in RUNS.items()
    }
    raw = {
        "format": "bigwig",
        "intervals": str(write_bed(tmp_path / "i.bed", INTERVALS)),
        "genome": str(genome),
        "tracks": {task: str(path) for task, path in tracks.items()},
        "length": 40,
        "valid_chroms": ["chr2"],
        "test_chroms": ["chr3"],
    }
    return raw, seqs


def load(data: dict):
    return load_splits(parse_config({"data": data}, Path(".")).data, seed=0)


def expected(table: dict, lines: list[int], reduce=None) -> np.ndarray:
    """(rows, T × B) from a by-hand table, or (rows, T) reduced over the bins."""
    blocks = [np.array([table[task][line] for line in lines], float) for task in ("a", "b")]
    if reduce is not None:
        blocks = [reduce(block, axis=1, keepdims=True) for block in blocks]
    return np.concatenate(blocks, axis=1)


def test_window_targets_mean_sum_max_and_chrom_split(inputs):
    raw, seqs = inputs
    splits = load(raw)  # aggregate: mean, one target per task
    assert splits.task_names == ["a", "b"] and splits.task_groups is None
    assert splits.input_length == 40
    for dataset, lines in ((splits.train, TRAIN), (splits.valid, VALID), (splits.test, TEST)):
        assert dataset.y.dtype == np.float32
        np.testing.assert_array_equal(dataset.y, expected(BIN_SUMS, lines, np.sum) / 40)
    np.testing.assert_array_equal(splits.train.y[0], [1.5, 0.25])  # line 1: 60/40, 10/40
    for aggregate, table, reduce in (("sum", BIN_SUMS, np.sum), ("max", BIN_MAX, np.max)):
        got = load({**raw, "aggregate": aggregate})
        for dataset, lines in ((got.train, TRAIN), (got.valid, VALID), (got.test, TEST)):
            np.testing.assert_array_equal(dataset.y, expected(table, lines, reduce))
    # The sequences are the windows, N off the chromosome ends, as for the peak source.
    assert decode(splits.train.x[0]) == seqs["chr1"][85:125]
    np.testing.assert_array_equal(splits.train.x[2][:, :10], 1)  # line 4: [-10, 30)
    assert decode(splits.test.x[1]) == seqs["chr3"][170:] + "N" * 10  # line 7
    # Each row's window, 1-based, for plots of single sequences.
    assert splits.test.origins.label(1, 40) == "chr3:171-210 (+)"


def test_per_bin_targets(inputs):
    raw, _ = inputs
    splits = load({**raw, "target_bin": 10})
    names = [f"{task}:bin_{i}" for task in ("a", "b") for i in range(4)]
    assert splits.task_names == names
    assert splits.task_groups == {"a": names[:4], "b": names[4:]}
    for dataset, lines in ((splits.train, TRAIN), (splits.valid, VALID), (splits.test, TEST)):
        np.testing.assert_array_equal(dataset.y, expected(BIN_SUMS, lines) / 10)
    got = load({**raw, "target_bin": 20, "aggregate": "max"})
    assert got.task_names == ["a:bin_0", "a:bin_1", "b:bin_0", "b:bin_1"]
    # line 1, a: max over [85, 105) and [105, 125); b: likewise.
    np.testing.assert_array_equal(got.train.y[0], [2, 4, 1, 0])


@pytest.mark.parametrize("aggregate", ["mean", "sum", "max"])
def test_read_signal_in_runs_matches_each_window_alone(tmp_path, monkeypatch, aggregate):
    """Windows read together in runs (split by gaps and span size) give what each window
    read alone gives: random signal with gaps and negative values, overlapping windows in
    file order, some past the chromosome ends."""
    monkeypatch.setattr(source_bigwig, "MAX_GAP", 30)
    monkeypatch.setattr(source_bigwig, "CHUNK_BASES", 200)
    rng = np.random.default_rng(2)
    size, length, n_bins = 3000, 40, 4
    signal = rng.integers(-8, 9, size) / 4  # exact sums in float32
    signal[rng.random(size) < 0.3] = 0  # written as gaps
    runs = [(i, i + 1, float(v)) for i, v in enumerate(signal) if v != 0]
    bw_path = write_bigwig(tmp_path / "r.bw", {"c": runs}, {"c": size})
    starts = np.concatenate([rng.integers(-20, size - 20, 60), [-20, size - 20, 500, 500]])
    windows = [Interval("c", int(s), int(s) + length) for s in starts]
    found = GenomeWindows([1] * len(windows), windows, windows, None, length, {"c": size})
    bw = source_bigwig.open_bigwig(bw_path)
    try:
        got = source_bigwig.read_signal(bw, found, bw_path, n_bins, aggregate)
    finally:
        bw.close()
    padded = np.concatenate([np.zeros(length), signal, np.zeros(length)])
    cut = np.stack([padded[s + length : s + 2 * length] for s in starts])
    reduce = {"mean": np.mean, "sum": np.sum, "max": np.max}[aggregate]
    want = reduce(cut.reshape(len(starts), n_bins, -1), axis=2)
    np.testing.assert_array_equal(got, want.astype(np.float32))


def test_missing_values_as_nan(inputs):
    """missing: nan: a bin holding a base without a value (or past a chromosome end) is NaN."""
    raw, _ = inputs
    splits = load({**raw, "target_bin": 10, "missing": "nan"})
    nan = np.nan
    # line 3, chr2 [40, 80): a covers [50, 70), b [60, 80).
    np.testing.assert_array_equal(splits.valid.y, [[nan, 3, 3, nan, nan, nan, 2.5, 2.5]])
    # line 6, chr1 [300, 340): a covers [300, 310) and [330, 340), b all of it.
    np.testing.assert_array_equal(splits.train.y[3], [1, nan, nan, 2, 0.25, 0.25, 0.25, 0.25])
    # line 4, chr1 [-10, 30): nothing covers a whole bin, and [-10, 0) is off the chromosome.
    assert np.isnan(splits.train.y[2]).all()


def test_infinite_signal(inputs, tmp_path):
    raw, _ = inputs
    runs = {**RUNS["a"], "chr1": [(100, 110, float("inf"))]}
    path = write_bigwig(tmp_path / "inf.bw", runs, {c: SIZES[c] for c in RUNS["a"]})
    for missing in ("zero", "nan"):
        with pytest.raises(InputError, match=f"^{path}: infinite signal value in chr1:85-125$"):
            load({**raw, "tracks": {"a": str(path)}, "missing": missing})


def test_split_membership_follows_chromosomes(inputs):
    raw, _ = inputs
    splits = load({**raw, "valid_chroms": ["chr3"], "test_chroms": ["chr2", "chr3"]})
    # A chromosome in both lists goes to valid, as for the peak source.
    np.testing.assert_array_equal(splits.valid.y, expected(BIN_SUMS, [5, 7], np.sum) / 40)
    np.testing.assert_array_equal(splits.test.y, expected(BIN_SUMS, [3], np.sum) / 40)
    with pytest.raises(InputError, match="no intervals left for training"):
        load({**raw, "valid_chroms": ["chr1"], "test_chroms": ["chr2", "chr3"]})


def test_bad_bigwigs(inputs, tmp_path):
    raw, _ = inputs
    missing = tmp_path / "nope.bw"
    with pytest.raises(InputError, match=f"^{missing}: bigWig file not found$"):
        load({**raw, "tracks": {"a": str(missing)}})
    for name, content in (("text.bw", b"chr1\t0\t10\t1.0\n"), ("empty.bw", b"")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputError, match=f"^{path}: not a bigWig file"):
            load({**raw, "tracks": {"a": str(path)}})
    # A bigWig lacking a chromosome of the intervals.
    no_chr3 = write_bigwig(tmp_path / "no3.bw", RUNS["a"], {"chr1": 400, "chr2": 300})
    with pytest.raises(InputError) as info:
        load({**raw, "tracks": {"a": str(no_chr3)}})
    assert str(info.value) == (
        f"{no_chr3}: chromosome 'chr3' (i.bed line 5) is not in this bigWig (it has chr1, chr2)"
    )
    # A bigWig of another assembly: chr1 of another length.
    other = write_bigwig(tmp_path / "other.bw", RUNS["a"], {**SIZES, "chr1": 500})
    with pytest.raises(InputError) as info:
        load({**raw, "tracks": {"a": str(other)}})
    assert str(info.value) == (
        f"{other}: chromosome 'chr1' is 500 bp here but 400 bp in the genome: the bigWig is "
        "of another assembly"
    )


def test_bad_intervals(inputs, tmp_path):
    raw, _ = inputs
    bed = tmp_path / "bad.bed"
    write_bed(bed, [("chr1", 95, 115), ("chrUn", 0, 10)])
    with pytest.raises(InputError, match=f"^{bed}:2: chromosome 'chrUn' is not in the genome g.fa"):
        load({**raw, "intervals": str(bed)})
    write_bed(bed, [("chr1", 95, 115), ("chr3", 190, 210)])
    with pytest.raises(InputError) as info:
        load({**raw, "intervals": str(bed)})
    assert str(info.value) == (
        f"{bed}:2: interval chr3:190-210 runs past the end of chr3 (200 bp in the genome)"
    )
    # length None: the intervals' own length, which target_bin must divide.
    write_bed(bed, [("chr1", 95, 115), ("chr1", 200, 220)])
    with pytest.raises(InputError, match=r"target_bin \(15\) must divide the intervals' length"):
        load({**raw, "intervals": str(bed), "length": None, "target_bin": 15})


def test_bad_config(inputs, tmp_path):
    raw, _ = inputs
    with pytest.raises(ConfigError, match=r"target_bin \(30\) must divide length \(40\)"):
        parse_config({"data": {**raw, "target_bin": 30}}, Path("."))
    with pytest.raises(ConfigError, match="data.tracks: Dictionary should have at least 1 item"):
        parse_config({"data": {**raw, "tracks": {}}}, Path("."))
    with pytest.raises(ConfigError, match="data.task_type: Input should be 'regression'"):
        parse_config({"data": {**raw, "task_type": "binary"}}, Path("."))
    # A task named twice: YAML keeps the last value, genas's reader refuses it.
    text = yaml.safe_dump({"data": {**raw, "tracks": {"a": raw["tracks"]["a"]}}})
    text = text.replace("  tracks:\n", f"  tracks:\n    a: {raw['tracks']['b']}\n")
    config = tmp_path / "twice.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=f"^{config}:.*'a'"):
        load_config(config)


def test_cli_bad_bigwig_one_line_nothing_written(inputs, tmp_path):
    raw, _ = inputs
    out = tmp_path / "run"
    config = tmp_path / "c.yaml"
    data = {**raw, "tracks": {"a": str(tmp_path / "nope.bw")}}
    config.write_text(yaml.safe_dump({"data": data, "output": {"dir": str(out)}}))
    result = CliRunner().invoke(app, ["train", str(config), "--quiet"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"error: {tmp_path / 'nope.bw'}: bigWig file not found"
    ]
    assert not out.exists()


# One valid window and b:bin_0 all zero in test: undefined correlations, warned about.
@pytest.mark.filterwarnings("ignore::genas.train.metrics.UndefinedTaskMetricWarning")
def test_cli_trains_a_regression_model_on_bigwig_bins(inputs, tmp_path):
    """`genas train` end to end: T × B flat outputs named task:bin_i, regression metrics."""
    raw, _ = inputs
    out = tmp_path / "run"
    config = tmp_path / "c.yaml"
    run = {
        "data": {**raw, "target_bin": 20},
        "train": {"max_epochs": 1, "batch_size": 4},
        "output": {"dir": str(out)},
    }
    config.write_text(yaml.safe_dump(run))
    result = CliRunner().invoke(app, ["train", str(config), "--quiet"])
    assert result.exit_code == 0, result.output
    names = ["a:bin_0", "a:bin_1", "b:bin_0", "b:bin_1"]
    model = json.loads((out / MODEL_META).read_text())
    assert model["task_names"] == names and model["task_type"] == "regression"
    assert model["task_groups"] == {"a": names[:2], "b": names[2:]}
    test = json.loads((out / METRICS_JSON).read_text())["test"]
    assert test["task_type"] == "regression" and test["n"] == 2
    assert list(test["tasks"]) == names and "pearson" in test["tasks"]["a:bin_0"]
    # Each test window's prediction, named by its BED interval (0-based, end exclusive).
    table = tmp_path / "test.tsv"
    result = CliRunner().invoke(
        app, ["evaluate", str(out), "--split", "test", "--predictions", str(table)]
    )
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in table.read_text().splitlines()]
    assert rows[0] == ["row", "chrom", "start", "end", "name", "strand", *names,
                       *(f"{n}.label" for n in names)]  # fmt: skip
    assert rows[2][:6] == ["1", "chr3", "170", "210", "", "+"]  # line 7, N beyond chr3's end
