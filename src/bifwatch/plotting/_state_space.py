"""State-space figure of the cycles a search found."""

from __future__ import annotations

import numpy as np


def plot_cycles(result, ax=None, *, trajectories=None):
    """Draw the cycles of a :class:`CycleSearchResult` in state space.

    Stable cycles are filled markers, unstable ones open; the points of a k-cycle are joined in
    orbit order, one colour per order. For M = 1 the cycle points are drawn against their index
    in the orbit; for M > 2 everything is projected on the first two principal components of
    all cycle points. For M = 2 the region borders (switching lines) are drawn dotted.

    Parameters
    ----------
    result : CycleSearchResult
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    trajectories : array, shape (n, T, M), optional
        Orbits to draw behind the cycles, in grey (for example
        ``result.sample_orbits(20)``, which :meth:`CycleSearchResult.plot` passes for
        ``trajectories=20``). The figure only draws them; non-finite points are left out.
        Drawn for M >= 2 only: for M = 1 the horizontal axis is the index along a cycle, where
        an orbit has no place.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from bifwatch import find_cycles, load_model
    >>> result = find_cycles(load_model("example:cycle6"), max_order=6, seed=0)
    >>> ax = plot_cycles(result, trajectories=result.sample_orbits(5, seed=0))
    >>> ax.get_title()
    '3 cycles up to order 6: 1 stable (filled), 2 unstable (open)'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.8))
    M = result.model.M
    points = np.concatenate([c.points for c in result.cycles] or [np.zeros((0, M))])
    project, labels = _projection(points, M)
    orbits = _check_orbits(trajectories, M)
    if orbits is not None and M > 1:
        _draw_orbits(ax, orbits, project)
    _draw_cycles(ax, result, project)
    if len(points):
        _frame(ax, project(points), orbits if M > 1 else None, project)
    if M == 2:
        _draw_borders(ax, result.model)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    n_stable = sum(bool(c.stable) for c in result.cycles)
    top = max(result.orders) if result.orders else 0
    ax.set_title(f"{len(result.cycles)} cycles up to order {top}: {n_stable} stable (filled), "
                 f"{len(result.cycles) - n_stable} unstable (open)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="best", framealpha=0.85)
    return ax


def _draw_cycles(ax, result, project) -> None:
    import matplotlib.pyplot as plt

    colours = plt.get_cmap("tab10")
    labelled = set()
    for cycle in result.cycles:
        xy = project(cycle.points)
        colour = colours((cycle.order - 1) % 10)
        stable = bool(cycle.stable)
        if cycle.order > 1:
            closed = np.vstack([xy, xy[:1]])
            ax.plot(closed[:, 0], closed[:, 1], "-", color=colour, lw=1.4 if stable else 0.8,
                    alpha=0.8 if stable else 0.5, zorder=2)
        key = (cycle.order, stable)
        name = "fixed point" if cycle.order == 1 else f"{cycle.order}-cycle"
        ax.plot(xy[:, 0], xy[:, 1], "o", ms=7 if stable else 6, mec=colour, mew=1.5,
                mfc=colour if stable else "white", zorder=3,
                label=f"{'stable' if stable else 'unstable'} {name}" if key not in labelled else None)
        labelled.add(key)


def _draw_orbits(ax, orbits: np.ndarray, project) -> None:
    """Iterates as dots, light early and dark late, so attraction shows without a tangle of lines."""
    T = orbits.shape[1]
    shade = np.broadcast_to(np.linspace(0.85, 0.35, T), orbits.shape[:2])
    finite = np.isfinite(orbits).all(axis=-1)
    if not finite.any():
        return
    xy = project(orbits[finite])
    grey = shade[finite]
    ax.scatter(xy[:, 0], xy[:, 1], s=3, c=np.repeat(grey[:, None], 3, axis=1), lw=0, zorder=0,
               label=f"{len(orbits)} orbits from random starts (light: early, dark: late)")


def _draw_borders(ax, model) -> None:
    """The switching lines n . z + o = 0 of a 2-D model, across the current view."""
    N, o = model.switching_planes()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    first = True
    for (a, b), c in zip(N, o, strict=True):
        if abs(b) > abs(a):
            xs = np.array([x0, x1])
            ys = -(a * xs + c) / b
        elif a != 0:
            ys = np.array([y0, y1])
            xs = -(b * ys + c) / a
        else:
            continue
        ax.plot(xs, ys, ":", color="0.45", lw=0.9, zorder=1, label="region borders" if first else None)
        first = False
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def _frame(ax, xy: np.ndarray, orbits, project) -> None:
    """Keep the cycles in view, and the orbits' bounded part: orbits may wander far or diverge."""
    low, high = xy.min(axis=0), xy.max(axis=0)
    pad = 0.25 * np.maximum(high - low, 1e-3 * (1 + np.abs(xy).max()))
    low, high = low - pad, high + pad
    if orbits is not None and xy.shape[1] == 2:
        finite = orbits[np.isfinite(orbits).all(axis=-1)]
        if len(finite):
            cloud = project(finite)
            near = np.all(np.abs(cloud - xy.mean(axis=0)) < 3 * (high - low), axis=1)
            if near.any():
                low = np.minimum(low, cloud[near].min(axis=0))
                high = np.maximum(high, cloud[near].max(axis=0))
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])


def _check_orbits(trajectories, M: int):
    if trajectories is None:
        return None
    orbits = np.asarray(trajectories, dtype=float)
    if orbits.ndim != 3 or orbits.shape[2] != M:
        raise ValueError(f"`trajectories` must have shape (n, T, M) with M = {M}; got shape {orbits.shape}")
    return orbits


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
