"""The command line end to end on a tiny dataset: train, evaluate, predict, bad input."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from genas.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tiny_fasta, tmp_path_factory) -> Path:
    """A folder with `config.yaml` over the shared tiny FASTA set, and its test FASTA files."""
    root = tmp_path_factory.mktemp("tiny")
    config = {
        "seed": 3,
        "data": tiny_fasta,
        "model": {"reference": "deepbind"},
        "train": {"max_epochs": 6, "patience": 6, "lr": 3e-3},
        "output": {"dir": str(root / "run")},
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    test = tiny_fasta["test"]
    for name, path in (("tpos", test["positives"][0]), ("tneg", test["negatives"][0])):
        shutil.copy(path, root / f"{name}.fa")
    return root


def _ok(args: list[str]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def _fails(args: list[str], *expected: str):
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output
    return result


def test_train_evaluate_predict(tiny: Path):
    _ok(["train", str(tiny / "config.yaml"), "--quiet"])
    run = tiny / "run"
    for name in ("config.yaml", "model.safetensors", "model.json", "metrics.json"):
        assert (run / name).is_file()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["summary"]["mean_auroc"] > 0.9
    assert json.loads((run / "model.json").read_text())["task_names"] == ["site"]

    again = _ok(["evaluate", str(run)])
    assert "test AUROC" in again.output
    reevaluated = json.loads((run / "metrics.json").read_text())
    assert reevaluated["test"]["summary"]["mean_auroc"] == pytest.approx(
        metrics["test"]["summary"]["mean_auroc"], abs=1e-6
    )

    # Prediction crops/pads to the model's input length; positives score higher.
    out = tiny / "pred.tsv"
    _ok(["predict", str(run), str(tiny / "tpos.fa"), "-o", str(out), "--rc"])
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert rows[0] == ["name", "site"]
    pos = np.array([float(r[1]) for r in rows[1:]])
    _ok(["predict", str(run), str(tiny / "tneg.fa"), "-o", str(out)])
    neg = np.array([float(line.split("\t")[1]) for line in out.read_text().splitlines()[1:]])
    assert len(pos) == len(neg) == 60
    assert (pos[:, None] > neg[None, :]).mean() > 0.9  # AUROC of the predicted scores


def test_help_texts_are_shown_whole():
    """--help renders help texts as rich markup: "[default: ...]" would be read as a style
    tag and vanish (the option's help then ends in " ."); every text must render as itself,
    every option has one, and ``genas --help`` lists each command with a one-line summary."""
    import click
    import typer
    from rich.markup import render

    def commands(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from commands(sub, f"{path} {name}")

    every = list(commands(typer.main.get_command(app), "genas"))
    swallowed = [
        (path, text)
        for path, command in every
        for text in [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        if render(text).plain != text
    ]
    assert swallowed == []
    undocumented = [f"{path} --{p.name}" for path, command in every for p in command.params
                    if isinstance(p, click.Option) and not p.help and p.name != "help"]
    assert undocumented == []
    # a group lists its commands by their short help, whose line breaks typer keeps
    broken = [path for path, command in every
              if not isinstance(command, typer.core.TyperGroup) and path != "genas"
              and (not command.short_help or "\n" in command.short_help)]
    assert broken == []


def test_out_option_overrides_config(tiny: Path, tmp_path: Path):
    _ok(["train", str(tiny / "config.yaml"), "--quiet", "--out", str(tmp_path / "other")])
    assert (tmp_path / "other" / "model.json").is_file()


def test_config_typo_is_one_line_error(tiny: Path, tmp_path: Path):
    raw = yaml.safe_load((tiny / "config.yaml").read_text())
    raw["train"]["learning_rate"] = 0.1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    _fails(["train", str(bad)], "unknown key 'learning_rate' in train")


def test_bad_fasta_names_file_and_record(tiny: Path, tmp_path: Path):
    raw = yaml.safe_load((tiny / "config.yaml").read_text())
    bad_fa = tmp_path / "bad.fa"
    bad_fa.write_text(">ok\n" + "ACGT" * 25 + "\n>weird\n" + "A" * 49 + "X" + "A" * 50 + "\n")
    raw["data"]["train"]["positives"] = [str(bad_fa)]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    _fails(["train", str(tmp_path / "c.yaml")], "bad.fa", "weird", "'X'")


def test_missing_input_file(tiny: Path, tmp_path: Path):
    raw = yaml.safe_load((tiny / "config.yaml").read_text())
    raw["data"]["train"]["negatives"] = [str(tmp_path / "nope.fa")]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    _fails(["train", str(tmp_path / "c.yaml")], "nope.fa")


def test_not_a_run_folder(tmp_path: Path):
    _fails(["evaluate", str(tmp_path)], "not found")
    _fails(["predict", str(tmp_path), "x.fa", "-o", str(tmp_path / "o.tsv")], "model.json")


def test_corrupt_weights_are_reported_and_output_not_written(tiny: Path, tmp_path: Path):
    run = tmp_path / "run"
    _ok(["train", str(tiny / "config.yaml"), "--quiet", "--out", str(run)])
    (run / "model.safetensors").write_bytes(b"\x00" * 20)
    out = tmp_path / "pred.tsv"
    _fails(["predict", str(run), str(tiny / "tpos.fa"), "-o", str(out)], "model.safetensors")
    assert not out.exists()


def test_search_dry_run_prints_the_plan_and_writes_nothing(tiny: Path, tmp_path: Path):
    config = yaml.safe_load((tiny / "config.yaml").read_text())
    config["output"]["dir"] = str(tmp_path / "run")
    config["search"] = {"space": "small", "strategy": "rl", "evaluator": "shared", "steps": 7,
                        "supernet": {"train_on": "strategy"}}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    out = _ok(["search", str(tmp_path / "search.yaml"), "--dry-run"]).output
    assert "steps: 7" in out
    assert "supernet trains on: the strategy's paths" in out
    assert not (tmp_path / "run").exists()
    del config["search"]["supernet"]
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    out = _ok(["search", str(tmp_path / "search.yaml"), "--dry-run"]).output
    assert "supernet trains on: uniform paths" in out
    config["search"].update(evaluator="independent", independent={"rungs": [1, 3]},
                            retrain_top_k=2, ensemble=True)
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    out = " ".join(_ok(["search", str(tmp_path / "search.yaml"), "--dry-run"]).output.split())
    assert ("children: successive halving, rungs [1, 3] epochs (an epoch: at most 1000 "
            "minibatches of 64), the best 1/3 go on") in out
    assert "final model: ensemble of the top 2" in out and "supernet parameters" not in out


def test_search_resume_with_another_strategy_fails_and_writes_nothing(tiny: Path, tmp_path):
    config = yaml.safe_load((tiny / "config.yaml").read_text())
    config["output"]["dir"] = str(tmp_path / "run")
    config["search"] = {"space": "small", "strategy": "rl", "evaluator": "shared", "steps": 1,
                        "child_steps": 2, "archs_per_step": 2, "reward_sequences": 60,
                        "supernet": {"batch_size": 32}}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    _ok(["search", str(tmp_path / "search.yaml")])
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    config["search"].update(strategy="tpe", steps=2)
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    _fails(["search", str(tmp_path / "search.yaml"), "--resume"],
           "cannot resume with search.strategy = 'tpe' (the run has 'rl')")
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before


def test_search_retrain_without_report(tiny: Path, tmp_path):
    config = yaml.safe_load((tiny / "config.yaml").read_text())
    config["output"]["dir"] = str(tmp_path / "run")
    config["train"].update(max_epochs=1, patience=1)
    config["search"] = {"space": "small", "strategy": "rl", "evaluator": "shared", "steps": 1,
                        "child_steps": 2, "archs_per_step": 2, "reward_sequences": 60,
                        "retrain_top_k": 1, "supernet": {"batch_size": 32}}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    _ok(["search", str(tmp_path / "search.yaml"), "--retrain", "--no-report", "--quiet"])
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert not (tmp_path / "run" / "report.html").exists()


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ({"strategy": "annealing"}, "search.strategy: Input should be"),
        ({"evaluator": "oracle"}, "search.evaluator: Input should be"),
        ({"independent": {"rungs": []}}, "search.independent: Value error, rungs must be"),
        ({"evolution": {"population": 2, "sample_size": 3}}, "search.evolution: Value error"),
    ],
)
def test_search_settings_bad_input(tiny: Path, tmp_path: Path, search, message):
    config = yaml.safe_load((tiny / "config.yaml").read_text())
    config["output"]["dir"] = str(tmp_path / "run")
    config["search"] = {"space": "small", **search}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    _fails(["search", str(tmp_path / "search.yaml")], message)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", [["search"], ["fidelity", "--out", "measured"]])
def test_a_config_without_search_section_is_named(tiny: Path, command: list[str]):
    config = tiny / "config.yaml"  # a training config: no `search:` section
    _fails([*command, str(config)], f"{config}: the config has no `search:` section")
    assert not Path("measured").exists()


def test_fidelity_measures_every_evaluator_and_resumes(tiny: Path, tmp_path: Path):
    config = yaml.safe_load((tiny / "config.yaml").read_text())
    config["train"] = {"max_epochs": 1, "patience": 1, "batch_size": 32}
    config["search"] = {"space": "small", "supernet": {"batch_size": 32},
                        "independent": {"batch_size": 32}}
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(config))
    args = ["fidelity", str(tmp_path / "f.yaml"), "--out", str(tmp_path / "fid"), "--archs", "5",
            "--epochs", "1", "--supernet-epochs", "1"]
    out = " ".join(_ok(args).output.split())  # the table's layout follows the terminal width
    assert "written:" in out and "fidelity.json" in out
    result = json.loads((tmp_path / "fid" / "fidelity.json").read_text())
    assert result["verdict"] in out and "standalone trainings of each architecture agree" in out
    assert result["table"]["columns"][2:6] == ["Kendall τ", "τ p-value", "Spearman ρ",
                                               "top-5 precision"]
    labels = [row[0] for row in result["table"]["rows"]]
    assert labels[0].startswith("standalone seed 1 vs seed 2")
    assert "independent, 1 epoch" in labels and "supernet, 1 epoch, recalibrate BN" in labels
    assert all(row[1] == 5 for row in result["table"]["rows"])  # every architecture scored
    stamp = (tmp_path / "fid" / "truth_0_s1.json").stat().st_mtime_ns
    _ok(args)  # a rerun reuses every measurement
    assert (tmp_path / "fid" / "truth_0_s1.json").stat().st_mtime_ns == stamp
    _fails(args[:-1] + ["2,1"], "--supernet-epochs must be ascending")
    _fails(args[:4] + ["--archs", "3"], "--archs must be at least 5")


def test_fidelity_of_a_space_with_training_settings_has_no_supernet_rows(tiny: Path,
                                                                        tmp_path: Path):
    """On the default space (small-tuned: lr, dropout and width searched) one supernet
    cannot score a candidate's settings, so its rows are left out, with a line saying why;
    the standalone and independent rows train each candidate with its own settings, here
    two at a time in worker processes."""
    config = yaml.safe_load((tiny / "config.yaml").read_text())
    config["train"] = {"max_epochs": 1, "patience": 1, "batch_size": 32}
    config["search"] = {"independent": {"batch_size": 32}}  # the default space
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(config))
    out = " ".join(_ok(["fidelity", str(tmp_path / "f.yaml"), "--out", str(tmp_path / "fid"),
                        "--archs", "5", "--epochs", "1", "--workers", "2"]).output.split())
    assert "no supernet rows" in out and "small-tuned" in out
    assert "15 of 15 measurements to make" in out and "processes executor, 2 at a time" in out
    result = json.loads((tmp_path / "fid" / "fidelity.json").read_text())
    labels = [row[0] for row in result["table"]["rows"]]
    assert labels[1:] == ["independent, 1 epoch"] and result["raw"]["supernet"] == {}
    assert not (tmp_path / "fid" / "supernet.json").exists()


def test_fidelity_with_a_failing_measurement_says_which_and_keeps_the_others(
    tiny: Path, tmp_path: Path, monkeypatch
):
    import genas.workflows.fidelity_run as fidelity_run

    def flaky_truth(config, tokens, seed, out, splits=None):
        if Path(out).name == "truth_2_s2":
            raise RuntimeError("loss became NaN")
        return {"valid_auroc": 0.5, "test_auroc": 0.5, "epochs": 1, "seconds": 0.0}

    monkeypatch.setattr(fidelity_run, "truth_score", flaky_truth)
    config = yaml.safe_load((tiny / "config.yaml").read_text())
    config["train"] = {"max_epochs": 1, "patience": 1, "batch_size": 32}
    config["search"] = {"independent": {"batch_size": 32}}
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(config))
    _fails(["fidelity", str(tmp_path / "f.yaml"), "--out", str(tmp_path / "fid"), "--archs",
            "5", "--epochs", "1"],
           "1 measurement(s) failed, e.g. truth_2_s2 (RuntimeError: loss became NaN)",
           "a rerun makes only what is missing")
    assert (tmp_path / "fid" / "truth_4_s2.json").is_file()  # the others finished
    assert not (tmp_path / "fid" / "truth_2_s2.json").exists()
    assert not (tmp_path / "fid" / "fidelity.json").exists()


def test_simulate_writes_dataset(tmp_path: Path):
    out = tmp_path / "sim"
    _ok(
        ["simulate", str(out), "--tasks", "3", "--length", "200", "--n-train", "60"]
        + ["--n-valid", "20", "--n-test", "20"]
    )
    for name in ("train.h5", "valid.h5", "test.h5", "train.mat", "manifest.json"):
        assert (out / name).is_file()


# ---------------------------------------------------------------- the exception boundary


def _benchmark(tmp_path: Path) -> list[str]:
    """`vep-benchmark` over a one-row effects table, up to `-o`: a fast command that writes."""
    effects = tmp_path / "effects.tsv"
    effects.write_text("chrom\tpos\tref\talt\ttask\tdiff\nchr1\t10\tA\tC\tx\t0.4\n")
    return ["vep-benchmark", str(effects), "--task", "x", "--favoured", "alt", "-o"]


def _one_line_error(result, *expected: str) -> str:
    """The command failed with exactly one `error:` line on stderr holding each text."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0]
    return lines[0]


def _full_disk(monkeypatch) -> None:
    """Every Path.write_text fails as on a full disk (a real write names no file)."""

    def write_text(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", write_text)


def test_every_command_is_behind_the_error_boundary():
    apps = [app, *(group.typer_instance for group in app.registered_groups)]
    commands = [command for each in apps for command in each.registered_commands]
    assert len(commands) > 15
    unguarded = [c.callback.__name__ for c in commands if not hasattr(c.callback, "error_boundary")]
    assert unguarded == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_output_folder(tmp_path: Path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = runner.invoke(app, [*_benchmark(tmp_path), str(folder / "r.json")])
    finally:
        folder.chmod(0o700)
    _one_line_error(result, f"{folder / 'r.json'}: permission denied")
    assert list(folder.iterdir()) == []


def test_output_is_a_folder_or_under_a_file(tmp_path: Path):
    args = _benchmark(tmp_path)
    folder = tmp_path / "out"
    folder.mkdir()
    _one_line_error(runner.invoke(app, [*args, str(folder)]), f"{folder}: is a folder")
    effects = tmp_path / "effects.tsv"
    _one_line_error(
        runner.invoke(app, [*args, str(effects / "r.json")]),
        f"{effects}: already exists and is not a folder",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["effects.tsv", "out"]
    assert list(folder.iterdir()) == []


def test_full_disk_names_the_file_and_keeps_the_previous_one(tmp_path: Path, monkeypatch):
    args = _benchmark(tmp_path)
    out = tmp_path / "r.json"
    out.write_text("previous\n")
    _full_disk(monkeypatch)
    _one_line_error(runner.invoke(app, [*args, str(out)]), f"{out}: no space left on device")
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["effects.tsv", "r.json"]


@pytest.mark.parametrize("how", ["option", "env"])
def test_debug_shows_the_traceback(tmp_path: Path, monkeypatch, how):
    args = [*_benchmark(tmp_path), str(tmp_path / "r.json")]
    _full_disk(monkeypatch)
    if how == "option":
        result = runner.invoke(app, ["--debug", *args])
    else:
        result = runner.invoke(app, args, env={"GENAS_DEBUG": "1"})
    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback") and "OSError" in result.stderr
    assert result.stderr.splitlines()[-1].endswith("r.json: no space left on device")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (MemoryError("Unable to allocate 37.3 GiB"), "out of memory: Unable to allocate 37.3 GiB"),
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "not valid text"),
        (EOFError("Compressed file ended"), "unexpected end of input (Compressed file ended)"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/x/[red]y"), "/x/[red]y: is a folder"),
    ],
)
def test_boundary_turns_errors_into_one_line(tmp_path: Path, monkeypatch, error, expected):
    import genas.workflows.vep_run

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(genas.workflows.vep_run, "vep_benchmark_run", fail)
    _one_line_error(runner.invoke(app, [*_benchmark(tmp_path), str(tmp_path / "r.json")]), expected)


def test_warnings_print_as_one_line():
    """`genas` (cli.main) prints a warning as one line, without Python's source line."""
    from genas import cli

    text = cli._one_line_warning(UserWarning("dup.fa:3: duplicate\n name"), UserWarning,
                                 "/site-packages/genas/seq/fasta.py", 120, "warnings.warn(...)")
    assert text == "warning: dup.fa:3: duplicate name\n"


# ---------------------------------------------------------------- one set of conventions

#: The commands that run a model (train, score or predict with a network).
MODEL_COMMANDS = {"train", "search", "retrain", "compare", "evaluate", "predict", "demo", "vep",
                  "report", "motifs", "fidelity", "attribute", "marginalize"}


def _commands() -> dict[str, object]:
    """Every command of the CLI as a click command, by its full name ("heritability run")."""
    import typer

    found, todo = {}, [("", typer.main.get_command(app))]
    while todo:
        prefix, group = todo.pop()
        for name, command in group.commands.items():
            full = f"{prefix} {name}".strip()
            if hasattr(command, "commands"):  # a group of commands
                todo.append((full, command))
            else:
                found[full] = command
    return found


def _options(command) -> list[list[str]]:
    return [param.opts + param.secondary_opts for param in command.params
            if param.param_type_name == "option"]


def test_out_is_a_folder_and_o_is_output():
    """--out (a folder) never has -o; -o is always --output (a file)."""
    commands = _commands()
    outs = {name for name, c in commands.items() for opts in _options(c) if "--out" in opts}
    short = {name for name, c in commands.items() for opts in _options(c) if "-o" in opts}
    assert {"train", "search", "demo", "fidelity", "heritability run"} <= outs
    assert {"predict", "vep", "vep-benchmark", "evaluate", "attribute", "marginalize"} <= short
    for name, command in commands.items():
        for opts in _options(command):
            assert not ("--out" in opts and len(opts) > 1), f"{name}: {opts}"
            assert "-o" not in opts or opts == ["--output", "-o"], f"{name}: {opts}"


def test_every_model_command_has_device_and_threads():
    commands = _commands()
    assert commands.keys() >= MODEL_COMMANDS
    for name in MODEL_COMMANDS:
        flags = {opt for opts in _options(commands[name]) for opt in opts}
        assert {"--device", "--threads"} <= flags, name


@pytest.fixture
def keep_threads():
    """Restore torch's thread count after a test that sets it through the CLI."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _search_config(tiny: Path, tmp_path: Path, **train) -> Path:
    config = yaml.safe_load((tiny / "config.yaml").read_text())
    config["output"]["dir"] = str(tmp_path / "run")
    config["train"].update(train)
    config["search"] = {"space": "small"}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "search.yaml"


def test_device_and_threads_override_the_config(tiny: Path, tmp_path: Path, keep_threads):
    import torch

    config = _search_config(tiny, tmp_path, threads=1, device="auto")
    out = _ok(["search", str(config), "--dry-run"]).output
    assert "device: auto" in out and torch.get_num_threads() == 1  # the config's
    out = _ok(["search", str(config), "--dry-run", "--device", "cpu", "--threads", "2"]).output
    assert "device: cpu" in out and torch.get_num_threads() == 2  # the options'
    _one_line_error(runner.invoke(app, ["search", str(config), "--dry-run", "--device", "tpu"]),
                    "device 'tpu'")
    assert not (tmp_path / "run").exists()


def test_another_device_or_thread_count_reuses_a_finished_training(tiny_run: Path):
    """`compare --device cuda` or `--threads` (recorded device) does not train reused models
    again: where a model trained is not what it is."""
    from genas.config import load_config
    from genas.workflows.train_run import finished_run

    folder = tiny_run / "compare" / "random_1"
    config = load_config(folder / "config.yaml")
    config.train.device, config.train.threads = "cuda:1", 3
    assert finished_run(config, folder) is not None
    config.train.lr *= 2
    assert finished_run(config, folder) is None


@pytest.fixture
def evaluated_run(tiny_run: Path, tmp_path: Path) -> Path:
    """A copy of the shared trained run (evaluate rewrites its metrics.json)."""
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("compare", "top_k", "plots"))
    return run


def test_evaluate_one_split_to_a_file(evaluated_run: Path, tmp_path: Path, keep_threads):
    run = evaluated_run
    stored = json.loads((run / "metrics.json").read_text())
    out = _ok(["evaluate", str(run), "--threads", "1"]).output  # the test split by default
    assert "test AUROC" in out and "valid AUROC" not in out
    assert json.loads((run / "metrics.json").read_text())["test"]["summary"] == pytest.approx(
        stored["test"]["summary"], abs=1e-6, nan_ok=True
    )

    table = tmp_path / "valid.tsv"
    _ok(["evaluate", str(run), "--split", "valid", "--output", str(table)])
    rows = [line.split("\t") for line in table.read_text().splitlines()]
    assert rows[0][:3] == ["task", "auroc", "auprc"] and [r[0] for r in rows[1:]] == ["site"]
    assert float(rows[1][1]) == pytest.approx(stored["valid"]["tasks"]["site"]["auroc"], abs=1e-6)

    before = (run / "metrics.json").read_bytes()
    _ok(["evaluate", str(run), "--split", "train", "-o", str(tmp_path / "train.json")])
    train = json.loads((tmp_path / "train.json").read_text())
    assert train["split"] == "train" and 0.5 < train["summary"]["mean_auroc"] <= 1.0
    assert (run / "metrics.json").read_bytes() == before  # train metrics are not stored there


def test_evaluate_writes_each_sequences_prediction_and_label(evaluated_run: Path, tmp_path):
    from scipy.stats import mannwhitneyu

    stored = json.loads((evaluated_run / "metrics.json").read_text())["valid"]
    tsv, h5 = tmp_path / "valid.tsv", tmp_path / "valid.h5"
    for path in (tsv, h5):
        out = _ok(["evaluate", str(evaluated_run), "--split", "valid", "--predictions", str(path)])
        assert f"wrote {path}" in out.output
    table = pd.read_csv(tsv, sep="\t", keep_default_na=False)
    assert list(table.columns) == ["row", "name", "site", "site.label"]
    assert table["row"].tolist() == list(range(stored["n"]))
    assert table["name"].str.len().min() > 0  # the FASTA records' names
    assert set(table["site.label"]) == {0.0, 1.0}
    positives = table["site.label"] == 1
    u = mannwhitneyu(table["site"][positives], table["site"][~positives]).statistic
    auroc = u / (positives.sum() * (~positives).sum())  # from the written columns alone
    assert auroc == pytest.approx(stored["tasks"]["site"]["auroc"], abs=1e-4)
    with h5py.File(h5) as f:
        assert f["predictions"].shape == f["labels"].shape == (stored["n"], 1)
        np.testing.assert_allclose(f["predictions"][:, 0], table["site"], rtol=1e-5)
        np.testing.assert_array_equal(f["labels"][:, 0], table["site.label"])
        assert [n.decode() for n in f["name"][:]] == table["name"].tolist()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--predictions", "p.csv"], "p.csv: unknown output format"),
        (["--threads", "0"], "threads 0: must be at least 1"),
        (["--split", "bogus"], "--split 'bogus': not one of train, valid, test"),
        (["--output", "metrics.csv"], "must end in .json or .tsv"),
        (["--device", "nosuch"], "device 'nosuch'"),
    ],
)
def test_evaluate_bad_options(evaluated_run: Path, keep_threads, args, expected):
    before = sorted(p.name for p in evaluated_run.iterdir())
    stored = (evaluated_run / "metrics.json").read_bytes()
    _one_line_error(runner.invoke(app, ["evaluate", str(evaluated_run), *args]), expected)
    assert sorted(p.name for p in evaluated_run.iterdir()) == before
    assert (evaluated_run / "metrics.json").read_bytes() == stored


def test_annotate_prefix_is_a_name(tmp_path: Path):
    args = ["heritability", "annotate", str(tmp_path / "e.tsv"), "--bfile", str(tmp_path / "p"),
            "--out", str(tmp_path / "annot"), "--prefix", "sub/genas"]
    _one_line_error(runner.invoke(app, args), "--prefix 'sub/genas': a file name prefix")
    assert not (tmp_path / "annot").exists()


# ---------------------------------------------------------------- threads

def _system(monkeypatch, files: dict[str, str], cpus: set[int]) -> None:
    """This process sees only ``files`` (path -> text) of /proc and /sys, and ``cpus``."""
    from genas import cpus as cpu_count

    monkeypatch.setattr(cpu_count, "_read", lambda path: files.get(str(path)))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(cpus), raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_default_threads_follow_the_affinity(monkeypatch, keep_threads):
    import torch

    from genas.cpus import available_cpus
    from genas.train.device import set_threads

    _system(monkeypatch, {}, {0, 2, 5})  # no topology, no cgroup: logical CPUs
    assert available_cpus() == 3
    assert set_threads() == 3 and torch.get_num_threads() == 3
    topology = {f"/sys/devices/system/cpu/cpu{cpu}/topology/{key}": text
                for cpu, core in ((0, 0), (1, 0), (2, 1), (3, 1))  # two cores, 2 threads each
                for key, text in (("core_id", f"{core}\n"), ("physical_package_id", "0\n"))}
    _system(monkeypatch, topology, {0, 1, 2, 3})
    assert available_cpus() == 2
    _system(monkeypatch, topology, {0, 1})
    assert available_cpus() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's own choice is kept
    assert set_threads() == 3
    assert set_threads(1) == 1 and torch.get_num_threads() == 1


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"/proc/self/cgroup": "0::/job\n", "/sys/fs/cgroup/job/cpu.max": "150000 100000\n",
          "/sys/fs/cgroup/cpu.max": "max 100000\n"}, 2),  # v2: 1.5 CPUs, rounded up
        ({"/proc/self/cgroup": "0::/a/b\n", "/sys/fs/cgroup/a/b/cpu.max": "max 100000\n",
          "/sys/fs/cgroup/a/cpu.max": "300000 100000\n"}, 3),  # a parent's quota binds
        ({"/proc/self/cgroup": "4:cpu,cpuacct:/slurm/job\n1:memory:/x\n",
          "/sys/fs/cgroup/cpu/slurm/job/cpu.cfs_quota_us": "100000\n",
          "/sys/fs/cgroup/cpu/slurm/job/cpu.cfs_period_us": "100000\n",
          "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
          "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
        ({"/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/cpu.max": "max 100000\n"}, 8),
        ({"/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/cpu.max": "garbage\n"}, 8),
    ],
)
def test_default_threads_follow_the_cgroup_quota(monkeypatch, files, expected):
    from genas.cpus import available_cpus

    _system(monkeypatch, files, set(range(8)))
    assert available_cpus() == expected


def test_idle_openmp_threads_sleep_unless_the_user_says_otherwise():
    """`genas` sets OMP_WAIT_POLICY before torch is loaded (OpenMP reads it then)."""
    import subprocess
    import sys

    code = ("import os, sys\nfrom genas import cli\nloaded = 'torch' in sys.modules\n"
            "sys.argv = ['genas', '--help']\ntry:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "print(loaded, os.environ.get('OMP_WAIT_POLICY'))\n")
    for given, expected in ((None, "False PASSIVE"), ("ACTIVE", "False ACTIVE")):
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
        env |= {"OMP_WAIT_POLICY": given} if given else {}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.stdout.splitlines()[-1] == expected, done.stderr
