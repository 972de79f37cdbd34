"""Monitoring cost (issue 11): training with and without the Monitor; post-hoc cost per interval.

One process: the training loop with and without ``bifwatch.Monitor``, and the post-hoc analysis
per checkpoint interval against the per-checkpoint search only.

**(a) Overhead.** A typical run, trained by a plain loop written here: ``build_model("shplrnn",
N=3, M=3, L=10, seed=0)`` (identity observation, float64), GTF alpha = 0.1 through
``bifwatch.training.dsr.unroll`` (the trainer's window engine), MSE against the next observations,
``torch.optim.RAdam(lr=1e-3)``; an epoch is ``--steps`` optimiser steps (default 20), each on 16
windows of 100 steps drawn from ``bifwatch.datasets.lorenz63(steps=20_000)`` (z-scored, N = 3) by
``numpy.random.default_rng(0)``. ``--epochs`` epochs per run (default 100). The monitored run adds,
around the same loop, ``Monitor(RUN, max_order=4, every=10, report=False)`` and after every epoch
``monitor.update(epoch, model, loss=mean loss of the epoch, optimizer=optimiser)`` (the gradient
norm read by the Monitor from ``.grad``), epochs 1, 2, ...: it saves and hands over every 10th
epoch's model (and the last) to its analysis process (one BLAS thread; under Linux's SCHED_IDLE
class by default, nice 19 where that is unavailable; ``--nice N``: the old nice N), which runs
``find_cycles`` at each checkpoint and the exact continuation ``bifurcation_diagram(ModelPath(m0, m1))``
on each interval while training goes on. Both runs have the same seed, so they train the same
models bit for bit (checked) and the monitor analyses the same checkpoints every time.

Timed, as whole runs: the loop's wall time (Monitor construction included, ``finish`` not), as epochs per
second; ``--pairs`` pairs of one plain and one monitored run, interleaved (plain first in even
pairs, monitored first in odd ones) after one short warm-up of each; the slowdown is per pair,
monitored / plain - 1, given as median [min, max]. Then ``finish()``: its wait for the analysis
still pending when the loop ends, plus building the record (ghosts included) and writing
``events.json``. Also the time spent inside ``update`` calls (the part the training thread pays
itself; the rest is the analysis process and the writer thread competing for the cores).

Timed, as paired epochs (robust to other work on a shared machine, which moves whole runs by tens
of per cent): a plain and a monitored run in one loop, alternating epoch by epoch (which goes first
alternates too), the analysis process stopped with SIGSTOP during the plain run's epochs and
continued during the monitored run's, so both see the same outside load and only the monitored one
the analysis. The analysis process then runs only half the time, so it is busy during more of the
monitored epochs than in a real run: an upper bound on its share of the cost, not an average.

**(b) Post-hoc cost per interval.** On the checkpoints the last monitored run saved (read with
``read_checkpoint_folder``), in this process with nothing else running: ``find_cycles(model,
max_order=4, seed=0)`` per checkpoint (best of ``--search-repeats``) against
``bifurcation_diagram(ModelPath(m0, m1), max_order=4, seed=0, resolution=100)`` per interval (what
the Monitor's analysis runs; one timing each), and the whole ``monitor_checkpoints`` on the folder.

Usage (from the repository root)::

    python benchmarks/bench_monitor.py                    # prints the tables
    python benchmarks/bench_monitor.py --write            # and writes benchmarks/results/monitor.md
    python benchmarks/bench_monitor.py --epochs 40 --pairs 1   # a quick look
    python benchmarks/bench_monitor.py --threads 2,1 --nice 10   # the old nice-10 analysis, to compare

The analysis process's scheduling is the Monitor's own default: SCHED_IDLE (a core only when nothing
else wants one). ``--nice N`` measures the behaviour before that default, nice N (10 then) under the
normal policy: it sets ``BIFWATCH_MONITOR_SCHED=nice`` (read by the worker's ``_yield_cpu``) and makes
the Monitor start its analysis process with ``nice=N`` (``AnalysisProcess`` sets the worker's
``BIFWATCH_MONITOR_NICE`` from that argument, so the variable cannot be set from outside). The policy
and niceness the analysis process actually had are read from it at each loop's end and reported.

Threads: torch's default (2 on a 2-core machine) unless ``--threads`` (e.g. ``2,1``: part (a) at
each, in turn, in this one process; part (b) on the last one's checkpoints). The machine may be shared: the
load average is printed at the start and the end and with every run; interleaved pairs see about the
same load, and the CPU time of the training process is given beside the wall time, as it moves less
with other work.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from machine import cpu_model

import bifwatch as bw
from bifwatch.datasets import lorenz63
from bifwatch.models.nn import build_model
from bifwatch.monitor import Monitor, _online, _worker, monitor_checkpoints, read_checkpoint_folder
from bifwatch.training.dsr import unroll

RESULTS = Path(__file__).parent / "results" / "monitor.md"
BATCH, WINDOW, ALPHA, LR = 16, 100, 0.1, 1e-3
MAX_ORDER, EVERY, RESOLUTION = 4, 10, 100


# ---------------------------------------------------------------------------------------------
# (a) the training loop, with and without the monitor


@dataclass
class Run:
    """One training run: wall times (s) and what the monitor found."""

    loop: float
    losses: list[float]
    cpu: float = 0.0
    in_update: float = 0.0
    start: float = 0.0
    pending: int = 0
    finish: float = 0.0
    record: object = None
    folder: Path | None = None
    worker_cpu: float = 0.0
    policy: str = ""


class Loop:
    """The typical run's training loop, one epoch per call (seeded: every Loop trains the same models)."""

    def __init__(self, data: torch.Tensor, steps: int) -> None:
        self.data, self.steps = data, steps
        self.model = build_model("shplrnn", N=3, M=3, L=10, seed=0)
        self.optimiser = torch.optim.RAdam(self.model.parameters(), lr=LR)
        self.rng = np.random.default_rng(0)
        self.offsets = torch.arange(WINDOW + 1)

    def epoch(self) -> float:
        """``steps`` optimiser steps; the mean loss."""
        total = 0.0
        for _ in range(self.steps):
            starts = torch.from_numpy(self.rng.integers(0, len(self.data) - WINDOW - 1, size=BATCH))
            batch = self.data[starts[:, None] + self.offsets]
            predictions = unroll(self.model, batch[:, :-1], forcing="gtf", alpha=ALPHA)
            loss = (predictions - batch[:, 1:]).square().mean()
            self.optimiser.zero_grad(set_to_none=True)
            loss.backward()
            self.optimiser.step()
            total += loss.item()
        return total / self.steps


