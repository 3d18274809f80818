"""The weight-sharing evaluator: shared weights, learning, resume, failures, BatchNorm."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from genas.config import RunConfig
from genas.data.dataset import ArrayDataset, DataSplits
from genas.search.evaluators import (
    IndependentEvaluator,
    SharedEvaluator,
    make_evaluator,
)
from genas.space import Architecture, get_space, sample_architecture

torch.set_num_threads(1)  # small nets: threads only add overhead

MOTIF = "GATAAG"
LENGTH = 100


def planted_data(n: int, seed: int, length: int = LENGTH) -> ArrayDataset:
    """Random sequences; label 1 (half of them) iff MOTIF is planted at a random place."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, length))
    y = (np.arange(n) % 2).astype(np.float32)[:, None]
    motif = np.array(["ACGT".index(c) for c in MOTIF])
    for i in np.flatnonzero(y[:, 0]):
        start = rng.integers(0, length - len(motif))
        codes[i, start : start + len(motif)] = motif
    x = np.zeros((n, 4, length), dtype=np.uint8)
    np.put_along_axis(x, codes[:, None, :], 1, axis=1)
    return ArrayDataset(x, y)


def make_splits(n_train: int = 256, n_valid: int = 128) -> DataSplits:
    return DataSplits(
        train=planted_data(n_train, 1),
        valid=planted_data(n_valid, 2),
        test=None,
        task_names=["motif"],
        task_groups=None,
        input_length=LENGTH,
    )


def make_config(**search) -> RunConfig:
    search = {"width": 0.25, "evaluator": "shared", "supernet": {"batch_size": 32, "lr": 3e-3},
              **search}
    data = search.pop("data", {})
    return RunConfig.model_validate(
        {"seed": 3, "data": {"format": "table", "train": "t.csv", **data}, "search": search}
    )


def arch_list(n: int, seed: int = 0) -> list[Architecture]:
    space = get_space("small")
    rng = np.random.default_rng(seed)
    return [sample_architecture(space, rng) for _ in range(n)]


def cycler(archs: list[Architecture]):
    it = iter(archs)
    return lambda: next(it)


@pytest.fixture(scope="module")
def splits() -> DataSplits:
    return make_splits()


def test_path_matches_standalone_child(splits: DataSplits) -> None:
    ev = SharedEvaluator("small", splits, make_config(), device="cpu")
    ev.train(cycler(arch_list(10, seed=5)), 10)  # non-trivial weights and running stats
    ev.net.eval()
    x = torch.from_numpy(splits.valid.x[:16]).float()
    for arch in arch_list(4, seed=6):
        child = ev.net.child(arch).eval()
        with torch.no_grad():
            torch.testing.assert_close(ev.net(x, arch), child(x), atol=1e-5, rtol=1e-5)


def test_training_shares_weights_and_learns(splits: DataSplits) -> None:
    config = make_config(supernet={"batch_size": 32, "lr": 1e-2})
    ev = SharedEvaluator("small", splits, config, device="cpu")
    fixed, *trained = arch_list(3, seed=7)  # `fixed` is never trained on directly
    x = torch.from_numpy(splits.valid.x[:8]).float()
    ev.net.eval()
    with torch.no_grad():
        before_out = ev.net(x, fixed).clone()
    before = [s.reward for s in ev.score_many(trained)]
    stats = ev.train(cycler(trained * 60), 120)
    assert stats["steps"] == 120 and stats["sequences"] == 120 * 32
    assert math.isfinite(stats["loss"]) and stats["seqs_per_s"] > 0
    ev.net.eval()
    with torch.no_grad():
        after_out = ev.net(x, fixed)
    assert not torch.allclose(before_out, after_out)  # stem, head and shared ops moved
    after = [s.reward for s in ev.score_many(trained)]
    assert min(after) > 0.8 and np.mean(after) > np.mean(before) + 0.15


def test_resume_is_bit_identical(tmp_path) -> None:
    splits = make_splits(n_train=200, n_valid=64)
    config = make_config(
        data={"rc_augment": True, "max_shift": 3},
        supernet={"batch_size": 16, "optimizer": "adamw", "weight_decay": 1e-2, "grad_clip": 1.0},
    )
    archs = arch_list(15, seed=11)  # 15 steps of 16 cross an epoch of 12 batches

    whole = SharedEvaluator("small", splits, config, device="cpu")
    sample = cycler(archs)
    for _ in range(3):
        whole.train(sample, 5)

    first = SharedEvaluator("small", splits, config, device="cpu")
    sample = cycler(archs[:10])
    first.train(sample, 5)
    first.train(sample, 5)
    torch.save(first.state_dict(), tmp_path / "supernet.pt")
    first.train(cycler(archs[10:]), 3)  # the saved state must not change afterwards
    second = SharedEvaluator("small", splits, config, device="cpu", seed=123)
    second.load_state_dict(torch.load(tmp_path / "supernet.pt", weights_only=True))
    second.train(cycler(archs[10:]), 5)

    assert second.steps == whole.steps == 15
    assert second.stream.state_dict() == whole.stream.state_dict()
    for (k, a), b in zip(
        whole.net.state_dict().items(), second.net.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), k
    opt_a, opt_b = whole.optimizer.state_dict()["state"], second.optimizer.state_dict()["state"]
    assert opt_a.keys() == opt_b.keys()
    for i in opt_a:
        for key in opt_a[i]:
            assert torch.equal(opt_a[i][key], opt_b[i][key])


