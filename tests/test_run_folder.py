"""A run folder is never damaged: one writer at a time (the lock), nothing touched before
the input is checked, no mixed resume, no stale temporaries, every option recorded."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from genas.cli import app
from genas.config import parse_config
from genas.errors import ConfigError, GenasError
from genas.run_lock import LOCK_FILE, remove_stale_temporaries, run_folder_lock
from genas.space import get_space, sample_architecture
from genas.workflows.overrides import apply_overrides
from genas.workflows.search_run import check_resumable, search_replicates

runner = CliRunner()

#: A process holding the lock of the folder argv[1] until its stdin closes.
HOLDER = """
import sys
from genas.space import get_space, sample_architecture
from genas.run_lock import run_folder_lock
with run_folder_lock(sys.argv[1], create=True):
    print("locked", flush=True)
    sys.stdin.read()
"""


def _search_config(tiny_fasta: dict, run: Path, **search) -> dict:
    """A one-step search on the tiny FASTA set (a fraction of a second)."""
    return {
        "seed": 3,
        "data": copy.deepcopy(tiny_fasta),  # the fixture is shared: changes stay here
        "train": {"max_epochs": 1, "patience": 1, "batch_size": 32},
        "search": {"space": "small", "strategy": "rl", "evaluator": "shared",
                   "retrain_top_k": 1, "steps": 1, "child_steps": 2, "archs_per_step": 2,
                   "reward_sequences": 60, "supernet": {"batch_size": 32}, **search},
        "output": {"dir": str(run)},
    }


def _write(path: Path, raw: dict) -> Path:
    path.write_text(yaml.safe_dump(raw))
    return path


def _fails(args: list[str], *expected: str) -> str:
    """The command exits 1 with one line on stderr holding each of ``expected``."""
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    line = result.stderr.strip()
    assert "\n" not in line, line
    for text in expected:
        assert text in line
    return line


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _holder(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


# ------------------------------------------------------------------ 4: one writer at a time


def test_a_second_command_is_refused_while_another_holds_the_folder(tiny_fasta, tmp_path):
    run = tmp_path / "run"
    config = _write(tmp_path / "c.yaml", _search_config(tiny_fasta, run))
    holder = _holder(run)
    try:
        assert (run / LOCK_FILE).read_text().split()[0] == str(holder.pid)
        for command in (["search", str(config)], ["train", str(config), "--out", str(run)]):
            _fails(command, str(run), f"in use by another genas command (pid {holder.pid})")
        assert sorted(p.name for p in run.iterdir()) == [LOCK_FILE]  # nothing written
    finally:
        holder.kill()  # SIGKILL: the kernel drops the lock, the file stays
        holder.wait()
    assert holder.returncode == -signal.SIGKILL and (run / LOCK_FILE).exists()
    _ok(["search", str(config), "--quiet"])  # the lock of a killed command is free
    assert not (run / LOCK_FILE).exists()  # let go when the command ended
    assert (run / "best_architecture.json").is_file()


def test_a_heritability_run_is_refused_while_another_command_holds_its_folder(tmp_path):
    from genas.workflows.heritability_run import heritability_run

    run = tmp_path / "h2"
    holder = _holder(run)
    try:
        with pytest.raises(GenasError, match=f"pid {holder.pid}"):
            # The lock is taken before any input is read: the paths need not exist.
            heritability_run("effects.tsv", "gwas.tsv", "panel", run, env=object())
        assert sorted(p.name for p in run.iterdir()) == [LOCK_FILE]  # nothing written
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_reentrant_in_a_thread_and_refused_to_another_thread(tmp_path):
    refused: list[str] = []

    def other_thread() -> None:
        try:
            with run_folder_lock(tmp_path):
                pass
        except GenasError as error:
            refused.append(str(error))

    with run_folder_lock(tmp_path), run_folder_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text().split()[0] == str(os.getpid())
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert refused and f"pid {os.getpid()}" in refused[0]
    assert not (tmp_path / LOCK_FILE).exists()
    with pytest.raises(GenasError, match="missing: not a folder"), run_folder_lock(
        tmp_path / "missing"
    ):
        pass
    assert not (tmp_path / "missing").exists()


# ------------------------------------------------------------------ 5: no mixed resume


def _set(*keys_value):
    """A change of the raw config: ``_set("search", "controller", "lstm_size", 32)``."""
    *keys, value = keys_value

    def change(raw: dict) -> None:
        section = raw
        for key in keys[:-1]:
            section = section.setdefault(key, {})
        section[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("seed", 4), "seed = 4 (the run has 3)"),
        (_set("data", "valid_fraction", 0.3), "data.valid_fraction = 0.3 (the run has"),
        (_set("search", "space", "small-tuned"), "search.space = 'small-tuned' (the run has"),
        (_set("search", "strategy", "evolution"), "search.strategy = 'evolution'"),
        (_set("search", "evaluator", "independent"), "search.evaluator = 'independent'"),
        (_set("search", "controller", "lstm_size", 32), "search.controller.lstm_size = 32 (the"),
        (_set("search", "supernet", "lr", 0.01), "search.supernet.lr = 0.01 (the run has"),
    ],
)
def test_resume_refuses_a_changed_key(tiny_fasta, tmp_path, change, message):
    raw = _search_config(tiny_fasta, tmp_path)
    saved = parse_config(raw, tmp_path)
    change(raw)
    with pytest.raises(GenasError, match="config.yaml: cannot resume with ") as error:
        check_resumable(saved, parse_config(raw, tmp_path), tmp_path / "config.yaml")
    assert message in str(error.value)


def test_independent_children_training_settings_must_not_change(tiny_fasta, tmp_path):
    raw = _search_config(tiny_fasta, tmp_path, evaluator="independent")
    saved = parse_config(raw, tmp_path)
    raw["train"]["optimizer"] = "adamw"
    with pytest.raises(GenasError, match="train.optimizer = 'adamw' \\(the run has 'adam'\\)"):
        check_resumable(saved, parse_config(raw, tmp_path), tmp_path / "config.yaml")
    shared = _search_config(tiny_fasta, tmp_path)  # the shared evaluator trains no child
    saved = parse_config(shared, tmp_path)
    shared["train"]["optimizer"] = "adamw"
    check_resumable(saved, parse_config(shared, tmp_path), tmp_path / "config.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("train", "optimizer", "adamw"), "train.optimizer = 'adamw' (the run has 'adam')"),
        (_set("train", "batch_size", 16), "train.batch_size = 16 (the run has 32)"),
        (_set("model", "reference", "danq"), "model.reference = 'danq' (the run has"),
        (_set("data", "rc_augment", True), "data.rc_augment = True (the run has False)"),
    ],
)
def test_train_resume_with_another_setting_is_refused_and_keeps_the_run(
    tiny_fasta, tmp_path, change, message
):
    run = tmp_path / "run"
    raw = _search_config(tiny_fasta, run)
    _ok(["train", str(_write(tmp_path / "c.yaml", raw)), "--quiet"])
    before = _files(run)
    assert "metrics.json" in before and any("train_state.pt" in name for name in before)
    change(raw)
    changed = _write(tmp_path / "changed.yaml", raw)
    _fails(["train", str(changed), "--resume"], "config.yaml: cannot resume with ", message)
    assert _files(run) == before  # config.yaml and provenance.json included
    raw = _search_config(tiny_fasta, run)
    raw["train"]["max_epochs"] = 2  # training on for longer is what --resume is for
    _ok(["train", str(_write(tmp_path / "longer.yaml", raw)), "--resume", "--quiet"])


def test_training_without_validation_sequences_is_refused_before_the_folder(
    tiny_fasta, tmp_path
):
    run = tmp_path / "run"
    raw = _search_config(tiny_fasta, run)
    raw["data"]["valid_fraction"] = 0
    config = _write(tmp_path / "c.yaml", raw)
    for command in (["train", str(config)], ["search", str(config)]):
        _fails(command, "no validation sequences (data.valid_fraction is 0)")
        assert not run.exists()


def test_resume_refuses_an_edited_space_file_or_changed_data_and_writes_nothing(
    tiny_fasta, tmp_path
):
    space = tmp_path / "space.yaml"
    shutil.copy(Path(__file__).parents[1] / "src/genas/space/presets/small.yaml", space)
    data = tmp_path / "data"
    data.mkdir()
    for name in ("pos.fa", "neg.fa"):
        shutil.copy(Path(tiny_fasta["train"]["positives"][0]).parent / name, data / name)
    fasta = {**tiny_fasta, "train": {"positives": [str(data / "pos.fa")],
                                     "negatives": [str(data / "neg.fa")]}}
    run = tmp_path / "run"
    config = _write(tmp_path / "c.yaml", _search_config(fasta, run, space=str(space)))
    _ok(["search", str(config), "--quiet"])
    before = _files(run)

    original = space.read_text()
    space.write_text(original.replace("units: 32", "units: 16"))
    _fails(["search", str(config), "--resume"], "search_fingerprint.json",
           "cannot resume with search.space (content)", "resume with the run's own search.space")
    space.write_text(original)
    records = (data / "pos.fa").read_text().split(">")[1:]
    (data / "pos.fa").write_text(">" + ">".join(records[:-10]))  # 10 sequences fewer
    _fails(["search", str(config), "--resume"], "cannot resume with data (sequences)")
    assert _files(run) == before


def test_replicates_refuse_a_resume_with_another_seed(tiny_fasta, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    raw = _search_config(tiny_fasta, run)
    (run / "config.yaml").write_text(yaml.safe_dump({**raw, "seed": 7}))
    before = _files(run)
    with pytest.raises(GenasError, match="cannot resume with seed = 3 \\(the run has 7\\)"):
        search_replicates(parse_config(raw, tmp_path), 2, run, resume=True)
    assert _files(run) == before


def test_replicates_whose_seeds_would_pass_the_limit_are_refused(tiny_fasta, tmp_path):
    run = tmp_path / "run"
    raw = {**_search_config(tiny_fasta, run), "seed": 2**32 - 2}
    config = _write(tmp_path / "c.yaml", raw)
    _fails(["search", str(config), "--replicates", "3"], "--replicates 3 from seed 4294967294")
    assert not run.exists()


# ------------------------------------------------------------------ 6: check, then write


def _good_run(folder: Path, config: dict) -> dict[str, bytes]:
    """A finished run folder, as far as a refused command can tell: its files' bytes."""
    folder.mkdir()
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "metrics.json").write_text('{"test": {"summary": {"mean_auroc": 0.93}}}\n')
    (folder / "model.safetensors").write_bytes(b"weights")
    space = get_space("small")
    sample_architecture(space, np.random.default_rng(0)).to_json(
        folder / "best_architecture.json", space
    )
    return _files(folder)


