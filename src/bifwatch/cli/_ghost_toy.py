"""``bifwatch ghost toy``: the saddle-node toy model dx/dt = r + x² on the delayed-activation task."""

from __future__ import annotations

import argparse

from ._output import save_figure
from ._parser import int_at_least, nonnegative_int, positive_int


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "toy",
        help="the saddle-node toy model: analytic loss, r*, critical learning rate",
        description="The toy model dx/dt = r + x^2 on the delayed-activation task (Dinc et al.): "
        "the analytic and simulated loss, the optimum r*, the point of no return r*/4, and the "
        "critical learning rate 3 pi^4 / (32 T^5) against a learning-rate sweep of gradient descent on r.",
        epilog="Learning rates refer to the un-normalised loss L_u = dt * sum (y_hat - y)^2 (time units); "
        "losses are shown normalised (L_u / T). Gradient descent uses the sharp-limit gradient, as in "
        "the paper; --confidence only changes the simulated curves.",
    )
    p.add_argument("--T", type=float, default=100.0, help="the delay (default 100)")
    p.add_argument("--dt", type=float, default=0.1, help="Euler step of the simulation (default 0.1)")
    p.add_argument("--threshold", type=float, default=10.0, help="output threshold x* (default 10)")
    p.add_argument("--confidence", type=float, default=1.0, metavar="C",
                   help="output confidence a of sigma(a (x - x*)) in the simulation (default 1)")
    p.add_argument("--epochs", type=positive_int, default=10_000, metavar="N",
                   help="epochs of the learning-rate sweep (default 10000)")
    p.add_argument("--inits", type=positive_int, default=10, metavar="N",
                   help="initialisations per learning rate in the sweep (default 10)")
    p.add_argument("--rates", type=int_at_least(2), default=100, metavar="N",
                   help="learning rates in logspace(-11, -8) * (100/T)^5 (default 100)")
    p.add_argument("--critical-inits", type=positive_int, default=100, metavar="N",
                   help="initialisations per rate when locating the empirical critical rate (default 100)")
    p.add_argument("--curve-epochs", type=positive_int, default=3000, metavar="N",
                   help="epochs of the two learning curves (default 3000)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the initialisations (default 0)")
    p.add_argument("--json", metavar="OUT", help="write the numbers and curves as JSON")
    p.add_argument("--plot", metavar="FILE", help="save the figure (png, pdf, svg)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..studies import toy

    model = toy.DelayedActivationToy(T=args.T, dt=args.dt, threshold=args.threshold,
                                     confidence=args.confidence)
    report = toy.report(
        model, epochs=args.epochs, inits=args.inits, n_rates=args.rates, seed=args.seed,
        curve_epochs=args.curve_epochs, critical_inits=args.critical_inits,
    )
    print(report.summary())
    if args.json:
        report.to_json(args.json)
        print(f"wrote {args.json}")
    if args.plot:
        save_figure(lambda: report.plot()[0, 0], args.plot)
        print(f"wrote {args.plot}")
    return 0
