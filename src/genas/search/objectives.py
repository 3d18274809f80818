"""Multi-objective and constrained search: measuring an architecture's costs, filtering
proposals by the hard limits before they are trained, and telling the strategy.

``search.objectives`` lists the reward first (read from the validation score) and then
costs measured on the architecture itself, before any training:

- ``parameters``: counted on the child built on PyTorch's meta device (no memory, no
  random numbers drawn), at ``search.retrain_width``: the model ``retrain`` trains.
- ``latency_ms``: the median wall time of a forward pass of the untrained child (eval
  mode, at ``search.retrain_width``) on ``search.latency.batch_size`` random sequences on
  ``search.latency.device``, after ``warmup`` untimed passes. It is measured in the search
  process; a measurement, so it varies a little from run to run (and with the machine's
  load), and a search with it is not repeatable bit for bit.

``search.max_parameters`` and ``search.max_latency_ms`` are hard limits: a proposal over
one is never trained; it gets a failed score naming the limit, is written to the history
with ``feasible: false``, and is told to the strategy as infeasible
(:meth:`~genas.search.strategies.base.Strategy.tell_point`: a constraint for TPE, the
lowest reward elsewhere). With the shared evaluator the supernet still trains on paths of
the whole space (the weights are shared), but such a path is never scored or chosen.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from genas.config import COST_OBJECTIVES, LatencyConfig, SearchConfig
from genas.errors import GenasError
from genas.nn.build import count_parameters
from genas.nn.network import ChildNet
from genas.search.evaluators.base import Evaluator, Score
from genas.search.pareto import objective_pairs, oriented
from genas.search.strategies.base import Strategy
from genas.space import Architecture, ModelSpace
from genas.train.device import autocast, resolve_device


@dataclass(frozen=True)
class Measured:
    """An architecture's costs, measured before it is trained.

    Attributes:
        parameters: its parameter count (None: not measured).
        latency_ms: its forward time in milliseconds (None: not measured).
        violation: None without hard limits; else the summed relative excess over them
            (0.0: within every limit), the constraint value Optuna is told.
        reason: why it is infeasible (None when it is not).
        seconds: time spent measuring it.
    """

    parameters: int | None = None
    latency_ms: float | None = None
    violation: float | None = None
    reason: str | None = None
    seconds: float = 0.0

    @property
    def feasible(self) -> bool:
        return self.violation is None or self.violation <= 0


def child_parameters(
    space: ModelSpace, arch: Architecture, input_length: int, n_outputs: int, width: float
) -> int:
    """Parameters of ``arch``'s standalone child, counted on the meta device."""
    with torch.device("meta"):
        net = ChildNet(space, arch, input_length, n_outputs, width)
    return count_parameters(net)


def forward_latency_ms(
    net: torch.nn.Module, input_length: int, config: LatencyConfig, device: torch.device
) -> float:
    """Median milliseconds of ``net``'s forward pass on float32 one-hot (B, 4, L) random
    sequences (B = ``config.batch_size``) on ``device``, in eval mode under
    ``inference_mode`` (bf16 autocast on CUDA, as genas predicts), after ``config.warmup``
    untimed passes. The sequences come from a generator of their own: the global random
    state is not touched."""
    generator = torch.Generator().manual_seed(0)
    bases = torch.randint(0, 4, (config.batch_size, input_length), generator=generator)
    x = torch.nn.functional.one_hot(bases, 4).permute(0, 2, 1).float().to(device)
    net = net.to(device).eval()
    times = []
    with torch.inference_mode(), autocast(device):
        for i in range(config.warmup + config.repeats):
            _synchronize(device)
            began = time.perf_counter()
            net(x)
            _synchronize(device)
            if i >= config.warmup:
                times.append(time.perf_counter() - began)
    return 1000.0 * statistics.median(times)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def uses_latency(search: SearchConfig) -> bool:
    """Whether the search measures ``latency_ms`` (an objective or a hard limit)."""
    names = [name for name, _ in objective_pairs(search.objectives)]
    return "latency_ms" in names or search.max_latency_ms is not None


def check_objectives(search: SearchConfig) -> None:
    """A one-line :class:`GenasError` for objectives that cannot be measured here (a
    ``search.latency.device`` this machine lacks); checked before a run folder is touched."""
    if uses_latency(search):
        try:
            resolve_device(search.latency.device)
        except GenasError as error:
            raise GenasError(f"search.latency.device: {error}") from None


