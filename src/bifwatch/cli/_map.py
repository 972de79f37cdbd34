"""``bifwatch map MODEL --param A --range LO HI --param B --range LO HI --grid N1 N2``: a 2-D map."""

from __future__ import annotations

import argparse
import os

from ._cycles import KINDS
from ._interrupts import run_in_store
from ._output import DEFAULT_STORE_DIR, default_store, model_inputs, save_figure
from ._parser import UsageError, int_at_least, nonnegative_int, positive_int


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "map",
        help="two-parameter map: stable objects per cell and exactly located bifurcation curves",
        description="Map the fixed points and cycles of order <= K over a grid of two parameters. "
        "Rows are followed by continuation, differing neighbours in columns are joined by "
        "continuation paths, so every bifurcation curve crossing a grid line is located exactly.",
        epilog="Rows and columns run in local worker processes (--workers, default one per core) or on "
        "a Dask cluster (--scheduler). Without --store the finished rows are kept in "
        f"{DEFAULT_STORE_DIR}/map-<hash>.sqlite until the outputs are written, so that an "
        "interrupted run can be continued with --resume.",
    )
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--param", action="append", metavar="NAME", required=True,
                   help="swept entry; give it twice, e.g. --param 'A[0,0]' ... --param 'A[1,1]' ...")
    p.add_argument("--range", action="append", nargs=2, type=float, metavar=("LO", "HI"), required=True,
                   help="interval of the preceding --param; give it twice")
    p.add_argument("--grid", nargs=2, type=int_at_least(2), default=(101, 101), metavar=("N1", "N2"),
                   help="grid values per parameter (default 101 101)")
    p.add_argument("--max-order", type=positive_int, default=4, metavar="K", help="orders 1..K (default 4)")
    p.add_argument("--kind", choices=KINDS, help="model kind (default: from the array names)")
    p.add_argument("--seeds", type=positive_int, default=9, metavar="N",
                   help="cycle searches per row, evenly spaced, plus next to events (default 9)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="search seed (default 0)")
    p.add_argument("--json", metavar="OUT", help="write counts per cell and the events as JSON")
    p.add_argument("--dataset", metavar="OUT.nc", help="write the map as a netCDF file (xarray Dataset)")
    p.add_argument("--plot", metavar="FILE", help="save the map (png, pdf, svg)")
    p.add_argument("--workers", type=positive_int, metavar="N", help="local processes (default: 1 per core)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run rows and columns on this Dask cluster")
    p.add_argument("--store", metavar="PATH", help="SQLite file keeping the finished rows (kept)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run's store")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .. import load_model, parameter_map

    if len(args.param) != 2 or len(args.range) != 2:
        raise UsageError(
            f"give --param NAME --range LO HI exactly twice; got {len(args.param)} --param and "
            f"{len(args.range)} --range"
        )
    if args.scheduler is not None and args.workers is not None:
        raise UsageError("--workers and --scheduler exclude each other (the cluster has its workers)")
    model = load_model(args.model, kind=args.kind)
    store, default = _store(args, model)

    def compute():
        return parameter_map(
            model, args.param[0], args.range[0], args.param[1], args.range[1], grid=tuple(args.grid),
            max_order=args.max_order, seeds=args.seeds, seed=args.seed, workers=_workers(args),
            scheduler=args.scheduler, store=store, resume=args.resume, progress=not args.no_progress,
        )

    def report(result) -> None:
        print(f"{args.model}: {model.kind}, M = {model.M}", flush=True)
        print(str(result), flush=True)
        for flag, write in (("json", result.to_json), ("dataset", lambda p: result.to_xarray().to_netcdf(p)),
                            ("plot", lambda p: save_figure(result.plot, p, crop=True))):
            if getattr(args, flag):
                write(getattr(args, flag))
                print(f"wrote {getattr(args, flag)}", flush=True)

    return run_in_store(store, default=default, resume=args.resume, compute=compute, report=report)


def _workers(args: argparse.Namespace) -> int | None:
    """``--workers``, by default one local process per core (the Python API's default is none)."""
    if args.workers is None and args.scheduler is None:
        return os.cpu_count()
    return args.workers


def _store(args: argparse.Namespace, model) -> tuple[str, bool]:
    """The store file and whether it is the default one (removed after a successful run).

    The default's name hashes the model (as the first parameter's path writes it), both
    parameters and ranges as given, and the options that decide the map.
    """
    from .. import ParameterPath

    if args.store is not None:
        return args.store, False
    spec = ParameterPath(model, args.param[0], *args.range[0]).spec()
    inputs = {
        **model_inputs(spec), "param": args.param, "range": args.range, "grid": list(args.grid),
        "max_order": args.max_order, "seeds": args.seeds, "seed": args.seed,
    }
    return default_store("map", inputs), True
