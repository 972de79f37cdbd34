"""Speed benchmark of bifwatch's cycle search (``find_cycles`` / ``bifwatch cycles``).

Three parts, one run (see benchmarks/README.md):

1. End to end: all cycles up to order 4 of random 10-D PLRNNs, ``bifwatch cycles MODEL.npz
   --max-order 4 --json OUT`` against ``python benchmarks/reference_scyfi.py MODEL.npz 4`` (the
   reference SCYFI loop, one candidate at a time, budgets outer = 100, inner = 500), both as
   whole processes; the cycle sets are compared.
2. Cost per candidate at M = 10, k = 4: ``bifwatch.search._linear.solve_sequences`` on a batch
   of random region sequences against the same batched work written directly in numpy (the
   "floor": Jacobians, k batched matmuls for P and q, one batched ``np.linalg.solve``).
3. Scaling: time per order and solves per found cycle for M = 2..200 (k = 1, 2) and for
   k = 1..50 (M = 2), from ``find_cycles``' per-order statistics.

Usage (from the repository root)::

    python benchmarks/bench_cycles.py             # full run; writes benchmarks/results/
    python benchmarks/bench_cycles.py --quick     # smoke run (about a minute); writes nothing
    python benchmarks/bench_cycles.py --parts 2   # only part 2

BLAS is pinned to one thread (OPENBLAS/OMP/MKL_NUM_THREADS=1, unless already set; inherited by
the subprocesses) because the machine has 2 cores shared with other work and multithreaded
OpenBLAS is much slower on batches of small solves there (part 2 measures this);
``--blas-default`` leaves the library's own setting. Everything is seeded; wall-clock times
are medians over repeats.
"""

from __future__ import annotations

import os
import sys

BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
if "--blas-default" not in sys.argv:
    for _var in BLAS_VARS:
        os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sysconfig  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from machine import cpu_model  # noqa: E402
from make_long_cycle_fixtures import draw as draw_long_cycle_models  # noqa: E402

import bifwatch  # noqa: E402
from bifwatch import PLRNN, SCYFI, find_cycles  # noqa: E402
from bifwatch.search._linear import solve_sequences  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REFERENCE = HERE / "reference_scyfi.py"
DATE = "2026-11-22"

#: Part 1: seeds of the 10-D models (``random_plrnn(10, seed)``), chosen because bifwatch and
#: the reference both find cycles in them (seeds 0-19 scanned; most have none above order 1).
E2E_SEEDS = (5, 6, 11, 17)
E2E_SEEDS_QUICK = (11, 17)
E2E_MAX_ORDER = 4
#: Reference budgets (the reference README's 10-D example).
REF_OUTER, REF_INNER = 100, 500
#: Two cycles are the same when every point matches within this (times 1 + |z|), any phase.
MATCH_TOL = 1e-6

#: Part 2.
CAND_M, CAND_K, CAND_BATCH = 10, 4, 1024

#: Part 3: dimensions (k = 1, 2) and orders (M = 2).
SWEEP_M = (2, 5, 10, 20, 50, 100, 200)
SWEEP_M_QUICK = (2, 5, 10, 20, 50)
#: Gain of W in the M sweep: W = gain N(0, 1) / sqrt(M). With part 1's gain 2 (strongly
#: expanding) no cycle is found above M = 20 and every chain runs its full max_inner steps; gain 1
#: behaves the same from M = 100 on (20,000 solves, nothing found). Gain 0.5 is the globally
#: attracting regime (the paper's <lambda_max> ~ 0.7 curve): one stable fixed point, chains that
#: converge in a few steps, and no 2-cycles.
SWEEP_GAIN = 0.5
#: The M sweep forces the heuristic with this patience and caps solves per order. The default
#: patience, 100 + 20 M k, is up to 41x larger (M = 200, k = 2), and the default find_cycles
#: fails with a TypeError for M >= 64 (see README.md); with part 1's gain 2 and default budgets,
#: M = 50 took 5.4 s (k = 1) and 20 s (k = 2) here, finding nothing.
SWEEP_PATIENCE = 200
SWEEP_MAX_SOLVES = 20_000
SWEEP_K_QUICK = (1, 2, 3, 5, 8, 12, 20, 30, 50)
#: Part 3b models: ``model_2d(batch, index)``, the first two draws of ``draw_2d`` (seeded
#: [2026, batch], SCREEN_BATCH models per batch) whose orbit from (0.5, 0.5) ends, after
#: TRANSIENT steps, on a stable cycle of least period k (found by ``screen_2d``).
SCREEN_BATCH = 20_000
TRANSIENT = 2000
K_MODELS = {
    1: ((0, 2), (0, 3)),
    2: ((0, 31), (0, 97)),
    3: ((0, 554), (0, 869)),
    4: ((0, 128), (0, 382)),
    5: ((0, 695), (0, 1133)),
    6: ((0, 326), (0, 1691)),
    8: ((0, 198), (0, 857)),
    10: ((0, 153), (0, 254)),
    12: ((0, 1572), (0, 1865)),
    15: ((0, 15581), (0, 19393)),
    20: ((0, 9109), (0, 13150)),
    25: ((0, 12556), (0, 13621)),
    30: ((1, 1499), (1, 8699)),
    40: ((0, 8764), (1, 2872)),
    50: ((3, 1384), (4, 9329)),
}
SWEEP_K = tuple(K_MODELS)


