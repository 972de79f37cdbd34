"""Checks at the boundary: turn user input into float64 arrays or fail with a fix-it message."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np


def as_float_array(name: str, value: object, shape: Sequence[int | str]) -> np.ndarray:
    """Return ``value`` as a finite float64 array of ``shape``.

    ``shape`` entries are ints (fixed) or dimension symbols written as strings, used only in
    the message. Raises ``TypeError`` for non-numeric input and ``ValueError`` for a wrong
    shape or NaN/Inf entries, naming the argument, the expectation and what was received.
    """
    array = to_numpy(name, value)
    expected = "(" + ", ".join(str(s) for s in shape) + (",)" if len(shape) == 1 else ")")
    fixed = all(isinstance(s, int) for s in shape)
    if array.ndim != len(shape) or (fixed and array.shape != tuple(shape)):
        raise ValueError(
            f"`{name}` must have shape {expected}; got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"`{name}` must be finite; got {bad} NaN/Inf entries")
    return array


def to_numpy(name: str, value: object) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor; torch is not imported
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"`{name}` must be a numeric array; got {type(value).__name__}") from err
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(
            f"`{name}` must be a numeric array; got dtype {array.dtype} ({type(value).__name__})"
        )
    if np.iscomplexobj(array):
        raise TypeError(f"`{name}` must be real; got complex dtype {array.dtype}")
    return np.array(array, dtype=np.float64)


def check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int; reject bools, fractional floats and values below ``minimum``."""
    value = unwrap_scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"`{name}` must be an integer; got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}; got {value}")
    return value


def check_positive_float(name: str, value: object) -> float:
    """Return ``value`` as a finite float > 0."""
    value = unwrap_scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be a finite number > 0; got {value}")
    return value


def as_points(name: str, value: object, M: int) -> np.ndarray:
    """Return ``value`` as a finite float64 array of shape (..., M)."""
    array = to_numpy(name, value)
    if array.ndim == 0 or array.shape[-1] != M:
        raise ValueError(f"`{name}` must have shape (..., M) with M = {M}; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be finite; got NaN/Inf entries")
    return array


def unwrap_scalar(value: object) -> object:
    """A 0-d numpy array or numpy scalar as the Python number it holds; anything else unchanged."""
    if (isinstance(value, np.ndarray) and value.ndim == 0) or isinstance(value, np.generic):
        return value.item()
    return value
