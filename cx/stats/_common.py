"""Helpers shared by the statistics modules: argument checks, reasons and packing of results."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

Value = float | np.ndarray
Reason = str | np.ndarray


def _z(confidence: float) -> float:
    """Two-sided normal quantile: 1.959964 for 0.95, 3.090232 for 0.998."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _nonnegative(name: str, values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers (use 0 for an empty count)")
    if np.any(array < 0):
        raise ValueError(f"{name} must not be negative, got {array[array < 0].ravel()[:3]}")
    return array


def _reasons(shape: tuple[int, ...], rules: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """Per element, the message of the first rule whose mask is true; ``""`` where none is."""
    out = np.full(shape, "", dtype=object)
    for mask, message in reversed(rules):
        out[np.broadcast_to(mask, shape)] = message
    return out


def _scalar(value):
    """0-d arrays and numpy scalars become Python floats and strings; arrays stay arrays."""
    if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0:
        return value.item()
    return value


def _pack(cls, **values):
    return cls(**{field.name: _scalar(values[field.name]) for field in fields(cls)})


def _midranks(totals: np.ndarray) -> np.ndarray:
    """Average rank of each scale value when ``totals[j]`` responses share value j."""
    return np.cumsum(totals) - totals + (totals + 1) / 2
