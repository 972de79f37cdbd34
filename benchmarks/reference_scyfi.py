"""The reference SCYFI loop for a vanilla PLRNN, one candidate at a time, in plain numpy.

A faithful port of the original repository's ``scy_fi`` / ``find_cycles``
(DurstewitzLab/SCYFI; Eisenmann et al., NeurIPS 2023), as restated in
shared/notes/cycles-and-bifurcations.md, sections 2.1-2.5. It is the baseline of
``benchmarks/bench_cycles.py`` and deliberately does *not* import bifwatch.

Semantics reproduced:

- orders k = 1..K in sequence, one loop per order;
- outer counter i = -1, ``while i < outer``: i += 1, draw a random region sequence (every bit
  uniform), inner counter c = 0; ``while c < inner``: c += 1, then
  1. solve (I - P) z_1 = q with P = J_k ... J_1, q built by the left-to-right pass
     (P <- J_j P, q <- J_j q + h); an exactly singular system (LU raises) draws a new
     random sequence and continues (the solve still counts against the inner budget);
  2. iterate the true map k - 1 times and take the patterns d(z_j) = 1[z_j > 0] (strict);
  3. if the patterns equal the sequence (a real cycle) and z_1 rounded to 2 decimals is not
     among the rounded points of any lower-order cycle found so far, nor of any cycle already
     found at this order: store the k points and eig(P), and reset both counters (i = 0, c = 0);
  4. if the patterns equal the sequence draw a fresh random sequence, else jump to the
     visited patterns;
- no canonical rotation, no least-period test, no condition-number test (cycles are stored
  in the phase in which they were found);
- budgets default to outer = 100, inner = 500 (the reference README's 10-D example).

The rounded-point membership tests use hash sets of rounded tuples; that is the same exact
equality test as the reference's linear scans (``-0.0 == 0.0`` in both), only faster.

Usage::

    python benchmarks/reference_scyfi.py MODEL.npz K [--outer 100] [--inner 500] [--seed 0] [--json OUT]

MODEL.npz holds arrays A (shape (M,) for a diagonal, or (M, M)), W (M, M) and h (M,), as
written by ``bifwatch.save_model`` for a PLRNN (other arrays such as ``kind`` are ignored).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def load_plrnn(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A as a full matrix, W, h) of a vanilla PLRNN stored in an .npz."""
    with np.load(path, allow_pickle=False) as data:
        if "slope" in data.files:
            raise ValueError("the reference port supports the plain ReLU PLRNN only (no slope)")
        A, W, h = (np.asarray(data[name], dtype=np.float64) for name in ("A", "W", "h"))
    A = np.diag(A) if A.ndim == 1 else A
    return A, W, h


class ReferenceSCYFI:
    """The reference search for z' = A z + W relu(z) + h."""

    def __init__(self, A: np.ndarray, W: np.ndarray, h: np.ndarray, *, outer: int, inner: int, seed: int):
        self.A, self.W, self.h = A, W, h
        self.M = h.shape[0]
        self.eye = np.eye(self.M)
        self.outer, self.inner = outer, inner
        self.rng = np.random.default_rng(seed)

    def step(self, z: np.ndarray) -> np.ndarray:
        return self.A @ z + self.W @ np.maximum(z, 0.0) + self.h

    def random_sequence(self, k: int) -> np.ndarray:
        return self.rng.random((k, self.M)) < 0.5

    def candidate(self, sequence: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Solution z_1 of (I - P) z_1 = q for this region sequence, and P; None if singular."""
        A, W, h = self.A, self.W, self.h
        P = A + W * sequence[0]  # J(d) = A + W diag(d)
        q = h
        for d in sequence[1:]:
            J = A + W * d
            P = J @ P
            q = J @ q + h
        try:
            return np.linalg.solve(self.eye - P, q), P
        except np.linalg.LinAlgError:
            return None

    def scy_fi(self, k: int, lower: set) -> tuple[list[np.ndarray], list[np.ndarray], int]:
        """One order: (cycles as (k, M) arrays in the phase found, eigenvalues of P, solves)."""
        cycles: list[np.ndarray] = []
        eigvals: list[np.ndarray] = []
        here: set = set()
        solves = 0
        i = -1
        while i < self.outer:
            i += 1
            sequence = self.random_sequence(k)
            c = 0
            while c < self.inner:
                c += 1
                solves += 1
                found = self.candidate(sequence)
                if found is None:
                    sequence = self.random_sequence(k)
                    continue
                z, P = found
                trajectory = np.empty((k, self.M))
                trajectory[0] = z
                for j in range(1, k):
                    trajectory[j] = self.step(trajectory[j - 1])
                patterns = trajectory > 0
                if np.array_equal(patterns, sequence):
                    key = tuple(np.round(z, 2).tolist())
                    if key not in lower and key not in here:
                        cycles.append(trajectory)
                        eigvals.append(np.linalg.eigvals(P))
                        here.update(tuple(p) for p in np.round(trajectory, 2).tolist())
                        i = 0
                        c = 0
                    sequence = self.random_sequence(k)
                else:
                    sequence = patterns
        return cycles, eigvals, solves

    def find_cycles(self, max_order: int) -> list[dict]:
        """Orders 1..max_order; lower-order exclusion uses every cycle of the orders before."""
        lower: set = set()
        out = []
        for k in range(1, max_order + 1):
            started = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                cycles, eigvals, solves = self.scy_fi(k, lower)
            seconds = time.perf_counter() - started
            for cycle in cycles:
                lower.update(tuple(p) for p in np.round(cycle, 2).tolist())
            out.append(
                {
                    "order": k,
                    "cycles": [c.tolist() for c in cycles],
                    "multipliers": [[[float(v.real), float(v.imag)] for v in e] for e in eigvals],
                    "solves": solves,
                    "seconds": seconds,
                }
            )
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help=".npz with arrays A, W, h")
    parser.add_argument("max_order", type=int, help="search orders 1..K")
    parser.add_argument("--outer", type=int, default=100, help="outer loop budget (default 100)")
    parser.add_argument("--inner", type=int, default=500, help="inner loop budget (default 500)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random sequences (default 0)")
    parser.add_argument("--json", metavar="OUT", help="write cycles and per-order statistics as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    search = ReferenceSCYFI(*load_plrnn(args.model), outer=args.outer, inner=args.inner, seed=args.seed)
    orders = search.find_cycles(args.max_order)
    total = time.perf_counter() - started
    for entry in orders:
        print(
            f"order {entry['order']:3d}: {len(entry['cycles']):3d} cycles "
            f"{entry['solves']:9d} solves {entry['seconds']:8.3f} s"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "model": args.model,
                    "outer": args.outer,
                    "inner": args.inner,
                    "seed": args.seed,
                    "seconds": total,
                    "orders": orders,
                },
                handle,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
