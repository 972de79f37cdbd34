"""``bifwatch ghost points MODEL``: every fixed point and slow point of a piecewise-linear model, exactly."""

from __future__ import annotations

import argparse
import dataclasses

from ._cycles import KINDS
from ._output import save_figure
from ._parser import positive_int


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "points",
        help="exact fixed points and slow points (ghost candidates) of a piecewise-linear model",
        description="Minimise the speed q(z) = |F(z) - z|^2 / 2 exactly in every linear region and "
        "list its local minima: fixed points (q = 0) and slow points (q > 0, ghost candidates).",
        epilog="MODEL: an .npz (arrays A, W, h | A, W1, W2, h1, h2 | + P for alrnn | W, b), "
        "a .pt/.pth nn.RNN state dict with its constant input, or example:NAME "
        "(see `bifwatch examples`). Cost: one small problem per region (2^M for a PLRNN).",
    )
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--kind", choices=KINDS, help="model kind (default: from the array names)")
    p.add_argument("--json", metavar="OUT", help="write the points as JSON")
    p.add_argument("--plot", metavar="FILE", help="save the speed landscape (M = 1 or 2; png, pdf, svg)")
    p.add_argument("--max-rows", type=positive_int, default=200, help="rows of the printed table")
    p.add_argument("--max-regions", type=positive_int, default=2**16,
                   help="refuse models with more regions than this (default 65536)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .. import exact_slow_points, load_model
    from ..plotting import plot_speed

    model = load_model(args.model, kind=args.kind)
    if args.plot and model.M > 2:
        raise ValueError(f"--plot draws the speed of models with M = 1 or 2; {args.model} has M = {model.M} "
                         "(drop --plot and read the table or the JSON)")
    points = exact_slow_points(model, max_regions=args.max_regions)
    print(f"{args.model}: {model.kind}, M = {model.M}, {model.n_bits} switching units")
    print(_table(points, args.max_rows))
    if args.json:
        points.to_json(args.json)
        print(f"wrote {args.json}")
    if args.plot:
        save_figure(lambda: plot_speed(model, points), args.plot)
        print(f"wrote {args.plot}")
    return 0


def _table(points, max_rows: int) -> str:
    """The points' table cut to ``max_rows`` rows, the search message last."""
    shown = dataclasses.replace(points.select(slice(0, max_rows)), message="")
    lines = [shown.table()]
    if len(points) > max_rows:
        lines.append(f"... {len(points) - max_rows} more (all of them in --json)")
    return "\n".join([*lines, "", points.message])
