"""The noun of this package: a train and a test series with the transform and settings that made them."""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, unwrap_scalar
from ._series import check_series


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A benchmark or user data set: train and test series of N observed dimensions.

    Parameters
    ----------
    name : str
        ``"lorenz63"``, ``"roessler"``, ``"lorenz96"``, ``"plrnn-cycle"``, or a file's name.
    train : array, shape (T, N)
        The training series, float64, after the transform ``(x - mean) / std`` and, for the
        generated systems, the optional noise.
    test : array, shape (T_test, N)
        The test series, same transform as ``train``, never noisy. For user data without a test
        file it is the training series itself (in-sample evaluation).
    dt : float or None
        Sampling step in time units; None for maps and user data.
    mean, std : array, shape (N,)
        The train statistics of the z-score (zeros and ones when the data are not z-scored);
        ``std > 0``. The raw train series is ``train * std + mean`` (up to the noise).
    settings : dict
        Every setting that produced the data, JSON-serialisable (``json.dumps(settings)`` works).
    trials : tuple of arrays of shapes (T_i, N), or None
        Several trials of user data, with ``trials[0]`` equal to ``train``; None for one series.
        A tuple of one trial is stored as None.

    Raises
    ------
    ValueError, TypeError
        Bad shapes, NaN/Inf, a ``test`` or a trial whose N differs from ``train``'s, ``std <= 0``,
        ``trials[0]`` different from ``train``, a ``dt`` that is not a finite number > 0,
        ``settings`` that is not a JSON-serialisable dict.

    Examples
    --------
    >>> x = np.arange(12.0).reshape(6, 2)
    >>> d = Dataset("toy", train=x, test=x, dt=None, mean=np.zeros(2), std=np.ones(2), settings={})
    >>> d
    Dataset('toy', N=2, train=(6, 2), test=(6, 2), dt=None)
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    dt: float | None
    mean: np.ndarray
    std: np.ndarray
    settings: dict
    trials: tuple[np.ndarray, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"`name` must be a non-empty string; got {self.name!r}")
        train = check_series(self.train, "train")
        N = train.shape[1]
        test = check_series(self.test, "test")
        if test.shape[1] != N:
            raise ValueError(f"`test` must have N = {N} columns like `train`; got shape {test.shape}")
        std = as_float_array("std", self.std, (N,))
        if np.any(std <= 0):
            raise ValueError(f"`std` must be > 0 in every dimension; got {std.tolist()}")
        object.__setattr__(self, "train", train)
        object.__setattr__(self, "test", test)
        object.__setattr__(self, "mean", as_float_array("mean", self.mean, (N,)))
        object.__setattr__(self, "std", std)
        object.__setattr__(self, "dt", _check_dt(self.dt))
        object.__setattr__(self, "settings", _check_settings(self.settings))
        object.__setattr__(self, "trials", _check_trials(self.trials, train))

    @property
    def N(self) -> int:
        """Number of observed dimensions."""
        return self.train.shape[1]

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, N={self.N}, train={self.train.shape}, test={self.test.shape}, "
                f"dt={self.dt}" + ("" if self.trials is None else f", trials={len(self.trials)}") + ")")


def _check_dt(dt: object) -> float | None:
    if dt is None:
        return None
    dt = unwrap_scalar(dt)
    if isinstance(dt, bool) or not isinstance(dt, numbers.Real):
        raise TypeError(f"`dt` must be None or a real number; got {dt!r}")
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"`dt` must be None or a finite number > 0; got {dt!r}")
    return float(dt)


def _check_settings(settings: object) -> dict:
    if not isinstance(settings, dict):
        raise TypeError(f"`settings` must be a dict; got {type(settings).__name__}")
    try:
        json.dumps(settings, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"`settings` must be JSON-serialisable; {err}") from None
    return dict(settings)


def _check_trials(trials: object, train: np.ndarray) -> tuple[np.ndarray, ...] | None:
    if trials is None:
        return None
    if not isinstance(trials, tuple) or not trials:
        raise TypeError(f"`trials` must be None or a non-empty tuple of (T_i, N) arrays; got {trials!r:.60}")
    checked = tuple(check_series(t, f"trials[{i}]") for i, t in enumerate(trials))
    for i, trial in enumerate(checked):
        if trial.shape[1] != train.shape[1]:
            raise ValueError(f"`trials[{i}]` must have N = {train.shape[1]} columns like `train`; "
                             f"got shape {trial.shape}")
    if not np.array_equal(checked[0], train):
        raise ValueError("`trials[0]` must equal `train` (the training series is the first trial)")
    return checked if len(checked) > 1 else None
