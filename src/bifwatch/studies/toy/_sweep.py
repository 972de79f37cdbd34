"""Learning-rate sweeps of gradient descent on r, and the empirical critical learning rate.

Learning rates refer to the **un-normalised** loss L_u (time units); losses are normalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._validation import check_int
from ._descent import _check_rates, _descend, initial_values
from ._model import DelayedActivationToy

#: Epochs at which the paper's sweep reports the loss (those ≤ ``epochs`` are used).
PAPER_CHECKPOINTS = (1000, 2000, 3000, 5000, 10_000)


def default_rates(toy: DelayedActivationToy, n: int = 100) -> np.ndarray:
    """The paper's grid logspace(−11, −8, n) at T = 100, scaled by (100/T)⁵ to follow α_c ∝ T⁻⁵.

    Examples
    --------
    >>> default_rates(DelayedActivationToy(T=100.0), 4).tolist()
    [1e-11, 1e-10, 1e-09, 1e-08]
    """
    n = check_int("n", n, minimum=2)
    return np.logspace(-11.0, -8.0, n) * (100.0 / toy.T) ** 5


@dataclass(frozen=True, eq=False)
class ToyLearningRateSweep:
    """Final states of gradient descent on r for every (learning rate, initialisation).

    Attributes
    ----------
    toy : DelayedActivationToy
    rates : ndarray, shape (n,)
        The learning rates (un-normalised loss L_u), increasing.
    epochs, inits, seed : int
    checkpoints : tuple of int
        The epochs at which ``loss`` was recorded (the last is ``epochs``).
    loss : ndarray, shape (len(checkpoints), n, inits)
        The normalised loss at each checkpoint.
    final_r : ndarray, shape (n, inits)
        r after the last epoch.
    gradient : str
        ``"analytic"`` or ``"simulated"``.
    """

    toy: DelayedActivationToy
    rates: np.ndarray
    epochs: int
    inits: int
    seed: int
    checkpoints: tuple[int, ...]
    loss: np.ndarray
    final_r: np.ndarray
    gradient: str = "analytic"

    @property
    def stuck(self) -> np.ndarray:
        """bool (n, inits): the run ended in the no-learning zone r ≤ r*/4."""
        return self.final_r <= self.toy.point_of_no_return

    @property
    def stuck_fraction(self) -> np.ndarray:
        """(n,): the fraction of initialisations that ended in the no-learning zone."""
        return self.stuck.mean(axis=1)

    @property
    def loss_mean(self) -> np.ndarray:
        """(len(checkpoints), n): the mean normalised loss over initialisations."""
        return self.loss.mean(axis=2)

    @property
    def loss_sem(self) -> np.ndarray:
        """(len(checkpoints), n): its standard error, std(ddof=1)/√inits (0 for one initialisation)."""
        if self.inits < 2:
            return np.zeros(self.loss.shape[:2])
        return self.loss.std(axis=2, ddof=1) / np.sqrt(self.inits)

    @property
    def critical_rate(self) -> float:
        """The smallest swept rate at which at least half the runs end stuck (NaN if none)."""
        hits = np.flatnonzero(self.stuck_fraction >= 0.5)
        return float(self.rates[hits[0]]) if hits.size else float("nan")

    def to_dict(self) -> dict:
        """JSON-ready: rates, stuck fractions, and the loss mean and SEM at each checkpoint."""
        return {
            "rates": self.rates.tolist(), "epochs": self.epochs, "inits": self.inits, "seed": self.seed,
            "gradient": self.gradient, "stuck_fraction": self.stuck_fraction.tolist(),
            "final_loss_mean": self.loss_mean[-1].tolist(), "final_loss_sem": self.loss_sem[-1].tolist(),
            "checkpoints": list(self.checkpoints), "loss_mean": self.loss_mean.tolist(),
            "loss_sem": self.loss_sem.tolist(),
        }


def learning_rate_sweep(
    toy: DelayedActivationToy,
    rates: object | None = None,
    *,
    epochs: int = 10_000,
    inits: int = 10,
    seed: int = 0,
    noise: float = 0.1,
    checkpoints: tuple[int, ...] | None = None,
    gradient: str = "analytic",
) -> ToyLearningRateSweep:
    """Gradient descent on r for every rate × initialisation at once (the paper's Fig. 2 sweep).

    Parameters
    ----------
    toy : DelayedActivationToy
    rates : array_like, shape (n,), optional
        Learning rates for the un-normalised loss L_u; default :func:`default_rates` (100 rates).
    epochs, inits, seed, noise :
        As in :func:`~bifwatch.studies.toy.gradient_descent`; every rate starts from the same ``inits``
        initial values (common random numbers), so rates differ only by the rate.
    checkpoints : tuple of int, optional
        Epochs at which to record the loss; default those of (1000, 2000, 3000, 5000, 10000)
        below ``epochs``, and ``epochs`` itself (always added).
    gradient : {"analytic", "simulated"}
        See :func:`~bifwatch.studies.toy.gradient_descent` (the simulated gradient is very slow here).

    Performance notes
    -----------------
    O(epochs · n · inits) with the analytic gradient: 100 rates × 10 initialisations × 10⁴
    epochs take about a second.

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> sweep = learning_rate_sweep(toy, [1e-10, 2e-9], epochs=3000, inits=4)
    >>> sweep.stuck_fraction.tolist(), bool(sweep.loss_mean[-1, 0] < 0.05)
    ([0.0, 1.0], True)
    """
    rates = np.sort(_check_rates(default_rates(toy) if rates is None else rates, "rates"))
    epochs = check_int("epochs", epochs, minimum=1)
    checkpoints = _checkpoints(checkpoints, epochs)
    r0 = initial_values(toy, inits, seed=seed, noise=noise)
    r = np.broadcast_to(r0, (rates.size, r0.size))
    snapshots, loss = _descend(toy, rates[:, None], r, epochs, gradient=gradient, record=checkpoints)
    return ToyLearningRateSweep(
        toy=toy, rates=rates, epochs=epochs, inits=r0.size, seed=seed, checkpoints=checkpoints,
        loss=loss, final_r=snapshots[-1], gradient=gradient,
    )


def empirical_critical_lr(
    toy: DelayedActivationToy,
    *,
    rates: object | None = None,
    epochs: int = 10_000,
    inits: int = 100,
    seed: int = 0,
    noise: float = 0.1,
    rounds: int = 2,
    points: int = 16,
) -> float:
    """The smallest learning rate at which at least half the runs end in the no-learning zone.

    Parameters
    ----------
    toy : DelayedActivationToy
    rates : array_like, optional
        The coarse grid that brackets the rate; default :func:`default_rates` with 31 rates.
    epochs, inits, seed, noise :
        As in :func:`learning_rate_sweep`: each rate is run from the same ``inits`` starts.
    rounds, points : int
        Refinement: ``rounds`` times, the bracket [α_lo, α_hi] (α_lo: fewer than half stuck,
        α_hi: at least half) is cut at ``points`` log-spaced rates and shrunk to the crossing.

    Returns
    -------
    float
        α_hi after refinement, for the un-normalised loss L_u. Relative bracket width about
        (grid step)/(points + 1)^rounds.

    Raises
    ------
    ValueError
        If the grid does not bracket the crossing (widen ``rates``).

    Notes
    -----
    Below α_c = 3π⁴/(32T⁵) no run can get stuck: from r > r* a step moves r by at most
    α·2T³/π² < 3r*/4. Just above α_c only starts whose oscillation happens to land close
    enough to r* get stuck, so the empirical rate lies slightly above α_c (about 1–2 % with
    10⁴ epochs; longer runs move it towards α_c).

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> rate = empirical_critical_lr(toy, epochs=3000, inits=20, rounds=1, points=8)
    >>> bool(0.98 < rate / toy.critical_lr < 1.1)
    True
    """
    grid = np.sort(_check_rates(default_rates(toy, 31) if rates is None else rates, "rates"))
    rounds, points = check_int("rounds", rounds, minimum=0), check_int("points", points, minimum=1)
    r0 = initial_values(toy, inits, seed=seed, noise=noise)
    epochs = check_int("epochs", epochs, minimum=1)
    fraction = _stuck_fraction(toy, grid, r0, epochs)
    first = np.flatnonzero(fraction >= 0.5)
    if first.size == 0 or first[0] == 0:
        where = "none" if first.size == 0 else "already the smallest"
        raise ValueError(
            f"`rates` must bracket the critical learning rate: at least half the runs are stuck at "
            f"{where} of the rates {grid[0]:.3g} … {grid[-1]:.3g}; widen the range"
        )
    low, high = grid[first[0] - 1], grid[first[0]]
    for _ in range(rounds):
        inner = np.geomspace(low, high, points + 2)[1:-1]
        hits = _stuck_fraction(toy, inner, r0, epochs) >= 0.5
        j = int(np.argmax(hits)) if hits.any() else points
        low, high = (inner[j - 1] if j > 0 else low), (inner[j] if j < points else high)
    return float(high)


def _stuck_fraction(toy, rates: np.ndarray, r0: np.ndarray, epochs: int) -> np.ndarray:
    r = np.broadcast_to(r0, (rates.size, r0.size))
    final = _descend(toy, rates[:, None], r, epochs, gradient="analytic", record=(epochs,))[0][-1]
    return (final <= toy.point_of_no_return).mean(axis=1)


def _checkpoints(checkpoints, epochs: int) -> tuple[int, ...]:
    if checkpoints is None:
        checkpoints = [c for c in PAPER_CHECKPOINTS if c < epochs]
    values = sorted({check_int("checkpoints", c, minimum=0) for c in checkpoints} | {epochs})
    if values[-1] > epochs:
        raise ValueError(f"`checkpoints` must lie in [0, epochs = {epochs}]; got {values[-1]}")
    return tuple(values)
