"""Figure of a reconstruction: true against generated attractor, and their power spectra."""

from __future__ import annotations

import numpy as np

from .._validation import to_numpy

TRUE, GENERATED = "0.2", "C3"  # dark grey for the data, red for the model


def plot_reconstruction(true, generated, *, spectra_true=None, spectra_generated=None, dims=None,
                        fig=None, title: str | None = None):
    """Draw a generated series against the true one: the attractor and, if given, the spectra.

    Parameters
    ----------
    true : array, shape (T, N) or (T,)
        The test series (drawn in dark grey).
    generated : array, shape (T', N) or (T',)
        The model's series (drawn in red); non-finite points (a diverged run) are left out.
    spectra_true, spectra_generated : array, shape (N, F), optional
        Smoothed, normalised power spectra of both series (e.g. ``bifwatch.metrics.power_spectra``);
        given together, they add one panel per drawn dimension, on a log y axis. The frequency
        axis is k / T cycles per step when F = T // 2 + 1, else the bin index k. Non-finite
        rows (an undefined spectrum) are left out.
    dims : sequence of 1 to 3 ints, optional
        The dimensions drawn: three give a 3-D projection, two a plane, one a time series.
        Default: the first min(N, 3).
    fig : matplotlib Figure, optional
        Drawn into; a new figure otherwise.
    title : str, optional
        The figure's suptitle.

    Returns
    -------
    matplotlib Figure
        Its first axes holds the attractor (one line of points per series, labelled "true" and
        "generated"); then one axes per drawn dimension with the two spectra.

    Raises
    ------
    ValueError
        Series of different N, bad ``dims``, spectra of the wrong shape or only one of them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> t = np.linspace(0, 20, 400)
    >>> fig = plot_reconstruction(np.c_[np.sin(t), np.cos(t)], np.c_[np.sin(t + 1), np.cos(t + 1)])
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['true', 'generated']
    """
    import matplotlib.pyplot as plt

    x, y = _series("true", true), _series("generated", generated)
    if y.shape[1] != x.shape[1]:
        raise ValueError(f"`generated` must have N = {x.shape[1]} columns like `true`; got shape {y.shape}")
    dims = _dims(dims, x.shape[1])
    spectra = _spectra(spectra_true, spectra_generated, x.shape[1])
    rows, cols = (len(dims), 2) if spectra is not None else (1, 1)
    if fig is None:
        fig = plt.figure(figsize=(5.5 + 5 * (cols - 1), max(4.5, 2.2 * rows)))
    grid = fig.add_gridspec(rows, cols, width_ratios=[1.3, 1][:cols])
    ax = fig.add_subplot(grid[:, 0], projection="3d" if len(dims) == 3 else None)
    _attractor(ax, x, y, dims)
    if spectra is not None:
        for row, d in enumerate(dims):
            _spectrum(fig.add_subplot(grid[row, 1]), spectra, d, len(x), last=row == rows - 1)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _attractor(ax, x: np.ndarray, y: np.ndarray, dims: tuple[int, ...]) -> None:
    for series, colour, label in ((x, TRUE, "true"), (y, GENERATED, "generated")):
        keep = np.isfinite(series[:, list(dims)]).all(axis=1)
        style = {"color": colour, "label": label, "alpha": 0.6}
        if len(dims) == 1:
            ax.plot(np.flatnonzero(keep), series[keep, dims[0]], "-", lw=0.8, **style)
        else:
            ax.plot(*(series[keep, d] for d in dims), ls="none", marker=".", ms=1.5, **style)
    names = [f"x{d + 1}" for d in dims]
    if len(dims) == 1:
        ax.set(xlabel="time step", ylabel=names[0], title="time series")
    else:
        ax.set(xlabel=names[0], ylabel=names[1], title="state space")
        if len(dims) == 3:
            ax.set_zlabel(names[2])
    ax.legend(loc="upper right", fontsize="small", markerscale=6, framealpha=0.85)


def _spectrum(ax, spectra, d: int, T: int, *, last: bool) -> None:
    F = spectra[0].shape[1]
    frequency = np.arange(F) / T if F == T // 2 + 1 else np.arange(F)
    for p, colour, label in ((spectra[0][d], TRUE, "true"), (spectra[1][d], GENERATED, "generated")):
        if np.all(np.isfinite(p)):
            positive = p > 0  # log axis: exact zeros (clipped) are left out
            ax.plot(frequency[positive], p[positive], color=colour, lw=1.2, label=label)
    ax.set_yscale("log")
    ax.set_ylabel(f"power, x{d + 1}")
    if last:
        ax.set_xlabel("frequency (cycles per step)" if F == T // 2 + 1 else "frequency bin")


def _series(name: str, value) -> np.ndarray:
    x = to_numpy(name, value)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or 0 in x.shape:
        raise ValueError(f"`{name}` must have shape (T, N) (or (T,)) with T, N >= 1; got shape {x.shape}")
    return x


def _dims(dims, N: int) -> tuple[int, ...]:
    if dims is None:
        return tuple(range(min(N, 3)))
    out = tuple(np.atleast_1d(dims).tolist())
    integers = all(isinstance(d, int) and not isinstance(d, bool) for d in out)
    inside = all(0 <= d < N for d in out) if integers else False
    if not integers or not inside or not 1 <= len(out) <= 3 or len(set(out)) != len(out):
        raise ValueError(f"`dims` must be 1 to 3 distinct dimensions in 0 .. {N - 1} (N = {N}); got {dims!r}")
    return out


def _spectra(p, q, N: int):
    if (p is None) != (q is None):
        raise ValueError("`spectra_true` and `spectra_generated` must be given together (or neither)")
    if p is None:
        return None
    p, q = to_numpy("spectra_true", p), to_numpy("spectra_generated", q)
    if p.ndim != 2 or p.shape[0] != N or q.shape != p.shape:
        raise ValueError(f"`spectra_true` and `spectra_generated` must both have shape (N, F) with N = {N}; "
                         f"got {p.shape} and {q.shape}")
    return p, q