def monitor_of(folder: Path) -> Monitor:
    return Monitor(folder, max_order=MAX_ORDER, every=EVERY, report=False)


def use_nice(nice: int) -> None:
    """``--nice N``: the analysis processes under the normal policy at nice N, not SCHED_IDLE."""
    os.environ["BIFWATCH_MONITOR_SCHED"] = "nice"
    _online.AnalysisProcess = functools.partial(_worker.AnalysisProcess, nice=nice)


def policy_of(pid: int | None) -> str:
    """The scheduling policy and niceness of process ``pid`` (the analysis process), as read now."""
    if pid is None:
        return "unknown"
    try:
        code, nice = os.sched_getscheduler(pid), os.getpriority(os.PRIO_PROCESS, pid)
    except (AttributeError, OSError):
        return "unknown"
    names = {getattr(os, n): n for n in ("SCHED_OTHER", "SCHED_BATCH", "SCHED_IDLE") if hasattr(os, n)}
    return f"{names.get(code, code)}, nice {nice}"


def train(data: torch.Tensor, *, epochs: int, steps: int, folder: Path | None) -> Run:
    """``epochs`` epochs of the typical run; monitored into ``folder`` when it is given."""
    loop = Loop(data, steps)
    losses, in_update = [], 0.0
    children, cpu = _children_cpu(), time.process_time()
    began = time.perf_counter()
    monitor = None if folder is None else monitor_of(folder)
    made = time.perf_counter()
    for epoch in range(1, epochs + 1):
        losses.append(loop.epoch())
        if monitor is not None:
            t = time.perf_counter()
            monitor.update(epoch, loop.model, loss=losses[-1], optimizer=loop.optimiser)
            in_update += time.perf_counter() - t
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    if monitor is None:
        return Run(wall, losses, cpu)
    pending, policy = monitor.pending, policy_of(_only_child())
    t = time.perf_counter()
    record = monitor.finish()
    finish = time.perf_counter() - t
    return Run(wall, losses, cpu, in_update, made - began, pending, finish, record, folder,
               _children_cpu() - children, policy)


