"""Search for 2-D vanilla PLRNNs with a long stable cycle: the fixtures ``example:cycleNN``.

The model is z' = A z + W relu(z) + h with a full 2x2 A. Random models are drawn in seeded
batches (A a rotation by a small angle with spectral radius near 1, plus noise; W moderate;
h ~ N(0, 1)), simulated from the fixed start ``START`` for ``TRANSIENT`` steps, and the least
period of the tail is detected with a relative tolerance. A model whose attractor from
``START`` is a strongly attracting cycle of least period inside one of ``BANDS`` (and whose
points keep a distance from the switching lines z_i = 0) becomes a candidate, and is kept
when bifwatch confirms it:

1. ``find_cycles(model, orders=[k], seed=0)`` with default settings finds a stable k-cycle
   with the simulated cycle's points (if it does not, the miss is logged and larger
   ``SCYFI(patience=...)`` budgets are tried, for the report; the candidate is not kept);
2. searches with 10x the default patience and other seeds find the same set of k-cycles (so
   the count the tests assert is not an artefact of one budget);
3. the searches at orders k-1 and k-2 report no cycle through the attractor.

The first confirmed candidate of each band (in draw order) is kept. Deterministic: the
batch b of a run with ``--seed s`` uses ``numpy.random.default_rng([s, b])``.

Usage (from the repository root)::

    python benchmarks/make_long_cycle_fixtures.py            # search and report
    python benchmarks/make_long_cycle_fixtures.py --write    # also write src/bifwatch/data/cycleNN.npz

A summary goes to benchmarks/results/long_cycle_fixtures.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import bifwatch
from bifwatch import PLRNN, SCYFI, find_cycles

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "bifwatch" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "long_cycle_fixtures.json"

#: Every fixture's attractor is reached from this start (tests/test_long_cycles.py uses it).
START = np.array([0.5, 0.5])
#: Steps before the tail is examined (the tests simulate the same number).
TRANSIENT = 4000
#: Tail length for period detection; periods up to MAX_PERIOD are detected.
TAIL = 240
MAX_PERIOD = 100
#: Relative tolerance of the period test: |z_{t+p} - z_t| <= PERIOD_TOL (1 + max |z|).
PERIOD_TOL = 1e-9
#: Least-period bands; one fixture per band.
BANDS = ((20, 29), (30, 39), (40, 50), (55, 65), (70, 80))
#: Quality filters: spectral radius of the monodromy matrix, and distance to z_i = 0.
MAX_RHO = 0.5
MIN_MARGIN = 0.02
#: Distinct points of a detected cycle are at least this far apart (relative).
MIN_POINT_GAP = 1e-6
BATCH = 2000
MAX_BATCHES = 40


def draw(
    rng: np.random.Generator, n: int, theta_max: float = 2 * np.pi / 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random 2-D PLRNNs with a full A: A = rho R(theta) + U(-0.1, 0.1) with
    theta ~ U(2 pi / 90, theta_max) and rho ~ U(0.9, 1.05); W ~ U(-0.5, 0.5), h ~ N(0, 1)."""
    theta = rng.uniform(2 * np.pi / 90, theta_max, n)
    rho = rng.uniform(0.9, 1.05, n)
    c, s = np.cos(theta), np.sin(theta)
    R = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    A = rho[:, None, None] * R + rng.uniform(-0.1, 0.1, (n, 2, 2))
    W = rng.uniform(-0.5, 0.5, (n, 2, 2))
    h = rng.normal(size=(n, 2))
    return A, W, h


def _step(A, W, h, z):
    r = np.maximum(z, 0.0)
    return np.einsum("nij,nj->ni", A, z) + np.einsum("nij,nj->ni", W, r) + h


def batch_periods(A, W, h) -> tuple[np.ndarray, np.ndarray]:
    """Least period of each model's attractor from START (0: none <= MAX_PERIOD), and tails."""
    n = len(A)
    z = np.broadcast_to(START, (n, 2)).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(TRANSIENT):
            z = _step(A, W, h, z)
            z[~(np.abs(z) < 1e6).all(axis=1)] = np.nan
        tail = np.empty((TAIL, n, 2))
        for t in range(TAIL):
            z = _step(A, W, h, z)
            tail[t] = z
    finite = np.isfinite(tail).all(axis=(0, 2))
    scale = 1.0 + np.abs(np.where(np.isfinite(tail), tail, 0.0)).max(axis=(0, 2))
    period = np.zeros(n, dtype=int)
    for p in range(1, MAX_PERIOD + 1):
        gap = np.abs(tail[p:] - tail[:-p]).max(axis=(0, 2))
        hit = finite & (period == 0) & (gap <= PERIOD_TOL * scale)
        period[hit] = p
    # A slowly converging focus (rotating by about 2 pi / p per step) can pass the test at p
    # before it passes at 1: a true p-cycle has p distinct points.
    for i in np.flatnonzero(period > 1):
        points = tail[-period[i] :, i]
        gaps = np.abs(points[:, None] - points[None]).max(axis=2)
        np.fill_diagonal(gaps, np.inf)
        if gaps.min() <= MIN_POINT_GAP * scale[i]:
            period[i] = 0
    return period, tail


