"""The 2-D PLRNN teacher of the loss-jumps study and its trajectories on the stable 16-cycle."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..models import PLRNN
from ._dataset import Dataset
from ._recipe import check_noise

_A = [0.83777, 0.96461]
_W = [[0.0, -0.64375], [0.52505, 0.0]]
_h = [0.37298, -0.97931]
#: Initial states are drawn uniformly from this box around the 16-cycle (x in [1.46, 2.16],
#: y in [-0.44, 0.43] on the cycle).
_BOX = (np.array([0.0, -1.0]), np.array([3.0, 1.0]))


def plrnn_cycle_teacher() -> PLRNN:
    """The teacher of the loss-jumps study: a 2-D PLRNN whose attractor is a stable 16-cycle.

    Returns
    -------
    PLRNN
        ``A = diag(0.83777, 0.96461)``, ``W = [[0, -0.64375], [0.52505, 0]]``,
        ``h = (0.37298, -0.97931)``.

    Notes
    -----
    z' = A z + W relu(z) + h. Up to order 20 it has exactly three objects: an unstable focus near
    (1.872, 0.108) (|λ| = 1.071), a stable 16-cycle (multipliers of modulus 0.519) and a saddle
    16-cycle (1.61, 0.237); see ../shared/notes/monitoring-measured.md.

    Examples
    --------
    >>> plrnn_cycle_teacher().M
    2
    """
    return PLRNN(A=_A, W=_W, h=_h)


def plrnn_cycle(*, steps: int = 500, test_steps: int | None = None, seed: int = 0, noise: float = 0.0,
                transient: int = 10_000) -> Dataset:
    """Trajectories of :func:`plrnn_cycle_teacher` on its stable 16-cycle, as a data set (not z-scored).

    Parameters
    ----------
    steps : int, default 500
        Length T of the training series (>= 2).
    test_steps : int or None, default None
        Length of the test series; None gives ``steps``.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``: it draws the two initial states, then the noise.
    noise : float, default 0
        Standard deviation of Gaussian noise added to the training series only, in the model's
        own units (the clean series has variance 0.0716 averaged over its two dimensions).
    transient : int, default 10 000
        Map steps dropped before each series starts.

    Returns
    -------
    Dataset
        ``name="plrnn-cycle"``, N = 2, ``dt=None`` (a map), ``mean`` zeros and ``std`` ones: the
        data are the teacher's states as they are, because z-scoring them would make the teacher
        unrepresentable by a PLRNN with these weights.

    Raises
    ------
    TypeError, ValueError
        A setting of the wrong type or out of range, naming it.

    Notes
    -----
    Each series starts from its own state drawn uniformly from [0, 3] × [-1, 1] and runs
    ``transient`` steps first. The approach to the cycle has a long tail: of 20 000 states drawn
    so, 10 % were still not 16-periodic to 1e-9 after 1300 steps, 1 % after 2300 and 0.1 % after
    3200; all were by step 4600. The default 10 000 leaves every series on the cycle to rounding
    error; train and test are then the same 16 points, at different phases.

    Examples
    --------
    >>> data = plrnn_cycle(steps=64)
    >>> bool(np.allclose(data.train[16:], data.train[:-16], atol=1e-12))   # period 16
    True
    """
    settings = {
        "system": "plrnn-cycle", "A": _A, "W": _W, "h": _h,
        "steps": check_int("steps", steps, minimum=2),
        "test_steps": None if test_steps is None else check_int("test_steps", test_steps, minimum=2),
        "transient": check_int("transient", transient, minimum=0),
        "seed": check_int("seed", seed, minimum=0),
        "noise": check_noise(noise),
    }
    settings["test_steps"] = settings["test_steps"] or settings["steps"]
    rng = np.random.default_rng(settings["seed"])
    starts = rng.uniform(*_BOX, size=(2, 2))
    length = settings["transient"] + max(settings["steps"], settings["test_steps"])
    orbits = plrnn_cycle_teacher().trajectory(starts, length - 1)[:, settings["transient"]:]
    train = orbits[0, : settings["steps"]]
    if settings["noise"] > 0:
        train = train + rng.normal(0.0, settings["noise"], size=train.shape)
    return Dataset("plrnn-cycle", train=train, test=orbits[1, : settings["test_steps"]], dt=None,
                   mean=np.zeros(2), std=np.ones(2), settings=settings)