def test_refused_train_and_search_leave_an_existing_run_as_it_was(tiny_fasta, tmp_path):
    run = tmp_path / "run"
    before = _good_run(run, _search_config(tiny_fasta, run))
    bad_device = _search_config(tiny_fasta, run)
    bad_device["train"]["device"] = "nosuch"
    config = _write(tmp_path / "device.yaml", bad_device)
    _fails(["train", str(config), "--out", str(run)], "device 'nosuch'")
    _fails(["search", str(config)], "device 'nosuch'")
    _fails(["search", str(config), "--resume"], "device 'nosuch'")
    missing = _search_config(tiny_fasta, run)
    missing["data"]["train"]["negatives"] = [str(tmp_path / "nope.fa")]
    config = _write(tmp_path / "missing.yaml", missing)
    _fails(["search", str(config)], "holds a trained model and no search")
    _fails(["train", str(config), "--out", str(run)], "nope.fa")
    assert _files(run) == before


def test_refused_retrain_leaves_the_run_as_it_was(tiny_fasta, tmp_path):
    run = tmp_path / "run"
    config = _search_config(tiny_fasta, run)
    config["train"]["device"] = "nosuch"
    before = _good_run(run, config)
    _fails(["retrain", str(run)], "device 'nosuch'")
    assert _files(run) == before
    _fails(["retrain", str(run), "--width", "-1"], "--width -1.0: Input should be greater than 0")
    assert _files(run) == before