def attractor(model: PLRNN, start=START, transient: int = TRANSIENT, k: int | None = None) -> np.ndarray:
    """The last k points of the orbit of ``start`` after ``transient`` steps (model.trajectory)."""
    orbit = model.trajectory(start, transient + k)
    return orbit[-k:]


def monodromy(model: PLRNN, points: np.ndarray) -> np.ndarray:
    J, _ = model.affine_map(model.region(points))
    P = np.eye(model.M)
    for Jj in J:
        P = Jj @ P
    return P


def coincide(a: np.ndarray, b: np.ndarray, atol: float = 1e-8) -> bool:
    """Same point sets (any phase) within ``atol * (1 + max |z|)``."""
    if a.shape != b.shape:
        return False
    scale = atol * (1.0 + max(np.abs(a).max(), np.abs(b).max()))
    gap = np.abs(a[:, None, :] - b[None, :, :]).max(axis=2)
    return bool(gap.min(axis=1).max() <= scale and gap.min(axis=0).max() <= scale)


def touches(cycle_points: np.ndarray, orbit: np.ndarray, atol: float = 1e-6) -> bool:
    """Whether any point of ``cycle_points`` lies within ``atol (1 + |z|)`` of ``orbit``."""
    scale = atol * (1.0 + np.abs(orbit).max())
    gap = np.abs(cycle_points[:, None, :] - orbit[None, :, :]).max(axis=2)
    return bool(gap.min() <= scale)


def default_patience(model: PLRNN, k: int) -> int:
    """The patience a default ``find_cycles`` uses at order k."""
    return SCYFI().budget(model.M, k, bifwatch.region_pool(model).size)[0]


def describe(result) -> list[dict]:
    return [
        {
            "order": c.order,
            "stable": c.stable,
            "classification": c.classification,
            "rho": c.spectral_radius,
            "residual": c.residual,
            "condition": c.condition,
        }
        for c in result.cycles
    ]


def confirm(model: PLRNN, k: int, orbit: np.ndarray, log) -> dict | None:
    """Run the bifwatch checks on a candidate; a summary dict when all pass, else None."""
    started = time.perf_counter()
    result = find_cycles(model, orders=[k], seed=0)
    seconds = time.perf_counter() - started
    stats = result.stats[0]
    matches = [c for c in result.cycles if coincide(c.points, orbit)]
    info = {
        "order": k,
        "find_seconds": round(seconds, 3),
        "n_cycles": len(result.cycles),
        "n_stable": sum(c.stable for c in result.cycles),
        "cycles": describe(result),
        "solves": stats.solves,
        "chains": stats.chains,
        "method": stats.method,
        "rejected": dict(stats.rejected),
    }
    if len(matches) != 1 or not matches[0].stable:
        log(
            f"  MISS: default find_cycles(orders=[{k}], seed=0) did not find the simulated stable "
            f"{k}-cycle; found {info['cycles']} in {seconds:.2f}s ({stats.solves} solves)"
        )
        log(f"  model: A={model.A.tolist()} W={model.W.tolist()} h={model.h.tolist()}")
        for factor in (3, 10, 30):
            patience = factor * default_patience(model, k)
            bigger = find_cycles(model, orders=[k], seed=0, finder=SCYFI(patience=patience))
            hit = any(coincide(c.points, orbit) for c in bigger.cycles)
            log(f"  patience {patience}: {len(bigger.cycles)} cycles, attractor found: {hit}")
            if hit:
                break
        return None
    cycle = matches[0]
    # Least period k, F^k = id, multipliers from the Jacobian product, margin from the lines.
    assert np.abs(model.trajectory(cycle.points[0], k)[-1] - cycle.points[0]).max() < 1e-9
    gaps = np.abs(orbit[:, None] - orbit[None]).max(axis=2) + np.eye(k)
    info["min_point_gap"] = float(gaps.min())
    info["stable_rho"] = cycle.spectral_radius
    info["margin"] = float(np.abs(orbit).min())

    # The count does not depend on the budget or the seed.
    for seed in (1, 2):
        patience = 10 * default_patience(model, k)
        bigger = find_cycles(model, orders=[k], seed=seed, finder=SCYFI(patience=patience))
        same = len(bigger.cycles) == len(result.cycles) and all(
            any(bifwatch.same_cycle(a, b) for b in bigger.cycles) for a in result.cycles
        )
        if not same:
            log(f"  patience {patience}, seed {seed}: found {describe(bigger)} (defaults: {info['cycles']})")
            return None

    started = time.perf_counter()
    lower = find_cycles(model, orders=[k - 2, k - 1], seed=0)
    info["lower_seconds"] = round(time.perf_counter() - started, 3)
    info["lower_cycles"] = describe(lower)
    if any(touches(c.points, orbit) for c in lower.cycles):
        log(f"  a cycle of order {k - 2} or {k - 1} passes through the attractor")
        return None
    return info


