"""The `genas` command line. Thin: parse options, load the config, call the Python API.

Every user error (bad file, bad config, bad option) is printed as one line on stderr and
the command exits with status 1, without a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from genas.errors import GenasError

app = typer.Typer(
    name="genas",
    help="Neural architecture search for genomic sequence models (AMBER, in PyTorch).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Report GenasError (and a missing file) as one line and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GenasError as error:
            err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except FileNotFoundError as error:
            err_console.print(f"[bold red]error:[/] {error.filename}: not found", soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Run folder (overrides the config's output.dir).")
]


@app.command()
@user_errors
def simulate(
    out: Annotated[Path, typer.Argument(help="Folder to write the dataset into.")],
    tasks: Annotated[int, typer.Option(help="Number of tasks T.")] = 16,
    length: Annotated[int, typer.Option(help="Sequence length L (bp).")] = 500,
    n_train: Annotated[int, typer.Option(help="Training sequences.")] = 2000,
    n_valid: Annotated[int, typer.Option(help="Validation sequences.")] = 500,
    n_test: Annotated[int, typer.Option(help="Test sequences.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    gc: Annotated[float, typer.Option(help="GC content of the i.i.d. background.")] = 0.42,
    background_fasta: Annotated[
        Path | None, typer.Option(help="Fit a Markov background to these sequences instead.")
    ] = None,
    label_noise: Annotated[float, typer.Option(help="Fraction of labels flipped.")] = 0.02,
) -> None:
    """Make a synthetic DeepSEA-shaped dataset with planted JASPAR motifs (HDF5 + .mat)."""
    from genas.data.simulate import simulate as run_simulation

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
    )
    n_motifs = len(manifest.get("motifs", []))
    console.print(
        f"wrote {out}/: train/valid/test .h5 and .mat, manifest.json "
        f"({tasks} tasks, {n_motifs} motifs)"
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
) -> None:
    """Train a reference architecture or a given architecture from a model space."""
    from genas.config import load_config
    from genas.workflows import train_run

    result = train_run(load_config(config), out, resume=resume, progress=not quiet)
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
    retrain: Annotated[bool, typer.Option(help="Then train the chosen architecture.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Validate and print the plan only.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Search a model space (AMBER: LSTM controller + weight-sharing supernet)."""
    from genas.config import load_config
    from genas.workflows.search_run import search_plan, search_run

    run_config = load_config(config)
    if dry_run:
        for key, value in search_plan(run_config).items():
            console.print(f"{key:>32}: {value}", highlight=False)
        return
    _, trained = search_run(
        run_config,
        out,
        resume=resume,
        budget=budget,
        retrain=retrain,
        progress=not quiet,
        log=lambda line: console.print(line, highlight=False),
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
) -> None:
    """Train the search's chosen architecture from scratch and evaluate it on test."""
    from genas.workflows.search_run import retrain_run

    result = retrain_run(run_dir, width=width, progress=not quiet)
    _print_metrics(result.metrics)


@app.command()
@user_errors
def compare(
    run_dir: Annotated[Path, typer.Argument(help="A search run folder, retrained.")],
    random: Annotated[int, typer.Option(help="Random architectures from the same space.")] = 5,
    reference: Annotated[
        str, typer.Option(help="Comma-separated references: deepbind,deepsea,basset,danq.")
    ] = "deepbind",
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Train random architectures and references the same way; print the comparison."""
    from genas.report.tables import comparison_table
    from genas.workflows.compare_run import compare_run

    references = tuple(r.strip() for r in reference.split(",") if r.strip())
    rows = compare_run(
        run_dir,
        n_random=random,
        references=references,
        progress=not quiet,
        log=lambda line: console.print(line, highlight=False),
    )
    console.print(comparison_table(rows))


@app.command()
@user_errors
def evaluate(run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")]) -> None:
    """Evaluate a trained run on its validation and test splits (per task and per group)."""
    from genas.workflows import evaluate_run

    _print_metrics(evaluate_run(run_dir))


@app.command()
@user_errors
def predict(
    run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")],
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="FASTA, or BED with --genome.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output TSV.")],
    genome: Annotated[Path | None, typer.Option(help="Reference FASTA for BED input.")] = None,
    rc: Annotated[bool, typer.Option(help="Average with the reverse complement.")] = False,
    batch_size: Annotated[int, typer.Option(min=1)] = 256,
    invalid_as_n: Annotated[bool, typer.Option(help="Read letters outside ACGTN as N.")] = False,
) -> None:
    """Predict task probabilities for new sequences."""
    from genas.workflows import predict_run

    probs = predict_run(
        run_dir,
        input_path,
        output,
        genome=genome,
        rc_average=rc,
        batch_size=batch_size,
        invalid_bases="N" if invalid_as_n else "error",
    )
    console.print(f"wrote {output} ({probs.shape[0]} sequences x {probs.shape[1]} tasks)")


@app.command()
@user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo runs.")] = Path(
        "runs/demo"
    ),
    budget: Annotated[str, typer.Option(help="Wall-clock budget of the search.")] = "3m",
    random: Annotated[int, typer.Option(help="Random architectures to compare against.")] = 3,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Search, retrain and compare on the bundled NFE2 ChIP-seq set (offline, CPU is fine)."""
    from genas.workflows.demo import run_demo

    run_demo(out, budget=budget, n_random=random, progress=not quiet, console=console)


def _print_metrics(metrics: dict) -> None:
    from genas.report.tables import metrics_table

    console.print(metrics_table(metrics))


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
