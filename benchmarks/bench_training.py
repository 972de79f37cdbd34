"""Training throughput: optimiser steps per second of the PLRNN family under teacher forcing.

One process, against a baseline run in the same process on the same windows: ``torch.nn.RNN``
(``nonlinearity="relu"``, hidden size 50, input 3, batch-first) with a ``Linear(50, 3)`` read-out,
whose CPU forward runs the recurrence in C++.

One optimiser step, as ``_Trainer._step`` of ``bifwatch.training.dsr`` does it, less the window draw
(a pool of batches is drawn before timing and cycled, the same batches for every model):
``unroll(model, inputs, forcing=..., alpha=..., tau=...)``, MSE against the next observations,
``zero_grad``, ``backward``, ``torch.optim.RAdam.step``. The baseline: ``Linear(nn.RNN(inputs))``,
MSE, the same three calls. Batch: 16 windows of 200 inputs (201 points) of a z-scored Lorenz-63
orbit (N = 3; RK4 with dt = 0.01, seeded window starts).

Models (``bifwatch.models.nn.build_model``, identity observation, seed 0): plrnn M = 50, alrnn
M = 50 P = 25, shplrnn and clipped-shplrnn M = 3 L = 50, each with GTF alpha = 0.1; the clipped one
also with STF (tau = 16) and without forcing. Each twice: ``unroll``'s default engine (``window``:
the whole window as one ``torch.autograd.Function`` with a hand-written backward, what the trainer
uses) and ``engine="autograd"`` (the loop recorded step by step, the reference). After timing, the
two engines' predictions and gradients are compared on one batch for every setup.

Every timing is wall-clock ms per optimiser step over ``--steps`` steps after ``--warmup`` steps;
each of ``--repeats`` rounds times the baseline and then every model, so compared figures see the
same load; the table gives the median over rounds with [min, max], and the ratio ours / nn.RNN per
round (median [min, max]).

Usage (from the repository root)::

    python benchmarks/bench_training.py                      # float32 and float64, torch's default threads
    python benchmarks/bench_training.py --threads 1          # torch.set_num_threads(1)
    python benchmarks/bench_training.py --dtypes float64 --repeats 3 --steps 10
    python benchmarks/bench_training.py --device cuda        # skips (exit 0) where CUDA is not available

Threads: torch's default (one per core) unless ``--threads``. On a machine busy with other work
torch's intra-op threads wait for descheduled peers: the baseline's large ops (the input projection
of all steps, the backward through them) then slow down several-fold, while the PLRNN's small
per-step ops, below torch's parallel grain size, barely change. Compare default-thread ratios from
a quiet machine (the load average is printed at the start and the end), or use ``--threads 1``.

No torch.compile or TorchScript: the steps are the eager modules that training uses.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from machine import cpu_model

import bifwatch as bw
from bifwatch.models.nn import build_model
from bifwatch.training.dsr import unroll

Tensor = torch.Tensor
HIDDEN = 50
BATCH, WINDOW = 16, 200


# ---------------------------------------------------------------------------------------------
# data


def lorenz63(steps: int, dt: float = 0.01, transient: int = 1000) -> np.ndarray:
    """A z-scored orbit of Lorenz-63 (sigma 10, rho 28, beta 8/3), RK4 from (1, 1, 1): shape (steps, 3)."""

    def f(x: np.ndarray) -> np.ndarray:
        return np.array([10.0 * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1], x[0] * x[1] - 8.0 / 3.0 * x[2]])

    x, out = np.ones(3), np.empty((steps, 3))
    for i in range(transient + steps):
        k1 = f(x)
        k2 = f(x + 0.5 * dt * k1)
        k3 = f(x + 0.5 * dt * k2)
        x = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + f(x + dt * k3))
        if i >= transient:
            out[i - transient] = x
    return (out - out.mean(0)) / out.std(0)


def batches(count: int, seed: int = 0) -> list[Tensor]:
    """``count`` batches of BATCH windows of WINDOW + 1 points, float64 on the CPU."""
    orbit = torch.from_numpy(lorenz63(20_000))
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(orbit) - WINDOW - 1, size=(count, BATCH))
    return [torch.stack([orbit[s : s + WINDOW + 1] for s in row]) for row in starts]


# ---------------------------------------------------------------------------------------------
# the models and their optimiser steps


@dataclass(frozen=True, eq=False)
class Case:
    kind: str
    widths: dict
    forcing: str
    alpha: float = 0.0
    tau: int = 1
    engine: str = "window"

    @property
    def label(self) -> tuple[str, str, str]:
        size = ", ".join(f"{k}={v}" for k, v in self.widths.items())
        forcing = {"gtf": f"GTF alpha={self.alpha:g}", "stf": f"STF tau={self.tau}", "none": "none"}
        return f"{self.kind} {size}", forcing[self.forcing], self.engine


_SETUPS = (
    ("plrnn", {"M": 50}, "gtf", 0.1, 1),
    ("alrnn", {"M": 50, "P": 25}, "gtf", 0.1, 1),
    ("shplrnn", {"M": 3, "L": 50}, "gtf", 0.1, 1),
    ("clipped-shplrnn", {"M": 3, "L": 50}, "gtf", 0.1, 1),
    ("clipped-shplrnn", {"M": 3, "L": 50}, "stf", 0.0, 16),
    ("clipped-shplrnn", {"M": 3, "L": 50}, "none", 0.0, 1),
)
#: Every setup with the trainer's default engine (``window``) and the autograd reference loop.
CASES = tuple(Case(kind, widths, forcing, alpha, tau, engine)
              for kind, widths, forcing, alpha, tau in _SETUPS for engine in ("window", "autograd"))


def ours(case: Case, dtype: torch.dtype, device) -> Callable[[Tensor], Tensor]:
    model = build_model(case.kind, N=3, seed=0, dtype=dtype, device=device, **case.widths)
    optimiser = torch.optim.RAdam(model.parameters(), lr=1e-3)

    def step(batch: Tensor) -> Tensor:
        inputs, targets = batch[:, :-1], batch[:, 1:]
        predictions = unroll(model, inputs, forcing=case.forcing, alpha=case.alpha, tau=case.tau,
                             engine=case.engine)
        loss = (predictions - targets).square().mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        return loss

    return step


def baseline(dtype: torch.dtype, device) -> Callable[[Tensor], Tensor]:
    torch.manual_seed(0)
    rnn = torch.nn.RNN(3, HIDDEN, nonlinearity="relu", batch_first=True, dtype=dtype, device=device)
    readout = torch.nn.Linear(HIDDEN, 3, dtype=dtype, device=device)
    optimiser = torch.optim.RAdam([*rnn.parameters(), *readout.parameters()], lr=1e-3)

    def step(batch: Tensor) -> Tensor:
        inputs, targets = batch[:, :-1], batch[:, 1:]
        hidden, _ = rnn(inputs)
        loss = (readout(hidden) - targets).square().mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        return loss

    return step


def check_engines(batch: Tensor, dtype: torch.dtype, device) -> str:
    """Predictions and gradients of every case, ``engine="window"`` against ``engine="autograd"``."""
    worst_p = worst_g = 0.0
    for case in {(c.kind, tuple(c.widths.items()), c.forcing, c.alpha, c.tau) for c in CASES}:
        kind, widths, forcing, alpha, tau = case
        model = build_model(kind, N=3, seed=0, dtype=dtype, device=device, **dict(widths))
        inputs, targets = batch[:, :-1], batch[:, 1:]
        results = []
        for engine in ("autograd", "window"):
            predictions = unroll(model, inputs, forcing=forcing, alpha=alpha, tau=tau, engine=engine)
            loss = (predictions - targets).square().mean()
            results.append((predictions.detach(), torch.autograd.grad(loss, list(model.parameters()))))
        (p, g), (q, h) = results
        worst_p = max(worst_p, float((p - q).abs().max() / p.abs().max()))
        for a, b in zip(g, h, strict=True):
            if a.numel():  # the identity observation with M = N has an empty Lambda
                worst_g = max(worst_g, float((a - b).abs().max() / a.abs().max()))
    return (f"largest difference relative to the largest entry: predictions {worst_p:.1e}, "
            f"gradients {worst_g:.1e}")


# ---------------------------------------------------------------------------------------------
# timing


def per_step(step: Callable[[Tensor], Tensor], pool: list[Tensor], steps: int, sync: Callable) -> float:
    """Seconds per optimiser step over ``steps`` steps cycling through ``pool``."""
    sync()
    started = time.perf_counter()
    for i in range(steps):
        step(pool[i % len(pool)])
    sync()
    return (time.perf_counter() - started) / steps


def measure(args, dtype: torch.dtype, pool64: list[Tensor]) -> tuple[list[list[str]], str]:
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    pool = [b.to(dtype=dtype, device=device) for b in pool64]
    runners = {"nn.RNN": baseline(dtype, device)}
    runners.update({case: ours(case, dtype, device) for case in CASES})
    for step in runners.values():
        per_step(step, pool, args.warmup, sync)
    times: dict[object, list[float]] = {key: [] for key in runners}
    for _ in range(args.repeats):
        for key, step in runners.items():
            times[key].append(per_step(step, pool, args.steps, sync))
    base = times["nn.RNN"]
    name = str(dtype).removeprefix("torch.")

    def ms(values: list[float]) -> str:
        return f"{1e3 * statistics.median(values):.2f} [{1e3 * min(values):.2f}, {1e3 * max(values):.2f}]"

    rows = [[name, "nn.RNN(relu) hidden 50 + Linear", "-", "-", ms(base),
             f"{1 / statistics.median(base):.0f}", "1"]]
    for case in CASES:
        ratios = [a / b for a, b in zip(times[case], base, strict=True)]
        model, forcing, engine = case.label
        rows.append([name, model, forcing, engine, ms(times[case]),
                     f"{1 / statistics.median(times[case]):.0f}",
                     f"**{statistics.median(ratios):.2f}** [{min(ratios):.2f}, {max(ratios):.2f}]"])
    print(f"  {name}: nn.RNN {1e3 * statistics.median(base):.2f} ms/step", flush=True)
    return rows, check_engines(pool[0], dtype, device)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtypes", default="float32,float64", help="comma-separated (default: both)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--steps", type=int, default=20, help="optimiser steps per timing (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per model first (default 5)")
    parser.add_argument("--batches", type=int, default=4, help="batches in the cycled pool (default 4)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {args.device}: CUDA is not available (torch {torch.__version__}); nothing measured.")
        return 0
    default_threads = torch.get_num_threads()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    command = "python benchmarks/bench_training.py" + "".join(
        " " + a for a in (argv if argv is not None else sys.argv[1:])
    )
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu_model()}, {os.cpu_count()} cores ({device}); Python "
        f"{platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, bifwatch "
        f"{bw.__version__}; torch threads {torch.get_num_threads()} (torch's default here: "
        f"{default_threads}; interop {torch.get_num_interop_threads()}); load average "
        f"{os.getloadavg()[0]:.2f}.\nCommand: `{command}`",
        flush=True,
    )
    started = time.perf_counter()
    pool = batches(args.batches)
    rows, checks = [], []
    for name in args.dtypes.split(","):
        dtype = getattr(torch, name)
        got, check = measure(args, dtype, pool)
        rows += got
        checks.append(f"- {name}: `unroll` engine window against autograd, every setup: {check}")
    header = ["dtype", "model", "forcing", "engine", "ms / step, median [min, max]", "steps / s",
              "ours / nn.RNN, median [min, max]"]
    print(f"\n### Optimiser steps, batch {BATCH} x {WINDOW} steps, N = 3 (median of {args.repeats} rounds of "
          f"{args.steps} steps, {args.device})\n")
    print(table(header, rows))
    print("\n" + "\n".join(checks))
    print(f"\nTotal {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f} at the end.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
