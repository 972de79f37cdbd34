"""Checks shared by the metrics: a time series is a float array of shape (T, N)."""

from __future__ import annotations

import numpy as np

from .._validation import to_numpy


def true_series(name: str, value: object, *, min_steps: int = 2) -> np.ndarray:
    """The reference series as float64 (T, N): finite, at least ``min_steps`` steps (1-D is (T, 1))."""
    x = _as_series(name, value)
    if x.shape[0] < min_steps:
        raise ValueError(f"`{name}` must have at least {min_steps} time steps; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"`{name}` must be finite (it is the reference data); it holds NaN or inf")
    return x


def generated_series(name: str, value: object, N: int) -> np.ndarray:
    """A model's series as float64 (T, N); NaN and inf are allowed (a run that diverged)."""
    x = _as_series(name, value)
    if x.shape[1] != N:
        raise ValueError(f"`{name}` must have N = {N} columns like the true series; got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"`{name}` must have at least one time step; got shape {x.shape}")
    return x


def _as_series(name: str, value: object) -> np.ndarray:
    x = to_numpy(name, value)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"`{name}` must have shape (T, N) (or (T,) for one dimension); got shape {x.shape}")
    return x
