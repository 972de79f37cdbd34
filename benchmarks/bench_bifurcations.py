"""Benchmark of bifurcation maps and exact event location (issue 3).

Part ``map``: a 201 x 201 map of a 2-D PLRNN up to order 8 (the reference's example size),
computed by bifwatch (rows followed by continuation, local worker processes) and, in the same
process, by the reference method: the cycle search in every cell, no continuation (the same
worker processes). Prints both wall times, the ratio, and in how many cells the two agree.

Part ``event``: the cost of locating one bifurcation exactly (continuation across a bracket)
against refining it by grid bisection (the cycle search at midpoints) to a width of 1e-10.

Usage::

    python benchmarks/bench_bifurcations.py                # both parts, 201 x 201, 2 workers
    python benchmarks/bench_bifurcations.py --grid 41 --parts map
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from bifwatch import PLRNN, ParameterPath, find_cycles, parameter_map
from bifwatch.bifurcations._branches import follow
from bifwatch.bifurcations._path import parse_parameter, with_entry
from bifwatch.bifurcations._pieces import PathPieces
from bifwatch.sweep import run_tasks

#: The README's 2-D PLRNN (a stable 6-cycle); A[0,0] x A[1,1] covers fixed points, 2- to 8-cycles.
MODEL = PLRNN(A=[[0.9, -0.6], [0.7, -0.7]], W=[[-0.4, 0.2], [1.3, 1.3]], h=[0.5, -0.5])
PARAMS = ("A[0,0]", (0.4, 1.2), "A[1,1]", (-1.0, -0.3))
ORDER = 8


def signature(model, max_order: int) -> tuple[np.ndarray, np.ndarray]:
    """Cycles and stable cycles per order, as the reference's grid comparison counts them."""
    n_cycles, n_stable = np.zeros(max_order, int), np.zeros(max_order, int)
    for c in find_cycles(model, max_order).cycles:
        n_cycles[c.order - 1] += 1
        n_stable[c.order - 1] += c.stable
    return n_cycles, n_stable


def per_cell_row(task) -> tuple[np.ndarray, np.ndarray]:
    """One grid row by the reference method: the full cycle search in each cell."""
    model, entries, x_values, y, max_order = task
    base = with_entry(model, *entries[1], y)
    rows = [signature(with_entry(base, *entries[0], x), max_order) for x in x_values]
    return np.array([r[0] for r in rows]), np.array([r[1] for r in rows])


def bench_map(n: int, workers: int, every: int) -> list[str]:
    p1, r1, p2, r2 = PARAMS
    started = time.perf_counter()
    fast = parameter_map(MODEL, p1, r1, p2, r2, grid=(n, n), max_order=ORDER, workers=workers, progress=True)
    t_fast = time.perf_counter() - started
    entries = [parse_parameter(MODEL, p) for p in (p1, p2)]
    xs, ys = fast.values
    rows_used = np.arange(0, n, every)
    tasks = {f"row-{j:04d}": (MODEL, entries, xs, float(ys[j]), ORDER) for j in rows_used}
    started = time.perf_counter()
    rows = run_tasks(per_cell_row, tasks, workers=workers, progress=True, description="per-cell search")
    t_slow = (time.perf_counter() - started) * n / len(rows_used)
    n_cycles = np.stack([rows[k][0] for k in tasks], axis=1)
    n_stable = np.stack([rows[k][1] for k in tasks], axis=1)
    fc, fs = fast.n_cycles[:, rows_used], fast.n_stable[:, rows_used]
    same = np.all(n_cycles == fc, axis=2) & np.all(n_stable == fs, axis=2)
    missed = int(np.sum(np.maximum(n_cycles - fc, 0)))
    extra = int(np.sum(np.maximum(fc - n_cycles, 0)))
    sampled = "" if every == 1 else f" (measured on {len(rows_used)} of {n} rows, every {every}th, scaled)"
    return [
        f"| map {n} x {n}, orders 1..{ORDER}, {workers} workers | continuation {t_fast:.1f} s | "
        f"per-cell search {t_slow:.1f} s{sampled} | **{t_slow / t_fast:.1f}x** | cells agreeing "
        f"{same.sum()}/{same.size} ({100 * same.mean():.2f} %); cycles missed {missed}, extra {extra}; "
        f"{len(fast.events['x'])} exact events |"
    ]


def bench_event(repeats: int = 5) -> list[str]:
    """Locate the first border collision along A[0,0] at A[1,1] = -0.7: exact vs bisection."""
    p1, (lo, hi) = PARAMS[0], PARAMS[1]
    base = with_entry(MODEL, *parse_parameter(MODEL, PARAMS[2]), -0.7)
    grid = np.linspace(lo, hi, 81)
    before = [signature(with_entry(base, *parse_parameter(base, p1), x), ORDER) for x in grid]
    i = next(i for i in range(80) if not all(np.array_equal(a, b) for a, b in zip(before[i], before[i + 1],
                                                                                   strict=True)))
    a, b = float(grid[i]), float(grid[i + 1])
    entry = parse_parameter(base, p1)
    cycles = [(c.regions, c.points) for c in find_cycles(with_entry(base, *entry, a), ORDER).cycles]
    started = time.perf_counter()
    for _ in range(repeats):
        path = ParameterPath(base, p1, a, b)
        branches = follow(PathPieces(path), np.array([a, b]), {0: cycles})
    t_exact = (time.perf_counter() - started) / repeats
    exact = min(e.value for br in branches for e in br.events)
    started = time.perf_counter()
    left, right, searches = a, b, 0
    reference = signature(with_entry(base, *entry, a), ORDER)
    while right - left > 1e-10:
        mid = 0.5 * (left + right)
        here = signature(with_entry(base, *entry, mid), ORDER)
        searches += 1
        if all(np.array_equal(u, v) for u, v in zip(here, reference, strict=True)):
            left = mid
        else:
            right = mid
    t_bisect = time.perf_counter() - started
    return [
        f"| one event ({p1} in [{a:.3f}, {b:.3f}]) | exact {1e3 * t_exact:.1f} ms, at {exact:.15f} | "
        f"bisection to 1e-10: {1e3 * t_bisect:.0f} ms, {searches} searches, at {right:.15f} | "
        f"**{t_bisect / t_exact:.0f}x** | |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=201)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--parts", default="map,event")
    parser.add_argument("--baseline-every", type=int, default=1, metavar="R",
                        help="per-cell baseline on every R-th row only, time scaled (default 1)")
    args = parser.parse_args()
    header = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} cores "
        f"({platform.processor() or 'cpu'}), numpy {np.__version__}.",
        "",
        "| benchmark | bifwatch | baseline | ratio | notes |",
        "|---|---|---|---|---|",
    ]
    lines = []
    if "event" in args.parts:
        lines += bench_event()
        print(lines[-1], flush=True)
    if "map" in args.parts:
        lines += bench_map(args.grid, args.workers, args.baseline_every)
        print(lines[-1], flush=True)
    print("\n".join(header + lines))


if __name__ == "__main__":
    main()
