"""State-space figure of the fixed and slow points a search found (any state dimension M)."""

from __future__ import annotations

import numpy as np

from .._validation import to_numpy
from ._checks import SLOW_POINTS, require


def plot_slow_points(points, ax=None, *, trajectories=None):
    """Draw fixed points, slow points and their slow or unstable directions in state space.

    Fixed points are filled circles (black stable, red unstable); slow points are open squares
    coloured by log10 q. A short segment through an unstable fixed point follows its leading
    unstable eigenvector; through a slow point, its slowest mode (eigenvalue nearest 1 for a map,
    0 for a flow). For M > 2 everything is projected on the first two principal components (of
    the trajectories when given, else of the points); for M = 1 the points lie on the x axis.

    Parameters
    ----------
    points : SlowPoints
        E.g. from :func:`find_slow_points` or :func:`exact_slow_points`.
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    trajectories : array or tensor, shape (..., T, M), optional
        Hidden-state trajectories, drawn as thin grey lines (one per leading index).

    Returns
    -------
    matplotlib Axes
        The figure is ``ax.figure``. Its collections hold one marker per point.

    Raises
    ------
    TypeError
        ``points`` is not a SlowPoints.
    ValueError
        ``trajectories`` whose last axis is not M.

    Examples
    --------
    >>> import numpy as np
    >>> from bifwatch import SlowPoints
    >>> sp = SlowPoints.build(np.array([[0.0, 0.0], [1.0, 0.5]]), q=np.array([0.0, 1e-4]),
    ...                       jacobians=np.array([np.diag([0.5, 2.0]), np.diag([1.0, 0.3])]), time="discrete")
    >>> ax = plot_slow_points(sp)
    >>> sum(len(c.get_offsets()) for c in ax.collections)
    2
    """
    import matplotlib.pyplot as plt

    require(points, "points", "SlowPoints", SLOW_POINTS)
    lines = _trajectory_lines(trajectories, points.M)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    project, labels = _projection(np.concatenate(lines) if lines else points.points, points.M)
    for line in lines:
        xy = project(line)
        ax.plot(xy[:, 0], xy[:, 1], "-", color="0.6", lw=0.6, alpha=0.7, zorder=1)
    _draw_modes(ax, points, project, _extent(points, lines))
    _draw_points(ax, points, project)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    n_fixed = int(np.sum(points.kind == "fixed"))
    n_slow = len(points) - n_fixed
    plural = lambda n: "s" * (n != 1)  # noqa: E731
    ax.set_title(f"{n_fixed} fixed point{plural(n_fixed)} (filled), "
                 f"{n_slow} slow point{plural(n_slow)} (open)")
    return ax


def _draw_points(ax, points, project) -> None:
    import matplotlib.pyplot as plt

    fixed, slow = points.kind == "fixed", points.kind == "slow"
    groups = ((fixed & points.stable, "black", "stable"), (fixed & ~points.stable, "red", "unstable"))
    for mask, colour, label in groups:
        if mask.any():
            xy = project(points.points[mask])
            ax.scatter(xy[:, 0], xy[:, 1], s=40, c=colour, label=f"{label} fixed point", zorder=3)
    if slow.any():
        xy = project(points.points[slow])
        log_q = np.log10(points.q[slow])
        norm = plt.Normalize(log_q.min() - 0.5, log_q.max() + 0.5)
        art = ax.scatter(xy[:, 0], xy[:, 1], s=50, marker="s", facecolors="none", lw=1.5,
                         edgecolors=plt.get_cmap("viridis")(norm(log_q)), label="slow point", zorder=3)
        mappable = plt.cm.ScalarMappable(norm=norm, cmap="viridis")
        ax.figure.colorbar(mappable, ax=ax, label="log10 q (slow points)")
        art.set_gid("slow points")
    if len(points):
        ax.legend(fontsize="small", loc="best")


def _draw_modes(ax, points, project, length: float) -> None:
    """A segment of half-length ``length`` along the leading unstable (fixed) or slowest (slow) mode."""
    for i in range(len(points)):
        direction = _mode(points, i)
        if direction is None:
            continue
        ends = points.points[i] + np.outer([-length, length], direction)
        xy = project(ends)
        colour = "red" if points.kind[i] == "fixed" else "tab:purple"
        ax.plot(xy[:, 0], xy[:, 1], "-", color=colour, lw=1.2, zorder=2)


def _mode(points, i: int) -> np.ndarray | None:
    values, vectors = np.linalg.eig(points.jacobians[i])
    if points.kind[i] == "fixed":
        unstable = np.abs(values) > 1 if points.time == "discrete" else values.real > 0
        if not unstable.any():
            return None
        key = np.where(unstable, np.abs(values) if points.time == "discrete" else values.real, -np.inf)
    else:
        target = 1.0 if points.time == "discrete" else 0.0
        key = -np.abs(values - target)
    v = vectors[:, int(np.argmax(key))].real
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else None


def _trajectory_lines(trajectories, M: int) -> list[np.ndarray]:
    if trajectories is None:
        return []
    array = to_numpy("trajectories", trajectories)
    if array.ndim < 2 or array.shape[-1] != M:
        raise ValueError(f"`trajectories` must have shape (..., T, M) with M = {M}; got shape {array.shape}")
    return list(array.reshape(-1, *array.shape[-2:]))


def _extent(points, lines) -> float:
    cloud = np.concatenate([points.points, *lines]) if lines else points.points
    if len(cloud) < 2:
        return 0.1
    spread = float(np.max(np.ptp(cloud, axis=0)))
    return 0.06 * spread if spread > 0 else 0.1


def _projection(cloud: np.ndarray, M: int):
    """(projection to 2-D, axis labels): identity for M = 2, the x axis for M = 1, else PCA of ``cloud``."""
    if M == 1:
        return (lambda z: np.column_stack([z[:, 0], np.zeros(len(z))])), ("x", "")
    if M == 2:
        return (lambda z: z), ("x1", "x2")
    cloud = cloud[np.all(np.isfinite(cloud), axis=1)]
    centre = cloud.mean(axis=0) if len(cloud) else np.zeros(M)
    basis = np.eye(M)[:, :2]
    if len(cloud) >= 2:
        _, _, Vt = np.linalg.svd(cloud - centre, full_matrices=False)
        if Vt.shape[0] >= 2:
            basis = Vt[:2].T
    return (lambda z: (z - centre) @ basis), ("PC 1", "PC 2")
