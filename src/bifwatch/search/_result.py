"""The result of a cycle search: the cycles, how they were searched, and views of them."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .._format import positive_zeros
from .._json import write_json
from .._validation import check_int
from ..models import AbstractPLRNN
from ._cycle import Cycle
from ._stats import OrderStats


@dataclass(frozen=True, eq=False)
class CycleSearchResult:
    """Cycles of a model, with the statistics of the search that found them.

    Attributes
    ----------
    model : AbstractPLRNN
    cycles : tuple of Cycle
        Sorted by order, each of least period equal to its order, no duplicates.
    stats : tuple of OrderStats
        One per searched order.
    seed : int
    """

    model: AbstractPLRNN
    cycles: tuple[Cycle, ...]
    stats: tuple[OrderStats, ...]
    seed: int

    @property
    def orders(self) -> list[int]:
        """The orders searched."""
        return [s.order for s in self.stats]

    @property
    def complete(self) -> bool:
        """True when every order was searched exhaustively over an exact region pool."""
        return all(s.complete for s in self.stats)

    def by_order(self, k: int) -> list[Cycle]:
        """The cycles of least period ``k``."""
        return [c for c in self.cycles if c.order == k]

    @property
    def stable_cycles(self) -> list[Cycle]:
        """The stable cycles (attractors)."""
        return [c for c in self.cycles if c.stable]

    def __len__(self) -> int:
        return len(self.cycles)

    def __iter__(self):
        return iter(self.cycles)

    def to_dict(self) -> dict:
        """JSON-ready dict with ``model``, ``cycles`` and ``search`` (per-order statistics)."""
        return {
            "model": {"kind": self.model.kind, "M": self.model.M, "n_bits": self.model.n_bits},
            "seed": self.seed,
            "complete": self.complete,
            "cycles": [c.to_dict() for c in self.cycles],
            "search": [s.to_dict() for s in self.stats],
        }

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The JSON text of :meth:`to_dict`; also written to ``path`` when given."""
        return write_json(self.to_dict(), path, indent=2)

    def table(self, *, max_rows: int | None = None) -> str:
        """A readable table: one row per cycle, then one line per order on how it was searched."""
        head = f"{'order':>5} {'#':>3}  {'class':<24} {'rho':>9} {'lyap':>9} {'residual':>9}  first point"
        rows = [head, "-" * len(head)]
        count: dict[int, int] = {}
        for cycle in self.cycles[:max_rows]:
            count[cycle.order] = count.get(cycle.order, 0) + 1
            point = np.array2string(positive_zeros(cycle.points[0]), precision=4, max_line_width=200,
                                    threshold=8)
            rows.append(
                f"{cycle.order:>5} {count[cycle.order]:>3}  {cycle.classification:<24} "
                f"{cycle.spectral_radius:>9.4g} {cycle.lyapunov_exponent:>9.3g} "
                f"{cycle.residual:>9.1e}  {point}"
            )
        if max_rows is not None and len(self.cycles) > max_rows:
            rows.append(f"... {len(self.cycles) - max_rows} more")
        if not self.cycles:
            rows.append("(no cycles found)")
        rows.append("")
        for s in self.stats:
            state = "complete" if s.complete else "heuristic"
            rejected = ", ".join(f"{n} {r}" for r, n in sorted(s.rejected.items()))
            rows.append(
                f"order {s.order:>3}: {s.n_cycles:>3} cycles, {state:<9} {s.solves:>9} solves "
                f"{s.seconds:7.3f} s" + (f"  (rejected: {rejected})" if rejected else "")
            )
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()

    def sample_orbits(self, n: int, *, steps: int = 200, seed: int = 0) -> np.ndarray:
        """``n`` orbits of the model from random starts around its cycles, shape (n, steps + 1, M).

        Starts are uniform in the box [-s, s]^M, s the largest |coordinate| of any cycle point
        (1 without cycles); orbits that diverge hold inf or NaN from there on.
        """
        n = check_int("n", n, minimum=0)
        steps = check_int("steps", steps, minimum=1)
        points = np.concatenate([c.points for c in self.cycles] or [np.zeros((0, self.model.M))])
        spread = float(np.abs(points).max()) if len(points) else 1.0
        starts = np.random.default_rng(seed).uniform(-spread, spread, size=(n, self.model.M))
        with np.errstate(over="ignore", invalid="ignore"):
            return self.model.trajectory(starts, steps)

    def plot(self, ax=None, *, trajectories: int = 0, seed: int = 0):
        """State-space plot: stable cycles filled, unstable open; PCA projection when M > 2.

        ``trajectories`` orbits from random starts (:meth:`sample_orbits`, seeded by ``seed``)
        are drawn behind the cycles when M >= 2. See :func:`bifwatch.plotting.plot_cycles`.
        """
        from ..plotting import plot_cycles

        orbits = self.sample_orbits(trajectories, seed=seed) if trajectories and self.model.M > 1 else None
        return plot_cycles(self, ax=ax, trajectories=orbits)
