"""The saddle-node toy model of abrupt learning: dx/dt = r + x² on the delayed-activation task.

The task (Dinc et al., arXiv 2501.02378): starting from x(0) = 0 with no input, the output
ŷ(t) = σ(a (x(t) − x*)) must stay off (target 0) for t ≤ T and switch on (target 1) for
T < t ≤ 2T. For r > 0 the flow has no fixed point, only a *ghost* (bottleneck) at x = 0, and
x(t) = √r tan(√r t) blows up at t*(r) = π / (2√r): the single parameter r sets the delay.

Two normalisations of the squared-error loss appear throughout:

* the **un-normalised** loss L_u(r) = ∫₀^{2T} (ŷ − y)² dt ≈ Δt Σ_k (ŷ_k − y_k)², in time units.
  Every learning rate in bifwatch (gradient descent on r, the critical learning rate) refers
  to this loss, as in the authors' code;
* the **normalised** loss L = L_u / T ∈ [0, 1], which is what the figures show.

Functions take ``normalised=True`` (the default) or ``False`` to choose between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._validation import check_positive_float, to_numpy

#: The Euler state is clipped to [−CLIP, CLIP] (as in the authors' code) so blow-up stays finite.
CLIP = 1e6
#: The largest number of Euler steps (2T/dt) a simulation accepts.
MAX_STEPS = 2_000_000


@dataclass(frozen=True)
class DelayedActivationToy:
    """The toy model dx/dt = r + x² on the delayed-activation task of delay ``T``.

    Parameters
    ----------
    T : float, default 100.0
        The delay (time units): target 0 for t ≤ T, 1 for T < t ≤ 2T. Must be finite and > 0.
    dt : float, default 0.1
        The Euler step of the simulation; 0 < dt < T and T/dt a whole number of steps.
    threshold : float, default 10.0
        The output threshold x* of ŷ = σ(a (x − x*)); > 0.
    confidence : float, default 1.0
        The output confidence (slope) a; > 0. Only the simulation uses it: the analytic loss
        is the sharp-output limit a → ∞.

    Raises
    ------
    TypeError
        If an argument is not a real number.
    ValueError
        If an argument is out of range (non-finite, ≤ 0, dt ≥ T, T/dt not whole).

    Notes
    -----
    Closed forms (sharp limit, blow-up time t*(r) = π/(2√r)):

    * optimum r* = π²/(4T²), where t* = T;
    * point of no return r*/4 = π²/(16T²), where t* = 2T: for r ≤ r*/4 the loss is flat;
    * |dL_u/dr| at the V-shaped (oscillatory) minimum = 2T³/π²;
    * critical learning rate α_c = (3r*/4)/(2T³/π²) = 3π⁴/(32T⁵) (un-normalised loss).

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> f"{toy.r_star:.4e} {toy.point_of_no_return:.4e} {toy.critical_lr:.3e}"
    '2.4674e-04 6.1685e-05 9.132e-10'
    >>> toy.n_steps, toy.delay_steps
    (2000, 1000)
    """

    T: float = 100.0
    dt: float = 0.1
    threshold: float = 10.0
    confidence: float = 1.0

    def __post_init__(self) -> None:
        for name in ("T", "dt", "threshold", "confidence"):
            object.__setattr__(self, name, check_positive_float(name, getattr(self, name)))
        if self.dt >= self.T:
            raise ValueError(f"`dt` must be smaller than `T` = {self.T:g}; got dt = {self.dt:g}")
        steps = self.T / self.dt
        if abs(steps - round(steps)) > 1e-9 * steps:
            raise ValueError(
                f"`dt` must divide `T` into a whole number of steps; got T/dt = {steps:.6g} "
                f"(T = {self.T:g}, dt = {self.dt:g})"
            )

    @property
    def delay_steps(self) -> int:
        """T/dt: Euler steps with target 0 (step k+1 has target 1 when k+1 > T/dt)."""
        return round(self.T / self.dt)

    @property
    def n_steps(self) -> int:
        """2T/dt: Euler steps in one trial."""
        return 2 * self.delay_steps

    @property
    def r_star(self) -> float:
        """The optimum r* = π²/(4T²): the blow-up time t* equals the delay T."""
        return math.pi**2 / (4.0 * self.T**2)

    @property
    def point_of_no_return(self) -> float:
        """r*/4 = π²/(16T²): at and below it the output never turns on and the loss is flat."""
        return self.r_star / 4.0

    @property
    def gradient_at_minimum(self) -> float:
        """|dL_u/dr| on either side of the V-shaped minimum r*: 2T³/π² (un-normalised)."""
        return 2.0 * self.T**3 / math.pi**2

    @property
    def critical_lr(self) -> float:
        """The critical learning rate 3π⁴/(32T⁵) of gradient descent on the un-normalised loss."""
        return critical_learning_rate(self.T)


def critical_learning_rate(T: float, *, normalised: bool = False) -> float:
    """The learning rate above which gradient descent on r cannot learn the delay T.

    Parameters
    ----------
    T : float
        The delay; > 0.
    normalised : bool, default False
        False: the rate for the un-normalised loss L_u (the paper's and bifwatch's convention),
        3π⁴/(32T⁵). True: the rate for L = L_u/T, which is T times larger, 3π⁴/(32T⁴).

    Notes
    -----
    Right of r* one step moves r by α·2T³/π². Once that exceeds the distance 3r*/4 from r* to
    the point of no return r*/4, an iterate can land in the flat zone and never leave:
    α_c = (3r*/4)/(2T³/π²) = 3π⁴/(32T⁵). The T⁻⁵ law makes long delays very hard to learn.

    Examples
    --------
    >>> [f"{critical_learning_rate(T):.2e}" for T in (50, 100, 200)]
    ['2.92e-08', '9.13e-10', '2.85e-11']
    >>> f"{critical_learning_rate(100, normalised=True):.2e}"
    '9.13e-08'
    """
    T = check_positive_float("T", T)
    power = 4 if normalised else 5
    return 3.0 * math.pi**4 / (32.0 * T**power)


def blowup_time(r: object) -> np.ndarray:
    """t*(r) = π/(2√r), the time at which x(t) = √r tan(√r t) blows up; +inf for r ≤ 0.

    Examples
    --------
    >>> np.round(blowup_time([np.pi**2 / 4e4, 0.0]), 9).tolist()
    [100.0, inf]
    """
    r = _as_r(r)
    with np.errstate(divide="ignore"):
        return np.where(r > 0, math.pi / (2.0 * np.sqrt(np.maximum(r, 0.0))), np.inf)


def analytic_loss(toy: DelayedActivationToy, r: object, *, normalised: bool = True) -> np.ndarray:
    """The sharp-output-limit loss of the toy model at ``r`` (any shape).

    Returns
    -------
    ndarray, same shape as ``r``
        L = |t*(r) − T|/T for r > r*/4 and 1 (flat) for r ≤ r*/4, including every r ≤ 0;
        times T when ``normalised=False``.

    Notes
    -----
    The output is off before the blow-up time t* and on after it, so the squared error is 1
    on the interval between t* and T (capped at 2T) and 0 elsewhere. The loss is V-shaped at
    r*, with slopes ∓π/(4 r^{3/2}) on either side (see :func:`analytic_gradient`).

    This is the paper's formula, with the switch at the blow-up time t*. With a finite
    threshold x* the output actually switches at t_c = arctan(x*/√r)/√r ≈ t* − 1/x*, so the
    Euler simulation converges (as dt → 0, a → ∞) to |t_c − T|/T, within about 1/(x* T) of L.

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> np.round(analytic_loss(toy, toy.r_star * np.array([0.2, 0.5, 1, 2, 10])), 3).tolist()
    [1.0, 0.414, 0.0, 0.293, 0.684]
    """
    r = _as_r(r)
    t_star = blowup_time(np.maximum(r, toy.point_of_no_return))
    loss = np.where(r > toy.point_of_no_return, np.abs(t_star - toy.T) / toy.T, 1.0)
    return loss if normalised else loss * toy.T


def analytic_gradient(toy: DelayedActivationToy, r: object, *, normalised: bool = True) -> np.ndarray:
    """dL/dr of :func:`analytic_loss`: 0 in the no-learning zone r ≤ r*/4, ∓π/(4 r^{3/2}) beyond.

    Returns
    -------
    ndarray, same shape as ``r``
        −π/(4 r^{3/2}) on (r*/4, r*), +π/(4 r^{3/2}) for r > r*, 0 at r* and for r ≤ r*/4;
        divided by T when ``normalised=True``. Gradient descent uses ``normalised=False``.

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> g = analytic_gradient(toy, toy.r_star * np.array([0.1, 0.5, 1.0001]), normalised=False)
    >>> (g[0], bool(g[1] < 0), bool(np.isclose(g[2], toy.gradient_at_minimum, rtol=1e-3)))
    (np.float64(0.0), True, True)
    """
    r = _as_r(r)
    slope = math.pi / (4.0 * np.maximum(r, toy.point_of_no_return) ** 1.5)
    gradient = np.where(r > toy.point_of_no_return, np.sign(r - toy.r_star) * slope, 0.0)
    return gradient / toy.T if normalised else gradient


def simulated_loss(toy: DelayedActivationToy, r: object, *, normalised: bool = True) -> np.ndarray:
    """The loss of the Euler-simulated toy model at ``r`` (any shape), at ``toy.confidence``.

    See :func:`simulated_loss_and_gradient` for the simulation.

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0, dt=0.1, threshold=10.0, confidence=1.0)
    >>> np.round(simulated_loss(toy, toy.r_star * np.array([0.3, 1.0, 10.0])), 4).tolist()
    [0.8307, 0.0044, 0.6801]
    """
    return simulated_loss_and_gradient(toy, r, normalised=normalised)[0]


def simulated_loss_and_gradient(
    toy: DelayedActivationToy, r: object, *, normalised: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The Euler-simulated loss and its exact derivative in r, for every entry of ``r`` at once.

    Parameters
    ----------
    toy : DelayedActivationToy
        The task (T, dt, threshold x*, confidence a).
    r : array_like, any shape
        The parameter values; finite.
    normalised : bool, default True
        Divide loss and gradient by T (else the un-normalised L_u, in time units).

    Returns
    -------
    loss, gradient : ndarray, same shape as ``r``

    Notes
    -----
    With n = 2T/dt steps, x₀ = 0 and s₀ = dx₀/dr = 0, for k = 0 … n−1:

        x_{k+1} = clip(x_k + dt (x_k² + r), ±10⁶),   s_{k+1} = s_k (1 + 2 dt x_k) + dt

    (s_{k+1} = 0 where the clip is active), ŷ_{k+1} = σ(a (x_{k+1} − x*)), target
    y_{k+1} = 1 for k+1 > T/dt, L_u = dt Σ (ŷ − y)² and dL_u/dr = dt Σ 2 (ŷ − y) a ŷ (1 − ŷ) s.
    The forward-mode sensitivity s makes the gradient exact for the discrete loss.

    Performance notes
    -----------------
    O(n · r.size): a Python loop over the n steps, vectorised over ``r``.
    """
    r = _as_r(r)
    if toy.n_steps > MAX_STEPS:
        raise ValueError(f"the simulation needs 2T/dt = {toy.n_steps} steps, more than {MAX_STEPS}; "
                         "use a larger `dt`")
    x, s = np.zeros_like(r), np.zeros_like(r)
    loss, gradient = np.zeros_like(r), np.zeros_like(r)
    dt, a = toy.dt, toy.confidence
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(toy.n_steps):
            x_next = x + dt * (x * x + r)
            s = s * (1.0 + 2.0 * dt * x) + dt
            clipped = ~(np.abs(x_next) < CLIP)
            x = np.clip(x_next, -CLIP, CLIP)
            s = np.where(clipped, 0.0, s)
            y_hat = 0.5 * (1.0 + np.tanh(0.5 * a * (x - toy.threshold)))
            error = y_hat - (1.0 if k + 1 > toy.delay_steps else 0.0)
            loss += error * error
            gradient += 2.0 * error * a * y_hat * (1.0 - y_hat) * s
    scale = dt / toy.T if normalised else dt
    return loss * scale, gradient * scale


def flow_epochs(toy: DelayedActivationToy, lr: float, *, r0: float | None = None) -> float:
    """Epochs that gradient *flow* on L_u with rate ``lr`` needs to carry r from ``r0`` to r*.

    Notes
    -----
    dr/dτ = −α dL_u/dr = ∓α π/(4 r^{3/2}) makes r^{5/2} change linearly in τ, so
    τ = 8 |r₀^{5/2} − r*^{5/2}| / (5πα); +inf for r₀ ≤ r*/4 (no gradient). ``r0`` defaults to
    10 r*, the paper's start. Discrete gradient descent takes a few epochs more.

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> round(flow_epochs(toy, 1e-10)), round(flow_epochs(toy, 3e-10))
    (1535, 512)
    """
    lr = check_positive_float("lr", lr)
    r0 = 10.0 * toy.r_star if r0 is None else float(_as_r(r0))
    if r0 <= toy.point_of_no_return:
        return math.inf
    return 8.0 * abs(r0**2.5 - toy.r_star**2.5) / (5.0 * math.pi * lr)


def _as_r(r: object) -> np.ndarray:
    r = to_numpy("r", r)
    if not np.all(np.isfinite(r)):
        raise ValueError("`r` must be finite; got NaN/Inf entries")
    return r
