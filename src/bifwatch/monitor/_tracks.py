"""One identity per cycle over training: cycles matched across checkpoints by their region sequence.

A k-cycle visits k linear regions in a fixed cyclic order. That sequence, up to rotation, names
the object: along a smooth stretch of training the cycle moves but keeps its regions, and the
same sequence at the next checkpoint is the same object. Where a border collision lets the cycle
go on into the neighbouring regions (outcome ``persists``), the event says which sequence
continues which, and the track follows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..search import Cycle
from ._analysis import CheckpointCycles, TrainingEvent


def region_key(regions: np.ndarray | None) -> str | None:
    """The region sequence up to rotation, as text: the smallest rotation of the per-point codes.

    >>> region_key(np.array([[1, 0], [0, 1]], dtype=bool)), region_key(np.array([[0, 1], [1, 0]]))
    ('01|10', '01|10')
    """
    if regions is None:
        return None
    codes = ["".join("1" if b else "0" for b in row) for row in np.asarray(regions, dtype=bool)]
    return min("|".join(codes[i:] + codes[:i]) for i in range(len(codes)))


@dataclass(frozen=True, eq=False)
class Track:
    """One object followed over training: its checkpoints (indices) and cycles there."""

    id: int
    order: int
    regions: str
    checkpoints: tuple[int, ...]
    cycles: tuple[Cycle, ...]

    def to_dict(self, epochs: Sequence[float]) -> dict:
        return {"id": self.id, "order": self.order, "regions": self.regions,
                "epochs": [float(epochs[i]) for i in self.checkpoints],
                "spectral_radius": [float(c.spectral_radius) for c in self.cycles],
                "stable": [bool(c.stable) for c in self.cycles]}


def track_cycles(checkpoints: Sequence[CheckpointCycles], events_between: Sequence[Sequence[TrainingEvent]]
                 ) -> tuple[list[Track], list[list[int]]]:
    """Match the cycles of consecutive checkpoints into tracks.

    Parameters
    ----------
    checkpoints : the searches at each checkpoint (a failed one breaks every track).
    events_between : for each interval i (checkpoint i to i + 1), the events found on it.

    Returns
    -------
    tracks, labels
        ``labels[i][j]`` is the track id of cycle j at checkpoint i.

    Notes
    -----
    A cycle at checkpoint i + 1 continues the track of the cycle at i with the same order and
    region key; among several candidates (a region sequence that repeats itself), the nearest
    in points. One that is not found so continues a cycle of i left unmatched when a
    ``persists`` event of its order on the interval leads from that cycle's regions to its
    own. Anything else starts a new track. Nothing is matched across a failed search.
    """
    members: list[list[tuple[int, Cycle]]] = []
    labels: list[list[int]] = []
    previous: list[tuple[int, Cycle, str | None]] = []
    for i, checkpoint in enumerate(checkpoints):
        cycles = () if checkpoint.result is None else checkpoint.result.cycles
        current = [(c, region_key(c.regions)) for c in cycles]
        events = events_between[i - 1] if i > 0 else ()
        ids = _continue(previous, current, events)
        row = []
        for (cycle, _), track in zip(current, ids, strict=True):
            if track is None:
                track = len(members)
                members.append([])
            members[track].append((i, cycle))
            row.append(track)
        labels.append(row)
        previous = [] if checkpoint.result is None else [(t, c, k) for t, (c, k) in zip(row, current,
                                                                                        strict=True)]
    tracks = []
    for t, found in enumerate(members):
        first = found[0][1]
        tracks.append(Track(t, first.order, region_key(first.regions) or "", tuple(i for i, _ in found),
                            tuple(c for _, c in found)))
    return tracks, labels


def _continue(previous, current, events) -> list[int | None]:
    """The track each current cycle continues (None: a new object)."""
    ids: list[int | None] = [None] * len(current)
    free = list(range(len(previous)))
    for j, (cycle, key) in enumerate(current):
        same = [p for p in free if previous[p][2] == key and previous[p][1].order == cycle.order]
        if same:
            p = min(same, key=lambda p: _distance(previous[p][1], cycle))
            ids[j] = previous[p][0]
            free.remove(p)
    edges = _renamings(events)
    for j, (cycle, key) in enumerate(current):
        if ids[j] is not None:
            continue
        lead = [p for p in free if previous[p][1].order == cycle.order
                and _reaches(edges.get(cycle.order, {}), previous[p][2], key)]
        if lead:
            p = min(lead, key=lambda p: _distance(previous[p][1], cycle))
            ids[j] = previous[p][0]
            free.remove(p)
    return ids


def _renamings(events) -> dict[int, dict[str, set[str]]]:
    """Per order, the region keys each ``persists`` event of an interval leads from and to."""
    edges: dict[int, dict[str, set[str]]] = {}
    for t in events:
        e = t.event
        if e.outcome == "persists":
            before, after = region_key(e.regions_before), region_key(e.regions_after)
            if before is not None and after is not None:
                edges.setdefault(e.order, {}).setdefault(before, set()).add(after)
    return edges


def _reaches(edges: dict[str, set[str]], start: str | None, goal: str | None) -> bool:
    """Whether a chain of renamings leads from ``start`` to ``goal`` (a cycle that crossed several
    borders in one interval), or they are the same key."""
    if start is None or goal is None:
        return False
    seen, todo = {start}, [start]
    while todo:
        key = todo.pop()
        if key == goal:
            return True
        for nxt in edges.get(key, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _distance(a: Cycle, b: Cycle) -> float:
    """Distance between two cycles as point sets (each point to the other's nearest)."""
    d = np.linalg.norm(a.points[:, None, :] - b.points[None, :, :], axis=-1)
    return float(max(d.min(axis=0).max(), d.min(axis=1).max()))


def event_tracks(events_between: Sequence[Sequence[TrainingEvent]], labels: Sequence[Sequence[int]],
                 checkpoints: Sequence[CheckpointCycles]) -> list[int | None]:
    """The track of each event (in the order of the flattened intervals), None when none matches.

    An event that kills or continues a cycle belongs to the track of the cycle at the interval's
    start whose regions lead (through the interval's ``persists`` events) to the event's regions
    before; one that gives birth, to the track at its end that its regions after lead to.
    """
    out: list[int | None] = []
    for i, events in enumerate(events_between):
        edges = _renamings(events)
        for t in events:
            e = t.event
            chain = edges.get(e.order, {})
            if e.outcome == "born":
                key = region_key(e.regions_after)
                out.append(_track_with(checkpoints[i + 1], labels[i + 1], e.order,
                                       lambda k, key=key, chain=chain: _reaches(chain, key, k)))
            else:
                key = region_key(e.regions_before)
                out.append(_track_with(checkpoints[i], labels[i], e.order,
                                       lambda k, key=key, chain=chain: _reaches(chain, k, key)))
    return out


def _track_with(checkpoint: CheckpointCycles, row: Sequence[int], order: int, leads) -> int | None:
    """The track of the first cycle of ``order`` at ``checkpoint`` whose key ``leads(key)``."""
    if checkpoint.result is None:
        return None
    for cycle, track in zip(checkpoint.result.cycles, row, strict=True):
        if cycle.order == order and leads(region_key(cycle.regions)):
            return track
    return None


@dataclass(frozen=True, eq=False)
class Projection:
    """The first principal component of every cycle point of a run: x -> axis . (x - mean)."""

    mean: np.ndarray
    axis: np.ndarray
    explained: float

    def __call__(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, dtype=float) - self.mean) @ self.axis

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "axis": self.axis.tolist(), "explained": self.explained}


def principal_axis(checkpoints: Sequence[CheckpointCycles]) -> Projection | None:
    """PC1 of all finite cycle points (each point once), sign fixed so its largest entry is positive."""
    points = [c.points for cp in checkpoints if cp.result is not None for c in cp.result.cycles]
    if not points:
        return None
    X = np.concatenate(points)
    X = X[np.all(np.isfinite(X), axis=1)]
    if len(X) == 0:
        return None
    mean = X.mean(axis=0)
    if len(X) == 1 or not np.any(X - mean):
        axis = np.zeros(X.shape[1])
        axis[0] = 1.0
        return Projection(mean, axis, 1.0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    axis = vt[0] * np.sign(vt[0][np.argmax(np.abs(vt[0]))])
    return Projection(mean, axis, float(s[0] ** 2 / np.sum(s**2)))
