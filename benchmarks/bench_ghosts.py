"""Speed benchmark of the ghosts tools: training gradients, slow-point finders, the toy model.

Four parts, one process, public API only (``import bifwatch as bw``); every figure is a ratio
against a baseline run in the same process:

1. Rank-one delayed-activation gradient, ms per epoch (one trial of S networks, N units):
   ``lowrank.rank_one_gradient`` (closed-kappa exact BPTT, numpy) against ``lowrank.lowrank_gradient``
   (general numpy BPTT) and ``lowrank.autograd_gradient`` (torch autograd, float64), models from
   ``lowrank.init_lowrank``; the three gradients are compared (max relative difference).
2. ``bw.find_slow_points`` from many starts at once against the same problem solved start by
   start (a loop of calls with one start each, on a subset of the starts, scaled): a 2-D tanh
   ``nn.RNN`` with W = 2 I (9 fixed points) and a GRU whose starts ``bw.sample_states`` draws
   from its own trajectories.
3. ``bw.exact_slow_points`` on seeded random PLRNNs (M = 2, 4, 8): time and regions per second;
   for M = 2 against a dense-grid + scipy Nelder-Mead oracle (the torch finder cannot find
   minima of q on a kink, so it is no baseline here).
4. ``toy_study.empirical_critical_lr`` at T = 100 (default settings) against the analytic
   ``toy_study.critical_learning_rate(100)``.

Usage (from the repository root)::

    python benchmarks/bench_ghosts.py                    # all parts, default sizes (about 1 minute here)
    python benchmarks/bench_ghosts.py --parts 1,4        # some parts only
    python benchmarks/bench_ghosts.py --networks 1,20 --starts 64 --baseline-starts 4

Timings: torch runs on one thread (``torch.set_num_threads(1)``) and BLAS is pinned to one thread
(OPENBLAS/OMP/MKL_NUM_THREADS=1, unless already set) for stable figures on a shared 2-core
machine; compared measurements are interleaved and reported as medians over repeats.
"""

from __future__ import annotations

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import torch  # noqa: E402
from machine import cpu_model  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

import bifwatch as bw  # noqa: E402
import bifwatch.studies.toy as toy_study  # noqa: E402
from bifwatch.studies import lowrank  # noqa: E402

torch.set_num_threads(1)

#: Part 3b: the first three seeds of 0-59 whose 2-D model (``random_plrnn(2, seed)``) has both a
#: fixed point and a slow point on a switching plane (found with ``bw.exact_slow_points``).
ORACLE_SEEDS = (7, 8, 14)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def median_per_call(fn: Callable[[], object], min_seconds: float, max_calls: int = 1000) -> float:
    """Seconds per call of ``fn``, calling it until ``min_seconds`` have passed."""
    calls, started = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds or calls >= max_calls:
            return elapsed / calls


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


# ---------------------------------------------------------------------------------------------
# 1. rank-one gradient


def rel_diff(a: dict, b: dict) -> float:
    """max over the arrays of max |a - b| / max |b| (b's layout; a reshaped to it)."""
    return max(float(np.abs(np.reshape(a[k], np.shape(b[k])) - b[k]).max() / np.abs(b[k]).max()) for k in b)


