"""genas.train.loop.fit: learning, early stopping, checkpoints, resume, devices."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from genas.config import TrainConfig
from genas.errors import GenasError
from genas.seq.alphabet import encode
from genas.train import fit, resolve_device, seed_everything
from genas.train.checkpoint import FILENAME

MOTIFS = ("ACGTAC", "GGATCC")
TASKS = ["motif1", "motif2"]
LENGTH = 40


def make_split(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random sequences; task i is 1 when motif i was planted. x uint8 (n, 4, L), y (n, 2)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGT"))
    seqs, labels = [], []
    for _ in range(n):
        seq = letters[rng.integers(0, 4, LENGTH)].tolist()
        row = []
        for motif in MOTIFS:
            planted = rng.random() < 0.4
            if planted:
                start = rng.integers(0, LENGTH - len(motif) + 1)
                seq[start : start + len(motif)] = list(motif)
            row.append(float(planted))
        seqs.append("".join(seq))
        labels.append(row)
    return torch.from_numpy(encode(seqs)), torch.tensor(labels, dtype=torch.float32)


class MotifNet(nn.Module):
    """(B, 4, L) float -> (B, 2) logits."""

    def __init__(self, channels: int = 16, dropout: float = 0.1) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, channels, 6)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels, len(TASKS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(torch.relu(self.conv(x)).amax(dim=-1)))


class ConstantNet(nn.Module):
    """Ignores its input: every validation AUROC is exactly 0.5, so nothing ever improves."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(len(TASKS)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bias.expand(x.shape[0], -1)


class EpochLoader:
    """A shuffling DataLoader with ``set_epoch`` that counts batches and can crash once."""

    def __init__(self, x, y, batch_size=32, crash_at=None):
        self.loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
        self.epochs: list[int] = []
        self.batches = 0
        self.crash_at = crash_at  # (epoch, step): raise there

    def set_epoch(self, epoch: int) -> None:
        self.epochs.append(epoch)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for step, batch in enumerate(self.loader):
            if self.crash_at == (self.epochs[-1], step):
                raise KeyboardInterrupt("simulated crash")
            self.batches += 1
            yield batch


@pytest.fixture(scope="module")
def data():
    train = make_split(512, seed=1)
    valid = make_split(256, seed=2)
    return train, valid


def loaders(data, **kw):
    (xt, yt), (xv, yv) = data
    return EpochLoader(xt, yt, **kw), DataLoader(TensorDataset(xv, yv), batch_size=128)


def config(**kw) -> TrainConfig:
    base = {"lr": 1e-2, "max_epochs": 6, "patience": 10, "device": "cpu"}
    return TrainConfig(**{**base, **kw})


def new_model(**kw) -> MotifNet:
    torch.manual_seed(123)
    return MotifNet(**kw)


def test_fit_learns_planted_motifs_and_keeps_best_weights(data):
    train, valid = loaders(data)
    model = new_model()
    result = fit(model, train, valid, config(), task_names=TASKS, progress=False)
    assert len(result.history) == 6
    assert result.monitor == "valid_mean_auroc"
    assert result.best_valid > 0.9
    best = result.history[result.best_epoch - 1]
    assert best["valid_mean_auroc"] == max(h["valid_mean_auroc"] for h in result.history)
    assert set(best) >= {
        "epoch", "train_loss", "valid_loss", "valid_mean_auroc", "valid_mean_auprc",
        "lr", "seconds", "seqs_per_s",
    }  # fmt: skip
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert train.epochs == [1, 2, 3, 4, 5, 6]  # set_epoch called before every epoch
    # The model holds the best epoch's weights: re-evaluating gives its AUROC.
    from genas.train import evaluate

    again = evaluate(model, valid, task_names=TASKS, device="cpu")
    assert again["summary"]["mean_auroc"] == pytest.approx(best["valid_mean_auroc"])


