"""``gtf``: the same training at α = 0 and α = 0.1 (the paper's Fig. 5), every run monitored in full."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..._json import finite_or_none, write_json
from ...datasets import plrnn_cycle, plrnn_cycle_teacher
from ...monitor import WINDOW, MonitorRecord, monitor_checkpoints
from ...sweep import run_tasks
from ._jumps import spread
from ._student import StudentRuns, initial_students, student_model, train_students
from ._windows import is_signature

#: What is counted per run (see :meth:`GTFRun.counts`).
COUNTS = ("jumps", "explained", "ghost", "bifurcations", "signature")
PAPER_GTF = ("paper (Fig. 5, a shPLRNN with L = 10 on an ellipse data set): alpha = 0 gives repeated loss "
             "jumps, alpha = 0.1 a smooth, monotone loss; prototype (this 2-D set-up): 'GTF reduces jumps' "
             "did not reproduce")


@dataclass(frozen=True, eq=False)
class GTFRun:
    """One monitored run: its record (None for a run that diverged before epoch 2) and its fate."""

    alpha: float
    run: int
    seed: int
    diverged: int
    last_epoch: int
    final_loss: float
    record: MonitorRecord | None

    def counts(self) -> dict:
        """Counts: jumps, jumps explained by a bifurcation or a ghost, bifurcations, signature ones."""
        if self.record is None:
            return dict.fromkeys(COUNTS, 0)
        rec = self.record
        kinds = [why for why, _ in rec.explanations]
        return {"jumps": sum(j.kind == "jump" for j in rec.jumps), "explained": kinds.count("bifurcation"),
                "ghost": kinds.count("ghost"), "bifurcations": len(rec.bifurcations),
                "signature": sum(map(is_signature, rec.bifurcations))}

    def to_dict(self) -> dict:
        out = {"alpha": self.alpha, "run": self.run, "seed": self.seed, "last_epoch": self.last_epoch,
               "diverged": None if self.diverged < 0 else self.diverged, "final_loss": self.final_loss,
               **self.counts()}
        if self.record is not None:
            rec = self.record.to_dict()
            out |= {"loss_jumps": rec["loss_jumps"], "bifurcations_found": rec["bifurcations"],
                    "gaps": len(rec["gaps"]), "failed_intervals": len(rec["failed_intervals"])}
        return out


@dataclass(frozen=True, eq=False)
class GTFResult:
    """Runs of the same initialisations at each α, their loss curves and monitor records."""

    alphas: tuple[float, ...]
    trained: tuple[StudentRuns, ...]
    runs: tuple[GTFRun, ...]
    settings: dict

    def per_alpha(self, alpha: float) -> list[GTFRun]:
        return [r for r in self.runs if r.alpha == alpha]

    def statistics(self) -> dict:
        """Per α: runs, diverged, and mean ± sd over the runs that did not diverge of each count."""
        out = {}
        for alpha in self.alphas:
            runs = self.per_alpha(alpha)
            kept = [r for r in runs if r.diverged < 0]
            stats = {"runs": len(runs), "diverged": len(runs) - len(kept), "completed": len(kept)}
            for key in COUNTS:
                mean, sd, _ = spread([r.counts()[key] for r in kept])
                stats[key] = {"mean": mean, "sd": sd, "per_run": [r.counts()[key] for r in kept]}
            stats["runs_with_jumps"] = sum(r.counts()["jumps"] > 0 for r in kept)
            final = [r.final_loss for r in kept]
            stats["final_loss_median"] = float(np.median(final)) if final else float("nan")
            out[f"{alpha:g}"] = stats
        return out

    def to_dict(self) -> dict:
        return finite_or_none({
            "experiment": "gtf", "settings": self.settings, "paper": PAPER_GTF,
            "statistics": self.statistics(),
            "runs": [r.to_dict() for r in self.runs],
            "loss": {f"{t.alpha:g}": t.loss.T.tolist() for t in self.trained},
        })

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path)

    def summary(self) -> str:
        s, stats = self.settings, self.statistics()
        lines = [f"{s['runs']} students per alpha from the same initialisations (teacher + "
                 f"{s['init_scale']:g} N(0, 1), six parameters), plain GD lr {s['lr']:g}, {s['epochs']} "
                 f"epochs, every epoch monitored (orders 1..{s['max_order']}, window {s['window']:g})"]
        for alpha in self.alphas:
            st = stats[f"{alpha:g}"]
            lines.append(
                f"alpha = {alpha:g}: {st['diverged']} of {st['runs']} diverged; over the {st['completed']} "
                f"others: "
                f"jumps/run {_ms(st['jumps'])}, with a bifurcation in the window {_ms(st['explained'])}, "
                f"explained by a ghost {_ms(st['ghost'])}, "
                f"bifurcations/run {_ms(st['bifurcations'])} (signature {_ms(st['signature'])}); "
                f"{st['runs_with_jumps']} runs with jumps; median final loss {st['final_loss_median']:.3g}")
        lines.append(PAPER_GTF)
        lines.append(f"reduced against the paper: a 2-D PLRNN on the cycle teacher instead of a shPLRNN "
                     f"(L = 10) on an ellipse; orders 1..{s['max_order']} (the paper: SCYFI to order 40); "
                     f"{s['epochs']} epochs")
        return "\n".join(lines)

    def plot(self, axes=None):
        """Loss curves per α and the counts per run (:func:`bifwatch.plotting.plot_gtf`)."""
        from ...plotting import plot_gtf

        return plot_gtf(self, axes)


def _ms(entry: dict) -> str:
    if not np.isfinite(entry["mean"]):
        return "n/a"
    return f"{entry['mean']:.1f} ± {entry['sd']:.1f}" if np.isfinite(entry["sd"]) else f"{entry['mean']:.1f}"


def gtf_experiment(*, runs: int = 16, epochs: int = 1500, alphas=(0.0, 0.1), lr: float = 0.01,
                   init_scale: float = 0.3, steps: int = 500, max_order: int = 4, window: float = WINDOW,
                   seed: int = 0, workers: int | None = None, progress: bool = False) -> GTFResult:
    """Train the same students at each α and monitor every run in full.

    Parameters
    ----------
    runs, epochs, lr, init_scale, steps, seed
        As for :func:`loss_jumps_experiment` (the same defaults, so its runs are the α = 0.1 runs
        here); the runs at every α start from the same θ_0.
    alphas : sequence of float, default (0, 0.1)
    max_order, window
        :func:`bifwatch.monitor.monitor_checkpoints` on every epoch of every run that did not
        diverge before epoch 2 (one sweep task per run).
    workers, progress
        How the runs' monitors run (:func:`bifwatch.sweep.run_tasks`).

    Notes
    -----
    Performance notes: continuation at order 4 costs 0.01-0.05 s per interval; the default
    (about 12 000 monitored epochs: most runs diverge at once) takes about 3 minutes on two cores.
    """
    teacher = plrnn_cycle_teacher()
    data = plrnn_cycle(steps=steps).train
    theta0, seeds = initial_students(teacher, runs=runs, seed=seed, scale=init_scale)
    alphas = tuple(float(a) for a in alphas)
    trained = tuple(train_students(theta0, data, alpha=a, lr=lr, epochs=epochs, seeds=seeds) for a in alphas)
    tasks = {f"alpha-{k}-run-{b:03d}": (t.theta[: t.last_epoch(b) + 1, b], t.loss[: t.last_epoch(b) + 1, b],
                                         max_order, window, seed)
             for k, t in enumerate(trained) for b in range(runs) if t.last_epoch(b) >= 2}
    done = run_tasks(_monitor_task, tasks, workers=workers, progress=progress, description="monitored runs")
    found = []
    for k, t in enumerate(trained):
        for b in range(runs):
            last = t.last_epoch(b)
            final = float(t.loss[last, b]) if last >= 0 else float("nan")
            found.append(GTFRun(alpha=alphas[k], run=b, seed=int(seeds[b]), diverged=int(t.diverged[b]),
                                last_epoch=last, final_loss=final, record=done.get(f"alpha-{k}-run-{b:03d}")))
    settings = {"runs": runs, "epochs": epochs, "alphas": list(alphas), "lr": lr, "init_scale": init_scale,
                "steps": steps, "max_order": max_order, "window": window, "seed": seed}
    return GTFResult(alphas=alphas, trained=trained, runs=tuple(found), settings=settings)


def _monitor_task(task: tuple) -> MonitorRecord:
    """One run: (θ per epoch, loss per epoch, max_order, window, seed) -> its monitor record."""
    thetas, loss, max_order, window, seed = task
    models = [student_model(theta) for theta in thetas]
    return monitor_checkpoints(models, list(range(len(models))), loss=loss, loss_epochs=np.arange(len(loss)),
                               max_order=max_order, window=window, seed=seed)
