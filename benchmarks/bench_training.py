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
also with STF (tau = 16) and without forcing. One more row, ``clipped-shplrnn GTF, window
Function``, times a prototype that lives in this file only: the whole window as one
``torch.autograd.Function`` with a hand-written backward (see ``_ClippedGTFWindow``); its
predictions and gradients are compared with autograd through ``unroll`` before timing.

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
    window_function: bool = False

    @property
    def label(self) -> str:
        size = ", ".join(f"{k}={v}" for k, v in self.widths.items())
        forcing = {"gtf": f"GTF alpha={self.alpha:g}", "stf": f"STF tau={self.tau}", "none": "none"}
        prototype = " (window Function prototype)" if self.window_function else ""
        return f"{self.kind} {size}", forcing[self.forcing] + prototype


CASES = (
    Case("plrnn", {"M": 50}, "gtf", alpha=0.1),
    Case("alrnn", {"M": 50, "P": 25}, "gtf", alpha=0.1),
    Case("shplrnn", {"M": 3, "L": 50}, "gtf", alpha=0.1),
    Case("clipped-shplrnn", {"M": 3, "L": 50}, "gtf", alpha=0.1),
    Case("clipped-shplrnn", {"M": 3, "L": 50}, "stf", tau=16),
    Case("clipped-shplrnn", {"M": 3, "L": 50}, "none"),
    Case("clipped-shplrnn", {"M": 3, "L": 50}, "gtf", alpha=0.1, window_function=True),
)


def ours(case: Case, unroll: Callable, dtype: torch.dtype, device) -> Callable[[Tensor], Tensor]:
    model = build_model(case.kind, N=3, seed=0, dtype=dtype, device=device, **case.widths)
    optimiser = torch.optim.RAdam(model.parameters(), lr=1e-3)
    forward = window_unroll if case.window_function else unroll

    def step(batch: Tensor) -> Tensor:
        inputs, targets = batch[:, :-1], batch[:, 1:]
        predictions = forward(model, inputs, forcing=case.forcing, alpha=case.alpha, tau=case.tau)
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


# ---------------------------------------------------------------------------------------------
# prototype: the whole GTF window of a clipped shPLRNN as one autograd Function


class _ClippedGTFWindow(torch.autograd.Function):
    """z_{t+1} = F(z~_t), z~_{t+1} = lerp(z_{t+1}, zhat_{t+1}, w): the predictions z_2 .. z_{T+1}.

    Forward without a graph; backward by hand: the adjoint e_t of each prediction runs back through
    e_t = g_t + (1 - w) * (A e_{t+1} + W2^T (D_{t+1} * (W1^T e_{t+1}))) with D the clipped gate
    1[W2 z + h2 > 0] - 1[W2 z > 0], and the parameter gradients are then a few matmuls over all
    (t, window) pairs at once instead of one small product per step.
    """

    @staticmethod
    def forward(ctx, z1, zhat, weight, A, W1, W2, h1, h2):
        T = zhat.shape[1]
        fed, outs, hidden, upper, lower = [], [], [], [], []
        z = z1
        for t in range(T):
            fed.append(z)
            u = z @ W2.T
            v = u + h2
            r = torch.relu(v) - torch.relu(u)
            z = torch.addmm(A * z, r, W1.T) + h1
            outs.append(z)
            hidden.append(r)
            upper.append(v > 0)
            lower.append(u > 0)
            if t + 1 < T:
                z = torch.lerp(z, zhat[:, t + 1], weight)
        stack = torch.stack
        ctx.save_for_backward(stack(fed), stack(hidden), stack(upper), stack(lower), weight, A, W1, W2)
        return stack(outs, dim=1)

    @staticmethod
    def backward(ctx, grad):
        fed, hidden, upper, lower, weight, A, W1, W2 = ctx.saved_tensors
        T = fed.shape[0]
        gate = upper.to(fed.dtype) - lower.to(fed.dtype)  # (T, S, L)
        keep = 1 - weight
        grad = grad.transpose(0, 1)  # (T, S, M)
        adjoints = [None] * T
        back = None  # adjoint of the forced state z~_{t+1}
        for t in range(T - 1, -1, -1):
            e = grad[t] if back is None else torch.addcmul(grad[t], keep, back)
            adjoints[t] = e
            back = torch.addmm(A * e, (e @ W1) * gate[t], W2)
        E = torch.stack(adjoints)  # (T, S, M): dL/dz_{t+1}
        P = E @ W1  # (T, S, L)
        M, L = A.shape[0], W1.shape[1]
        flat = lambda x, n: x.reshape(-1, n)  # noqa: E731
        dA = (E * fed).sum((0, 1))
        dW1 = flat(E, M).T @ flat(hidden, L)
        dW2 = flat(P * gate, L).T @ flat(fed, M)
        dh1 = E.sum((0, 1))
        dh2 = (P * upper).sum((0, 1))
        return back, None, None, dA, dW1, dW2, dh1, dh2


