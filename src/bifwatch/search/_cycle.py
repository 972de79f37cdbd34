"""The cycle noun: points in orbit order, regions, multipliers, and what follows from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import AbstractPLRNN

#: Multipliers within this distance of the unit circle make a cycle non-hyperbolic.
HYPERBOLIC_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Cycle:
    """A k-cycle z_1 -> z_2 -> ... -> z_k -> z_1 of a piecewise-linear map.

    Attributes
    ----------
    points : array, shape (k, M)
        The cycle in orbit order, z_{j+1} = F(z_j); rotated so the first point is the
        lexicographically smallest.
    regions : bool array, shape (k, n_bits)
        Region code of each point.
    multipliers : complex array, shape (M,)
        Eigenvalues of the monodromy matrix J(d_k) ... J(d_1) (independent of the phase).
    residual : float
        max_j |F(z_j) - z_{j+1}|_inf with the true map (indices mod k).
    condition : float
        Normwise condition number of the cycle's linear system (I - P) z = q under
        perturbations of the monodromy matrix P = J(d_k)...J(d_1):
        (1 + |P|) |(I - P)^{-1}| in the 2-norm. It is infinite where a multiplier is exactly 1.
    amplification : float
        1 + sum_j |J(d_k)...J(d_{j+1})|_inf: how much the map amplifies a rounding error made
        along the cycle; the residual is at round-off level when it is below about
        eps * amplification * |z|.

    Notes
    -----
    ``stable`` means all |multiplier| < 1. A cycle with a multiplier within
    ``HYPERBOLIC_TOL`` of the unit circle is non-hyperbolic: ``stable`` is then still the strict
    test, and ``hyperbolic`` is False. The largest Lyapunov exponent of a cycle is
    (1/k) log max |multiplier| (``-inf`` for a superstable cycle with all multipliers 0).
    """

    points: np.ndarray
    regions: np.ndarray
    multipliers: np.ndarray
    residual: float
    condition: float
    amplification: float = 1.0

    @property
    def order(self) -> int:
        """Least period k."""
        return self.points.shape[0]

    @property
    def spectral_radius(self) -> float:
        """max |multiplier|."""
        return float(np.max(np.abs(self.multipliers)))

    @property
    def stable(self) -> bool:
        """True when every |multiplier| < 1."""
        return bool(np.all(np.abs(self.multipliers) < 1.0))

    @property
    def hyperbolic(self) -> bool:
        """False when a multiplier lies within ``HYPERBOLIC_TOL`` of the unit circle."""
        return bool(np.all(np.abs(np.abs(self.multipliers) - 1.0) > HYPERBOLIC_TOL))

    @property
    def lyapunov_exponent(self) -> float:
        """Largest Lyapunov exponent, (1/k) log max |multiplier|."""
        radius = self.spectral_radius
        return float(np.log(radius) / self.order) if radius > 0 else float("-inf")

    @property
    def classification(self) -> str:
        """``"<stable|unstable|saddle|non-hyperbolic> <node|focus>"``.

        Saddle: some multipliers inside and some outside the unit circle. Focus: a complex
        pair of multipliers (rotation), node otherwise.
        """
        return classify(self.multipliers)

    def to_dict(self) -> dict:
        """JSON-ready dict: order, points, regions, multipliers [re, im], stability, ..."""
        exponent = self.lyapunov_exponent
        return {
            "order": self.order,
            "points": self.points.tolist(),
            "regions": ["".join("1" if b else "0" for b in code) for code in self.regions],
            "multipliers": [[float(m.real), float(m.imag)] for m in self.multipliers],
            "stable": self.stable,
            "hyperbolic": self.hyperbolic,
            "classification": self.classification,
            "lyapunov_exponent": exponent if np.isfinite(exponent) else None,
            "residual": self.residual,
            "condition": self.condition,
        }

    def __repr__(self) -> str:
        return (
            f"Cycle(order={self.order}, {self.classification}, "
            f"rho={self.spectral_radius:.4g}, z1={np.array2string(self.points[0], precision=4)})"
        )


def system_condition(P: np.ndarray) -> np.ndarray:
    """(1 + |P|) / s_min(I - P) for each matrix of a batch P, shape (B, M, M) -> (B,).

    The relative sensitivity of z = (I - P)^{-1} q to rounding in P: unlike cond(I - P) it
    also sees a scalar system 1 - P with P within rounding of 1. Non-finite P gives inf.

    Examples
    --------
    >>> system_condition(np.array([[[0.5]]])).tolist()
    [3.0]
    """
    finite = np.isfinite(P).all(axis=(1, 2))
    out = np.full(P.shape[0], np.inf)
    if finite.any():
        Pf = P[finite]
        s_min = np.linalg.svd(np.eye(P.shape[-1]) - Pf, compute_uv=False)[:, -1]
        s_max = np.linalg.svd(Pf, compute_uv=False)[:, 0]
        with np.errstate(divide="ignore"):
            out[finite] = (1.0 + s_max) / s_min
    return out


def classify(multipliers: np.ndarray) -> str:
    """Stability label of a cycle from its multipliers: ``"<stable|unstable|saddle|non-hyperbolic>
    <node|focus>"`` (see :attr:`Cycle.classification`).

    Examples
    --------
    >>> classify(np.array([0.5 + 0.5j, 0.5 - 0.5j]))
    'stable focus'
    """
    moduli = np.abs(multipliers)
    if np.any(np.abs(moduli - 1.0) <= HYPERBOLIC_TOL):
        kind = "non-hyperbolic"
    elif np.all(moduli < 1):
        kind = "stable"
    elif np.all(moduli > 1):
        kind = "unstable"
    else:
        kind = "saddle"
    focus = np.any(np.abs(multipliers.imag) > HYPERBOLIC_TOL * (1 + moduli))
    return f"{kind} {'focus' if focus else 'node'}"


def cycle_from_point(model: AbstractPLRNN, z1: np.ndarray, k: int) -> Cycle:
    """Build the :class:`Cycle` through ``z1`` of period ``k`` from the true map.

    Everything is recomputed from the point: the orbit, its regions, the monodromy matrix,
    multipliers, residual and condition number. The caller has checked that ``z1`` is a
    self-consistent solution of the order-k system.
    """
    orbit = model.trajectory(z1, k)
    points, closing = orbit[:-1], orbit[-1]
    regions = model.region(points)
    J, _ = model.affine_map(regions)
    P = np.eye(model.M)
    for Jj in J:
        P = Jj @ P
    tail, amplification = np.eye(model.M), 1.0
    for Jj in J[::-1]:  # tail = J_k ... J_{j+1}
        amplification += np.abs(tail).sum(axis=1).max()
        tail = tail @ Jj
    step_errors = np.abs(np.vstack([points[1:], closing]) - model.step(points))
    start = _lexicographic_start(points)
    return Cycle(
        points=np.roll(points, -start, axis=0),
        regions=np.roll(regions, -start, axis=0),
        multipliers=np.linalg.eigvals(P).astype(np.complex128),
        residual=float(max(step_errors.max(), np.abs(closing - points[0]).max())),
        condition=float(system_condition(P[None])[0]),
        amplification=float(amplification),
    )


def least_period(points: np.ndarray, atol: float) -> int:
    """Smallest proper divisor j of k with z_{1+j} = z_1 (within ``atol`` scaled), else k."""
    k = points.shape[0]
    scale = atol * (1.0 + np.abs(points).max())
    for j in range(1, k):
        if k % j == 0 and np.abs(points[j] - points[0]).max() <= scale:
            return j
    return k


def _lexicographic_start(points: np.ndarray) -> int:
    keys = np.round(points, 9)
    return int(np.lexsort(keys.T[::-1])[0])


def same_orbit(a: np.ndarray, b: np.ndarray, *, atol: float = 1e-8) -> bool:
    """Whether two k-cycles given by their points, shape (k, M), are the same orbit in any phase.

    Every point of ``b`` must lie within ``atol * (1 + max |z|)`` of the matching point of some
    rotation of ``a`` (a relative tolerance, so large cycles compare like small ones).

    Examples
    --------
    >>> a = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> same_orbit(a, a[::-1]), same_orbit(a, a + 1e-6), same_orbit(a, a[:1])
    (True, False, False)
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    scale = atol * (1.0 + max(np.abs(a).max(), np.abs(b).max()))
    return any(np.abs(np.roll(a, -r, axis=0) - b).max() <= scale for r in range(a.shape[0]))


def same_cycle(a: Cycle, b: Cycle, *, atol: float = 1e-8) -> bool:
    """True when ``a`` and ``b`` are the same cycle (same order, same point set within ``atol``).

    Phase does not matter: ``b`` is compared against every rotation of ``a`` (:func:`same_orbit`).
    """
    return a.order == b.order and same_orbit(a.points, b.points, atol=atol)