class SearchObjectives:
    """The objectives and hard limits of a search, for the search loop.

    Without ``search.objectives`` and limits it is inactive: nothing is measured, every
    architecture is scored and :meth:`tell` passes the reward on, as a plain search does.

    Args:
        search: the search settings.
        space: the model space.
        input_length: L of the (N, 4, L) inputs.
        n_outputs: the network's outputs (``TaskSpec.n_outputs``).
    """

    def __init__(
        self, search: SearchConfig, space: ModelSpace, input_length: int, n_outputs: int
    ) -> None:
        pairs = objective_pairs(search.objectives) or [(search.reward, "max")]
        self.names = [name for name, _ in pairs]
        self.directions = [direction for _, direction in pairs]
        self.space, self.input_length, self.n_outputs = space, input_length, n_outputs
        self.width = search.retrain_width
        self.max_parameters = search.max_parameters
        self.max_latency_ms = search.max_latency_ms
        self.latency = search.latency
        self.weights = None if search.scalarization is None else search.scalarization.weights
        self.constrained = self.max_parameters is not None or self.max_latency_ms is not None
        self.active = search.objectives is not None or self.constrained
        limits = {"parameters": self.max_parameters, "latency_ms": self.max_latency_ms}
        #: the costs measured: those that are objectives or have a limit
        self.measures = [
            name for name in COST_OBJECTIVES if name in self.names or limits[name] is not None
        ]
        self.device = resolve_device(self.latency.device) if uses_latency(search) else None
        self._cache: dict[str, Measured] = {}

    # ------------------------------------------------------------------ measuring

    def measure(self, archs: Iterable[Architecture]) -> list[Measured]:
        """The costs of each architecture (:class:`Measured`; empty when inactive)."""
        return [self.measure_one(arch) for arch in archs]

    def measure_one(self, arch: Architecture) -> Measured:
        """``arch``'s parameters and latency as the objectives and limits need them, and
        whether it is within the limits; an architecture seen before is not measured again.
        The latency of one already over ``max_parameters`` is not measured."""
        if not self.measures:
            return Measured()
        if arch.hash in self._cache:
            return self._cache[arch.hash]
        began = time.perf_counter()
        parameters = latency = None
        excess: list[float] = []
        reasons: list[str] = []
        if "parameters" in self.measures:
            parameters = child_parameters(
                self.space, arch, self.input_length, self.n_outputs, self.width
            )
            if self.max_parameters is not None and parameters > self.max_parameters:
                excess.append(parameters / self.max_parameters - 1.0)
                reasons.append(
                    f"{parameters:,} parameters > search.max_parameters {self.max_parameters:,}"
                )
        if "latency_ms" in self.measures and not excess:
            latency = self._latency(arch)
            if self.max_latency_ms is not None and latency > self.max_latency_ms:
                excess.append(latency / self.max_latency_ms - 1.0)
                reasons.append(
                    f"latency {latency:.3g} ms > search.max_latency_ms {self.max_latency_ms:g}"
                )
        measured = Measured(
            parameters=parameters,
            latency_ms=latency,
            violation=sum(excess) if self.constrained else None,
            reason=f"infeasible, not trained: {'; '.join(reasons)}" if reasons else None,
            seconds=time.perf_counter() - began,
        )
        self._cache[arch.hash] = measured
        return measured

    def _latency(self, arch: Architecture) -> float:
        """:func:`forward_latency_ms` of ``arch``'s untrained child. Its weights are drawn
        from a fixed seed with the global random state saved and restored, so measuring
        changes nothing in the search's random streams."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            net = ChildNet(self.space, arch, self.input_length, self.n_outputs, self.width)
        return forward_latency_ms(net, self.input_length, self.latency, self.device)

    # ------------------------------------------------------------------ scoring, telling

    def score_many(
        self,
        evaluator: Evaluator,
        archs: Sequence[Architecture],
        measured: Sequence[Measured],
        deadline: float | None = None,
    ) -> list[Score | None]:
        """The evaluator's scores of the feasible architectures (None: left unscored by
        ``deadline``); an infeasible one gets a failed score naming the limit, untrained."""
        feasible = [i for i, m in enumerate(measured) if m.feasible]
        scores: list[Score | None] = [
            Score.failed(m.reason or "infeasible", m.seconds) for m in measured
        ]
        if feasible:
            got = evaluator.score_many([archs[i] for i in feasible], deadline)
            for i, score in zip(feasible, got, strict=True):
                scores[i] = score
        return scores

    def values(self, score: Score, measured: Measured) -> list[float]:
        """The objective values of a scored architecture, in ``names`` order (NaN: none)."""
        costs = {"parameters": measured.parameters, "latency_ms": measured.latency_ms}
        out = [float(score.reward)]
        for name in self.names[1:]:
            value = costs[name]
            out.append(math.nan if value is None else float(value))
        return out

    def scalarized(self, values: Sequence[float]) -> float:
        """``search.scalarization``: the sum of weight × value, minimised objectives
        negated, ``parameters`` and ``latency_ms`` as their log10 (NaN if any is NaN)."""
        total = 0.0
        for name, direction, value in zip(self.names, self.directions, values, strict=True):
            weight = self.weights.get(name, 1.0 if name == self.names[0] else 0.0)
            if name in COST_OBJECTIVES:
                value = math.log10(max(value, 1e-9)) if math.isfinite(value) else math.nan
            total += weight * (value if direction == "max" else -value)
        return total

    def tell(
        self, strategy: Strategy, arch: Architecture, score: Score, measured: Measured
    ) -> None:
        """Tell ``strategy`` about a scored architecture: its reward (inactive), the
        scalarization of its objectives, or the objectives themselves (higher is better
        in each), with its violation of the hard limits."""
        if not self.active:
            strategy.tell(arch, score.reward)
            return
        values = self.values(score, measured)
        if self.weights is not None:
            values = [self.scalarized(values)]
        strategy.tell_point(arch, oriented(values, self.directions[: len(values)]),
                            measured.violation)  # fmt: skip

    def annotate(
        self, rows: list[dict], scores: Sequence[Score], measured: Sequence[Measured]
    ) -> list[dict]:
        """History rows (:func:`genas.search.history.step_rows`) with each architecture's
        ``objectives`` (the reward and the costs measured; null where none), ``feasible``
        and, with a scalarization, the ``scalarized`` value the strategy was told."""
        if not self.active:
            return rows
        for row, score, m in zip(rows, scores, measured, strict=True):
            values = self.values(score, m)
            recorded: dict[str, float | int | None] = dict(zip(self.names, values, strict=True))
            costs = {"parameters": m.parameters, "latency_ms": m.latency_ms}
            recorded.update({name: costs[name] for name in self.measures})
            row["objectives"] = {name: _finite_or_none(v) for name, v in recorded.items()}
            row["feasible"] = m.feasible
            if self.weights is not None:
                row["scalarized"] = _finite_or_none(self.scalarized(values))
        return rows


def _finite_or_none(value: float | int | None) -> float | int | None:
    return value if value is None or math.isfinite(value) else None