def window_unroll(model, inputs: Tensor, *, forcing: str, alpha: float, tau: int) -> Tensor:
    """``unroll`` for a clipped shPLRNN under GTF through :class:`_ClippedGTFWindow`."""
    if forcing != "gtf" or model.latent.kind != "clipped-shplrnn":
        raise ValueError("the window Function prototype covers GTF of the clipped shPLRNN only")
    obs, f = model.observation, model.latent
    z1 = obs.initial_state(inputs[:, 0])
    zhat = obs.forcing_signal(inputs)
    out = _ClippedGTFWindow.apply(z1, zhat, alpha * obs.forced, f.A, f.W1, f.W2, f.h1, f.h2)
    return obs.decode(out)


def check_prototype(unroll: Callable, batch: Tensor, dtype: torch.dtype, device) -> str:
    """Max |difference| of predictions and of gradients, prototype against autograd through ``unroll``."""
    model = build_model("clipped-shplrnn", N=3, M=3, L=HIDDEN, seed=0, dtype=dtype, device=device)
    inputs, targets = batch[:, :-1], batch[:, 1:]
    results = []
    for forward in (unroll, window_unroll):
        predictions = forward(model, inputs, forcing="gtf", alpha=0.1, tau=1)
        grads = torch.autograd.grad((predictions - targets).square().mean(), list(model.latent.parameters()))
        results.append((predictions.detach(), grads))
    (p, g), (q, h) = results
    dp = float((p - q).abs().max() / p.abs().max())
    dg = max(float((a - b).abs().max() / a.abs().max()) for a, b in zip(g, h, strict=True))
    return f"relative to the largest entry: predictions {dp:.1e}, gradients {dg:.1e}"


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


def measure(args, dtype: torch.dtype, unroll: Callable, pool64: list[Tensor]) -> tuple[list[list[str]], str]:
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    pool = [b.to(dtype=dtype, device=device) for b in pool64]
    runners = {"nn.RNN": baseline(dtype, device)}
    runners.update({case: ours(case, unroll, dtype, device) for case in CASES})
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

    rows = [[name, "nn.RNN(relu) hidden 50 + Linear", "-", ms(base), f"{1 / statistics.median(base):.0f}",
             "1"]]
    for case in CASES:
        ratios = [a / b for a, b in zip(times[case], base, strict=True)]
        model, forcing = case.label
        rows.append([name, model, forcing, ms(times[case]), f"{1 / statistics.median(times[case]):.0f}",
                     f"**{statistics.median(ratios):.2f}** [{min(ratios):.2f}, {max(ratios):.2f}]"])
    print(f"  {name}: nn.RNN {1e3 * statistics.median(base):.2f} ms/step", flush=True)
    return rows, check_prototype(unroll, pool[0], dtype, device)


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
        got, check = measure(args, dtype, unroll, pool)
        rows += got
        checks.append(f"- {name}: window Function prototype against autograd through `unroll`: {check}")
    header = ["dtype", "model", "forcing", "ms / step, median [min, max]", "steps / s",
              "ours / nn.RNN, median [min, max]"]
    print(f"\n### Optimiser steps, batch {BATCH} x {WINDOW} steps, N = 3 (median of {args.repeats} rounds of "
          f"{args.steps} steps, {args.device})\n")
    print(table(header, rows))
    print("\n" + "\n".join(checks))
    print(f"\nTotal {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f} at the end.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
