"""``bifwatch train``: train a PLRNN-family model on a built-in system or the user's data."""

from __future__ import annotations

import argparse
import re

from ._interrupts import stopped_by_signals
from ._parser import (
    UsageError,
    fraction,
    int_at_least,
    nonnegative_float,
    nonnegative_int,
    positive_float,
    positive_int,
)

SYSTEMS = ("lorenz63", "roessler", "lorenz96", "plrnn-cycle")
MODELS = ("plrnn", "shplrnn", "clipped-shplrnn", "alrnn")

#: Flag -> TrainSettings field, for the flags that set one (argparse dest is the field name).
SETTING_FLAGS = (
    "system", "data", "test_data", "steps", "noise", "model", "latent", "hidden", "P", "observation", "init",
    "data_seed", "forcing", "alpha", "tau", "alpha_method", "epochs", "batches_per_epoch", "batch_size",
    "seq_len", "lr", "optimizer",
    "regularisation", "batch_noise", "seed", "checkpoint_every", "device", "dtype", "zscore",
)


def seed_list(text: str) -> list[int]:
    """``0-9``, ``3``, or ``0,2,5-7``: the seeds of independent runs."""
    seeds: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise argparse.ArgumentTypeError(f"expected seeds like 0-9 or 0,3,5-7; got {text!r}")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low:
            raise argparse.ArgumentTypeError(f"a seed range must go up (like 0-9); got {part.strip()!r}")
        seeds.extend(range(low, high + 1))
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds repeat in {text!r}")
    return seeds


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train a PLRNN-family model on a dynamical system (needs torch)",
        description="Train a PLRNN, shallow PLRNN, clipped shallow PLRNN or ALRNN by BPTT with teacher "
        "forcing (none, sparse, generalized, adaptive generalized) on a built-in system or on your data. "
        "The run folder holds config.toml, history.csv, checkpoints/epoch_EEEEEE.npz (each readable by "
        "`bifwatch cycles`), state/ (what --resume needs) and status.json.",
        epilog="The defaults (clipped shPLRNN, L = 50, identity observation, GTF alpha = 0.125, RAdam "
        "1e-3 -> 1e-5, 600 epochs of 50 batches of 16 windows of 75 steps) learn Lorenz-63 in minutes; "
        "the lab's long recipe is --forcing agtf --seq-len 200 --epochs 5000 --lr 1e-6 1e-3. "
        "Precedence: the defaults, then --config, then the flags given.",
    )
    S = argparse.SUPPRESS
    data = p.add_mutually_exclusive_group()
    data.add_argument("--system", choices=SYSTEMS, default=S, help="built-in data (default lorenz63)")
    data.add_argument("--data", metavar="FILE", default=S,
                      help="your data: .npy (T x N, or K x T x N trials), .npz (one T x N array per trial) "
                      "or .csv (T rows, N columns)")
    p.add_argument("--test-data", metavar="FILE", default=S,
                   help="held-out series for evaluation (with --data)")
    p.add_argument("--no-zscore", dest="zscore", action="store_false", default=S,
                   help="train on --data as it is (by default each dimension is z-scored with the train "
                   "statistics, the test series with the same transform)")
    p.add_argument("--steps", type=int_at_least(2), default=S, help="length of a built-in system's series")
    p.add_argument("--noise", type=nonnegative_float, default=S,
                   help="observation noise sd on a built-in train series (default 0.05; 0 for plrnn-cycle)")
    p.add_argument("--data-seed", type=nonnegative_int, default=S,
                   help="seed of a built-in system's initial states and noise (default 0; apart from --seed)")
    p.add_argument("--model", choices=MODELS, default=S, help="model kind (default clipped-shplrnn)")
    p.add_argument("--latent", type=positive_int, default=S, metavar="M", help="latent dimension (default N)")
    p.add_argument("--hidden", type=positive_int, default=S, metavar="L",
                   help="hidden width of the shallow kinds (default 50)")
    p.add_argument("--P", type=nonnegative_int, default=S, help="rectified units of the ALRNN (default 2)")
    p.add_argument("--observation", choices=("identity", "affine"), default=S,
                   help="identity: the first N latent units are the data (default); affine: x = B z")
    p.add_argument("--init", metavar="MODEL.npz", default=S,
                   help="start from this model's parameters (same kind and sizes) instead of the "
                        "initialisation")
    p.add_argument("--forcing", choices=("none", "stf", "gtf", "agtf"), default=S,
                   help="teacher forcing (default gtf)")
    p.add_argument("--alpha", type=fraction, default=S, help="GTF's alpha (default 0.125)")
    p.add_argument("--tau", type=positive_int, default=S, help="STF's forcing interval (default 16)")
    p.add_argument("--alpha-method", default=S,
                   choices=("product_upper_bound", "batch_maximum", "arithmetic_mean",
                            "jacobian_upper_bound"),
                   help="aGTF's Jacobian-norm estimate (default product_upper_bound)")
    p.add_argument("--epochs", type=positive_int, default=S, metavar="E", help="epochs (default 600)")
    p.add_argument("--batches-per-epoch", type=positive_int, default=S, metavar="B",
                   help="optimiser steps per epoch (default 50)")
    p.add_argument("--batch-size", type=positive_int, default=S, help="windows per batch (default 16)")
    p.add_argument("--seq-len", type=positive_int, default=S, help="window length in steps (default 75)")
    p.add_argument("--lr", type=positive_float, nargs=2, default=S, metavar=("LO", "HI"),
                   help="learning rate, decaying exponentially per epoch from HI to LO (default 1e-5 1e-3)")
    p.add_argument("--optimizer", choices=("radam", "sgd"), default=S,
                   help="radam (default) or sgd: plain gradient descent, as in the loss-jumps paper")
    p.add_argument("--regularisation", type=nonnegative_float, default=S,
                   help="latent L2 lambda: A toward 1, the rest toward 0 (default 1e-5)")
    p.add_argument("--batch-noise", type=nonnegative_float, default=S, help="noise sd added to each batch")
    p.add_argument("--checkpoint-every", type=positive_int, default=S, metavar="K",
                   help="save the model every K epochs (default 25; epoch 0 and the last always)")
    p.add_argument("--seed", type=nonnegative_int, default=S, help="seed of everything random (default 0)")
    p.add_argument("--seeds", type=seed_list, metavar="SEEDS",
                   help="independent runs, e.g. 0-9: one folder RUN/seed_S each, run as a sweep")
    p.add_argument("--workers", type=positive_int, metavar="W", help="with --seeds: local worker processes")
    p.add_argument("--scheduler", metavar="ADDRESS", help="with --seeds: a Dask scheduler address")
    p.add_argument("--device", default=S, help="cpu (default) or cuda")
    p.add_argument("--dtype", choices=("float32", "float64"), default=S, help="default float64")
    p.add_argument("--config", metavar="FILE.toml", help="settings from a TOML file (e.g. RUN/config.toml)")
    p.add_argument("--out", required=True, metavar="RUN", help="the run folder (created)")
    p.add_argument("--resume", action="store_true", help="continue the run in RUN")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.add_argument("--monitor", action=argparse.BooleanOptionalAction, default=None,
                   help="analyse every checkpoint while training (default on for one run): "
                        "RUN/events.json and RUN/report.html, as `bifwatch monitor` writes")
    p.add_argument("--monitor-order", type=positive_int, metavar="K",
                   help="the monitor's cycle orders 1..K (default: what a 2 s search of the first "
                        "checkpoint affords, at most 8)")
    p.set_defaults(run=run)


