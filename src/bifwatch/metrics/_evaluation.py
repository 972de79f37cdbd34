"""The evaluation protocol of a reconstruction: one long free run, compared with a test series."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from .._json import finite_or_none, write_json
from .._validation import check_int, check_positive_float, unwrap_scalar
from ..models import AbstractPLRNN
from ._lyapunov import max_lyapunov
from ._prediction import check_model, prediction_error, resolve_observation
from ._series import true_series
from ._spectrum import check_smoothing, power_spectra, power_spectrum_distance
from ._state_space import state_space_divergence

#: A state beyond this magnitude has left the range the metrics can use (its square would
#: overflow); the run counts as diverged (the bound max_lyapunov uses too).
BOUND = 1e150
#: A generated dimension whose standard deviation is at most this fraction of its scale
#: (the true dimension's sd plus its own |mean|) varies only by rounding: it is dead.
DEAD_RTOL = 1e-9
#: The free run is checked for divergence every this many steps (and stops there).
CHECK_EVERY = 1000


@dataclass(frozen=True, eq=False, repr=False)
class Reconstruction:
    """How well a model reconstructs a test series: the numbers of :func:`evaluate_reconstruction`.

    Attributes
    ----------
    D_stsp : float
        State-space divergence KL(p_true || p_gen), >= 0; ``inf`` for a diverged run.
    D_H : float
        Mean Hellinger distance of the power spectra, in [0, 1]; 1.0 (its maximum) for a
        diverged run, and each dead generated dimension counts 1.0 in the mean.
    PE : float
        PE(n) on the test series; ``inf`` when a prediction overflows.
    n : int
        The prediction horizon of ``PE``.
    lambda_max : float or None
        Largest Lyapunov exponent of the model per step, on the generated orbit; None when
        not computed (``lyapunov_steps=0``, or the run diverged).
    lambda_max_per_time : float or None
        ``lambda_max / dt``; None without ``dt``.
    diverged : bool
        The free run left the finite range: a state or observation not finite or beyond 1e150.
    generated : array, shape (T, N)
        The compared generated observations; NaN from where a diverged run left the range.
    true : array, shape (T, N)
        The test series.
    smoothing : float
        The spectral smoothing of ``D_H`` (used again by :meth:`plot`).
    discarded : int
        Generated steps dropped as transient before the compared ones.
    """

    D_stsp: float
    D_H: float
    PE: float
    n: int
    lambda_max: float | None
    lambda_max_per_time: float | None
    diverged: bool
    generated: np.ndarray
    true: np.ndarray
    smoothing: float = 20.0
    discarded: int = 0

    def to_dict(self) -> dict:
        """The scalar numbers, JSON-ready: non-finite values (a diverged run's D_stsp) are None."""
        T, N = self.true.shape
        return finite_or_none({
            "D_stsp": self.D_stsp, "D_H": self.D_H, "PE": self.PE, "n": self.n,
            "lambda_max": self.lambda_max, "lambda_max_per_time": self.lambda_max_per_time,
            "diverged": self.diverged, "T": T, "N": N, "discarded": self.discarded,
            "smoothing": self.smoothing,
        })

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The JSON text of :meth:`to_dict`; also written to ``path`` when given."""
        return write_json(self.to_dict(), path, indent=2)

    def plot(self, *, spectra: bool = True, dims=None, fig=None, title: str | None = None):
        """True against generated attractor and (``spectra=True``) the smoothed power spectra.

        The spectra are :func:`power_spectra` of both series with this result's smoothing (what
        ``D_H`` compared). See :func:`bifwatch.plotting.plot_reconstruction`; returns the Figure.
        """
        from ..plotting import plot_reconstruction

        p = power_spectra(self.true, smoothing=self.smoothing) if spectra else None
        q = power_spectra(self.generated, smoothing=self.smoothing) if spectra else None
        if title is None:
            title = f"D_stsp = {self.D_stsp:.3g}, D_H = {self.D_H:.3g}, PE({self.n}) = {self.PE:.3g}"
            title += " (diverged)" if self.diverged else ""
        return plot_reconstruction(self.true, self.generated, spectra_true=p, spectra_generated=q,
                                   dims=dims, fig=fig, title=title)

    def __repr__(self) -> str:
        return (f"Reconstruction(D_stsp={self.D_stsp:.4g}, D_H={self.D_H:.4g}, PE({self.n})={self.PE:.4g}, "
                f"lambda_max={self.lambda_max}, diverged={self.diverged}, T={self.true.shape[0]})")


def evaluate_reconstruction(
    model: AbstractPLRNN, x_test, *, observation=None, transient: float = 0.25, bins: int = 30,
    smoothing: float = 20.0, n: int = 20, method: str = "auto", sigma2: float = 1.0, seed: int = 0,
    lyapunov_steps: int = 0, dt: float | None = None,
) -> Reconstruction:
    """Evaluate a reconstruction on a test series: D_stsp, D_H and PE(n) of one free run.

    Parameters
    ----------
    model : AbstractPLRNN
    x_test : array, shape (T, N) or (T,)
        The test series: finite, T > n, no constant dimension.
    observation : IdentityObservation or AffineObservation, optional
        Default ``IdentityObservation.zeros(N, M)`` (see :func:`prediction_error`).
    transient : float, default 0.25
        Fraction of T generated first and discarded: round(transient T) steps.
    bins, method, sigma2, seed
        Passed to :func:`state_space_divergence` (30 bins; binned for N < 6, else the
        Gaussian mixture with variance ``sigma2`` and Monte Carlo seed ``seed``).
    smoothing : float, default 20
        Passed to :func:`power_spectrum_distance`.
    n : int, default 20
        Horizon of :func:`prediction_error`.
    lyapunov_steps : int, default 0
        When > 0, :func:`max_lyapunov` of the model from the free run's last state, averaged
        over this many steps (the note's 100,000), after lyapunov_steps // 10 steps that align
        the tangent vector (the note's 10,000), renormalised every 10 steps.
    dt : float, optional
        Time step of the data, for ``lambda_max_per_time = lambda_max / dt``; needs
        ``lyapunov_steps > 0``.

    Returns
    -------
    Reconstruction

    Raises
    ------
    ValueError, TypeError
        Bad arguments (named), a constant test dimension, an observation that does not fit.

    Notes
    -----
    The protocol of GTF (Hess et al., ICML 2023; ../shared/notes/training-and-dsr.md, 8.1):
    z_1 = ``observation.initial_state(x_test[0])``, z_{k+1} = F(z_k) for k < s + T with
    s = round(transient T); the compared series is g(z_{s+1}), ..., g(z_{s+T}) (with
    ``transient=0`` it starts at g(z_1), the training-time protocol). Then
    D_stsp(x_test, x_gen), D_H(x_test, x_gen), and PE(n) on x_test.

    Failures are values, not errors or warnings: a run that diverges (see ``diverged``) stops
    there and gets D_stsp = inf and D_H = 1.0, the maximum. A generated dimension that is dead
    (constant up to rounding: sd <= 1e-9 (sd_true + |mean|)) has no power spectrum; a constant
    output against a varying true one is maximally wrong in spectrum, so it counts 1.0 in D_H's
    mean over dimensions (:func:`power_spectrum_distance` itself returns NaN there).

    Performance notes: the free run is a Python loop of 1.25 T steps of ``model.step`` on one
    state (about a second for T = 100,000), PE(n) is batched over starts.

    Examples
    --------
    >>> from bifwatch import load_model
    >>> model = load_model("example:cycle6")                 # a stable 6-cycle
    >>> x = model.trajectory([0.1, 0.2], 1811)[1200:]         # 612 test steps on the cycle
    >>> result = evaluate_reconstruction(model, x)
    >>> result.D_stsp, round(result.D_H, 6), round(result.PE, 12), result.diverged
    (0.0, 0.0, 0.0, False)
    """
    model = check_model(model)
    n = check_int("n", n, minimum=1)
    x = _test_series(x_test, n)
    observation = resolve_observation(model, x.shape[1], observation)
    skip = round(_check_fraction(transient) * len(x))
    options = _check_options(bins, method, sigma2, smoothing, lyapunov_steps, dt)
    states, diverged = _free_run(model, observation.initial_state(x[0]), skip + len(x))
    generated = _decode(observation, states[skip:])
    diverged = diverged or not np.all(np.isfinite(generated))
    if diverged:
        D_stsp, D_H = math.inf, 1.0
    else:
        D_stsp = state_space_divergence(x, generated, bins=bins, method=method, sigma2=sigma2, seed=seed)
        D_H = _spectral_distance(x, generated, options["smoothing"])
    lam = None if diverged or lyapunov_steps == 0 else _lyapunov(model, states[-1], options["steps"])
    per_time = None if lam is None or dt is None else lam / options["dt"]
    return Reconstruction(D_stsp=D_stsp, D_H=D_H, PE=prediction_error(model, x, n, observation=observation),
                          n=n, lambda_max=lam, lambda_max_per_time=per_time, diverged=bool(diverged),
                          generated=generated, true=x, smoothing=options["smoothing"], discarded=skip)


def _free_run(model: AbstractPLRNN, z: np.ndarray, length: int) -> tuple[np.ndarray, bool]:
    """States z_1 .. z_length, shape (length, M), and whether the run diverged (NaN from there)."""
    states = np.full((length, model.M), np.nan)
    states[0] = z
    checked = 0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked below, as a value
        for t in range(1, length + 1):
            if t % CHECK_EVERY == 0 or t == length:
                block = states[checked:t]
                bad = ~np.all(np.isfinite(block) & (np.abs(block) <= BOUND), axis=1)
                if bad.any():
                    states[checked + int(np.argmax(bad)):] = np.nan
                    return states, True
                checked = t
            if t < length:
                z = model.step(z)
                states[t] = z
    return states, False


def _decode(observation, states: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        x = observation.decode(states)
    return np.where(np.abs(x) <= BOUND, x, np.nan)  # NaN stays NaN; beyond the bound too


def _spectral_distance(x: np.ndarray, y: np.ndarray, smoothing: float) -> float:
    """D_H with each dead generated dimension counted as 1.0, the maximum."""
    scale = x.std(axis=0) + np.abs(y.mean(axis=0))
    dead = y.std(axis=0) <= DEAD_RTOL * scale
    if dead.all():
        return 1.0
    live = power_spectrum_distance(x[:, ~dead], y[:, ~dead], smoothing=smoothing)
    return float((live * np.count_nonzero(~dead) + np.count_nonzero(dead)) / x.shape[1])


def _lyapunov(model: AbstractPLRNN, z: np.ndarray, steps: int) -> float | None:
    try:
        return max_lyapunov(model, z, transient=steps // 10, steps=steps, renormalise_every=10)
    except ValueError:  # the orbit diverged while the exponent was averaged
        return None


def _test_series(x_test, n: int) -> np.ndarray:
    x = true_series("x_test", x_test)
    if len(x) <= n:
        raise ValueError(f"`x_test` must have more time steps than `n` = {n} (T > n) for PE(n); "
                         f"got T = {len(x)}: lower `n` or pass a longer series")
    constant = np.flatnonzero(x.std(axis=0) == 0)
    if constant.size:
        raise ValueError(f"`x_test` has a constant dimension ({int(constant[0])}): its power spectrum, "
                         "and so D_H, is undefined; drop that dimension")
    return x


def _check_fraction(transient: object) -> float:
    value = unwrap_scalar(transient)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"`transient` must be a finite fraction >= 0 of T (e.g. 0.25); got {transient!r}")
    return float(value)


def _check_options(bins, method, sigma2, smoothing, lyapunov_steps, dt) -> dict:
    """Checked before the free run, so a misspelt option fails at once (the metrics check again)."""
    check_int("bins", bins, minimum=1)
    if method not in ("auto", "binned", "gmm"):
        raise ValueError(f"`method` must be 'auto', 'binned' or 'gmm'; got {method!r}")
    check_positive_float("sigma2", sigma2)
    steps = check_int("lyapunov_steps", lyapunov_steps, minimum=0)
    if dt is not None and steps == 0:
        raise ValueError("`dt` converts the Lyapunov exponent to time units, which is computed only for "
                         "lyapunov_steps > 0: pass lyapunov_steps (the note uses 100_000) or drop `dt`")
    return {"smoothing": check_smoothing(smoothing), "steps": steps,
            "dt": None if dt is None else check_positive_float("dt", dt)}
