"""``loss-jumps``: the paper's Fig. 3 and the share of loss jumps that have a bifurcation before them."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..._json import finite_or_none, write_json
from ...bifurcations import ParameterMap, parameter_map
from ...datasets import plrnn_cycle, plrnn_cycle_teacher
from ...monitor import WINDOW
from ._jumps import RunJumps, analyse_jumps, fraction, spread
from ._landscape import Landscape, loss_landscape
from ._student import StudentRuns, initial_students, student_vector, train_students
from ._windows import WindowEvents, explained, is_signature, window_events

#: What the paper and the prototype (../shared/notes/monitoring-measured.md) say, printed beside ours.
PAPER_JUMPS = ("paper (Fig. 3): loss jumps sit where training paths cross bifurcation curves; "
               "prototype: 79-92 % of jumps with a signature event within ±2 epochs, 7-10 % of random epochs")


@dataclass(frozen=True, eq=False)
class Zoom:
    """Epochs lo..hi of one run, every interval continued: each jump there with its window's verdict.

    ``jump_epochs`` (J,), ``jump_any`` and ``jump_signature`` (J,) bool, ``found`` the events.
    """

    run: int
    lo: int
    hi: int
    found: WindowEvents
    jump_epochs: np.ndarray
    jump_any: np.ndarray
    jump_signature: np.ndarray

    def to_dict(self) -> dict:
        return {"run": self.run, "epochs": [self.lo, self.hi], "jump_epochs": self.jump_epochs.tolist(),
                "bifurcation_in_window": self.jump_any.tolist(),
                "signature_in_window": self.jump_signature.tolist(),
                "bifurcations": [t.to_dict() for t in self.found.events]}


def zoom_on(runs: StudentRuns, found: RunJumps, *, width: int, window: float, max_order: int,
            seed: int = 0, workers: int | None = None, progress: bool = False) -> Zoom | None:
    """Monitor ``width`` + 1 consecutive epochs of one run around its densest stretch of jumps."""
    epochs = np.array([int(j.epoch) for j in found.jumps], dtype=int)
    if not epochs.size:
        return None
    centre = int(epochs[np.argmax([np.sum(np.abs(epochs - e) <= width // 2) for e in epochs])])
    lo = max(1, centre - width // 2)
    hi = min(found.last_epoch, lo + width)
    events = window_events(runs, {found.run: range(lo, hi + 1)}, window=window, max_order=max_order,
                           seed=seed, workers=workers, progress=progress)[found.run]
    inside = epochs[(epochs >= lo) & (epochs <= hi)]
    signature = [t for t in events.events if is_signature(t)]
    return Zoom(run=found.run, lo=lo, hi=hi, found=events, jump_epochs=inside,
                jump_any=explained(inside, events.events, window=window),
                jump_signature=explained(inside, signature, window=window))


@dataclass(frozen=True, eq=False)
class LossJumpsResult:
    """The landscape, the exact bifurcation curves on it, the training runs and their jump statistics.

    Attributes
    ----------
    landscape : Landscape
    curves : ParameterMap
        :func:`bifwatch.parameter_map` over the same square (absolute a11, a22).
    runs : StudentRuns
    jumps : tuple of RunJumps
        One per run.
    shown : tuple of int
        The runs drawn as paths (the two with the most jumps).
    zoom : Zoom or None
        A stretch of the first shown run monitored at every epoch (None when it has no jumps).
    settings : dict
    """

    landscape: Landscape
    curves: ParameterMap
    runs: StudentRuns
    jumps: tuple[RunJumps, ...]
    shown: tuple[int, ...]
    zoom: Zoom | None
    settings: dict

    def fractions(self) -> dict:
        """Per-run fractions (runs with >= 1 searched jump, or control) and pooled counts, for any and for
        signature events."""
        out = {}
        for name, flags in (("jumps_any", "jump_any"), ("jumps_signature", "jump_signature"),
                            ("control_any", "control_any"), ("control_signature", "control_signature")):
            per_run = [fraction(getattr(r, flags)) for r in self.jumps]
            mean, sd, n = spread(per_run)
            pooled = np.concatenate([getattr(r, flags) for r in self.jumps]).astype(bool)
            out[name] = {"mean": mean, "sd": sd, "runs": n, "hits": int(pooled.sum()),
                         "total": int(pooled.size), "per_run": per_run}
        return out

    def to_dict(self) -> dict:
        e = self.curves.events
        return finite_or_none({
            "experiment": "loss-jumps", "settings": self.settings, "paper": PAPER_JUMPS,
            "teacher": {"A": [float(v) for v in self.landscape.centre],
                        "theta": self.settings["teacher_theta"]},
            "landscape": self.landscape.to_dict(),
            "bifurcation_curves": {"parameters": list(self.curves.names), "max_order": self.curves.max_order,
                                   "a11": e["x"].tolist(), "a22": e["y"].tolist(),
                                   "type": [str(t) for t in e["type"]], "order": e["order"].tolist(),
                                   "outcome": [str(o) for o in e["outcome"]]},
            "fractions": self.fractions(),
            "runs": [r.to_dict() for r in self.jumps],
            "paths": {str(b): {"delta_a11": (self.runs.theta[: self.jumps[b].last_epoch + 1, b, 0]
                                             - self.landscape.centre[0]).tolist(),
                               "delta_a22": (self.runs.theta[: self.jumps[b].last_epoch + 1, b, 1]
                                             - self.landscape.centre[1]).tolist(),
                               "loss": self.runs.loss[: self.jumps[b].last_epoch + 1, b].tolist()}
                      for b in self.shown},
            "zoom": None if self.zoom is None else self.zoom.to_dict(),
        })

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path)

    def summary(self) -> str:
        s, f = self.settings, self.fractions()
        n_runs, diverged = len(self.jumps), [r for r in self.jumps if r.diverged >= 0]
        n_jumps = sum(len(r.jumps) for r in self.jumps)
        n_searched = sum(len(r.sampled) for r in self.jumps)
        centre = self.landscape.alphas.index(s["alpha"]) if s["alpha"] in self.landscape.alphas else 0
        mid = len(self.landscape.deltas) // 2
        lines = [
            f"teacher: 2-D PLRNN with a stable 16-cycle; {n_runs} students (diag A, off-diagonal W, h), "
            f"init teacher + {s['init_scale']:g} N(0, 1), GTF alpha = {s['alpha']:g}, GTF MSE on a "
            f"{s['steps']}-step series, plain GD lr {s['lr']:g}, {s['epochs']} epochs",
            f"landscape {len(self.landscape.deltas)}² over (Δa11, Δa22) ∈ [-{s['radius']:g}, "
            f"{s['radius']:g}]², "
            f"alpha {', '.join(f'{a:g}' for a in self.landscape.alphas)}; loss at Δ = 0: "
            f"{self.landscape.loss[centre, mid, mid]:.2g} (the teacher: 0 up to rounding)",
            f"bifurcation curves: parameter_map {s['map_grid']}², orders 1..{s['map_order']}: "
            f"{len(self.curves.events['x'])} exact events ({_types(self.curves.events['type'])})",
            f"runs diverged: {len(diverged)} of {n_runs}"
            + (f" (epochs {', '.join(str(r.diverged) for r in diverged)})" if diverged else "")
            + f"; runs with jumps: {f['jumps_any']['runs']}; loss jumps: {n_jumps}, windows searched for "
            f"{n_searched} (up to {s['jumps_per_run']} per run, evenly spread)",
            _line("jumps with a bifurcation in the window", f["jumps_any"]),
            _line("  ... with a signature event (born/dies/stability)", f["jumps_signature"]),
            _line(f"control: {s['controls']} random epochs per run", f["control_any"]),
            _line("  ... with a signature event", f["control_signature"]),
            *self._zoom_lines(),
            PAPER_JUMPS,
            f"window [e - 1 - {s['window']:g}, e]; bifurcations of orders 1..{s['max_order']} by exact "
            f"continuation on {sum(r.found.intervals for r in self.jumps)} checkpoint intervals (the windows "
            f"only), {sum(r.found.failures for r in self.jumps)} failed, "
            f"{sum(r.found.gaps for r in self.jumps)} gaps",
            f"reduced against the paper: orders 1..{s['max_order']} between checkpoints (paper: SCYFI to "
            f"order 40), continuation on the windows of a sample of jumps and of {s['controls']} random "
            f"epochs per run only, {s['epochs']} epochs (paper: 3000), bifurcation curves on a "
            f"{s['map_grid']}² grid (located exactly along its lines)",
        ]
        return "\n".join(lines)

    def _zoom_lines(self) -> list[str]:
        z = self.zoom
        if z is None:
            return []
        return [f"zoom: epochs {z.lo}-{z.hi} of seed {self.jumps[z.run].seed}, every interval continued "
                f"({z.found.intervals}): {int(z.jump_signature.sum())} of {z.jump_epochs.size} jumps with a "
                f"signature event in the window, {int(z.jump_any.sum())} with any; "
                f"{len(z.found.events)} bifurcations there"]

    def plot(self, axes=None):
        """Landscapes, loss curves, jump statistics (:func:`bifwatch.plotting.plot_loss_jumps`)."""
        from ...plotting import plot_loss_jumps

        return plot_loss_jumps(self, axes)


def _line(label: str, f: dict) -> str:
    return (f"{label}: {_percent(f['mean'])} ± {_percent(f['sd'])} per run (mean ± sd, n = {f['runs']} "
            f"runs); pooled {f['hits']}/{f['total']}")


def _percent(value: float) -> str:
    return f"{100 * value:.0f} %" if np.isfinite(value) else "n/a"


def _types(types) -> str:
    names, counts = np.unique(np.asarray(types, dtype=str), return_counts=True)
    return ", ".join(f"{n} {c}" for n, c in zip(names, counts, strict=True)) or "none"


def loss_jumps_experiment(*, runs: int = 16, epochs: int = 1500, alpha: float = 0.1, lr: float = 0.01,
                          init_scale: float = 0.3, steps: int = 500, max_order: int = 16,
                          window: float = WINDOW, jumps_per_run: int | None = 5, controls: int = 5,
                          zoom_width: int = 24, map_order: int = 16, map_grid: int = 31,
                          landscape_grid: int = 201,
                          radius: float = 1.0, seed: int = 0, workers: int | None = None,
                          progress: bool = False) -> LossJumpsResult:
    """Train 2-D students toward the cycle teacher and ask whether their loss jumps follow bifurcations.

    Parameters
    ----------
    runs, epochs, alpha, lr, init_scale, steps
        The training (:func:`train_students` on ``plrnn_cycle(steps=steps)``, six parameters,
        θ_0 = teacher + ``init_scale`` N(0, 1), run i seeded by ``seed + i``).
    max_order, window, jumps_per_run, controls
        Bifurcations of orders 1..max_order in [e - 1 - window, e] before up to ``jumps_per_run``
        jumps of each run (evenly spread; None: all) and before ``controls`` random epochs per run
        (:func:`analyse_jumps`). Order 16 is needed: the jumps of the flicker phase come with
        births and deaths of cycle pairs of orders 11-16.
    zoom_width : int, default 24
        Epochs of the first drawn run monitored in full for the figure's zoom (0: none).
    map_order, map_grid, landscape_grid, radius
        The exact bifurcation curves (:func:`bifwatch.parameter_map`) and the landscape
        (:func:`loss_landscape`) over (Δa11, Δa22) ∈ [-radius, radius]².
    seed, workers, progress
        ``workers`` runs the map's rows and the jump windows on local processes.

    Notes
    -----
    Performance notes: continuation at order 16 costs 1-3 s per checkpoint interval, so only
    the windows are continued (about 200 intervals by default). The default takes about 4
    minutes on two cores (``workers=2``): training 25 s, the landscape 10 s, the map 30 s, the
    windows the rest.
    """
    teacher = plrnn_cycle_teacher()
    data = plrnn_cycle(steps=steps).train
    theta0, seeds = initial_students(teacher, runs=runs, seed=seed, scale=init_scale)
    trained = train_students(theta0, data, alpha=alpha, lr=lr, epochs=epochs, seeds=seeds)
    landscape = loss_landscape(teacher, data, alphas=sorted({0.0, float(alpha)}), radius=radius,
                               grid=landscape_grid)
    a11, a22 = landscape.centre
    curves = parameter_map(teacher, "A[0]", (a11 - radius, a11 + radius), "A[1]",
                           (a22 - radius, a22 + radius), grid=(map_grid, map_grid), max_order=map_order,
                           seed=seed, workers=workers, progress=progress)
    found = analyse_jumps(trained, window=window, max_order=max_order, controls=controls,
                          jumps_per_run=jumps_per_run, seed=seed, workers=workers, progress=progress)
    shown = _most_jumps(found)
    zoom = (zoom_on(trained, found[shown[0]], width=zoom_width, window=window, max_order=max_order,
                    seed=seed, workers=workers, progress=progress) if shown and zoom_width else None)
    settings = {"runs": runs, "epochs": epochs, "alpha": float(alpha), "lr": lr, "init_scale": init_scale,
                "steps": steps, "max_order": max_order, "window": window, "jumps_per_run": jumps_per_run,
                "zoom_width": zoom_width,
                "controls": controls,
                "map_order": map_order, "map_grid": map_grid, "landscape_grid": landscape_grid,
                "radius": radius, "seed": seed, "trained": "A[0], A[1], W[0,1], W[1,0], h[0], h[1]",
                "teacher_theta": student_vector(teacher).tolist()}
    return LossJumpsResult(landscape=landscape, curves=curves, runs=trained, jumps=found,
                           shown=shown, zoom=zoom, settings=settings)


def _most_jumps(found: tuple[RunJumps, ...], n: int = 2) -> tuple[int, ...]:
    """The ``n`` runs with the most jumps (ties: the lower index), among runs that trained at all."""
    ranked = sorted((r for r in found if r.last_epoch >= 2), key=lambda r: (-len(r.jumps), r.run))
    return tuple(r.run for r in ranked[:n])


