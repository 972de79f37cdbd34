"""De-duplication of found cycles: one entry per cycle, whatever phase it was found in."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..models import AbstractPLRNN
from ._cycle import Cycle, cycle_from_point, least_period


class CycleRegistry:
    """Collects distinct cycles per order and counts why candidates were turned away.

    A candidate z1 found by the order-k system is accepted when:

    1. its least period j (checked on the true orbit) is an order being searched; a candidate
       of least period j < k is filed as a j-cycle, never as a k-cycle;
    2. the system's condition (1 + |P|) |(I - P)^{-1}| <= ``cond_max``, and the residual of
       F^j(z) = z is at round-off level: below 1e3 eps |z| (cond + amplification), the
       errors the solve and the k steps of the true map can make;
    3. no point of an already stored j-cycle lies within ``atol * (1 + |z|)`` of z1 (all
       phases of a cycle are one cycle).

    Rejections are counted by reason in ``rejected``.
    """

    def __init__(self, model: AbstractPLRNN, orders, *, atol: float, cond_max: float) -> None:
        self.model = model
        self.orders = frozenset(orders)
        self.atol = atol
        self.cond_max = cond_max
        self.cycles: dict[int, list[Cycle]] = {k: [] for k in self.orders}
        self.rejected: Counter[str] = Counter()
        self._points: dict[int, np.ndarray] = {k: np.zeros((0, model.M)) for k in self.orders}

    def submit(self, z1: np.ndarray, k: int) -> int:
        """Offer real solutions z1 (shape (B, M)) of order-k systems; return how many were new."""
        if len(z1) == 0:
            return 0
        _, first = np.unique(np.round(z1, 10), axis=0, return_index=True)
        distinct = z1[np.sort(first)]
        fresh = distinct[~self._known(k, distinct)]
        return sum(self._add(z, k) for z in fresh)

    def _known(self, k: int, z1: np.ndarray) -> np.ndarray:
        """Which rows of z1 (shape (n, M)) are a point of a stored k-cycle."""
        stored = self._points[k]
        known = np.zeros(len(z1), dtype=bool)
        if len(stored) == 0:
            return known
        tol = self.atol * (1.0 + np.abs(z1).max(axis=1))
        chunk = max(1, 2**20 // (len(stored) * z1.shape[1]))
        for i in range(0, len(z1), chunk):
            gap = np.abs(z1[i : i + chunk, None, :] - stored[None]).max(axis=2).min(axis=1)
            known[i : i + chunk] = gap <= tol[i : i + chunk]
        return known

    def _add(self, z: np.ndarray, k: int) -> bool:
        orbit = self.model.trajectory(z, k)[:-1]
        j = least_period(orbit, self.atol)
        if j != k:
            if j not in self.orders:
                self.rejected["lower order"] += 1
                return False
            if self._known(j, z[None])[0]:
                return False
        elif self._known(k, z[None])[0]:
            return False
        cycle = cycle_from_point(self.model, z, j)
        scale = 1.0 + np.abs(cycle.points).max()
        if not cycle.condition <= self.cond_max:
            self.rejected["ill-conditioned"] += 1
            return False
        round_off = np.finfo(float).eps * scale * (cycle.condition + cycle.amplification)
        if not cycle.residual <= 1e3 * round_off:
            self.rejected["residual"] += 1
            return False
        self.cycles[j].append(cycle)
        self._points[j] = np.concatenate([self._points[j], cycle.points])
        return True

    def count(self, k: int) -> int:
        return len(self.cycles[k])
