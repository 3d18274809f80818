"""Zero-shot architecture transfer: rank a space's architectures for a new task from the
searches of other tasks, without searching the new one.

AMBIENT (Zhang et al., "Automated deep learning for genomics via AMBIENT"; AMBER's
``ZeroShotController``) trains one controller on many tasks by REINFORCE, its policy
conditioned on a descriptor of each task, and samples the new task's architecture from it.
genas learns the same thing, *which architectures score well on a task with this
descriptor*, as a supervised model of the rewards the tasks' searches already measured:

    score(a, d) = Σ_i α_i · k_arch(a, a_i) · k_task(d, d_i)

a kernel ridge regression (scikit-learn's ``KernelRidge`` on a precomputed kernel) over
every (architecture, task) pair the searches scored, whose kernel is the product of an RBF
kernel between architectures (their one-hot tokens and op counts) and one between the
tasks' descriptors (:mod:`genas.search.descriptors`): the product kernel of multi-task
Gaussian processes (Bonilla, Chai & Williams, "Multi-task Gaussian process prediction",
NeurIPS 2007), used for transfer across tasks in Bayesian optimisation by Swersky, Snoek &
Adams ("Multi-task Bayesian optimization", NeurIPS 2013). Why this rather than a controller
trained by REINFORCE or a tree model:

- the rewards are already measured: fitting them is a regression, solved exactly, with no
  policy-gradient variance and nothing new to train;
- a transfer model learns from a handful of tasks. A tree model splits on single
  descriptor coordinates, and with a few tasks any of hundreds separates them, chosen by
  chance; the task kernel compares whole descriptors, and its length scale, chosen by
  leave-one-task-out cross-validation (:func:`select_settings`), says how much the
  descriptor should matter, down to not at all (infinite length scale: one ranking pooled
  over the tasks, tried first, so the descriptor has to earn its place);
- far from every scored architecture the prediction falls back to the mean, so the
  proposal stays near architectures that did well on similar tasks.

Rewards are turned into centred ranks within each task (:func:`rank_targets`): tasks
differ in how high their scores go, and what transfers is which architectures are better.

The model file (:class:`TransferModel`, JSON) holds the scored architectures, the
descriptors and the chosen settings; a proposal refits the kernel ridge from them (a linear
solve over a few hundred pairs, deterministic), so nothing is pickled.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import stats
from sklearn.kernel_ridge import KernelRidge

from genas.config import format_validation_error
from genas.errors import GenasError, InputError
from genas.fileio import atomic_write_json
from genas.space import Architecture, ModelSpace, sample_architecture
from genas.space.sampling import token_choices

#: File format tag of a transfer model.
FORMAT = "genas-transfer-model"
#: Length scales tried (× the median distance), and ridge penalties; ``None`` = infinite
#: (the task kernel is 1: the tasks pooled).
TASK_SCALES: tuple[float | None, ...] = (None, 2.0, 1.0, 0.5)
ARCH_SCALES = (1.0, 2.0, 0.5)
ALPHAS = (1.0, 0.1)
#: Architectures each task must contribute (with a finite reward).
MIN_ARCHS = 3

Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ScoredArchitecture(_Strict):
    """An architecture a task's search scored: its tokens and mean finite reward."""

    tokens: list[int]
    reward: Finite


class TransferTask(_Strict):
    """One task the model learns from: where its search ran, its descriptor, its scores."""

    name: str
    run: str
    evaluator: str
    descriptor: list[Finite]
    archs: list[ScoredArchitecture] = Field(min_length=MIN_ARCHS)


class Settings(_Strict):
    """The kernel ridge's settings: length scales (× the median distance of the training
    pairs; ``task_scale`` None = the tasks pooled) and ridge penalty."""

    arch_scale: Finite = Field(gt=0)
    task_scale: Finite | None = Field(gt=0)
    alpha: Finite = Field(gt=0)


class TransferModel(_Strict):
    """The content of a transfer model file (``genas transfer fit``)."""

    format: Literal["genas-transfer-model"] = FORMAT
    version: Literal[1] = 1
    space: str = Field(description="The model space (preset name or YAML path).")
    space_digest: str
    descriptor_version: int
    descriptor_names: list[str]
    tasks: list[TransferTask] = Field(min_length=2)
    settings: Settings
    cross_validation: dict[str, Finite | None] = Field(
        default_factory=dict,
        description="Held-out task -> Spearman ρ of its predicted vs measured rewards.",
    )


def scored_architectures(rows: list[dict]) -> list[ScoredArchitecture]:
    """The distinct architectures of history ``rows`` with a finite reward, each with its
    mean reward (a strategy may score one architecture several times), in history order."""
    sums: dict[tuple[int, ...], list[float]] = {}
    for row in rows:
        reward = row.get("reward")
        if row.get("valid", True) and reward is not None and math.isfinite(reward):
            sums.setdefault(tuple(row["tokens"]), []).append(float(reward))
    return [ScoredArchitecture(tokens=list(t), reward=float(np.mean(r))) for t, r in sums.items()]


