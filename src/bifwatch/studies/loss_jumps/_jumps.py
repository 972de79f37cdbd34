"""Each run's loss jumps, whether a bifurcation falls in the window before each, and the control."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...monitor import TrainingEvent
from ...training import Jump, loss_jumps
from ._student import StudentRuns
from ._windows import WindowEvents, explained, is_signature, window_events


@dataclass(frozen=True, eq=False)
class RunJumps:
    """One run's jumps and control epochs, and which of them have a bifurcation in their window.

    Attributes
    ----------
    run, seed : int
        Index in the batch and seed of the initialisation.
    last_epoch : int
        The last epoch with a finite loss.
    diverged : int
        The epoch of the divergence, -1 for none.
    jumps : tuple of Jump
        :func:`bifwatch.training.loss_jumps` on the run's loss (before any divergence).
    sampled : int array, shape (J,)
        The indices into ``jumps`` whose windows were searched (all, or an even spread of them).
    jump_any, jump_signature : bool arrays, shape (J,)
        An event, or a signature event (:func:`is_signature`), in the window of each sampled jump.
    controls : int array, shape (C,)
        Random epochs, judged by the same rule.
    control_any, control_signature : bool arrays, shape (C,)
    found : WindowEvents
        The events and the segments searched.
    """

    run: int
    seed: int
    last_epoch: int
    diverged: int
    jumps: tuple[Jump, ...]
    sampled: np.ndarray
    jump_any: np.ndarray
    jump_signature: np.ndarray
    controls: np.ndarray
    control_any: np.ndarray
    control_signature: np.ndarray
    found: WindowEvents

    @property
    def events(self) -> tuple[TrainingEvent, ...]:
        return self.found.events

    @property
    def sampled_epochs(self) -> np.ndarray:
        return np.array([int(self.jumps[i].epoch) for i in self.sampled], dtype=int)

    def _window_flags(self, i: int) -> dict:
        """Whether jump i's window holds an event (None for a jump whose window was not searched)."""
        where = np.flatnonzero(self.sampled == i)
        if not where.size:
            return {"searched": False, "bifurcation_in_window": None, "signature_in_window": None}
        k = int(where[0])
        return {"searched": True, "bifurcation_in_window": bool(self.jump_any[k]),
                "signature_in_window": bool(self.jump_signature[k])}

    def to_dict(self) -> dict:
        return {
            "run": self.run, "seed": self.seed, "last_epoch": self.last_epoch,
            "diverged": None if self.diverged < 0 else self.diverged,
            "loss_jumps": [{**j.to_dict(), **self._window_flags(i)} for i, j in enumerate(self.jumps)],
            "control_epochs": [{"epoch": int(e), "bifurcation_in_window": bool(a),
                                "signature_in_window": bool(s)}
                               for e, a, s in zip(self.controls, self.control_any, self.control_signature,
                                                  strict=True)],
            "bifurcations": [t.to_dict() for t in self.events],
            "segments": [list(s) for s in self.found.segments], "intervals_continued": self.found.intervals,
            "failed_intervals": self.found.failures, "gaps": self.found.gaps,
        }


def run_jumps(runs: StudentRuns, run: int) -> tuple[Jump, ...]:
    """The loss jumps of one run before its divergence (the divergence itself is not a jump here)."""
    last = runs.last_epoch(run)
    if last < 2:
        return ()
    return tuple(j for j in loss_jumps(runs.loss[: last + 1, run]) if j.kind == "jump")


def spread_sample(n: int, most: int | None) -> np.ndarray:
    """Indices of at most ``most`` of n items, evenly spread over them (all of them for None).

    Examples
    --------
    >>> spread_sample(10, 4).tolist(), spread_sample(3, 4).tolist()
    ([0, 3, 6, 9], [0, 1, 2])
    """
    if most is None or n <= most:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, most)).astype(int))


def analyse_jumps(runs: StudentRuns, *, window: float, max_order: int, controls: int,
                  jumps_per_run: int | None = None, seed: int = 0, workers: int | None = None,
                  progress: bool = False) -> tuple[RunJumps, ...]:
    """Every run's jumps and ``controls`` random epochs, each with the bifurcations in its window.

    At most ``jumps_per_run`` jumps of a run are searched, evenly spread over its jumps (None:
    all). The control epochs of run b are drawn uniformly without replacement from 1..last_epoch
    by ``numpy.random.default_rng(runs.seeds[b] + 10**6)``; runs that diverged before epoch 3 get none.
    """
    jumps = {b: run_jumps(runs, b) for b in range(runs.theta.shape[1])}
    probes, drawn, sampled = {}, {}, {}
    for b, found in jumps.items():
        last = runs.last_epoch(b)
        rng = np.random.default_rng(int(runs.seeds[b]) + 10**6)
        drawn[b] = (np.sort(rng.choice(np.arange(1, last + 1), size=min(controls, last), replace=False))
                    if last >= 3 else np.zeros(0, dtype=int))
        sampled[b] = spread_sample(len(found), jumps_per_run)
        probes[b] = sorted({int(found[i].epoch) for i in sampled[b]} | {int(e) for e in drawn[b]})
    found = window_events(runs, probes, window=window, max_order=max_order, seed=seed, workers=workers,
                          progress=progress)
    out = []
    for b in jumps:
        events = found[b].events
        signature = [t for t in events if is_signature(t)]
        epochs = [int(jumps[b][i].epoch) for i in sampled[b]]
        out.append(RunJumps(
            run=b, seed=int(runs.seeds[b]), last_epoch=runs.last_epoch(b), diverged=int(runs.diverged[b]),
            jumps=jumps[b], sampled=sampled[b], jump_any=explained(epochs, events, window=window),
            jump_signature=explained(epochs, signature, window=window), controls=drawn[b],
            control_any=explained(drawn[b], events, window=window),
            control_signature=explained(drawn[b], signature, window=window), found=found[b]))
    return tuple(out)


def spread(values) -> tuple[float, float, int]:
    """(mean, sample sd, n) of the finite values; NaN where there are too few."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    mean = float(np.mean(v)) if v.size else float("nan")
    sd = float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
    return mean, sd, int(v.size)


def fraction(flags: np.ndarray) -> float:
    """The fraction of True, NaN for none."""
    return float(np.mean(flags)) if len(flags) else float("nan")
