"""The delayed-activation (DA) task: stay off for T steps, then switch on and stay on for T steps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..._validation import check_int, to_numpy


@dataclass(frozen=True)
class DATask:
    """The delayed-activation task of Dinc et al. (one deterministic trial, no input).

    Parameters
    ----------
    delay : int, default 20
        The delay T in steps; a trial lasts 2T steps (the paper: T = 100 ms = 20 steps of 5 ms).

    Raises
    ------
    ValueError, TypeError
        If ``delay`` is not an integer >= 1.

    Notes
    -----
    The network runs on its own dynamics and its outputs o_1, ..., o_2T are read after each update.
    The target is y_t = 0 for t = 1..T and y_t = 1 for t = T+1..2T. The loss is the squared
    error divided by the delay (not cross-entropy) and the accuracy the fraction of steps on the
    right side of 0.5,

        L = sum_t (o_t - y_t)^2 / T,        acc = (1 / 2T) sum_t 1[(o_t > 0.5) = y_t],

    so that a constant output scores L ~ 1 and accuracy exactly 0.5.

    References
    ----------
    F. Dinc et al., "A ghost mechanism: an analytical model of abrupt learning", arXiv 2501.02378.

    Examples
    --------
    >>> task = DATask(delay=2)
    >>> task.targets.tolist()
    [0.0, 0.0, 1.0, 1.0]
    >>> task.loss(np.array([0.0, 0.0, 1.0, 0.0])), task.accuracy(np.array([0.1, 0.2, 0.9, 0.3]))
    (0.5, 0.75)
    """

    delay: int = 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "delay", check_int("delay", self.delay, minimum=1))

    @property
    def steps(self) -> int:
        """Length 2T of a trial."""
        return 2 * self.delay

    @cached_property
    def targets(self) -> np.ndarray:
        """The target y_1..y_2T, shape (2T,) (read-only)."""
        targets = (np.arange(1, self.steps + 1) > self.delay).astype(np.float64)
        targets.flags.writeable = False
        return targets

    def loss(self, outputs: np.ndarray) -> np.ndarray | float:
        """sum_t (o_t - y_t)^2 / T over the last axis; outputs shape (..., 2T)."""
        o = self._check(outputs)
        value = np.sum((o - self.targets) ** 2, axis=-1) / self.delay
        return float(value) if np.ndim(value) == 0 else value

    def accuracy(self, outputs: np.ndarray) -> np.ndarray | float:
        """mean_t 1[(o_t > 0.5) = y_t] over the last axis; outputs shape (..., 2T)."""
        o = self._check(outputs)
        value = np.mean((o > 0.5) == (self.targets > 0.5), axis=-1)
        return float(value) if np.ndim(value) == 0 else value

    def _check(self, outputs: object) -> np.ndarray:
        o = to_numpy("outputs", outputs)
        if o.ndim == 0 or o.shape[-1] != self.steps:
            raise ValueError(
                f"`outputs` must have shape (..., 2T) = (..., {self.steps}) for delay T = {self.delay}; "
                f"got shape {o.shape}"
            )
        return o


#: The paper's task (T = 20 steps), the default everywhere.
DEFAULT_TASK = DATask()
