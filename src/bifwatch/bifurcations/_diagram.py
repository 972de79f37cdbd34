"""One-parameter bifurcation diagrams by exact continuation of every cycle along a path."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._format import fmt
from .._json import finite_or_none, write_json
from .._validation import check_int, check_positive_float
from ..models import AbstractPLRNN
from ..search import SCYFI, Exhaustive, resolve_orders
from ._branches import Branch, continue_cycles, seed_cycles
from ._events import BifurcationEvent
from ._orbits import orbit_tails
from ._path import ModelPath, ParameterPath
from ._pieces import PathPieces
from ._tasks import run_sweep


@dataclass(frozen=True, eq=False)
class BifurcationDiagram:
    """Branches of cycles along a parameter path, with their exactly located events.

    Attributes
    ----------
    path : ParameterPath or ModelPath
    grid : array, shape (G,)
        The sample grid (branches are evaluated on it; events fall anywhere).
    branches : tuple of Branch
    events : tuple of BifurcationEvent
        Every event of every branch, by value.
    max_order : int
    seed_indices : int array
        Grid points where the cycle search was run to seed the branches.
    """

    path: ParameterPath | ModelPath
    grid: np.ndarray
    branches: tuple[Branch, ...]
    events: tuple[BifurcationEvent, ...]
    max_order: int
    seed_indices: np.ndarray

    def cycles_at(self, index: int) -> list[tuple[int, bool]]:
        """(order, stable) of every cycle at grid point ``index``, sorted."""
        out = []
        for branch in self.branches:
            row = branch.at_grid(index)
            if row is not None:
                out.append((branch.order, bool(branch.stable[row])))
        return sorted(out)

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Number of cycles and of stable cycles per grid point and order: two (G, max_order) arrays."""
        n_cycles = np.zeros((len(self.grid), self.max_order), dtype=int)
        n_stable = np.zeros_like(n_cycles)
        for branch in self.branches:
            on = branch.grid_index >= 0
            np.add.at(n_cycles, (branch.grid_index[on], branch.order - 1), 1)
            np.add.at(n_stable, (branch.grid_index[on], branch.order - 1), branch.stable[on].astype(int))
        return n_cycles, n_stable

    def to_dict(self) -> dict:
        """JSON-ready dict: ``path``, ``events`` (each with value, type, order, ...), ``branches``.

        A value that is not finite (e.g. a multiplier at a pole) is None.
        """
        return finite_or_none({
            "path": self.path.to_dict(),
            "max_order": self.max_order,
            "events": [e.to_dict() for e in self.events],
            "branches": [b.to_dict() for b in self.branches],
        })

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The strict JSON text of :meth:`to_dict`; also written to ``path`` (final newline) when given."""
        return write_json(self.to_dict(), path, indent=1)

    def table(self) -> str:
        """The events as a text table."""
        lines = [f"{len(self.branches)} branches, {len(self.events)} events along {self.path.label}"]
        for e in self.events:
            lines.append(
                f"  {fmt(e.value, ' .12g')}  {e.type:<26} order {e.order:<3} {e.outcome:<8} "
                f"{e.stability_before or '-'} -> {e.stability_after or '-'}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, ax=None, *, coordinate: int = 0, orbits: int = 0, seed: int = 0):
        """Draw the diagram: branches (stable solid, unstable dashed), events marked and labelled.

        ``coordinate`` picks the state coordinate on the vertical axis; ``orbits`` > 0 overlays
        the orbit diagram from simulating that many initial conditions per grid point
        (:func:`orbit_tails`, seeded by ``seed``).
        """
        from ..plotting import plot_diagram

        tails = orbit_tails(self, orbits, seed=seed) if not isinstance(orbits, int) or orbits else None
        return plot_diagram(self, ax=ax, coordinate=coordinate, orbits=tails)


def bifurcation_diagram(
    model: AbstractPLRNN | ParameterPath | ModelPath,
    param: str | None = None,
    range: Sequence[float] | None = None,
    *,
    max_order: int = 4,
    resolution: int = 400,
    seeds: int = 9,
    seed: int = 0,
    finder: SCYFI | Exhaustive | None = None,
    cond_max: float = 1e12,
    workers: int | None = None,
    scheduler=None,
    store: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = False,
) -> BifurcationDiagram:
    """Bifurcation diagram of every cycle of order <= ``max_order`` along a parameter path.

    Parameters
    ----------
    model : AbstractPLRNN, ParameterPath or ModelPath
        A model (then give ``param`` and ``range``) or a ready path, e.g. ``ModelPath(a, b)``
        for the straight line between two checkpoints.
    param : str
        The swept entry, e.g. ``"W[0,1]"``, ``"A[1]"``, ``"h[0]"``, ``"W1[2,0]"``.
    range : (float, float)
        Interval lo < hi of the swept entry.
    max_order : int, default 4
        Orders 1..max_order are searched at the seed points and followed.
    resolution : int, default 400
        The branches are sampled at resolution + 1 evenly spaced values (the plot's
        resolution; events are located exactly wherever they are).
    seeds : int, default 9
        The cycle search runs at this many evenly spaced grid points (both ends included);
        every cycle found there and not yet on a branch starts a new branch, followed both ways.
    seed, finder, cond_max
        Passed to :func:`bifwatch.find_cycles` at the seed points.
    workers, scheduler, store, resume, progress
        How the seed searches run (see :func:`bifwatch.sweep.run_tasks`): in this process (the
        default), on ``workers`` local processes (from a script, under
        ``if __name__ == "__main__":``), or on an existing Dask cluster at ``scheduler``; with
        ``store`` a SQLite file keeps every finished search, and ``resume=True`` continues.

    Returns
    -------
    BifurcationDiagram

    Raises
    ------
    ValueError, TypeError
        Unknown parameter name or index out of range, empty or reversed range, bad counts.

    Notes
    -----
    Along a path the cycle of a fixed region sequence is a rational function of the
    parameter. Each branch is followed on the grid and, where it fails, the failure is located
    by root finding on the scalar condition that failed: a cycle point's margin
    (border collision), det(I - P) (a multiplier at +1, degenerate transcritical),
    det(I + P) (at -1, degenerate flip), or the count of multipliers inside the unit circle
    (a complex pair on it, degenerate Neimark-Sacker). After a border collision the branch
    goes on along the neighbouring region sequence where that one is real.

    Performance notes: ``seeds`` full searches (the cost of :func:`bifwatch.find_cycles`
    each) plus, per branch, a few batched evaluations of size ``resolution`` and about 10-50
    single evaluations per event.

    Examples
    --------
    >>> from bifwatch import PLRNN, bifurcation_diagram
    >>> tent = PLRNN(A=[0.2], W=[[0.0]], h=[1.0])          # right slope a_r = 0.2 + W
    >>> d = bifurcation_diagram(tent, "W[0,0]", (-2.2, 1.8), max_order=3)
    >>> [(e.type, e.order, round(0.2 + e.value, 12)) for e in d.events]  # doctest: +NORMALIZE_WHITESPACE
    [('degenerate-flip', 1, -1.0), ('border-collision', 2, -1.0), ('degenerate-transcritical', 1, 1.0)]
    """
    path = _as_path(model, param, range)
    max_order = resolve_orders(max_order, None)[-1]
    resolution = check_int("resolution", resolution, minimum=2)
    seeds = check_int("seeds", seeds, minimum=1)
    cond_max = check_positive_float("cond_max", cond_max)
    grid = np.linspace(path.lo, path.hi, resolution + 1)
    indices = np.unique(np.round(np.linspace(0, resolution, seeds)).astype(int))
    spec = {"kind": "diagram", "path": path.spec(), "grid": resolution, "max_order": max_order,
            "seed": seed, "seeds": indices.tolist(), "finder": repr(finder)}

    def search(todo: list[int], first: bool) -> dict[int, list]:
        tasks = {f"seed-{i}": (path, float(grid[i]), max_order, seed, finder) for i in todo}
        found = run_sweep(
            seed_cycles, tasks, spec=spec, workers=workers, scheduler=scheduler, store=store,
            resume=resume or (not first and store is not None), progress=progress,
            description="seed searches",
        )
        return {i: found[f"seed-{i}"] for i in todo}

    branches, searched = continue_cycles(PathPieces(path, cond_max=cond_max), grid, indices, search)
    events = tuple(sorted((e for b in branches for e in b.events), key=lambda e: (e.value, e.branch)))
    return BifurcationDiagram(path, grid, tuple(branches), events, max_order, searched)


def _as_path(model, param, range_) -> ParameterPath | ModelPath:
    if isinstance(model, (ParameterPath, ModelPath)):
        if param is not None or range_ is not None:
            raise TypeError("give either a path, or a model with `param` and `range`; not both")
        return model
    if not isinstance(model, AbstractPLRNN):
        raise TypeError(f"`model` must be a bifwatch model or a path; got {type(model).__name__}")
    if param is None or range_ is None:
        raise TypeError("a model needs `param` (e.g. 'W[0,1]') and `range` (lo, hi)")
    lo_hi = np.asarray(range_, dtype=object).ravel() if range_ is not None else ()
    if len(lo_hi) != 2:
        raise ValueError(f"`range` must be two numbers (lo, hi); got {range_!r}")
    return ParameterPath(model, param, lo_hi[0], lo_hi[1])
