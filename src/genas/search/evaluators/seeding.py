"""Seeds an evaluator derives from the run seed, and torch randomness kept to itself.

An evaluator must not draw from (or disturb) the global torch generator: the strategy and
the rest of the run use it too, and a resumed run must repeat the same numbers. Each block
of work that needs torch randomness (weight initialisation, dropout) runs in
:func:`isolated_torch_rng`, seeded from the run seed and a counter that the evaluator's state
holds (e.g. the number of supernet steps done).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from integers and strings (stable across runs and machines)."""
    words: list[int] = []
    for part in parts:
        if isinstance(part, str):
            words.extend(part.encode())
            words.append(256)  # separator, so ("ab", "c") differs from ("a", "bc")
        else:
            words.append(int(part) % 2**63)
    state = np.random.SeedSequence(words).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


@contextlib.contextmanager
def isolated_torch_rng(seed: int, device: torch.device) -> Iterator[None]:
    """Run the block with torch's generators (CPU, and ``device`` if CUDA) seeded with
    ``seed``; their previous states are restored afterwards."""
    devices = [torch.device(device).index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.default_generator.manual_seed(seed)
        for index in devices:  # only the forked device: the others are not restored after
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield


@contextlib.contextmanager
def resumable_torch_rng(holder: dict, seed: int, device: torch.device) -> Iterator[None]:
    """:func:`isolated_torch_rng` for work done in parts, with other work between them: the
    first part starts from ``seed``, each later one from where the previous part left torch's
    generators (kept in ``holder``), so the parts draw what one uninterrupted block would."""
    devices = [torch.device(device).index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        if "cpu" in holder:
            torch.set_rng_state(holder["cpu"])
            for index in devices:
                torch.cuda.set_rng_state(holder["cuda"], index)
        else:
            torch.default_generator.manual_seed(seed)
            for index in devices:
                with torch.cuda.device(index):
                    torch.cuda.manual_seed(seed)
        yield
        holder["cpu"] = torch.get_rng_state()
        for index in devices:
            holder["cuda"] = torch.cuda.get_rng_state(index)
