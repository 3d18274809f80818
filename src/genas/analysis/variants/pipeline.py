"""Scoring batches as they are made: a reader thread prepares the next batches (reading,
fetching windows, encoding) while the model runs on the current one; when writing a file,
the model runs on a thread of its own while the main thread writes the previous chunk."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np

from genas.analysis.variants.effects_io import EffectsWriter
from genas.analysis.variants.scoring import AllelePredictor, effect_scores
from genas.analysis.variants.sources import Batch

T = TypeVar("T")
Chunk = tuple[dict[str, list | np.ndarray], dict[str, np.ndarray]]
_DONE = object()


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` in order, produced by a background thread up to ``depth`` ahead.

    An exception raised while producing is re-raised here, at the item where it happened.
    Memory holds at most ``depth + 1`` items. Closing the generator stops the thread.
    """
    slots: queue.Queue = queue.Queue(maxsize=max(depth, 1))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as error:  # handed to the consumer
            put((_DONE, error))
            return
        put((_DONE, None))

    thread = threading.Thread(target=produce, name="genas-vep-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = slots.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()


def iter_effects(
    predictor: AllelePredictor, batches: Iterable[Batch], *, background: bool = True
) -> Iterator[Chunk]:
    """(keys, scores) per batch: scores maps each name of :data:`SCORES` to float32 (n, T)."""
    source = prefetch(batches) if background else iter(batches)
    for batch in source:
        z_ref, z_alt = predictor(batch.x)
        yield batch.keys, effect_scores(z_ref, z_alt)


def write_effects(writer: EffectsWriter, chunks: Iterable[Chunk]) -> None:
    """Write scored chunks; the scoring runs on a thread of its own, so formatting and
    writing one chunk overlap the forward pass of the next."""
    for keys, scores in prefetch(chunks):
        writer.write(keys, scores)
