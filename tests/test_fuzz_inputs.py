"""Property-based fuzzing of every file a user feeds genas, through the real command line.

Each reader (FASTA plain and gzip, BED, a genome FASTA, VCF plain and gzip, CSV/TSV table,
config YAML, model space YAML, ``model.json``, and the files of a search run folder) gets
inputs made by Hypothesis: mostly mutations of a valid file (truncation, byte flips, junk,
deleted or repeated lines, a field replaced by a huge number, unicode, an empty string, a
column dropped or added; for JSON and YAML also a key removed or given a value of another
type), so the fuzzer gets past the first line into the parsers, and some random bytes.

The property, for every input: the command succeeds, or it exits with status 1 printing
exactly one ``error: ...`` line on stderr (no traceback, no second line) and leaves no new
file where it writes (and, for a run folder it was given, every file as it was).

Examples are derandomized (the same inputs on every run, for a reproducible CI) and few per
reader, so the whole module runs in well under a minute on 2 cores. To fuzz longer, with new
random inputs, set ``GENAS_FUZZ_SCALE`` (e.g. 20: twenty times the examples). An input that
once broke the property is kept as an explicit ``@example``, or for the run folders (whose
inputs Hypothesis cannot replay) as a case of :func:`test_damaged_run_folder`.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import resource
import shutil
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from genas.cli import app
from genas.seq.fasta import read_fasta

runner = CliRunner()
#: Multiplies every test's examples; other than 1, the examples are drawn at random.
FUZZ_SCALE = float(os.environ.get("GENAS_FUZZ_SCALE", "1"))


def fuzz_settings(max_examples: int) -> settings:
    """Few examples, the same ones on every run (unless ``GENAS_FUZZ_SCALE`` is set), no
    time limit per example."""
    return settings(
        max_examples=max(1, round(max_examples * FUZZ_SCALE)),
        deadline=None,
        derandomize=FUZZ_SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ------------------------------------------------------------------------------ mutations

#: Field values that stress a parser: huge, negative, non-finite, empty, unicode, control.
WEIRD_TOKENS = (
    "", "0", "-1", "-0", "1.5", "1e309", "-1e309", "nan", "inf", "99999999999999999999999",
    "4294967296", "1e12", "0x10", "é", "𝔸𝔹", "\u202e", "\x00", "\x7f", "null", "[]", "{}",
    "*a", "&a", "~", "'", '"', ">", "\\", "%", "chr1", "chrUn", "N" * 30, "ACGTNRYacgt",
    ".", "-", "+", "a" * 300,
)  # fmt: skip
#: JSON/YAML values of every type, for a structured mutation.
WEIRD_VALUES = (
    None, True, False, 0, -1, 1e308, 10**30, -(10**30), 0.5, "", "x", "é𝔸\u202e", [], {},
    [1, 2], {"a": 1}, "NaN", [[[]]], "1e309",
)  # fmt: skip


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


@st.composite
def _byte_mutation(draw, data: bytes) -> bytes:
    """One mutation of ``data`` as bytes or as lines of fields."""
    kind = draw(
        st.sampled_from(
            ["truncate", "flip", "insert", "delete", "repeat", "field", "drop", "add", "empty"]
        )
    )
    if kind == "empty" or not data:
        return b""
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "flip":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "insert":
        junk = draw(
            st.sampled_from(WEIRD_TOKENS).map(str.encode)
            | st.binary(max_size=40)
            | st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass"))
        )
        lines.insert(i, junk)
    elif kind == "delete":
        del lines[i]
    elif kind == "repeat":
        lines[i:i] = [lines[i]] * draw(st.integers(1, 20))
    else:
        sep = b"\t" if b"\t" in lines[i] else b"," if b"," in lines[i] else b" "
        fields = lines[i].split(sep)
        j = draw(st.integers(0, len(fields) - 1))
        if kind == "field":
            fields[j] = draw(st.sampled_from(WEIRD_TOKENS)).encode("utf-8", "surrogatepass")
        elif kind == "drop":
            del fields[j]
        else:
            fields.insert(j, draw(st.sampled_from(WEIRD_TOKENS)).encode("utf-8", "surrogatepass"))
        lines[i] = sep.join(fields)
    return b"\n".join(lines)


@st.composite
def near_valid(draw, data: bytes, max_mutations: int = 3) -> bytes:
    """``data`` after 1 to ``max_mutations`` byte/line/field mutations."""
    for _ in range(draw(st.integers(1, max_mutations))):
        data = draw(_byte_mutation(data))
    return data


def fuzzed(data: bytes) -> st.SearchStrategy[bytes]:
    """Mostly near-valid mutations of ``data``, sometimes random bytes."""
    return st.one_of(near_valid(data), near_valid(data), near_valid(data), st.binary(max_size=300))


def _paths(value, prefix: tuple = ()) -> Iterator[tuple]:
    """The path of every key and item of a JSON-like value."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def _structured_mutation(draw, value):
    """``value`` (a JSON-like tree, not modified) with one key removed, one value replaced
    by one of another type, a number scaled (huge, negative, fractional), or a key added."""
    value = json.loads(json.dumps(value))
    path = draw(st.sampled_from(list(_paths(value))[1:] or [()]))
    if not path:
        return draw(st.sampled_from(WEIRD_VALUES))
    parent = value
    for part in path[:-1]:
        parent = parent[part]
    kind = draw(st.sampled_from(["replace", "replace", "remove", "add", "scale"]))
    old = parent[path[-1]]
    if kind == "scale" and isinstance(old, int | float) and not isinstance(old, bool):
        # the same key, a number of another size or sign: huge, tiny, negative, fractional
        factor = draw(st.sampled_from([10**3, 10**9, 10**30, -1, 0.5, 1e-9, 1e300]))
        parent[path[-1]] = old * factor
    elif kind in ("replace", "scale"):
        parent[path[-1]] = draw(st.sampled_from(WEIRD_VALUES))
    elif kind == "remove":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(["x", "extra", "é"]))] = draw(st.sampled_from(WEIRD_VALUES))
    else:
        parent.append(draw(st.sampled_from(WEIRD_VALUES)))
    return value


