"""The monitor's record of a run: checkpoints, bifurcations, loss jumps with their explanation, gaps.

Written as ``events.json`` (see docs/monitor.md for every key).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._json import finite_or_none, write_json
from ..models import AbstractPLRNN
from ..sweep import SweepStore, run_tasks
from ..training import Jump, loss_jumps
from ._analysis import (
    CheckpointCycles,
    Gap,
    IntervalFailure,
    TrainingEvent,
    checkpoint_task,
    gaps_between,
    interval_task,
)

#: A jump at epoch e (the loss changed during epoch e, from checkpoint e - 1 to e) is explained
#: by the bifurcations in [e - 1 - WINDOW, e]: the epoch itself and the WINDOW epochs before it.
WINDOW = 2.0


@dataclass(frozen=True, eq=False)
class MonitorRecord:
    """What the monitor found in a run (see :func:`monitor_checkpoints`)."""

    checkpoints: tuple[CheckpointCycles, ...]
    paths: tuple[str | None, ...]
    bifurcations: tuple[TrainingEvent, ...]
    failures: tuple[IntervalFailure, ...]
    gaps: tuple[Gap, ...]
    jumps: tuple[Jump, ...]
    explanations: tuple[tuple[str, tuple[int, ...]], ...]
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        max_order = self.settings["max_order"]
        checkpoints = [{"epoch": c.epoch, "path": p, "n_cycles_by_order": {str(k): n for k, n in
                        c.counts(max_order).items()}, **({"failed": c.failed} if c.failed else {})}
                       for c, p in zip(self.checkpoints, self.paths, strict=True)]
        jumps = [{**j.to_dict(), "explanation": why, "bifurcations": list(which)}
                 for j, (why, which) in zip(self.jumps, self.explanations, strict=True)]
        return finite_or_none({
            "checkpoints": checkpoints,
            "bifurcations": [t.to_dict() for t in self.bifurcations],
            "loss_jumps": jumps,
            "gaps": [g.to_dict() for g in self.gaps],
            "failed_intervals": [{"between": list(f.between), "reason": f.reason} for f in self.failures],
            "settings": self.settings,
        })

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path, indent=2)


def explain(jumps: Sequence[Jump], events: Sequence[TrainingEvent], *, window: float = WINDOW
            ) -> list[tuple[str, tuple[int, ...]]]:
    """Each jump's explanation and the indices of the events that give it.

    ``divergence`` for a NaN/Inf loss; ``bifurcation`` when events fall in [e - 1 - window, e];
    ``unexplained`` otherwise (a jump is never given an event it does not have).
    """
    out = []
    for jump in jumps:
        if jump.kind == "divergence":
            out.append(("divergence", ()))
            continue
        near = tuple(i for i, t in enumerate(events) if jump.epoch - 1 - window <= t.epoch <= jump.epoch)
        out.append(("bifurcation", near) if near else ("unexplained", ()))
    return out


def monitor_checkpoints(models: Sequence[AbstractPLRNN], epochs: Sequence[float], *, loss=None,
                        loss_epochs=None, max_order: int = 4, window: float = WINDOW, seed: int = 0,
                        resolution: int = 100, paths: Sequence[str] | None = None,
                        store: SweepStore | None = None, workers: int | None = None, scheduler=None,
                        progress: bool = False) -> MonitorRecord:
    """Analyse a run from its checkpoints and loss curve: cycles, bifurcations, jumps, gaps.

    Parameters
    ----------
    models : sequence of AbstractPLRNN
        One per checkpoint, all of one kind and shape, in epoch order.
    epochs : sequence of float
        Their epochs, strictly increasing (not necessarily evenly spaced).
    loss, loss_epochs : arrays, optional
        The loss curve and its epochs (default: one entry per epoch 1, 2, ...).
    max_order : int, default 4
        Cycles of orders 1..max_order are searched at every checkpoint and followed between them.
    window : float, default 2
        Epochs before a jump whose bifurcations explain it (see :func:`explain`).
    store, workers, scheduler, progress
        How the checkpoint searches and interval continuations run (see
        :func:`bifwatch.sweep.run_tasks`): each is one task, kept in ``store`` as it finishes, so
        an interrupted analysis resumes without redoing finished checkpoints or intervals.

    Notes
    -----
    At each checkpoint :func:`bifwatch.find_cycles`; between consecutive checkpoints
    :func:`bifwatch.bifurcation_diagram` along ``ModelPath`` (the straight line between their
    parameters), each event at path fraction f placed at epoch e0 + f (e1 - e0). Where the
    number of order-k cycles changes by more or less than the births minus the deaths found, a
    :class:`Gap` is recorded instead of an invented event. Loss jumps come from
    :func:`bifwatch.training.loss_jumps`.
    """
    epochs = [float(e) for e in epochs]
    if len(models) != len(epochs) or len(models) < 1:
        raise ValueError(f"`models` and `epochs` must have the same length >= 1; got {len(models)} and "
                         f"{len(epochs)}")
    if np.any(np.diff(epochs) <= 0):
        raise ValueError(f"`epochs` must increase strictly; got {epochs}")
    tasks = _tasks(models, epochs, max_order=max_order, seed=seed, resolution=resolution)
    done = run_tasks(_run_task, tasks, store=store, workers=workers, scheduler=scheduler, progress=progress,
                     description="checkpoints and intervals")
    cycles = [done[f"checkpoint-{i:06d}"] for i in range(len(models))]
    events, failures, gaps = [], [], []
    for i in range(len(models) - 1):
        found = done[f"interval-{i:06d}"]
        if isinstance(found, IntervalFailure):
            failures.append(found)
            continue
        events.extend(found)
        gaps.extend(gaps_between(cycles[i], cycles[i + 1], found, max_order))
    jumps = () if loss is None else loss_jumps(np.asarray(loss, dtype=float), epochs=loss_epochs)
    settings = {"max_order": max_order, "window": window, "seed": seed, "resolution": resolution}
    return MonitorRecord(checkpoints=tuple(cycles), paths=tuple(paths) if paths else (None,) * len(cycles),
                         bifurcations=tuple(events), failures=tuple(failures), gaps=tuple(gaps),
                         jumps=tuple(jumps), explanations=tuple(explain(jumps, events, window=window)),
                         settings=settings)


def _tasks(models, epochs, *, max_order: int, seed: int, resolution: int) -> dict[str, tuple]:
    """One task per checkpoint search and one per interval, keyed so a store can resume them."""
    tasks: dict[str, tuple] = {}
    for i, (model, epoch) in enumerate(zip(models, epochs, strict=True)):
        tasks[f"checkpoint-{i:06d}"] = ("checkpoint", (model, epoch, max_order, seed))
    for i in range(len(models) - 1):
        between = (epochs[i], epochs[i + 1])
        tasks[f"interval-{i:06d}"] = ("interval", (models[i], models[i + 1], between, max_order, seed,
                                                   resolution))
    return tasks


def _run_task(task: tuple):
    """A monitor task on a worker (module level, so processes and Dask can pickle it)."""
    what, arguments = task
    return checkpoint_task(arguments) if what == "checkpoint" else interval_task(arguments)