# ------------------------------------------------------------------ 7: stale temporaries


def test_taking_the_lock_removes_a_killed_writers_temporaries(tmp_path):
    stale = [tmp_path / ".search_state.pt.k2j3h4ab.tmp.pt",
             tmp_path / "checkpoint" / ".train_state.pt.0a_9zzzz.tmp.pt",
             tmp_path / "top_k" / "rank_2" / ".model.safetensors.abcdefgh.tmp.safetensors"]
    kept = [tmp_path / ".notes.tmp", tmp_path / "search_state.pt",
            tmp_path / ".x.yaml.abc.tmp.yaml",  # not our pattern
            tmp_path / "replicate_1" / LOCK_FILE,  # another run's folder, held by another
            tmp_path / "replicate_1" / ".history.jsonl.abcdefgh.tmp.jsonl"]
    for path in stale + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    with run_folder_lock(tmp_path):  # not a run folder (no config.yaml): nothing removed
        assert all(path.exists() for path in stale)
    (tmp_path / "config.yaml").write_text("seed: 1\n")
    with run_folder_lock(tmp_path):
        assert not any(path.exists() for path in stale)
        assert all(path.exists() for path in kept)
    assert remove_stale_temporaries(tmp_path) == []


def test_resume_cleans_the_temporaries_a_killed_search_left(tiny_fasta, tmp_path):
    run = tmp_path / "run"
    config = _write(tmp_path / "c.yaml", _search_config(tiny_fasta, run, steps=2))
    _ok(["search", str(config), "--quiet"])
    stale = run / ".search_state.pt.q1w2e3r4.tmp.pt"
    stale.write_bytes(b"half a checkpoint")
    _ok(["search", str(config), "--resume", "--quiet"])
    assert not stale.exists()


