"""``bifwatch demo``: the main job: a model trained through bifurcations, monitored, reported."""

from __future__ import annotations

import argparse
import os

from ._interrupts import stopped_by_signals
from ._parser import UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="train a small model through bifurcations, monitor it, write the report (a minute)",
        description="Train a 2-D PLRNN student toward the loss-jumps paper's 16-cycle teacher (plain "
        "gradient descent with GTF alpha = 0.1 from the teacher moved by 0.3 N(0, 1)), hand every "
        "second epoch's model to the monitor, and say which bifurcation (if any) explains each loss jump.",
        epilog="Writes DIR/events.json and DIR/report.html (open it in a browser), DIR/run (the training "
        "run: `bifwatch monitor DIR/run` and `bifwatch cycles DIR/run/checkpoints/...` read it) and "
        "DIR/init.npz. An interrupted demo continues with --resume.",
    )
    p.add_argument("--out", default="bifwatch-demo", metavar="DIR", help="the folder (default bifwatch-demo)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted demo in DIR")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..studies import demo
    from ._monitor import summary

    s = demo.DEMO
    if os.path.isdir(args.out) and os.listdir(args.out) and not args.resume:
        raise UsageError(f"--out {args.out!r} is not empty: choose a new folder, or add --resume to continue "
                         "an interrupted demo there")
    print(f"demo: a 2-D PLRNN student of the 16-cycle teacher, plain gradient descent (lr {s.lr:g}, GTF "
          f"alpha {s.alpha:g}), {s.epochs} epochs; the monitor follows cycles up to order {s.max_order} "
          f"between checkpoints {s.checkpoint_every} epochs apart", flush=True)
    with stopped_by_signals(os.path.join(args.out, "run"), part="the demo"):
        result = demo.run_demo(args.out, settings=s, resume=args.resume, progress=not args.no_progress)
    print(f"trained in {result.train_seconds:.1f} s ({result.status}); analysed in "
          f"{result.total_seconds - result.train_seconds:.1f} s more")
    for line in summary(result.record, "plrnn"):
        print(line)
    print(f"report: {result.report}")
    print(f"events: {result.events}")
    return 0
