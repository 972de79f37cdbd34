"""The monitor's record of a run: checkpoints, bifurcations, ghosts, loss jumps with their
explanation, gaps, tracked objects.

Written as ``events.json`` (see docs/monitor.md for every key).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._json import finite_or_none, write_json
from ..models import AbstractPLRNN
from ..sweep import SweepStore, run_tasks
from ..training import Jump, gradient_spikes, loss_jumps
from ._analysis import (
    CheckpointCycles,
    Gap,
    IntervalFailure,
    TrainingEvent,
    checkpoint_task,
    gaps_between,
    interval_task,
)
from ._ghosts import MAX_REGIONS, Ghost, checkpoints_near, new_ghosts, slow_points_task
from ._tracks import Projection, Track, event_tracks, principal_axis, track_cycles

#: A jump at epoch e (the loss changed during epoch e, from checkpoint e - 1 to e) is explained
#: by the bifurcations in [e - 1 - WINDOW, e]: the epoch itself and the WINDOW epochs before it.
WINDOW = 2.0

#: Explanations, in the order they are tried.
EXPLANATIONS = ("divergence", "bifurcation", "ghost", "unexplained")


@dataclass(frozen=True, eq=False)
class MonitorRecord:
    """What the monitor found in a run (see :func:`monitor_checkpoints`).

    ``explanations[j]`` is (why, indices into ``bifurcations``) for ``jumps[j]``, and
    ``jump_ghosts[j]`` the indices into ``ghosts`` that explain it when why is ``ghost``.
    ``labels[i][c]`` is the track id of cycle c at checkpoint i; ``event_tracks[n]`` that of
    bifurcation n (None when no tracked cycle matches).
    """

    checkpoints: tuple[CheckpointCycles, ...]
    paths: tuple[str | None, ...]
    bifurcations: tuple[TrainingEvent, ...]
    failures: tuple[IntervalFailure, ...]
    gaps: tuple[Gap, ...]
    jumps: tuple[Jump, ...]
    explanations: tuple[tuple[str, tuple[int, ...]], ...]
    settings: dict = field(default_factory=dict)
    jump_ghosts: tuple[tuple[int, ...], ...] = ()
    ghosts: tuple[Ghost, ...] = ()
    tracks: tuple[Track, ...] = ()
    labels: tuple[tuple[int, ...], ...] = ()
    event_tracks: tuple[int | None, ...] = ()
    projection: Projection | None = None
    gradient_spikes: tuple[Jump, ...] = ()
    history: Mapping[str, np.ndarray] | None = None
    ghost_failures: tuple[tuple[float, str], ...] = ()
    skipped: tuple[tuple[float, float], ...] = ()
    window_complete: tuple[bool, ...] = ()

    @property
    def epochs(self) -> list[float]:
        return [c.epoch for c in self.checkpoints]

    def to_dict(self) -> dict:
        max_order = self.settings["max_order"]
        project = self.projection
        checkpoints = []
        for i, (c, p) in enumerate(zip(self.checkpoints, self.paths, strict=True)):
            row = {"epoch": c.epoch, "path": p, "n_cycles_by_order": {str(k): n for k, n in
                                                                        c.counts(max_order).items()}}
            if c.failed:
                row["failed"] = c.failed
            if c.result is not None:
                labels = self.labels[i] if self.labels else (None,) * len(c.result.cycles)
                row["cycles"] = [_cycle_dict(cycle, track, project) for cycle, track in
                                 zip(c.result.cycles, labels, strict=True)]
            checkpoints.append(row)
        ghost_links = self.jump_ghosts or ((),) * len(self.jumps)
        complete = self.window_complete or (True,) * len(self.jumps)
        jumps = [{**j.to_dict(), "explanation": why, "bifurcations": list(which), "ghosts": list(g),
                  "window_complete": c}
                 for j, (why, which), g, c in zip(self.jumps, self.explanations, ghost_links, complete,
                                                  strict=True)]
        bifurcations = [{**t.to_dict(), "track": None if not self.event_tracks else self.event_tracks[n]}
                        for n, t in enumerate(self.bifurcations)]
        out = {
            "checkpoints": checkpoints,
            "bifurcations": bifurcations,
            "loss_jumps": jumps,
            "gradient_spikes": [j.to_dict() for j in self.gradient_spikes],
            "ghosts": [g.to_dict(project) for g in self.ghosts],
            "ghost_failures": [{"epoch": e, "reason": why} for e, why in self.ghost_failures],
            "tracks": [t.to_dict(self.epochs) for t in self.tracks],
            "projection": None if project is None else project.to_dict(),
            "gaps": [g.to_dict() for g in self.gaps],
            "failed_intervals": [{"between": list(f.between), "reason": f.reason} for f in self.failures],
            "skipped_intervals": [list(between) for between in self.skipped],
            "settings": self.settings,
        }
        if self.history is not None:
            out["history"] = {name: np.asarray(v, dtype=float).tolist() for name, v in self.history.items()}
        return finite_or_none(out)

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path, indent=2)

    def plot_report(self, path: str | os.PathLike, *, title: str | None = None):
        """Write the HTML report (``report.html``): the figures and tables of
        :func:`bifwatch.plotting.write_report` (a result asking for its figure)."""
        from ..plotting import write_report

        return write_report(self.to_dict(), path, title=title)


def _cycle_dict(cycle, track, project) -> dict:
    return {"track": track, "order": cycle.order,
            "pc1": None if project is None else project(cycle.points).tolist(),
            "spectral_radius": float(cycle.spectral_radius),
            "stable": bool(cycle.stable), "classification": cycle.classification}


def explain(jumps: Sequence[Jump], events: Sequence[TrainingEvent], *, window: float = WINDOW,
            ghosts: Sequence[Ghost] = ()) -> list[tuple[str, tuple[int, ...]]]:
    """Each jump's explanation and the indices of the events that give it.

    ``divergence`` for a NaN/Inf loss; ``bifurcation`` when events fall in [e - 1 - window, e];
    else ``ghost`` when ``ghosts`` seen at a checkpoint of :func:`ghost_window` are given
    (their indices are in :func:`ghost_links`); ``unexplained`` otherwise. A jump is never given
    an event it does not have.
    """
    out = []
    for jump, near_ghosts in zip(jumps, ghost_links(jumps, events, ghosts, window=window), strict=True):
        if jump.kind == "divergence":
            out.append(("divergence", ()))
            continue
        near = tuple(i for i, t in enumerate(events) if jump.epoch - 1 - window <= t.epoch <= jump.epoch)
        out.append(("bifurcation", near) if near else ("ghost", ()) if near_ghosts else ("unexplained", ()))
    return out


def ghost_window(epoch: float, window: float) -> tuple[float, float]:
    """Checkpoints whose ghosts can explain a jump at ``epoch``: those in [epoch - 1 - window,
    epoch + window] (a ghost seen at the first checkpoint after a jump formed before it)."""
    return epoch - 1 - window, epoch + window


def ghost_links(jumps: Sequence[Jump], events: Sequence[TrainingEvent], ghosts: Sequence[Ghost], *,
                window: float = WINDOW) -> list[tuple[int, ...]]:
    """For each jump with no bifurcation in its window, the ghosts that explain it (see
    :func:`ghost_window`); empty for the others."""
    out = []
    for jump in jumps:
        near = any(jump.epoch - 1 - window <= t.epoch <= jump.epoch for t in events)
        if jump.kind == "divergence" or near:
            out.append(())
            continue
        lo, hi = ghost_window(jump.epoch, window)
        out.append(tuple(i for i, g in enumerate(ghosts) if g.since <= hi and g.epoch >= lo))
    return out


def monitor_checkpoints(models: Sequence[AbstractPLRNN], epochs: Sequence[float], *, loss=None,
                        loss_epochs=None, grad_norm=None, history: Mapping[str, Sequence] | None = None,
                        max_order: int = 4, window: float = WINDOW, ghosts: bool = True,
                        max_regions: int = MAX_REGIONS, intervals: str = "all", seed: int = 0,
                        resolution: int = 100, paths: Sequence[str] | None = None,
                        store: SweepStore | None = None, workers: int | None = None, scheduler=None,
                        progress: bool = False) -> MonitorRecord:
    """Analyse a run from its checkpoints and loss curve: cycles, bifurcations, ghosts, jumps, gaps.

    Parameters
    ----------
    models : sequence of AbstractPLRNN
        One per checkpoint, all of one kind and shape, in epoch order.
    epochs : sequence of float
        Their epochs, strictly increasing (not necessarily evenly spaced).
    loss, loss_epochs : arrays, optional
        The loss curve and its epochs (default: one entry per epoch 1, 2, ...).
    grad_norm : array, optional
        The gradient norm at the same epochs as the loss: its spikes are recorded too.
    history : mapping of column -> array, optional
        Columns to keep in the record (and draw in the report), e.g. a history.csv read by
        :func:`bifwatch.training.read_history`; ``loss``/``grad_norm``/``epoch`` are taken
        from it when not given.
    max_order : int, default 4
        Cycles of orders 1..max_order are searched at every checkpoint and followed between them.
    window : float, default 2
        Epochs before a jump whose bifurcations explain it (see :func:`explain`).
    ghosts : bool, default True
        Look for ghosts (exact slow points) around jumps that no bifurcation explains.
    max_regions : int, default 4096
        Models with more linear regions than this get no ghost search (recorded in
        ``ghost_failures``); each region costs about 2 ms.
    intervals : {"all", "jumps"}, default "all"
        Follow every interval between checkpoints, or only those that overlap a jump's window
        (:func:`jump_intervals`; the others are listed in ``skipped``): for large models, whose
        continuation costs a minute per interval, this is what makes monitoring affordable.
    store, workers, scheduler, progress
        How the checkpoint searches, interval continuations and slow-point searches run (see
        :func:`bifwatch.sweep.run_tasks`): each is one task, kept in ``store`` as it finishes,
        so an interrupted analysis resumes without redoing finished ones.

    Notes
    -----
    At each checkpoint :func:`bifwatch.find_cycles`; between consecutive checkpoints
    :func:`bifwatch.bifurcation_diagram` along ``ModelPath`` (the straight line between their
    parameters), each event at path fraction f placed at epoch e0 + f (e1 - e0). Where the
    number of order-k cycles changes by more or less than the births minus the deaths found, a
    :class:`Gap` is recorded instead of an invented event. Cycles are matched across
    checkpoints by region sequence (:func:`track_cycles`). Loss jumps come from
    :func:`bifwatch.training.loss_jumps`. For a jump with no bifurcation in its window, the
    exact slow points of the checkpoints around it are compared (:func:`new_ghosts`): a slow
    point that appeared or deepened makes it a ``ghost`` jump.
    """
    epochs = _check_epochs(models, epochs)
    _choice_of_intervals(intervals)
    check_window(window)
    curve, curve_epochs, grad = _curves(loss, loss_epochs, grad_norm, history)
    if curve is not None:  # bad curves are refused before any analysis runs
        loss_jumps(curve, epochs=curve_epochs)
    if grad is not None:
        gradient_spikes(grad, epochs=curve_epochs)

    def run(tasks: dict[str, tuple]) -> dict:
        return run_tasks(run_task, tasks, store=store, workers=workers, scheduler=scheduler,
                         progress=progress, description="checkpoints and intervals")

    tasks = analysis_tasks(models, epochs, max_order=max_order, seed=seed, resolution=resolution)
    if intervals != "all":
        tasks = {k: v for k, v in tasks.items() if k.startswith("checkpoint-")}
    return build_record(models, epochs, run(tasks), run, loss=loss, loss_epochs=loss_epochs,
                        grad_norm=grad_norm, history=history, max_order=max_order, window=window,
                        ghosts=ghosts, max_regions=max_regions, intervals=intervals, seed=seed,
                        resolution=resolution, paths=paths)


#: How many intervals are followed: every one, or those a jump's window overlaps.
INTERVALS = ("all", "jumps")


def check_window(window) -> float:
    """``window`` as a float: a finite number of epochs >= 0."""
    if isinstance(window, bool) or not (isinstance(window, int | float) and math.isfinite(window)
                                        and window >= 0):
        raise ValueError(f"`window` must be a finite number of epochs >= 0; got {window!r}")
    return float(window)


def _choice_of_intervals(intervals) -> None:
    if intervals not in INTERVALS:
        raise ValueError(f"`intervals` must be one of {INTERVALS}; got {intervals!r}")


def jump_intervals(epochs: Sequence[float], jumps: Sequence[Jump], window: float) -> list[int]:
    """The intervals [e_i, e_{i+1}] that overlap the window [e - 1 - window, e] of some jump."""
    wanted = set()
    for jump in jumps:
        lo, hi = jump.epoch - 1 - window, jump.epoch
        wanted.update(i for i in range(len(epochs) - 1) if epochs[i] <= hi and epochs[i + 1] >= lo)
    return sorted(wanted)


def _check_epochs(models, epochs) -> list[float]:
    epochs = [float(e) for e in epochs]
    if len(models) != len(epochs) or len(models) < 1:
        raise ValueError(f"`models` and `epochs` must have the same length >= 1; got {len(models)} and "
                         f"{len(epochs)}")
    if np.any(np.diff(epochs) <= 0):
        raise ValueError(f"`epochs` must increase strictly; got {epochs}")
    return epochs


def build_record(models: Sequence[AbstractPLRNN], epochs: list[float], done: Mapping[str, object],
                 run: Callable[[dict[str, tuple]], dict], *, loss, loss_epochs, grad_norm, history,
                 max_order: int, window: float, ghosts: bool, max_regions: int, seed: int, resolution: int,
                 paths: Sequence[str] | None, intervals: str = "all", extra_settings: Mapping | None = None
                 ) -> MonitorRecord:
    """The record from finished :func:`analysis_tasks` (``done``); ``run`` computes the tasks
    still missing (intervals a jump asks for, slow points). Shared by :func:`monitor_checkpoints`
    and the online Monitor."""
    epochs = _check_epochs(models, epochs)
    loss, loss_epochs, grad_norm = _curves(loss, loss_epochs, grad_norm, history)
    jumps = () if loss is None else loss_jumps(loss, epochs=loss_epochs)
    n = len(models) - 1
    wanted = set(range(n)) if intervals == "all" else set(jump_intervals(epochs, jumps, window))
    missing = {f"interval-{i:06d}": interval_entry(models[i], models[i + 1], (epochs[i], epochs[i + 1]),
                                                   max_order=max_order, seed=seed, resolution=resolution)
               for i in sorted(wanted) if f"interval-{i:06d}" not in done}
    done = {**done, **(run(missing) if missing else {})}
    cycles = [done[f"checkpoint-{i:06d}"] for i in range(len(models))]
    events, failures, gaps, between = [], [], [], []
    for i in range(n):
        if i not in wanted:
            between.append([])
            continue
        found = done[f"interval-{i:06d}"]
        if isinstance(found, IntervalFailure):
            failures.append(found)
            between.append([])
            continue
        events.extend(found)
        between.append(found)
        gaps.extend(gaps_between(cycles[i], cycles[i + 1], found, max_order))
    spikes = () if grad_norm is None else gradient_spikes(grad_norm, epochs=loss_epochs)
    found_ghosts, ghost_failures = [], []
    if ghosts and jumps:
        found_ghosts, ghost_failures = _ghosts(models, epochs, jumps, events, run, window, max_regions)
    tracks, labels = track_cycles(cycles, between)
    settings = {"max_order": max_order, "window": window, "seed": seed, "resolution": resolution,
                "ghosts": ghosts, "max_regions": max_regions, "intervals": intervals,
                **(extra_settings or {})}
    return MonitorRecord(
        checkpoints=tuple(cycles), paths=tuple(paths) if paths else (None,) * len(cycles),
        bifurcations=tuple(events), failures=tuple(failures), gaps=tuple(gaps), jumps=tuple(jumps),
        explanations=tuple(explain(jumps, events, window=window, ghosts=found_ghosts)), settings=settings,
        jump_ghosts=tuple(ghost_links(jumps, events, found_ghosts, window=window)),
        ghosts=tuple(found_ghosts), tracks=tuple(tracks), labels=tuple(tuple(r) for r in labels),
        event_tracks=tuple(event_tracks(between, labels, cycles)), projection=principal_axis(cycles),
        gradient_spikes=tuple(spikes), history=None if history is None else dict(history),
        ghost_failures=tuple(ghost_failures),
        skipped=tuple((epochs[i], epochs[i + 1]) for i in range(n) if i not in wanted),
        window_complete=tuple(_window_complete(j, epochs, cycles, wanted, failures, window) for j in jumps))


def _window_complete(jump: Jump, epochs, cycles, wanted, failures, window: float) -> bool:
    """Whether every interval a jump's window [e - 1 - window, e] overlaps was followed, with both
    of its searches: only then does "no event there" mean none happened."""
    if jump.kind == "divergence":
        return True
    lo, hi = jump.epoch - 1 - window, jump.epoch
    if lo < epochs[0] or hi > epochs[-1]:
        return False
    failed = {f.between for f in failures}
    for i in range(len(epochs) - 1):
        if epochs[i] <= hi and epochs[i + 1] >= lo:
            if (i not in wanted or (epochs[i], epochs[i + 1]) in failed or cycles[i].result is None
                    or cycles[i + 1].result is None):
                return False
    return True


def _curves(loss, loss_epochs, grad_norm, history):
    if history is not None:
        loss = history.get("loss") if loss is None else loss
        loss_epochs = history.get("epoch") if loss_epochs is None else loss_epochs
        grad_norm = history.get("grad_norm") if grad_norm is None else grad_norm
    grad_norm = _array(grad_norm)
    if grad_norm is not None and np.any(grad_norm <= 0):  # no gradient at all: floored, not refused
        positive = grad_norm[grad_norm > 0]
        grad_norm = np.where(grad_norm <= 0, positive.min() if positive.size else 1e-300, grad_norm)
    return _array(loss), loss_epochs, grad_norm


def _array(values):
    return None if values is None else np.asarray(values, dtype=float)


def _ghosts(models, epochs, jumps, events, run, window, max_regions):
    """Slow points at the checkpoints around each jump no bifurcation explains, and what changed."""
    wanted = set()
    for jump, (why, _) in zip(jumps, explain(jumps, events, window=window), strict=True):
        if why == "unexplained":
            lo, hi = ghost_window(jump.epoch, window)
            wanted.update(checkpoints_near(hi, hi - lo - 1, epochs))
    if not wanted:
        return [], []
    done = run({f"slowpoints-{i:06d}": ("slowpoints", (models[i], max_regions)) for i in sorted(wanted)})
    found, failed = [], []
    for i in sorted(wanted):
        here = done[f"slowpoints-{i:06d}"]
        if isinstance(here, str):
            failed.append((epochs[i], here))
            continue
        before = done.get(f"slowpoints-{i - 1:06d}")
        if before is not None and not isinstance(before, str):
            found.extend(new_ghosts(before, here, epochs=(epochs[i - 1], epochs[i])))
    return found, failed


def analysis_tasks(models, epochs, *, max_order: int, seed: int, resolution: int) -> dict[str, tuple]:
    """One task per checkpoint search and one per interval, keyed so a store can resume them."""
    tasks: dict[str, tuple] = {}
    for i, (model, epoch) in enumerate(zip(models, epochs, strict=True)):
        tasks[f"checkpoint-{i:06d}"] = checkpoint_entry(model, epoch, max_order=max_order, seed=seed)
    for i in range(len(models) - 1):
        tasks[f"interval-{i:06d}"] = interval_entry(models[i], models[i + 1], (epochs[i], epochs[i + 1]),
                                                    max_order=max_order, seed=seed, resolution=resolution)
    return tasks


def checkpoint_entry(model, epoch: float, *, max_order: int, seed: int) -> tuple:
    return ("checkpoint", (model, epoch, max_order, seed))


def interval_entry(start, end, between, *, max_order: int, seed: int, resolution: int) -> tuple:
    return ("interval", (start, end, between, max_order, seed, resolution))


_TASKS = {"checkpoint": checkpoint_task, "interval": interval_task, "slowpoints": slow_points_task}


def run_task(task: tuple):
    """A monitor task on a worker (module level, so processes and Dask can pickle it)."""
    what, arguments = task
    return _TASKS[what](arguments)
