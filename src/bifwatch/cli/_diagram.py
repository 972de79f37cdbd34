"""``bifwatch diagram MODEL --param NAME --range LO HI | --to MODEL2``: a bifurcation diagram."""

from __future__ import annotations

import argparse

from ._cycles import KINDS
from ._interrupts import run_in_store
from ._output import DEFAULT_STORE_DIR, default_store, model_inputs, save_figure
from ._parser import UsageError, int_at_least, nonnegative_int, positive_int


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "diagram",
        help="bifurcation diagram of every cycle along one parameter (or between two models)",
        description="Follow every fixed point and cycle of order <= K along a parameter path and "
        "locate its border collisions and degenerate transcritical, flip and Neimark-Sacker "
        "bifurcations exactly.",
        epilog="MODEL: an .npz, a .pt/.pth nn.RNN state dict, or example:NAME (see `bifwatch examples`). "
        "Without --store the finished seed searches are kept in "
        f"{DEFAULT_STORE_DIR}/diagram-<hash>.sqlite until the outputs are written, so that an "
        "interrupted run can be continued with --resume.",
    )
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--param", metavar="NAME", help="swept entry, e.g. 'W[0,1]', 'A[1]', 'h[0]'")
    p.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"),
                   help="interval of the parameter (with --to: of s, default 0 1)")
    p.add_argument("--to", metavar="MODEL2",
                   help="sweep the straight line s -> (1 - s) MODEL + s MODEL2 instead of --param")
    p.add_argument("--max-order", type=positive_int, default=4, metavar="K",
                   help="follow cycles of orders 1..K (default 4)")
    p.add_argument("--kind", choices=KINDS, help="model kind (default: from the array names)")
    p.add_argument("--resolution", type=int_at_least(2), default=400, metavar="N",
                   help="branches are sampled at N + 1 values (default 400)")
    p.add_argument("--seeds", type=positive_int, default=9, metavar="N",
                   help="cycle searches at N evenly spaced values (default 9)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="search seed (default 0)")
    p.add_argument("--json", metavar="OUT", help="write the events and branches as JSON")
    p.add_argument("--plot", metavar="FILE", help="save the diagram (png, pdf, svg)")
    p.add_argument("--coordinate", type=nonnegative_int, default=0, metavar="I",
                   help="state coordinate z_I on the plot's vertical axis (default 0)")
    p.add_argument("--orbits", type=nonnegative_int, default=0, metavar="N",
                   help="overlay simulated orbits from N initial conditions per value (default 0)")
    p.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="local processes for the seed searches (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the seed searches on this Dask cluster")
    p.add_argument("--store", metavar="PATH", help="SQLite file keeping the finished searches (kept)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run's store")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .. import bifurcation_diagram, load_model

    _check_options(args)
    model = load_model(args.model, kind=args.kind)
    end = load_model(args.to, kind=args.kind) if args.to else None
    path = _path(args, model, end)
    if args.coordinate >= model.M:
        raise UsageError(f"--coordinate must be in 0..{model.M - 1} for a model with M = {model.M}; "
                         f"got {args.coordinate}")
    store, default = _store(args, model, end, path)

    def compute():
        return bifurcation_diagram(
            path, max_order=args.max_order, resolution=args.resolution, seeds=args.seeds,
            seed=args.seed, workers=args.workers, scheduler=args.scheduler, store=store,
            resume=args.resume, progress=not args.no_progress,
        )

    def report(diagram) -> None:
        print(f"{args.model}: {model.kind}, M = {model.M}; {_describe(args, path)}", flush=True)
        print(diagram.table(), flush=True)
        if args.json:
            diagram.to_json(args.json)
            print(f"wrote {args.json}", flush=True)
        if args.plot:
            save_figure(lambda: diagram.plot(coordinate=args.coordinate, orbits=args.orbits, seed=args.seed),
                        args.plot)
            print(f"wrote {args.plot}", flush=True)

    return run_in_store(store, default=default, resume=args.resume, compute=compute, report=report)


def _check_options(args: argparse.Namespace) -> None:
    if args.to is not None:
        if args.param is not None:
            raise UsageError("--param cannot be combined with --to (the path is the line MODEL -> MODEL2)")
        return
    if args.param is None or args.range is None:
        raise UsageError("give --param NAME and --range LO HI (or --to MODEL2)")


def _path(args: argparse.Namespace, model, end):
    from .. import ModelPath, ParameterPath

    if end is None:
        return ParameterPath(model, args.param, *args.range)
    lo, hi = args.range if args.range is not None else (0.0, 1.0)
    return ModelPath(model, end, lo, hi)


def _describe(args: argparse.Namespace, path) -> str:
    if args.to is None:
        return f"{path.label} from {path.lo:g} to {path.hi:g}"
    return f"s from {path.lo:g} to {path.hi:g} on the line to {args.to}"


def _store(args: argparse.Namespace, model, end, path) -> tuple[str, bool]:
    """The store file and whether it is the default one (removed after a successful run).

    The default's name hashes everything that decides the run's seed searches.
    """
    if args.store is not None:
        return args.store, False
    spec = path.spec()
    inputs = {
        "model": model_inputs(spec), "to": model_inputs(spec, "end"), "param": path.label,
        "range": spec["range"], "max_order": args.max_order, "resolution": args.resolution,
        "seeds": args.seeds, "seed": args.seed,
    }
    return default_store("diagram", inputs), True