# ---------------------------------------------------------------------------------------------
# models


def random_plrnn(M: int, seed: int, gain: float = 2.0) -> PLRNN:
    """A = diag(U(-0.9, 0.9)), W = gain N(0, 1) / sqrt(M) with zero diagonal, h = 0.5 N(0, 1)."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(-0.9, 0.9, M)
    W = gain * rng.normal(size=(M, M)) / np.sqrt(M)
    np.fill_diagonal(W, 0.0)
    h = 0.5 * rng.normal(size=M)
    return PLRNN(A=A, W=W, h=h)


def draw_2d(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random 2-D PLRNNs with a full A, as the long-cycle fixtures but theta ~ U(2 pi / 90, pi)."""
    return draw_long_cycle_models(rng, n, theta_max=np.pi)


def model_2d(batch: int, index: int) -> PLRNN:
    A, W, h = draw_2d(np.random.default_rng([2026, batch]), SCREEN_BATCH)
    return PLRNN(A=A[index], W=W[index], h=h[index])


def attractor_periods(
    A, W, h, *, transient=TRANSIENT, tail=120, max_period=60
) -> tuple[np.ndarray, np.ndarray]:
    """Least period (0: none up to ``max_period``, or divergent) of each 2-D model's orbit from
    (0.5, 0.5) after ``transient`` steps, and the orbit tails, shape (tail, n, 2)."""
    n = len(A)
    x, y = np.full(n, 0.5), np.full(n, 0.5)
    orbit = np.empty((tail, n, 2))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(transient + tail):
            rx, ry = np.maximum(x, 0.0), np.maximum(y, 0.0)
            x, y = (
                A[:, 0, 0] * x + A[:, 0, 1] * y + W[:, 0, 0] * rx + W[:, 0, 1] * ry + h[:, 0],
                A[:, 1, 0] * x + A[:, 1, 1] * y + W[:, 1, 0] * rx + W[:, 1, 1] * ry + h[:, 1],
            )
            if t % 100 == 0:
                bad = ~((np.abs(x) < 1e6) & (np.abs(y) < 1e6))
                x[bad], y[bad] = np.nan, np.nan
            if t >= transient:
                orbit[t - transient, :, 0], orbit[t - transient, :, 1] = x, y
    finite = np.isfinite(orbit).all(axis=(0, 2))
    scale = 1.0 + np.abs(np.nan_to_num(orbit)).max(axis=(0, 2))
    period = np.zeros(n, dtype=int)
    for p in range(1, max_period + 1):
        gap = np.abs(orbit[p:] - orbit[:-p]).max(axis=(0, 2))
        period[finite & (period == 0) & (gap <= 1e-9 * scale)] = p
    for i in np.flatnonzero(period > 1):  # a slow focus can pass at p before 1: need p distinct points
        points = orbit[-period[i] :, i]
        gaps = np.abs(points[:, None] - points[None]).max(axis=2)
        np.fill_diagonal(gaps, np.inf)
        if gaps.min() <= 1e-6 * scale[i]:
            period[i] = 0
    return period, orbit


def screen_2d(orders, n_per_order: int = 2, n_batches: int = 6) -> dict[int, list[tuple[int, int]]]:
    """(batch, index) of the first ``n_per_order`` draws whose attractor is a k-cycle, per k
    (how ``K_MODELS`` was made; ``--screen`` reruns it, about 20 s per batch here)."""
    picks: dict[int, list[tuple[int, int]]] = {k: [] for k in orders}
    for batch in range(n_batches):
        period, _ = attractor_periods(*draw_2d(np.random.default_rng([2026, batch]), SCREEN_BATCH))
        for i in np.flatnonzero(period > 0):
            k = int(period[i])
            if k in picks and len(picks[k]) < n_per_order:
                picks[k].append((batch, int(i)))
        print(f"  batch {batch}: {picks}", flush=True)
        if all(len(v) == n_per_order for v in picks.values()):
            break
    return picks


def stable_cycle(model: PLRNN, k: int) -> np.ndarray | None:
    """The k points of the attracting k-cycle that the orbit from (0.5, 0.5) ends on, if it does."""
    period, orbit = attractor_periods(model.A[None], model.W[None], model.h[None])
    return orbit[-k:, 0] if period[0] == k else None


# ---------------------------------------------------------------------------------------------
# helpers


def median(values) -> float:
    return float(statistics.median(values))