# ------------------------------------------------------------------ 8: every option recorded


def test_command_line_options_are_recorded_and_the_dry_run_applies_them(tiny_fasta, tmp_path):
    run = tmp_path / "elsewhere"
    config = _write(tmp_path / "c.yaml", _search_config(tiny_fasta, tmp_path / "run"))
    plan = _ok(["search", str(config), "--dry-run", "--budget", "10m", "--executor", "ray",
                "--out", str(run)])
    assert "budget: 10m" in plan and "executor: ray" in plan
    assert f"run folder: {run.resolve()}" in " ".join(plan.split())
    plan = _ok(["search", str(config), "--dry-run", "--workers", "2"])
    assert "executor: processes (2 workers)" in plan  # --workers implies the processes
    _fails(["search", str(config), "--dry-run", "--budget", "5q"], "budget '5q'")
    _fails(["search", str(config), "--dry-run", "--executor", "slurm"], "executor options")
    _fails(["search", str(config), "--budget", "5q"], "budget '5q'")
    assert not run.exists() and not (tmp_path / "run").exists()

    _ok(["search", str(config), "--quiet", "--budget", "10m", "--out", str(run),
         "--executor", "inprocess"])
    recorded = yaml.safe_load((run / "config.yaml").read_text())
    assert recorded["search"]["budget"] == "10m"
    assert recorded["output"]["dir"] == str(run.resolve())
    assert recorded["executor"]["backend"] == "inprocess"
    _ok(["retrain", str(run), "--width", "0.5", "--quiet"])
    recorded = yaml.safe_load((run / "config.yaml").read_text())
    assert recorded["search"]["retrain_width"] == 0.5 and recorded["model"]["width"] == 0.5
    assert recorded["search"]["budget"] == "10m"

    ensemble = tmp_path / "ensemble"  # retrain_top_k 2: an ensemble by default
    config = _write(tmp_path / "e.yaml", _search_config(tiny_fasta, ensemble, retrain_top_k=2))
    _ok(["search", str(config), "--quiet"])
    _ok(["retrain", str(ensemble), "--width", "0.25", "--quiet"])
    assert json.loads((ensemble / "model.json").read_text())["spec"]["ensemble"]
    recorded = yaml.safe_load((ensemble / "config.yaml").read_text())["search"]
    assert (recorded["retrain_top_k"], recorded["ensemble"]) == (2, True)
    assert recorded["retrain_width"] == 0.25
    _ok(["retrain", str(ensemble), "--top-k", "1", "--quiet"])  # the choice alone
    recorded = yaml.safe_load((ensemble / "config.yaml").read_text())["search"]
    assert (recorded["retrain_top_k"], recorded["ensemble"]) == (1, False)


def test_apply_overrides_validates_each_option(tiny_fasta, tmp_path):
    config = parse_config(_search_config(tiny_fasta, tmp_path / "run"), tmp_path)
    applied = apply_overrides(config, out="out", budget="1h", retrain_width=2, retrain_top_k=3,
                              executor={"backend": None, "address": "auto"})
    assert applied.output.dir == Path("out").resolve()
    assert (applied.search.budget, applied.search.retrain_width) == ("1h", 2)
    assert applied.search.retrain_top_k == 3 and applied.executor.backend == "ray"
    assert config.search.budget is None  # the given config is left alone
    with pytest.raises(ConfigError, match="--top-k 0: Input should be greater than or equal"):
        apply_overrides(config, retrain_top_k=0)
    without_search = config.model_copy(update={"search": None})
    # --top-k 1 is the search's choice alone, also on a config of an ensemble; K >= 2 keeps
    # the config's choice between an ensemble and the best on validation
    assert applied.search.ensemble is False  # the config retrains 1, so no ensemble
    ensemble = parse_config(_search_config(tiny_fasta, tmp_path, retrain_top_k=3), tmp_path)
    alone = apply_overrides(ensemble, retrain_top_k=1).search
    assert (alone.retrain_top_k, alone.ensemble) == (1, False)
    assert apply_overrides(ensemble, retrain_top_k=5).search.ensemble is True
    with pytest.raises(ConfigError, match="--budget: the config has no `search:` section"):
        apply_overrides(without_search, budget="1h")


