"""Bifurcations in the windows before chosen epochs: the monitor run on short checkpoint segments.

Continuing every interval of a 3000-epoch run at order 8 costs about 15 minutes on two cores;
the question "is there a bifurcation within the window before this jump?" only needs the
intervals inside the windows. So the windows of all jumps and control epochs of a run are merged
into contiguous segments of checkpoints, and :func:`bifwatch.monitor.monitor_checkpoints` runs on
each segment (one sweep task per segment). Inside a segment nothing is skipped: every interval
is continued exactly, as the monitor does for a whole run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...monitor import TrainingEvent, explain, monitor_checkpoints
from ...sweep import run_tasks
from ...training import Jump
from ._student import StudentRuns, student_model


def is_signature(event: TrainingEvent) -> bool:
    """A cycle born or dying, or a change of its stability: :attr:`TrainingEvent.signature`, the
    monitor's own flag (a border collision through which a cycle persists with the same stability
    changes only its slopes)."""
    return event.signature


def segments(epochs: Sequence[int], *, window: float, last: int) -> list[tuple[int, int]]:
    """Contiguous checkpoint ranges (s, t), s < t, covering [e - 1 - window, e] for every epoch e.

    Epochs outside 1..last are dropped; ranges that overlap or touch are merged.

    Examples
    --------
    >>> segments([5, 7, 20], window=2.0, last=30)
    [(2, 7), (17, 20)]
    """
    spans = sorted((max(0, math.floor(e - 1 - window)), int(e)) for e in epochs if 1 <= e <= last)
    merged: list[list[int]] = []
    for s, t in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], t)
        else:
            merged.append([s, t])
    return [(s, t) for s, t in merged]


@dataclass(frozen=True, eq=False)
class WindowEvents:
    """What the monitor found on the segments of one run.

    Attributes
    ----------
    events : tuple of TrainingEvent
    segments : tuple of (int, int)
    intervals : int
        Checkpoint intervals continued (the cost).
    failures, gaps : int
        Intervals whose continuation failed, and changes in cycle counts the events do not
        account for (see :class:`bifwatch.monitor.Gap`).
    """

    events: tuple[TrainingEvent, ...]
    segments: tuple[tuple[int, int], ...]
    intervals: int
    failures: int
    gaps: int


def window_events(runs: StudentRuns, probes: dict[int, Sequence[int]], *, window: float, max_order: int,
                  seed: int = 0, workers: int | None = None, progress: bool = False
                  ) -> dict[int, WindowEvents]:
    """The bifurcations in the windows before each probe epoch, per run.

    Parameters
    ----------
    runs : StudentRuns
    probes : dict run -> epochs
        The epochs whose windows [e - 1 - window, e] are to be searched (jumps, control epochs).
    window, max_order, seed
        As for :func:`bifwatch.monitor.monitor_checkpoints`.
    workers, progress
        How the segments run (:func:`bifwatch.sweep.run_tasks`; one task per segment).
    """
    spans = {b: segments(e, window=window, last=runs.last_epoch(b)) for b, e in probes.items()}
    tasks = {f"run-{b:03d}-{s:05d}-{t:05d}": (runs.theta[s:t + 1, b], s, max_order, seed)
             for b, found in spans.items() for s, t in found}
    done = run_tasks(_segment_task, tasks, workers=workers, progress=progress, description="jump windows")
    out = {}
    for b, found in spans.items():
        parts = [done[f"run-{b:03d}-{s:05d}-{t:05d}"] for s, t in found]
        out[b] = WindowEvents(events=tuple(ev for p in parts for ev in p[0]), segments=tuple(found),
                              intervals=sum(t - s for s, t in found), failures=sum(p[1] for p in parts),
                              gaps=sum(p[2] for p in parts))
    return out


def _segment_task(task: tuple) -> tuple[tuple[TrainingEvent, ...], int, int]:
    """One segment: (θ of its checkpoints, first epoch, max_order, seed) -> (events, failures, gaps)."""
    thetas, first, max_order, seed = task
    models = [student_model(theta) for theta in thetas]
    record = monitor_checkpoints(models, list(range(first, first + len(models))), max_order=max_order,
                                 ghosts=False, seed=seed)
    return record.bifurcations, len(record.failures), len(record.gaps)


def explained(epochs: Sequence[int], events: Sequence[TrainingEvent], *, window: float) -> np.ndarray:
    """For each epoch, whether an event falls in its window: :func:`bifwatch.monitor.explain`'s rule.

    The epochs are probed as jumps, so a control epoch is judged exactly like a loss jump.
    """
    probes = [Jump(epoch=int(e), index=int(e), direction="drop", size=1.0, z=0.0) for e in epochs]
    return np.array([why == "bifurcation" for why, _ in explain(probes, events, window=window)], dtype=bool)
