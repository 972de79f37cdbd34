"""Figure of a one-parameter bifurcation diagram: branches, events, and the orbit diagram."""

from __future__ import annotations

import numpy as np

from .._validation import check_int

#: Short tags and markers of the event types (as in the notes and the papers).
_TAGS = {
    "border-collision": "BCB",
    "degenerate-transcritical": "DTB",
    "degenerate-flip": "DFB",
    "degenerate-neimark-sacker": "DNS",
}
_NAMES = {
    "border-collision": "border collision",
    "degenerate-transcritical": "degenerate transcritical",
    "degenerate-flip": "degenerate flip",
    "degenerate-neimark-sacker": "degenerate Neimark-Sacker",
}
_MARKERS = {
    "border-collision": "o",
    "degenerate-transcritical": "^",
    "degenerate-flip": "s",
    "degenerate-neimark-sacker": "D",
}
#: Events are labelled with their tags only when there are fewer than this many.
_MAX_LABELS = 20


def plot_diagram(diagram, ax=None, *, coordinate: int = 0, orbits=None):
    """Draw a :class:`BifurcationDiagram`: cycle points against the parameter.

    Every point z_j of every branch's cycle is drawn as a line over the branch's parameter
    values: solid where the cycle is stable, dashed where it is unstable, one colour per
    order. Events are marked by type (BCB circle, DTB triangle, DFB square, DNS diamond) and,
    when there are fewer than 20, labelled with their tag next to the marker. An event whose
    cycle is at infinity (a degenerate transcritical bifurcation) is a dotted vertical line.

    Parameters
    ----------
    diagram : BifurcationDiagram
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    coordinate : int, default 0
        State coordinate on the vertical axis, 0 <= coordinate < M (labelled ``z_0``, ...).
    orbits : tuple of arrays (values (P,), points (P, M)), optional
        The orbit diagram to draw behind the branches as small grey dots: where simulated
        orbits end up at each parameter value. :meth:`BifurcationDiagram.plot` computes it
        (``orbits=N`` there) with :func:`bifwatch.bifurcations.orbit_tails`; the figure only
        draws it.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError, TypeError
        ``coordinate`` not an integer in 0..M-1, ``orbits`` of the wrong shapes.

    Notes
    -----
    Near a degenerate transcritical bifurcation a branch runs off to infinity; the vertical
    range is then cut to the bulk of the branch samples (set ``ax.set_ylim`` to change it).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from bifwatch import PLRNN, bifurcation_diagram
    >>> d = bifurcation_diagram(PLRNN(A=[0.2], W=[[0.0]], h=[1.0]), "W[0,0]", (-2.2, 1.8), max_order=2)
    >>> ax = d.plot()
    >>> ax.get_xlabel(), ax.get_ylabel(), sorted(t.get_text() for t in ax.texts)
    ('W[0,0]', 'z_0', ['BCB', 'DFB', 'DTB'])
    """
    import matplotlib.pyplot as plt

    M = diagram.path.model_at(diagram.path.lo).M
    coordinate = _check_coordinate(coordinate, M)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.5))
    if orbits is not None:
        _draw_orbits(ax, orbits, coordinate, M)
    colours = plt.get_cmap("tab10")
    for branch in diagram.branches:
        _draw_branch(ax, branch, coordinate, colours(min(branch.order - 1, 9)))
    _draw_events(ax, diagram.events, coordinate, diagram.path.hi - diagram.path.lo)
    _limit_y(ax, diagram, coordinate)
    ax.set_xlim(diagram.path.lo, diagram.path.hi)
    ax.set_xlabel(diagram.path.label)
    ax.set_ylabel(f"z_{coordinate}")
    _legend(ax, diagram, colours)
    return ax


def _check_coordinate(coordinate: object, M: int) -> int:
    coordinate = check_int("coordinate", coordinate)
    if not 0 <= coordinate < M:
        raise ValueError(f"`coordinate` must be a state index in 0..{M - 1} (M = {M}); got {coordinate}")
    return coordinate


def _runs(stable: np.ndarray) -> list[tuple[int, int, bool]]:
    """(start, stop, stable) of each stretch of equal stability; stop is inclusive of the next
    stretch's first sample so that consecutive stretches join."""
    change = np.flatnonzero(stable[1:] != stable[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [len(stable) - 1]])
    return [(int(a), int(b), bool(stable[a])) for a, b in zip(starts, stops, strict=True)]