def paired_epochs(data: torch.Tensor, *, epochs: int, steps: int, folder: Path) -> dict | None:
    """A plain and a monitored run in one loop, epoch by epoch (which goes first alternates), the
    analysis process stopped (SIGSTOP) during the plain run's epochs and let run (SIGCONT) during
    the monitored run's: both see the same outside load, only the monitored one the analysis.
    None where the analysis process cannot be found (``/proc``, Linux)."""
    plain, watched = Loop(data, steps), Loop(data, steps)
    monitor = monitor_of(folder)
    worker = _only_child()
    if worker is None:
        monitor.abandon()
        return None
    times: dict[str, list[float]] = {"plain": [], "monitored": []}
    try:
        for epoch in range(1, epochs + 1):
            for which in (("plain", "monitored") if epoch % 2 else ("monitored", "plain")):
                os.kill(worker, signal.SIGSTOP if which == "plain" else signal.SIGCONT)
                t = time.perf_counter()
                if which == "plain":
                    plain.epoch()
                else:
                    loss = watched.epoch()
                    monitor.update(epoch, watched.model, loss=loss, optimizer=watched.optimiser)
                times[which].append(time.perf_counter() - t)
    finally:
        os.kill(worker, signal.SIGCONT)
    pending, policy = monitor.pending, policy_of(worker)
    t = time.perf_counter()
    monitor.finish()
    return {**times, "pending": pending, "finish": time.perf_counter() - t, "policy": policy}


def _only_child() -> int | None:
    """The pid of this process's one child (the Monitor's analysis process), from /proc."""
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{os.getpid()}/task").iterdir():
            found.update(int(c) for c in (task / "children").read_text().split())
    except OSError:
        return None
    return found.pop() if len(found) == 1 else None


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the Monitor's analysis process, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def overhead(data, args, scratch: Path) -> tuple[list[Run], list[Run]]:
    """Interleaved pairs of plain and monitored runs (after one short warm-up of each)."""
    train(data, epochs=3, steps=args.steps, folder=None)
    train(data, epochs=EVERY + 1, steps=args.steps, folder=scratch / "warmup")
    plain, watched = [], []
    for pair in range(args.pairs):
        order = ("plain", "monitored") if pair % 2 == 0 else ("monitored", "plain")
        for which in order:
            folder = None if which == "plain" else scratch / f"run{pair}"
            run = train(data, epochs=args.epochs, steps=args.steps, folder=folder)
            (plain if folder is None else watched).append(run)
            print(f"  pair {pair + 1}, {which}: {args.epochs / run.loop:.2f} epochs/s"
                  + ("" if folder is None else f", finish {run.finish:.2f} s ({run.pending} tasks pending)")
                  + f"; load average {os.getloadavg()[0]:.2f}", flush=True)
    return plain, watched


# ---------------------------------------------------------------------------------------------
# (b) post-hoc: the per-checkpoint search against the continuation per interval


def post_hoc(folder: Path, repeats: int) -> dict:
    run = read_checkpoint_folder(folder)
    models = [bw.load_model(p) for p in run.paths]
    searches = []
    for model in models:
        best = np.inf
        for _ in range(repeats):
            t = time.perf_counter()
            bw.find_cycles(model, max_order=MAX_ORDER, seed=0)
            best = min(best, time.perf_counter() - t)
        searches.append(best)
    intervals, events = [], []
    for start, end in itertools.pairwise(models):
        t = time.perf_counter()
        diagram = bw.bifurcation_diagram(bw.ModelPath(start, end), max_order=MAX_ORDER, seed=0,
                                         resolution=RESOLUTION)
        intervals.append(time.perf_counter() - t)
        events.append(len(diagram.events))
    t = time.perf_counter()
    record = monitor_checkpoints(models, run.epochs, history=run.history, max_order=MAX_ORDER)
    whole = time.perf_counter() - t
    return {"epochs": run.epochs, "searches": searches, "intervals": intervals, "events": events,
            "whole": whole, "record": record}


# ---------------------------------------------------------------------------------------------
# report


