"""``bifwatch ghost rnn``: train low-rank RNNs on the delayed-activation task and track their ghosts."""

from __future__ import annotations

import argparse
import os
import time

from ._interrupts import stopped_by_signals
from ._output import DEFAULT_STORE_DIR, default_store, remove_folder, save_figure
from ._parser import UsageError, nonnegative_float, nonnegative_int, positive_float, positive_int


def rank_value(text: str) -> int | str:
    """An argparse ``type`` for --rank: an integer >= 1 or ``full``."""
    if text == "full":
        return text
    return positive_int(text)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "rnn",
        help="train rank-R RNNs on the delayed-activation task, tracking fixed points and ghosts",
        description="Train leaky tanh RNNs of rank R on the delayed-activation task with plain SGD "
        "(Dinc et al.): loss drops, latent fixed points and ghosts, the no-learning zone.",
        epilog="Without --checkpoint a checkpoint is kept in "
        f"{DEFAULT_STORE_DIR}/ghost-rnn-<hash>.npz until the outputs are written, so that an "
        "interrupted run (Ctrl-C or killed) can be continued with --resume.",
    )
    p.add_argument("--rank", type=rank_value, default=1, metavar="R", help="rank R or 'full' (default 1)")
    p.add_argument("--units", type=positive_int, default=100, metavar="N", help="units (default 100)")
    p.add_argument("--lr", type=positive_float, default=0.003, help="learning rate (default 0.003)")
    p.add_argument("--epochs", type=positive_int, default=60_000, metavar="E", help="epochs (default 60000)")
    p.add_argument("--seeds", type=positive_int, default=1, metavar="S",
                   help="train S networks, seeds SEED..SEED+S-1 (default 1)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="first initialisation seed (default 0)")
    p.add_argument("--confidence", type=positive_float, default=10.0, metavar="C",
                   help="confidence c of the readout sigma(c (kappa - 1)) (default 10)")
    p.add_argument("--readout", choices=("latent", "trained"), default="latent",
                   help="latent: sigma(c (kappa - 1)) (default); trained: sigma(w^T x + b)")
    p.add_argument("--analyse-every", type=nonnegative_int, metavar="K",
                   help="track fixed points and ghosts every K epochs (rank one; default 100, 0 = off)")
    p.add_argument("--checkpoint-every", type=positive_int, default=5000, metavar="K",
                   help="write the checkpoint every K epochs (default 5000)")
    p.add_argument("--checkpoint", metavar="PATH", help="checkpoint file (.npz; kept after the run)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    p.add_argument("--json", metavar="OUT", help="write the run (curves, tracks, models) as JSON")
    p.add_argument("--plot", metavar="FILE", help="save the curves and tracks of the first network")
    p.add_argument("--events", metavar="OUT",
                   help="write the monitor's record (events.json: loss jumps explained by ghosts); "
                   "with several networks one file per seed, OUT with -SEED before its suffix")
    p.add_argument("--events-window", type=nonnegative_float, metavar="EPOCHS",
                   help="ghosts seen this many epochs around a jump explain it (default 1000, at least "
                   "one analysis interval)")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..studies.lowrank import init_lowrank, train_da

    if args.rank != 1 and args.analyse_every:
        raise UsageError("--analyse-every needs --rank 1 (the latent flow is tracked for rank one only)")
    if args.events and (args.rank != 1 or args.analyse_every == 0):
        raise UsageError("--events needs the latent flow tracked: --rank 1 and --analyse-every K > 0")
    if args.events_window is not None and not args.events:
        raise UsageError("--events-window needs --events OUT")
    models = [init_lowrank(args.units, args.rank, seed=s, readout=args.readout, confidence=args.confidence)
              for s in range(args.seed, args.seed + args.seeds)]
    path, default = _checkpoint(args)
    started = time.perf_counter()
    try:
        with stopped_by_signals(path, part="the training's checkpoint"):  # Ctrl-C, SIGTERM: name it
            result = train_da(models, lr=args.lr, epochs=args.epochs, analyse_every=args.analyse_every,
                              checkpoint=path, checkpoint_every=args.checkpoint_every, resume=args.resume,
                              progress=not args.no_progress)
    finally:
        if default and not os.path.exists(path):
            remove_folder()
    seconds = time.perf_counter() - started
    print(_headline(args, result, seconds))
    print(result.summary())
    print(_footer(result))
    _write_outputs(args, result)
    if default:
        os.remove(path)
        remove_folder()
    return 0


def _headline(args, result, seconds: float) -> str:
    readout = f"latent readout c = {args.confidence:g}" if args.readout == "latent" else "trained readout"
    return (f"rank {args.rank} RNN, N = {args.units}, {readout}; lr {args.lr:g}, {args.epochs} epochs, "
            f"{args.seeds} network(s) from seed {args.seed}; backend {result.backend}, {seconds:.1f} s")


def _footer(result) -> str:
    lines = []
    if result.analysis_epochs.size:
        ghosts = int((result.first_ghost() >= 0).sum())
        lines.append(f"latent fixed points: at most {int(result.max_fixed().max())} at any tracked epoch; "
                     f"a ghost appeared in {ghosts}/{result.S} network(s)")
    if result.epochs > 50:
        counts = result.nlz().counts()
        lines.append(f"no-learning zone: {counts['nlz']}/{result.S}; "
                     f"learned at some epoch: {counts['learned']}/{result.S}")
    return "\n".join(lines)


def _write_outputs(args, result) -> None:
    if args.json:
        every = max(1, (result.epochs * result.S) // 200_000)
        result.to_json(args.json, every=every)
        print(f"wrote {args.json}" + (f" (curves every {every} epochs)" if every > 1 else ""))
    if args.plot:
        save_figure(lambda: result.plot(0), args.plot)
        print(f"wrote {args.plot}")
    if args.events:
        _write_events(args, result)


def _write_events(args, result) -> None:
    """One monitor record per network (:func:`bifwatch.studies.lowrank.monitor_da`)."""
    from ..studies.lowrank import monitor_da

    root, suffix = os.path.splitext(args.events)
    for i in range(result.S):
        path = args.events if result.S == 1 else f"{root}-{args.seed + i}{suffix}"
        record = monitor_da(result, i, window=args.events_window)
        record.to_json(path)
        print(f"wrote {path}: {_events_line(record)}")


def _events_line(record) -> str:
    whys = [why for why, _ in record.explanations]
    counts = ", ".join(f"{whys.count(w)} {w}" for w in ("ghost", "divergence", "unexplained") if w in whys)
    return (f"{len(whys)} loss jump(s)" + (f" ({counts})" if counts else "") + f", {len(record.ghosts)} "
            f"ghost(s) appeared or deepened, window {record.settings['window']:g} epochs")


def _checkpoint(args) -> tuple[str, bool]:
    if args.checkpoint is not None:
        return args.checkpoint, False
    inputs = {k: getattr(args, k) for k in ("rank", "units", "lr", "seeds", "seed", "confidence", "readout",
                                            "analyse_every")}
    return default_store("ghost-rnn", inputs, suffix=".npz"), True
