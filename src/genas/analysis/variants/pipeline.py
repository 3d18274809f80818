"""Scoring batches as they are made: a reader thread prepares the next batches (reading,
fetching windows, encoding) while the model runs on the current one; when writing a file,
the model runs on a thread of its own while the main thread writes the previous chunk."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import numpy as np

from genas.analysis.variants.effects_io import EffectsWriter
from genas.analysis.variants.scoring import AllelePredictor, effect_scores, predicted_classes
from genas.analysis.variants.sources import Batch
from genas.train.task import TaskSpec

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
    predictor: AllelePredictor,
    batches: Iterable[Batch],
    *,
    background: bool = True,
    task: TaskSpec | None = None,
) -> Iterator[Chunk]:
    """(keys, scores) per batch: scores maps each of ``task``'s score names (binary when
    None; :func:`~genas.analysis.variants.scoring.score_names`) to float32 (n, O); the keys
    gain the multiclass per-variant columns (``ref_class``, ``alt_class``)."""
    source = prefetch(batches) if background else iter(batches)
    for batch in source:
        out_ref, out_alt = predictor(batch.x)
        keys = batch.keys
        if task is not None and task.class_names is not None:
            keys = {**keys, **predicted_classes(out_ref, out_alt, task)}
        yield keys, effect_scores(out_ref, out_alt, task)


def write_effects(
    writer: EffectsWriter,
    chunks: Iterable[Chunk],
    *,
    progress: Callable[[str], None] | None = None,
    unit: str = "variants",
    every_s: float = 10.0,
) -> None:
    """Write scored chunks; the scoring runs on a thread of its own, so formatting and
    writing one chunk overlap the forward pass of the next.

    Args:
        progress: receives a line at most every ``every_s`` seconds: the ``unit`` written so
            far and the rate (None: quiet).
    """
    started = last = time.perf_counter()
    done = 0
    for keys, scores in prefetch(chunks):
        writer.write(keys, scores)
        done += len(next(iter(scores.values())))
        now = time.perf_counter()
        if progress is not None and now - last >= every_s:
            last = now
            progress(f"vep: {done:,} {unit} scored ({done / (now - started):,.0f} per s)")
