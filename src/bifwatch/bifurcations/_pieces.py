"""A fixed region sequence along a parameter path: its cycle, margins and multipliers at any t.

Along a path every affine piece J(d; t), c(d; t) and every switching plane N(t), o(t) is a
polynomial of degree at most 2 in t (A, W, h, b enter linearly; the shallow models' W1 D W2 is
bilinear). Three models, at lo, mid and hi, therefore determine them exactly by Lagrange
interpolation, and a whole batch of t is evaluated with array arithmetic. For a sequence
d_1..d_k the cycle z_1(t) = (I - P(t))^{-1} q(t) is a rational function of t, and so is every
margin of every cycle point: its sign changes are the events of the branch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..search import compose, solve_cycles, system_condition


@dataclass(frozen=True, eq=False)
class State:
    """A region sequence's candidate cycle at a batch of T parameter values.

    Attributes
    ----------
    t : array, shape (T,)
    points : array, shape (T, k, M)
        z_1..z_k from the affine pieces (NaN where the system is singular or ill-conditioned).
    gaps : array, shape (T, k, n_bits)
        Signed margins, positive on the side the sequence claims (margin for an "on" bit,
        minus the margin for an "off" bit). The cycle is real where every gap of an on bit is
        > 0 and every gap of an off bit is >= 0 (a point on a boundary is "off").
    det_minus, det_plus : array, shape (T,)
        det(I - P) and det(I + P): zero where a multiplier is +1 or -1.
    multipliers : complex array, shape (T, M)
    consistent : bool array, shape (T,)
        The cycle is real there, and its system is well conditioned:
        (1 + |P|) |(I - P)^{-1}| <= ``cond_max`` (2-norms; worse means the cycle sits at a
        degenerate bifurcation, where rounding alone decides whether I - P is singular).
    inside : int array, shape (T,)
        Number of multipliers with modulus < 1 (the stability signature).
    """

    t: np.ndarray
    points: np.ndarray
    gaps: np.ndarray
    det_minus: np.ndarray
    det_plus: np.ndarray
    multipliers: np.ndarray
    consistent: np.ndarray
    inside: np.ndarray


class PathPieces:
    """Affine pieces of a model along a path, exact for pieces of degree <= 2 in t."""

    def __init__(self, path, *, cond_max: float = 1e12) -> None:
        self.path = path
        self.cond_max = cond_max
        self.nodes = np.array([path.lo, 0.5 * (path.lo + path.hi), path.hi])
        self.models = [path.model_at(float(t)) for t in self.nodes]
        planes = [m.switching_planes() for m in self.models]
        self._N = np.stack([p[0] for p in planes])
        self._o = np.stack([p[1] for p in planes])
        self.M = self.models[0].M
        self._cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def weights(self, t: np.ndarray) -> np.ndarray:
        """Lagrange weights of the three nodes, shape (T, 3)."""
        t = np.asarray(t, dtype=np.float64)[:, None]
        n = self.nodes
        w = np.ones((t.shape[0], 3))
        for i in range(3):
            for j in range(3):
                if i != j:
                    w[:, i] *= (t[:, 0] - n[j]) / (n[i] - n[j])
        return w

    def _node_pieces(self, sequence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.packbits(sequence).tobytes() + bytes([sequence.shape[0] % 256])
        if key not in self._cache:
            pieces = [m.affine_map(sequence) for m in self.models]
            self._cache[key] = (np.stack([p[0] for p in pieces]), np.stack([p[1] for p in pieces]))
        return self._cache[key]

    def evaluate(self, sequence: np.ndarray, t) -> State:
        """The state of ``sequence`` (bool, shape (k, n_bits)) at every t of a 1-D array."""
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        w = self.weights(t)
        J3, c3 = self._node_pieces(sequence)
        J = np.einsum("tn,nkab->tkab", w, J3)
        c = np.einsum("tn,nka->tka", w, c3)
        with np.errstate(all="ignore"):
            P, q = compose(J, c)
            eye = np.eye(self.M)
            det_minus = np.linalg.det(eye - P)
            det_plus = np.linalg.det(eye + P)
            z1, solved = solve_cycles(P, q)
            solved &= system_condition(P) <= self.cond_max
            z1[~solved] = np.nan
            points = _orbit(J, c, z1)
            N = np.einsum("tn,nbm->tbm", w, self._N)
            o = np.einsum("tn,nb->tb", w, self._o)
            margins = np.einsum("tbm,tkm->tkb", N, points) + o[:, None, :]
        gaps = np.where(sequence, margins, -margins)
        ok = np.where(sequence, gaps > 0, gaps >= 0).all(axis=(1, 2))
        finite_P = np.isfinite(P).all(axis=(1, 2))
        finite = np.isfinite(points).all(axis=(1, 2)) & finite_P
        multipliers = np.full((t.shape[0], self.M), np.nan + 0j)
        multipliers[finite_P] = np.linalg.eigvals(P[finite_P])
        inside = (np.abs(multipliers) < 1).sum(axis=1)
        return State(
            t=t, points=points, gaps=gaps, det_minus=det_minus, det_plus=det_plus,
            multipliers=multipliers, consistent=ok & finite, inside=inside,
        )


def _orbit(J: np.ndarray, c: np.ndarray, z1: np.ndarray) -> np.ndarray:
    k = J.shape[1]
    points = np.empty((z1.shape[0], k, z1.shape[1]))
    z = z1
    for j in range(k):
        points[:, j] = z
        z = (J[:, j] @ z[..., None])[..., 0] + c[:, j]
    return points
