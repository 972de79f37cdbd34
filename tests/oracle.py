"""A brute-force cycle oracle, independent of bifwatch's search code.

Truth by enumeration: for a tiny model and order k, every k-cycle z_1 -> ... -> z_k visits some
sequence of region codes d_1..d_k, and inside that sequence F^k(z) = P z + q is affine. So
solving (I - P) z = q for *every* sequence of *every* code (all 2^n_bits codes per step, no
pruning, no rotation tricks) and keeping the self-consistent solutions (the true map visits
exactly d_1..d_k) lists every k-cycle whose linear system is non-singular, each in all its phases
and possibly as a traversal of a shorter cycle. Reducing to the least period and dropping
rotations leaves each cycle once.

Only the model's own interface is used: ``M``, ``n_bits``, ``affine_map``, ``region``, ``step``.
Nothing from ``bifwatch.search`` is imported. The code is written to be obviously correct, not
fast: one ``np.linalg.solve`` per sequence.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OracleCycle:
    """A cycle of least period k: points (k, M) in orbit order, regions (k, n_bits), multipliers."""

    points: np.ndarray
    regions: np.ndarray
    multipliers: np.ndarray

    @property
    def order(self) -> int:
        return self.points.shape[0]

    @property
    def stable(self) -> bool:
        return bool(np.all(np.abs(self.multipliers) < 1.0))


def all_codes(n_bits: int) -> list[np.ndarray]:
    """Every boolean code of length n_bits (2^n_bits of them)."""
    return [np.array(bits, dtype=bool) for bits in itertools.product([False, True], repeat=n_bits)]


def visits(model, z1: np.ndarray, regions: list[np.ndarray]) -> np.ndarray | None:
    """The orbit z_1..z_k from z1 if the true map visits exactly ``regions`` (exact boolean
    comparison), else None. Stops at the first mismatch."""
    points = [z1]
    for j, d in enumerate(regions):
        if j > 0:
            points.append(model.step(points[-1]))
        if not (np.all(np.isfinite(points[-1])) and np.array_equal(model.region(points[-1]), d)):
            return None
    return np.array(points)


def least_period(points: np.ndarray, tol: float) -> int:
    """Smallest j >= 1 with z_{1+j} == z_1 (within tol), else k. Points in orbit order."""
    k = points.shape[0]
    for j in range(1, k):
        if np.max(np.abs(points[j] - points[0])) <= tol:
            return j
    return k


def same_orbit(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Whether two k-point orbits are one cycle in different phases."""
    if a.shape != b.shape:
        return False
    return any(np.max(np.abs(np.roll(a, -r, axis=0) - b)) <= tol for r in range(a.shape[0]))


def monodromy(model, regions: np.ndarray) -> np.ndarray:
    """P = J(d_k) ... J(d_1) for regions d_1..d_k."""
    P = np.eye(model.M)
    for d in regions:
        J, _ = model.affine_map(d)
        P = J @ P
    return P


def oracle_cycles(model, order: int, *, tol: float = 1e-7) -> list[OracleCycle]:
    """Every cycle of *least period* ``order``, each once, by brute force over all region sequences.

    Sequences whose system I - P is singular (np.linalg.solve raises) are skipped: such a
    sequence carries a continuum of solutions or none, never an isolated cycle.
    """
    M = model.M
    pieces = [(d, *model.affine_map(d)) for d in all_codes(model.n_bits)]
    found: list[OracleCycle] = []
    with np.errstate(all="ignore"):
        for sequence in itertools.product(pieces, repeat=order):
            P, q = np.eye(M), np.zeros(M)
            for _, J, c in sequence:  # F^k(z) = P z + q inside the sequence
                P, q = J @ P, J @ q + c
            try:
                z1 = np.linalg.solve(np.eye(M) - P, q)
            except np.linalg.LinAlgError:
                continue
            if not np.all(np.isfinite(z1)):
                continue
            points = visits(model, z1, [d for d, _, _ in sequence])
            if points is None:
                continue  # virtual: the true map leaves the assumed regions
            scale = tol * (1.0 + np.max(np.abs(points)))
            if least_period(points, scale) != order:
                continue  # a shorter cycle traversed several times
            if any(same_orbit(points, other.points, scale) for other in found):
                continue  # the same cycle entered at another phase
            regions = np.array([d for d, _, _ in sequence])
            multipliers = np.linalg.eigvals(monodromy(model, regions))
            found.append(OracleCycle(points=points, regions=regions, multipliers=multipliers))
    return found


def oracle_search(model, orders, *, tol: float = 1e-7) -> dict[int, list[OracleCycle]]:
    """``oracle_cycles`` for each order: {k: cycles of least period k}."""
    return {k: oracle_cycles(model, k, tol=tol) for k in orders}
