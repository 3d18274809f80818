"""Atomic writes, and JSON that every reader accepts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genas.fileio import atomic_write_json


def _strict_load(text: str):
    """json.loads refusing the NaN / Infinity tokens Python's json accepts by default."""

    def refuse(token: str):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_are_written_as_null(tmp_path):
    path = tmp_path / "metrics.json"
    metrics = {
        "lr": float("inf"),
        "loss": float("-inf"),
        "auroc": float("nan"),
        "per_epoch": [1.5, np.float64("inf"), (float("nan"), 2)],
        "nested": {"ok": 0.25},
    }
    atomic_write_json(path, metrics)
    assert _strict_load(path.read_text()) == {
        "lr": None,
        "loss": None,
        "auroc": None,
        "per_epoch": [1.5, None, [None, 2]],
        "nested": {"ok": 0.25},
    }


def test_a_value_json_cannot_hold_leaves_the_old_file(tmp_path):
    path = tmp_path / "metrics.json"
    atomic_write_json(path, {"ok": 1})
    with pytest.raises(TypeError):
        atomic_write_json(path, {"bad": object()})
    assert _strict_load(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