def search(seed: int, log) -> list[tuple[PLRNN, dict]]:
    kept: dict[tuple[int, int], tuple[PLRNN, dict]] = {}
    for b in range(MAX_BATCHES):
        if len(kept) == len(BANDS):
            break
        rng = np.random.default_rng([seed, b])
        A, W, h = draw(rng, BATCH)
        period, _ = batch_periods(A, W, h)
        log(f"batch {b}: periods 20..80 in {np.count_nonzero((period >= 20) & (period <= 80))} models")
        for i in np.flatnonzero(period > 0):
            k = int(period[i])
            band = next((bd for bd in BANDS if bd[0] <= k <= bd[1]), None)
            if band is None or band in kept:
                continue
            model = PLRNN(A=A[i], W=W[i], h=h[i])
            orbit = attractor(model, k=k)
            rho = float(np.abs(np.linalg.eigvals(monodromy(model, orbit))).max())
            margin = float(np.abs(orbit).min())
            if rho > MAX_RHO or margin < MIN_MARGIN:
                continue
            log(f" candidate batch {b} model {i}: k={k} rho={rho:.3g} margin={margin:.3g}")
            info = confirm(model, k, orbit, log)
            if info is None:
                continue
            starts = np.random.default_rng([seed, b, int(i)]).normal(size=(8, 2))
            info["basin"] = sum(
                bool(np.isfinite(end := attractor(model, s, k=k)).all()) and coincide(end, orbit, 1e-6)
                for s in starts
            )
            info.update(batch=b, index=int(i), A=model.A.tolist(), W=model.W.tolist(), h=model.h.tolist())
            log(
                f"  kept: {info['n_cycles']} cycles ({info['n_stable']} stable) at order {k}, "
                f"find_cycles {info['find_seconds']}s, lower orders {info['lower_cycles']}"
            )
            kept[band] = (model, info)
    return [kept[b] for b in BANDS if b in kept]


def audit(seed: int, n: int, log) -> dict:
    """Default ``find_cycles`` on the first ``n`` simulated cycles of least period 20..80 (no
    quality filter): how often does it miss the stable cycle, and what budget finds it?"""
    rows = []
    for b in range(MAX_BATCHES):
        rng = np.random.default_rng([seed, b])
        A, W, h = draw(rng, BATCH)
        period, _ = batch_periods(A, W, h)
        for i in np.flatnonzero((period >= 20) & (period <= 80)):
            if len(rows) == n:
                break
            k = int(period[i])
            model = PLRNN(A=A[i], W=W[i], h=h[i])
            orbit = attractor(model, k=k)
            started = time.perf_counter()
            result = find_cycles(model, orders=[k], seed=0)
            seconds = time.perf_counter() - started
            hit = [c for c in result.cycles if coincide(c.points, orbit, 1e-6)]
            row = {
                "batch": b,
                "index": int(i),
                "order": k,
                "found": len(hit) == 1 and hit[0].stable,
                "n_cycles": len(result.cycles),
                "seconds": round(seconds, 3),
                "rho": float(np.abs(np.linalg.eigvals(monodromy(model, orbit))).max()),
                "margin": float(np.abs(orbit).min()),
            }
            if not row["found"]:
                log(
                    f"  MISS batch {b} model {i} order {k}: rho {row['rho']:.3g}, "
                    f"margin {row['margin']:.3g}, found {describe(result)}"
                )
                log(f"  model: A={model.A.tolist()} W={model.W.tolist()} h={model.h.tolist()}")
                for factor in (3, 10, 30):
                    patience = factor * default_patience(model, k)
                    bigger = find_cycles(model, orders=[k], seed=0, finder=SCYFI(patience=patience))
                    found = any(coincide(c.points, orbit, 1e-6) for c in bigger.cycles)
                    log(f"  patience {patience}: {len(bigger.cycles)} cycles, attractor found: {found}")
                    row[f"patience_{patience}"] = found
                    if found:
                        break
            rows.append(row)
        if len(rows) == n:
            break
    misses = sum(not r["found"] for r in rows)
    log(f"audit: default find_cycles missed {misses} of {len(rows)} simulated stable cycles (orders 20..80)")
    return {"n": len(rows), "misses": misses, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="write src/bifwatch/data/cycleNN.npz")
    parser.add_argument(
        "--audit",
        type=int,
        default=0,
        metavar="N",
        help="only check default find_cycles on the first N cycles of order 20..80",
    )
    args = parser.parse_args()
    if args.audit:
        summary = audit(args.seed, args.audit, print)
        path = RESULTS.with_name("long_cycle_audit.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=1))
        return
    fixtures = search(args.seed, print)
    for model, info in fixtures:
        k = info["order"]
        print(
            f"order {k}: {info['n_cycles']} cycles, stable rho {info['stable_rho']:.3g}, "
            f"find_cycles {info['find_seconds']}s, basin {info['basin']}/8"
        )
        if args.write:
            bifwatch.save_model(model, DATA / f"cycle{k}.npz")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"seed": args.seed, "fixtures": [i for _, i in fixtures]}, indent=1))


if __name__ == "__main__":
    main()