def rank_targets(rewards: Sequence[float]) -> np.ndarray:
    """float64 (N,): each reward's rank within ``rewards`` scaled to [-0.5, 0.5] (ties share
    their mean rank; a single reward is 0)."""
    rewards = np.asarray(rewards, dtype=np.float64)
    if len(rewards) < 2:
        return np.zeros(len(rewards))
    return (stats.rankdata(rewards) - 1) / (len(rewards) - 1) - 0.5


def architecture_features(space: ModelSpace, archs: Sequence[Architecture]) -> np.ndarray:
    """float64 (N, P): each architecture's ops one-hot per layer, skip bits, training
    values one-hot, then how many layers use each op (by label) and how many skips are on.
    The counts let architectures that use the same ops in other layers count as similar."""
    labels = sorted({op.label for layer in space.layers for op in layer})
    rows = []
    for arch in archs:
        parts = []
        for i, op in enumerate(arch.ops):
            parts.append(np.eye(space.num_ops(i))[op])
        if space.skips:
            parts.append(np.array([b for row in arch.skips for b in row], dtype=np.float64))
        for (_, values), index in zip(space.training, arch.training, strict=True):
            parts.append(np.eye(len(values))[index])
        used = [space.op(i, op).label for i, op in enumerate(arch.ops)]
        parts.append(np.array([used.count(label) for label in labels], dtype=np.float64))
        parts.append(np.array([arch.n_skips], dtype=np.float64))
        rows.append(np.concatenate(parts))
    return np.array(rows, dtype=np.float64)


@dataclass
class _Pairs:
    """The (architecture, task) pairs of some tasks: features, descriptors, targets."""

    arch: np.ndarray  # (N, P)
    task: np.ndarray  # (N, D)
    target: np.ndarray  # (N,)
    group: np.ndarray  # (N,) index of the task


def _pairs(space: ModelSpace, tasks: Sequence[TransferTask]) -> _Pairs:
    arch, task, target, group = [], [], [], []
    for t, entry in enumerate(tasks):
        archs = [Architecture.from_tokens(space, a.tokens) for a in entry.archs]
        arch.append(architecture_features(space, archs))
        task.append(np.tile(np.asarray(entry.descriptor), (len(archs), 1)))
        target.append(rank_targets([a.reward for a in entry.archs]))
        group.append(np.full(len(archs), t))
    return _Pairs(*(np.concatenate(v) for v in (arch, task, target, group)))


class Surrogate:
    """The kernel ridge regression of the module's docstring, fitted to some tasks' pairs.

    Args:
        arch, task: (N, P) architecture features and (N, D) descriptors of the pairs.
        target: (N,) centred ranks.
        settings: length scales and penalty.
    """

    def __init__(self, arch: np.ndarray, task: np.ndarray, target: np.ndarray,
                 settings: Settings) -> None:  # fmt: skip
        self.arch, self.task, self.settings = arch, task, settings
        self.arch_gamma = _gamma(arch, settings.arch_scale)
        self.task_gamma = (
            None
            if settings.task_scale is None
            else _gamma(np.unique(task, axis=0), settings.task_scale)
        )
        self.regression = KernelRidge(alpha=settings.alpha, kernel="precomputed")
        self.regression.fit(self._kernel(arch, task), target)

    def predict(self, arch: np.ndarray, descriptor: np.ndarray) -> np.ndarray:
        """float64 (M,): the predicted centred rank of each of ``arch`` (M, P) on a task
        with ``descriptor`` (D,)."""
        task = np.tile(np.asarray(descriptor, dtype=np.float64), (len(arch), 1))
        return self.regression.predict(self._kernel(arch, task))

    def _kernel(self, arch: np.ndarray, task: np.ndarray) -> np.ndarray:
        kernel = np.exp(-self.arch_gamma * _squared_distances(arch, self.arch))
        if self.task_gamma is not None:
            kernel *= np.exp(-self.task_gamma * _squared_distances(task, self.task))
        return kernel


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) squared Euclidean distances."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(d, 0.0)


def _gamma(points: np.ndarray, scale: float) -> float:
    """The RBF's γ = 1 / (scale² · median squared distance between distinct ``points``)."""
    d = _squared_distances(points, points)[np.triu_indices(len(points), k=1)]
    d = d[d > 0]
    median = float(np.median(d)) if len(d) else 1.0
    return 1.0 / (scale**2 * median)


def fit_surrogate(space: ModelSpace, tasks: Sequence[TransferTask],
                  settings: Settings) -> Surrogate:  # fmt: skip
    """The :class:`Surrogate` of all pairs of ``tasks``."""
    pairs = _pairs(space, tasks)
    return Surrogate(pairs.arch, pairs.task, pairs.target, settings)