def test_load_rejects_other_settings(splits: DataSplits) -> None:
    ev = SharedEvaluator("small", splits, make_config(), device="cpu")
    other = SharedEvaluator("small", splits, make_config(width=0.5), device="cpu")
    with pytest.raises(ValueError, match="width"):
        other.load_state_dict(ev.state_dict())
    ind = IndependentEvaluator("small", splits, make_config(), device="cpu")
    with pytest.raises(ValueError, match="kind"):
        ind.load_state_dict(ev.state_dict())


def test_invalid_architectures_score_nan_without_raising(splits: DataSplits, monkeypatch) -> None:
    ev = SharedEvaluator("small", splits, make_config(), device="cpu")
    space = get_space("small")
    bad = [
        [0] * 5,  # wrong token count
        Architecture((9,) * 6, None),  # op out of range
        Architecture((0,) * 12, None),  # wrong number of layers
    ]
    for arch in bad:
        score = ev.score(arch)
        assert not score.valid and math.isnan(score.reward) and score.error
    good = arch_list(1, seed=3)[0]

    def boom(x, arch):
        raise RuntimeError("input too short for this path")

    monkeypatch.setattr(ev.net, "forward", boom)
    score = ev.score(good)
    assert not score.valid and "RuntimeError: input too short" in score.error
    monkeypatch.undo()
    assert ev.net.training  # mode restored after the failure
    assert ev.score(good.to_tokens()).valid  # token lists work too
    assert Architecture.from_tokens(space, good.to_tokens()) == good


def test_scoring_uses_batch_stats_and_leaks_nothing(splits: DataSplits) -> None:
    ev = SharedEvaluator("small", splits, make_config(), device="cpu")
    ev.train(cycler(arch_list(8, seed=12)), 8)
    buffers = {k: v.clone() for k, v in ev.net.named_buffers()}
    a, b = arch_list(2, seed=13)
    first = ev.score(a)
    ev.score(b)
    again = ev.score(a)
    assert first.valid and first.reward == again.reward and first.metrics == again.metrics
    for k, v in ev.net.named_buffers():
        assert torch.equal(v, buffers[k]), k  # running stats untouched
    assert ev.net.training and all(m.training for m in ev.net.modules())
    running = SharedEvaluator("small", splits, make_config(), device="cpu", bn="running")
    running.load_state_dict(ev.state_dict())
    assert running.score(a).valid
    assert running.score(a).reward != first.reward  # a different normalisation


def test_recalibrated_scoring_uses_the_paths_own_statistics_and_leaks_nothing(
    splits: DataSplits,
) -> None:
    """bn="recalibrate": a path is normalised with statistics measured on its own forward
    passes of fixed training sequences; scores repeat, and the shared buffers come back."""
    ev = SharedEvaluator("small", splits, make_config(), device="cpu", bn="recalibrate")
    ev.train(cycler(arch_list(8, seed=12)), 8)
    buffers = {k: v.clone() for k, v in ev.net.named_buffers()}
    momenta = [m.momentum for m in ev.net.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    a, b = arch_list(2, seed=13)
    first = ev.score(a)
    ev.score(b)
    assert first.valid and ev.score(a).reward == first.reward
    for k, v in ev.net.named_buffers():
        assert torch.equal(v, buffers[k]), k
    assert momenta == [m.momentum for m in ev.net.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert ev.net.training
    batch = SharedEvaluator("small", splits, make_config(), device="cpu")
    batch.load_state_dict(ev.state_dict())
    assert batch.score(a).reward != first.reward


def test_reward_names_and_subset(splits: DataSplits) -> None:
    config = make_config(reward="neg_loss", reward_sequences=40)
    ev = make_evaluator("small", splits, config, device="cpu")
    assert isinstance(ev, SharedEvaluator)
    score = ev.score(arch_list(1)[0])
    assert len(ev.scoring_set) == 40
    assert score.reward == pytest.approx(-score.metrics["loss"])
    assert ev.scoring_set.x.dtype == torch.uint8


def test_single_class_validation_gives_nan_with_reason() -> None:
    splits = make_splits(n_train=64, n_valid=32)
    splits.valid.y[:] = 0
    ev = SharedEvaluator("small", splits, make_config(), device="cpu")
    score = ev.score(arch_list(1)[0])
    assert not score.valid and math.isnan(score.reward)
    assert "0 of 1" in score.error
    assert math.isfinite(score.metrics["loss"])


def test_warmup_runs_whole_epochs(splits: DataSplits) -> None:
    ev = SharedEvaluator("small", splits, make_config(), device="cpu")
    space = get_space("small")
    rng = np.random.default_rng(0)
    stats = ev.warmup(lambda: sample_architecture(space, rng), 1)
    assert stats["steps"] == len(splits.train) // 32 == ev.stream.batches_per_epoch
    assert ev.stream.state_dict() == {"epoch": 0, "position": ev.stream.batches_per_epoch}
    assert ev.warmup(lambda: sample_architecture(space, rng), 0) == {}
