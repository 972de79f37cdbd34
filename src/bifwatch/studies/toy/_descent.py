"""Gradient descent on r in the saddle-node toy model, learning-rate sweeps and the critical rate.

Every learning rate α here multiplies dL_u/dr, the gradient of the **un-normalised** loss
L_u = ∫₀^{2T} (ŷ − y)² dt (time units), as in the paper's code; recorded losses are the
normalised L = L_u/T ∈ [0, 1]. Runs are vectorised over initialisations (and rates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._validation import check_int, to_numpy
from ._model import DelayedActivationToy, analytic_loss, simulated_loss, simulated_loss_and_gradient

#: Where the gradient comes from: the sharp-limit formula (the paper's choice) or the exact
#: derivative of the Euler simulation at the toy's finite confidence (slow: one simulation per epoch).
GRADIENTS = ("analytic", "simulated")


def initial_values(
    toy: DelayedActivationToy, inits: int, *, seed: int = 0, noise: float = 0.1
) -> np.ndarray:
    """The paper's starting points r₀ = 10 r* + N(0, (noise · r*)²), shape (inits,).

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> r0 = initial_values(toy, 3, seed=1)
    >>> r0.shape, bool(np.all(np.abs(r0 / toy.r_star - 10) < 0.5))
    ((3,), True)
    >>> initial_values(toy, 2, noise=0.0).tolist() == [10 * toy.r_star] * 2
    True
    """
    inits = check_int("inits", inits, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    noise = float(to_numpy("noise", noise))
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"`noise` must be a finite number >= 0 (in units of r*); got {noise}")
    rng = np.random.default_rng(seed)
    return 10.0 * toy.r_star + rng.normal(0.0, noise * toy.r_star, size=inits)


@dataclass(frozen=True, eq=False)
class ToyDescent:
    """Gradient descent on r from several initialisations: the whole trajectory.

    Attributes
    ----------
    toy : DelayedActivationToy
    lr : float
        The learning rate (un-normalised loss L_u).
    gradient : str
        ``"analytic"`` or ``"simulated"``.
    r : ndarray, shape (epochs + 1, inits)
        r at every epoch (row 0: the initial values).
    loss : ndarray, shape (epochs + 1, inits)
        The normalised loss L = L_u/T at every epoch (analytic or simulated, like the gradient).
    """

    toy: DelayedActivationToy
    lr: float
    gradient: str
    r: np.ndarray
    loss: np.ndarray

    @property
    def epochs(self) -> int:
        return self.r.shape[0] - 1

    @property
    def inits(self) -> int:
        return self.r.shape[1]

    @property
    def stuck(self) -> np.ndarray:
        """bool (inits,): the run ended in the no-learning zone r ≤ r*/4."""
        return self.r[-1] <= self.toy.point_of_no_return

    @property
    def final_loss(self) -> np.ndarray:
        """(inits,): the normalised loss after the last epoch."""
        return self.loss[-1]

    @property
    def epochs_to_optimum(self) -> np.ndarray:
        """(inits,): the first epoch at which r has crossed r* (from either side); NaN if never."""
        side = np.sign(self.r - self.toy.r_star)
        crossed = (side != side[0]) | (side == 0)
        return np.where(crossed.any(axis=0), np.argmax(crossed, axis=0), np.nan)

    def to_dict(self) -> dict:
        """JSON-ready: lr, gradient, and r and loss per epoch (one list per initialisation)."""
        return {"lr": self.lr, "gradient": self.gradient, "epochs": self.epochs,
                "r": self.r.T.tolist(), "loss": self.loss.T.tolist(),
                "stuck": self.stuck.tolist()}


def gradient_descent(
    toy: DelayedActivationToy,
    lr: float,
    *,
    epochs: int = 3000,
    inits: int = 1,
    seed: int = 0,
    noise: float = 0.1,
    r0: object | None = None,
    gradient: str = "analytic",
) -> ToyDescent:
    """Run r ← r − lr · dL_u/dr for ``epochs`` epochs from ``inits`` starting points at once.

    Parameters
    ----------
    toy : DelayedActivationToy
    lr : float
        The learning rate, for the un-normalised loss L_u; > 0. α_c = ``toy.critical_lr``.
    epochs, inits : int
        Epochs (≥ 1) and initialisations (≥ 1).
    seed : int
        Seed of the initial values (see :func:`initial_values`).
    noise : float, default 0.1
        Standard deviation of the initial values around 10 r*, in units of r*; 0 for the
        paper's deterministic start r₀ = 10 r*.
    r0 : array_like, shape (inits,), optional
        Explicit initial values (then ``inits``, ``seed`` and ``noise`` are ignored).
    gradient : {"analytic", "simulated"}
        The sharp-limit gradient (zero in the no-learning zone, the paper's choice) or the
        exact gradient of the Euler simulation at ``toy.confidence``, which costs one
        simulation of 2T/dt steps per epoch.

    Examples
    --------
    >>> toy = DelayedActivationToy(T=100.0)
    >>> good = gradient_descent(toy, 1e-10, noise=0.0)
    >>> bad = gradient_descent(toy, 1e-9, noise=0.0)
    >>> int(good.epochs_to_optimum[0]), bool(good.stuck[0]), bool(bad.stuck[0])
    (1538, False, True)
    """
    lr = _check_rates(np.array([lr]), "lr")[0]
    start = initial_values(toy, inits, seed=seed, noise=noise) if r0 is None else _check_r0(r0)
    epochs = check_int("epochs", epochs, minimum=1)
    rs, losses = _descend(toy, lr, start, epochs, gradient=gradient, record=range(epochs + 1))
    return ToyDescent(toy=toy, lr=float(lr), gradient=gradient, r=rs, loss=losses)


def _descend(toy, lr, r, epochs: int, *, gradient: str, record) -> tuple[np.ndarray, np.ndarray]:
    """Descend from ``r`` (lr broadcast against it); r and normalised loss at the epochs in ``record``."""
    if gradient not in GRADIENTS:
        raise ValueError(f"`gradient` must be one of {GRADIENTS}; got {gradient!r}")
    record = set(record)
    snapshots = [r] if 0 in record else []
    pnr, r_star = toy.point_of_no_return, toy.r_star
    for epoch in range(1, epochs + 1):
        if gradient == "analytic":
            m = np.maximum(r, pnr)
            slope = np.where(r > pnr, np.sign(r - r_star) * (math.pi / 4.0), 0.0) / (m * np.sqrt(m))
        else:
            slope = simulated_loss_and_gradient(toy, r, normalised=False)[1]
        r = r - lr * slope
        if epoch in record:
            snapshots.append(r)
    rs = np.stack(snapshots)
    loss = analytic_loss(toy, rs) if gradient == "analytic" else simulated_loss(toy, rs)
    return rs, loss


def _check_rates(rates: object, name: str) -> np.ndarray:
    rates = np.atleast_1d(to_numpy(name, rates))
    if rates.ndim != 1 or rates.size == 0:
        raise ValueError(
            f"`{name}` must be a non-empty 1-D array of learning rates; got shape {rates.shape}"
        )
    bad = ~(np.isfinite(rates) & (rates > 0))
    if bad.any():
        raise ValueError(f"`{name}` must be finite and > 0; got {rates[bad][:3].tolist()}")
    return rates


def _check_r0(r0: object) -> np.ndarray:
    r0 = np.atleast_1d(to_numpy("r0", r0))
    if r0.ndim != 1 or r0.size == 0 or not np.all(np.isfinite(r0)):
        raise ValueError(f"`r0` must be a non-empty 1-D array of finite values; got shape {r0.shape}")
    return r0