# ------------------------------------------------------------------ 9: damaged or mistyped input


def test_damaged_run_files_are_refused_in_one_line_before_anything_runs(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    provenance = (run / "provenance.json").read_text()
    compare = ["compare", str(run), "--random", "0", "--reference", "deepbind", "--quiet"]
    _fails([*compare[:-2], "deepbnd", "--quiet"], "--reference deepbnd: unknown")
    (run / "metrics.json").write_bytes(b'{"valid": "\xff"}')
    _fails(compare, "metrics.json: not UTF-8 text")
    _fails(["evaluate", str(run), "--split", "valid"], "metrics.json: not UTF-8 text")
    (run / "metrics.json").write_text("[1, 2]")
    _fails(compare, "metrics.json: not a JSON object")
    (run / "metrics.json").write_text("{}")
    _fails(compare, "metrics.json: no test or validation summary")
    (run / "history.jsonl").unlink()
    _fails(["retrain", str(run), "--top-k", "2", "--quiet"], "history.jsonl: not found")
    assert (run / "provenance.json").read_text() == provenance  # no command recorded
    assert not (run / "top_k").exists()


def test_the_dry_run_refuses_what_the_search_refuses(tiny_fasta, tmp_path):
    tuned = _write(tmp_path / "tuned.yaml", _search_config(tiny_fasta, tmp_path / "run",
                                                          space="small-tuned"))
    _fails(["search", str(tuned), "--dry-run"], "search.strategy: rl cannot search")
    small = (Path(__file__).parents[1] / "src/genas/space/presets/small.yaml").read_text()
    typo = tmp_path / "typo.yaml"
    typo.write_text(small.replace("  - conv_k3\n", "  - cnv_k3\n"))
    config = _write(tmp_path / "c.yaml", _search_config(tiny_fasta, tmp_path / "run",
                                                        space=str(typo)))
    for command in (["search", str(config), "--dry-run"], ["search", str(config)]):
        _fails(command, "layer 0: op 'cnv_k3' is not one genas can build")
    infinite = tmp_path / "inf.yaml"
    infinite.write_text(small + "training: {lr: [.inf]}\n")
    config = _write(tmp_path / "c.yaml", _search_config(tiny_fasta, tmp_path / "run",
                                                        space=str(infinite)))
    _fails(["search", str(config), "--dry-run"], "training.lr: inf is not a finite number")
    (tmp_path / "names.tsv").write_text("")
    deepsea = _write(tmp_path / "d.yaml", {
        "data": {"format": "deepsea_mat", "train": "train.mat", "task_names": "names.tsv",
                 "length": 1000},
        "search": {"space": "small"}, "output": {"dir": str(tmp_path / "run")}})
    _fails(["search", str(deepsea), "--dry-run"], "names.tsv: no task names")
    assert not (tmp_path / "run").exists()


def test_a_training_and_a_search_do_not_write_into_each_others_folders(tiny_fasta, tmp_path):
    trained, searched = tmp_path / "trained", tmp_path / "searched"
    _ok(["train", str(_write(tmp_path / "t.yaml", _search_config(tiny_fasta, trained))),
         "--quiet"])
    _ok(["search", str(_write(tmp_path / "s.yaml", _search_config(tiny_fasta, searched))),
         "--quiet"])
    before = {run: _files(run) for run in (trained, searched)}
    _fails(["search", str(tmp_path / "s.yaml"), "--out", str(trained)],
           "holds a trained model and no search")
    _fails(["train", str(tmp_path / "t.yaml"), "--out", str(searched)],
           "holds a search, which a training would overwrite", "genas retrain")
    assert {run: _files(run) for run in (trained, searched)} == before
