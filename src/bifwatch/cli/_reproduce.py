"""``bifwatch reproduce NAME``: rerun an experiment of a paper, write its figure and JSON, print its numbers.

Add an experiment with :func:`register` (a name, a one-line description and a runner). A runner
takes the parsed arguments (``quick``, ``seed``, ``progress``) and returns a result with
``summary() -> str``, ``to_json(path)`` and ``plot() -> Figure``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._output import save_figure
from ._parser import nonnegative_int, positive_int


@dataclass(frozen=True)
class Experiment:
    description: str
    runner: Callable[[argparse.Namespace], object]


#: name -> Experiment; the lead adds more names with :func:`register`.
EXPERIMENTS: dict[str, Experiment] = {}


def register(name: str, description: str, runner: Callable[[argparse.Namespace], object]) -> None:
    """Make ``bifwatch reproduce NAME`` run ``runner(args)``."""
    EXPERIMENTS[name] = Experiment(description, runner)


def add_parser(subparsers) -> None:
    listing = "; ".join(f"{name}: {e.description}" for name, e in EXPERIMENTS.items())
    p = subparsers.add_parser(
        "reproduce",
        help="rerun a paper's experiment: figure + JSON + key numbers",
        description="Rerun an experiment (reduced to minutes on a laptop; each prints what was reduced).",
        epilog=f"NAME: {listing}",
    )
    p.add_argument("name", metavar="NAME", choices=sorted(EXPERIMENTS), help=", ".join(sorted(EXPERIMENTS)))
    p.add_argument("--out", metavar="DIR", default=".", help="folder of NAME.json and NAME.png (default .)")
    p.add_argument("--quick", action="store_true", help="tiny sizes (seconds), for tests and a first look")
    p.add_argument("--seed", type=nonnegative_int, help="initialisation seed (default: the experiment's)")
    p.add_argument("--seed-sets", metavar="K", type=positive_int,
                   help="ghost-collapse only: rerun K disjoint seed sets (the first is this run's) and print "
                        "their spread (mean ± sd) instead of the stored measurement")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    args.progress = not args.no_progress
    started = time.perf_counter()
    result = EXPERIMENTS[args.name].runner(args)
    seconds = time.perf_counter() - started
    stem = os.path.join(args.out, args.name)
    print(f"{args.name}{' (quick)' if args.quick else ''}: {EXPERIMENTS[args.name].description}")
    print(result.summary())
    result.to_json(stem + ".json")
    save_figure(result.plot, stem + ".png")
    events = _events(args.name, result, stem)
    print(f"wrote {stem}.json{events} and {stem}.png; {seconds:.1f} s")
    return 0


def _events(name: str, result, stem: str) -> str:
    """The monitor's record of the abrupt-learning run (``NAME-events.json``): its jump explained by
    the same code as any monitored run's."""
    if name != "ghost-abrupt":
        return ""
    from ..studies.lowrank import monitor_da

    record = monitor_da(result.run)
    record.to_json(stem + "-events.json")
    why = ", ".join(f"epoch {j.epoch:g}: {w}" for j, (w, _) in zip(record.jumps, record.explanations,
                                                                     strict=True)) or "no jumps"
    print(f"monitor: {why}")
    return f", {stem}-events.json"


def _seed(args, default: int, *, seed_sets: bool = False) -> int:
    """The --seed or ``default``; rejects --seed-sets unless the experiment takes it (``seed_sets``)."""
    if getattr(args, "seed_sets", None) is not None and not seed_sets:
        raise ValueError(f"--seed-sets applies to ghost-collapse only, not {args.name}")
    return default if args.seed is None else args.seed


def _ghost_toy(args):
    from ..studies import toy

    sizes = {"epochs": 2000, "inits": 4, "n_rates": 12, "curve_epochs": 300, "critical_inits": 10}
    return toy.report(toy.DelayedActivationToy(), seed=_seed(args, 0), **(sizes if args.quick else {}))


def _ghost_abrupt(args):
    from ..studies.lowrank import abrupt_learning_experiment

    sizes = {"lr": 0.01, "epochs": 12_000} if args.quick else {}
    return abrupt_learning_experiment(seed=_seed(args, 13), progress=args.progress, **sizes)


