"""Starting states for the slow-point search, drawn from recorded hidden-state trajectories."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_float_array, check_int, to_numpy


def sample_states(trajectories, n: int, *, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Starting states drawn from recorded hidden states, plus Gaussian noise.

    Parameters
    ----------
    trajectories : array or tensor, shape (..., M)
        Hidden states, e.g. (B, T, M) from a batch_first RNN or (T, B, M); leading axes are pooled.
    n : int
        How many states to draw (without replacement when n <= the number recorded).
    noise : float, default 0.0
        Standard deviation of the i.i.d. Gaussian noise added to each coordinate.
    seed : int, default 0
        Seed of the draw; same seed, same states.

    Returns
    -------
    ndarray, shape (n, M), float64

    Raises
    ------
    ValueError
        ``trajectories`` with fewer than 2 axes or non-finite entries; n < 1; noise < 0.

    Examples
    --------
    >>> from bifwatch import sample_states
    >>> sample_states(np.zeros((4, 10, 3)), 5, noise=0.1).shape
    (5, 3)
    """
    n = check_int("n", n, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"`noise` must be a finite number >= 0; got {noise!r}")
    states = to_numpy("trajectories", trajectories)
    if states.ndim < 2 or states.shape[-1] == 0 or states.size == 0:
        raise ValueError(f"`trajectories` must have shape (..., M) with at least 2 axes; got {states.shape}")
    states = as_float_array("trajectories", states.reshape(-1, states.shape[-1]), ("N", "M"))
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(states), size=n, replace=n > len(states))
    return states[rows] + noise * rng.standard_normal((n, states.shape[1]))