def test_fit_with_unknown_labels(data):
    (xt, yt), valid = data
    yt = yt.clone()
    yt[torch.rand(yt.shape, generator=torch.Generator().manual_seed(0)) < 0.3] = float("nan")
    train, valid = loaders(((xt, yt), valid))
    result = fit(new_model(), train, valid, config(), task_names=TASKS, progress=False)
    assert all(math.isfinite(h["train_loss"]) for h in result.history)
    assert result.best_valid > 0.9


def test_early_stopping(data):
    train, valid = loaders(data)
    result = fit(
        ConstantNet(), train, valid, config(patience=2, max_epochs=20), task_names=TASKS,
        progress=False,
    )  # fmt: skip
    # Epoch 1 is the best (AUROC 0.5); epochs 2 and 3 do not improve: stop after 3.
    assert result.stopped_early
    assert len(result.history) == 3 and result.best_epoch == 1
    assert result.best_valid == pytest.approx(0.5)


def test_max_steps_per_epoch_and_options(data):
    train, valid = loaders(data)
    cfg = config(
        max_epochs=2, max_steps_per_epoch=3, optimizer="adamw", weight_decay=0.01,
        lr_schedule="cosine", grad_clip=0.5, rc_predict=True,
    )  # fmt: skip
    result = fit(new_model(), train, valid, cfg, task_names=TASKS, progress=False)
    assert train.batches == 6
    assert result.history[1]["lr"] < result.history[0]["lr"]  # cosine decays


def _last_weights(folder: Path) -> dict:
    return torch.load(folder / FILENAME, weights_only=True)


def _assert_same_run(a: dict, b: dict) -> None:
    for key in ("model", "best_model"):
        assert a[key].keys() == b[key].keys()
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)
    assert a["best_epoch"] == b["best_epoch"] and a["epoch"] == b["epoch"]
    strip = [
        {k: v for k, v in h.items() if k not in ("seconds", "seqs_per_s")} for h in a["history"]
    ]
    assert strip == [
        {k: v for k, v in h.items() if k not in ("seconds", "seqs_per_s")} for h in b["history"]
    ]


def test_resume_equals_uninterrupted(data, tmp_path):
    cfg = {"max_epochs": 4, "lr_schedule": "plateau", "patience": 3}
    straight = new_model(dropout=0.3)
    train, valid = loaders(data)
    fit(straight, train, valid, config(**cfg), task_names=TASKS, checkpoint_dir=tmp_path / "a",
        seed=7, progress=False)  # fmt: skip

    train, valid = loaders(data)
    fit(new_model(dropout=0.3), train, valid, config(**{**cfg, "max_epochs": 2}),
        task_names=TASKS, checkpoint_dir=tmp_path / "b", seed=7, progress=False)  # fmt: skip
    assert _last_weights(tmp_path / "b")["epoch"] == 2
    resumed = new_model(dropout=0.3)
    with torch.no_grad():  # resume must not depend on the weights the model starts with
        for p in resumed.parameters():
            p.add_(1.0)
    train, valid = loaders(data)
    result = fit(resumed, train, valid, config(**cfg), task_names=TASKS,
                 checkpoint_dir=tmp_path / "b", resume=True, seed=7, progress=False)  # fmt: skip
    assert train.epochs == [3, 4]  # only the missing epochs ran
    assert len(result.history) == 4
    _assert_same_run(_last_weights(tmp_path / "a"), _last_weights(tmp_path / "b"))
    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(p, q)


