"""The typed run configuration.

A run is described by one YAML file with the sections ``data``, ``model``, ``train`` and
``output`` (and a top-level ``seed``). Unknown keys are rejected with their location,
paths are resolved relative to the config file, and every error is a one-line
:class:`~genas.errors.ConfigError`.

Example (``examples/nfe2.yaml``)::

    seed: 1
    data:
      format: fasta
      task: nfe2
      train: {positives: [nfe2.tr.fa], negatives: [nfe2.neg.tr.fa]}
      test: {positives: [nfe2.test.fa], negatives: [nfe2.neg.test.fa]}
      length: 240
      fit_length: pad
    model: {reference: deepbind}
    train: {max_epochs: 30}
    output: {dir: runs/nfe2}
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from genas.errors import ConfigError, InputError, shown
from genas.yamlfile import load_yaml

#: Error type of a boolean given for a number; its context names the key.
BOOL_FOR_NUMBER = "bool_for_number"

#: Longest input length accepted: 2 Mbp, twice the 1 Mbp windows of the longest-range
#: genomic models (AlphaGenome). A typo such as ``length: 10000000000`` would otherwise
#: exhaust memory encoding the first sequence. Also the bound on a saved model's
#: ``input_length`` (``model.json``), so that every model that trains can be loaded.
MAX_LENGTH = 1 << 21
#: Seeds are 0 <= seed < 2**32: NumPy refuses negative or larger ones.
SEED_LIMIT = 1 << 32

#: What a network predicts (docs/tasks.md), and the training losses and search rewards that
#: fit each task type; the first of each is the default.
TASK_TYPES = ("binary", "regression", "multiclass")
TASK_LOSSES = {
    "binary": ("bce",),
    "regression": ("mse", "poisson", "huber"),
    "multiclass": ("cross_entropy",),
}
TASK_REWARDS = {
    "binary": ("auroc_mean", "auroc_median", "auprc_mean", "neg_loss"),
    "regression": ("pearson_mean", "spearman_mean", "neg_mse", "neg_loss"),
    "multiclass": ("macro_auroc", "accuracy", "macro_f1", "neg_loss"),
}
#: Data formats whose labels are binary by construction (peaks, positives and negatives).
BINARY_ONLY_FORMATS = ("fasta", "bed", "deepsea_mat")


def _types_in(annotation: Any) -> set[Any]:
    """Every type named in an annotation, nested ones included (``dict[str, int | None]``)."""
    found = {annotation}
    for arg in get_args(annotation):
        found |= _types_in(arg)
    return found


def _holds_bool(value: Any) -> bool:
    """Whether a value is a boolean or a list/dict holding one."""
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(_holds_bool(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_bool(v) for v in value)
    return False


class StrictModel(BaseModel):
    """Base of every config section: unknown keys are errors, and so are infinite or NaN
    floats (``lr: .inf``) and booleans given for numbers (``max_epochs: true``)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, data: Any) -> Any:
        # pydantic reads `true` as 1 in an int or float field, and strict mode would also
        # refuse the int YAML gives for `lr: 1`, so booleans alone are refused here. (A
        # field validator cannot do it: pydantic forbids one on the data discriminator.)
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            if field is None or not _holds_bool(value):
                continue
            types = _types_in(field.annotation)
            if types & {int, float} and bool not in types:
                raise PydanticCustomError(
                    BOOL_FOR_NUMBER, "expected a number, got a boolean", {"key": name}
                )
        return data


# ---------------------------------------------------------------------------- data


class _DataCommon(StrictModel):
    length: int | None = Field(
        None,
        gt=0,
        le=MAX_LENGTH,
        description="Input length L (at most 2**21). None: all sequences must share one length.",
    )
    fit_length: Literal["error", "crop", "pad", "crop_or_pad"] = Field(
        "error",
        description="What to do with a sequence whose length differs from `length`: "
        "error, centre-crop longer ones, centre-pad shorter ones with padding, or both.",
    )
    invalid_bases: Literal["error", "N"] = Field(
        "error", description="Letters outside ACGTN: an error, or read as N."
    )
    valid_fraction: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Fraction of train held out for validation if no valid split is given.",
    )
    test_fraction: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="Fraction of train held out for testing if no test split is given.",
    )
    rc_augment: bool = Field(False, description="Randomly reverse-complement training sequences.")
    max_shift: int = Field(0, ge=0, description="Random shifts of up to this many bp in training.")
    n_value: float = Field(0.25, ge=0, le=1, description="Value of each channel for an N base.")
    task_groups: dict[str, list[str]] | None = Field(
        None, description="Group name -> task names, for per-group metrics."
    )
    task_type: Literal["binary", "regression", "multiclass"] = Field(
        "binary",
        description="What the labels are (docs/tasks.md): binary (0/1 per task), regression "
        "(a number per task) or multiclass (one label column: class names, or integers "
        "0..K-1).",
    )
    class_names: list[str] | None = Field(
        None,
        min_length=2,
        description="multiclass: the classes in output order; every label must be one of "
        "them. None: the sorted class names of the train split (0..K-1 for integer labels).",
    )
    target_transform: Literal["log1p"] | None = Field(
        None,
        description="regression: train and score on log(1 + y); predictions are written "
        "back on the original scale.",
    )

    @model_validator(mode="after")
    def _task_settings_fit(self) -> _DataCommon:
        fmt = getattr(self, "format", None)
        problem = None
        if self.task_type != "binary" and fmt in BINARY_ONLY_FORMATS:
            problem = (
                f"task_type {self.task_type} needs a table or HDF5 input ({fmt} labels are binary)"
            )
        elif self.class_names is not None and self.task_type != "multiclass":
            problem = "class_names needs task_type: multiclass"
        elif self.class_names is not None and len(set(self.class_names)) != len(self.class_names):
            problem = "class_names lists a class twice"
        elif self.target_transform is not None and self.task_type != "regression":
            problem = "target_transform needs task_type: regression"
        elif self.length is not None and self.max_shift >= self.length:
            problem = f"max_shift ({self.max_shift}) must be below length ({self.length})"
        if problem is not None:
            raise PydanticCustomError("task_settings", problem)
        return self


