"""``bifwatch monitor RUN``: after the fact, what a run of checkpoints went through."""

from __future__ import annotations

import argparse
import os
from collections import Counter

from ..monitor import EXPLANATIONS
from ._interrupts import run_in_store
from ._parser import UsageError, nonnegative_int, positive_int


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "monitor", help="which bifurcation (if any) explains each loss jump of a training run",
        description="Read a folder of checkpoints (a `bifwatch train` run, or one model file per epoch "
        "with the epoch as the last integer of its name, and an optional history.csv with columns "
        "epoch,loss), search every cycle up to --max-order at each checkpoint, locate every bifurcation "
        "between consecutive checkpoints by exact continuation, find the loss jumps and explain each.",
        epilog="Writes DIR/events.json (docs/monitor.md) and DIR/report.html (one self-contained page). "
        "The finished checkpoints and intervals are kept "
        "in DIR/monitor.sqlite: an interrupted run continues with --resume.",
    )
    p.add_argument("run_folder", metavar="RUN", help="the folder of checkpoints")
    p.add_argument("--max-order", type=positive_int, default=4, metavar="K", help="orders 1..K (default 4)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="where events.json and report.html go (created)")
    p.add_argument("--history", metavar="FILE", help="the loss history (default RUN/history.csv if any)")
    p.add_argument("--window", type=float, default=2.0, metavar="EPOCHS",
                   help="bifurcations up to this many epochs before a jump explain it (default 2)")
    p.add_argument("--intervals", choices=("auto", "all", "jumps"), default="auto",
                   help="follow every interval between checkpoints, or only those near a loss jump; auto "
                        "(default): all for models of at most 4096 linear regions (counted from the "
                        "sizes), else jumps (a large model's continuation costs minutes per interval)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the cycle searches (default 0)")
    p.add_argument("--workers", type=positive_int, metavar="N", help="local worker processes")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler address")
    p.add_argument("--resume", action="store_true", help="continue an interrupted analysis")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..monitor import monitor_checkpoints, read_checkpoint_folder
    from ..sweep import SweepStore

    if args.scheduler is not None and args.workers is not None:
        raise UsageError("--workers and --scheduler exclude each other (the cluster has its workers)")
    if not (args.window >= 0 and args.window < float("inf")):
        raise UsageError(f"--window must be a finite number >= 0; got {args.window}")
    folder = read_checkpoint_folder(args.run_folder, history=args.history)
    history = folder.history
    if args.intervals == "auto":
        from ..monitor import affordable_intervals

        args.intervals = affordable_intervals(next(iter(folder.models())))
    store_path = os.path.join(args.out, "monitor.sqlite")
    spec = {"command": "monitor", "folder": os.path.abspath(args.run_folder), "epochs": list(folder.epochs),
            "max_order": args.max_order, "seed": args.seed,
            **({"intervals": args.intervals} if args.intervals != "all" else {})}

    def compute():
        store = SweepStore(store_path, spec=spec, resume=args.resume)
        return monitor_checkpoints(
            list(folder.models()), folder.epochs, history=history, max_order=args.max_order,
            window=args.window, intervals=args.intervals, seed=args.seed,
            paths=[os.fspath(p) for p in folder.paths], store=store,
            workers=args.workers, scheduler=args.scheduler, progress=not args.no_progress)

    def report(record) -> None:
        events, page = os.path.join(args.out, "events.json"), os.path.join(args.out, "report.html")
        record.to_json(events)
        record.plot_report(page, title=f"bifwatch monitor: {args.run_folder}")
        for line in summary(record, folder.kind):
            print(line)
        print(f"wrote {events} and {page}")

    return run_in_store(store_path, default=False, resume=args.resume, compute=compute, report=report)


def summary(record, kind: str, *, most: int = 12) -> list[str]:
    """A few lines: the checkpoints, the events by type, the jumps by explanation, and each of the
    first ``most`` jumps with what explains it."""
    first, last = record.checkpoints[0].epoch, record.checkpoints[-1].epoch
    lines = [f"{len(record.checkpoints)} checkpoints of a {kind}, epochs {first:g}..{last:g}, orders up to "
             f"{record.settings['max_order']}"]
    types = Counter(t.event.type for t in record.bifurcations)
    words = ", ".join(f"{n} {name}" for name, n in sorted(types.items())) or "none"
    signature = sum(t.signature for t in record.bifurcations)
    lines.append(f"bifurcations: {len(record.bifurcations)} ({words}; {signature} change the set of "
                 f"attractors); tracked cycles: {len(record.tracks)}; gaps: {len(record.gaps)}")
    failed = [c for c in record.checkpoints if c.failed] + list(record.failures)
    if failed:
        lines.append(f"not analysed: {len(failed)} checkpoint searches or intervals (see events.json)")
    if record.skipped:
        lines.append(f"intervals followed: {len(record.checkpoints) - 1 - len(record.skipped)} of "
                     f"{len(record.checkpoints) - 1} (only those near a loss jump)")
    if not record.jumps:
        lines.append("loss jumps: none")
        return lines
    why = Counter(w for w, _ in record.explanations)
    counts = ", ".join(f"{why[w]} {w}" for w in EXPLANATIONS if why[w])
    lines.append(f"loss jumps: {len(record.jumps)} ({counts})")
    ghosts = record.jump_ghosts or ((),) * len(record.jumps)
    complete = record.window_complete or (True,) * len(record.jumps)
    for jump, (reason, which), near_ghosts, whole in list(zip(record.jumps, record.explanations, ghosts,
                                                              complete, strict=True))[:most]:
        size = "diverged" if jump.kind == "divergence" else f"{jump.direction} x{jump.size:.3g}"
        near = [f"{record.bifurcations[i].event.type} of order {record.bifurcations[i].event.order} at "
                f"{record.bifurcations[i].epoch:.4g}" for i in which[:3]]
        near += [f"slow point {record.ghosts[i].kind} at {record.ghosts[i].epoch:g} (speed "
                 f"{record.ghosts[i].speed:.2g})" for i in near_ghosts[:2]]
        more = len(which) - 3 if len(which) > 3 else 0
        text = "; ".join(near) + (f"; +{more} more" if more else "")
        if not whole:
            text += ("; " if text else "") + "its window was not fully analysed"
        lines.append(f"  jump at epoch {jump.epoch:g} ({size}): {reason}" + (f" ({text})" if text else ""))
    if len(record.jumps) > most:
        lines.append(f"  ... and {len(record.jumps) - most} more jumps (see events.json / report.html)")
    return lines
