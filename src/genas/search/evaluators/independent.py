"""AMBER's non-sharing mode: each architecture is built and trained from scratch, then scored.

Slow, but the honest check of the shared-weight estimate. Every child is seeded from the
run seed and its architecture's hash (weights, data order, augmentation, dropout), so
scoring the same architecture twice gives the same reward, whatever was scored in between
and whichever process trained it.

The children of one :meth:`~IndependentEvaluator.score_many` are independent trials of a
:mod:`genas.parallel` executor: one after another in this process by default, several
at once in worker processes or on Ray workers (each worker rebuilds the evaluator once from
a :class:`ChildContext`). A child whose training raises, or whose worker dies, is retried
once, then scored as failed with the error.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from genas.config import RunConfig, TrainConfig
from genas.data.dataset import DataSplits
from genas.nn.network import ChildNet
from genas.parallel import Executor, InProcessExecutor, TrialResult
from genas.search.evaluators.base import ArchLike, Evaluator, Score, failure_message
from genas.search.evaluators.reward import reward_from_metrics
from genas.search.evaluators.seeding import derive_seed, resumable_torch_rng
from genas.search.evaluators.shared import as_architecture
from genas.search.evaluators.stream import TrainStream
from genas.space.architecture import Architecture
from genas.space.model_space import ModelSpace
from genas.train.compiling import compiled
from genas.train.optimizer import build_optimizer
from genas.train.step import train_step


class IndependentEvaluator(Evaluator):
    """Trains a standalone :class:`~genas.nn.ChildNet` per architecture; its validation
    score is the reward.

    Budget and optimiser: ``search.independent`` (epochs, max_steps_per_epoch: the
    minibatches that make an epoch on a large training set, batch_size, lr) with
    ``train.optimizer``, ``train.weight_decay`` and ``train.grad_clip``; constant learning
    rate, no early stopping. A space that searches ``lr`` or ``weight_decay``
    (``ModelSpace.training``) sets them per child.
    The child has the search width (``search.width``) and is scored in eval mode (its own
    BatchNorm running statistics) on the same in-memory scoring set as the shared evaluator.
    With ``search.knowledge``, the trained child's units add the knowledge term
    (:mod:`genas.search.knowledge`) to its reward.

    Args:
        space: the model space (or its preset name / YAML path).
        splits: ``train`` trains each child, ``valid`` is scored (required).
        config: the run config (``search`` None: defaults).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
        seed: run seed (``None``: ``config.seed``).
    """

    kind = "independent"

    def __init__(
        self,
        space: ModelSpace | str,
        splits: DataSplits,
        config: RunConfig,
        device: str | torch.device = "auto",
        seed: int | None = None,
        executor: Executor | None = None,
    ):
        super().__init__(space, splits, config, device, seed)
        self.config = config
        self.train_config: TrainConfig = config.train
        self.rc_augment = bool(config.data.rc_augment)
        self.max_shift = int(config.data.max_shift)
        self.executor = executor
        self._context_key = uuid.uuid4().hex
        self._shared: tuple[Executor, Any] | None = None  # (executor, its handle of the context)

    def _steps_at(self, epochs: int, batches_per_epoch: int) -> int:
        """Minibatches of ``epochs`` epochs, an epoch at most
        ``search.independent.max_steps_per_epoch`` minibatches (the stream goes on where
        the last one stopped, so a capped child still sees new data every epoch)."""
        cap = self.search.independent.max_steps_per_epoch
        return int(epochs) * (batches_per_epoch if cap is None else min(batches_per_epoch, cap))

    def _train_child(
        self, arch: Architecture, seed: int, epochs: Sequence[int]
    ) -> Iterator[tuple[ChildNet, float, int]]:
        """Train one child, yielding ``(child, mean training loss so far, steps)`` once it
        has trained for each of ``epochs`` (ascending).

        Each part of the training draws from the child's own torch random stream
        (:func:`resumable_torch_rng`), so other children trained between its parts change
        nothing. With a constant learning rate and a data order that depends on the seed
        only, a child yielded at ``k`` epochs is the same, bit for bit, as one trained for
        ``k`` epochs alone: one training gives every budget of a learning curve, and
        successive halving continues a child instead of training it again.
        """
        ind = self.search.independent
        rng: dict = {}
        with resumable_torch_rng(rng, seed, self.device):
            net = ChildNet(
                self.space, arch, self.splits.input_length, self.task.n_outputs, self.search.width
            ).to(self.device)
        searched = self.space.training_values(arch.training)  # lr, weight decay of this child
        optimizer = build_optimizer(
            net.parameters(),
            self.train_config.optimizer,
            searched.get("lr", ind.lr),
            searched.get("weight_decay", self.train_config.weight_decay),
        )
        stream = TrainStream(
            self.splits.train, ind.batch_size, seed, self.rc_augment, self.max_shift
        )
        forward = compiled(net) if self.train_config.compile else net
        loss_sum = torch.zeros((), device=self.device)
        count = torch.zeros((), device=self.device)
        done = 0
        for n_steps in (self._steps_at(e, stream.batches_per_epoch) for e in epochs):
            with resumable_torch_rng(rng, seed, self.device):
                net.train()
                for _ in range(n_steps - done):
                    x, y = stream.next_batch()
                    total, known = train_step(
                        net,
                        forward,
                        optimizer,
                        x,
                        y,
                        self.device,
                        self.n_value,
                        self.train_config.grad_clip,
                        self.task.loss,
                    )
                    loss_sum += total
                    count += known
            done = max(done, n_steps)
            yield net, float(loss_sum / count.clamp(min=1.0)), done

    def score(self, arch: ArchLike) -> Score:
        """Train ``arch`` from scratch and score it; never raises for ``arch``."""
        started = time.perf_counter()
        try:
            return self.score_or_raise(arch)
        except Exception as error:  # a candidate must never stop the search
            return Score.failed(failure_message(error), time.perf_counter() - started)

    def score_or_raise(self, arch: ArchLike, epochs: int | None = None) -> Score:
        """:meth:`score` after ``epochs`` epochs (None: ``search.independent.epochs``), but
        an error while building, training or scoring is raised."""
        return self.learning_curve(arch, [epochs or self.search.independent.epochs])[0]

    def learning_curve(self, arch: ArchLike, epochs: Sequence[int]) -> list[Score]:
        """The scores of ``arch`` trained for each of ``epochs`` (ascending), from one
        training: ``learning_curve(a, [k])[0]`` is :meth:`score_or_raise` ``(a, k)``. Each
        score's ``seconds`` counts the training up to its budget. Raises on an error.
        """
        return list(self._curve(arch, epochs))

    def _curve(self, arch: ArchLike, epochs: Sequence[int]) -> Iterator[Score]:
        """:meth:`learning_curve` one budget at a time; ``seconds`` counts only the time
        spent in this generator (not between its steps)."""
        epochs = [int(e) for e in epochs]
        if not epochs or epochs != sorted(epochs) or epochs[0] < 1:
            raise ValueError(f"epochs must be ascending positive integers, got {epochs}")
        started, spent = time.perf_counter(), 0.0
        scoring = self.scoring_set
        arch = as_architecture(self.space, arch)
        seed = derive_seed(self.seed, "child", arch.hash)
        trained = self._train_child(arch, seed, epochs)
        for budget in epochs:
            try:
                net, train_loss, n_steps = next(trained)
                metrics: dict[str, Any] = scoring.evaluate(net, net, bn="running")
            except torch.OutOfMemoryError:
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                raise
            metrics.update(train_loss=train_loss, train_steps=n_steps, epochs=budget)
            reward, why = reward_from_metrics(self.search.reward, metrics)
            score = self.with_knowledge(Score(reward, metrics, 0.0, why is None, why),
                                        lambda net=net: net)  # fmt: skip
            spent += time.perf_counter() - started
            score.seconds = spent
            yield score
            started = time.perf_counter()

    def score_many(
        self, archs: Iterable[ArchLike], deadline: float | None = None
    ) -> list[Score | None]:
        """Each architecture trained and scored (in order): for ``search.independent.epochs``
        as a trial of :attr:`executor`, or by successive halving when
        ``search.independent.rungs`` is set (:meth:`successive_halving`).

        ``deadline`` (a ``time.perf_counter()`` value): no child starts (and no promoted
        child continues) after it; a child never started gets None. The first child always
        trains (on a parallel executor the first ``executor.slots``), and children already
        training finish. A trial that raises or whose worker dies is retried
        (``executor.retries``, once by default), then gets ``Score.failed`` with the error.
        """
        items = [list(a.to_tokens()) if isinstance(a, Architecture) else list(a) for a in archs]
        rungs = self.search.independent.rungs
        if rungs:
            return self.successive_halving(items, rungs, self.search.independent.eta, deadline)
        return self._map(items, self.search.independent.epochs, deadline)

    def _map(
        self, items: list[list[int]], epochs: int, deadline: float | None = None
    ) -> list[Score | None]:
        """Each token list trained for ``epochs`` and scored, as trials of the executor:
        as many at once as it has :attr:`~genas.parallel.Executor.slots`, the next one
        started as one finishes, none started past ``deadline`` (but the first)."""
        executor = self.executor or InProcessExecutor()
        context = self if executor.in_process else self._worker_context(executor)
        waiting = iter(range(executor.slots, len(items)))

        def next_child(index: int, result: TrialResult) -> list[tuple[list[int], int]]:
            self._report(_trial_score(result))
            if deadline is not None and time.perf_counter() > deadline:
                return []
            following = next(waiting, None)
            return [] if following is None else [(items[following], epochs)]

        first = [(t, epochs) for t in items[: executor.slots]]
        results = executor.map(score_trial, first, context, follow_up=next_child)
        scores: list[Score | None] = [_trial_score(r) for r in results]
        return scores + [None] * (len(items) - len(scores))

    def _report(self, score: Score) -> None:
        """Hand a finished child's score to :attr:`on_scored` (if set)."""
        if self.on_scored is not None:
            self.on_scored(score)

    def successive_halving(
        self,
        items: list[list[int]],
        rungs: Sequence[int],
        eta: int,
        deadline: float | None = None,
    ) -> list[Score | None]:
        """Successive halving over one step's candidates: each candidate's score is the one
        of the last rung it reached (``metrics["epochs"]``).

        In this process it is synchronous (Jamieson & Talwalkar 2016; Li et al. 2018): all
        are trained for ``rungs[0]`` epochs, the best ``ceil(n / eta)`` of them (by reward)
        continue their training to ``rungs[1]``, and so on. Past ``deadline`` no child
        starts or continues: a candidate keeps the score of the last rung it finished, or
        None if it never trained.

        On a parallel executor it is asynchronous (:meth:`asynchronous_halving`, ASHA), so
        that a worker never waits for a rung's slowest child.

        Written here rather than taken from Optuna's or Ray Tune's pruners: those are for
        trials that arrive one by one and promote the first trials of a rung before their
        competitors exist; a step's candidates are all known at once, so in one process the
        synchronous rule is exact.
        """
        executor = self.executor or InProcessExecutor()
        if not executor.in_process:
            return self.asynchronous_halving(executor, items, rungs, eta, deadline)
        scores: list[Score | None] = [None] * len(items)
        alive = list(range(len(items)))
        curves = {i: self._curve(items[i], rungs) for i in alive}

        def late() -> bool:
            started = any(s is not None for s in scores)
            return deadline is not None and started and time.perf_counter() > deadline

        for rung in range(len(rungs)):
            for i in alive:
                if late():
                    break
                scores[i] = _next_score(curves[i])
                self._report(scores[i])
            if rung == len(rungs) - 1 or late():
                break
            ranked = sorted((i for i in alive if scores[i].valid), key=lambda i: -scores[i].reward)
            alive = ranked[: math.ceil(len(alive) / eta)]
            if not alive:
                break
        for curve in curves.values():
            curve.close()
        return scores

    def asynchronous_halving(
        self,
        executor: Executor,
        items: list[list[int]],
        rungs: Sequence[int],
        eta: int,
        deadline: float | None = None,
    ) -> list[Score | None]:
        """Asynchronous successive halving (ASHA; Li et al., MLSys 2020) on a parallel
        executor, keeping its ``slots`` busy: whenever a trial of rung ``k`` finishes, each
        candidate in the best ``floor(m / eta)`` of the ``m`` finished at rung ``k`` that has
        not gone on yet is promoted at once, as a trial of ``rungs[k + 1]`` epochs (trained
        again from the start: the same seed gives the same child); with none to promote,
        the next candidate starts at ``rungs[0]``. Nothing starts after ``deadline``. Which
        candidates go on depends on the order in which trials finish, so two parallel
        searches can differ; in one process genas halves synchronously and exactly.

        Written here, not taken from Ray Tune's ``ASHAScheduler`` or Optuna's
        ``SuccessiveHalvingPruner``: Tune's runs whole trials in its own loop, Optuna's
        places its rungs at ``min_resource * eta**k`` and decides only when a trial
        reports; genas's rungs are the user's list and each rung is a trial of the executor.
        """
        scores: list[Score | None] = [None] * len(items)
        trials = [(i, 0) for i in range(min(executor.slots, len(items)))]  # (candidate, rung)
        waiting = iter(range(len(trials), len(items)))  # candidates not started yet
        finished: list[dict[int, Score]] = [{} for _ in rungs]  # rung -> candidate -> score
        promoted: list[set[int]] = [set() for _ in rungs]

        def next_trials(index: int, result: TrialResult) -> list[tuple[list[int], int]]:
            candidate, rung = trials[index]
            score = _trial_score(result)
            scores[candidate] = finished[rung][candidate] = score
            self._report(score)
            if deadline is not None and time.perf_counter() > deadline:
                return []
            chosen: list[tuple[int, int]] = []
            if rung + 1 < len(rungs):
                done = finished[rung]
                ranked = sorted((c for c in done if done[c].valid), key=lambda c: -done[c].reward)
                chosen = [(c, rung + 1) for c in ranked[: len(done) // eta]
                          if c not in promoted[rung]]
                promoted[rung].update(c for c, _ in chosen)
            if not chosen and (new := next(waiting, None)) is not None:
                chosen = [(new, 0)]
            trials.extend(chosen)
            return [(items[c], rungs[k]) for c, k in chosen]

        first = [(items[c], rungs[0]) for c, _ in trials]
        executor.map(score_trial, first, self._worker_context(executor), follow_up=next_trials)
        return scores

    def _worker_context(self, executor: Executor) -> Any:
        """``executor``'s handle of :meth:`remote_context`: the data go to the workers once
        per search, not once per step."""
        if self._shared is None or self._shared[0] is not executor:
            self._shared = (executor, executor.share(self.remote_context()))
        return self._shared[1]

    def remote_context(self) -> ChildContext:
        """What a worker process needs to rebuild this evaluator (sent to it once)."""
        wants_cpu = self.train_config.device.strip().lower() == "cpu"
        return ChildContext(
            key=self._context_key,
            space=self.space,
            splits=self.splits,
            config=self.config,
            device="cpu" if wants_cpu else "auto",
            seed=self.seed,
        )


@dataclass(frozen=True)
class ChildContext:
    """An :class:`IndependentEvaluator` in a form that travels to worker processes.

    ``device`` is resolved on the worker: ``auto`` takes the GPU Ray assigned to the trial,
    if any. ``key`` identifies the evaluator, so a worker builds it (and reads the scoring
    set onto its device) once, however many children it trains.
    """

    key: str
    space: ModelSpace
    splits: DataSplits
    config: RunConfig
    device: str
    seed: int


_worker_evaluators: dict[str, IndependentEvaluator] = {}


def score_trial(
    item: tuple[list[int], int], context: IndependentEvaluator | ChildContext, attempt: int
) -> Score:
    """One child ``(tokens, epochs)`` as an executor trial: trained and scored, or an
    exception."""
    tokens, epochs = item
    if isinstance(context, IndependentEvaluator):
        return context.score_or_raise(tokens, epochs)
    evaluator = _worker_evaluators.get(context.key)
    if evaluator is None:
        _worker_evaluators.clear()  # one search's evaluator per worker at a time
        evaluator = IndependentEvaluator(
            context.space, context.splits, context.config, context.device, context.seed
        )
        _worker_evaluators[context.key] = evaluator
    return evaluator.score_or_raise(tokens, epochs)


def _trial_score(result: TrialResult) -> Score:
    """A child trial's score: its value, or a failed score with the trial's error."""
    return result.value if result.ok else Score.failed(failure_message(result.error),
                                                       result.seconds)


def _next_score(curve: Iterator[Score]) -> Score:
    """The next score of a :meth:`IndependentEvaluator._curve`, or a failed score."""
    started = time.perf_counter()
    try:
        return next(curve)
    except Exception as error:  # a candidate must never stop the search
        return Score.failed(failure_message(error), time.perf_counter() - started)
