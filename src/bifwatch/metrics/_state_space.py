"""D_stsp: how far the generated series' invariant measure is from the true one (KL divergence)."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from .._validation import check_int, check_positive_float
from ._series import generated_series, true_series

#: Laplace smoothing of the histograms (written 10e-6 in the lab's Python code: the same value).
EPS = 1e-5
#: The Gaussian-mixture version uses at most this many points of each series, and this many
#: Monte Carlo samples (the lab's protocol, kept for comparable numbers).
GMM_POINTS = 10_000
GMM_SAMPLES = 1000
#: Dimensions from which the Gaussian-mixture version is the default (as in GTF).
GMM_FROM_N = 6


def state_space_divergence(
    x_true, x_gen, *, bins: int = 30, method: str = "auto", sigma2: float = 1.0, seed: int = 0
) -> float:
    """D_stsp = KL(p_true || p_gen) between the state-space distributions of two series.

    Parameters
    ----------
    x_true : array, shape (T, N) or (T,)
        The reference series (finite).
    x_gen : array, shape (T', N) or (T',)
        The generated series; NaN or inf entries (a diverged run) count as outside every bin.
    bins : int, default 30
        Bins per dimension of the binned version.
    method : {"auto", "binned", "gmm"}, default "auto"
        ``"auto"``: binned for N < 6, the Gaussian mixture for N >= 6.
    sigma2 : float, default 1.0
        Variance of the Gaussian on every point (Gaussian-mixture version).
    seed : int, default 0
        Seed of the Monte Carlo samples (Gaussian-mixture version).

    Returns
    -------
    float
        >= 0 for the binned version (0 for identical histograms). When no finite generated
        point falls in the true series' box, the smoothed generated histogram is uniform,
        1 / bins^N, and D_stsp = sum p log(p bins^N), finite: exactly the formula. ``inf``
        (GMM) when every generated point is non-finite.

    Raises
    ------
    ValueError, TypeError
        Bad shapes, a non-finite true series, bad ``bins``, ``method`` or ``sigma2``.

    Notes
    -----
    Binned: per dimension the range [min - 0.1 sd, max + 0.1 sd] of the true series is cut into
    ``bins`` equal bins; points outside are dropped; counts h become
    p = (h + eps) / (sum h + eps bins^N) with eps = 1e-5 (Laplace smoothing), and
    D = sum_k p_true(k) log(p_true(k) / p_gen(k)) over all bins^N cells (natural log). Only the
    occupied cells are stored, so the cost is O(T N) however large bins^N is.

    Gaussian mixture: p and q put an isotropic Gaussian of variance sigma2 on each of the first
    10,000 points of each series; D = mean over 1000 samples s ~ p of log p(s) - log q(s)
    (Hershey & Olsen 2007), with log p and log q by log-sum-exp, so no sample is dropped.

    References
    ----------
    Hess et al., *Generalized teacher forcing for learning chaotic dynamics*, ICML 2023;
    Koppe et al., PLoS Comput. Biol. 2019. See ../shared/notes/training-and-dsr.md, 8.2-8.3.

    Examples
    --------
    >>> x = np.sin(np.linspace(0, 20, 2000))
    >>> state_space_divergence(x, x)
    0.0
    >>> round(state_space_divergence(x, 0.5 * x), 3) > 0
    True
    """
    x = true_series("x_true", x_true)
    y = generated_series("x_gen", x_gen, x.shape[1])
    if method not in ("auto", "binned", "gmm"):
        raise ValueError(f"`method` must be 'auto', 'binned' or 'gmm'; got {method!r}")
    if method == "gmm" or (method == "auto" and x.shape[1] >= GMM_FROM_N):
        return _gmm(x, y, check_positive_float("sigma2", sigma2), seed)
    return _binned(x, y, check_int("bins", bins, minimum=1))


def _binned(x: np.ndarray, y: np.ndarray, bins: int) -> float:
    sd = x.std(axis=0)
    low, high = x.min(axis=0) - 0.1 * sd, x.max(axis=0) + 0.1 * sd
    width = np.where(high > low, high - low, 1.0)
    cells_true, counts_true = _occupied(x, low, width, bins)
    cells_gen, counts_gen = _occupied(y, low, width, bins)
    total = float(bins) ** x.shape[1]
    z_true, z_gen = counts_true.sum() + EPS * total, counts_gen.sum() + EPS * total
    union, where = np.unique(np.r_[cells_true, cells_gen], return_inverse=True)
    h_true, h_gen = np.zeros(len(union)), np.zeros(len(union))
    np.add.at(h_true, where[:len(cells_true)], counts_true)
    np.add.at(h_gen, where[len(cells_true):], counts_gen)
    p, q = (h_true + EPS) / z_true, (h_gen + EPS) / z_gen
    empty = total - len(union)  # cells neither series visits: p = eps / z_true, q = eps / z_gen
    value = float(np.sum(p * np.log(p / q))) + empty * (EPS / z_true) * np.log(z_gen / z_true)
    return float(max(value, 0.0))  # >= 0 (Gibbs); only rounding could push it below


def _occupied(x: np.ndarray, low: np.ndarray, width: np.ndarray, bins: int):
    """Occupied cells (each a row of bin indices, viewed as one opaque value) and their counts.

    Points outside the box, or not finite, are dropped.
    """
    with np.errstate(invalid="ignore"):
        index = np.floor((x - low) / width * bins)
    inside = np.all(np.isfinite(index) & (index >= 0) & (index < bins), axis=1)
    index = np.ascontiguousarray(index[inside].astype(np.int64))
    rows = index.view(np.dtype((np.void, 8 * x.shape[1]))).ravel()
    cells, counts = np.unique(rows, return_counts=True)
    return cells, counts.astype(float)


def _gmm(x: np.ndarray, y: np.ndarray, sigma2: float, seed: int) -> float:
    x, y = x[:GMM_POINTS], y[:GMM_POINTS]
    y = y[np.all(np.isfinite(y), axis=1)]
    if len(y) == 0:
        return float("inf")
    rng = np.random.default_rng(seed)
    samples = x[rng.integers(len(x), size=GMM_SAMPLES)] + np.sqrt(sigma2) * rng.standard_normal(
        (GMM_SAMPLES, x.shape[1]))
    return float(np.mean(_log_mixture(samples, x, sigma2) - _log_mixture(samples, y, sigma2)))


def _log_mixture(samples: np.ndarray, centres: np.ndarray, sigma2: float) -> np.ndarray:
    """log of (1/T) sum_t exp(-|s - c_t|^2 / 2 sigma2), up to the constant both mixtures share."""
    out = np.empty(len(samples))
    for start in range(0, len(samples), 100):  # (100, T') distances at a time
        s = samples[start:start + 100]
        d2 = (s**2).sum(1)[:, None] - 2 * s @ centres.T + (centres**2).sum(1)[None, :]
        out[start:start + 100] = logsumexp(-np.maximum(d2, 0.0) / (2 * sigma2), axis=1) - np.log(len(centres))
    return out
