"""Branches: every cycle found by seeding the search along a path, followed in both directions."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..search import find_cycles, same_orbit
from ._events import BifurcationEvent
from ._pieces import PathPieces
from ._trace import Run, sequence_period, trace


@dataclass(frozen=True, eq=False)
class Branch:
    """One cycle followed along the path, across border collisions where it persists.

    Attributes
    ----------
    order : int
        Least period k.
    values : array, shape (T,)
        Parameter values of the samples, increasing: grid points and the events' values.
    points : array, shape (T, k, M)
        The cycle at each sample, in one phase along the whole branch.
    multipliers : complex array, shape (T, M)
    grid_index : int array, shape (T,)
        Index of the sample in the path's grid, -1 for samples at events.
    regions : bool array, shape (T, k, n_bits)
        Region sequence at each sample.
    events : tuple of BifurcationEvent
        Events of this branch, by value.
    """

    order: int
    values: np.ndarray
    points: np.ndarray
    multipliers: np.ndarray
    grid_index: np.ndarray
    regions: np.ndarray
    events: tuple[BifurcationEvent, ...]

    @property
    def stable(self) -> np.ndarray:
        """Whether every |multiplier| < 1, per sample, shape (T,)."""
        return np.all(np.abs(self.multipliers) < 1.0, axis=1)

    def at_grid(self, index: int) -> int | None:
        """Row of the sample at grid point ``index``, or None where the branch does not exist."""
        rows = np.flatnonzero(self.grid_index == index)
        return int(rows[0]) if len(rows) else None

    def to_dict(self) -> dict:
        return {
            "order": self.order,
            "values": self.values.tolist(),
            "points": self.points.tolist(),
            "stable": self.stable.tolist(),
            "events": [e.to_dict() for e in self.events],
        }


def seed_cycles(task) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cycles (regions, points) of the model at one seed value: a picklable sweep task."""
    path, value, max_order, seed, finder = task
    result = find_cycles(path.model_at(value), max_order, seed=seed, finder=finder)
    return [(c.regions, c.points) for c in result.cycles]


#: Rounds of re-seeding next to the events found so far (cycles born at an event).
RESEED_ROUNDS = 4
#: Two cycles are one orbit when their points agree to this relative tolerance: continuation
#: evaluates the pieces by interpolation, the search with the model itself.
MATCH_ATOL = 1e-7


def continue_cycles(
    pieces: PathPieces, grid: np.ndarray, seeds: np.ndarray, search
) -> tuple[list, np.ndarray]:
    """Branches of every cycle found by ``search`` at the ``seeds`` grid points and next to events.

    ``search(indices, first)`` returns {grid index: [(regions, points), ...]}. Returns the
    branches and the sorted grid indices that were searched.
    """
    branches: list[Branch] = []
    searched: set[int] = set()
    todo = sorted(set(np.asarray(seeds).tolist()))
    for _ in range(RESEED_ROUNDS):
        if not todo:
            break
        branches = follow(pieces, grid, search(todo, not searched), branches)
        searched.update(todo)
        todo = sorted(near_events(branches, grid) - searched)
    return branches, np.array(sorted(searched), dtype=int)


def follow(
    pieces: PathPieces, grid: np.ndarray, seeds: dict[int, list], branches: list[Branch] | None = None
) -> list[Branch]:
    """Follow every seed cycle not already on a branch; ``seeds`` maps grid index -> cycles.

    New branches are appended to (a copy of) ``branches``.
    """
    branches = list(branches or [])
    queue = [(index, regions, points) for index in sorted(seeds) for regions, points in seeds[index]]
    while queue:
        index, regions, points = queue.pop(0)
        if sequence_period(regions) < len(regions) or any(_on_branch(b, index, points) for b in branches):
            continue
        start = pieces.evaluate(regions, [grid[index]])
        if not start.consistent[0]:  # at a degenerate point of the path: seen by neighbours
            continue
        backward = trace(pieces, regions, grid, index, -1)
        forward = trace(pieces, regions, grid, index, +1)
        branches.append(_join(len(branches), backward, forward, start, index, regions))
        queue.extend(_partner_seeds(pieces, grid, backward, -1) + _partner_seeds(pieces, grid, forward, +1))
    return branches


def _partner_seeds(pieces: PathPieces, grid: np.ndarray, run: Run, direction: int) -> list:
    """Seeds for the cycles a branch collided with (a border-collision pair): at the grid point
    next to the collision on the side both exist, where the partner is real there."""
    out = []
    for t, regions in run.partners:
        # the last grid point before t (forward trace) or the first after it (backward)
        i = int(np.searchsorted(grid, t)) - 1 if direction > 0 else int(np.searchsorted(grid, t, "right"))
        if 0 <= i < len(grid):
            state = pieces.evaluate(regions, [grid[i]])
            if state.consistent[0]:
                out.append((i, regions, state.points[0]))
    return out


def near_events(branches: list[Branch], grid: np.ndarray) -> set[int]:
    """Grid points on both sides of every event: where cycles born at an event are first seen."""
    out = set()
    for branch in branches:
        for event in branch.events:
            i = int(np.searchsorted(grid, event.value))
            out.update(j for j in (i - 1, i, i + 1) if 0 <= j < len(grid))
    return out


def _on_branch(branch: Branch, index: int, points: np.ndarray) -> bool:
    if branch.order != points.shape[0]:
        return False
    row = branch.at_grid(index)
    if row is None:
        return False
    return same_orbit(branch.points[row], points, atol=MATCH_ATOL)


def _join(number: int, backward: Run, forward: Run, start, index: int, regions: np.ndarray) -> Branch:
    run = Run()
    run.add(start, [0], [index], regions)
    rows = [(t, p, m, g, r) for t, p, m, g, r in zip(
        backward.t + run.t + forward.t, backward.points + run.points + forward.points,
        backward.multipliers + run.multipliers + forward.multipliers,
        backward.grid_index + run.grid_index + forward.grid_index,
        backward.regions + run.regions + forward.regions, strict=True,
    )]
    for event in backward.events + forward.events:
        if event.points is not None:
            regions_at = event.regions_before if event.regions_before is not None else event.regions_after
            rows.append((event.value, event.points, event.multipliers, -1, regions_at))
    rows.sort(key=lambda row: (row[0], row[3]))
    events = sorted(
        (_numbered(e, number) for e in backward.events + forward.events), key=lambda e: e.value
    )
    return Branch(
        order=regions.shape[0],
        values=np.array([r[0] for r in rows]),
        points=np.array([r[1] for r in rows]),
        multipliers=np.array([r[2] for r in rows]),
        grid_index=np.array([r[3] for r in rows], dtype=int),
        regions=np.array([r[4] for r in rows]),
        events=tuple(events),
    )


def _numbered(event: BifurcationEvent, number: int) -> BifurcationEvent:
    return replace(event, branch=number)