def part_gradient(args) -> str:
    rows = []
    for S in args.networks:
        nets = [lowrank.init_lowrank(args.units, 1, seed=s) for s in range(S)]
        m = np.stack([net.m[:, 0] for net in nets])
        n = np.stack([net.n[:, 0] for net in nets])
        b = np.stack([net.b for net in nets])
        c = np.array([net.confidence for net in nets])
        arrays = {"m": m[:, :, None], "n": n[:, :, None], "b": b, "confidence": c}
        runs = {
            "closed": lambda m=m, n=n, b=b, c=c: lowrank.rank_one_gradient(m, n, b, c),
            "general": lambda arrays=arrays: lowrank.lowrank_gradient(arrays),
            "autograd": lambda nets=nets: lowrank.autograd_gradient(nets),
        }
        out = {k: f() for k, f in runs.items()}  # warm-up, and the gradients compared
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.repeats):
            for k, f in runs.items():
                times[k].append(median_per_call(f, args.min_time))
        ms = {k: 1e3 * statistics.median(v) for k, v in times.items()}
        d_ca = rel_diff(out["closed"].grads, out["autograd"].grads)
        d_ga = rel_diff(out["general"].grads, out["autograd"].grads)
        d_cg = rel_diff(out["closed"].grads, out["general"].grads)
        d_loss = float(np.abs(out["closed"].loss - out["autograd"].loss).max())
        rows.append(
            [
                str(S),
                f"{ms['closed']:.2f}",
                f"{ms['general']:.2f}",
                f"{ms['autograd']:.2f}",
                f"**{ms['autograd'] / ms['closed']:.1f}x**",
                f"{ms['general'] / ms['closed']:.1f}x",
                f"{d_ca:.1e} / {d_ga:.1e} / {d_cg:.1e}; loss {d_loss:.0e}",
            ]
        )
        print(f"  S = {S}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in ms.items()), flush=True)
    header = [
        "S",
        "closed-κ ms/epoch",
        "general numpy ms/epoch",
        "autograd ms/epoch",
        "autograd / closed-κ",
        "general / closed-κ",
        "max rel. diff of grads (closed vs autograd / general vs autograd / closed vs general)",
    ]
    return (
        f"### 1. Rank-one DA gradient (N = {args.units}, delay 20, one trial; median of {args.repeats})\n\n"
        + table(header, rows)
    )


# ---------------------------------------------------------------------------------------------
# 2. slow-point finder


def rnn_2d() -> torch.nn.RNN:
    rnn = torch.nn.RNN(1, 2, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.zero_()
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
        rnn.weight_hh_l0.copy_(2.0 * torch.eye(2, dtype=torch.float64))
    return rnn


def gru_problem(units: int, starts: int, gain: float) -> tuple[torch.nn.GRU, np.ndarray]:
    """A seeded GRU (4 inputs) with recurrent weights scaled by ``gain``, and ``starts`` states drawn
    from its hidden trajectories under N(0, 1) inputs (32 trials x 100 steps)."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(4, units, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        gru.weight_hh_l0.mul_(gain)
        hidden, _ = gru(torch.randn(32, 100, 4, dtype=torch.float64))
    return gru, bw.sample_states(hidden, starts, seed=0)


def part_finder(args) -> str:
    problems = [
        ("2-D tanh RNN, W = 2 I", rnn_2d(), np.random.default_rng(0).uniform(-1.5, 1.5, (args.starts, 2))),
        (
            f"{args.gru_units}-unit GRU, W_hh x {args.gru_gain:g}",
            *gru_problem(args.gru_units, args.starts, args.gru_gain),
        ),
    ]
    bw.find_slow_points(problems[0][1], problems[0][2][:4])  # warm-up (torch.func, first calls)
    rows = []
    for name, model, starts in problems:
        k = min(args.baseline_starts, len(starts))
        batched, single = [], None
        for r in range(args.finder_repeats):
            t, found = timed(lambda model=model, starts=starts: bw.find_slow_points(model, starts))
            batched.append(t)
            if r == 0:
                t0 = time.perf_counter()
                for x in starts[:k]:
                    bw.find_slow_points(model, x[None])
                single = (time.perf_counter() - t0) * len(starts) / k
        t_b = statistics.median(batched)
        n_fixed = int(np.sum(found.kind == "fixed"))
        rows.append(
            [
                name,
                str(len(starts)),
                f"{t_b:.2f}",
                f"{len(found.q)} ({n_fixed} fixed, {len(found.q) - n_fixed} slow)",
                f"{found.q.max():.1e}",
                f"{single:.1f} (loop over {k} starts, x {len(starts) / k:g})",
                f"**{single / t_b:.0f}x**",
            ]
        )
        print(f"  {name}: batched {t_b:.2f} s, one at a time {single:.1f} s", flush=True)
    header = ["model", "starts", "batched s", "found", "max q", "one start per call s", "ratio"]
    return (
        f"### 2. Slow-point finder (default SlowPointFinder, float64; batched: median of "
        f"{args.finder_repeats})\n\n" + table(header, rows)
    )


# ---------------------------------------------------------------------------------------------
# 3. exact piecewise-linear slow points


def random_plrnn(M: int, seed: int, gain: float = 2.0) -> bw.PLRNN:
    """A = diag(U(-0.9, 0.9)), W = gain N(0, 1) / sqrt(M) with zero diagonal, h = 0.5 N(0, 1)."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(-0.9, 0.9, M)
    W = gain * rng.normal(size=(M, M)) / np.sqrt(M)
    np.fill_diagonal(W, 0.0)
    h = 0.5 * rng.normal(size=M)
    return bw.PLRNN(A=A, W=W, h=h)


def oracle_slow_points(model: bw.PLRNN, box: float, grid: int) -> tuple[np.ndarray, int]:
    """Local minima of q on a dense grid over [-box, box]^2, each polished by Nelder-Mead, merged."""
    axis = np.linspace(-box, box, grid)
    X, Y = np.meshgrid(axis, axis, indexing="ij")
    Z = np.stack([X, Y], axis=-1)
    q = 0.5 * np.sum((model.step(Z) - Z) ** 2, axis=-1)
    inner = q[1:-1, 1:-1]
    is_min = np.ones_like(inner, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                is_min &= inner <= q[1 + di : grid - 1 + di, 1 + dj : grid - 1 + dj]
    seeds = Z[1:-1, 1:-1][is_min]

    def speed(z: np.ndarray) -> float:
        return 0.5 * float(np.sum((model.step(z) - z) ** 2))

    points: list[np.ndarray] = []
    for z0 in seeds:
        res = minimize(
            speed,
            z0,
            method="Nelder-Mead",
            options={"xatol": 1e-11, "fatol": 1e-30, "maxiter": 20000, "maxfev": 40000},
        )
        if not any(np.abs(res.x - p).max() <= 1e-6 * (1 + np.abs(p).max()) for p in points):
            points.append(res.x)
    return np.array(points).reshape(-1, 2), len(seeds)


def part_exact(args) -> str:
    bw.exact_slow_points(random_plrnn(2, 0))  # warm-up
    rows = []
    for M in args.plrnn_dims:
        times, n_fixed, n_slow = [], 0, 0
        for seed in range(args.plrnn_models):
            t, sp = timed(lambda M=M, seed=seed: bw.exact_slow_points(random_plrnn(M, seed)))
            times.append(t)
            n_fixed += int(np.sum(sp.kind == "fixed"))
            n_slow += int(np.sum(sp.kind == "slow"))
        t = statistics.median(times)
        rows.append(
            [
                str(M),
                str(args.plrnn_models),
                str(2**M),
                f"{1e3 * t:.1f}",
                f"{2**M / t:.0f}",
                f"{n_fixed} fixed, {n_slow} slow",
            ]
        )
        print(f"  M = {M}: {1e3 * t:.1f} ms per model", flush=True)
    out = (
        f"### 3a. Exact slow points of random PLRNNs (seeds 0..{args.plrnn_models - 1} per M; "
        "A = diag(U(-0.9, 0.9)), W = 2 N(0, 1)/sqrt(M) zero diagonal, h = 0.5 N(0, 1))\n\n"
        + table(
            ["M", "models", "regions", "ms per model (median)", "regions / s", "points (all models)"], rows
        )
    )
    rows = []
    G = args.oracle_grid
    for seed in ORACLE_SEEDS:
        model = random_plrnn(2, seed)
        t_exact = statistics.median(
            timed(lambda model=model: bw.exact_slow_points(model))[0] for _ in range(5)
        )
        sp = bw.exact_slow_points(model)
        t_oracle, (found, n_seeds) = timed(lambda model=model: oracle_slow_points(model, args.oracle_box, G))
        dist = [np.abs(found - p).max(axis=1).min() if len(found) else np.inf for p in sp.points]
        matched = sum(d <= 1e-6 * (1 + np.abs(p).max()) for d, p in zip(dist, sp.points, strict=True))
        rows.append(
            [
                str(seed),
                f"{len(sp.q)} ({', '.join(sp.kind)})",
                f"{1e3 * t_exact:.1f}",
                f"{t_oracle:.2f} ({n_seeds} grid minima)",
                f"**{t_oracle / t_exact:.0f}x**",
                f"{matched}/{len(sp.q)}, max distance {max(dist):.1e}",
                str(len(found) - matched),
            ]
        )
        print(f"  M = 2, seed {seed}: exact {1e3 * t_exact:.1f} ms, oracle {t_oracle:.2f} s", flush=True)
    header = [
        "seed",
        "exact points",
        "exact ms",
        "oracle s",
        "oracle / exact",
        "exact points the oracle found",
        "oracle extra",
    ]
    return out + (
        f"\n\n### 3b. M = 2 against the oracle ({G} x {G} grid on [-{args.oracle_box:g}, "
        f"{args.oracle_box:g}]^2, Nelder-Mead from every grid minimum, merged within 1e-6)\n\n"
        + table(header, rows)
    )


# ---------------------------------------------------------------------------------------------
# 4. toy model


def part_toy(args) -> str:
    toy = toy_study.DelayedActivationToy(T=args.toy_T)
    t, rate = timed(lambda: toy_study.empirical_critical_lr(toy))
    exact = toy_study.critical_learning_rate(args.toy_T)
    print(f"  toy: {t:.2f} s, ratio {rate / exact:.4f}", flush=True)
    row = [f"{args.toy_T:g}", f"{rate:.4e}", f"{exact:.4e}", f"**{rate / exact:.4f}**", f"{t:.2f}"]
    return (
        "### 4. Toy model dx/dt = r + x², empirical critical learning rate (default settings: 10⁴ epochs, "
        "100 inits, 2 refinement rounds of 16 rates)\n\n"
        + table(["T", "empirical α", "analytic α_c = 3π⁴/(32T⁵)", "empirical / analytic", "wall s"], [row])
    )


# ---------------------------------------------------------------------------------------------


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=ints, default=[1, 2, 3, 4], help="which parts (default 1,2,3,4)")
    parser.add_argument(
        "--networks", type=ints, default=[1, 20, 100], help="part 1: S values (default 1,20,100)"
    )
    parser.add_argument("--units", type=int, default=100, help="part 1: N (default 100)")
    parser.add_argument("--repeats", type=int, default=5, help="part 1: repeats (default 5)")
    parser.add_argument(
        "--min-time", type=float, default=0.3, help="part 1: seconds per timing (default 0.3)"
    )
    parser.add_argument("--starts", type=int, default=256, help="part 2: starts (default 256)")
    parser.add_argument(
        "--baseline-starts",
        type=int,
        default=32,
        help="part 2: starts run one per call, time scaled (default 32)",
    )
    parser.add_argument("--finder-repeats", type=int, default=3, help="part 2: batched runs (default 3)")
    parser.add_argument("--gru-units", type=int, default=64, help="part 2: GRU hidden size (default 64)")
    parser.add_argument(
        "--gru-gain",
        type=float,
        default=4.0,
        help="part 2: factor on the GRU's recurrent weights (default 4: several fixed and "
        "slow points; at 1 a random GRU has a single fixed point)",
    )
    parser.add_argument("--plrnn-dims", type=ints, default=[2, 4, 8], help="part 3: M values (default 2,4,8)")
    parser.add_argument("--plrnn-models", type=int, default=3, help="part 3: models per M (default 3)")
    parser.add_argument("--oracle-grid", type=int, default=601, help="part 3: oracle grid points per axis")
    parser.add_argument("--oracle-box", type=float, default=6.0, help="part 3: oracle box half-width")
    parser.add_argument("--toy-T", type=float, default=100.0, help="part 4: delay T (default 100)")
    args = parser.parse_args(argv)
    command = "python benchmarks/bench_ghosts.py" + "".join(
        " " + a for a in (argv if argv is not None else sys.argv[1:])
    )
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu_model()}, {os.cpu_count()} cores; Python "
        f"{platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, scipy "
        f"{scipy.__version__}, bifwatch {bw.__version__}; torch threads {torch.get_num_threads()}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}.\nCommand: `{command}`",
        flush=True,
    )
    started = time.perf_counter()
    parts = {1: part_gradient, 2: part_finder, 3: part_exact, 4: part_toy}
    sections = []
    for p in args.parts:
        print(f"part {p} ...", flush=True)
        sections.append(parts[p](args))
    print("\n" + "\n\n".join(sections))
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
