"""Evaluator parts: rewards, the training stream, the scoring set, the independent evaluator."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from scipy import stats
from test_search_evaluators import arch_list, make_config, make_splits, planted_data

from genas.config import TASK_REWARDS
from genas.data.dataset import ArrayDataset
from genas.parallel import InProcessExecutor
from genas.search.evaluators import (
    REWARDS,
    IndependentEvaluator,
    ScoringSet,
    TrainStream,
    batch_statistics,
    make_evaluator,
    reward_from_metrics,
    summarize,
)
from genas.search.evaluators.reward import near_chance_note
from genas.search.evaluators.seeding import derive_seed, isolated_torch_rng
from genas.train.task import TaskSpec

torch.set_num_threads(1)


# ---------------------------------------------------------------------------- rewards


def test_rewards_read_their_metric() -> None:
    y = np.array([[0, 1, 1], [1, 0, 1], [0, 1, 1], [1, 0, 1]], dtype=np.float32)
    s = np.array([[0.1, 0.9, 0.5], [0.8, 0.2, 0.4], [0.3, 0.6, 0.3], [0.7, 0.4, 0.2]])
    m = summarize(y, s, ["a", "b", "c"], loss=0.3)
    assert m["n_tasks"] == 3 and m["n_scored"] == 2  # task c has one class: skipped
    assert m["mean_auroc"] == pytest.approx(1.0) and m["median_auroc"] == pytest.approx(1.0)
    assert reward_from_metrics("auroc_mean", m) == (pytest.approx(1.0), None)
    assert reward_from_metrics("auprc_mean", m)[0] == pytest.approx(m["mean_auprc"])
    assert reward_from_metrics("auroc_median", m)[0] == pytest.approx(1.0)
    assert reward_from_metrics("neg_loss", m) == (pytest.approx(-0.3), None)
    assert set(REWARDS) == {r for rewards in TASK_REWARDS.values() for r in rewards}
    with pytest.raises(ValueError, match="unknown reward"):
        reward_from_metrics("nope", m)


def test_regression_and_multiclass_rewards_read_their_metric() -> None:
    y = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 2.0], [3.0, np.nan]], dtype=np.float32)
    pred = np.array([[0.1, 1.5], [0.9, 2.5], [2.5, 2.0], [2.9, 7.0]])
    task = TaskSpec("regression", ("a", "b"), loss="mse")
    m = summarize(y, pred, ["a", "b"], loss=0.2, task=task)
    pearson = [stats.pearsonr(y[:, 0], pred[:, 0])[0], stats.pearsonr(y[:3, 1], pred[:3, 1])[0]]
    assert reward_from_metrics("pearson_mean", m)[0] == pytest.approx(np.mean(pearson))
    mse = [np.mean((y[:, 0] - pred[:, 0]) ** 2), np.mean((y[:3, 1] - pred[:3, 1]) ** 2)]
    assert reward_from_metrics("neg_mse", m)[0] == pytest.approx(-np.mean(mse))
    assert reward_from_metrics("spearman_mean", m)[0] == pytest.approx(m["mean_spearman"])
    assert m["n_tasks"] == 2 and isinstance(m["n_scored"], int)

    task = TaskSpec("multiclass", ("cls",), ("x", "y", "z"), "cross_entropy")
    labels = np.array([[0], [1], [2], [2]], dtype=np.float32)
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3], [0.1, 0.1, 0.8]])
    m = summarize(labels, probs, ["cls"], loss=0.4, task=task)
    assert reward_from_metrics("accuracy", m)[0] == pytest.approx(0.75)
    assert reward_from_metrics("macro_auroc", m)[0] == pytest.approx(m["macro_auroc"])
    assert reward_from_metrics("macro_f1", m)[0] == pytest.approx(m["macro_f1"])
    assert m["n_classes"] == 3


def test_rewards_nan_safe() -> None:
    y = np.zeros((6, 2), dtype=np.float32)
    y[:, 1] = np.nan
    m = summarize(y, np.random.default_rng(0).random((6, 2)), ["a", "b"], loss=0.5)
    reward, why = reward_from_metrics("auroc_mean", m)
    assert math.isnan(reward) and "0 of 2" in why
    assert reward_from_metrics("neg_loss", m) == (pytest.approx(-0.5), None)
    reward, why = reward_from_metrics("neg_loss", {**m, "loss": float("nan")})
    assert math.isnan(reward) and "loss" in why
    assert math.isnan(reward_from_metrics("auprc_mean", {})[0])


def test_near_chance_note_only_for_auroc_rewards_near_one_half() -> None:
    note = near_chance_note("auroc_mean", 0.578)
    assert note is not None and "0.578" in note and "budget" in note
    assert near_chance_note("auroc_median", 0.55) is not None
    assert near_chance_note("auroc_mean", 0.61) is None
    assert near_chance_note("auroc_mean", float("nan")) is None
    assert near_chance_note("auroc_mean", None) is None
    assert near_chance_note("auprc_mean", 0.2) is None  # no fixed chance level
    assert near_chance_note("neg_loss", -0.5) is None


# ---------------------------------------------------------------------------- stream


def test_stream_epochs_cover_the_data_and_resume() -> None:
    data = planted_data(50, 0)
    data.y[:, 0] = np.arange(50)  # label = row, to follow the order
    stream = TrainStream(data, 16, seed=1, rc_augment=True, max_shift=2)
    assert stream.batches_per_epoch == 3
    seen = [stream.next_batch()[1][:, 0] for _ in range(3)]
    rows = torch.cat(seen).long()
    assert len(set(rows.tolist())) == 48  # one epoch: distinct rows, the last 2 dropped
    x, y = stream.next_batch()  # epoch 1 starts, in a new order
    assert stream.state_dict() == {"epoch": 1, "position": 1}
    assert x.dtype == torch.uint8 and x.shape == (16, 4, 100) and y.dtype == torch.float32
    state = stream.state_dict()
    expected = [stream.next_batch() for _ in range(4)]
    other = TrainStream(data, 16, seed=1, rc_augment=True, max_shift=2)
    other.load_state_dict(state)
    for (xa, ya), (xb, yb) in zip(expected, (other.next_batch() for _ in range(4)), strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert not torch.equal(torch.cat(seen[:1]), y)


def test_stream_smaller_than_a_batch() -> None:
    stream = TrainStream(planted_data(10, 0), 64, seed=0)
    assert stream.batches_per_epoch == 1 and stream.next_batch()[0].shape[0] == 10
    with pytest.raises(ValueError, match="empty"):
        TrainStream(ArrayDataset(np.zeros((0, 4, 5), np.uint8), np.zeros((0, 1))), 4, 0)


# ---------------------------------------------------------------------------- scoring set


def test_scoring_set_is_in_memory_and_fixed() -> None:
    data = planted_data(100, 0)
    full = ScoringSet(data, ["motif"], torch.device("cpu"), batch_size=30)
    assert len(full) == 100 and len(full.bounds) == 4
    assert {hi - lo for lo, hi in full.bounds} == {25}  # equal batches, no tiny last one
    sub = ScoringSet(data, ["motif"], torch.device("cpu"), max_sequences=40, seed=5)
    again = ScoringSet(data, ["motif"], torch.device("cpu"), max_sequences=40, seed=5)
    assert len(sub) == 40 and torch.equal(sub.x, again.x)
    probs, loss = sub.predict(lambda xf: xf.sum(dim=(1, 2))[:, None] * 0.0)
    assert probs.shape == (40, 1) and loss == pytest.approx(math.log(2), rel=1e-5)


def test_scoring_batches_mix_classes_of_a_sorted_validation_set() -> None:
    """One FASTA per class gives a label-sorted set; batch-statistics BatchNorm on a batch of
    one class would erase the class signal, so every scoring batch must hold both classes."""
    x = np.zeros((400, 4, 8), np.uint8)
    x[:, 0] = 1
    y = np.repeat([[1.0], [0.0]], 200, axis=0).astype(np.float32)
    scoring = ScoringSet(ArrayDataset(x, y), ["site"], torch.device("cpu"), batch_size=100)
    batch_means = [float(scoring.y[lo:hi].mean()) for lo, hi in scoring.bounds]
    assert len(batch_means) == 4 and all(0.25 < m < 0.75 for m in batch_means)
    assert sorted(scoring.y_host[:, 0].tolist()) == sorted(y[:, 0].tolist())


def test_batch_statistics_restores_modes_and_buffers() -> None:
    net = torch.nn.Sequential(torch.nn.Conv1d(4, 8, 3), torch.nn.BatchNorm1d(8))
    net.eval()
    x = torch.randn(6, 4, 20)
    with torch.inference_mode(), batch_statistics(net):
        out = net(x)
    assert torch.allclose(out.mean(dim=(0, 2)), torch.zeros(8), atol=1e-5)  # batch stats used
    bn = net[1]
    assert not bn.training and bn.track_running_stats and int(bn.num_batches_tracked) == 0
    assert torch.equal(bn.running_mean, torch.zeros(8))


# ---------------------------------------------------------------------------- independent


def test_independent_trains_scores_and_repeats() -> None:
    splits = make_splits(n_train=128, n_valid=64)
    config = make_config(
        evaluator="independent",
        independent={"epochs": 2, "max_steps_per_epoch": 3, "batch_size": 32},
    )
    ev = make_evaluator("small", splits, config, device="cpu")
    assert isinstance(ev, IndependentEvaluator)
    assert ev.train(lambda: None, 10) == {} and ev.warmup(lambda: None, 1) == {}
    arch, other = arch_list(2, seed=1)
    rng_before = torch.get_rng_state()
    first = ev.score(arch)
    assert torch.equal(torch.get_rng_state(), rng_before)  # global RNG left alone
    assert first.valid and 0.0 <= first.reward <= 1.0 and first.seconds > 0
    assert first.metrics["train_steps"] == 6 and math.isfinite(first.metrics["train_loss"])
    ev.score(other)
    assert ev.score(arch).reward == first.reward  # seeded per architecture
    bad = ev.score([0, 1])
    assert not bad.valid and math.isnan(bad.reward) and "tokens" in bad.error
    assert ev.state_dict() == {"kind": "independent"}


def test_learning_curve_points_equal_trainings_of_their_budget() -> None:
    """One training scored after 1 and 2 epochs gives, bit for bit, the rewards of a 1-epoch
    and a 2-epoch training (dropout included: the small space's head has dropout)."""
    splits = make_splits(n_train=128, n_valid=64)
    config = make_config(evaluator="independent", independent={"batch_size": 32})
    ev = make_evaluator("small", splits, config, device="cpu")
    arch = arch_list(1, seed=4)[0]
    curve = ev.learning_curve(arch, [1, 2])
    assert [s.metrics["epochs"] for s in curve] == [1, 2]
    assert curve[0].reward == ev.score_or_raise(arch, 1).reward
    assert curve[1].reward == ev.score_or_raise(arch, 2).reward
    assert curve[1].metrics["train_steps"] == 2 * curve[0].metrics["train_steps"]
    with pytest.raises(ValueError, match="ascending"):
        ev.learning_curve(arch, [2, 1])


def test_successive_halving_promotes_the_best_and_continues_them() -> None:
    """rungs [1, 2], eta 2 over 5 children: the best 3 by their 1-epoch reward go on; each
    score is the one a fixed budget of its last rung gives."""
    splits = make_splits(n_train=128, n_valid=64)
    config = make_config(
        evaluator="independent", independent={"batch_size": 32, "rungs": [1, 2], "eta": 2}
    )
    ev = make_evaluator("small", splits, config, device="cpu")
    archs = arch_list(5, seed=8)
    scores = ev.score_many(archs + [[0, 1]])  # and one that cannot be built
    assert not scores[-1].valid and "tokens" in scores[-1].error
    one_epoch = [ev.score_or_raise(a, 1).reward for a in archs]
    promoted = sorted(range(5), key=lambda i: -one_epoch[i])[:3]
    for i, score in enumerate(scores[:5]):
        assert score.metrics["epochs"] == (2 if i in promoted else 1)
        budget = score.metrics["epochs"]
        assert score.reward == ev.score_or_raise(archs[i], budget).reward


class _ParallelInThisProcess(InProcessExecutor):
    """A parallel executor's view in this process: trials get the workers' context (the
    evaluator rebuilt from it) and finish in the order they were submitted."""

    in_process = False


def test_asynchronous_halving_promotes_each_child_as_soon_as_it_earns_it() -> None:
    """ASHA on a parallel executor, rungs [1, 2], eta 2, 5 children finishing in order:
    after each finished 1-epoch trial, the children in the best floor(m / 2) of the m
    finished that have not gone on yet go on at once."""
    splits = make_splits(n_train=128, n_valid=64)
    config = make_config(
        evaluator="independent", independent={"batch_size": 32, "rungs": [1, 2], "eta": 2}
    )
    ev = make_evaluator("small", splits, config, device="cpu",
                        executor=_ParallelInThisProcess())
    archs = arch_list(5, seed=8)
    scores = ev.score_many(archs)
    one_epoch = [ev.score_or_raise(a, 1).reward for a in archs]
    promoted: list[int] = []
    for m in range(1, 6):
        best = sorted(range(m), key=lambda i: -one_epoch[i])[: m // 2]
        promoted += [i for i in best if i not in promoted]
    assert promoted and len(promoted) < 5
    for i, score in enumerate(scores):
        assert score.metrics["epochs"] == (2 if i in promoted else 1)
        assert score.reward == ev.score_or_raise(archs[i], score.metrics["epochs"]).reward


@pytest.mark.parametrize("independent", [{"epochs": 1}, {"rungs": [1, 2], "eta": 2}])
def test_a_passed_deadline_leaves_all_but_the_first_child_unscored(independent) -> None:
    splits = make_splits(n_train=128, n_valid=64)
    config = make_config(evaluator="independent", independent={"batch_size": 32, **independent})
    ev = make_evaluator("small", splits, config, device="cpu")
    archs = arch_list(3, seed=2)
    scores = ev.score_many(archs, deadline=time.perf_counter() - 1.0)
    assert scores[0] is not None and scores[0].valid and scores[1:] == [None, None]
    assert scores[0].metrics["epochs"] == 1  # no promotion after the deadline
    assert all(s is not None for s in ev.score_many(archs, deadline=time.perf_counter() + 1e6))


@pytest.mark.parametrize("rungs", [[], [0, 1], [2, 2], [3, 1]])
def test_rungs_must_ascend(rungs) -> None:
    with pytest.raises(ValueError, match="rungs must be ascending"):
        make_config(evaluator="independent", independent={"rungs": rungs})


def test_derived_seeds_and_isolated_rng() -> None:
    assert derive_seed(1, "a") == derive_seed(1, "a") != derive_seed(1, "b")
    assert derive_seed("ab", "c") != derive_seed("a", "bc")
    outer = torch.get_rng_state()
    with isolated_torch_rng(7, torch.device("cpu")):
        a = torch.rand(3)
    with isolated_torch_rng(7, torch.device("cpu")):
        b = torch.rand(3)
    assert torch.equal(a, b) and torch.equal(torch.get_rng_state(), outer)