def fuzzed_tree(value, dump: Callable[[object], str]) -> st.SearchStrategy[bytes]:
    """A JSON/YAML document ``value``: structured mutations (1 or 2) dumped by ``dump``,
    or byte-level mutations of its text."""
    once = _structured_mutation(value)
    twice = once.flatmap(_structured_mutation)
    text = dump(value).encode()
    return st.one_of(
        once.map(lambda v: dump(v).encode()),
        twice.map(lambda v: dump(v).encode()),
        fuzzed(text),
    )


def json_dump(value) -> str:
    return json.dumps(value, indent=2)


def yaml_dump(value) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)


# ------------------------------------------------------------------------------ the property


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> content); {} if it does not exist."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@contextlib.contextmanager
def _native_stderr() -> Iterator[list[str]]:
    """What native code (htslib, ...) writes on file descriptor 2 in the block."""
    written: list[str] = []
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            yield written
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            written.append(capture.read().decode(errors="replace"))


def check_command(args: list, out: Path, *, kept: Path | None = None) -> tuple[int, str]:
    """Run ``genas ARGS``; assert it succeeded or failed with one ``error:`` line and left
    ``out`` (where it writes) without a new file, and ``kept`` (a folder given to it, if
    any) as it was. Returns the exit status and stderr (Python's warnings included)."""
    before_out = _snapshot(out)
    before_kept = _snapshot(kept) if kept is not None else None
    with warnings.catch_warnings(record=True) as caught, _native_stderr() as native:
        warnings.simplefilter("always")
        result = runner.invoke(app, [str(a) for a in args])
    # What the user sees on stderr: Python's warnings are printed there too.
    stderr = "".join(
        warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught
    ) + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))
        raise AssertionError(f"genas {' '.join(map(str, args))} raised:\n{trace}")
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    assert native[0] == "", f"native code wrote on stderr: {native[0]!r}"
    if result.exit_code == 1:
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), stderr
        assert "Traceback" not in stderr
        assert set(_snapshot(out)) == set(before_out), "a failed command left a new file"
        if kept is not None:
            assert _snapshot(kept) == before_kept, "a failed command changed the run folder"
    return result.exit_code, stderr


