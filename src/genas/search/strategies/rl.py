"""AMBER's search strategy: the LSTM controller trained with REINFORCE.

After each controller step (:meth:`ReinforceStrategy.step_end`) the batch of ``B``
architectures told since the last update is re-scored by the current policy and the
controller takes ``updates_per_step`` Adam steps on

    loss = Σ_b NLL(arch_b)·A_b + skip_weight · mean_b KL_b − entropy_weight · Σ_b H_b

with advantage ``A_b = r_b − baseline`` (clipped to ±``advantage_clip`` if set). As in
AMBER (``amber/architect/buffer.py: Buffer.finish_path``) the baseline of the first step is
that step's mean reward and afterwards an exponential moving average of the step means,
``baseline ← decay·baseline + (1 − decay)·mean(previous step)``; the policy term is summed over
the batch (``tensordot(log_prob, advantage)``) and the skip KL averaged
(``generalController._build_train_op``). ENAS's entropy bonus is the optional last term.

Differences from AMBER, on purpose: KL uses the skip probability the controller actually
samples with (AMBER/ENAS apply ``sigmoid`` to the ``[-q, q]`` logits, which is not the
softmax they sample from); only the current step's batch is used (AMBER keeps a buffer of the
last 15 steps and trains ``train_pi_iter`` epochs over it; ``updates_per_step`` is the number
of passes here).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from genas.config import ControllerConfig
from genas.search.strategies.base import Strategy, finite_rewards
from genas.search.strategies.controller import Controller, Rollout
from genas.space import Architecture, ModelSpace


class ReinforceStrategy(Strategy):
    """Strategy ``rl``: samples from an LSTM controller, learns with REINFORCE.

    Args:
        space: the model space (any: ops may be labels only).
        config: controller and REINFORCE settings (defaults: AMBER's).
        seed: seeds the weight initialisation and the sampling (own ``torch.Generator``).
    """

    name = "rl"

    def __init__(
        self, space: ModelSpace, config: ControllerConfig | None = None, seed: int = 0
    ) -> None:
        super().__init__(space)
        self.config = config or ControllerConfig()
        c = self.config
        num_ops = [space.num_ops(i) for i in range(space.n_layers)]
        share = c.share_embeddings and len(set(num_ops)) == 1
        self.generator = torch.Generator().manual_seed(int(seed))
        self.controller = Controller(
            num_ops,
            skips=space.skips,
            lstm_size=c.lstm_size,
            lstm_layers=c.lstm_layers,
            temperature=c.temperature,
            tanh_constant=c.tanh_constant,
            share_embeddings=share,
            skip_target=c.skip_target,
            generator=self.generator,
        )
        self.optimizer = torch.optim.Adam(self.controller.parameters(), lr=c.lr)
        self.baseline: float | None = None
        self._pending: list[tuple[list[int], float]] = []
        self._min_reward: float | None = None
        self._steps = 0

    # ---------------------------------------------------------------- ask / tell

    def ask(self) -> Architecture:
        with torch.no_grad():
            rollout = self.controller(batch=1, generator=self.generator)
        return Architecture.from_tokens(self.space, rollout.tokens[0].tolist())

    def tell(self, arch: Architecture, reward: float) -> None:
        self._check_arch(arch)
        reward = float(reward)
        self._pending.append((arch.to_tokens(), reward))
        if math.isfinite(reward) and (self._min_reward is None or reward < self._min_reward):
            self._min_reward = reward

    def step_end(self) -> dict[str, Any]:
        """One REINFORCE update over the architectures told since the last call; stats."""
        self._steps += 1
        pending, self._pending = self._pending, []
        stats: dict[str, Any] = {"step": self._steps, "n_archs": len(pending)}
        if not pending:
            return stats
        rewards, n_invalid = finite_rewards([r for _, r in pending], self._min_reward)
        tokens = torch.tensor([t for t, _ in pending], dtype=torch.long)  # (B, T)
        reward_t = torch.tensor(rewards, dtype=torch.float32)  # (B,)
        mean_reward = float(reward_t.mean())
        baseline = mean_reward if self.baseline is None else self.baseline
        advantage = reward_t - baseline
        if self.config.advantage_clip is not None:
            advantage = advantage.clamp(-self.config.advantage_clip, self.config.advantage_clip)
        first: Rollout | None = None
        losses = []
        for _ in range(self.config.updates_per_step):
            rollout = self.controller(tokens)
            if first is None:
                first = rollout
            loss = self._loss(rollout, advantage)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(float(loss.detach()))
        decay = self.config.baseline_decay
        self.baseline = decay * baseline + (1 - decay) * mean_reward
        assert first is not None
        n_skip_tokens = self.space.n_layers * (self.space.n_layers - 1) // 2
        skip_rate = (
            float(tokens[:, _skip_columns(self.space)].float().mean())
            if self.space.skips and n_skip_tokens
            else 0.0
        )
        stats.update(
            n_invalid=n_invalid,
            loss=losses[-1],
            baseline=baseline,
            reward_mean=mean_reward,
            reward_max=float(reward_t.max()),
            advantage_mean=float(advantage.mean()),
            entropy=float(first.entropy.detach().mean()),
            skip_kl=float(first.skip_kl.detach().mean()),
            skip_rate=skip_rate,
            log_prob_mean=float(first.log_prob.detach().mean()),
        )
        return stats

    def _loss(self, rollout: Rollout, advantage: torch.Tensor) -> torch.Tensor:
        """Scalar REINFORCE loss of a re-scored batch; advantage (B,)."""
        c = self.config
        loss = (-rollout.log_prob * advantage).sum()
        if self.space.skips and c.skip_weight > 0:
            loss = loss + c.skip_weight * rollout.skip_kl.mean()
        if c.entropy_weight > 0:
            loss = loss - c.entropy_weight * rollout.entropy.sum()
        return loss

    # ---------------------------------------------------------------- the policy

    def _greedy(self) -> Rollout:
        with torch.no_grad():
            return self.controller(batch=1, greedy=True)

    def probabilities(self) -> dict[str, list[list[float]]]:
        """Token probabilities along the greedy (:meth:`most_likely`) path."""
        rollout = self._greedy()
        return {
            "ops": [p[0].tolist() for p in rollout.op_probs],
            "skips": [p[0].tolist() for p in rollout.skip_probs],
        }

    def most_likely(self) -> Architecture:
        """Greedy decoding: the argmax op and skip iff p > 0.5, each choice fed back."""
        return Architecture.from_tokens(self.space, self._greedy().tokens[0].tolist())

    # ---------------------------------------------------------------- state

    def state_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.name,
            "n_tokens": self.space.n_tokens,
            "controller": {k: v.detach().clone() for k, v in self.controller.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "baseline": self.baseline,
            "min_reward": self._min_reward,
            "pending": [{"tokens": list(t), "reward": r} for t, r in self._pending],
            "steps": self._steps,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._check_state(state)
        self.controller.load_state_dict(state["controller"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.baseline = None if state["baseline"] is None else float(state["baseline"])
        self._min_reward = None if state["min_reward"] is None else float(state["min_reward"])
        self._pending = [
            ([int(t) for t in p["tokens"]], float(p["reward"])) for p in state["pending"]
        ]
        self._steps = int(state["steps"])


def _skip_columns(space: ModelSpace) -> list[int]:
    """Token positions of the skip bits in AMBER order."""
    cols, pos = [], 0
    for i in range(space.n_layers):
        pos += 1
        cols.extend(range(pos, pos + i))
        pos += i
    return cols
