"""AMBER's search strategy: the LSTM controller trained with REINFORCE and a replay buffer.

After each controller step (:meth:`ReinforceStrategy.step_end`) the architectures told since the
last update get their advantages ``A_b = r_b − baseline`` (clipped to ±``advantage_clip``; not
normalised, AMBER's std normalisation is commented out) and join a buffer that keeps the last
``buffer_steps`` steps, each with the advantages of its own step (AMBER
``amber/architect/buffer.py: Buffer.finish_path``, the default ``'ordinal'`` buffer). The
controller then trains ``updates_per_step`` epochs (AMBER ``train_pi_iter``) over the buffer,
shuffled into minibatches of ``batch_size`` architectures (``Buffer.get_data``), one Adam step
per minibatch (``GeneralController.train``) on

    loss = Σ_b NLL(arch_b)·A_b + skip_weight · mean_b KL_b − entropy_weight · Σ_b H_b

As in AMBER the baseline of the first step is that step's mean reward and afterwards an
exponential moving average of the step means, ``baseline ← decay·baseline + (1 − decay)·mean(
previous step)``; the policy term is summed over the minibatch (``tensordot(log_prob,
advantage)``) and the skip KL averaged (``_build_train_op``). Defaults are AMBER's
``GeneralController`` ones: ``buffer_size=15``, ``batch_size=5``, ``train_pi_iter=20``,
``clip_advantage=10``. ENAS's entropy bonus is the optional last term.

Differences from AMBER, on purpose: KL uses the skip probability the controller actually
samples with (AMBER/ENAS apply ``sigmoid`` to the ``[-q, q]`` logits, which is not the
softmax they sample from); no KL early stopping (AMBER's ``kl_threshold`` check only runs with
``verbose > 0``); the controller trains from the first step on (AMBER's ``EnasTrainEnv``
does too, its plain ``ControllerTrainEnvironment`` waits until the buffer is full).
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
        self._buffer: list[tuple[torch.Tensor, torch.Tensor]] = []  # (tokens, advantage)/step
        self._min_reward: float | None = None
        self._steps = 0

    # ---------------------------------------------------------------- ask / tell

    def ask(self) -> Architecture:
        with torch.no_grad():
            rollout = self.controller(batch=1, generator=self.generator)
        return Architecture.from_tokens(self.space, rollout.tokens[0].tolist())

    def ask_many(self, n: int) -> list[Architecture]:
        """``n`` architectures sampled in one controller pass (batch ``n``)."""
        with torch.no_grad():
            rollout = self.controller(batch=n, generator=self.generator)
        return [Architecture.from_tokens(self.space, t) for t in rollout.tokens.tolist()]

    def tell(self, arch: Architecture, reward: float) -> None:
        self._check_arch(arch)
        reward = float(reward)
        self._pending.append((arch.to_tokens(), reward))
        if math.isfinite(reward) and (self._min_reward is None or reward < self._min_reward):
            self._min_reward = reward

    def step_end(self) -> dict[str, Any]:
        """Store the architectures told since the last call in the buffer and train on it; stats.

        The step's advantages ``r_b − baseline`` are computed once, against the baseline of
        this step, and kept with the token lists for ``buffer_steps`` steps (AMBER's ordinal
        ``Buffer``). The controller then trains ``updates_per_step`` epochs over the buffer in
        shuffled minibatches of ``batch_size`` architectures, one Adam step each.
        """
        self._steps += 1
        pending, self._pending = self._pending, []
        stats: dict[str, Any] = {"step": self._steps, "n_archs": len(pending)}
        if not pending:
            return stats
        c = self.config
        rewards, n_invalid = finite_rewards([r for _, r in pending], self._min_reward)
        tokens = torch.tensor([t for t, _ in pending], dtype=torch.long)  # (B, T)
        reward_t = torch.tensor(rewards, dtype=torch.float32)  # (B,)
        mean_reward = float(reward_t.mean())
        baseline = mean_reward if self.baseline is None else self.baseline
        advantage = reward_t - baseline
        if c.advantage_clip is not None:
            advantage = advantage.clamp(-c.advantage_clip, c.advantage_clip)
        self._buffer.append((tokens, advantage))
        del self._buffer[: -c.buffer_steps]
        all_tokens = torch.cat([t for t, _ in self._buffer])
        all_adv = torch.cat([a for _, a in self._buffer])
        n = all_tokens.shape[0]
        size = n if c.batch_size is None else min(c.batch_size, n)
        losses = []
        for _ in range(c.updates_per_step):
            order = torch.arange(n) if size == n else torch.randperm(n, generator=self.generator)
            for start in range(0, n, size):
                idx = order[start : start + size]
                loss = self._loss(self.controller(all_tokens[idx]), all_adv[idx])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                losses.append(float(loss.detach()))
        decay = c.baseline_decay
        self.baseline = decay * baseline + (1 - decay) * mean_reward
        with torch.no_grad():
            scored = self.controller(tokens)
        n_skip_tokens = self.space.n_layers * (self.space.n_layers - 1) // 2
        skip_rate = (
            float(tokens[:, _skip_columns(self.space)].float().mean())
            if self.space.skips and n_skip_tokens
            else 0.0
        )
        stats.update(
            n_invalid=n_invalid,
            n_buffer=n,
            n_updates=len(losses),
            loss=sum(losses) / len(losses),
            baseline=baseline,
            reward_mean=mean_reward,
            reward_max=float(reward_t.max()),
            advantage_mean=float(advantage.mean()),
            entropy=float(scored.entropy.mean()),
            skip_kl=float(scored.skip_kl.mean()),
            skip_rate=skip_rate,
            log_prob_mean=float(scored.log_prob.mean()),
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
            "buffer": [{"tokens": t.clone(), "advantage": a.clone()} for t, a in self._buffer],
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
        self._buffer = [
            (
                torch.as_tensor(b["tokens"], dtype=torch.long).clone(),
                torch.as_tensor(b["advantage"], dtype=torch.float32).clone(),
            )
            for b in state["buffer"]
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
