"""The orbit diagram beside a bifurcation diagram: where simulated orbits end up along the path."""

from __future__ import annotations

import numpy as np

from .._validation import check_int

#: At most this many grid values are simulated, each for STEPS steps; the last KEEP points of
#: every orbit are kept.
COLUMNS = 150
STEPS = 250
KEEP = 20


def orbit_tails(diagram, orbits: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Asymptotic points of ``orbits`` simulated orbits at each of up to 150 grid values of a diagram.

    Parameters
    ----------
    diagram : BifurcationDiagram
    orbits : int
        Initial conditions per grid value, >= 0: about half next to the cycles found there,
        the rest uniform in a box around all branches.
    seed : int, default 0

    Returns
    -------
    values : ndarray, shape (P,)
        The parameter value of each kept point.
    points : ndarray, shape (P, M)
        The last 20 of 250 steps of every orbit that stayed bounded (diverging ones are left out).

    Notes
    -----
    Costs ``min(G, 150) * 250`` steps of the model (about a second for a small model).
    """
    n = check_int("orbits", orbits, minimum=0)
    rng = np.random.default_rng(seed)
    grid = diagram.grid
    M = diagram.path.model_at(diagram.path.lo).M
    if n == 0:
        return np.zeros(0), np.zeros((0, M))
    columns = np.unique(np.round(np.linspace(0, len(grid) - 1, min(len(grid), COLUMNS))).astype(int))
    all_points = [b.points.reshape(-1, b.points.shape[-1]) for b in diagram.branches]
    cloud = np.concatenate(all_points) if all_points else np.zeros((0, M))
    cloud = cloud[np.isfinite(cloud).all(axis=1)]
    centre, radius = _box(cloud, M)
    limit = 10.0 * (1.0 + np.abs(centre).max() + radius.max())
    values, points = [], []
    for i in columns:
        starts = _starts(rng, diagram, int(i), n, centre, radius)
        with np.errstate(over="ignore", invalid="ignore"):
            tail = diagram.path.model_at(float(grid[i])).trajectory(starts, STEPS)[:, -KEEP:, :]
            ok = np.isfinite(tail).all(axis=(1, 2)) & (np.abs(tail).max(axis=(1, 2), initial=0.0) < limit)
        kept = tail[ok].reshape(-1, M)
        values.append(np.full(len(kept), grid[i]))
        points.append(kept)
    return np.concatenate(values), np.concatenate(points)


def _box(cloud: np.ndarray, M: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre and half-widths of a box around the bulk of the branch points."""
    if len(cloud) == 0:
        return np.zeros(M), np.ones(M)
    low, high = np.percentile(cloud, [2.0, 98.0], axis=0)
    return 0.5 * (low + high), 0.5 * (high - low) + 0.5 * (1.0 + np.abs(cloud).mean(axis=0))


def _starts(rng, diagram, index: int, n: int, centre: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """n initial conditions: about half next to the cycles at grid point ``index``, the rest in the box."""
    here = [b.points[row] for b in diagram.branches if (row := b.at_grid(index)) is not None]
    starts = centre + radius * rng.uniform(-1.0, 1.0, size=(n, len(centre)))
    if here:
        points = np.concatenate(here)
        near = n // 2
        pick = points[rng.integers(len(points), size=near)]
        starts[:near] = pick + 0.1 * (1.0 + np.abs(pick)) * rng.standard_normal(pick.shape)
    return starts