def run_timed(cmd: list[str]) -> tuple[float, float, str]:
    """Run a command; (wall seconds, child CPU seconds, stdout). Raises on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def bifwatch_command() -> list[str]:
    """The installed ``bifwatch`` console script (next to this interpreter, not a pyenv shim)."""
    script = Path(sysconfig.get_path("scripts")) / "bifwatch"
    if script.exists():
        return [str(script)]
    found = shutil.which("bifwatch")
    if found is None:
        raise SystemExit("the `bifwatch` command is not installed (pip install -e .)")
    return [found]


def time_call(fn, repeats: int) -> float:
    """Median seconds of ``fn()`` over ``repeats`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return median(times)


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return f"{rev}{' + uncommitted changes in src/' if dirty else ''}" if rev else "unknown"
    except OSError:
        return "unknown"


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def fmt_ratio(x: float) -> str:
    return f"{x:.1f}x" if np.isfinite(x) else "-"


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def print_table(header: list[str], rows: list[list]) -> None:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for j, row in enumerate(cells):
        print(
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if j == 0:
            print("  " + "  ".join("-" * w for w in widths))


# ---------------------------------------------------------------------------------------------
# part 1: end to end


def least_period(model: PLRNN, z: np.ndarray, k: int, tol: float = MATCH_TOL) -> int:
    orbit = model.trajectory(z, k)
    scale = tol * (1.0 + np.abs(orbit).max())
    for j in range(1, k + 1):
        if k % j == 0 and np.abs(orbit[j] - orbit[0]).max() <= scale:
            return j
    return 0  # not a cycle of period dividing k


def same_points(a: np.ndarray, b: np.ndarray, tol: float = MATCH_TOL) -> bool:
    if a.shape != b.shape:
        return False
    scale = tol * (1.0 + max(np.abs(a).max(), np.abs(b).max()))
    return any(np.abs(np.roll(a, -r, axis=0) - b).max() <= scale for r in range(len(a)))


def condition(model: PLRNN, points: np.ndarray) -> float:
    J, _ = model.affine_map(model.region(points))
    P = np.eye(model.M)
    for Jj in J:
        P = Jj @ P
    return float(np.linalg.cond(np.eye(model.M) - P))


def compare_cycles(model: PLRNN, bif: dict, ref: dict, max_order: int) -> tuple[list[str], int]:
    """Differences between the two cycle sets, explained; and the number of common cycles."""
    notes: list[str] = []
    common = 0
    for k in range(1, max_order + 1):
        mine, theirs = bif.get(k, []), ref.get(k, [])
        matched = [False] * len(mine)
        for cyc in theirs:
            hit = next((i for i, m in enumerate(mine) if not matched[i] and same_points(m, cyc)), None)
            if hit is not None:
                matched[hit] = True
                common += 1
                continue
            j = least_period(model, cyc[0], k)
            if 0 < j < k:
                base = cyc[:j]
                where = (
                    "bifwatch has it at order"
                    if any(same_points(c, base) for c in bif.get(j, []))
                    else "bifwatch lacks it at order"
                )
                also = (
                    ", also found by the reference at order"
                    if any(same_points(c, base) for c in ref.get(j, []))
                    else ", which the reference missed at order"
                )
                why = f"least period {j}: a {j}-cycle traversed {k // j} times{also} {j}; {where} {j}"
            else:
                cond = condition(model, cyc)
                why = (
                    f"cond(I - P) = {cond:.2g} > 1e12, rejected by bifwatch"
                    if cond > 1e12
                    else "missed by bifwatch"
                )
            notes.append(f"order {k}: reference only, z1 = {np.round(cyc[0], 3).tolist()} ({why})")
        for i, cyc in enumerate(mine):
            if not matched[i]:
                j = least_period(model, cyc[0], k)
                ok = "verified: least period k" if j == k else f"least period check gave {j}"
                notes.append(
                    f"order {k}: bifwatch only, z1 = {np.round(cyc[0], 3).tolist()} "
                    f"(missed by the reference; {ok})"
                )
    return notes, common


def part1(args, tmp: Path) -> dict:
    seeds = E2E_SEEDS_QUICK if args.quick else E2E_SEEDS
    repeats = args.repeats or (3 if args.quick else 5)
    ref_repeats = args.ref_repeats or 1
    bif_cmd = bifwatch_command()
    print(f"\n== Part 1: end to end, all cycles up to order {E2E_MAX_ORDER} of random 10-D PLRNNs ==")
    print(
        f"  bifwatch:  {' '.join(bif_cmd)} cycles MODEL.npz --max-order {E2E_MAX_ORDER} --json OUT"
        f"   (median of {repeats})"
    )
    print(
        f"  reference: {sys.executable} {REFERENCE.relative_to(HERE.parent)} MODEL.npz {E2E_MAX_ORDER} "
        f"--outer {REF_OUTER} --inner {REF_INNER}   (median of {ref_repeats})"
    )
    rows = []
    for seed in seeds:
        model = random_plrnn(10, seed)
        path = tmp / f"plrnn10_seed{seed}.npz"
        bifwatch.save_model(model, path)
        bif_json, ref_json = tmp / f"bif{seed}.json", tmp / f"ref{seed}.json"
        cmd_b = [*bif_cmd, "cycles", str(path), "--max-order", str(E2E_MAX_ORDER), "--json", str(bif_json)]
        cmd_r = [
            sys.executable,
            str(REFERENCE),
            str(path),
            str(E2E_MAX_ORDER),
            "--outer",
            str(REF_OUTER),
            "--inner",
            str(REF_INNER),
            "--json",
            str(ref_json),
        ]
        bif_t, ref_t = [], []
        for r in range(max(repeats, ref_repeats)):  # interleaved, so both see the same load
            if r < repeats:
                bif_t.append(run_timed(cmd_b)[:2])
            if r < ref_repeats:
                ref_t.append(run_timed(cmd_r)[:2])
        bif_data = json.loads(bif_json.read_text())
        ref_data = json.loads(ref_json.read_text())
        bif = {}
        for c in bif_data["cycles"]:
            bif.setdefault(c["order"], []).append(np.array(c["points"]))
        ref = {o["order"]: [np.array(c) for c in o["cycles"]] for o in ref_data["orders"]}
        notes, common = compare_cycles(model, bif, ref, E2E_MAX_ORDER)
        row = {
            "seed": seed,
            "bif_counts": [len(bif.get(k, [])) for k in range(1, E2E_MAX_ORDER + 1)],
            "ref_counts": [len(ref.get(k, [])) for k in range(1, E2E_MAX_ORDER + 1)],
            "bif_wall": median(t[0] for t in bif_t),
            "bif_cpu": median(t[1] for t in bif_t),
            "ref_wall": median(t[0] for t in ref_t),
            "ref_cpu": median(t[1] for t in ref_t),
            "bif_solves": sum(s["solves"] for s in bif_data["search"]),
            "bif_methods": "/".join(s["method"][0] for s in bif_data["search"]),
            "ref_solves": sum(o["solves"] for o in ref_data["orders"]),
            "common": common,
            "notes": notes,
        }
        row["ratio"] = row["ref_wall"] / row["bif_wall"]
        row["cpu_ratio"] = row["ref_cpu"] / row["bif_cpu"]
        rows.append(row)
        print(
            f"  seed {seed}: bifwatch {fmt_s(row['bif_wall'])} s, reference {fmt_s(row['ref_wall'])} s, "
            f"ratio {fmt_ratio(row['ratio'])}; cycles per order bifwatch {row['bif_counts']}, "
            f"reference {row['ref_counts']}",
            flush=True,
        )
    header = [
        "model seed",
        "cycles k=1..4 (bifwatch)",
        "(reference)",
        "same",
        "bifwatch s",
        "reference s",
        "wall ratio",
        "CPU ratio",
        "solves bifwatch",
        "solves reference",
    ]
    table = [
        [
            r["seed"],
            r["bif_counts"],
            r["ref_counts"],
            r["common"],
            fmt_s(r["bif_wall"]),
            fmt_s(r["ref_wall"]),
            fmt_ratio(r["ratio"]),
            fmt_ratio(r["cpu_ratio"]),
            r["bif_solves"],
            r["ref_solves"],
        ]
        for r in rows
    ]
    total_ref = sum(r["ref_wall"] for r in rows)
    total_bif = sum(r["bif_wall"] for r in rows)
    summary = {
        "total_ratio": total_ref / total_bif,
        "geomean_ratio": float(np.exp(np.mean([np.log(r["ratio"]) for r in rows]))),
        "min_ratio": min(r["ratio"] for r in rows),
        "total_bif": total_bif,
        "total_ref": total_ref,
        "n_diff": sum(len(r["notes"]) for r in rows),
    }
    print()
    print_table(header, table)
    print(
        f"  total: reference {fmt_s(total_ref)} s / bifwatch {fmt_s(total_bif)} s = "
        f"{fmt_ratio(summary['total_ratio'])} (geometric mean {fmt_ratio(summary['geomean_ratio'])}, "
        f"smallest {fmt_ratio(summary['min_ratio'])})"
    )
    print(
        "  cycle sets: "
        + ("identical for every model" if not summary["n_diff"] else f"{summary['n_diff']} difference(s):")
    )
    for r in rows:
        for note in r["notes"]:
            print(f"    seed {r['seed']}, {note}")
    return {
        "rows": rows,
        "header": header,
        "table": table,
        "summary": summary,
        "repeats": repeats,
        "ref_repeats": ref_repeats,
        "bif_cmd": " ".join(bif_cmd),
    }


# ---------------------------------------------------------------------------------------------
# part 2: cost per candidate


def floor_solve(A: np.ndarray, W: np.ndarray, h: np.ndarray, sequences: np.ndarray) -> np.ndarray:
    """The batched work of a candidate, written directly: J_j = A + W diag(d_j), P and q by one
    left-to-right pass of k batched matmuls, one batched solve of (I - P) z = q."""
    J = W * sequences[..., None, :].astype(np.float64)
    J += A
    P, q = J[:, 0], np.broadcast_to(h, (len(sequences), len(h)))
    for j in range(1, sequences.shape[1]):
        P = J[:, j] @ P
        q = (J[:, j] @ q[..., None])[..., 0] + h
    return np.linalg.solve(np.eye(len(h)) - P, q[..., None])[..., 0]


def floor_with_check(A, W, h, sequences) -> np.ndarray:
    """The floor plus the self-consistency check (k - 1 map steps and the pattern comparison)."""
    z = floor_solve(A, W, h, sequences)
    x, ok = z, (z > 0) == sequences[:, 0]
    for j in range(1, sequences.shape[1]):
        x = x @ A.T + np.maximum(x, 0.0) @ W.T + h
        ok &= (x > 0) == sequences[:, j]
    return ok.all(axis=1)


def per_candidate(model: PLRNN, k: int, batch: int, repeats: int, seed: int = 7) -> dict:
    A = np.diag(model.A) if model.A.ndim == 1 else model.A
    sequences = np.random.default_rng(seed).random((batch, k, model.M)) < 0.5
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        found = solve_sequences(model, sequences)
        z = floor_solve(A, model.W, model.h, sequences)
        assert np.allclose(found.z1[found.solved], z[found.solved], rtol=1e-8, atol=1e-8)
        # interleave the three measurements so that they see the same background load
        times = {"bifwatch": [], "floor": [], "floor+check": []}
        calls = {
            "bifwatch": lambda: solve_sequences(model, sequences),
            "floor": lambda: floor_solve(A, model.W, model.h, sequences),
            "floor+check": lambda: floor_with_check(A, model.W, model.h, sequences),
        }
        for fn in calls.values():
            fn()
        for _ in range(repeats):
            for name, fn in calls.items():
                started = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - started)
    return {name: median(t) / batch for name, t in times.items()}


def reference_per_candidate(model: PLRNN, k: int, n: int, seed: int = 7) -> float:
    sys.path.insert(0, str(HERE))
    from reference_scyfi import ReferenceSCYFI

    search = ReferenceSCYFI(np.diag(model.A), model.W, model.h, outer=0, inner=0, seed=seed)
    sequences = [search.random_sequence(k) for _ in range(n)]
    return time_call(lambda: [search.candidate(s) for s in sequences], 3) / n


BLAS_PROBE = """
import time, numpy as np, sys
sys.path.insert(0, {here!r})
from bench_cycles import random_plrnn
from bifwatch.search._linear import solve_sequences
m = random_plrnn({M}, 0, 1.0)
s = np.random.default_rng(1).random(({B}, {k}, {M})) < 0.5
solve_sequences(m, s)
t = []
for _ in range(5):
    t0 = time.perf_counter(); solve_sequences(m, s); t.append(time.perf_counter() - t0)
print(sorted(t)[2] / {B})
"""


def blas_probe(M: int, k: int, batch: int) -> dict:
    """Per-candidate cost of solve_sequences at a larger M with 1 BLAS thread and with the default."""
    out = {}
    code = BLAS_PROBE.format(here=str(HERE), M=M, k=k, B=batch)
    for label in ("1 thread", "default"):
        env = {key: value for key, value in os.environ.items() if key not in BLAS_VARS}
        if label == "1 thread":
            env.update(dict.fromkeys(BLAS_VARS, "1"))
        proc = subprocess.run(
            [sys.executable, "-c", code, "--blas-default"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        out[label] = float(proc.stdout.strip())
    return out


def part2(args) -> dict:
    repeats = 15 if args.quick else 41
    model = random_plrnn(CAND_M, E2E_SEEDS[0])
    print(
        f"\n== Part 2: cost per candidate, M = {CAND_M}, k = {CAND_K}, batch of {CAND_BATCH} random "
        f"region sequences (median of {repeats}) =="
    )
    costs = per_candidate(model, CAND_K, CAND_BATCH, repeats)
    ref = reference_per_candidate(model, CAND_K, 300 if args.quick else 2000)
    ratio = costs["bifwatch"] / costs["floor"]
    rows = [
        [
            "bifwatch solve_sequences (solve + self-consistency check)",
            f"{costs['bifwatch'] * 1e6:.2f}",
            f"{ratio:.2f}",
        ],
        ["floor: Jacobians, k batched matmuls, one batched solve", f"{costs['floor'] * 1e6:.2f}", "1.00"],
        [
            "floor + self-consistency check (k - 1 map steps)",
            f"{costs['floor+check'] * 1e6:.2f}",
            f"{costs['floor+check'] / costs['floor']:.2f}",
        ],
        [
            "reference, one candidate at a time (solve only)",
            f"{ref * 1e6:.2f}",
            f"{ref / costs['floor']:.1f}",
        ],
    ]
    print_table(["", "us / candidate", "x floor"], rows)
    probe = None
    if not args.quick:
        probe_M, probe_k, probe_B = 100, 1, 200
        probe = blas_probe(probe_M, probe_k, probe_B)
        probe.update(M=probe_M, k=probe_k, batch=probe_B)
        print(
            f"  BLAS threads, M = {probe_M}, k = {probe_k}, batch {probe_B}: solve_sequences "
            f"{probe['1 thread'] * 1e6:.0f} us / candidate with 1 thread, "
            f"{probe['default'] * 1e6:.0f} us with OpenBLAS's default threads "
            f"({probe['default'] / probe['1 thread']:.1f}x)"
        )
    print(f"  bifwatch / floor = {ratio:.2f} (target <= 2)")
    return {
        "costs": costs,
        "reference": ref,
        "ratio": ratio,
        "rows": rows,
        "repeats": repeats,
        "probe": probe,
    }


# ---------------------------------------------------------------------------------------------
# part 3: scaling


def order_row(label: dict, stats_list: list) -> dict:
    solves = sum(s.solves for s in stats_list)
    cycles = sum(s.n_cycles for s in stats_list)
    seconds = median(s.seconds for s in stats_list)
    methods = sorted({s.method for s in stats_list})
    return {
        **label,
        "models": len(stats_list),
        "method": "/".join(methods),
        "seconds": seconds,
        "solves": solves / len(stats_list),
        "cycles": cycles / len(stats_list),
        "us_per_solve": 1e6 * sum(s.seconds for s in stats_list) / max(solves, 1),
        "solves_per_cycle": solves / cycles if cycles else float("inf"),
        "capped": sum("max_solves" in s.message for s in stats_list),
    }


def part3(args) -> dict:
    n_models = 1 if args.quick else 2
    dims = SWEEP_M_QUICK if args.quick else SWEEP_M
    orders = SWEEP_K_QUICK if args.quick else SWEEP_K
    finder = SCYFI(patience=SWEEP_PATIENCE, max_solves=SWEEP_MAX_SOLVES)
    print(
        f"\n== Part 3a: scaling in M (k = 1, 2), random PLRNNs with W gain {SWEEP_GAIN}, "
        f"SCYFI(patience={SWEEP_PATIENCE}, max_solves={SWEEP_MAX_SOLVES}), {n_models} model(s) per M =="
    )
    by_m = []
    for M in dims:
        results = [
            find_cycles(random_plrnn(M, 1000 * M + i, SWEEP_GAIN), orders=[1, 2], finder=finder, seed=0)
            for i in range(n_models)
        ]
        for j, k in enumerate((1, 2)):
            by_m.append(order_row({"M": M, "k": k}, [r.stats[j] for r in results]))
            row = by_m[-1]
            print(
                f"  M = {M:3d}, k = {k}: {fmt_s(row['seconds'])} s per order, {row['solves']:.0f} solves, "
                f"{row['cycles']:.1f} cycles, {row['us_per_solve']:.1f} us per solve",
                flush=True,
            )
    print(
        f"\n== Part 3b: scaling in k (M = 2), default find_cycles(model, orders=[k]) on 2-D PLRNNs "
        f"with a stable k-cycle, {n_models} model(s) per k =="
    )
    by_k = []
    for k in orders:
        stats_list, hits = [], 0
        for batch, index in K_MODELS[k][:n_models]:
            model = model_2d(batch, index)
            attractor = stable_cycle(model, k)
            if attractor is None:
                print(f"  k = {k}: model_2d({batch}, {index}) no longer ends on a {k}-cycle; skipped")
                continue
            result = find_cycles(model, orders=[k], seed=0)
            stats_list.append(result.stats[0])
            hits += any(same_points(c.points, attractor) for c in result.cycles)
        if not stats_list:
            continue
        by_k.append({**order_row({"M": 2, "k": k}, stats_list), "attractor": f"{hits}/{len(stats_list)}"})
        row = by_k[-1]
        print(
            f"  k = {k:2d}: {row['method']:<10} {fmt_s(row['seconds'])} s per order, "
            f"{row['solves']:.0f} solves, {row['cycles']:.1f} cycles, attractor found in {row['attractor']}",
            flush=True,
        )
    header = ["M", "k", "method", "s per order", "solves", "cycles", "solves per cycle", "us per solve"]

    def table(rows):
        out = []
        for r in rows:
            cells = [
                r["M"],
                r["k"],
                r["method"],
                fmt_s(r["seconds"]),
                f"{r['solves']:.0f}",
                f"{r['cycles']:.1f}" if n_models > 1 else f"{r['cycles']:.0f}",
                f"{r['solves_per_cycle']:.0f}" if np.isfinite(r["solves_per_cycle"]) else "- (none)",
                f"{r['us_per_solve']:.1f}",
            ]
            if "attractor" in r:
                cells.append(r["attractor"])
            if r["capped"]:
                cells[4] += f" ({r['capped']} capped)"
            out.append(cells)
        return out

    header_k = [*header, "attractor found"]
    print()
    print_table(header, table(by_m))
    print()
    print_table(header_k, table(by_k))
    return {
        "by_m": by_m,
        "by_k": by_k,
        "header": header,
        "header_k": header_k,
        "table_m": table(by_m),
        "table_k": table(by_k),
        "n_models": n_models,
    }


def plot_scaling(p3: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    empty = []
    for k, marker, color in ((1, "o", "C0"), (2, "s", "C1")):
        rows = [r for r in p3["by_m"] if r["k"] == k]
        Ms = [r["M"] for r in rows]
        style = {"marker": marker, "color": color}
        axes[0, 0].loglog(Ms, [r["seconds"] for r in rows], **style, label=f"k = {k}, per order")
        axes[0, 0].loglog(
            Ms, [r["us_per_solve"] * 1e-6 for r in rows], **style, ls=":", label=f"k = {k}, per solve"
        )
        finite = [r for r in rows if np.isfinite(r["solves_per_cycle"])]
        if finite:
            axes[1, 0].loglog(
                [r["M"] for r in finite], [r["solves_per_cycle"] for r in finite], **style, label=f"k = {k}"
            )
        if len(finite) < len(rows):
            empty.append(
                f"k = {k}: no cycle found at M = "
                + ", ".join(str(r["M"]) for r in rows if not np.isfinite(r["solves_per_cycle"]))
            )
    if empty:
        axes[1, 0].text(
            0.98, 0.03, "\n".join(empty), transform=axes[1, 0].transAxes, fontsize=8, ha="right", va="bottom"
        )
    axes[0, 0].set(xlabel="M", ylabel="seconds", title=f"time per order (M sweep, patience {SWEEP_PATIENCE})")
    axes[1, 0].set(xlabel="M", ylabel="solves per found cycle", title="solves per found cycle (M sweep)")
    rows = p3["by_k"]
    ks = [r["k"] for r in rows]
    axes[0, 1].semilogy(ks, [r["seconds"] for r in rows], marker="o", label="per order")
    axes[0, 1].semilogy(ks, [r["us_per_solve"] * 1e-6 for r in rows], marker="o", ls=":", label="per solve")
    for r in rows:
        if r["method"] == "exhaustive":
            axes[0, 1].plot(r["k"], r["seconds"], "kx")
    axes[0, 1].set(
        xlabel="k", ylabel="seconds", title="time per order (M = 2, default settings; x: exhaustive)"
    )
    finite = [r for r in rows if np.isfinite(r["solves_per_cycle"])]
    axes[1, 1].semilogy([r["k"] for r in finite], [r["solves_per_cycle"] for r in finite], marker="o")
    axes[1, 1].set(xlabel="k", ylabel="solves per found cycle", title="solves per found cycle (M = 2)")
    for ax in axes.ravel():
        ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    axes[1, 0].legend(fontsize=8)
    axes[0, 1].legend(fontsize=8)
    fig.suptitle(f"bifwatch find_cycles scaling ({DATE}, {cpu_model()}, {os.cpu_count()} cores)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# report


def write_markdown(path: Path, info: dict, p1: dict | None, p2: dict | None, p3: dict | None) -> None:
    out = [
        "# Cycle-search speed benchmark",
        "",
        f"- Date: {info['date']}",
        f"- Machine: {info['cpu']}, {info['cores']} cores (shared with other work: timings are noisy; "
        "medians over repeats)",
        f"- Python {info['python']}, numpy {info['numpy']}, bifwatch {info['bifwatch']} (git {info['git']})",
        f"- BLAS threads: {info['blas']}",
        f"- Command: `{info['command']}` (total {info['runtime']:.0f} s)",
        "",
    ]
    if p1 is not None:
        s = p1["summary"]
        out += [
            "## 1. End to end: all cycles up to order 4 of random 10-D PLRNNs",
            "",
            "Models: `A = diag(U(-0.9, 0.9))`, `W = 2 N(0, 1) / sqrt(10)` with zero diagonal, "
            "`h = 0.5 N(0, 1)`, `numpy.random.default_rng(seed)`; seeds with cycles at several orders. "
            "bifwatch: `bifwatch cycles MODEL.npz --max-order 4 --json OUT` "
            f"(median of {p1['repeats']} runs); "
            f"reference: `python benchmarks/reference_scyfi.py MODEL.npz 4` (outer {REF_OUTER}, inner "
            f"{REF_INNER}; median of {p1['ref_repeats']}). Both are whole processes, interpreter start-up "
            'included. "same" counts cycles found by both (same points within 1e-6, any phase).',
            "",
            markdown_table(p1["header"], p1["table"]),
            "",
            f"**Total: {fmt_ratio(s['total_ratio'])} faster** (reference {fmt_s(s['total_ref'])} s, bifwatch "
            f"{fmt_s(s['total_bif'])} s; geometric mean of the per-model ratios "
            f"{fmt_ratio(s['geomean_ratio'])}, "
            f"smallest {fmt_ratio(s['min_ratio'])}). Target: >= 10x.",
            "",
        ]
        if s["n_diff"]:
            out += ["Differences between the cycle sets:", ""]
            out += [f"- seed {r['seed']}, {note}" for r in p1["rows"] for note in r["notes"]]
            out.append("")
        else:
            out += ["The cycle sets are identical for every model.", ""]
    if p2 is not None:
        out += [
            f"## 2. Cost per candidate (M = {CAND_M}, k = {CAND_K}, batch of {CAND_BATCH})",
            "",
            markdown_table(["", "us / candidate", "x floor"], p2["rows"]),
            "",
            f"bifwatch / floor = **{p2['ratio']:.2f}** (target <= 2). The floor omits the self-consistency "
            "check, which bifwatch must also do; the third row adds it.",
            "",
        ]
        if p2["probe"]:
            pr = p2["probe"]
            out += [
                f"BLAS threads at M = {pr['M']}, k = {pr['k']}, batch {pr['batch']}: `solve_sequences` costs "
                f"{pr['1 thread'] * 1e6:.0f} us per candidate with one BLAS thread and "
                f"{pr['default'] * 1e6:.0f} us with OpenBLAS's default threading "
                f"({pr['default'] / pr['1 thread']:.1f}x) on this shared 2-core machine.",
                "",
            ]
    if p3 is not None:
        out += [
            "## 3. Scaling",
            "",
            f"### Dimension M (k = 1, 2; {p3['n_models']} model(s) per M)",
            "",
            f"Random PLRNNs as in part 1 but with `W = {SWEEP_GAIN} N(0, 1) / sqrt(M)` (seed 1000 M + i), "
            "searched "
            f"with `SCYFI(patience={SWEEP_PATIENCE}, max_solves={SWEEP_MAX_SOLVES})` at every M, to isolate "
            "how the cost of a solve and the length of chains grow with M (the default patience, "
            "100 + 20 M k, is up to 41 times larger; see benchmarks/README.md). "
            "Times, solves and cycles are per order (median time, mean counts over the models); "
            '"solves per cycle" is all solves of the order divided by the cycles found, so it includes '
            "the fruitless chains that end the search.",
            "",
            markdown_table(p3["header"], p3["table_m"]),
            "",
            f"### Order k (M = 2; {p3['n_models']} model(s) per k)",
            "",
            "2-D PLRNNs with a full A (`A = rho R(theta) + U(-0.1, 0.1)`, theta ~ U(2 pi / 90, pi), "
            "rho ~ U(0.9, 1.05), "
            "`W ~ U(-0.5, 0.5)`, `h ~ N(0, 1)`), the first seeded draws whose orbit from (0.5, 0.5) "
            "converges to a stable k-cycle; default `find_cycles(model, orders=[k])` (exhaustive where "
            "cheaper, else SCYFI with default budgets).",
            "",
            markdown_table(p3["header_k"], p3["table_k"]),
            "",
            "![scaling](scaling.png)",
            "",
        ]
    path.write_text("\n".join(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: fewer models and repeats")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run (default 1,2,3)")
    parser.add_argument("--repeats", type=int, help="bifwatch CLI runs per model (default 5; quick 3)")
    parser.add_argument("--ref-repeats", type=int, help="reference runs per model (default 1)")
    parser.add_argument("--write", action="store_true", help="write results/ (default in full mode)")
    parser.add_argument("--no-write", action="store_true", help="do not write results/")
    parser.add_argument("--blas-default", action="store_true", help="do not pin BLAS to one thread")
    parser.add_argument("--screen", action="store_true", help="only redo the screen behind K_MODELS")
    args = parser.parse_args(argv)
    if args.screen:
        print(screen_2d(SWEEP_K))
        return 0
    parts = {int(p) for p in args.parts.split(",")}
    write = (args.write or not args.quick) and not args.no_write and parts == {1, 2, 3}
    started = time.perf_counter()
    info = {
        "date": DATE,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "bifwatch": bifwatch.__version__,
        "git": git_revision(),
        "blas": "library default"
        if args.blas_default
        else ", ".join(f"{v}={os.environ.get(v)}" for v in BLAS_VARS),
        "command": "python benchmarks/bench_cycles.py"
        + (" " + " ".join(argv if argv is not None else sys.argv[1:]) if (argv or sys.argv[1:]) else ""),
    }
    print(
        f"bifwatch cycle-search benchmark, {info['date']}: {info['cpu']}, {info['cores']} cores, "
        f"Python {info['python']}, numpy {info['numpy']}, git {info['git']}, BLAS {info['blas']}"
    )
    p1 = p2 = p3 = None
    with tempfile.TemporaryDirectory(prefix="bifwatch-bench-") as tmp:
        if 1 in parts:
            p1 = part1(args, Path(tmp))
        if 2 in parts:
            p2 = part2(args)
        if 3 in parts:
            p3 = part3(args)
    info["runtime"] = time.perf_counter() - started

    print("\n== Summary ==")
    if p1:
        s = p1["summary"]
        met = "met" if s["total_ratio"] >= 10 else "NOT met"
        print(
            f"  1. end to end (orders 1-{E2E_MAX_ORDER}, M = 10): bifwatch "
            f"{fmt_ratio(s['total_ratio'])} faster than the reference in total (per model "
            f"{fmt_ratio(s['min_ratio'])} or more); target >= 10x {met}. Cycle sets: "
            + ("identical." if not s["n_diff"] else f"{s['n_diff']} difference(s), see above.")
        )
    if p2:
        met = "met" if p2["ratio"] <= 2 else "NOT met"
        print(
            f"  2. per candidate (M = {CAND_M}, k = {CAND_K}): bifwatch "
            f"{p2['costs']['bifwatch'] * 1e6:.2f} us, "
            f"floor {p2['costs']['floor'] * 1e6:.2f} us, ratio {p2['ratio']:.2f}; target <= 2x {met}."
        )
    if p3:
        big = [r for r in p3["by_m"] if r["M"] == max(x["M"] for x in p3["by_m"])]
        longest = p3["by_k"][-1] if p3["by_k"] else None
        text = ", ".join(f"k = {r['k']}: {fmt_s(r['seconds'])} s" for r in big)
        print(
            f"  3. scaling: M = {big[0]['M']} per order {text}"
            + (
                f"; k = {longest['k']} (M = 2) {fmt_s(longest['seconds'])} s per order, "
                f"{longest['solves_per_cycle']:.0f} solves per found cycle"
                if longest
                else ""
            )
        )
    print(f"  total benchmark time {info['runtime']:.0f} s")
    if write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        plot_scaling(p3, RESULTS / "scaling.png")
        write_markdown(RESULTS / "cycles.md", info, p1, p2, p3)
        print(f"  wrote {RESULTS / 'cycles.md'} and {RESULTS / 'scaling.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
