"""State-space figure of the cycles a search found."""

from __future__ import annotations

import numpy as np


def plot_cycles(result, ax=None, *, trajectories: int = 0, seed: int = 0):
    """Draw the cycles of a :class:`CycleSearchResult` in state space.

    Stable cycles are filled markers, unstable ones open; the points of a k-cycle are joined in
    orbit order. For M = 1 the cycle points are drawn against their index in the orbit; for
    M > 2 everything is projected on the first two principal components of all cycle points.

    Parameters
    ----------
    result : CycleSearchResult
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    trajectories : int, default 0
        Also draw this many simulated orbits from random starts (grey), to show attraction.
    seed : int, default 0
        Seed of those starts.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    points = np.concatenate([c.points for c in result.cycles] or [np.zeros((0, result.model.M))])
    project, labels = _projection(points, result.model.M)
    if trajectories:
        _draw_trajectories(ax, result, project, trajectories, seed, points)
    colours = plt.get_cmap("tab10")
    for i, cycle in enumerate(result.cycles):
        xy = project(cycle.points)
        closed = np.vstack([xy, xy[:1]])
        colour = colours(min(cycle.order - 1, 9))
        if cycle.order > 1:
            ax.plot(closed[:, 0], closed[:, 1], "-", color=colour, lw=0.8, alpha=0.6)
        ax.plot(
            xy[:, 0], xy[:, 1], "o", ms=6, mec=colour, mfc=colour if cycle.stable else "white",
            label=f"order {cycle.order}" if i == _first_of_order(result, cycle.order) else None,
        )
    if trajectories and len(points):
        _frame(ax, project(points))
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    n_stable = sum(c.stable for c in result.cycles)
    ax.set_title(f"{len(result.cycles)} cycles ({n_stable} stable: filled)")
    if result.cycles:
        ax.legend(fontsize="small", loc="best")
    return ax


def _frame(ax, xy: np.ndarray) -> None:
    """Keep the cycles in view: simulated orbits may wander far (or diverge)."""
    low, high = xy.min(axis=0), xy.max(axis=0)
    pad = 0.25 * np.maximum(high - low, 1e-3 * (1 + np.abs(xy).max()))
    ax.set_xlim(low[0] - pad[0], high[0] + pad[0])
    ax.set_ylim(low[1] - pad[1], high[1] + pad[1])


def _first_of_order(result, k: int) -> int:
    return next(i for i, c in enumerate(result.cycles) if c.order == k)


def _projection(points: np.ndarray, M: int):
    if M == 1:
        return (lambda z: np.column_stack([np.arange(len(z)), z[:, 0]])), ("orbit index", "z")
    if M == 2:
        return (lambda z: z), ("z1", "z2")
    centre = points.mean(axis=0) if len(points) else np.zeros(M)
    if len(points) >= 2:
        _, _, Vt = np.linalg.svd(points - centre, full_matrices=False)
        basis = Vt[:2].T if Vt.shape[0] >= 2 else np.eye(M)[:, :2]
    else:
        basis = np.eye(M)[:, :2]
    return (lambda z: (z - centre) @ basis), ("PC1", "PC2")


def _draw_trajectories(ax, result, project, n, seed, points):
    rng = np.random.default_rng(seed)
    spread = np.abs(points).max() if len(points) else 1.0
    starts = rng.uniform(-spread, spread, size=(n, result.model.M))
    with np.errstate(over="ignore", invalid="ignore"):
        orbits = result.model.trajectory(starts, 200)
    for orbit in orbits:
        orbit = orbit[np.isfinite(orbit).all(axis=1) & (np.abs(orbit).max(axis=1) < 10 * (1 + spread))]
        if len(orbit) > 1:
            xy = project(orbit)
            ax.plot(xy[:, 0], xy[:, 1], "-", color="0.8", lw=0.5, zorder=0)