def settings_of(args: argparse.Namespace):
    """The run's settings: defaults, then ``--config``, then the flags given."""
    from ..training.dsr import TrainSettings, read_settings

    given = {name: getattr(args, name) for name in SETTING_FLAGS if hasattr(args, name)}
    if "lr" in given:
        given["lr"] = (max(given["lr"]), min(given["lr"]))
    if "data" in given:
        given["system"] = None
    elif "system" in given:
        given["data"] = None
    if args.config:
        return read_settings(args.config, **given)
    return TrainSettings(**given)


def run(args: argparse.Namespace) -> int:
    from ..training.dsr import train

    if (args.workers or args.scheduler) and not args.seeds:
        raise UsageError("--workers and --scheduler go with --seeds (several independent runs)")
    if args.seeds and hasattr(args, "seed"):
        raise UsageError("give --seed S for one run or --seeds LIST for several, not both")
    if args.seeds and args.monitor:
        raise UsageError("--monitor watches one run; with --seeds, run `bifwatch monitor RUN/seed_S` on "
                         "each seed's folder")
    if args.monitor is False and args.monitor_order is not None:
        raise UsageError("--monitor-order needs the monitor; drop --no-monitor")
    settings = settings_of(args)
    if args.seeds:
        return _run_seeds(args, settings)
    watch = None if args.monitor is False else _Watch(args.out, args.monitor_order, settings.checkpoint_every)
    with stopped_by_signals(args.out, part="the run"):
        try:
            result = train(settings, args.out, resume=args.resume, progress=not args.no_progress,
                           on_checkpoint=None if watch is None else watch.checkpoint)
        except BaseException:
            if watch is not None:
                watch.abandon()
            raise
    print(result.summary())
    if watch is not None:
        with stopped_by_signals(args.out, part="the run"):  # --resume: the run is done, the monitor redone
            try:
                watch.finish(progress=not args.no_progress)
            except BaseException:
                watch.abandon()
                raise
    return 0 if result.status == "finished" else 1


