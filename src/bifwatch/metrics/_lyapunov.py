"""The largest Lyapunov exponent of a piecewise-linear model along one orbit."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_int
from ..models import AbstractPLRNN

#: Steps whose Jacobians are formed at once (memory: CHUNK * M * M floats).
CHUNK = 4096


def max_lyapunov(
    model: AbstractPLRNN, z0=None, *, transient: int = 10_000, steps: int = 100_000,
    renormalise_every: int = 10, seed: int = 0,
) -> float:
    """lambda_max = lim (1/n) log |J_n ... J_1 v| along the orbit of ``z0``, per step of the map.

    Parameters
    ----------
    model : AbstractPLRNN
    z0 : array, shape (M,), optional
        Start of the orbit; by default a standard normal draw seeded by ``seed``.
    transient : int, default 10000
        Steps run first and discarded (orbit and tangent vector), so the orbit is on its
        attractor and the vector along its most expanding direction.
    steps : int, default 100000
        Steps over which the exponent is averaged.
    renormalise_every : int, default 10
        The tangent vector is renormalised (its log-growth recorded) every this many steps.
    seed : int, default 0

    Returns
    -------
    float
        Per step of the map (divide by dt for a discretised flow: 0.906 for Lorenz-63).

    Raises
    ------
    ValueError, TypeError
        Bad arguments, or an orbit that diverges (its exponent is not that of an attractor).

    Notes
    -----
    The QR method reduced to its leading direction: v <- J(z_t) v with J the Jacobian of the
    region z_t lies in (exact for a piecewise-linear map), and every ``renormalise_every``
    steps log |v| is added and v normalised. On a stable k-cycle this gives
    log(rho) / k, rho the spectral radius of the cycle's multiplier product.

    Examples
    --------
    >>> from bifwatch import PLRNN
    >>> tent = PLRNN(A=[2.0], W=[[-4.0]], h=[1.0])     # the full tent map on [-1, 1]: slope +-2
    >>> abs(max_lyapunov(tent, [0.1234], transient=10, steps=1000) - float(np.log(2))) < 1e-12
    True
    """
    if not isinstance(model, AbstractPLRNN):
        raise TypeError(f"`model` must be a bifwatch model (e.g. PLRNN); got {type(model).__name__}")
    transient = check_int("transient", transient, minimum=0)
    steps = check_int("steps", steps, minimum=1)
    every = check_int("renormalise_every", renormalise_every, minimum=1)
    z = (np.random.default_rng(seed).standard_normal(model.M) if z0 is None
         else as_float_array("z0", z0, (model.M,)))
    z, v, _ = _tangent(model, z, np.ones(model.M) / np.sqrt(model.M), transient, every)
    z, v, growth = _tangent(model, z, v, steps, every)
    return float(growth / steps)


def _tangent(model: AbstractPLRNN, z: np.ndarray, v: np.ndarray, steps: int, every: int):
    """Run orbit and tangent vector ``steps`` steps: (z, v, summed log-growth of v)."""
    total, done = 0.0, 0
    while done < steps:
        n = min(CHUNK, steps - done)
        orbit = _orbit(model, z, n)
        jacobians = model.affine_map(model.region(orbit[:-1]))[0]
        for t in range(n):
            v = jacobians[t] @ v
            if (done + t + 1) % every == 0 or done + t + 1 == steps:
                norm = np.linalg.norm(v)
                if norm == 0:
                    return orbit[-1], v, -np.inf  # the tangent vector was annihilated: superstable
                total += np.log(norm)
                v = v / norm
        z, done = orbit[-1], done + n
    return z, v, total


def _orbit(model: AbstractPLRNN, z: np.ndarray, steps: int) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        orbit = model.trajectory(z, steps)
    if not np.all(np.isfinite(orbit)) or np.abs(orbit).max() > 1e150:
        raise ValueError("the orbit diverges; a Lyapunov exponent describes bounded orbits "
                         "(start elsewhere, or check the model)")
    return orbit