def spread(values, scale: float = 1.0, digits: int = 2) -> str:
    v = [scale * x for x in values]
    return f"{statistics.median(v):.{digits}f} [{min(v):.{digits}f}, {max(v):.{digits}f}]"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def overhead_table(plain: list[Run], watched: list[Run], args) -> tuple[str, list[float]]:
    """One row per measure, plain and monitored side by side (median [min, max] over the runs)."""
    slowdown = [w.loop / p.loop - 1 for p, w in zip(plain, watched, strict=True)]
    per_epoch = 1e3 / args.epochs

    def both(measure, digits: int = 2) -> list[str]:
        return [spread([measure(r) for r in plain], digits=digits),
                spread([measure(r) for r in watched], digits=digits)]

    rows = [
        ["epochs / s", *both(lambda r: args.epochs / r.loop)],
        ["ms / epoch (wall)", *both(lambda r: per_epoch * r.loop, 1)],
        ["slowdown, monitored / plain - 1 per pair", "-", f"**{spread(slowdown, 100, 1)} %**"],
        ["CPU ms / epoch of the training process (all its threads)", *both(lambda r: per_epoch * r.cpu, 1)],
        ["ms / epoch inside `update`", "-", spread([per_epoch * r.in_update for r in watched])],
        ["`Monitor(...)` construction, s", "-", spread([r.start for r in watched], digits=3)],
        ["analysis tasks pending when the loop ends", "-", spread([r.pending for r in watched], digits=0)],
        ["`finish()`, s (wait for them + record + events.json)", "-", spread([r.finish for r in watched])],
        ["CPU s of the analysis process per run", "-", spread([r.worker_cpu for r in watched])],
    ]
    return table(["median [min, max] over runs", "plain loop", "with Monitor"], rows), slowdown


def paired_section(paired: dict | None, args) -> list[str]:
    title = (f"### Paired epochs: one plain and one monitored run in one loop, {args.epochs} epochs each, "
             "the analysis process stopped during the plain epochs")
    if paired is None:
        return [title, "", "Not measured: the analysis process was not found in /proc.", ""]
    a, b = np.array(paired["plain"]), np.array(paired["monitored"])
    per_epoch = b / a - 1
    rows = [["ms / epoch, median [min, max]", spread(a, 1e3, 1), spread(b, 1e3, 1)],
            ["total s", f"{a.sum():.2f}", f"{b.sum():.2f}"],
            ["slowdown: ratio of the totals - 1", "-", f"**{100 * (b.sum() / a.sum() - 1):.1f} %**"],
            ["slowdown: median over epochs of (monitored / plain - 1), [quartiles]", "-",
             f"{100 * np.median(per_epoch):.1f} % [{100 * np.quantile(per_epoch, 0.25):.1f}, "
             f"{100 * np.quantile(per_epoch, 0.75):.1f}]"],
            ["analysis tasks pending at the end", "-", str(paired["pending"])],
            ["`finish()`, s", "-", f"{paired['finish']:.2f}"]]
    return [title, "", table(["", "plain epochs", "monitored epochs"], rows), ""]


def post_hoc_table(found: dict) -> str:
    s, iv = found["searches"], found["intervals"]
    ratio = statistics.median(iv) / statistics.median(s)
    rows = [
        ["find_cycles per checkpoint", str(len(s)), spread(s, 1e3, 1), f"{1e3 * statistics.mean(s):.1f}",
         f"{sum(s):.2f}", "1"],
        ["bifurcation_diagram(ModelPath) per interval", str(len(iv)), spread(iv, 1e3, 0),
         f"{1e3 * statistics.mean(iv):.0f}", f"{sum(iv):.2f}",
         f"**{ratio:.0f}x** (totals {sum(iv) / sum(s):.0f}x)"],
    ]
    header = ["what", "count", "ms each, median [min, max]", "mean ms", "total s", "ratio to the search"]
    return table(header, rows)


def describe(record) -> str:
    kinds: dict[str, int] = {}
    for t in record.bifurcations:
        kinds[t.event.type] = kinds.get(t.event.type, 0) + 1
    counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    whys = [why for why, _ in record.explanations]
    why = ", ".join(f"{whys.count(w)} {w}" for w in sorted(set(whys))) or "-"
    return (f"{len(record.checkpoints)} checkpoints, {len(record.bifurcations)} bifurcations ({counts}), "
            f"{len(record.gaps)} gaps, {len(record.jumps)} loss jumps ({why}), {len(record.ghosts)} ghosts")


def header_lines(argv, default_threads: int, nice: int | None) -> list[str]:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True, check=False).stdout.strip()
    command = "python benchmarks/bench_monitor.py" + "".join(" " + a for a in argv)
    return [
        f"- Date: {time.strftime('%Y-%m-%d')}",
        f"- Machine: {cpu_model()} ({platform.machine()}), {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.2f} at the start",
        f"- Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, bifwatch "
        f"{bw.__version__}; HEAD {head}{' plus uncommitted changes' if dirty else ''}",
        f"- Threads: torch intra-op as each part (a) says (torch's default here: {default_threads}); the "
        "analysis process one BLAS thread, " + ("under SCHED_IDLE (the Monitor's default)" if nice is None
                                                else f"at nice {nice}, SCHED_IDLE off (--nice {nice})"),
        f"- Command: `{command}`",
    ]


