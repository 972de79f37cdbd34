"""``bifwatch evaluate RUN``: D_stsp, D_H and PE(20) of a run's checkpoints on its test series."""

from __future__ import annotations

import argparse
import os

from ._output import save_figure
from ._parser import UsageError, nonnegative_int, positive_int


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="metrics of a training run's checkpoints on its test series (needs torch)",
        description="For each checkpoint of a `bifwatch train` run: a free run of 1.25 T steps from the "
        "first test point, the first 0.25 T dropped, compared with the T test steps: D_stsp (state-space "
        "divergence), D_H (power-spectrum Hellinger distance) and PE(n) (n-step prediction error).",
    )
    p.add_argument("folder", metavar="RUN", help="the run folder of `bifwatch train`")
    p.add_argument("--checkpoint", type=nonnegative_int, nargs="+", metavar="EPOCH",
                   help="evaluate only these epochs (default: every checkpoint)")
    p.add_argument("--steps", type=positive_int, metavar="T",
                   help="compare only the first T test steps (default: the whole test series)")
    p.add_argument("--n", type=positive_int, default=20, help="prediction horizon of PE (default 20)")
    p.add_argument("--lyapunov", type=nonnegative_int, default=0, metavar="STEPS",
                   help="also the largest Lyapunov exponent, averaged over STEPS steps (0: off)")
    p.add_argument("--json", metavar="OUT", help="write the metrics as JSON (top-level list `checkpoints`)")
    p.add_argument("--plot", metavar="FILE",
                   help="figure of the true against the generated attractor and spectra, last checkpoint")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .._json import write_json
    from ..metrics import evaluate_reconstruction
    from ..models import load_model, load_observation
    from ..training.dsr import RunFolder, data_hash, load_run_data, read_settings

    folder = RunFolder(args.folder)
    if not folder.config.is_file():
        raise UsageError(f"{args.folder!r} is not a run folder of `bifwatch train` (it has no config.toml)")
    settings = read_settings(folder.config)
    epochs = folder.saved_epochs()
    if args.checkpoint:
        missing = sorted(set(args.checkpoint) - set(epochs))
        if missing:
            raise UsageError(f"--checkpoint: no checkpoint of epoch(s) {missing} in {args.folder!r}; "
                             f"it has {_ranges(epochs)}")
        epochs = sorted(set(args.checkpoint))
    if not epochs:
        raise UsageError(f"{args.folder!r} holds no checkpoints")
    if settings.data is not None and settings.data_hash != data_hash(settings):
        import warnings

        warnings.warn(f"the data file(s) of {args.folder!r} changed since it was trained; evaluating on "
                      "what they hold now", stacklevel=2)
    data = load_run_data(settings)
    test = data.test if args.steps is None else data.test[: args.steps]
    if len(test) <= args.n:
        raise UsageError(f"the test series has {len(test)} steps; it needs more than --n {args.n}")
    dt = getattr(data.source, "dt", None)
    rows, last = [], None
    print(f"{'epoch':>7} {'D_stsp':>9} {'D_H':>7} {'PE(' + str(args.n) + ')':>10}"
          + (f" {'lambda_max':>11}" if args.lyapunov else ""))
    for epoch in epochs:
        path = folder.checkpoint(epoch)
        model, observation = load_model(path), load_observation(path)
        last = evaluate_reconstruction(model, test, observation=observation, n=args.n,
                                       lyapunov_steps=args.lyapunov, dt=dt if args.lyapunov else None)
        entry = {"epoch": epoch, "path": os.fspath(path), **last.to_dict()}
        rows.append(entry)
        print(_row(epoch, last, args.lyapunov), flush=True)
    if args.json:
        write_json({"run": os.fspath(folder.root), "test_steps": len(test), "n": args.n, "checkpoints": rows},
                   args.json, indent=2)
        print(f"wrote {args.json}")
    if args.plot:
        title = f"{os.path.basename(os.path.normpath(args.folder))}, epoch {epochs[-1]}"
        save_figure(lambda: last.plot(title=title), args.plot)
        print(f"wrote {args.plot}")
    return 0


def _row(epoch: int, result, lyapunov: int) -> str:
    text = f"{epoch:>7} {result.D_stsp:>9.4g} {result.D_H:>7.4f} {result.PE:>10.4g}"
    if lyapunov:
        lam = result.lambda_max_per_time if result.lambda_max_per_time is not None else result.lambda_max
        text += f" {lam:>11.4g}" if lam is not None else f" {'-':>11}"
    return text + ("  (diverged)" if result.diverged else "")


def _ranges(epochs: list[int]) -> str:
    if not epochs:
        return "none"
    if len(epochs) <= 8:
        return ", ".join(map(str, epochs))
    return f"{len(epochs)} epochs, {epochs[0]}..{epochs[-1]}"
