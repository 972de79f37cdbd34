"""Figure of a two-parameter map: stable objects per cell, exact bifurcation points on top."""

from __future__ import annotations

import numpy as np

_EVENT_STYLE = {
    "border-collision": ("k", ".", "border collision"),
    "degenerate-transcritical": ("tab:red", "x", "degenerate transcritical"),
    "degenerate-flip": ("tab:purple", "+", "degenerate flip"),
    "degenerate-neimark-sacker": ("tab:orange", "*", "degenerate Neimark-Sacker"),
}


def plot_map(parameter_map, ax=None):
    """Draw ``parameter_map`` (a :class:`bifwatch.ParameterMap`); returns the Axes.

    Cells are coloured by their stable objects (one colour per distinct combination, named in
    the legend: ``FP`` a stable fixed point, ``kC`` a stable k-cycle, ``none`` no stable cycle
    of the searched orders). The events located by continuation are drawn as points: together
    they trace the bifurcation curves.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 6))
    labels = parameter_map.stable_objects().astype(str)
    kinds = sorted(set(labels.ravel()), key=lambda s: (s == "none", s))
    codes = np.vectorize({k: i for i, k in enumerate(kinds)}.get)(labels)
    palette = plt.get_cmap("tab20").colors
    colours = [palette[(2 * i + 1) % 20] if k != "none" else (0.93, 0.93, 0.93) for i, k in enumerate(kinds)]
    (x, y), (n1, n2) = parameter_map.values, labels.shape
    dx, dy = (x[-1] - x[0]) / max(n1 - 1, 1), (y[-1] - y[0]) / max(n2 - 1, 1)
    ax.imshow(
        codes.T, origin="lower", cmap=ListedColormap(colours), vmin=-0.5, vmax=len(kinds) - 0.5,
        extent=(x[0] - dx / 2, x[-1] + dx / 2, y[0] - dy / 2, y[-1] + dy / 2), aspect="auto",
        interpolation="nearest",
    )
    handles = [Patch(color=c, label=k) for k, c in zip(kinds, colours, strict=True)]
    events = parameter_map.events
    for kind, (colour, marker, name) in _EVENT_STYLE.items():
        mask = events["type"] == kind
        if mask.any():
            handles.append(ax.scatter(events["x"][mask], events["y"][mask], s=4, c=colour, marker=marker,
                                      linewidths=0.6, label=name))
    ax.set_xlabel(parameter_map.names[0])
    ax.set_ylabel(parameter_map.names[1])
    ax.set_title(f"stable objects, orders 1..{parameter_map.max_order}")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return ax
