"""D_H: the Hellinger distance between the smoothed power spectra of two series."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .._validation import unwrap_scalar
from ._series import _as_series, generated_series, true_series


def power_spectrum_distance(x_true, x_gen, *, smoothing: float = 20.0) -> float:
    """D_H: the mean over dimensions of the Hellinger distance between normalised power spectra.

    Parameters
    ----------
    x_true : array, shape (T, N) or (T,)
        The reference series (finite).
    x_gen : array, shape (T, N) or (T,)
        The generated series, of the same length T.
    smoothing : float, default 20
        Standard deviation, in frequency bins, of the Gaussian kernel that smooths each
        spectrum (``scipy.ndimage.gaussian_filter1d`` with its defaults: radius 4 sigma, reflect
        padding); 0 leaves the spectra as they are.

    Returns
    -------
    float
        In [0, 1]: 0 for equal spectra, 1 for spectra with disjoint support. NaN for a
        generated dimension that is constant or not finite (its spectrum is undefined); such a
        run has diverged or died and should be reported as failed.

    Raises
    ------
    ValueError, TypeError
        Bad shapes, different lengths, a non-finite or constant true series, bad ``smoothing``.

    Notes
    -----
    For each dimension d: z-score, P = |rfft(x_d)|^2, smooth, clip negatives to 0, normalise to
    sum 1, giving p_d (true) and q_d (generated); H_d = sqrt(1 - sum_w sqrt(p_d(w) q_d(w))), and
    D_H = (1/N) sum_d H_d.

    References
    ----------
    Mikhaeil et al., NeurIPS 2022; Hess et al., ICML 2023. See ../shared/notes/training-and-dsr.md,
    section 8.4.

    Examples
    --------
    >>> w = 2 * np.pi * np.arange(1000) / 1000                 # whole periods: one line each
    >>> round(power_spectrum_distance(np.sin(10 * w), 3 * np.sin(10 * w + 1), smoothing=0), 6)
    0.0
    >>> round(power_spectrum_distance(np.sin(10 * w), np.sin(40 * w), smoothing=0), 6)
    1.0
    """
    x = true_series("x_true", x_true)
    y = generated_series("x_gen", x_gen, x.shape[1])
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"`x_gen` must have as many time steps as `x_true`, T = {x.shape[0]}; "
                         f"got {y.shape[0]}")
    sigma = check_smoothing(smoothing)
    if np.any(x.std(axis=0) == 0):
        raise ValueError("`x_true` has a constant dimension: its power spectrum is undefined")
    p, q = _spectra(x, sigma), _spectra(y, sigma)
    overlap = np.sum(np.sqrt(p * q), axis=0)
    return float(np.mean(np.sqrt(np.clip(1.0 - overlap, 0.0, 1.0))))


def power_spectra(x, *, smoothing: float = 20.0) -> np.ndarray:
    """The smoothed, normalised power spectrum of each dimension: what D_H compares.

    Parameters
    ----------
    x : array, shape (T, N) or (T,)
        A series of T >= 2 steps; it may hold NaN or inf (a diverged run).
    smoothing : float, default 20
        Standard deviation, in frequency bins, of the Gaussian smoothing kernel, as in
        :func:`power_spectrum_distance`; 0 leaves the spectra unsmoothed.

    Returns
    -------
    array, shape (N, F), F = T // 2 + 1
        Row d is p_d over the rfft frequencies k / T, k = 0 .. F - 1: non-negative, summing
        to 1. A row is NaN where the spectrum is undefined: a constant dimension, one that is
        not finite, or one so large (beyond about 1e154) that its square overflows.

    Raises
    ------
    ValueError, TypeError
        Bad shape, fewer than 2 steps, bad ``smoothing``.

    Notes
    -----
    Per dimension: z-score, P = |rfft(x_d)|^2, smooth with ``scipy.ndimage.gaussian_filter1d``
    (radius 4 sigma, reflect padding), clip negatives to 0, divide by the sum.

    Examples
    --------
    >>> w = 2 * np.pi * np.arange(100) / 100
    >>> p = power_spectra(np.sin(5 * w), smoothing=0)
    >>> p.shape, int(np.argmax(p[0])), round(float(p[0].sum()), 12)
    ((1, 51), 5, 1.0)
    """
    series = _as_series("x", x)
    if series.shape[0] < 2:
        raise ValueError(f"`x` must have at least 2 time steps; got shape {series.shape}")
    return _spectra(series, check_smoothing(smoothing)).T


def check_smoothing(smoothing: object) -> float:
    """``smoothing`` as a float >= 0 (the kernel's standard deviation, in frequency bins)."""
    sigma = unwrap_scalar(smoothing)
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"`smoothing` must be a finite number >= 0; got {smoothing!r}")
    return float(sigma)


def _spectra(x: np.ndarray, sigma: float) -> np.ndarray:
    """Normalised, smoothed power spectra of each column, shape (T // 2 + 1, N); NaN where undefined.

    Overflow (a finite series too large to square) counts as undefined, like a non-finite one.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = (x - x.mean(axis=0)) / x.std(axis=0)
        power = np.abs(np.fft.rfft(z, axis=0)) ** 2
        if sigma > 0:
            power = np.clip(gaussian_filter1d(power, sigma, axis=0), 0.0, None)
        return power / power.sum(axis=0)