class FastaClassFiles(StrictModel):
    positives: list[Path] = Field(..., min_length=1)
    negatives: list[Path] = Field(default_factory=list)
    shuffled_negatives: int = Field(
        0,
        ge=0,
        description="Add this many dinucleotide-shuffled copies of each positive as negatives.",
    )

    @model_validator(mode="after")
    def _has_negatives(self) -> FastaClassFiles:
        if not self.negatives and self.shuffled_negatives == 0:
            raise ValueError("give negatives or shuffled_negatives > 0")
        return self


class FastaData(_DataCommon):
    """FASTA files per class: one binary task, positives labelled 1, negatives 0."""

    format: Literal["fasta"]
    task: str = "task"
    train: FastaClassFiles
    valid: FastaClassFiles | None = None
    test: FastaClassFiles | None = None


class TableData(_DataCommon):
    """A CSV/TSV table (by extension; .gz allowed) with a sequence column and 0/1 label columns."""

    format: Literal["table"]
    train: Path
    valid: Path | None = None
    test: Path | None = None
    sequence_column: str = "sequence"
    label_columns: list[str] | None = Field(
        None, description="Label columns; None: every column except the sequence and `id_column`."
    )
    id_column: str | None = None


class BedData(_DataCommon):
    """Intervals on a reference genome; one peak BED per task; labels by overlap."""

    format: Literal["bed"]
    intervals: Path
    genome: Path
    peaks: dict[str, Path] = Field(..., min_length=1, description="task name -> peak BED")
    length: int | None = Field(1000, gt=0, le=MAX_LENGTH)
    target_bin: int = Field(200, gt=0, description="Central bin (bp) a peak must overlap.")
    min_overlap: float = Field(
        0.5, gt=0, le=1, description="Fraction of the bin a peak must cover."
    )
    valid_chroms: list[str] = Field(default_factory=lambda: ["chr7"])
    test_chroms: list[str] = Field(default_factory=lambda: ["chr8", "chr9"])


class DeepSeaData(_DataCommon):
    """DeepSEA's train.mat (v7.3), valid.mat and test.mat (v5)."""

    format: Literal["deepsea_mat"]
    train: Path
    valid: Path | None = None
    test: Path | None = None
    task_names: Path | None = Field(
        None, description="TSV whose rows name the tasks (e.g. deepsea_919_label_annot_index.tsv)."
    )


class Hdf5Data(_DataCommon):
    """genas HDF5 files (`x` uint8 (N,4,L), `y` (N,T), `task_names`), one per split."""

    format: Literal["hdf5"]
    train: Path
    valid: Path | None = None
    test: Path | None = None
    chunk_size: int = Field(4096, gt=0, description="Sequences read from disk at a time.")


class BigWigData(_DataCommon):
    """Intervals on a reference genome; one bigWig signal track per task; the targets are
    the signal over each window (or each bin of it), a regression task."""

    format: Literal["bigwig"]
    intervals: Path = Field(..., description="BED of intervals, each centred in its window.")
    genome: Path = Field(..., description="Reference genome FASTA (plain or bgzip).")
    tracks: dict[str, Path] = Field(..., min_length=1, description="task name -> bigWig")
    task_type: Literal["regression"] = Field(
        "regression", description="Signal tracks give quantitative targets: regression."
    )
    length: int | None = Field(
        1000,
        gt=0,
        le=MAX_LENGTH,
        description="Window length L around each interval's centre (input and targets).",
    )
    aggregate: Literal["mean", "sum", "max"] = Field(
        "mean", description="Target = mean, sum or max of the signal over the window or bin."
    )
    missing: Literal["zero", "nan"] = Field(
        "zero",
        description="Bases the bigWig has no value for (and bases past a chromosome end): "
        "zero signal (writers leave out zero coverage), or unknown: a target over any of "
        "them is NaN, left out of the loss and the metrics.",
    )
    target_bin: int | None = Field(
        None,
        gt=0,
        description="Bin width (bp), dividing `length`: one target per task and bin, named "
        "task:bin_0, task:bin_1, ... None: one target per task over the whole window.",
    )
    valid_chroms: list[str] = Field(
        default_factory=lambda: ["chr7"], description="Chromosomes of the validation split."
    )
    test_chroms: list[str] = Field(
        default_factory=lambda: ["chr8", "chr9"], description="Chromosomes of the test split."
    )

    @model_validator(mode="after")
    def _bin_divides_length(self) -> BigWigData:
        if self.target_bin and self.length and self.length % self.target_bin:
            raise ValueError(f"target_bin ({self.target_bin}) must divide length ({self.length})")
        return self