@pytest.fixture(scope="module", autouse=True)
def memory_guard():
    """Cap this process's address space while fuzzing: a fuzzed size that makes genas
    allocate tens of GB fails (and shows up as a test failure) instead of swapping or
    taking the machine down. Not with a GPU: CUDA reserves far more address space."""
    import torch

    if torch.cuda.is_available():
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as handle:
        used = int(handle.read().split()[0]) * resource.getpagesize()
    cap = used + (6 << 30)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextlib.contextmanager
def example_dir(root: Path) -> Iterator[Path]:
    """A fresh folder for one example, removed after it."""
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------ valid inputs


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _train_config(tiny_fasta: dict, out: Path, **sections) -> dict:
    """A run config over the tiny FASTA set whose training is one minibatch."""
    return {
        "seed": 1,
        "data": {**tiny_fasta, "length": 100, "fit_length": "crop_or_pad"},
        "model": {"reference": "deepbind"},
        "train": {"batch_size": 32, "max_epochs": 1, "max_steps_per_epoch": 1, "patience": 1,
                  "device": "cpu"},
        "output": {"dir": str(out)},
        **sections,
    }


@pytest.fixture(scope="module")
def model_run(tiny_fasta, root) -> Path:
    """A trained run folder (a DeepBind net, one minibatch of training)."""
    config = root / "train.yaml"
    config.write_text(yaml_dump(_train_config(tiny_fasta, root / "model_run")))
    assert runner.invoke(app, ["train", str(config), "--quiet"]).exit_code == 0
    return root / "model_run"


#: A 2-step search of AMBER's kind (a controller and one supernet), retraining its choice.
SEARCH = {"space": "small", "strategy": "rl", "evaluator": "shared", "steps": 2,
          "child_steps": 1, "archs_per_step": 2, "reward_sequences": 40, "retrain_top_k": 1,
          "supernet": {"batch_size": 32}}


@pytest.fixture(scope="module")
def search_run(tiny_fasta, root) -> tuple[Path, Path]:
    """(config, run folder) of a finished 2-step search (not retrained)."""
    config = root / "search.yaml"
    config.write_text(yaml_dump(_train_config(tiny_fasta, root / "search_run", search=SEARCH)))
    result = runner.invoke(app, ["search", str(config), "--quiet"])
    assert result.exit_code == 0, result.output
    return config, root / "search_run"


