"""The speed landscape q(z) = 1/2 |F(z) - z|^2 of a 1-D or 2-D model, with its fixed and slow points."""

from __future__ import annotations

import numpy as np

from ._checks import SLOW_POINTS, require


def plot_speed(model, points=None, ax=None, *, bounds=None, resolution: int = 400):
    """Draw the speed q(z) = 1/2 |F(z) - z|^2 of a model with M = 1 or 2, and its slow points.

    Parameters
    ----------
    model : AbstractPLRNN
        A bifwatch model with M = 1 or M = 2.
    points : SlowPoints, optional
        The points to mark (e.g. ``exact_slow_points(model)``); without them only the
        landscape is drawn.
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    bounds : tuple, optional
        ``(low, high)`` for M = 1; ``((x_low, x_high), (y_low, y_high))`` for M = 2. By default
        a box around the points, at least [-2, 2] wide in each coordinate.
    resolution : int, default 400
        Grid points per axis.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    TypeError
        ``model`` is not a bifwatch model, or ``points`` is not a SlowPoints.
    ValueError
        M > 2 (a speed landscape cannot be drawn: read ``SlowPoints.table()``), bad ``bounds``
        or ``resolution``, or points of another dimension.

    Notes
    -----
    M = 1: the curve q(z) on a log axis, switching points as dotted lines. M = 2: a heatmap of
    log10 q with the switching lines. Fixed points are filled (black stable, red unstable);
    slow points are open circles labelled with their q.

    Examples
    --------
    >>> from bifwatch import PLRNN, exact_slow_points
    >>> model = PLRNN(A=[0.5], W=[[1.0]], h=[0.1])
    >>> ax = plot_speed(model, exact_slow_points(model))
    >>> ax.get_yscale(), ax.get_title()
    ('log', 'speed q = |F(z) - z|²/2: 0 fixed, 1 slow points')
    """
    import matplotlib.pyplot as plt

    points = _check(model, points, resolution)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5) if model.M == 2 else (6, 3.8))
    box = _bounds(points.points if points is not None else np.zeros((0, model.M)), model.M, bounds)
    if model.M == 1:
        _curve(ax, model, points, box[0], resolution)
    else:
        _heatmap(ax, model, points, box, resolution)
    title = "speed q = |F(z) - z|²/2"
    if points is not None:
        n_fixed = int(np.sum(points.kind == "fixed"))
        title += f": {n_fixed} fixed, {len(points) - n_fixed} slow points"
    ax.set_title(title)
    return ax


def _check(model, points, resolution):
    from ..models import AbstractPLRNN

    if not isinstance(model, AbstractPLRNN):
        raise TypeError(f"`model` must be a bifwatch model (e.g. PLRNN); got {type(model).__name__}")
    if model.M > 2:
        raise ValueError(
            f"plot_speed draws models with M = 1 or 2; got M = {model.M}. For larger models read "
            "SlowPoints.table(), or scatter the points on their principal components"
        )
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 10:
        raise ValueError(f"`resolution` must be an integer >= 10; got {resolution!r}")
    if points is None:
        return None
    require(points, "points", "SlowPoints", SLOW_POINTS, " (e.g. from exact_slow_points)")
    if points.M != model.M:
        raise ValueError(f"`points` must have dimension M = {model.M} like the model; got M = {points.M}")
    return points


def _bounds(xy: np.ndarray, M: int, bounds) -> np.ndarray:
    """(M, 2) array of [low, high] per coordinate."""
    if bounds is None:
        low = np.minimum(xy.min(axis=0), 0.0) if len(xy) else np.zeros(M)
        high = np.maximum(xy.max(axis=0), 0.0) if len(xy) else np.zeros(M)
        pad = np.maximum(0.3 * (high - low), 2.0)
        return np.column_stack([low - pad, high + pad])
    box = np.asarray(bounds, dtype=np.float64).reshape(-1, 2) if np.ndim(bounds) else None
    want = "(low, high)" if M == 1 else "((x_low, x_high), (y_low, y_high))"
    if box is None or box.shape != (M, 2) or not np.all(np.isfinite(box)) or np.any(box[:, 1] <= box[:, 0]):
        raise ValueError(f"`bounds` must be {want} with low < high; got {bounds!r}")
    return box


def _log_floor(q: np.ndarray) -> float:
    return max(1e-12 * float(q.max()), 1e-300)


def _curve(ax, model, points, box: np.ndarray, resolution: int) -> None:
    z = np.linspace(box[0], box[1], 25 * resolution)[:, None]
    q = 0.5 * np.sum((model.step(z) - z) ** 2, axis=1)
    floor = _log_floor(np.r_[q, points.q] if points is not None else q)
    ax.plot(z[:, 0], np.maximum(q, floor), color="tab:blue", lw=1.2)
    N, o = model.switching_planes()
    for n, b in zip(N[:, 0], o, strict=True):
        if n != 0 and box[0] < -b / n < box[1]:
            ax.axvline(-b / n, color="grey", ls=":", lw=0.8)
    ax.set_yscale("log")
    if points is not None:
        _mark(ax, points, points.points[:, 0], np.maximum(points.q, floor))
    ax.set_xlabel("z")
    ax.set_ylabel("q(z)")
    ax.set_xlim(box[0])


def _heatmap(ax, model, points, box: np.ndarray, resolution: int) -> None:
    x, y = np.linspace(*box[0], resolution), np.linspace(*box[1], resolution)
    X, Y = np.meshgrid(x, y)
    grid = np.column_stack([X.ravel(), Y.ravel()])
    q = 0.5 * np.sum((model.step(grid) - grid) ** 2, axis=1)
    image = ax.pcolormesh(X, Y, np.log10(np.maximum(q, _log_floor(q))).reshape(X.shape),
                          cmap="viridis", shading="auto", rasterized=True)
    ax.figure.colorbar(image, ax=ax, label="log10 q")
    margins = model.margins(grid)
    for i in range(margins.shape[1]):
        m = margins[:, i].reshape(X.shape)
        if m.min() < 0 < m.max():
            ax.contour(X, Y, m, levels=[0.0], colors="white", linewidths=0.7, linestyles="--")
    if points is not None:
        _mark(ax, points, points.points[:, 0], points.points[:, 1])
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_xlim(box[0])
    ax.set_ylim(box[1])


def _mark(ax, points, x: np.ndarray, y: np.ndarray) -> None:
    """Fixed points filled (black stable, red unstable); slow points open, labelled with q."""
    fixed, stable = points.kind == "fixed", points.stable
    for mask, colour, label in ((fixed & stable, "black", "stable fixed point"),
                                (fixed & ~stable, "red", "unstable fixed point")):
        if mask.any():
            ax.plot(x[mask], y[mask], "o", ms=7, color=colour, label=label, zorder=3)
    slow = ~fixed
    if slow.any():
        ax.plot(x[slow], y[slow], "o", ms=9, mfc="none", mec="tab:orange", mew=1.8, label="slow point",
                zorder=3)
        for xi, yi, qi in zip(x[slow], y[slow], points.q[slow], strict=True):
            ax.annotate(f"q={qi:.2g}", (xi, yi), textcoords="offset points", xytext=(6, 6), fontsize=8,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.75, "lw": 0})
    if len(points):
        ax.legend(fontsize="small", loc="best")