def cross_validate(space: ModelSpace, tasks: Sequence[TransferTask],
                   settings: Settings) -> dict[str, float | None]:  # fmt: skip
    """Leave one task out: for each task, the Spearman ρ between its measured rewards and
    those a surrogate fitted to the other tasks predicts from its descriptor (None where
    its rewards are all equal)."""
    pairs = _pairs(space, tasks)
    out: dict[str, float | None] = {}
    for t, entry in enumerate(tasks):
        train, test = pairs.group != t, pairs.group == t
        model = Surrogate(pairs.arch[train], pairs.task[train], pairs.target[train], settings)
        predicted = model.predict(pairs.arch[test], np.asarray(entry.descriptor))
        measured = pairs.target[test]
        constant = np.ptp(predicted) == 0 or np.ptp(measured) == 0  # ρ undefined (scipy warns)
        rho = np.nan if constant else stats.spearmanr(predicted, measured).statistic
        out[_task_key(entry, out)] = None if not np.isfinite(rho) else float(rho)
    return out


def _task_key(entry: TransferTask, taken: dict) -> str:
    """A task's name, made unique among the keys of ``taken``."""
    key, n = entry.name, 2
    while key in taken:
        key, n = f"{entry.name} ({n})", n + 1
    return key


def select_settings(
    space: ModelSpace,
    tasks: Sequence[TransferTask],
    task_scales: Sequence[float | None] = TASK_SCALES,
) -> tuple[Settings, dict[str, float | None]]:
    """The settings of the grid (``task_scales`` × :data:`ARCH_SCALES` × :data:`ALPHAS`,
    in that order) with the best mean leave-one-task-out Spearman ρ
    (:func:`cross_validate`; the first of equals, so the pooled ranking wins ties), and
    its per-task ρ. ``task_scales=(None,)``: the best ranking that ignores descriptors."""
    best, best_score, best_table = None, -math.inf, {}
    for task_scale in task_scales:
        for arch_scale in ARCH_SCALES:
            for alpha in ALPHAS:
                settings = Settings(arch_scale=arch_scale, task_scale=task_scale, alpha=alpha)
                table = cross_validate(space, tasks, settings)
                values = [v for v in table.values() if v is not None]
                score = float(np.mean(values)) if values else -math.inf
                if best is None or score > best_score + 1e-12:
                    best, best_score, best_table = settings, score, table
    return best, best_table


def candidates(
    space: ModelSpace, tasks: Sequence[TransferTask], samples: int, seed: int
) -> list[Architecture]:
    """What a proposal ranks: every architecture the tasks' searches scored, then
    ``samples`` uniform draws of the space (seeded; all of a space of at most ``samples``
    architectures), without repeats."""
    seen: dict[str, Architecture] = {}
    for entry in tasks:
        for scored in entry.archs:
            arch = Architecture.from_tokens(space, scored.tokens)
            seen.setdefault(arch.hash, arch)
    if space.size <= samples:  # a small space: every architecture of it
        for tokens in itertools.product(*(range(n) for n in token_choices(space))):
            arch = Architecture.from_tokens(space, tokens)
            seen.setdefault(arch.hash, arch)
        return list(seen.values())
    rng = np.random.default_rng([seed, 31])
    for _ in range(samples):
        arch = sample_architecture(space, rng)
        seen.setdefault(arch.hash, arch)
    return list(seen.values())


def propose(
    model: TransferModel,
    space: ModelSpace,
    descriptor: np.ndarray,
    *,
    samples: int = 2000,
    seed: int = 0,
    settings: Settings | None = None,
) -> list[tuple[Architecture, float]]:
    """The candidates (:func:`candidates`) ranked by the surrogate fitted to every task of
    ``model`` (with ``settings``, default the model's), best first: ``(arch, predicted
    centred rank)``. Ties keep the candidates' order (scored ones first)."""
    if len(descriptor) != len(model.descriptor_names):
        raise GenasError(
            f"the descriptor has {len(descriptor)} features, the transfer model "
            f"{len(model.descriptor_names)}"
        )
    surrogate = fit_surrogate(space, model.tasks, settings or model.settings)
    pool = candidates(space, model.tasks, samples, seed)
    scores = surrogate.predict(architecture_features(space, pool), descriptor)
    order = np.argsort(-scores, kind="stable")
    return [(pool[i], float(scores[i])) for i in order]


def read_transfer_model(path: str | Path) -> TransferModel:
    """Read and check a transfer model file.

    Raises:
        InputError: naming the file: missing, not JSON, or not a transfer model.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "transfer model not found (write one with `genas transfer fit`)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise InputError(path, f"not valid JSON: {error.msg}", error.lineno) from None
    except UnicodeDecodeError:
        raise InputError(path, "not a text file") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(path, f'not a transfer model (no "format": "{FORMAT}")')
    try:
        model = TransferModel.model_validate(data)
    except ValidationError as error:
        raise InputError(path, format_validation_error(error, "transfer model")) from None
    for entry in model.tasks:
        if len(entry.descriptor) != len(model.descriptor_names):
            raise InputError(path, f"task {entry.name!r}: descriptor of "
                             f"{len(entry.descriptor)} features, expected "
                             f"{len(model.descriptor_names)}")  # fmt: skip
    return model


def write_transfer_model(path: str | Path, model: TransferModel) -> None:
    """Write ``model`` as JSON, atomically."""
    atomic_write_json(path, model.model_dump(mode="json"))
