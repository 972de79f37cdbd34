"""Everything the paper shows about the toy model, in one result: ``report``.

Learning rates refer to the un-normalised loss L_u (time units); losses are normalised (L_u/T).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np

from ..._json import write_json
from ..._validation import check_int
from ._descent import ToyDescent, gradient_descent
from ._model import (
    DelayedActivationToy,
    analytic_loss,
    flow_epochs,
    simulated_loss,
    simulated_loss_and_gradient,
)
from ._sweep import (
    ToyLearningRateSweep,
    default_rates,
    empirical_critical_lr,
    learning_rate_sweep,
)

#: The confidences of the paper's Fig. 8A (normalised |dL/dr| against r).
PAPER_CONFIDENCES = (0.01, 0.1, 0.5, 1.0, 2.0)


def gradient_vs_confidence(
    toy: DelayedActivationToy, r: object, confidences: tuple[float, ...] = PAPER_CONFIDENCES
) -> np.ndarray:
    """|dL/dr| of the simulated loss at each confidence, each divided by its maximum over ``r``.

    Returns
    -------
    ndarray, shape (len(confidences), len(r))
        Low confidence leaves a usable gradient inside the no-learning zone r ≤ r*/4; high
        confidence makes it vanish exponentially (the paper's Fig. 8A).

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> g = gradient_vs_confidence(toy, toy.r_star * np.array([0.125, 0.5]), (0.1, 2.0))
    >>> bool(g[0, 0] > 1e-3 and g[1, 0] < 1e-6)
    True
    """
    r = np.asarray(r, dtype=np.float64)
    shared = np.broadcast_to(r, (len(confidences), r.size))
    rows = [simulated_loss_and_gradient(replace(toy, confidence=a), row)[1] for a, row in
            zip(confidences, shared, strict=True)]
    magnitude = np.abs(np.stack(rows))
    peak = np.max(magnitude, axis=1, keepdims=True)
    return np.divide(magnitude, peak, out=np.zeros_like(magnitude), where=peak > 0)


@dataclass(frozen=True, eq=False)
class ToyReport:
    """The toy model's landscape, learning curves, learning-rate sweep and critical rates.

    Attributes
    ----------
    toy : DelayedActivationToy
    critical_lr_empirical : float
        See :func:`~bifwatch.studies.toy.empirical_critical_lr` (un-normalised loss, like ``critical_lr``).
    r : ndarray, shape (n_r,)
        The grid of the loss landscape.
    loss_analytic : ndarray, shape (n_r,)
        The sharp-limit normalised loss.
    landscape_confidences : tuple of float
    loss_simulated : ndarray, shape (len(landscape_confidences), n_r)
        The Euler-simulated normalised loss at each of those confidences.
    curves : tuple of ToyDescent
        Learning curves from r₀ = 10 r* (no noise), one per learning rate.
    sweep : ToyLearningRateSweep
    gradient_r : ndarray, shape (n_g,)
    gradient_confidences : tuple of float
    gradient_simulated : ndarray, shape (len(gradient_confidences), n_g)
        |dL/dr| divided by its maximum, per confidence (:func:`gradient_vs_confidence`).
    gradient_analytic : ndarray, shape (n_g,)
        The sharp-limit |dL/dr| divided by its supremum (just right of r*/4).
    critical_inits : int
        Initialisations per rate behind ``critical_lr_empirical`` (run for ``sweep.epochs``).
    """

    toy: DelayedActivationToy
    critical_lr_empirical: float
    r: np.ndarray
    loss_analytic: np.ndarray
    landscape_confidences: tuple[float, ...]
    loss_simulated: np.ndarray
    curves: tuple[ToyDescent, ...]
    sweep: ToyLearningRateSweep
    gradient_r: np.ndarray
    gradient_confidences: tuple[float, ...]
    gradient_simulated: np.ndarray
    gradient_analytic: np.ndarray
    critical_inits: int = 100

    @property
    def r_star(self) -> float:
        return self.toy.r_star

    @property
    def point_of_no_return(self) -> float:
        return self.toy.point_of_no_return

    @property
    def critical_lr(self) -> float:
        """3π⁴/(32T⁵), for the un-normalised loss."""
        return self.toy.critical_lr

    @property
    def critical_lr_ratio(self) -> float:
        """critical_lr_empirical / critical_lr."""
        return self.critical_lr_empirical / self.critical_lr

    def to_dict(self) -> dict:
        """JSON-ready: the closed forms, the empirical critical rate, and every curve."""
        toy = self.toy
        return {
            "T": toy.T, "dt": toy.dt, "threshold": toy.threshold, "confidence": toy.confidence,
            "lr_normalisation": "un-normalised loss L_u = dt * sum (y_hat - y)^2 (time units)",
            "r_star": self.r_star, "point_of_no_return": self.point_of_no_return,
            "gradient_at_minimum": toy.gradient_at_minimum, "critical_lr": self.critical_lr,
            "critical_lr_empirical": self.critical_lr_empirical, "critical_lr_ratio": self.critical_lr_ratio,
            "critical_lr_empirical_inits": self.critical_inits,
            "critical_lr_empirical_epochs": self.sweep.epochs,
            "loss_landscape": {"r": self.r.tolist(), "analytic": self.loss_analytic.tolist(),
                               "confidences": list(self.landscape_confidences),
                               "simulated": self.loss_simulated.tolist()},
            "learning_curves": [c.to_dict() | {"flow_epochs_to_optimum": flow_epochs(toy, c.lr)}
                                for c in self.curves],
            "sweep": self.sweep.to_dict(),
            "gradient_vs_confidence": {"r": self.gradient_r.tolist(),
                                       "confidences": list(self.gradient_confidences),
                                       "simulated": self.gradient_simulated.tolist(),
                                       "analytic": self.gradient_analytic.tolist()},
        }

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The JSON text of :meth:`to_dict` (infinities written as null); also written to ``path``."""
        data = self.to_dict()
        for curve in data["learning_curves"]:
            if not np.isfinite(curve["flow_epochs_to_optimum"]):
                curve["flow_epochs_to_optimum"] = None
        return write_json(data, path, indent=1)

    def summary(self) -> str:
        """A few readable lines: the closed forms, both critical rates, the learning curves."""
        toy, sweep = self.toy, self.sweep
        lines = [
            "saddle-node toy dx/dt = r + x^2 on the delayed-activation task",
            f"T = {toy.T:g}, dt = {toy.dt:g}, threshold x* = {toy.threshold:g}, "
            f"confidence a = {toy.confidence:g}",
            f"optimum r*                  {self.r_star:.4e}   (pi^2 / 4T^2)",
            f"point of no return r*/4     {self.point_of_no_return:.4e}   (loss flat at and below)",
            f"|dL_u/dr| at the minimum    {toy.gradient_at_minimum:.4e}   (2T^3 / pi^2: oscillatory minimum)",
            f"critical lr (analytic)      {self.critical_lr:.4e}   (3 pi^4 / 32T^5, un-normalised loss)",
            f"critical lr (empirical)     {self.critical_lr_empirical:.4e}   "
            f"(ratio {self.critical_lr_ratio:.4f}: smallest rate with >= half of {self.critical_inits} "
            f"runs stuck after {sweep.epochs} epochs)",
            f"sweep: {sweep.rates.size} rates in [{sweep.rates[0]:.3g}, {sweep.rates[-1]:.3g}], "
            f"{sweep.inits} initialisations, {sweep.epochs} epochs; smallest swept rate with >= half "
            f"stuck: {sweep.critical_rate:.4g}",
        ]
        for curve in self.curves:
            hit = curve.epochs_to_optimum[0]
            fate = "stuck in the no-learning zone" if curve.stuck[0] else (
                f"final loss {curve.final_loss[0]:.3g}")
            reach = f"reaches r* at epoch {int(hit)}" if np.isfinite(hit) else "never reaches r*"
            lines.append(f"lr = {curve.lr:.3g}: {reach} (gradient flow: "
                         f"{flow_epochs(toy, curve.lr):.0f}), {fate}")
        return "\n".join(lines)

    def plot(self, axes=None):
        """The paper's panels (see :func:`bifwatch.plotting.plot_ghost_toy`); returns the Axes."""
        from ...plotting import plot_ghost_toy

        return plot_ghost_toy(self, axes)


def report(
    toy: DelayedActivationToy,
    *,
    epochs: int = 10_000,
    inits: int = 10,
    n_rates: int = 100,
    seed: int = 0,
    curve_epochs: int = 3000,
    curve_rates: tuple[float, float] | None = None,
    critical_inits: int = 100,
    confidences: tuple[float, ...] = PAPER_CONFIDENCES,
) -> ToyReport:
    """Compute the toy model's analytic and simulated landscape, learning curves and sweep.

    Parameters
    ----------
    toy : DelayedActivationToy
    epochs, inits, n_rates, seed : int
        The learning-rate sweep: ``n_rates`` rates of :func:`~bifwatch.studies.toy.default_rates`,
        ``inits`` initialisations each, ``epochs`` epochs.
    curve_epochs : int
        Epochs of the two learning curves.
    curve_rates : (float, float), optional
        Their learning rates; default (10⁻¹⁰, 10⁻⁹)·(100/T)⁵, i.e. 0.11 α_c and 1.1 α_c.
    critical_inits : int
        Initialisations per rate for :func:`~bifwatch.studies.toy.empirical_critical_lr` (same epochs).
    confidences : tuple of float
        Confidences of the |dL/dr| curves (the paper's Fig. 8A).

    Examples
    --------
    >>> report = report(DelayedActivationToy(T=100.0), epochs=2000, inits=4, n_rates=10,
    ...                           curve_epochs=100, critical_inits=10, confidences=(1.0,))
    >>> data = report.to_dict()
    >>> f"{data['r_star']:.4e} {data['critical_lr']:.3e}", 0.95 < data["critical_lr_ratio"] < 1.1
    ('2.4674e-04 9.132e-10', True)
    """
    epochs, inits = check_int("epochs", epochs, minimum=1), check_int("inits", inits, minimum=1)
    scale = (100.0 / toy.T) ** 5
    curve_rates = (1e-10 * scale, 1e-9 * scale) if curve_rates is None else tuple(curve_rates)
    confidences = tuple(float(a) for a in confidences)
    r = toy.r_star * np.linspace(-1.0, 3.0, 401)
    landscape_confidences = tuple(dict.fromkeys((toy.confidence, 0.1)))
    gradient_r = toy.r_star * np.linspace(0.0, 3.0, 301)[1:]
    sharp = np.where(gradient_r > toy.point_of_no_return, (toy.point_of_no_return / gradient_r) ** 1.5, 0.0)
    return ToyReport(
        toy=toy,
        critical_lr_empirical=empirical_critical_lr(toy, epochs=epochs, inits=critical_inits, seed=seed),
        r=r,
        loss_analytic=analytic_loss(toy, r),
        landscape_confidences=landscape_confidences,
        loss_simulated=np.stack([simulated_loss(replace(toy, confidence=a), r)
                                 for a in landscape_confidences]),
        curves=tuple(gradient_descent(toy, lr, epochs=curve_epochs, noise=0.0) for lr in curve_rates),
        sweep=learning_rate_sweep(
            toy, default_rates(toy, n_rates), epochs=epochs, inits=inits, seed=seed
        ),
        gradient_r=gradient_r,
        gradient_confidences=confidences,
        gradient_simulated=gradient_vs_confidence(toy, gradient_r, confidences),
        gradient_analytic=sharp,
        critical_inits=critical_inits,
    )
