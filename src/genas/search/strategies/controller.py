"""The AMBER/ENAS LSTM controller: a policy over the token lists of a model space.

The controller emits an architecture token by token in AMBER order
``[op_0, op_1, skip_0→1, op_2, skip_0→2, skip_1→2, ...]`` (AMBER
``amber/architect/optim/controller/base.py: BaseController.forward``; ENAS
``src/cifar10/general_controller.py: _build_sampler``):

- Layer ``i``'s op: one LSTM step, logits ``h·W_soft[i]`` (B, K_i), divided by the
  temperature and squashed to ``c·tanh(·)``; the chosen op's embedding ``W_emb[i][op]`` is
  the next input.
- Layer ``i``'s skips (``i > 0``, spaces that search skips): one more LSTM step on that
  embedding, then for each earlier layer ``j`` the attention score
  ``q_j = vᵀ tanh(W1·h_j + W2·h_i)`` (``h_j`` = the "anchor" hidden state of layer ``j``);
  a Bernoulli per ``j`` with logits ``[-q_j, q_j]`` (squashed like the op logits). The next
  input is the mean of the chosen anchors, ``Σ_j s_j·h_j / (1 + Σ_j s_j)``.
- Layer ``i``'s anchor is the hidden state after its last step.

The same pass either samples (``tokens=None``, with a caller-owned ``torch.Generator``) or
re-scores given token lists (teacher forcing), so the log-probability of any architecture of
the space — also one the controller did not sample — can be computed.

Weights are initialised uniform(-0.1, 0.1) as in AMBER (``backend/pytorch/tensor.py:
create_parameter``) and ENAS (``tf.random_uniform_initializer(-0.1, 0.1)``); the LSTM has no
bias, like theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

_INIT_RANGE = 0.1


@dataclass
class Rollout:
    """The result of one controller pass over a batch of ``B`` architectures.

    Attributes:
        tokens: (B, T) int64 token lists (T = n ops + n skips).
        log_prob: (B,) summed log-probability of each token list.
        entropy: (B,) summed entropy of every token's distribution.
        skip_kl: (B,) mean over layers of the mean over a layer's skips of
            KL(Bernoulli(p_skip) ‖ Bernoulli(skip_target)); zeros without skips.
        op_probs: per layer, (B, K_i) op probabilities.
        skip_probs: per layer, (B, i) probabilities that skip ``j → i`` is on (layer 0: (B, 0)).
    """

    tokens: Tensor
    log_prob: Tensor
    entropy: Tensor
    skip_kl: Tensor
    op_probs: list[Tensor]
    skip_probs: list[Tensor]


class StackedLSTM(nn.Module):
    """AMBER's bias-free stacked LSTM cell, one time step.

    Layer ``l`` has one weight ``(2H, 4H)`` applied to ``[x, h_prev]``; gates in the order
    input, forget, output, candidate.
    """

    def __init__(self, size: int, n_layers: int) -> None:
        super().__init__()
        self.size = size
        self.weights = nn.ParameterList(
            nn.Parameter(torch.empty(2 * size, 4 * size)) for _ in range(n_layers)
        )

    def forward(
        self, x: Tensor, state: tuple[list[Tensor], list[Tensor]]
    ) -> tuple[Tensor, tuple[list[Tensor], list[Tensor]]]:
        """x: (B, H); state: (c, h), lists of (B, H) per layer → top h (B, H), new state."""
        prev_c, prev_h = state
        next_c, next_h = [], []
        inputs = x
        for w, c, h in zip(self.weights, prev_c, prev_h, strict=True):
            i, f, o, g = torch.cat([inputs, h], dim=1).matmul(w).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            next_c.append(c)
            next_h.append(h)
            inputs = h
        return inputs, (next_c, next_h)

    def zero_state(self, batch: int) -> tuple[list[Tensor], list[Tensor]]:
        zeros = [torch.zeros(batch, self.size) for _ in self.weights]
        return zeros, list(zeros)


class Controller(nn.Module):
    """LSTM policy over the architectures of a space with ``num_ops[i]`` ops in layer ``i``.

    Args:
        num_ops: op count of each layer (``len`` = number of layers L).
        skips: whether the space searches skip connections (L(L-1)/2 extra binary tokens).
        lstm_size: hidden size H.
        lstm_layers: stacked LSTM layers.
        temperature: op and skip logits are divided by this.
        tanh_constant: logits squashed to ``c·tanh(logits)``; None: not squashed.
        share_embeddings: one op embedding / softmax table for all layers (needs equal
            op counts; AMBER's ``share_embedding={i: 0}``).
        skip_target: target skip probability of the KL penalty.
        generator: initialises the weights (reproducible without the global seed).
    """

    def __init__(
        self,
        num_ops: Sequence[int],
        skips: bool,
        lstm_size: int = 64,
        lstm_layers: int = 1,
        temperature: float = 2.0,
        tanh_constant: float | None = 1.5,
        share_embeddings: bool = False,
        skip_target: float = 0.4,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.num_ops = [int(k) for k in num_ops]
        if not self.num_ops or min(self.num_ops) < 1:
            raise ValueError(f"every layer needs at least one op, got {self.num_ops}")
        if share_embeddings and len(set(self.num_ops)) != 1:
            raise ValueError(
                "share_embeddings needs the same op count in every layer, got "
                f"{sorted(set(self.num_ops))}"
            )
        self.skips = bool(skips)
        self.temperature = float(temperature)
        self.tanh_constant = tanh_constant
        self.skip_target = float(skip_target)
        self.share_embeddings = bool(share_embeddings)
        H = lstm_size
        self.lstm = StackedLSTM(H, lstm_layers)
        self.g_emb = nn.Parameter(torch.empty(1, H))
        tables = [self.num_ops[0]] if share_embeddings else self.num_ops
        self.w_emb = nn.ParameterList(nn.Parameter(torch.empty(k, H)) for k in tables)
        self.w_soft = nn.ParameterList(nn.Parameter(torch.empty(H, k)) for k in tables)
        if self.skips:
            self.w_attn_1 = nn.Parameter(torch.empty(H, H))
            self.w_attn_2 = nn.Parameter(torch.empty(H, H))
            self.v_attn = nn.Parameter(torch.empty(H, 1))
        for p in self.parameters():
            nn.init.uniform_(p, -_INIT_RANGE, _INIT_RANGE, generator=generator)

    @property
    def n_layers(self) -> int:
        return len(self.num_ops)

    @property
    def n_tokens(self) -> int:
        L = self.n_layers
        return L + (L * (L - 1) // 2 if self.skips else 0)

    def _squash(self, logits: Tensor) -> Tensor:
        logits = logits / self.temperature
        if self.tanh_constant is not None:
            logits = self.tanh_constant * torch.tanh(logits)
        return logits

    def _table(self, layer: int) -> int:
        return 0 if self.share_embeddings else layer

    def forward(
        self,
        tokens: Tensor | None = None,
        batch: int = 1,
        generator: torch.Generator | None = None,
        greedy: bool = False,
    ) -> Rollout:
        """Sample ``batch`` architectures, take the most likely one, or score ``tokens``.

        Args:
            tokens: (B, T) token lists to score (teacher forcing); None: choose tokens.
            batch: B when ``tokens`` is None.
            generator: randomness of the sampling.
            greedy: with ``tokens=None``, take the argmax op and skip iff p > 0.5 at each step
                (decoded autoregressively, each choice fed back) instead of sampling.
        """
        if tokens is not None:
            tokens = torch.as_tensor(tokens, dtype=torch.long)
            if tokens.dim() != 2 or tokens.shape[1] != self.n_tokens:
                raise ValueError(f"tokens must be (B, {self.n_tokens}), got {tuple(tokens.shape)}")
            batch = tokens.shape[0]
        state = self.lstm.zero_state(batch)
        inputs = self.g_emb.expand(batch, -1)
        anchors: list[Tensor] = []
        anchors_w1: list[Tensor] = []
        chosen: list[Tensor] = []
        log_prob = torch.zeros(batch)
        entropy = torch.zeros(batch)
        kl_per_layer: list[Tensor] = []
        op_probs: list[Tensor] = []
        skip_probs: list[Tensor] = [torch.zeros(batch, 0)]
        pos = 0
        for i in range(self.n_layers):
            h, state = self.lstm(inputs, state)
            logits = self._squash(h.matmul(self.w_soft[self._table(i)]))  # (B, K_i)
            log_p = torch.log_softmax(logits, dim=1)
            if tokens is not None:
                op = tokens[:, pos]
            elif greedy:
                op = log_p.argmax(dim=1)
            else:
                op = torch.multinomial(log_p.exp(), 1, generator=generator).squeeze(1)
            pos += 1
            chosen.append(op.unsqueeze(1))
            log_prob = log_prob + log_p.gather(1, op.unsqueeze(1)).squeeze(1)
            entropy = entropy - (log_p.exp() * log_p).sum(dim=1)
            op_probs.append(log_p.exp())
            inputs = self.w_emb[self._table(i)][op]  # (B, H)
            if not self.skips:
                continue
            if i > 0:
                h, state = self.lstm(inputs, state)
                query = torch.tanh(
                    torch.stack(anchors_w1, dim=1) + h.matmul(self.w_attn_2).unsqueeze(1)
                )  # (B, i, H)
                q = query.matmul(self.v_attn)  # (B, i, 1)
                skip_logits = self._squash(torch.cat([-q, q], dim=2))  # (B, i, 2)
                log_s = torch.log_softmax(skip_logits, dim=2)
                p_on = log_s[..., 1].exp()  # (B, i)
                if tokens is not None:
                    skip = tokens[:, pos : pos + i]
                elif greedy:
                    skip = (p_on > 0.5).long()
                else:
                    skip = (torch.rand(batch, i, generator=generator) < p_on).long()
                pos += i
                chosen.append(skip)
                log_prob = log_prob + log_s.gather(2, skip.unsqueeze(2)).squeeze(2).sum(dim=1)
                entropy = entropy - (log_s.exp() * log_s).sum(dim=(1, 2))
                kl_per_layer.append(_bernoulli_kl(p_on, self.skip_target).mean(dim=1))
                skip_probs.append(p_on)
                on = skip.to(h.dtype).unsqueeze(1)  # (B, 1, i)
                inputs = on.matmul(torch.stack(anchors, dim=1)).squeeze(1)  # (B, H)
                inputs = inputs / (1.0 + on.sum(dim=2))
            anchors.append(h)
            anchors_w1.append(h.matmul(self.w_attn_1))
        if not self.skips:
            skip_probs = [torch.zeros(batch, i) for i in range(self.n_layers)]
        skip_kl = (
            torch.stack(kl_per_layer, dim=1).mean(dim=1) if kl_per_layer else torch.zeros(batch)
        )
        return Rollout(
            tokens=torch.cat(chosen, dim=1),
            log_prob=log_prob,
            entropy=entropy,
            skip_kl=skip_kl,
            op_probs=op_probs,
            skip_probs=skip_probs,
        )


def _bernoulli_kl(p: Tensor, target: float, eps: float = 1e-7) -> Tensor:
    """KL(Bernoulli(p) ‖ Bernoulli(target)) elementwise; ``p`` any shape, same shape out."""
    p = p.clamp(eps, 1 - eps)
    return p * torch.log(p / target) + (1 - p) * torch.log((1 - p) / (1 - target))
