"""Fixed points, ghosts and F_min of many rank-one latent flows at once (the training records)."""

from __future__ import annotations

import numpy as np

from ._latent import flow_derivatives

#: Positions beyond this many per network are not stored (the counts stay exact).
MAX_POINTS = 8
_NEWTON_STEPS = 4
_MAX_GRID = 20_000
_CHUNK = 2_000_000  # entries of the (seeds, grid, N) tanh evaluated at once


def rank_one_summary(
    m: np.ndarray, n: np.ndarray, b: np.ndarray, *, spacing: float = 0.03, max_points: int = MAX_POINTS
) -> dict[str, np.ndarray]:
    """Latent fixed points and ghosts of S rank-one networks on one shared grid.

    Parameters
    ----------
    m, n, b : ndarray, shape (S, N)
    spacing : float, default 0.03
        Grid step on [-B, B], B = max_s sum_i |n_si| + 1 (every fixed point lies inside); at
        most 20000 grid points (coarser for huge n).
    max_points : int, default 8

    Returns
    -------
    dict
        ``n_fixed`` and ``n_ghosts`` (S,) int; ``f_min`` (S,): F at its lowest local minimum
        (positive: a ghost of that depth; negative: the minimum has crossed zero and a
        saddle-node pair exists; NaN: F has no local minimum); ``fixed`` and ``ghosts``
        (S, max_points) positions in increasing order, NaN-padded; ``fixed_slope`` (F' at
        each fixed point, < 0 stable) and ``ghost_flow`` (F at each ghost, its depth), padded
        in the same order.

    Notes
    -----
    The same definitions as :func:`latent_slow_points`, vectorised: zeros start from the linear
    interpolation of each sign change and extrema from the vertex of the parabola through three
    grid values, then take 4 Newton steps on F (zeros) or F' (extrema), which brings them to
    machine precision; the tests compare both with the Brent-refined single-network finder.
    """
    S = m.shape[0]
    B = float(np.abs(n).sum(axis=1).max()) + 1.0
    spacing = max(spacing, 2 * B / _MAX_GRID)  # diverged weights (|n| ~ 1e7) must not exhaust memory
    k = np.arange(-B, B + spacing / 2, spacing)
    F = _grid_flow(m, n, b, k)
    s_fix, x_fix = _zeros(m, n, b, k, F)
    s_ext, x_ext, F_ext, is_min = _extrema(m, n, b, k, F)
    ghost = np.where(is_min, F_ext > 0, F_ext < 0)
    slope_fix = flow_derivatives(m[s_fix], n[s_fix], b[s_fix], x_fix)[1]
    out = {
        "n_fixed": np.bincount(s_fix, minlength=S),
        "n_ghosts": np.bincount(s_ext[ghost], minlength=S),
        "f_min": np.full(S, np.nan),
        "fixed": _pad(s_fix, x_fix, x_fix, S, max_points),
        "ghosts": _pad(s_ext[ghost], x_ext[ghost], x_ext[ghost], S, max_points),
        "fixed_slope": _pad(s_fix, x_fix, slope_fix, S, max_points),
        "ghost_flow": _pad(s_ext[ghost], x_ext[ghost], F_ext[ghost], S, max_points),
    }
    minima = np.flatnonzero(is_min)
    order = minima[np.argsort(-F_ext[minima], kind="stable")]  # the lowest written last wins
    out["f_min"][s_ext[order]] = F_ext[order]
    return out


def _grid_flow(m, n, b, k) -> np.ndarray:
    S, N = m.shape
    F = np.empty((S, k.size))
    per = max(1, _CHUNK // (k.size * N))
    for lo in range(0, S, per):
        sl = slice(lo, lo + per)
        h = np.tanh(m[sl, None, :] * k[None, :, None] + b[sl, None, :])
        F[sl] = np.einsum("sgn,sn->sg", h, n[sl]) - k
    return F


def _zeros(m, n, b, k, F) -> tuple[np.ndarray, np.ndarray]:
    s, i = np.nonzero((F[:, :-1] * F[:, 1:] < 0) | ((F[:, :-1] == 0) & (F[:, 1:] != 0)))
    f0, f1 = F[s, i], F[s, i + 1]
    x = k[i] - f0 * (k[i + 1] - k[i]) / (f1 - f0)
    for _ in range(_NEWTON_STEPS):
        value, slope, _ = flow_derivatives(m[s], n[s], b[s], x)
        ok = slope != 0
        x = np.where(ok, x - value / np.where(ok, slope, 1.0), x)
        x = np.clip(x, k[i], k[i + 1])
    return s, x


def _extrema(m, n, b, k, F):
    inner = F[:, 1:-1]
    lo = (inner < F[:, :-2]) & (inner <= F[:, 2:])
    hi = (inner > F[:, :-2]) & (inner >= F[:, 2:])
    s, i = np.nonzero(lo | hi)
    i = i + 1
    fl, fc, fr = F[s, i - 1], F[s, i], F[s, i + 1]
    curvature = fl - 2 * fc + fr
    h = k[1] - k[0]
    x = k[i] + np.where(curvature != 0, 0.5 * h * (fl - fr) / np.where(curvature != 0, curvature, 1.0), 0.0)
    for _ in range(_NEWTON_STEPS):
        _, slope, bend = flow_derivatives(m[s], n[s], b[s], x)
        ok = bend != 0
        x = np.clip(np.where(ok, x - slope / np.where(ok, bend, 1.0), x), k[i - 1], k[i + 1])
    value = flow_derivatives(m[s], n[s], b[s], x)[0]
    return s, x, value, lo[s, i - 1]


def _pad(s: np.ndarray, x: np.ndarray, values: np.ndarray, S: int, P: int) -> np.ndarray:
    """``values`` of each network's points in increasing x, NaN-padded to shape (S, P)."""
    out = np.full((S, P), np.nan)
    order = np.lexsort((x, s))
    s, values = s[order], values[order]
    rank = np.arange(s.size) - np.searchsorted(s, s)  # position within its network
    keep = rank < P
    out[s[keep], rank[keep]] = values[keep]
    return out
