"""Reconstruction quality on Lorenz-63 with `bifwatch train`'s defaults, over several seeds.

For each seed: train with the default settings (``TrainSettings(system="lorenz63", seed=s)``,
the built-in Lorenz-63 data: dt 0.01, 100,000 train and test steps, 5 % noise on train), then
evaluate the last checkpoint with the GTF protocol on the test series (a 1.25 T free run from the
first test point, 0.25 T dropped): D_stsp (30 bins), D_H (sigma 20), PE(20), and the largest
Lyapunov exponent per time unit (true value 0.906). Prints each seed, the mean +- sd and the
range over seeds, and the wall time, beside the figures the note quotes for the lab's code.

Usage (from the repository root)::

    python benchmarks/bench_reconstruction.py             # seeds 0-2, defaults (about 5 min per seed here)
    python benchmarks/bench_reconstruction.py --seeds 0-4 --epochs 300 --out /tmp/recon

Runs are kept in ``--out`` (default ``benchmarks/.runs/reconstruction``) and resumed when they
exist, so an interrupted benchmark continues where it stopped.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
from machine import cpu_model

from bifwatch.metrics import evaluate_reconstruction
from bifwatch.models import load_model, load_observation
from bifwatch.training.dsr import RunFolder, TrainSettings, load_run_data, train

#: What training-and-dsr.md gives for the lab's Lorenz-63 runs: the budget and the true exponent
#: (it quotes no D_stsp, D_H or PE values for them).
LAB = ("the note, for the lab's code: true lambda_max 0.906 per time unit; budget 5000 epochs x 50 batches "
       "of 16 x 200 steps with aGTF (GTF-shPLRNN defaults); no D_stsp/D_H/PE values are quoted")


def seeds(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=seeds, default=seeds("0-2"))
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--lyapunov-steps", type=int, default=100_000)
    parser.add_argument("--out", default=os.path.join("benchmarks", ".runs", "reconstruction"))
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d')} on {cpu_model()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads)")
    rows = []
    for seed in args.seeds:
        settings = TrainSettings(system="lorenz63", seed=seed)
        if args.epochs:
            settings = settings.replace(epochs=args.epochs)
        out = os.path.join(args.out, f"seed_{seed}")
        started = time.perf_counter()
        result = train(settings, out, resume=True)
        trained = time.perf_counter() - started
        test = load_run_data(settings).test
        path = RunFolder(out).checkpoint(result.epoch)
        started = time.perf_counter()
        ev = evaluate_reconstruction(load_model(path), test, observation=load_observation(path),
                                     lyapunov_steps=args.lyapunov_steps, dt=0.01)
        rows.append((seed, ev, result.elapsed, time.perf_counter() - started))
        lam = ev.lambda_max_per_time
        print(f"seed {seed}: {result.status} after {result.epoch} epochs ({result.elapsed:.0f} s training, "
              f"{trained:.0f} s this session); D_stsp {ev.D_stsp:.3f}, D_H {ev.D_H:.3f}, PE(20) {ev.PE:.4f}, "
              f"lambda_max {lam if lam is None else round(lam, 3)} per time unit", flush=True)
    print()
    print("| metric | mean ± sd | range |")
    print("|---|---|---|")
    for name, get in (("D_stsp", lambda e: e.D_stsp), ("D_H", lambda e: e.D_H), ("PE(20)", lambda e: e.PE),
                      ("lambda_max (per time)", lambda e: e.lambda_max_per_time)):
        values = [get(e) for _, e, _, _ in rows if get(e) is not None]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        low, high = min(values), max(values)
        print(f"| {name} | {statistics.fmean(values):.4g} ± {sd:.2g} | {low:.4g} - {high:.4g} |")
    times = [t for _, _, t, _ in rows]
    print(f"| training wall time (s) | {statistics.fmean(times):.0f} | {min(times):.0f} - {max(times):.0f} |")
    print(f"\n{LAB}")


if __name__ == "__main__":
    main()