def _ghost_collapse(args):
    import dataclasses

    from ..studies.lowrank import collapse_experiment, collapse_spread

    sizes = {"seeds": 6, "epochs": 2000, "lr": 0.06} if args.quick else {}
    seed = _seed(args, 0, seed_sets=True)
    result = collapse_experiment(seed=seed, progress=args.progress, **sizes)
    if getattr(args, "seed_sets", None) is None:
        return result  # the stored spread, at the default sizes
    spread = collapse_spread(args.seed_sets, seed=seed, first=result, progress=args.progress, **sizes)
    return dataclasses.replace(result, spread=spread)


def _ghost_confidence(args):
    from ..studies.lowrank import collapse_experiment, confidence_experiment

    sizes = {"seeds": 6, "epochs": 2000, "lr": 0.06} if args.quick else {}
    collapsed = collapse_experiment(seed=_seed(args, 0), progress=args.progress, **sizes)
    return confidence_experiment(collapsed, progress=args.progress)


def _ghost_rank(args):
    from ..studies.lowrank import rank_experiment

    sizes = {"ranks": (1, "full"), "lrs": (0.03, 0.3), "seeds": 2, "epochs": 300} if args.quick else {}
    return rank_experiment(seed=_seed(args, 0), progress=args.progress, **sizes)


register("ghost-toy", "saddle-node toy model: loss landscape, learning curves, critical learning rate "
         "(Dinc et al. Fig. 2)", _ghost_toy)
register("ghost-abrupt", "rank-one RNN learns abruptly through a ghost, without a bifurcation "
         "(Dinc et al. Fig. 3A)", _ghost_abrupt)
register("ghost-collapse", "collapse into the no-learning zone at lr 0.02, 100 seeds (Dinc et al. §9.2)",
         _ghost_collapse)
register("ghost-confidence", "NLZ networks recover when the confidence is lowered (Dinc et al. Fig. 8B)",
         _ghost_confidence)
register("ghost-rank", "more trainable rank keeps learning alive at higher learning rates "
         "(Dinc et al. Fig. 6, reduced)", _ghost_rank)


def _workers(args) -> int | None:
    """Local processes for the default sizes (the map's rows, the jump windows, the monitored runs)."""
    return None if args.quick else os.cpu_count()


def _loss_jumps(args):
    from ..studies.loss_jumps import loss_jumps_experiment

    sizes = ({"runs": 3, "epochs": 60, "steps": 100, "controls": 4, "max_order": 2, "map_order": 2,
              "map_grid": 5, "landscape_grid": 21} if args.quick else {})
    return loss_jumps_experiment(seed=_seed(args, 0), workers=_workers(args), progress=args.progress, **sizes)


def _gtf(args):
    from ..studies.loss_jumps import gtf_experiment

    sizes = {"runs": 3, "epochs": 40, "steps": 100, "max_order": 2} if args.quick else {}
    return gtf_experiment(seed=_seed(args, 0), workers=_workers(args), progress=args.progress, **sizes)


def _gradient_theorem(args):
    from ..studies.loss_jumps import gradient_theorem_experiment

    _seed(args, 0)  # no randomness; --seed-sets is refused like elsewhere
    sizes = {"points": 41, "bcb_points": 60} if args.quick else {}
    return gradient_theorem_experiment(**sizes)


register("loss-jumps", "2-D PLRNN students of a 16-cycle teacher: loss landscape with exact bifurcation "
         "curves, training paths, share of loss jumps with a bifurcation before them "
         "(Eisenmann et al. Fig. 3)", _loss_jumps)
register("gtf", "the same training at GTF alpha = 0 and 0.1: loss jumps and bifurcations per run over seeds "
         "(Eisenmann et al. Fig. 5, 2-D)", _gtf)
register("gradient-theorem", "|dL/da| at a degenerate transcritical bifurcation (slope -3) and across a "
         "border collision (Eisenmann et al. section 3)", _gradient_theorem)
