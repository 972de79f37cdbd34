"""The benchmark flows of dynamical-systems reconstruction: Lorenz-63, Rössler and Lorenz-96."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_int, unwrap_scalar
from ._dataset import Dataset
from ._recipe import Flow, generate

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0
A_ROESSLER, B_ROESSLER, C_ROESSLER = 0.2, 0.2, 5.7


def lorenz63(*, steps: int = 100_000, test_steps: int | None = None, dt: float = 0.01, noise: float = 0.0,
             seed: int = 0, transient: int = 1000, cache: bool = True) -> Dataset:
    """The Lorenz-63 benchmark: a z-scored train and test series of the chaotic Lorenz attractor.

    Parameters
    ----------
    steps : int, default 100 000
        Length T of the training series (>= 2).
    test_steps : int or None, default None
        Length of the test series; None gives ``steps``.
    dt : float, default 0.01
        Sampling step in time units.
    noise : float, default 0
        Standard deviation of the Gaussian noise added to the standardised training series
        (the GTF benchmark uses 0.05); the test series stays clean.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``, which draws both initial states, then the noise.
    transient : int, default 1000
        Samples dropped at the start of each series.
    cache : bool, default True
        Read and write the trajectories under ``$BIFWATCH_CACHE/datasets`` (else
        ``~/.cache/bifwatch/datasets``); False integrates afresh and writes nothing.

    Returns
    -------
    Dataset
        ``name="lorenz63"``, N = 3, ``dt`` as given; ``train`` and ``test`` z-scored with the mean and
        standard deviation of the clean training series.

    Raises
    ------
    TypeError, ValueError
        A setting of the wrong type or out of range, naming it.

    Notes
    -----
    dx/dt = σ (y - x), dy/dt = x (ρ - z) - y, dz/dt = x y - β z with σ = 10, ρ = 28, β = 8/3.
    Initial states are drawn as (0, 0, 25) + 10 N(0, I): anywhere near the attractor, which
    attracts all of them within the transient. The recipe (solver, sampling, z-score, noise) is
    in docs/datasets.md. For the defaults, mean |Δx| per standardised dimension is
    0.0438 / 0.0517 / 0.0728 (the released GTF files: 0.044 / 0.052 / 0.073).

    Performance notes: integrating 100 000 + 1000 steps takes about 4 s per series; the cache
    makes later calls take milliseconds.

    References
    ----------
    E. N. Lorenz, "Deterministic nonperiodic flow", J. Atmos. Sci. 20, 130 (1963).

    Examples
    --------
    >>> data = lorenz63(steps=500, test_steps=200, cache=False)
    >>> data
    Dataset('lorenz63', N=3, train=(500, 3), test=(200, 3), dt=0.01)
    >>> np.allclose(data.train.mean(axis=0), 0.0), np.allclose(data.train.std(axis=0), 1.0)
    (True, True)
    """
    flow = Flow("lorenz63", _lorenz63_rhs, {"sigma": SIGMA, "rho": RHO, "beta": BETA}, _lorenz63_start)
    return generate(flow, steps=steps, test_steps=test_steps, dt=dt, noise=noise, seed=seed,
                    transient=transient, cache=cache)


def roessler(*, steps: int = 100_000, test_steps: int | None = None, dt: float = 0.08, noise: float = 0.0,
             seed: int = 0, transient: int = 1000, cache: bool = True) -> Dataset:
    """The Rössler benchmark: a z-scored train and test series of the chaotic Rössler attractor.

    Parameters
    ----------
    steps, test_steps, noise, seed, transient, cache
        As for :func:`lorenz63`.
    dt : float, default 0.08
        Sampling step in time units (about 75 samples per turn of the attractor).

    Returns
    -------
    Dataset
        ``name="roessler"``, N = 3, z-scored with the clean training series' statistics.

    Raises
    ------
    TypeError, ValueError
        A setting of the wrong type or out of range, naming it.

    Notes
    -----
    dx/dt = -y - z, dy/dt = x + a y, dz/dt = b + z (x - c) with a = b = 0.2, c = 5.7. Initial
    states are drawn uniformly from [-5, 5]² × [0, 1], a region that falls onto the attractor
    (larger x or z can escape to infinity). For the defaults, mean |Δx| per standardised
    dimension is 0.0756 / 0.0712 / 0.0713 and the standardised z ranges from -0.307 to 7.73
    (the ALRNN files: 0.076 / 0.071 / 0.072, z from about -0.31 to 7.7).

    Performance notes: about 6 s per 100 000-step series (the z spikes force small steps); cached
    afterwards.

    References
    ----------
    O. E. Rössler, "An equation for continuous chaos", Phys. Lett. A 57, 397 (1976).

    Examples
    --------
    >>> data = roessler(steps=500, test_steps=200, cache=False)
    >>> data.N, data.dt, data.settings["c"]
    (3, 0.08, 5.7)
    """
    flow = Flow("roessler", _roessler_rhs, {"a": A_ROESSLER, "b": B_ROESSLER, "c": C_ROESSLER},
                _roessler_start)
    return generate(flow, steps=steps, test_steps=test_steps, dt=dt, noise=noise, seed=seed,
                    transient=transient, cache=cache)


def lorenz96(*, N: int = 10, F: float = 8.0, steps: int = 100_000, test_steps: int | None = None,
             dt: float = 0.01, noise: float = 0.0, seed: int = 0, transient: int = 1000,
             cache: bool = True) -> Dataset:
    """The Lorenz-96 benchmark: N coupled variables on a ring, forced by F; z-scored train and test.

    Parameters
    ----------
    N : int, default 10
        Number of variables (>= 4, so that x_{i-2}, x_{i-1}, x_i and x_{i+1} are distinct).
    F : float, default 8
        The forcing; F = 8 is chaotic for N = 10.
    steps, test_steps, dt, noise, seed, transient, cache
        As for :func:`lorenz63` (default ``dt`` 0.01).

    Returns
    -------
    Dataset
        ``name="lorenz96"``, N dimensions, z-scored per dimension with the clean training
        series' statistics.

    Raises
    ------
    TypeError, ValueError
        A setting of the wrong type or out of range, naming it.

    Notes
    -----
    dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F, indices modulo N. Initial states are
    F (1, ..., 1), the unstable uniform equilibrium, plus 0.01 N(0, I): for F = 8 the
    trajectory leaves it within one time unit. For N = 10, F = 8 and the defaults, the raw
    training series has mean 2.29 and standard deviation 3.61 (pooled over the 10 variables),
    the values usually quoted for F = 8 (about 2.3 and 3.6).

    Performance notes: about 4 s per 100 000-step series for N = 10; cached afterwards.

    References
    ----------
    E. N. Lorenz, "Predictability: a problem partly solved", ECMWF Seminar on Predictability (1996).

    Examples
    --------
    >>> data = lorenz96(N=5, steps=300, cache=False)
    >>> data.train.shape, data.settings["F"]
    ((300, 5), 8.0)
    """
    N = check_int("N", N, minimum=4)
    F = _check_forcing(F)
    indices = np.arange(N)
    after, before, two_before = (indices + 1) % N, (indices - 1) % N, (indices - 2) % N

    def rhs(t: float, x: np.ndarray) -> np.ndarray:
        return (x[after] - x[two_before]) * x[before] - x + F

    def start(rng: np.random.Generator) -> np.ndarray:
        return F + 0.01 * rng.standard_normal(N)

    flow = Flow("lorenz96", rhs, {"N": N, "F": F}, start)
    return generate(flow, steps=steps, test_steps=test_steps, dt=dt, noise=noise, seed=seed,
                    transient=transient, cache=cache)


def _lorenz63_rhs(t: float, u: np.ndarray) -> np.ndarray:
    x, y, z = u
    return np.array([SIGMA * (y - x), x * (RHO - z) - y, x * y - BETA * z])


def _lorenz63_start(rng: np.random.Generator) -> np.ndarray:
    return np.array([0.0, 0.0, 25.0]) + 10.0 * rng.standard_normal(3)


def _roessler_rhs(t: float, u: np.ndarray) -> np.ndarray:
    x, y, z = u
    return np.array([-y - z, x + A_ROESSLER * y, B_ROESSLER + z * (x - C_ROESSLER)])


def _roessler_start(rng: np.random.Generator) -> np.ndarray:
    return np.array([*rng.uniform(-5.0, 5.0, size=2), rng.uniform(0.0, 1.0)])


def _check_forcing(F: object) -> float:
    value = unwrap_scalar(F)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`F` must be a real number (the forcing); got {F!r}")
    if not np.isfinite(value):
        raise ValueError(f"`F` must be a finite number (the forcing); got {F!r}")
    return float(value)
