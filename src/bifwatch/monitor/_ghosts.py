"""Ghosts near a loss jump: slow points that appeared or deepened between two checkpoints.

A ghost is a local minimum of the speed q(z) = |F(z) - z|^2 / 2 that stays above zero: a slow
region with no fixed point, which holds trajectories for a long time and lets training change
them abruptly without any bifurcation (Dinc et al., arXiv 2501.02378).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..ghosts import SlowPoints, exact_slow_points
from ..models import AbstractPLRNN

#: A matched slow point deepened when its speed fell by at least this factor.
DEEPENING = 2.0
#: Slow points of two checkpoints closer than this (relative, see SlowPoints.match) are one point.
MATCH_TOL = 0.05
#: A slow point left unmatched at MATCH_TOL that is this close to a slow point left over from the
#: checkpoint before moved there (ghosts drift as training goes on): it did not appear.
MOVE_TOL = 0.5
#: Exact slow points cost about 2 ms per region: refuse models with more regions than this.
MAX_REGIONS = 4096


@dataclass(frozen=True, eq=False)
class Ghost:
    """A slow point at checkpoint ``epoch`` that was not there (``appeared``), or was faster
    (``deepened``: its speed fell by ``factor`` >= DEEPENING), at the checkpoint ``since``."""

    epoch: float
    since: float
    point: np.ndarray
    speed: float
    kind: str
    factor: float | None = None

    def to_dict(self, projection=None) -> dict:
        pc1 = None if projection is None else float(projection(self.point[None, :])[0])
        return {"epoch": self.epoch, "since": self.since, "point": self.point.tolist(), "speed": self.speed,
                "pc1": pc1, "kind": self.kind, "factor": self.factor}


def slow_points(model: AbstractPLRNN, *, max_regions: int = MAX_REGIONS) -> SlowPoints | str:
    """The exact fixed and slow points of a checkpoint, or why they could not be had."""
    try:
        return exact_slow_points(model, max_regions=max_regions)
    except (ValueError, ArithmeticError, MemoryError) as err:
        return f"{type(err).__name__}: {err}"


def slow_points_task(task: tuple) -> SlowPoints | str:
    """One checkpoint's slow points as a sweep task: (model, max_regions)."""
    model, max_regions = task
    return slow_points(model, max_regions=max_regions)


def new_ghosts(before: SlowPoints, after: SlowPoints, *, epochs: tuple[float, float],
               deepening: float = DEEPENING, tol: float = MATCH_TOL, move_tol: float = MOVE_TOL
               ) -> list[Ghost]:
    """The slow points of ``after`` that appeared since ``before`` or deepened by ``deepening``.

    A slow point of ``after`` matched (:meth:`SlowPoints.match`, ``tol``) to a slow point of
    ``before`` deepened when q_before / q_after >= ``deepening``; matched to a fixed point it is
    the ghost a saddle-node leaves behind, and counts as appeared. The slow points left
    unmatched on both sides are matched once more at ``move_tol``: a ghost that drifted is the
    same ghost (judged by its depth as above); what is still unmatched appeared.

    >>> import numpy as np
    >>> def sp(z, q):
    ...     return SlowPoints.build(np.array(z, float).reshape(-1, 1), q=np.array(q, float),
    ...                             jacobians=np.ones((len(q), 1, 1)), time="discrete")
    >>> [g.kind for g in new_ghosts(sp([0.0], [0.1]), sp([0.0, 3.0], [0.01, 0.2]), epochs=(0, 10))]
    ['deepened', 'appeared']
    >>> [g.kind for g in new_ghosts(sp([0.0], [0.1]), sp([0.2], [0.09]), epochs=(0, 10))]  # it moved
    []
    """
    e0, e1 = epochs
    matching = before.match(after, tol=tol)
    partner = {j: i for i, j in matching.pairs}
    left = [i for i in matching.vanished if before.kind[i] == "slow"]
    new = [j for j in matching.appeared if after.kind[j] == "slow"]
    if left and new:
        moved = before.select(np.array(left)).match(after.select(np.array(new)), tol=move_tol)
        partner.update({new[b]: left[a] for a, b in moved.pairs})
    out = []
    for j in range(len(after)):
        if after.kind[j] != "slow":
            continue
        q = float(after.q[j])
        i = partner.get(j)
        if i is None or before.kind[i] != "slow":
            out.append(Ghost(e1, e0, after.points[j].copy(), q, "appeared"))
        elif float(before.q[i]) >= deepening * q:
            out.append(Ghost(e1, e0, after.points[j].copy(), q, "deepened", float(before.q[i]) / q))
    return out


def checkpoints_near(epoch: float, window: float, epochs: Sequence[float]) -> list[int]:
    """The checkpoints that bracket [epoch - 1 - window, epoch]: the last one at or before its
    start, every one inside, and the first one at or after its end."""
    lo, hi = epoch - 1 - window, epoch
    e = np.asarray(epochs, dtype=float)
    first = int(np.searchsorted(e, lo, side="right")) - 1
    last = int(np.searchsorted(e, hi, side="left"))
    return list(range(max(first, 0), min(last, len(e) - 1) + 1))