def _random_dna(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACGT"), size=n))


def _genome_text() -> bytes:
    """A two-chromosome reference FASTA (chr1 500 bp, chr2 300 bp), 60 letters a line."""
    rng = np.random.default_rng(7)
    records = [("chr1", _random_dna(rng, 500)), ("chr2", _random_dna(rng, 300))]
    return b"".join(
        f">{name}\n".encode()
        + b"".join(f"{seq[i : i + 60]}\n".encode() for i in range(0, len(seq), 60))
        for name, seq in records
    )


GENOME_TEXT = _genome_text()


@pytest.fixture(scope="module")
def genome(root) -> Path:
    """:data:`GENOME_TEXT` in a file of its own (pyfaidx writes its index beside it)."""
    path = root / "genome" / "genome.fa"
    path.parent.mkdir()
    path.write_bytes(GENOME_TEXT)
    return path


@pytest.fixture(scope="module")
def fasta_text(tiny_fasta) -> bytes:
    """Five records of the tiny set's test positives, 60 letters a line."""
    records = list(read_fasta(tiny_fasta["test"]["positives"][0]))[:5]
    return b"".join(
        f">{name} description\n{seq[:60]}\n{seq[60:]}\n".encode() for name, seq, _ in records
    )


BED_TEXT = (
    b"track name=peaks\n"
    b"chr1\t100\t200\tpeak1\t0\t+\n"
    b"chr1\t150\t160\t.\t.\t-\n"
    b"chr2\t0\t50\n"
    b"chr2\t250\t300\tp4\t5\t.\textra\n"
)


def _vcf_text(genome: Path) -> bytes:
    seqs = {record.name: record.sequence for record in read_fasta(genome)}
    base = lambda chrom, pos: seqs[chrom][pos - 1]  # noqa: E731 (1-based, as in a VCF)
    other = lambda b: "C" if b != "C" else "G"  # noqa: E731
    rows = [
        ("chr1", 101, "rs1", base("chr1", 101), other(base("chr1", 101))),
        ("chr1", 201, ".", seqs["chr1"][200:202], base("chr1", 201)),
        ("chr2", 51, "rs3", base("chr2", 51), f"T,{seqs['chr2'][50:53]}"),
    ]
    header = (
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=500>\n##contig=<ID=chr2,length=300>\n"
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    )
    body = "".join(f"{c}\t{p}\t{i}\t{r}\t{a}\t50\tPASS\tDP=3\n" for c, p, i, r, a in rows)
    return (header + body).encode()


def _table_text(delimiter: str) -> bytes:
    rng = np.random.default_rng(3)
    rows = [f"s{i}{delimiter}{_random_dna(rng, 40)}{delimiter}{i % 2}" for i in range(24)]
    return "\n".join([f"id{delimiter}sequence{delimiter}site", *rows, ""]).encode()


SPACE = {
    "name": "fuzzed",
    "description": "a small space",
    "ops": ["conv_k8", "conv_k4", "dilconv_k4_d2", "maxpool_k4", "identity"],
    "n_layers": 3,
    "filters": 8,
    "reductions": [1],
    "reduction_pool": 2,
    "skips": True,
    "stem": {"kernel_size": 8, "filters": 8},
    "head": {"type": "flatten", "units": 16, "dropout": 0.1},
    "training": {"lr": [0.001, 0.01], "width": [0.5, 1]},
}
#: A space the shared evaluator (one supernet, built by the dry run) can search.
SHARED_SPACE = {k: v for k, v in SPACE.items() if k != "training"}


# ------------------------------------------------------------------------------ sequences


@pytest.fixture(scope="module")
def fuzz_fasta(model_run, fasta_text, root):
    return model_run, fasta_text, root


@fuzz_settings(40)
@given(data=st.data())
def test_fasta_for_predict(fuzz_fasta, data):
    model_run, text, root = fuzz_fasta
    content = data.draw(fuzzed(text), label="fasta")
    as_n = data.draw(st.booleans(), label="--invalid-as-n")
    with example_dir(root) as folder:
        (folder / "in.fa").write_bytes(content)
        args = ["predict", model_run, folder / "in.fa", "-o", folder / "out" / "pred.tsv"]
        check_command(args + ["--invalid-as-n"] * as_n, folder / "out")


@fuzz_settings(30)
@given(data=st.data())
def test_gzip_fasta_for_predict(fuzz_fasta, data):
    model_run, text, root = fuzz_fasta
    content = data.draw(
        st.one_of(fuzzed(text).map(gzip.compress), near_valid(gzip.compress(text))), label="gz"
    )
    with example_dir(root) as folder:
        (folder / "in.fa.gz").write_bytes(content)
        args = ["predict", model_run, folder / "in.fa.gz", "-o", folder / "out" / "pred.tsv"]
        check_command(args, folder / "out")


@fuzz_settings(40)
@given(content=fuzzed(BED_TEXT))
def test_bed_for_predict(model_run, genome, root, content):
    with example_dir(root) as folder:
        (folder / "in.bed").write_bytes(content)
        args = ["predict", model_run, folder / "in.bed", "--genome", genome,
                "-o", folder / "out" / "pred.tsv"]
        check_command(args, folder / "out")


@fuzz_settings(25)
@given(content=fuzzed(GENOME_TEXT))
# a blank line inside a record and one at its end: a RuntimeError of pyfaidx
@example(content=GENOME_TEXT.replace(b">chr2\n", b">chr2\n" + b"A" * 60 + b"\n\n") + b"\n")
def test_genome_fasta_for_bed_predict(model_run, root, content):
    with example_dir(root) as folder:
        (folder / "in.bed").write_bytes(BED_TEXT)
        (folder / "genome.fa").write_bytes(content)
        args = ["predict", model_run, folder / "in.bed", "--genome", folder / "genome.fa",
                "-o", folder / "out" / "pred.tsv"]
        check_command(args, folder / "out")


@fuzz_settings(40)
@given(data=st.data())
def test_vcf_for_vep(model_run, genome, root, data):
    text = _vcf_text(genome)
    compressed = data.draw(st.booleans(), label="gzip")
    content = data.draw(fuzzed(text), label="vcf")
    name = "in.vcf.gz" if compressed else "in.vcf"
    with example_dir(root) as folder:
        (folder / name).write_bytes(gzip.compress(content) if compressed else content)
        args = ["vep", model_run, "--vcf", folder / name, "--genome", genome,
                "-o", folder / "out" / "effects.tsv"]
        check_command(args, folder / "out")


# ------------------------------------------------------------------------------ tables


@fuzz_settings(30)
@given(data=st.data())
def test_table_for_train(tiny_fasta, root, data):
    delimiter, suffix = data.draw(st.sampled_from([("\t", "tsv"), (",", "csv")]), label="kind")
    content = data.draw(fuzzed(_table_text(delimiter)), label="table")
    with example_dir(root) as folder:
        table = folder / f"train.{suffix}"
        table.write_bytes(content)
        config = _train_config(tiny_fasta, folder / "out" / "run")
        config["data"] = {"format": "table", "train": str(table), "id_column": "id",
                          "valid_fraction": 0.25, "test_fraction": 0.25}
        (folder / "config.yaml").write_text(yaml_dump(config))
        check_command(["train", folder / "config.yaml", "--quiet"], folder / "out")


# ------------------------------------------------------------------------------ YAML


#: The tiny FASTA set of tests/conftest.py, its folder written DATA_DIR (the test puts the
#: real one in), so that the config's examples do not depend on a fixture.
TINY_FASTA = {
    "format": "fasta",
    "task": "site",
    "train": {"positives": ["DATA_DIR/pos.fa"], "negatives": ["DATA_DIR/neg.fa"]},
    "test": {"positives": ["DATA_DIR/tpos.fa"], "negatives": ["DATA_DIR/tneg.fa"]},
    "valid_fraction": 0.2,
}
CONFIG = _train_config(TINY_FASTA, Path("OUT_DIR/run"), search=SEARCH)


@fuzz_settings(60)
@given(content=fuzzed_tree(CONFIG, yaml_dump))
# sizes that overflowed building the supernet: tracebacks (and before that, the dry run
# allocated the whole supernet: 258 GB for a width of 3000)
@example(content=yaml_dump({**CONFIG, "search": {**SEARCH, "width": 1e308}}).encode())
@example(content=yaml_dump({**CONFIG, "search": {**SEARCH, "width": 1e12}}).encode())
def test_config_for_search_dry_run(tiny_fasta, root, content):
    data_dir = Path(tiny_fasta["train"]["positives"][0]).parent
    assert json.loads(json.dumps(TINY_FASTA).replace("DATA_DIR", str(data_dir))) == tiny_fasta
    with example_dir(root) as folder:
        content = content.replace(b"DATA_DIR", str(data_dir).encode())
        content = content.replace(b"OUT_DIR", str(folder / "out").encode())
        (folder / "config.yaml").write_bytes(content)
        check_command(["search", folder / "config.yaml", "--dry-run"], folder / "out")
        assert not (folder / "out").exists()  # a dry run writes nothing, even when it succeeds


def _space_cases() -> st.SearchStrategy[tuple[bool, bytes]]:
    """(shared evaluator?, space YAML): :data:`SHARED_SPACE` or :data:`SPACE`, fuzzed."""
    return st.one_of(
        fuzzed_tree(SHARED_SPACE, yaml_dump).map(lambda content: (True, content)),
        fuzzed_tree(SPACE, yaml_dump).map(lambda content: (False, content)),
    )


@fuzz_settings(60)
@given(case=_space_cases())
@example(case=(False, yaml_dump({**SPACE, "reductions": [[]]}).encode()))  # a TypeError
# sizes that overflowed building the supernet: tracebacks
@example(case=(True, yaml_dump({**SHARED_SPACE, "filters": 10**12}).encode()))
@example(case=(True, yaml_dump({**SHARED_SPACE, "ops": ["conv_k100000000000000000000"]}).encode()))
@example(case=(True, yaml_dump({**SHARED_SPACE, "head": {"units": 10**30}}).encode()))
def test_space_for_search_dry_run(tiny_fasta, root, case):
    shared, content = case
    with example_dir(root) as folder:
        (folder / "space.yaml").write_bytes(content)
        search = {**SEARCH, "space": "space.yaml"}
        if not shared:  # training settings are searched with trained-from-scratch children
            search.update(strategy="random", evaluator="independent")
        config = _train_config(tiny_fasta, folder / "out" / "run", search=search)
        (folder / "config.yaml").write_text(yaml_dump(config))
        check_command(["search", folder / "config.yaml", "--dry-run"], folder / "out")
        assert not (folder / "out").exists()


# ------------------------------------------------------------------------------ run folders


@fuzz_settings(50)
@given(data=st.data())
def test_model_json_for_predict(model_run, fasta_text, root, data):
    meta = json.loads((model_run / "model.json").read_text())
    content = data.draw(fuzzed_tree(meta, json_dump), label="model.json")
    with example_dir(root) as folder:
        run = folder / "run"
        run.mkdir()
        shutil.copy(model_run / "model.safetensors", run)
        (run / "model.json").write_bytes(content)
        (folder / "in.fa").write_bytes(fasta_text)
        args = ["predict", run, folder / "in.fa", "-o", folder / "out" / "pred.tsv"]
        check_command(args, folder / "out", kept=run)


def _run_file(run: Path, name: str) -> st.SearchStrategy[bytes]:
    """Fuzzed contents of one file of a run folder (structured for JSON and JSON lines)."""
    text = (run / name).read_bytes()
    if name.endswith(".json"):
        return fuzzed_tree(json.loads(text), json_dump)
    if name.endswith(".jsonl"):
        rows = [json.loads(line) for line in text.splitlines()]
        return fuzzed_tree(rows, lambda rows: "".join(json.dumps(r) + "\n" for r in rows))
    if name.endswith(".yaml"):
        return fuzzed_tree(yaml.safe_load(text), yaml_dump)
    return fuzzed(text)


def _run_copy(run: Path, folder: Path) -> Path:
    """A copy of ``run`` in ``folder``; its ``config.yaml`` names the copy as its folder, as
    if the search had run there (a resume rewrites it so: the same bytes)."""
    copy = folder / "run"
    shutil.copytree(run, copy)
    config = copy / "config.yaml"
    config.write_text(config.read_text().replace(str(run), str(copy)))
    return copy


def _fuzzed_run_copy(data, run: Path, folder: Path, names: list[str]) -> Path:
    """A copy of ``run`` in ``folder`` with one of the files ``names`` fuzzed."""
    name = data.draw(st.sampled_from(names), label="file")
    copy = _run_copy(run, folder)
    (copy / name).write_bytes(data.draw(_run_file(copy, name), label=name))
    return copy


@fuzz_settings(40)
@given(data=st.data())
def test_run_folder_for_search_resume(search_run, root, data):
    config, run = search_run
    names = ["history.jsonl", "controller_probabilities.jsonl", "search_fingerprint.json",
             "config.yaml", "search_state.pt"]
    with example_dir(root) as folder:
        copy = _fuzzed_run_copy(data, run, folder, names)
        args = ["search", config, "--out", copy, "--resume", "--quiet"]
        check_command(args, copy, kept=copy)


@fuzz_settings(30)
@given(data=st.data())
def test_run_folder_for_retrain(search_run, root, data):
    _, run = search_run
    top_k = data.draw(st.sampled_from([1, 2]), label="--top-k")
    with example_dir(root) as folder:
        copy = _fuzzed_run_copy(data, run, folder, ["best_architecture.json", "history.jsonl"])
        check_command(["retrain", copy, "--quiet", "--top-k", top_k], copy, kept=copy)


@fuzz_settings(8)
@given(data=st.data())
def test_run_folder_for_report(search_run, root, data):
    _, run = search_run
    names = ["history.jsonl", "best_architecture.json", "controller_probabilities.jsonl"]
    with example_dir(root) as folder:
        copy = _fuzzed_run_copy(data, run, folder, names)
        check_command(["report", copy, "--no-motifs", "--no-attributions"], copy, kept=copy)


# ------------------------------------------------------------------------------ found by fuzzing
# The run-folder tests draw their inputs from the run's own files (st.data()), which
# Hypothesis cannot replay as an @example: what they found is kept here instead.


def _null_row(text: bytes) -> bytes:
    return b"null\n" + text


def _junk_line_inside(text: bytes) -> bytes:
    lines = text.splitlines(keepends=True)
    return b"".join([lines[0], b"{junk\n", *lines[1:]])


def _without_step_0(text: bytes) -> bytes:
    lines = text.splitlines(keepends=True)
    return b"".join(line for line in lines if json.loads(line)["step"] != 0)


def _one_op_per_layer(text: bytes) -> bytes:
    rows = [json.loads(line) for line in text.splitlines()]
    for row in rows:
        row["ops"] = [[1.0] for _ in row["ops"]]
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _checkpoint(change: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    """A damage of ``search_state.pt`` that still unpickles: ``change`` edits its state."""

    def damage(data: bytes) -> bytes:
        import io

        import torch

        state = torch.load(io.BytesIO(data), weights_only=True)
        change(state)
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()

    return damage


def _wrong_shape(state: dict) -> None:
    """The evaluator's first weight matrix (the supernet's) replaced by one number."""
    import torch

    def replace(tree) -> bool:
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, value in items:
            if isinstance(value, torch.Tensor) and value.ndim >= 2:
                tree[key] = torch.zeros(1)
                return True
            if isinstance(value, dict | list) and replace(value):
                return True
        return False

    assert replace(state["evaluator"])


COMMANDS = {
    "resume": lambda config, run: ["search", config, "--out", run, "--resume", "--quiet"],
    "retrain": lambda config, run: ["retrain", run, "--quiet"],
    "report": lambda config, run: ["report", run, "--no-motifs", "--no-attributions"],
}
NOT_AN_OBJECT = "history.jsonl:1: expected a JSON object, found a NoneType"


@pytest.mark.parametrize(
    ("command", "name", "damage", "expected"),
    [
        # a row that is not an object: a TypeError in each reader of the history
        ("resume", "history.jsonl", _null_row, NOT_AN_OBJECT),
        ("retrain", "history.jsonl", _null_row, NOT_AN_OBJECT),
        ("report", "history.jsonl", _null_row, NOT_AN_OBJECT),
        # a bad line inside the file: every row after it was silently dropped (and lost
        # from the file when the search resumed)
        ("resume", "history.jsonl", _junk_line_inside, "history.jsonl:2: not a JSON line"),
        # rows missing for a step the checkpoint holds: the search resumed without them
        ("resume", "history.jsonl", _without_step_0, "history.jsonl: no row of step 0"),
        # probabilities of another space's shape: an IndexError in the report's plots
        ("report", "controller_probabilities.jsonl", _one_op_per_layer, "ops: lists of [1, 1"),
        # a checkpoint that unpickles but is damaged: a KeyError, a RuntimeError
        ("resume", "search_state.pt", _checkpoint(lambda s: s.pop("rng")),
         "damaged search checkpoint, cannot resume (KeyError"),
        ("resume", "search_state.pt", _checkpoint(_wrong_shape),
         "damaged search checkpoint, cannot resume (RuntimeError"),
    ],
)
def test_damaged_run_folder(search_run, tmp_path, command, name, damage, expected):
    config, run = search_run
    copy = _run_copy(run, tmp_path)
    (copy / name).write_bytes(damage((copy / name).read_bytes()))
    status, stderr = check_command(COMMANDS[command](config, copy), copy, kept=copy)
    assert status == 1 and expected in stderr, stderr


def test_ensemble_retrain_of_a_single_candidate_trains_it_alone(search_run, tmp_path):
    """An ensemble retraining whose history holds no architecture but the chosen one (a
    short budget) trained it into ``top_k/rank_1`` and then failed; it now trains the one
    architecture as the run's model and records that in config.yaml."""
    _, run = search_run
    copy = _run_copy(run, tmp_path)
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["search"].update(retrain_top_k=2, ensemble=True)
    (copy / "config.yaml").write_text(yaml_dump(config))
    (copy / "history.jsonl").write_text("")
    result = runner.invoke(app, ["retrain", str(copy)])
    assert result.exit_code == 0, result.output
    assert "scored only one architecture" in " ".join(result.output.split())
    saved = yaml.safe_load((copy / "config.yaml").read_text())["search"]
    assert (saved["retrain_top_k"], saved["ensemble"]) == (1, False)
    assert "ensemble" not in json.loads((copy / "model.json").read_text())["spec"]
    assert not (copy / "top_k").exists()
