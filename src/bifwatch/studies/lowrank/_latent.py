"""The latent flow of a low-rank RNN and its fixed points and ghosts (exact for rank one)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._validation import check_int, check_positive_float, to_numpy
from ...ghosts import SlowPoints
from ._lowrank import LowRankRNN

#: Points with q = F^2 / 2 below this are fixed points (refinement reaches q ~ 1e-30).
Q_FIXED = 1e-20
#: The paper's view of the latent flow (its grid covers [-15, 15]).
FLOW_RANGE = (-9.0, 9.0)


@dataclass(frozen=True, eq=False)
class FlowCurve:
    """The latent flow of one rank-one network, ready to draw: what :func:`flow_curve` computes.

    Attributes
    ----------
    kappa, F : ndarray, shape (P,)
        The flow F(kappa) on a grid.
    kappa0, F0 : float
        The initial latent state and the flow there.
    fixed, stable : ndarray, shape (n_fixed,)
        Fixed points and whether each is stable.
    ghosts, F_ghosts : ndarray, shape (n_ghosts,)
        Ghosts (slow points) and the flow there.
    """

    kappa: np.ndarray
    F: np.ndarray
    kappa0: float
    F0: float
    fixed: np.ndarray
    stable: np.ndarray
    ghosts: np.ndarray
    F_ghosts: np.ndarray


def flow_curve(model: LowRankRNN, *, kappa_range: tuple[float, float] = FLOW_RANGE, points: int = 1000,
               slow_points: bool = True) -> FlowCurve:
    """The latent flow of a rank-one network on a grid, with its fixed points and ghosts.

    ``slow_points=False`` leaves the fixed points and ghosts out (empty arrays).

    Examples
    --------
    >>> curve = flow_curve(LowRankRNN(m=[2.0], n=[1.0], b=[0.0]), points=5)
    >>> curve.kappa.tolist()
    [-9.0, -4.5, 0.0, 4.5, 9.0]
    >>> sorted(zip(curve.fixed.round(3).tolist(), curve.stable.tolist()))
    [(-0.958, True), (0.0, False), (0.958, True)]
    """
    kappa = np.linspace(*kappa_range, check_int("points", points, minimum=2))
    sp = latent_slow_points(model) if slow_points else None
    fixed = sp.fixed if sp is not None else None
    ghosts = sp.slow.points[:, 0] if sp is not None else np.zeros(0)
    return FlowCurve(kappa=kappa, F=latent_flow(model, kappa), kappa0=float(model.kappa0),
                     F0=float(latent_flow(model, np.array([model.kappa0]))[0]),
                     fixed=fixed.points[:, 0] if fixed is not None else np.zeros(0),
                     stable=np.asarray(fixed.stable, bool) if fixed is not None else np.zeros(0, bool),
                     ghosts=ghosts, F_ghosts=latent_flow(model, ghosts) if len(ghosts) else np.zeros(0))


def latent_flow(model: LowRankRNN, kappa: np.ndarray) -> np.ndarray:
    """The latent flow F(kappa) = -kappa + n^T tanh(m kappa + b), i.e. tau dkappa/dt.

    Parameters
    ----------
    model : LowRankRNN
    kappa : array, shape (...,) for rank one or (..., R)
        Latent points.

    Returns
    -------
    ndarray, the shape of ``kappa``.

    Notes
    -----
    Exact, not a mean-field approximation: with x_0 in span(n)'s complement the leak is linear and
    x enters the dynamics only through kappa = n^T x (see :class:`LowRankRNN`).

    Examples
    --------
    >>> net = LowRankRNN(m=[2.0], n=[1.0], b=[0.0])     # F(kappa) = -kappa + tanh(2 kappa)
    >>> latent_flow(net, np.array([0.0, 1.0])).round(4).tolist()
    [0.0, -0.036]
    """
    kappa = to_numpy("kappa", kappa)
    if model.R == 1 and (kappa.ndim == 0 or kappa.shape[-1] != 1):
        return -kappa + np.tanh(kappa[..., None] * model.m[:, 0] + model.b) @ model.right[:, 0]
    if kappa.ndim == 0 or kappa.shape[-1] != model.R:
        raise ValueError(f"`kappa` must have shape (..., R) with R = {model.R}; got shape {kappa.shape}")
    return -kappa + np.tanh(kappa @ model.m.T + model.b) @ model.right


def latent_slow_points(
    model: LowRankRNN, *, bounds: float | None = None, grid: int | None = None, q_fixed: float = Q_FIXED,
) -> SlowPoints:
    """Fixed points and ghosts of the latent flow F of a model snapshot.

    Parameters
    ----------
    model : LowRankRNN
        Any snapshot, e.g. a checkpoint of training (:attr:`DATrainingRun.final`).
    bounds : float, optional
        Search the box [-bounds, bounds]^R. Rank one default: sum_i |n_i| + 1, which holds every
        fixed point (|F(kappa) + kappa| <= sum_i |n_i|); rank R >= 2 default: 7.5 (as the paper).
    grid : int, optional
        Grid points per axis: default 2001 (rank one), 200 (rank two), 60 (rank three).
    q_fixed : float, default 1e-20
        Points with q <= q_fixed are fixed points, the others slow points.

    Returns
    -------
    SlowPoints
        ``time="continuous"``, points kappa (n, R), q = |F|^2 / 2, Jacobians dF/dkappa (n, R, R).
        ``.fixed`` are the zeros of F (``stable`` where F' < 0); ``.slow`` are the ghosts.

    Notes
    -----
    Rank one: the zeros of F are the sign changes of F on the grid, refined by Brent's method;
    a *ghost* is a local minimum of F that stays above zero, or a local maximum that stays below
    zero (a slow region with no fixed point), refined by Brent's method on F'. Its depth is F there.
    As F_min falls through 0 a saddle-node pair is born at the ghost.

    Rank R >= 2 (the paper's ``get_lpus``): local minima of the speed |F| on the grid (3^R minimum
    filter, interior points only), refined by damped Newton on E = |F|^2 / 2 with the exact Hessian
    J^T J + sum_i F_i Hess(F_i); R > 3 (grids too large) starts Newton from the trial's latent
    states instead. Slow points there are speed minima with q > q_fixed.

    Performance notes
    -----------------
    Rank one: O(grid * N). Rank R: O(grid^R * N) for the grid, so R <= 3 only.

    Examples
    --------
    >>> net = LowRankRNN(m=[2.0], n=[1.0], b=[0.0])     # a pitchfork: 0 unstable, +-0.9575 stable
    >>> sp = latent_slow_points(net)
    >>> fixed = sp.fixed
    >>> order = np.argsort(fixed.points[:, 0])
    >>> fixed.points[order, 0].round(4).tolist(), fixed.stable[order].tolist()
    ([-0.9575, 0.0, 0.9575], [True, False, True])
    """
    q_fixed = check_positive_float("q_fixed", q_fixed)
    if model.R == 1:
        return _rank_one(model, bounds, grid, q_fixed)
    from ._latent_rank import speed_minima

    return speed_minima(model, bounds=bounds, grid=grid, q_fixed=q_fixed)


def flow_derivatives(m, n, b, kappa) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """F, F' and F'' of rank-one flows at points kappa, broadcast over a leading axis.

    m, n, b have shape (..., N) and kappa shape (...); all three results have shape (...).
    """
    h = np.tanh(m * kappa[..., None] + b)
    d = 1.0 - h * h
    nm = n * m
    F = -kappa + np.sum(n * h, axis=-1)
    F1 = -1.0 + np.sum(nm * d, axis=-1)
    F2 = np.sum(nm * m * (-2.0 * h * d), axis=-1)
    return F, F1, F2


def _rank_one(model: LowRankRNN, bounds, grid, q_fixed) -> SlowPoints:
    from scipy.optimize import brentq

    m, n, b = model.m[:, 0], model.right[:, 0], model.b
    B = np.abs(n).sum() + 1.0 if bounds is None else check_positive_float("bounds", bounds)
    G = 2001 if grid is None else check_int("grid", grid, minimum=3)
    k = np.linspace(-B, B, G)
    F, F1, _ = flow_derivatives(m, n, b, k)

    def f(x):
        return float(flow_derivatives(m, n, b, np.asarray(x))[0])

    def f1(x):
        return float(flow_derivatives(m, n, b, np.asarray(x))[1])

    points = list(k[F == 0.0])
    points += [brentq(f, k[i], k[i + 1], xtol=1e-15) for i in np.flatnonzero(F[:-1] * F[1:] < 0)]
    n_fixed = len(points)
    for i in _extrema(F):
        x = brentq(f1, k[i - 1], k[i + 1], xtol=1e-15) if F1[i - 1] * F1[i + 1] < 0 else k[i]
        if np.sign(f(x)) == np.sign(F1[i + 1] - F1[i - 1]):  # min above zero or max below zero
            points.append(x)
    points = np.array(points, dtype=np.float64)
    Fp, F1p, _ = flow_derivatives(m, n, b, points)
    message = (f"rank one: {n_fixed} zeros and {len(points) - n_fixed} ghosts of F on "
               f"[{-B:.4g}, {B:.4g}] ({G} grid points)")
    return SlowPoints.build(points[:, None], q=0.5 * Fp**2, jacobians=F1p[:, None, None],
                            time="continuous", q_fixed=q_fixed, message=message)


def _extrema(F: np.ndarray) -> np.ndarray:
    """Interior grid indices of strict local minima and maxima of F."""
    inner = F[1:-1]
    lo = (inner < F[:-2]) & (inner <= F[2:])
    hi = (inner > F[:-2]) & (inner >= F[2:])
    return np.flatnonzero(lo | hi) + 1