def test_resume_after_crash_mid_epoch_cosine(data, tmp_path):
    cfg = config(max_epochs=4, lr_schedule="cosine")
    train, valid = loaders(data)
    fit(new_model(), train, valid, cfg, task_names=TASKS, checkpoint_dir=tmp_path / "a",
        progress=False)  # fmt: skip
    train, valid = loaders(data, crash_at=(3, 2))
    with pytest.raises(KeyboardInterrupt):
        fit(new_model(), train, valid, cfg, task_names=TASKS, checkpoint_dir=tmp_path / "b",
            progress=False)  # fmt: skip
    assert _last_weights(tmp_path / "b")["epoch"] == 2
    train, valid = loaders(data)
    fit(new_model(), train, valid, cfg, task_names=TASKS, checkpoint_dir=tmp_path / "b",
        resume=True, progress=False)  # fmt: skip
    _assert_same_run(_last_weights(tmp_path / "a"), _last_weights(tmp_path / "b"))


def test_resume_of_finished_run_trains_nothing(data, tmp_path):
    train, valid = loaders(data)
    first = fit(new_model(), train, valid, config(max_epochs=2), task_names=TASKS,
                checkpoint_dir=tmp_path, progress=False)  # fmt: skip
    train, valid = loaders(data)
    model = new_model()
    again = fit(model, train, valid, config(max_epochs=2), task_names=TASKS,
                checkpoint_dir=tmp_path, resume=True, progress=False)  # fmt: skip
    assert train.batches == 0
    assert again.best_epoch == first.best_epoch and again.history == first.history


def test_corrupt_checkpoint_is_a_genas_error(data, tmp_path):
    (tmp_path / FILENAME).write_bytes(b"this is not a checkpoint" * 10)
    train, valid = loaders(data)
    with pytest.raises(GenasError, match=FILENAME):
        fit(new_model(), train, valid, config(), task_names=TASKS, checkpoint_dir=tmp_path,
            resume=True, progress=False)  # fmt: skip


def test_mismatched_checkpoint_is_a_genas_error(data, tmp_path):
    train, valid = loaders(data)
    fit(new_model(), train, valid, config(max_epochs=1), task_names=TASKS,
        checkpoint_dir=tmp_path, progress=False)  # fmt: skip
    with pytest.raises(GenasError, match=FILENAME):  # other layer sizes
        fit(new_model(channels=8), train, valid, config(), task_names=TASKS,
            checkpoint_dir=tmp_path, resume=True, progress=False)  # fmt: skip
    with pytest.raises(GenasError, match="optimizer"):  # other optimizer
        fit(new_model(), train, valid, config(optimizer="adamw"), task_names=TASKS,
            checkpoint_dir=tmp_path, resume=True, progress=False)  # fmt: skip


def test_same_seed_same_result(data):
    results = []
    for _ in range(2):
        train, valid = loaders(data)
        model = new_model(dropout=0.3)
        fit(model, train, valid, config(max_epochs=2), task_names=TASKS, seed=3, progress=False)
        results.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*results, strict=True))


def test_resolve_device_and_seeding():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(GenasError, match="unknown"):
        resolve_device("gpu-please")
    if not torch.cuda.is_available():
        with pytest.raises(GenasError, match="CUDA"):
            resolve_device("cuda")
    seed_everything(5)
    a = (torch.rand(3), np.random.rand(3))
    seed_everything(5)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_monitor_falls_back_to_valid_loss(data):
    (xt, yt), (xv, yv) = data
    train, valid = loaders(((xt, yt), (xv, torch.zeros_like(yv))))  # no positive in valid
    with pytest.warns(UserWarning, match="single class"):
        result = fit(new_model(), train, valid, config(max_epochs=2), task_names=TASKS,
                     progress=False)  # fmt: skip
    assert result.monitor == "-valid_loss"
    best = result.history[result.best_epoch - 1]
    assert result.best_valid == pytest.approx(-best["valid_loss"])
    assert math.isnan(best["valid_mean_auroc"])


def test_progress_lines(data, capsys):
    train, valid = loaders(data)
    fit(new_model(), train, valid, config(max_epochs=1), task_names=TASKS, progress=True)
    assert "epoch 1/1" in capsys.readouterr().err
    fit(new_model(), train, valid, config(max_epochs=1), task_names=TASKS, progress=False)
    assert capsys.readouterr().err == ""
