"""Fixed points and slow points (ghosts) of a map or a flow, and how they match across checkpoints.

A slow point is a local minimum of the speed

    q(x) = 1/2 |F(x) - x|^2      (a map x -> F(x), discrete time)
    q(x) = 1/2 |f(x)|^2          (a flow dx/dt = f(x), continuous time)

with q = 0 at a fixed point and q > 0 at a slow point. A slow point next to a saddle-node pair
that has just been annihilated is a *ghost*: trajectories pass it slowly, and its Jacobian has
one eigenvalue near 1 (map) or 0 (flow).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .._format import fmt, positive_zeros
from .._json import write_json

TIMES = ("discrete", "continuous")
KINDS = ("fixed", "slow")


@dataclass(frozen=True, eq=False)
class SlowPoints:
    """Fixed points and slow points found by minimising the speed q.

    Attributes
    ----------
    points : ndarray, shape (n, M)
        The points, sorted by q (fixed points first).
    q : ndarray, shape (n,)
        The speed at each point: 1/2 |F(x) - x|^2 (map) or 1/2 |f(x)|^2 (flow).
    kind : ndarray of str, shape (n,)
        ``"fixed"`` where q <= ``q_fixed``, ``"slow"`` otherwise.
    jacobians : ndarray, shape (n, M, M)
        dF/dx (map) or df/dx (flow) at each point.
    eigenvalues : ndarray of complex, shape (n, M)
        Of each Jacobian; sorted by decreasing modulus (map) or decreasing real part (flow).
    time : str
        ``"discrete"`` (a map) or ``"continuous"`` (a flow).
    q_fixed : float
        The threshold separating fixed points from slow points.
    regions : ndarray of bool, shape (n, n_bits), optional
        The linear region of each point (exact piecewise-linear search only).
    message : str
        How the search went (converged starts, iterations, what was dropped).

    Examples
    --------
    >>> import numpy as np
    >>> sp = SlowPoints.build(np.array([[0.0], [1.0]]), q=np.array([0.0, 0.1]),
    ...                       jacobians=np.array([[[0.5]], [[1.0]]]), time="discrete")
    >>> sp.kind.tolist(), sp.stable.tolist()
    (['fixed', 'slow'], [True, False])
    """

    points: np.ndarray
    q: np.ndarray
    kind: np.ndarray
    jacobians: np.ndarray
    eigenvalues: np.ndarray
    time: str
    q_fixed: float
    regions: np.ndarray | None = None
    message: str = ""

    def __post_init__(self) -> None:
        n = self.points.shape[0]
        if self.time not in TIMES:
            raise ValueError(f"`time` must be one of {TIMES}; got {self.time!r}")
        shapes = {"q": (n,), "kind": (n,), "jacobians": (n, self.M, self.M), "eigenvalues": (n, self.M)}
        for name, shape in shapes.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"`{name}` must have shape {shape}; got {getattr(self, name).shape}")

    @classmethod
    def build(
        cls,
        points: np.ndarray,
        *,
        q: np.ndarray,
        jacobians: np.ndarray,
        time: str,
        q_fixed: float = 1e-12,
        regions: np.ndarray | None = None,
        message: str = "",
    ) -> SlowPoints:
        """Label, sort (fixed first, then by q) and attach the eigenvalues of the Jacobians."""
        q = np.asarray(q, dtype=np.float64).reshape(-1)
        points = np.asarray(points, dtype=np.float64)
        points = points.reshape(len(q), 1) if points.ndim == 1 else points
        M = points.shape[1]
        jacobians = np.asarray(jacobians, dtype=np.float64).reshape(len(q), M, M)
        order = np.argsort(q, kind="stable")
        eigenvalues = np.linalg.eigvals(jacobians[order]) if len(q) else np.zeros((0, M), complex)
        key = np.abs(eigenvalues) if time == "discrete" else eigenvalues.real
        eigenvalues = np.take_along_axis(eigenvalues, np.argsort(-key, axis=1, kind="stable"), axis=1)
        return cls(
            points=points[order],
            q=q[order],
            kind=np.where(q[order] <= q_fixed, "fixed", "slow").astype("<U5"),
            jacobians=jacobians[order],
            eigenvalues=eigenvalues.astype(complex),
            time=time,
            q_fixed=float(q_fixed),
            regions=None if regions is None else np.asarray(regions, dtype=bool)[order],
            message=message,
        )

    @property
    def M(self) -> int:
        """State dimension."""
        return self.points.shape[1]

    def __len__(self) -> int:
        return self.points.shape[0]

    @property
    def stable(self) -> np.ndarray:
        """Linear stability at each point: all |eigenvalue| < 1 (map) or all Re < 0 (flow).

        For a slow point this describes the linearisation only: the point itself is not invariant.
        """
        if self.time == "discrete":
            return np.all(np.abs(self.eigenvalues) < 1.0, axis=1)
        return np.all(self.eigenvalues.real < 0.0, axis=1)

    @property
    def fixed(self) -> SlowPoints:
        """The fixed points only (q <= q_fixed)."""
        return self.select(self.kind == "fixed")

    @property
    def slow(self) -> SlowPoints:
        """The slow points only (local minima of q above q_fixed): the ghost candidates."""
        return self.select(self.kind == "slow")

    def select(self, mask: np.ndarray) -> SlowPoints:
        """The points where ``mask`` (bool (n,) or integer indices) selects."""
        return SlowPoints(
            points=self.points[mask], q=self.q[mask], kind=self.kind[mask], jacobians=self.jacobians[mask],
            eigenvalues=self.eigenvalues[mask], time=self.time, q_fixed=self.q_fixed,
            regions=None if self.regions is None else self.regions[mask], message=self.message,
        )

    def match(self, other: SlowPoints, *, tol: float = 1e-2) -> Matching:
        """Pair these points with ``other``'s (e.g. the next checkpoint's) by nearest distance.

        The assignment minimises the total distance (Hungarian algorithm); pairs farther apart
        than ``tol`` * (1 + |x|) are not matched. A fixed point matched to a slow point (or the
        reverse) marks a saddle-node-like change; unmatched points appeared or vanished.
        """
        from scipy.optimize import linear_sum_assignment

        if other.M != self.M:
            raise ValueError(f"`other` must have the same dimension M = {self.M}; got M = {other.M}")
        if not (np.isfinite(tol) and tol > 0):
            raise ValueError(f"`tol` must be a finite number > 0; got {tol}")
        pairs: list[tuple[int, int]] = []
        if len(self) and len(other):
            dist = np.linalg.norm(self.points[:, None, :] - other.points[None, :, :], axis=-1)
            scale = 1.0 + np.linalg.norm(self.points, axis=1)[:, None]
            cost = np.where(dist <= tol * scale, dist, 1e300)
            rows, cols = linear_sum_assignment(cost)
            pairs = [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if cost[i, j] < 1e300]
        return Matching(
            pairs=tuple(pairs),
            vanished=tuple(sorted(set(range(len(self))) - {i for i, _ in pairs})),
            appeared=tuple(sorted(set(range(len(other))) - {j for _, j in pairs})),
        )

    def to_dict(self) -> dict:
        """JSON-ready dict: one entry per point, plus ``time``, ``q_fixed`` and ``message``."""
        rows = []
        for i in range(len(self)):
            row = {
                "point": self.points[i].tolist(),
                "q": float(self.q[i]),
                "kind": str(self.kind[i]),
                "stable": bool(self.stable[i]),
                "eigenvalues": [[float(e.real), float(e.imag)] for e in self.eigenvalues[i]],
            }
            if self.regions is not None:
                row["region"] = self.regions[i].astype(int).tolist()
            rows.append(row)
        return {"time": self.time, "q_fixed": self.q_fixed, "message": self.message, "points": rows}

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The JSON text of :meth:`to_dict`; also written to ``path`` when given."""
        return write_json(self.to_dict(), path, indent=2)

    def table(self) -> str:
        """One row per point: kind, q, stability, leading eigenvalue, the point."""
        head = f"{'#':>3} {'kind':<6} {'q':>10} {'stable':<7} {'leading eigenvalue':<22} point"
        rows = [head, "-" * len(head)]
        for i in range(len(self)):
            lead = self.eigenvalues[i, 0] if self.M else complex("nan")
            point = np.array2string(positive_zeros(self.points[i]), precision=4, max_line_width=200,
                                    threshold=8)
            rows.append(
                f"{i:>3} {self.kind[i]:<6} {self.q[i]:>10.3e} {'yes' if self.stable[i] else 'no':<7} "
                f"{fmt(lead.real, '>+10.4f')}{fmt(lead.imag, '>+10.4f')}j  {point}"
            )
        if not len(self):
            rows.append("(no fixed or slow points found)")
        if self.message:
            rows += ["", self.message]
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()

    def plot(self, ax=None, *, trajectories=None):
        """State-space figure (PCA when M > 2); see :func:`bifwatch.plotting.plot_slow_points`."""
        from ..plotting import plot_slow_points

        return plot_slow_points(self, ax=ax, trajectories=trajectories)


@dataclass(frozen=True)
class Matching:
    """Correspondence between the points of two checkpoints (indices into each)."""

    pairs: tuple[tuple[int, int], ...]
    vanished: tuple[int, ...]  # in the first, with no partner in the second
    appeared: tuple[int, ...]  # in the second, with no partner in the first