DataConfig = Annotated[
    FastaData | TableData | BedData | DeepSeaData | Hdf5Data | BigWigData,
    Field(discriminator="format"),
]

# ---------------------------------------------------------------------------- model


class ModelConfig(StrictModel):
    """Either a reference architecture, or an architecture from a model space."""

    reference: Literal["deepbind", "deepsea", "basset", "danq"] | None = None
    space: str | None = Field(
        None, description="Preset name (amber-deepsea, small) or space YAML path."
    )
    architecture: Path | list[int] | None = Field(
        None, description="Architecture JSON file, or its token list."
    )
    width: float = Field(1.0, gt=0, description="Width multiplier of a space architecture.")
    options: dict[str, int | float] = Field(
        default_factory=dict,
        description="Keyword options of a reference, e.g. {hidden: 128, dropout: 0.2}.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> ModelConfig:
        if (self.reference is None) == (self.space is None):
            raise ValueError("give either `reference` or `space` (with `architecture`)")
        if self.options and self.reference is None:
            raise ValueError("`options` apply to a `reference` network only")
        if self.space is not None and self.architecture is None:
            raise ValueError("`space` needs an `architecture` (JSON file or token list)")
        return self


# ---------------------------------------------------------------------------- train


class TrainConfig(StrictModel):
    optimizer: Literal["adam", "adamw"] = "adam"
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    batch_size: int = Field(64, gt=0)
    max_epochs: int = Field(30, gt=0)
    patience: int = Field(
        5,
        ge=1,
        description="Early stopping: epochs without a better validation score (mean AUROC, "
        "mean Pearson r or macro AUROC, by data.task_type).",
    )
    loss: Literal["bce", "mse", "poisson", "huber", "cross_entropy"] | None = Field(
        None,
        description="Training loss; None: the task type's default (bce, mse, cross_entropy). "
        "Regression may use poisson (the network predicts log rates; targets >= 0) or huber "
        "(delta 1).",
    )
    lr_schedule: Literal["constant", "plateau", "cosine"] = "plateau"
    grad_clip: float | None = Field(None, gt=0, description="Clip the gradient norm to this.")
    rc_predict: bool = Field(False, description="Average predictions with the reverse complement.")
    device: str = Field("auto", description="auto, cpu, cuda, cuda:1 ...")
    threads: int | None = Field(
        None,
        ge=1,
        description="CPU threads of torch (--threads overrides); None: OMP_NUM_THREADS if "
        "set, else the cores this process may use (its CPU affinity and cgroup quota).",
    )
    num_workers: int = Field(0, ge=0)
    max_steps_per_epoch: int | None = Field(None, gt=0)
    compile: bool = Field(
        False,
        description="torch.compile the network for training: a standalone network or "
        "independent child whole, the supernet block by block. Eager where torch.compile "
        "is unavailable (one warning). Pays on a GPU for long trainings; each new network "
        "costs seconds of compiling first.",
    )


# ---------------------------------------------------------------------------- search


class ControllerConfig(StrictModel):
    """The AMBER/ENAS LSTM controller trained with REINFORCE (strategy `rl`).

    Buffer defaults are those of AMBER's DeepSEA tutorial (buffer of 1 step, batches of 20,
    10 epochs per step); AMBER's class defaults (15 / 5 / 20) cost ~600 controller passes per
    step and did not learn a target architecture better in our tests.
    """

    lstm_size: int = Field(64, gt=0)
    lstm_layers: int = Field(1, gt=0)
    temperature: float = Field(2.0, gt=0, description="Op logits are divided by this.")
    tanh_constant: float | None = Field(1.5, gt=0, description="Logits squashed to c·tanh(·).")
    share_embeddings: bool = Field(False, description="One op embedding table for all layers.")
    skip_target: float = Field(0.4, gt=0, lt=1, description="Target skip probability.")
    skip_weight: float = Field(0.8, ge=0, description="Weight of KL(skip prob ‖ skip_target).")
    entropy_weight: float = Field(0.0, ge=0, description="Entropy bonus (ENAS); AMBER uses 0.")
    baseline_decay: float = Field(0.95, ge=0, lt=1, description="EMA decay of the baseline.")
    advantage_clip: float | None = Field(
        10.0, gt=0, description="Clip |reward - baseline| (AMBER Buffer clip_advantage)."
    )
    lr: float = Field(1e-3, gt=0)
    buffer_steps: int = Field(
        1, gt=0, description="Train on the last this many steps' archs (AMBER buffer_size)."
    )
    batch_size: int | None = Field(
        20, gt=0, description="Archs per Adam step (AMBER batch_size); None: whole buffer."
    )
    updates_per_step: int = Field(
        10, gt=0, description="Epochs over the buffer per step (AMBER train_pi_iter)."
    )


class RandomSearchConfig(StrictModel):
    """Uniform ops; skips Bernoulli(skip_prob), or exactly n_skips of them."""

    skip_prob: float = Field(0.4, ge=0, le=1)
    n_skips: int | None = Field(None, ge=0)


class EvolutionConfig(StrictModel):
    """Regularized (aging) evolution (Real et al., AAAI 2019), strategy `evolution`.

    The first ``population`` architectures are drawn as random search draws them; after
    that each is a one-token mutation of the best of ``sample_size`` members drawn from the
    population, and the oldest member leaves when a new one joins. The defaults are sized for
    searches of 50-500 evaluated architectures (Real et al. used 100 and 25 for 20,000):
    a population much larger than a fifth of the budget would leave evolution random search.
    """

    population: int = Field(20, ge=2, description="Architectures kept (the most recent).")
    sample_size: int = Field(
        5, ge=1, description="Tournament size: members drawn to pick each parent."
    )
    skip_prob: float = Field(
        0.4, ge=0, le=1, description="Skip probability of the first, random population."
    )

    @model_validator(mode="after")
    def _sample_fits(self) -> EvolutionConfig:
        if self.sample_size > self.population:
            raise ValueError(
                f"sample_size ({self.sample_size}) must not exceed population "
                f"({self.population})"
            )
        return self


class TpeConfig(StrictModel):
    """Optuna's tree-structured Parzen estimator over the tokens, strategy `tpe`."""

    n_startup: int = Field(
        10, ge=1, description="Random architectures before the model is used."
    )
    multivariate: bool = Field(
        True, description="Model the tokens jointly (ops interact with skips and each other)."
    )


class SupernetConfig(StrictModel):
    """Training of the weight-sharing supernet (evaluator `shared`).

    The learning rate is higher than a standalone net's: each op is trained on only the
    minibatches whose sampled path uses it. On NFE2 with the `small` space, Adam at 1e-3 left
    the supernet near chance after 240 minibatches, 3e-3 reached a reward of 0.8 in 320, and
    1e-2 once collapsed it to a constant output.

    The paths it trains on are uniform by default, where ENAS and AMBER train on the
    controller's draws: as the controller concentrates, its favourite paths get most of the
    training and their rewards rise for that reason, not for how they train alone
    (benchmarks/README.md).
    """

    train_on: Literal["uniform", "strategy"] = Field(
        "uniform",
        description="Architectures the supernet trains on: uniformly drawn ones, so that the "
        "paths the controller favours get no more training than others and their rewards are "
        "not inflated by it (single-path one-shot NAS), or the strategy's own draws (ENAS, "
        "AMBER).",
    )
    scoring_bn: Literal["batch", "running", "recalibrate"] = Field(
        "batch",
        description="BatchNorm statistics a scored path is normalised with: each scoring "
        "batch's own, the shared running ones, or the path's own, measured on 1,024 training "
        "sequences before it is scored (costs about one more scoring pass).",
    )
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    lr: float = Field(3e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    batch_size: int = Field(64, gt=0)
    grad_clip: float | None = Field(5.0, gt=0)


class IndependentConfig(StrictModel):
    """Each child trained from scratch (evaluator `independent`): for ``epochs``, or by
    successive halving over a step's children when ``rungs`` is set."""

    epochs: int = Field(
        4,
        gt=0,
        description="Training epochs of each child (without rungs). On TAF7 and TBP, 4 epochs "
        "ranked 30 architectures of `small` about as well as two full trainings agree with "
        "each other (Kendall tau 0.26 and 0.28, against 0.28 and 0.40); 1 and 2 epochs ranked "
        "near chance. On the synthetic set and on `small-tuned` every length ranked; 4 epochs "
        "is the one length that ranked on every set (benchmarks/fidelity.py), and on TBP a "
        "15-minute search with 1-epoch children ended no better (benchmarks/README.md).",
    )
    rungs: list[int] | None = Field(
        None,
        description="Successive halving: epochs of each rung, ascending (e.g. [1, 3]). All "
        "of a step's children train for the first; the best 1/eta of each rung go on to the "
        "next; a child's reward is its score at the last rung it reached. Synchronous in "
        "one process, asynchronous (ASHA) on worker processes or Ray (docs/search.md).",
    )
    eta: int = Field(3, ge=2, description="Successive halving: keep the best 1/eta per rung.")
    max_steps_per_epoch: int | None = Field(
        1000,
        gt=0,
        description="Minibatches that make one epoch of a child: a pass over the training set, "
        "or this many if fewer (null: always a full pass). A cost bound, not a fidelity "
        "finding: at batch 64 it leaves sets of up to 64,000 training sequences (every set "
        "the fidelity figures were measured on) untouched, and on larger ones a 4-epoch child "
        "sees 256,000 sequences, about half of what AMBER's supernet sees per controller step, "
        "instead of hours of full passes (4.4 M sequences for DeepSEA's data).",
    )
    batch_size: int = Field(64, gt=0)
    lr: float = Field(1e-3, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _no_max_steps(cls, data: Any) -> Any:
        """``max_steps``, a cap on all of a child's minibatches, gave way to
        ``max_steps_per_epoch``; run folders of earlier versions hold ``max_steps: null``,
        which said nothing and is dropped so that they stay readable."""
        if isinstance(data, dict) and "max_steps" in data:
            if data["max_steps"] is not None:
                raise ValueError(
                    "max_steps (minibatches of a whole child) is replaced by "
                    "max_steps_per_epoch (minibatches of one epoch of a child)"
                )
            data = {key: value for key, value in data.items() if key != "max_steps"}
        return data

    @model_validator(mode="after")
    def _rungs_ascend(self) -> IndependentConfig:
        rungs = self.rungs
        if rungs is not None and (
            not rungs or rungs[0] < 1 or any(b <= a for a, b in itertools.pairwise(rungs))
        ):
            raise ValueError(f"rungs must be ascending positive epoch counts, got {rungs}")
        return self


#: Every search reward name (the first of ``search.objectives`` is one of them).
REWARD_NAMES = tuple(dict.fromkeys(name for names in TASK_REWARDS.values() for name in names))
#: Objectives measured on the architecture rather than read from its validation score
#: (docs/search.md, "Multi-objective search").
COST_OBJECTIVES = ("parameters", "latency_ms")


class LatencyConfig(StrictModel):
    """How ``latency_ms`` (an objective, or ``max_latency_ms``) is measured: the median
    wall time of one forward pass of the untrained child (in eval mode, at
    ``search.retrain_width``) on a batch of random sequences, after warm-up passes."""

    batch_size: int = Field(256, gt=0, description="Sequences per timed forward pass.")
    device: str = Field(
        "cpu", description="Where it is timed: cpu, cuda, cuda:1 ... (the device it will run on)."
    )
    repeats: int = Field(5, ge=1, description="Timed passes; their median is the latency.")
    warmup: int = Field(2, ge=0, description="Untimed passes first.")


class ScalarizationConfig(StrictModel):
    """One reward from several objectives (needed by strategy rl; any strategy may use it):
    ``sum of weight x value`` over the objectives, a maximised one counted positive and a
    minimised one negative, ``parameters`` and ``latency_ms`` as their log10. With a weight
    of 0.05 on parameters, a model 10 times larger must score 0.05 more to be preferred."""

    weights: dict[str, Annotated[float, Field(ge=0)]] = Field(
        ...,
        description="Objective name -> weight (>= 0); every objective but the first needs "
        "one; the first (the reward) defaults to 1.",
    )


class KnowledgeConfig(StrictModel):
    """Knowledge-guided reward (BioNAS / AMBER's ``KnowledgeReward``): reward = the
    validation reward + ``weight`` x the fraction of the given motifs that the candidate's
    units recover (those ``genas motifs`` reads: the stem's filters and the searched layers
    up to the first reduction; TOMTOM q < ``max_q`` against JASPAR with the given motifs);
    docs/search.md, "Knowledge-guided reward"."""

    motifs: list[str] | Path = Field(
        ...,
        description="The known motifs: JASPAR ids (MA0139.2; a base id MA0139 takes the "
        "latest version) of the bundled JASPAR2024, or a MEME motif file.",
    )
    weight: float = Field(
        ...,
        ge=0,
        description="lambda: the knowledge score (0 to 1) is added to the reward with this "
        "weight; 0 records the score without using it.",
    )
    max_q: float = Field(
        0.05, gt=0, le=1, description="A motif counts as recovered by a unit matching it at "
        "TOMTOM q below this."
    )
    sequences: int = Field(
        300,
        gt=0,
        description="Validation sequences the units are read on (a fixed seeded sample of "
        "the positives: any task positive; all sequences for regression/multiclass).",
    )

    @field_validator("motifs", mode="before")
    @classmethod
    def _ids_or_file(cls, value: Any) -> Any:
        """A non-empty list of id strings, or one path (a union's errors would be two)."""
        ids = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        if not (ids or isinstance(value, str | Path)):
            raise PydanticCustomError(
                "motifs", "a list of JASPAR ids or a MEME file path, got {value}",
                {"value": shown(value)},
            )
        return value


class SearchConfig(StrictModel):
    """Architecture search: strategy × evaluator over a model space (docs/search.md).

    The defaults are what genas's measurements support on a CPU budget
    (benchmarks/README.md): each candidate trained alone for a few epochs (the supernet's
    ranking was no better than chance on TAF7), random search over the architecture and the
    training settings (`small-tuned`; at the 20-odd candidates of a 15-minute CPU search,
    TPE did not beat it on TAF7 or TBP), and the three best retrained and kept as an
    ensemble.
    AMBER's own method is ``strategy: rl, evaluator: shared, space: small`` (or
    ``amber-deepsea``), as in examples/amber_deepsea.yaml.
    """

    space: str = Field(
        "small-tuned",
        description="Preset name (small, small-tuned, amber-deepsea) or space YAML path.",
    )
    strategy: Literal["rl", "random", "evolution", "tpe"] = Field(
        "random",
        description="rl: AMBER's LSTM controller (REINFORCE); random; evolution: regularized "
        "evolution; tpe: Optuna's tree-structured Parzen estimator.",
    )
    evaluator: Literal["shared", "independent"] = Field(
        "independent",
        description="How a candidate is scored: independent (trained alone for "
        "search.independent.epochs) or shared (one weight-sharing supernet, ENAS/AMBER).",
    )
    steps: int = Field(30, gt=0, description="Controller steps.")
    child_steps: int = Field(50, gt=0, description="Supernet minibatches per controller step.")
    archs_per_step: int = Field(10, gt=0, description="Architectures scored per step.")
    warmup_epochs: int = Field(0, ge=0, description="Supernet epochs on random archs first.")
    reward: (
        Literal[
            "auroc_mean", "auroc_median", "auprc_mean", "neg_loss", "pearson_mean",
            "spearman_mean", "neg_mse", "accuracy", "macro_auroc", "macro_f1",
        ]
        | None
    ) = Field(
        None,
        description="Validation score a candidate is rewarded with; None: the task type's "
        "default (auroc_mean, pearson_mean, macro_auroc). See docs/tasks.md for which fit "
        "which task type.",
    )
    reward_sequences: int | None = Field(
        None, gt=0, description="Score on this many validation sequences (None: all)."
    )
    objectives: list[dict[str, Literal["max", "min"]]] | None = Field(
        None,
        description="Multi-objective search, e.g. [auroc_mean: max, parameters: min, "
        "latency_ms: min]: the first is the search reward (search.reward may be left out), "
        "the others parameters and/or latency_ms; the run writes pareto.json "
        "(docs/search.md). A mapping in the same order is accepted too.",
    )
    max_parameters: int | None = Field(
        None,
        gt=0,
        description="Hard limit: a proposal with more parameters (at retrain_width) is "
        "never trained; it is told to the strategy as infeasible.",
    )
    max_latency_ms: float | None = Field(
        None,
        gt=0,
        description="Hard limit on latency_ms (search.latency): a slower proposal is never "
        "trained; it is told to the strategy as infeasible.",
    )
    latency: LatencyConfig = Field(
        default_factory=LatencyConfig,
        description="How latency_ms is measured (objective latency_ms or max_latency_ms).",
    )
    scalarization: ScalarizationConfig | None = Field(
        None,
        description="Tell the strategy one weighted sum of the objectives instead of the "
        "objectives themselves; needed by strategy rl with several objectives.",
    )
    knowledge: KnowledgeConfig | None = Field(
        None,
        description="Add a knowledge score to the reward: how many of the given motifs "
        "the candidate's units recover (the stem's filters and the searched layers up to "
        "the first reduction; docs/search.md).",
    )
    final: Literal["best", "best_last_step", "most_likely"] = Field(
        "best",
        description="The search's choice: the best reward of the whole search, the best of "
        "the last step (AMBER's rule, for a controller that has converged), or the policy's "
        "most likely architecture (rl).",
    )
    budget: str | None = Field(None, description="Wall-clock budget, e.g. 90s, 30m, 2h.")
    width: float = Field(1.0, gt=0, description="Width multiplier of the supernet.")
    retrain_width: float = Field(1.0, gt=0, description="Width of the retrained final model.")
    retrain_top_k: int = Field(
        3,
        ge=1,
        description="Retrain the K best architectures of the search and keep them as one "
        "ensemble (ensemble) or the one with the best validation score (1: the search's "
        "choice only, as AMBER).",
    )
    ensemble: bool = Field(
        True,
        description="Keep all retrain_top_k retrained models as one ensemble (their "
        "probabilities averaged) instead of the best one on validation; needs "
        "retrain_top_k >= 2. Not given: true when retrain_top_k >= 2.",
    )
    controller: ControllerConfig = Field(default_factory=ControllerConfig)
    random: RandomSearchConfig = Field(default_factory=RandomSearchConfig)
    evolution: EvolutionConfig = Field(default_factory=EvolutionConfig)
    tpe: TpeConfig = Field(default_factory=TpeConfig)
    supernet: SupernetConfig = Field(default_factory=SupernetConfig)
    independent: IndependentConfig = Field(default_factory=IndependentConfig)

    @model_validator(mode="before")
    @classmethod
    def _ensemble_by_default(cls, data: Any) -> Any:
        """``ensemble`` not given: an ensemble when several models are retrained."""
        if isinstance(data, dict) and "ensemble" not in data:
            top_k = data.get("retrain_top_k", cls.model_fields["retrain_top_k"].default)
            if isinstance(top_k, int) and not isinstance(top_k, bool):
                data = {**data, "ensemble": top_k >= 2}
        return data

    @model_validator(mode="after")
    def _ensemble_of_several(self) -> SearchConfig:
        if self.ensemble and self.retrain_top_k < 2:
            raise ValueError(
                f"ensemble: true needs retrain_top_k >= 2 (an ensemble of one), got "
                f"{self.retrain_top_k}; set ensemble: false to keep the best model alone"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _reward_from_objectives(cls, data: Any) -> Any:
        """``objectives`` as a mapping: the list of its pairs, in order; ``reward`` not
        given: the first objective (the checks are :meth:`_objectives_fit`'s)."""
        if not isinstance(data, dict):
            return data
        objectives = data.get("objectives")
        if isinstance(objectives, dict):
            data = {**data, "objectives": [{k: v} for k, v in objectives.items()]}
            objectives = data["objectives"]
        if data.get("reward") is None and isinstance(objectives, list) and objectives:
            first = objectives[0]
            if isinstance(first, dict) and len(first) == 1 and next(iter(first)) in REWARD_NAMES:
                data = {**data, "reward": next(iter(first))}
        return data

    @field_validator("objectives")
    @classmethod
    def _known_objectives(cls, value: list[dict[str, str]] | None) -> list[dict[str, str]] | None:
        problem = _objectives_problem(value)
        if problem is not None:
            raise PydanticCustomError("objectives", problem)
        return value

    @model_validator(mode="after")
    def _objectives_fit(self) -> SearchConfig:
        """``objectives``, ``reward``, ``scalarization`` and the strategy agree."""
        problem = None
        names = [name for entry in self.objectives or [] for name in entry]
        if names and self.reward is not None and self.reward != names[0]:
            problem = (
                f"reward ({self.reward}) differs from the first of objectives ({names[0]}), "
                "which is the search reward; leave reward out"
            )
        elif self.scalarization is not None:
            weights = self.scalarization.weights
            unknown = [name for name in weights if name not in names]
            missing = [name for name in names[1:] if name not in weights]
            if len(names) < 2:
                problem = "scalarization needs at least two objectives"
            elif unknown:
                problem = (
                    f"scalarization.weights: {unknown[0]!r} is not one of the objectives "
                    f"({', '.join(names)})"
                )
            elif missing:
                problem = f"scalarization.weights: no weight for objective {missing[0]}"
        elif len(names) > 1 and self.strategy == "rl":
            problem = (
                "strategy rl learns from one reward: with several objectives set "
                "scalarization.weights, or use strategy tpe, evolution or random"
            )
        if problem is not None:
            raise PydanticCustomError("objectives", problem)
        return self


def _objectives_problem(objectives: list[dict[str, str]] | None) -> str | None:
    """Why ``search.objectives`` is wrong (one line), or None: each entry one
    ``name: max|min`` pair, the first a reward (maximised), the others distinct
    :data:`COST_OBJECTIVES`."""
    if objectives is None:
        return None
    if not objectives:
        return "empty (leave it out for a single-objective search)"
    seen: list[str] = []
    for i, entry in enumerate(objectives):
        if len(entry) != 1:
            return f"entry {i}: one `name: max|min` pair per entry, got {shown(entry, 80)}"
        ((name, direction),) = entry.items()
        if name not in REWARD_NAMES + COST_OBJECTIVES:
            return (
                f"unknown objective {name!r} (known: "
                f"{', '.join(REWARD_NAMES + COST_OBJECTIVES)})"
            )
        if name in seen:
            return f"{name} is listed twice"
        if i == 0 and (name not in REWARD_NAMES or direction != "max"):
            return (
                "the first objective is the search reward, maximised (e.g. auroc_mean: max), "
                f"got {name}: {direction}"
            )
        if i > 0 and name not in COST_OBJECTIVES:
            return (
                f"{name} can only be the first objective; the others are "
                f"{' and '.join(COST_OBJECTIVES)}"
            )
        seen.append(name)
    return None


# ---------------------------------------------------------------------------- executor


class ExecutorConfig(StrictModel):
    """Where independent work runs (the `genas.parallel` executors): children of the
    `independent` evaluator, replicate searches, the models of `compare` and `retrain
    --top-k`, the measurements of `fidelity`.

    ``executor: ray`` in YAML is short for ``executor: {backend: ray}``.
    """

    backend: Literal["inprocess", "processes", "ray"] = Field(
        "inprocess",
        description="inprocess: one after another in this process; processes: `workers` at "
        "once in worker processes of this machine; ray: in parallel on a Ray cluster.",
    )
    workers: int | None = Field(
        None,
        ge=1,
        description="processes: trials at once (None: the CPUs this process may use / "
        "cpus_per_trial). Each worker holds its own copy of in-memory data.",
    )
    address: str | None = Field(
        None,
        description="Ray cluster to join: 'auto' (the one running on this machine), "
        "'ray://head:10001'; None starts a local Ray instance on this machine.",
    )
    cpus_per_trial: float = Field(
        1.0, gt=0, description="CPUs of each trial: its torch threads (processes, ray) and "
        "what Ray reserves for it."
    )
    gpus_per_trial: float | None = Field(
        None,
        ge=0,
        description="GPUs per trial (0.5: two trials share a GPU); None: 1 when the Ray "
        "cluster has GPUs, else 0.",
    )
    retries: int = Field(1, ge=0, description="Reruns of a trial that raised or whose worker died.")

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"backend": value} if isinstance(value, str) else value


# ---------------------------------------------------------------------------- run


class OutputConfig(StrictModel):
    dir: Path = Field(
        Path("runs/run"),
        description="Run folder. Unlike input paths, relative to the working directory.",
    )


class RunConfig(StrictModel):
    seed: int = Field(
        0, ge=0, lt=SEED_LIMIT, description="Seed of every random generator, 0 to 2**32 - 1."
    )
    data: DataConfig
    model: ModelConfig = Field(default_factory=lambda: ModelConfig(reference="deepbind"))
    train: TrainConfig = Field(default_factory=TrainConfig)
    search: SearchConfig | None = None
    output: OutputConfig = Field(default_factory=OutputConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)

    @model_validator(mode="after")
    def _fits_task_type(self) -> RunConfig:
        """``train.loss`` and ``search.reward`` fit ``data.task_type``; unset ones get its
        defaults."""
        task_type = self.data.task_type
        self.train.loss = _task_choice(
            self.train.loss, TASK_LOSSES[task_type], "train.loss", task_type
        )
        if self.search is not None:
            self.search.reward = _task_choice(
                self.search.reward, TASK_REWARDS[task_type], "search.reward", task_type
            )
        return self


def _task_choice(value: str | None, allowed: tuple[str, ...], key: str, task_type: str) -> str:
    """``value`` when it is one of ``allowed`` (the first when None); else a one-line error."""
    if value is None:
        return allowed[0]
    if value not in allowed:
        raise PydanticCustomError(
            "task_type_mismatch",
            "{key}: {value} does not fit data.task_type {task_type} (use {allowed})",
            {"key": key, "value": value, "task_type": task_type, "allowed": ", ".join(allowed)},
        )
    return value


# ---------------------------------------------------------------------------- loading


def _resolve_paths(value: Any, base: Path) -> Any:
    """Make every relative Path in a validated model absolute, relative to `base`."""
    if isinstance(value, Path):
        return value if value.is_absolute() else (base / value).resolve()
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            setattr(value, name, _resolve_paths(getattr(value, name), base))
        return value
    if isinstance(value, list):
        return [_resolve_paths(v, base) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_paths(v, base) for k, v in value.items()}
    return value


_DATA_FORMATS = {"fasta", "table", "bed", "deepsea_mat", "hdf5", "bigwig"}


def _error_location(error: dict) -> list[str]:
    """The keys of a pydantic error's location, without the names a union's branches add
    (``list[int]``, ``lax-or-strict[...]``)."""
    return [str(p) for p in error["loc"] if not re.search(r"[\[\]-]", str(p))]


def format_validation_error(error: ValidationError, source: str) -> str:
    """One line: ``source: data.train.positives: Field required (+2 more)``."""
    # A typo is the likeliest cause of any other error, so report unknown keys first.
    errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    if first["type"] != "extra_forbidden":  # a union's branches: the most specific error
        prefix = _error_location(first)
        first = max((e for e in errors if _error_location(e)[: len(prefix)] == prefix),
                    key=lambda e: len(_error_location(e)))
    parts = _error_location(first)
    if first["type"] == BOOL_FOR_NUMBER:
        parts.append(str(first["ctx"]["key"]))  # raised by the section, about one of its keys
    if parts[:1] == ["data"] and len(parts) > 1 and parts[1] in _DATA_FORMATS:
        parts.pop(1)  # the discriminator tag pydantic adds to the location
    loc = ".".join(parts)
    if first["type"] == "extra_forbidden":
        parent = ".".join(parts[:-1]) or "top level"
        message = f"unknown key {shown(parts[-1])} in {parent}"
    else:
        message = f"{loc}: {first['msg']}" if loc else first["msg"]
    if len(errors) > 1:
        message += f" (+{len(errors) - 1} more)"
    return f"{source}: {message}"


def parse_config(raw: dict, base_dir: Path, source: str = "<config>") -> RunConfig:
    """Validate a config dict; relative paths are taken relative to `base_dir`."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping of sections, got {type(raw).__name__}")
    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error, source)) from None
    output_dir = config.output.dir
    config = _resolve_paths(config, base_dir.resolve())
    config.output.dir = output_dir
    config.model.space = _resolve_space(config.model.space, base_dir)
    if config.search is not None:
        config.search.space = _resolve_space(config.search.space, base_dir)
    return config


def _resolve_space(space: str | None, base_dir: Path) -> str | None:
    """A space YAML path relative to `base_dir`; a preset name (or None) as it is."""
    if space is None or not space.endswith((".yaml", ".yml")):
        return space
    return str(_resolve_paths(Path(space), base_dir.resolve()))


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML run config."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: a folder, not a config file (a YAML file such as "
                          "examples/taf7.yaml)")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = load_yaml(path)
    except InputError as error:  # the same one line, as the config's own error type
        raise ConfigError(str(error)) from None
    if raw is None:
        raise ConfigError(f"{path}: config file is empty")
    return parse_config(raw, path.parent, str(path))


def dump_config(config: RunConfig) -> str:
    """YAML text of a (resolved) config, as written to a run folder."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