def overhead_section(data, args, scratch: Path, threads: int) -> tuple[list[str], list[Run]]:
    """Part (a) at ``threads`` torch threads: whole-run pairs, then paired epochs."""
    torch.set_num_threads(threads)
    print(f"(a) torch threads {threads}", flush=True)
    plain, watched = overhead(data, args, scratch / f"threads{threads}")
    print("  paired epochs ...", flush=True)
    paired = paired_epochs(data, epochs=args.epochs, steps=args.steps, folder=scratch / f"paired{threads}")
    same = all(r.losses == plain[0].losses for r in plain + watched)
    over, slowdown = overhead_table(plain, watched, args)
    median = 100 * statistics.median(slowdown)
    return [
        f"## (a) Overhead, torch threads {threads}: shPLRNN M=3 L=10, GTF alpha {ALPHA}, RAdam, {args.steps} "
        f"steps of {BATCH} x {WINDOW} Lorenz-63 windows per epoch, {args.epochs} epochs per run",
        "", f"### Whole runs, {args.pairs} interleaved pairs", "", over, "",
        f"- Target (< 10 % slower) on whole runs: **{'met' if median < 10 else 'NOT met'}** (median slowdown "
        f"{median:.1f} %).",
        "- Same models with and without the monitor (same seed): "
        + ("yes, every epoch's loss equal." if same else "NO: the losses differ."),
        f"- What the monitor found (last run): {describe(watched[-1].record)}.",
        "- The analysis process at each loop's end (read from it): "
        + "; ".join(sorted({r.policy for r in watched} | ({paired["policy"]} if paired else set()))) + ".",
        "",
        *paired_section(paired, args),
    ], watched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="epochs per run (default 100)")
    parser.add_argument("--steps", type=int, default=20, help="optimiser steps per epoch (default 20)")
    parser.add_argument("--pairs", type=int, default=4, help="plain + monitored pairs (default 4)")
    parser.add_argument("--search-repeats", type=int, default=3,
                        help="timings per checkpoint search, best of (default 3)")
    parser.add_argument("--threads", default=None,
                        help="comma-separated torch thread counts, each measured in turn (default: torch's)")
    parser.add_argument("--nice", type=int, default=None, metavar="N",
                        help="the analysis processes at nice N under the normal policy, not the Monitor's "
                             "default SCHED_IDLE (the old behaviour was --nice 10)")
    parser.add_argument("--write", action="store_true", help="also write benchmarks/results/monitor.md")
    args = parser.parse_args(argv)
    if args.nice is not None:
        use_nice(args.nice)
    default_threads = torch.get_num_threads()
    threads = [default_threads] if args.threads is None else [int(n) for n in args.threads.split(",")]
    argv = sys.argv[1:] if argv is None else argv
    lines = header_lines(argv, default_threads, args.nice)
    print("\n".join(lines), flush=True)
    started = time.perf_counter()
    data = torch.from_numpy(lorenz63(steps=20_000).train)
    scratch = Path(tempfile.mkdtemp(prefix="bench_monitor_"))
    body, watched = [], []
    try:
        for n in threads:
            section, watched = overhead_section(data, args, scratch, n)
            body += section
        torch.set_num_threads(default_threads)
        found = post_hoc(watched[-1].folder, args.search_repeats)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    online = statistics.median([r.finish for r in watched])
    body += [
        f"## (b) Post-hoc, on the {len(found['searches'])} checkpoints of the last monitored run "
        "(this process alone)", "",
        post_hoc_table(found), "",
        f"- Events per interval: median {statistics.median(found['events']):g}, max {max(found['events'])}.",
        f"- The whole `monitor_checkpoints` on that folder (searches, continuations, ghosts, record): "
        f"{found['whole']:.2f} s in process; the online Monitor's `finish()` of the same run's settings "
        f"waited {online:.2f} s (median) after training, the rest ran during it.",
        f"- Total {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f} at the end.",
    ]
    print("\n" + "\n".join(body))
    intro = ("Monitoring cost (issue 11): a plain training loop with and without `bifwatch.Monitor`, and the "
             "post-hoc analysis per checkpoint interval against the per-checkpoint search. One process; the "
             "script's docstring says exactly what runs.")
    out = "\n".join(["# bench_monitor.py results", "", intro, "", *lines, "", *body])
    if args.write:
        RESULTS.write_text(out + "\n")
        print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
