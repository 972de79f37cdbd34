"""What a run of checkpoints went through: every cycle at each checkpoint, every bifurcation
between two, and the changes in the set of cycles that the events found do not account for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..bifurcations import BifurcationEvent, ModelPath, bifurcation_diagram
from ..models import AbstractPLRNN
from ..search import CycleSearchResult, find_cycles


@dataclass(frozen=True, eq=False)
class CheckpointCycles:
    """The cycle search at one checkpoint (``result`` None when it failed, with ``failed`` saying why)."""

    epoch: float
    result: CycleSearchResult | None
    failed: str | None = None

    def counts(self, max_order: int) -> dict[int, int]:
        """Number of cycles of each order 1..max_order (empty when the search failed)."""
        if self.result is None:
            return {}
        found = Counter(c.order for c in self.result.cycles)
        return {k: found.get(k, 0) for k in range(1, max_order + 1)}


@dataclass(frozen=True, eq=False)
class TrainingEvent:
    """A bifurcation between two checkpoints, at ``epoch = e0 + fraction (e1 - e0)``."""

    epoch: float
    between: tuple[float, float]
    fraction: float
    event: BifurcationEvent

    @property
    def signature(self) -> bool:
        """A cycle is born or dies here, or changes its stability: the set of attractors changes.
        (A border collision the cycle goes on through with its stability changes only its slopes.)"""
        e = self.event
        return e.outcome != "persists" or _stable(e.stability_before) != _stable(e.stability_after)

    def to_dict(self) -> dict:
        e = self.event
        return {"epoch": self.epoch, "between": list(self.between), "fraction": self.fraction, "type": e.type,
                "order": e.order, "outcome": e.outcome, "signature": self.signature,
                "stability_before": e.stability_before,
                "stability_after": e.stability_after,
                "spectral_radius": float(np.max(np.abs(e.multipliers))) if e.multipliers.size else None,
                "note": e.note}


def _stable(classification: str | None) -> bool | None:
    """Whether a classification ("stable focus", "saddle node", ...) names an attractor."""
    return None if classification is None else classification.split()[0] == "stable"


@dataclass(frozen=True, eq=False)
class Gap:
    """Between two checkpoints the number of order-``order`` cycles changed by ``change``, but the
    events found there add up to ``accounted`` (births minus deaths): something was not followed."""

    between: tuple[float, float]
    order: int
    change: int
    accounted: int

    def to_dict(self) -> dict:
        return {"between": list(self.between), "order": self.order, "change": self.change,
                "accounted": self.accounted}


@dataclass(frozen=True, eq=False)
class IntervalFailure:
    between: tuple[float, float]
    reason: str


def search_checkpoints(models: Sequence[AbstractPLRNN], epochs: Sequence[float], *, max_order: int,
                       seed: int = 0) -> list[CheckpointCycles]:
    """:func:`bifwatch.find_cycles` at every checkpoint; a search that fails is recorded, not raised."""
    out = []
    for model, epoch in zip(models, epochs, strict=True):
        try:
            out.append(CheckpointCycles(epoch, find_cycles(model, max_order=max_order, seed=seed)))
        except (ValueError, ArithmeticError, MemoryError) as err:
            out.append(CheckpointCycles(epoch, None, failed=f"{type(err).__name__}: {err}"))
    return out


def interval_events(start: AbstractPLRNN, end: AbstractPLRNN, between: tuple[float, float], *,
                    max_order: int, seed: int = 0, resolution: int = 100
                    ) -> list[TrainingEvent] | IntervalFailure:
    """Every bifurcation on the straight path from ``start`` to ``end``, placed in epochs.

    The exact continuation of :func:`bifwatch.bifurcation_diagram` along
    ``ModelPath(start, end)``: an event at path fraction f is at epoch e0 + f (e1 - e0).
    """
    e0, e1 = between
    try:
        diagram = bifurcation_diagram(ModelPath(start, end), max_order=max_order, seed=seed,
                                      resolution=resolution)
    except (ValueError, ArithmeticError, MemoryError) as err:
        return IntervalFailure(between, f"{type(err).__name__}: {err}")
    return [TrainingEvent(e0 + e.value * (e1 - e0), between, float(e.value), e) for e in diagram.events]


def gaps_between(before: CheckpointCycles, after: CheckpointCycles, events: Sequence[TrainingEvent],
                 max_order: int) -> list[Gap]:
    """Orders whose change in cycle count is not the births minus the deaths of ``events``."""
    if before.result is None or after.result is None:
        return []
    n0, n1 = before.counts(max_order), after.counts(max_order)
    gaps = []
    for k in range(1, max_order + 1):
        born = sum(1 for t in events if t.event.order == k and t.event.outcome == "born")
        died = sum(1 for t in events if t.event.order == k and t.event.outcome == "dies")
        if n1[k] - n0[k] != born - died:
            gaps.append(Gap((before.epoch, after.epoch), k, n1[k] - n0[k], born - died))
    return gaps


def checkpoint_task(task: tuple) -> CheckpointCycles:
    """One checkpoint's search, as a sweep task: (model, epoch, max_order, seed)."""
    model, epoch, max_order, seed = task
    return search_checkpoints([model], [epoch], max_order=max_order, seed=seed)[0]


def interval_task(task: tuple) -> list[TrainingEvent] | IntervalFailure:
    """One interval's continuation, as a sweep task: (start, end, between, max_order, seed, resolution)."""
    start, end, between, max_order, seed, resolution = task
    return interval_events(start, end, between, max_order=max_order, seed=seed, resolution=resolution)