class _Watch:
    """The monitor of one ``bifwatch train`` run, started at its first checkpoint: the orders a
    first search affords, every interval for small models and those near jumps for large ones
    (:func:`bifwatch.monitor.affordable_intervals`)."""

    def __init__(self, out: str, order: int | None, every: int) -> None:
        self.out, self.order, self.every, self.monitor = out, order, every, None

    def checkpoint(self, epoch: int, path) -> None:
        from ..models import load_model
        from ..monitor import Monitor, affordable_intervals, affordable_order

        model = load_model(path)
        if self.monitor is None:
            if self.order is None:
                self.order = affordable_order(model)
            self.intervals = affordable_intervals(model)
            self.monitor = Monitor(self.out, max_order=self.order, every=self.every, write_files=False,
                                   intervals=self.intervals)
        self.monitor.checkpoint(epoch, model, path=path)

    def abandon(self) -> None:
        if self.monitor is not None:
            self.monitor.abandon()

    def finish(self, *, progress: bool) -> None:
        import os

        from ..training import read_history
        from ._monitor import summary

        if self.monitor is None:
            return
        waiting = self.monitor.pending
        if waiting:
            print(f"monitor: finishing the analysis of {waiting} checkpoints and intervals (orders up to "
                  f"{self.order}, {'every interval' if self.intervals == 'all' else 'intervals near jumps'})"
                  " ...", flush=True)
        record = self.monitor.finish(history=read_history(os.path.join(self.out, "history.csv")),
                                     progress=progress)
        for line in summary(record, record.settings.get("kind", "model")):
            print(line)
        print(f"wrote {os.path.join(self.out, 'events.json')} and {os.path.join(self.out, 'report.html')}")


def _run_seeds(args, settings) -> int:
    import os

    from ..sweep import SweepStore, run_tasks
    from ..training.dsr import train_task

    tasks = {f"seed_{s}": (settings.replace(seed=s).to_dict(), os.path.join(args.out, f"seed_{s}"),
                           args.resume) for s in args.seeds}
    spec = {"command": "train", "settings": {k: v for k, v in settings.to_dict().items() if k != "seed"},
            "seeds": args.seeds}
    store = SweepStore(os.path.join(args.out, "sweep.sqlite"), spec=spec, resume=args.resume)
    with stopped_by_signals(args.out, part="every run's progress"):
        results = run_tasks(train_task, tasks, store=store, workers=args.workers, scheduler=args.scheduler,
                            progress=not args.no_progress, description="runs")
    for key, line in results.items():
        print(f"{key}: {line['summary']}")
    diverged = [k for k, r in results.items() if r["status"] != "finished"]
    print(f"{len(results) - len(diverged)} of {len(results)} runs finished" +
          (f"; diverged: {', '.join(diverged)}" if diverged else ""))
    return 1 if diverged else 0
