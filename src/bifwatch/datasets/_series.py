"""Checks at the boundary for observed data: a series is a finite float64 (T, N) array."""

from __future__ import annotations

import numpy as np

from .._validation import to_numpy

_SERIES = "a (T, N) array of time steps by observed dimensions"


def check_series(x: object, name: str = "data") -> np.ndarray:
    """Return ``x`` as one observed time series: a finite float64 array of shape (T, N).

    Parameters
    ----------
    x : array_like, shape (T, N)
        T time steps (rows) of N observed dimensions (columns); T >= 2, N >= 1. A 1-D array is
        refused rather than guessed: write ``x[:, None]`` for one dimension.
    name : str, default "data"
        The argument's name, used in the error messages.

    Returns
    -------
    numpy.ndarray, shape (T, N)
        A float64 copy.

    Raises
    ------
    TypeError
        ``x`` is not numeric (or is complex).
    ValueError
        ``x`` is not 2-D, has fewer than 2 rows or no column, or holds NaN or Inf (the message
        gives the first bad row).

    Examples
    --------
    >>> check_series([[0, 1], [2, 3], [4, 5]]).shape
    (3, 2)
    >>> check_series(np.arange(5.0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `data` must be a (T, N) array of time steps by observed dimensions; got shape (5,) ...
    """
    array = to_numpy(name, x)
    if array.ndim != 2:
        hint = " (for one observed dimension pass x[:, None])" if array.ndim == 1 else ""
        raise ValueError(f"`{name}` must be {_SERIES}; got shape {array.shape}{hint}")
    if array.shape[0] < 2:
        raise ValueError(f"`{name}` must have at least 2 time steps (rows); got shape {array.shape}")
    if array.shape[1] < 1:
        raise ValueError(f"`{name}` must have at least 1 observed dimension (column); "
                         f"got shape {array.shape}")
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ValueError(f"`{name}` must be finite; row {row} (counting from 0) is the first to hold "
                         "NaN or Inf")
    return array


def as_trials(x: object, name: str = "data") -> tuple[np.ndarray, ...]:
    """Return ``x`` as a tuple of K >= 1 trials, each a finite float64 (T_i, N) array of one N.

    Parameters
    ----------
    x : array_like or list of array_like
        One series of shape (T, N); a stack of K trials of shape (K, T, N); or a list or tuple
        of K series of shapes (T_i, N) (lengths may differ). A list counts as a list of trials
        when its first entry is 2-D; otherwise it is read as one array.
    name : str, default "data"
        The argument's name, used in the error messages (trial i is named ``name[i]``).

    Returns
    -------
    tuple of numpy.ndarray
        The K trials, each as :func:`check_series` returns it.

    Raises
    ------
    TypeError, ValueError
        As :func:`check_series`, for any trial; ``ValueError`` also for an empty list, for an
        array that is neither 2-D nor 3-D, and for trials whose numbers of columns N differ.

    Examples
    --------
    >>> [t.shape for t in as_trials([np.zeros((5, 2)), np.ones((3, 2))])]
    [(5, 2), (3, 2)]
    >>> len(as_trials(np.zeros((4, 10, 3))))
    4
    """
    if isinstance(x, list | tuple) and _first_is_2d(x):
        trials = tuple(check_series(item, f"{name}[{i}]") for i, item in enumerate(x))
    elif isinstance(x, list | tuple) and len(x) == 0:
        raise ValueError(f"`{name}` must hold at least one trial; got an empty {type(x).__name__}")
    else:
        array = to_numpy(name, x)
        if array.ndim == 2:
            trials = (check_series(array, name),)
        elif array.ndim == 3:
            trials = tuple(check_series(item, f"{name}[{i}]") for i, item in enumerate(array))
        else:
            raise ValueError(f"`{name}` must be {_SERIES}, a (K, T, N) stack of K trials or a list of "
                             f"(T_i, N) arrays; got shape {array.shape}")
        if not trials:
            raise ValueError(f"`{name}` must hold at least one trial; got shape {array.shape}")
    N = trials[0].shape[1]
    for i, trial in enumerate(trials[1:], start=1):
        if trial.shape[1] != N:
            raise ValueError(f"`{name}[{i}]` must have N = {N} columns like `{name}[0]`; "
                             f"got shape {trial.shape}")
    return trials


def _first_is_2d(x: list | tuple) -> bool:
    """Whether a list's first entry is itself a 2-D array (so the list is a list of trials)."""
    if not x:
        return False
    try:
        return np.ndim(x[0]) == 2
    except ValueError:  # a ragged nested list
        return False
