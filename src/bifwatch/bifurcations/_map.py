"""Two-parameter maps: stable objects per grid cell, bifurcation curves located exactly.

Each grid row (second parameter fixed) is one path: its cycles are followed by continuation, so
every cell of the row gets its cycles and every event along the row is located exactly in the
first parameter. Then, in each column, neighbouring cells whose cycles differ are joined by a
short path along the second parameter and the cycles of both cells are followed across it:
the events found there locate the same curves exactly in the second parameter. Rows and
columns are independent tasks for :func:`bifwatch.sweep.run_tasks`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._json import finite_or_none, write_json
from .._validation import check_int, check_positive_float
from ..models import AbstractPLRNN
from ..search import SCYFI, Exhaustive, resolve_orders, same_orbit
from ._branches import MATCH_ATOL, continue_cycles, follow, seed_cycles
from ._path import ParameterPath, check_range, parse_parameter, with_entry
from ._pieces import PathPieces
from ._tasks import run_sweep


@dataclass(frozen=True, eq=False)
class ParameterMap:
    """Cycles per cell of a 2-D parameter grid, and the bifurcation events between cells.

    Attributes
    ----------
    names : (str, str)
        The two swept entries, e.g. ``("A[0,0]", "A[1,1]")``.
    values : (array (N1,), array (N2,))
        Grid values of each parameter.
    n_cycles, n_stable : int arrays, shape (N1, N2, max_order)
        Number of cycles, and of stable cycles, of each order in each cell.
    events : dict of arrays, each shape (E,)
        ``x``, ``y`` (the event's two parameter values), ``type``, ``order``, ``outcome`` and
        ``axis`` (0: located exactly along the first parameter within a row, 1: along the
        second within a column).
    max_order : int
    """

    names: tuple[str, str]
    values: tuple[np.ndarray, np.ndarray]
    n_cycles: np.ndarray
    n_stable: np.ndarray
    events: dict
    max_order: int

    def stable_objects(self) -> np.ndarray:
        """Label of the stable objects of every cell, shape (N1, N2): ``"FP"``, ``"2×FP + 8C"``, ...

        ``FP`` is a stable fixed point, ``kC`` a stable k-cycle, ``none`` no stable cycle.
        """
        labels = np.empty(self.n_stable.shape[:2], dtype=object)
        for index in np.ndindex(labels.shape):
            labels[index] = _label(self.n_stable[index])
        return labels

    def to_xarray(self):
        """The map as an ``xarray.Dataset`` (dims: the two parameters and ``order``; events on ``event``)."""
        import xarray as xr

        d1, d2 = (_dim_name(n) for n in self.names)
        order = np.arange(1, self.max_order + 1)
        ds = xr.Dataset(
            {
                "n_cycles": ((d1, d2, "order"), self.n_cycles),
                "n_stable": ((d1, d2, "order"), self.n_stable),
                "stable_objects": ((d1, d2), self.stable_objects().astype(str)),
                "event_x": (("event",), self.events["x"]),
                "event_y": (("event",), self.events["y"]),
                "event_type": (("event",), self.events["type"].astype(str)),
                "event_order": (("event",), self.events["order"]),
                "event_outcome": (("event",), self.events["outcome"].astype(str)),
                "event_axis": (("event",), self.events["axis"]),
            },
            coords={d1: self.values[0], d2: self.values[1], "order": order},
            attrs={"parameters": "; ".join(self.names), "max_order": self.max_order},
        )
        ds[d1].attrs["long_name"] = self.names[0]
        ds[d2].attrs["long_name"] = self.names[1]
        return ds

    def to_dict(self) -> dict:
        """JSON-ready dict: parameters, grid values, counts per cell, ``events`` (not finite: None)."""
        return finite_or_none({
            "parameters": list(self.names),
            "values": [v.tolist() for v in self.values],
            "max_order": self.max_order,
            "n_cycles": self.n_cycles.tolist(),
            "n_stable": self.n_stable.tolist(),
            "stable_objects": self.stable_objects().tolist(),
            "events": [
                {
                    "value": float(self.events["x" if axis == 0 else "y"][i]),
                    "type": str(self.events["type"][i]),
                    "order": int(self.events["order"][i]),
                    "outcome": str(self.events["outcome"][i]),
                    self.names[0]: float(self.events["x"][i]),
                    self.names[1]: float(self.events["y"][i]),
                    "along": self.names[axis],
                }
                for i, axis in enumerate(self.events["axis"])
            ],
        })

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The strict JSON text of :meth:`to_dict`; also written to ``path`` (final newline) when given."""
        return write_json(self.to_dict(), path)

    def plot(self, ax=None):
        """Stable objects per cell (categorical colours) with the exactly located events on top."""
        from ..plotting import plot_map

        return plot_map(self, ax=ax)

    def __str__(self) -> str:
        labels, counts = np.unique(self.stable_objects().astype(str), return_counts=True)
        ranked = sorted(zip(labels, counts, strict=True), key=lambda x: -x[1])
        parts = ", ".join(f"{lab}: {n}" for lab, n in ranked)
        n1, n2 = self.n_cycles.shape[:2]
        return (
            f"{n1} x {n2} map of {self.names[0]} x {self.names[1]}, orders 1..{self.max_order}: "
            f"{len(self.events['x'])} events; cells by stable objects: {parts}"
        )


def _label(n_stable: np.ndarray) -> str:
    parts = []
    for k, n in enumerate(n_stable, start=1):
        if n:
            name = "FP" if k == 1 else f"{k}C"
            parts.append(name if n == 1 else f"{n}×{name}")
    return " + ".join(parts) if parts else "none"


def _dim_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")


def parameter_map(
    model: AbstractPLRNN,
    param1: str,
    range1: Sequence[float],
    param2: str,
    range2: Sequence[float],
    *,
    grid: tuple[int, int] = (101, 101),
    max_order: int = 4,
    seeds: int = 9,
    seed: int = 0,
    finder: SCYFI | Exhaustive | None = None,
    cond_max: float = 1e12,
    workers: int | None = None,
    scheduler=None,
    store: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = False,
) -> ParameterMap:
    """Map the cycles of ``model`` over a grid of two parameters, with exact bifurcation curves.

    Parameters
    ----------
    model : AbstractPLRNN
    param1, param2 : str
        The two swept entries, e.g. ``"A[0,0]"`` and ``"A[1,1]"`` (distinct).
    range1, range2 : (float, float)
        Their intervals, lo < hi.
    grid : (int, int), default (101, 101)
        Number of grid values of each parameter (both ends included), each >= 2.
    max_order : int, default 4
        Cycles of orders 1..max_order.
    seeds : int, default 9
        Cycle searches per row (evenly spaced, plus re-seeding next to every event); see
        :func:`bifwatch.bifurcation_diagram`.
    seed, finder, cond_max
        Passed to :func:`bifwatch.find_cycles` at the seed points.
    workers, scheduler, store, resume, progress
        How rows and columns run (see :func:`bifwatch.sweep.run_tasks`): in this process (the
        default; no ``__main__`` guard needed), on ``workers`` local processes (e.g.
        ``os.cpu_count()``; from a script, call it under ``if __name__ == "__main__":``), or on
        an existing Dask cluster at ``scheduler``; with ``store`` every finished row and column
        is kept in a SQLite file and ``resume=True`` continues an interrupted map.

    Returns
    -------
    ParameterMap
        Counts per cell (``to_xarray()`` for an ``xarray.Dataset``) and the events.

    Raises
    ------
    ValueError, TypeError
        Unknown parameter names, indices out of range, the same entry twice, empty or reversed
        ranges, a grid smaller than 2 x 2.

    Notes
    -----
    The reference method runs the cycle search in every cell and draws a boundary between
    neighbouring cells whose results differ, which places every curve only to the grid spacing.
    Here each row is a continuation path (events exact along the first parameter) and each pair
    of differing neighbours within a column is joined by a continuation path (events exact
    along the second), so every curve crossing a grid line is located to rounding.

    Examples
    --------
    >>> from bifwatch import PLRNN, parameter_map
    >>> tent = PLRNN(A=[0.2], W=[[0.0]], h=[1.0])
    >>> m = parameter_map(tent, "W[0,0]", (-2.2, 1.8), "A[0]", (0.1, 0.3), grid=(41, 3), workers=1)
    >>> sorted(set(m.stable_objects().ravel()))
    ['2C', 'FP', 'none']
    """
    if not isinstance(model, AbstractPLRNN):
        raise TypeError(f"`model` must be a bifwatch model; got {type(model).__name__}")
    entries = [parse_parameter(model, p) for p in (param1, param2)]
    if entries[0] == entries[1]:
        raise ValueError(f"`param1` and `param2` must be different entries; got {param1!r} twice")
    ranges = [check_range("range1", range1), check_range("range2", range2)]
    _check_finite_grid(model, (param1, param2), entries, ranges)
    sizes = _check_grid(grid)
    max_order = resolve_orders(max_order, None)[-1]
    seeds = check_int("seeds", seeds, minimum=1)
    cond_max = check_positive_float("cond_max", cond_max)
    values = tuple(np.linspace(lo, hi, n) for (lo, hi), n in zip(ranges, sizes, strict=True))
    setup = MapSetup(model=model, names=(param1, param2), entries=tuple(entries), values=values,
                     max_order=max_order, seeds=seeds, seed=seed, finder=finder, cond_max=cond_max)
    spec = {"kind": "map", "model": ParameterPath(model, param1, *ranges[0]).spec(),
            "param2": param2, "range2": list(ranges[1]), "grid": list(sizes), "max_order": max_order,
            "seeds": seeds, "seed": seed, "finder": repr(finder)}
    run = dict(spec=spec, workers=workers, scheduler=scheduler, store=store, progress=progress)
    rows = run_sweep(_row_task, {f"row-{j:06d}": (setup, j) for j in range(sizes[1])},
                     resume=resume, description="map rows", **run)
    cells = [[rows[f"row-{j:06d}"]["cells"][i] for j in range(sizes[1])] for i in range(sizes[0])]
    events = [e for r in rows.values() for e in r["events"]]
    done: set = set()
    for round_ in range(_REPAIR_ROUNDS):
        found = _columns(setup, cells, done, round_, run, resume or store is not None, events)
        if not found:
            break
        _repair_rows(setup, cells, found, round_, run, events)
    n_cycles, n_stable = _counts(cells, max_order)
    return ParameterMap((param1, param2), values, n_cycles, n_stable, _event_arrays(events), max_order)


#: Rounds of columns -> rows repair (cycles a column path carries into a cell its row missed).
_REPAIR_ROUNDS = 3


@dataclass(frozen=True, eq=False)
class MapSetup:
    """What every row, column and repair task of one map needs; picklable (sent to workers, Dask).

    Attributes
    ----------
    model : AbstractPLRNN
        The base model.
    names : (str, str)
        The two swept entries as given, e.g. ``("W[0,0]", "A[0]")``.
    entries : ((str, tuple of int), (str, tuple of int))
        The same entries parsed into (array name, index).
    values : (array (N1,), array (N2,))
        Grid values of the two parameters.
    max_order, seeds, seed, finder, cond_max
        As given to :func:`parameter_map`.
    """

    model: AbstractPLRNN
    names: tuple[str, str]
    entries: tuple[tuple[str, tuple[int, ...]], tuple[str, tuple[int, ...]]]
    values: tuple[np.ndarray, np.ndarray]
    max_order: int
    seeds: int
    seed: int
    finder: SCYFI | Exhaustive | None
    cond_max: float

    def row_path(self, j: int) -> ParameterPath:
        """The path along the first parameter, the second fixed at its j-th grid value."""
        base = with_entry(self.model, *self.entries[1], float(self.values[1][j]))
        return ParameterPath(base, self.names[0], self.values[0][0], self.values[0][-1])


def _columns(setup: MapSetup, cells, done: set, round_: int, run: dict, resume: bool, events: list) -> dict:
    """Column paths between differing neighbours not joined before; returns missed cycles by row."""
    n_cycles, n_stable = _counts(cells, setup.max_order)
    todo = {}
    for i, pairs in _differing(n_cycles, n_stable).items():
        fresh = [j for j in pairs if (i, j, _key(cells[i][j]), _key(cells[i][j + 1])) not in done]
        done.update((i, j, _key(cells[i][j]), _key(cells[i][j + 1])) for j in fresh)
        if fresh:
            todo[f"column-{round_}-{i:06d}"] = (setup, i, fresh, [cells[i][j] for j in _ends(fresh)])
    results = run_sweep(_column_task, todo, resume=resume, description="map columns", **run)
    found: dict[int, list] = {}
    for (_, i, _, _), result in zip(todo.values(), (results[k] for k in todo), strict=True):
        events.extend(result["events"])
        for j, cycle in result["missed"]:
            found.setdefault(j, []).append((i, *cycle))
    return found


def _repair_rows(setup: MapSetup, cells, found: dict, round_: int, run: dict, events: list) -> None:
    """Follow the missed cycles along their rows and add them to every cell they reach."""
    todo = {f"repair-{round_}-{j:06d}": (setup, j, found[j]) for j in sorted(found)}
    results = run_sweep(_repair_task, todo, resume=True if run["store"] is not None else False,
                        description="map repairs", **run)
    for key, (_, j, _) in todo.items():
        for i, cycle in results[key]["cells"]:
            if not any(same_orbit(cycle[1], other[1], atol=MATCH_ATOL) for other in cells[i][j]):
                cells[i][j].append(cycle)
        events.extend(results[key]["events"])


def _key(cell: list) -> tuple:
    return tuple(sorted((regions.shape[0], stable) for regions, _, stable in cell))


def _check_grid(grid) -> tuple[int, int]:
    try:
        n1, n2 = grid
    except (TypeError, ValueError):
        raise ValueError(f"`grid` must be two integers (N1, N2); got {grid!r}") from None
    return check_int("grid[0]", n1, minimum=2), check_int("grid[1]", n2, minimum=2)


def _check_finite_grid(model, names, entries, ranges) -> None:
    """Refuse, before any task runs, a grid whose models overflow float64, naming the range at fault.

    Each parameter's path is checked with the other one at the model's value (a failure names
    ``range1`` or ``range2``), then the first and last rows (the grid's corners).
    """
    for k, name in enumerate(("range1", "range2")):
        try:
            ParameterPath(model, names[k], *ranges[k])
        except ValueError as error:
            raise ValueError(str(error).replace("along `range`", f"along `{name}`")) from None
    for value in ranges[1]:
        try:
            ParameterPath(with_entry(model, *entries[1], value), names[0], *ranges[0])
        except ValueError as error:
            where = f"along `range1` at {names[1]} = {value:g}, an end of `range2`"
            raise ValueError(str(error).replace("along `range`", where)) from None


def _row_task(task: tuple[MapSetup, int]) -> dict:
    """Continuation along the first parameter at the second's j-th value: cells and events."""
    setup, j = task
    path = setup.row_path(j)
    grid = setup.values[0]
    indices = np.unique(np.round(np.linspace(0, len(grid) - 1, setup.seeds)).astype(int))

    def search(todo, first):
        options = (setup.max_order, setup.seed, setup.finder)
        return {i: seed_cycles((path, float(grid[i]), *options)) for i in todo}

    branches, _ = continue_cycles(PathPieces(path, cond_max=setup.cond_max), grid, indices, search)
    return _row_result(branches, len(grid), float(setup.values[1][j]))


def _repair_task(task: tuple[MapSetup, int, list]) -> dict:
    """Follow cycles a row missed (found by column paths) along that row."""
    setup, j, missed = task
    seeds: dict[int, list] = {}
    for i, regions, points, _ in missed:
        seeds.setdefault(i, []).append((regions, points))
    branches = follow(PathPieces(setup.row_path(j), cond_max=setup.cond_max), setup.values[0], seeds)
    return _row_result(branches, len(setup.values[0]), float(setup.values[1][j]), flat=True)


def _row_result(branches, n: int, y: float, flat: bool = False) -> dict:
    cells = [[] for _ in range(n)]
    for b in branches:
        for row, i in enumerate(b.grid_index):
            if i >= 0:
                cells[i].append((b.regions[row], b.points[row], bool(b.stable[row])))
    events = [(e.value, y, e.type, e.order, e.outcome, 0) for b in branches for e in b.events]
    if flat:
        cells = [(i, c) for i, cell in enumerate(cells) for c in cell]
    return {"cells": cells, "events": events}


def _column_task(task: tuple[MapSetup, int, list[int], list]) -> dict:
    """Continuation along the second parameter between the cells of each differing pair (j, j+1).

    Returns the events and the cycles that reach an end cell that did not have them ("missed").
    """
    setup, i, pairs, end_cells = task
    names, values = setup.names, setup.values
    base = with_entry(setup.model, *setup.entries[0], float(values[0][i]))
    x = float(values[0][i])
    cells = dict(zip(_ends(pairs), end_cells, strict=True))
    events, missed = [], []
    for j in pairs:
        path = ParameterPath(base, names[1], values[1][j], values[1][j + 1])
        grid = np.array([values[1][j], values[1][j + 1]])
        seeds = {0: [c[:2] for c in cells[j]], 1: [c[:2] for c in cells[j + 1]]}
        for b in follow(PathPieces(path, cond_max=setup.cond_max), grid, seeds):
            events.extend((x, e.value, e.type, e.order, e.outcome, 1) for e in b.events)
            for end in (0, 1):
                row = b.at_grid(end)
                if row is not None and not any(same_orbit(b.points[row], c[1], atol=MATCH_ATOL)
                                               for c in cells[j + end]):
                    missed.append((j + end, (b.regions[row], b.points[row], bool(b.stable[row]))))
    return {"events": events, "missed": missed}


def _ends(pairs: list[int]) -> list[int]:
    return sorted({j for p in pairs for j in (p, p + 1)})


def _counts(cells, max_order: int) -> tuple[np.ndarray, np.ndarray]:
    shape = (len(cells), len(cells[0]), max_order)
    n_cycles, n_stable = np.zeros(shape, dtype=int), np.zeros(shape, dtype=int)
    for i, column in enumerate(cells):
        for j, cycles in enumerate(column):
            for regions, _, stable in cycles:
                n_cycles[i, j, regions.shape[0] - 1] += 1
                n_stable[i, j, regions.shape[0] - 1] += stable
    return n_cycles, n_stable


def _differing(n_cycles: np.ndarray, n_stable: np.ndarray) -> dict[int, list[int]]:
    """Column i -> the j where cells (i, j) and (i, j + 1) differ in cycles or stability."""
    differs = np.any(n_cycles[:, 1:] != n_cycles[:, :-1], axis=2) | np.any(
        n_stable[:, 1:] != n_stable[:, :-1], axis=2
    )
    return {int(i): np.flatnonzero(differs[i]).tolist() for i in range(differs.shape[0]) if differs[i].any()}


def _event_arrays(events: list) -> dict:
    unique = {(e[5], round(e[0], 9), round(e[1], 9), e[2], e[3], e[4]): e for e in events}
    events = sorted(unique.values(), key=lambda e: (e[5], e[0], e[1]))
    columns = list(zip(*events, strict=True)) if events else [[]] * 6
    return {
        "x": np.array(columns[0], dtype=float),
        "y": np.array(columns[1], dtype=float),
        "type": np.array(columns[2], dtype=object),
        "order": np.array(columns[3], dtype=int),
        "outcome": np.array(columns[4], dtype=object),
        "axis": np.array(columns[5], dtype=int),
    }