def _draw_branch(ax, branch, coordinate: int, colour) -> None:
    if len(branch.values) == 0:
        return
    for start, stop, stable in _runs(branch.stable):
        x = branch.values[start : stop + 1]
        for j in range(branch.order):
            y = branch.points[start : stop + 1, j, coordinate]
            ax.plot(x, y, "-" if stable else "--", color=colour, lw=1.4 if stable else 1.0)


def _draw_events(ax, events, coordinate: int, span: float) -> None:
    label = len(events) < _MAX_LABELS
    style = dict(ms=6, mfc="white", mec="black", zorder=4)
    labelled: list[float] = []  # values already labelled: tags of events close together are stacked
    for event in events:
        tag, marker = _TAGS[event.type], _MARKERS[event.type]
        x = event.value
        stack = sum(abs(v - x) <= 0.02 * span for v in labelled)
        if event.points is None or not np.isfinite(event.points).all():  # the cycle is at infinity
            ax.axvline(x, color="0.4", ls=":", lw=1.0)
            ax.plot([x], [0.97], marker, transform=ax.get_xaxis_transform(), **style)
            xy, where, offset = (x, 0.97), ("data", "axes fraction"), (6, -6 - 9 * stack)
        else:
            ys = event.points[:, coordinate]
            ax.plot(np.full(len(ys), x), ys, marker, **style)
            xy, where, offset = (x, float(ys.max())), "data", (6, 5 + 9 * stack)
        if label:
            labelled.append(x)
            ax.annotate(tag, xy, xycoords=where, xytext=offset, textcoords="offset points",
                        fontsize="x-small", va="center")


def _branch_values(diagram, coordinate: int) -> np.ndarray:
    ys = [b.points[:, :, coordinate].ravel() for b in diagram.branches]
    y = np.concatenate(ys) if ys else np.zeros(0)
    return y[np.isfinite(y)]


def _limit_y(ax, diagram, coordinate: int) -> None:
    """Cut the vertical range to the bulk of the branches when one runs off to infinity."""
    y = _branch_values(diagram, coordinate)
    if len(y) < 10:
        return
    low, high = np.percentile(y, [2.0, 98.0])
    bulk = max(high - low, 1e-3 * (1.0 + abs(high) + abs(low)))
    if y.max() - y.min() > 4.0 * bulk:
        ax.set_ylim(low - 0.15 * bulk, high + 0.15 * bulk)


def _draw_orbits(ax, orbits, coordinate: int, M: int) -> None:
    if not isinstance(orbits, tuple | list) or len(orbits) != 2:
        raise TypeError("`orbits` must be (values, points), as bifurcations.orbit_tails returns them "
                        f"(BifurcationDiagram.plot(orbits=N) computes them); got {type(orbits).__name__}")
    values, points = (np.asarray(a, dtype=float) for a in orbits)
    if values.ndim != 1 or points.shape != (len(values), M):
        raise ValueError(f"`orbits` must be (values of shape (P,), points of shape (P, M = {M})); "
                         f"got shapes {values.shape} and {points.shape}")
    ax.plot(values, points[:, coordinate], ".", color="0.55", ms=1.5, alpha=0.6, zorder=0, rasterized=True)


def _legend(ax, diagram, colours) -> None:
    from matplotlib.lines import Line2D

    handles = []
    for k in sorted({b.order for b in diagram.branches}):
        name = "fixed points" if k == 1 else f"{k}-cycles"
        handles.append(Line2D([], [], color=colours(min(k - 1, 9)), lw=1.4, label=name))
    if diagram.branches:
        handles.append(Line2D([], [], color="black", lw=1.4, ls="-", label="stable"))
        handles.append(Line2D([], [], color="black", lw=1.0, ls="--", label="unstable"))
    for kind in sorted({e.type for e in diagram.events}, key=list(_TAGS).index):
        handles.append(Line2D([], [], ls="", marker=_MARKERS[kind], mfc="white", mec="black",
                              label=f"{_TAGS[kind]}: {_NAMES[kind]}"))
    if handles:
        ax.legend(handles=handles, fontsize="x-small", loc="best")
