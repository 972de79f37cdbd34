"""``bifwatch cycles MODEL --max-order K | --orders LIST``: all fixed points and cycles."""

from __future__ import annotations

import argparse

from ._output import save_figure
from ._parser import nonnegative_int, positive_int

KINDS = ("plrnn", "shplrnn", "clipped-shplrnn", "alrnn", "relu-rnn")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "cycles",
        help="find every fixed point and k-cycle of a model",
        description="Find the fixed points and cycles of a piecewise-linear RNN, with stability.",
        epilog="MODEL: an .npz (arrays A, W, h | A, W1, W2, h1, h2 | + P for alrnn | W, b), "
        "a .pt/.pth nn.RNN state dict with its constant input, or example:NAME "
        "(see `bifwatch examples`).",
    )
    p.add_argument("model", metavar="MODEL")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--max-order", type=positive_int, metavar="K", help="search orders 1..K")
    which.add_argument("--orders", metavar="LIST", help="orders such as 15,16 or 1-4,10")
    p.add_argument("--kind", choices=KINDS, help="model kind (default: from the array names)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="search seed (default 0)")
    p.add_argument("--method", choices=("auto", "heuristic", "exhaustive"), default="auto",
                   help="auto (default): exhaustive where cheaper, else the SCYFI heuristic")
    p.add_argument("--patience", type=positive_int, help="heuristic: fruitless chains before stopping")
    p.add_argument("--json", metavar="OUT", help="write the cycles and search statistics as JSON")
    p.add_argument("--plot", metavar="FILE", help="save a state-space figure (png, pdf, svg)")
    p.add_argument("--max-rows", type=positive_int, default=200, help="rows of the printed table")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .. import SCYFI, Exhaustive, find_cycles, load_model

    model = load_model(args.model, kind=args.kind)
    if args.method == "exhaustive":
        finder = Exhaustive()
    elif args.method == "heuristic" or args.patience is not None:
        finder = SCYFI(patience=args.patience)
    else:
        finder = None
    result = find_cycles(
        model, args.max_order, orders=args.orders, finder=finder, seed=args.seed,
        progress=not args.no_progress,
    )
    print(f"{args.model}: {model.kind}, M = {model.M}, {model.n_bits} switching units")
    print(result.table(max_rows=args.max_rows))
    if args.json:
        result.to_json(args.json)
        print(f"wrote {args.json}")
    if args.plot:
        save_figure(lambda: result.plot(trajectories=20), args.plot)
        print(f"wrote {args.plot}")
    return 0
