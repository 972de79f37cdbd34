"""SCYFI, batched: many chains of region sequences advanced at once.

Each chain starts from a random region sequence, solves its k-cycle system, and moves to the
sequence of regions the (virtual) solution actually visits, until the solution is real
(a cycle), the system is singular, or the chain is ``max_inner`` steps old; then it restarts
from a fresh random sequence. This is the reference loop (Eisenmann et al. 2023, Alg. 1)
with its outer/inner counters replaced by a stopping rule on discoveries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_int
from ..models import AbstractPLRNN
from ._cost import LEAST_SOLVES_PER_CHAIN, approx, duration, heuristic_least_seconds
from ._linear import solve_sequences
from ._regions import RegionPool
from ._registry import CycleRegistry

#: Refuse an order whose heuristic search surely takes longer than this (seconds).
MAX_LEAST_SECONDS = 3600.0


@dataclass(frozen=True)
class SCYFI:
    """Configuration of the heuristic search (Searcher for CYcles and FIxed points).

    Parameters
    ----------
    patience : int, optional
        Stop an order after this many chains in a row ended without a new cycle.
        Default ``default_patience(k, N)`` = 100 + 20 k log2(N) for N regions
        (100 + 20 M k for a PLRNN, whose N is 2^M).
    max_inner : int, optional
        A chain restarts after this many steps without reaching a real cycle.
        Default ``default_max_inner(M, k)`` = 20 + 2 k + M.
    max_solves : int, optional
        Hard cap on linear solves per order (default 10^7); reaching it is reported.
    batch : int, optional
        Chains advanced together (default: as many as fit in about 32 MB, at most patience).

    Notes
    -----
    Why these defaults. A chain is a random restart that ends in one cycle; a cycle reached by
    a fraction p of restarts is missed after ``patience`` fruitless restarts with probability
    (1 - p)^patience. The reference budgets depend on k only and miss cycles for M = 10
    (see docs/search.md); patience grows with k log2(N), the logarithm of the number of
    region sequences N^k. Chains converge in a few steps (the paper's
    Fig. S9: tens of steps for M = 10), so ``max_inner`` only ends chains caught in a loop of
    virtual sequences.
    """

    patience: int | None = None
    max_inner: int | None = None
    max_solves: int | None = None
    batch: int | None = None

    def __post_init__(self) -> None:
        for name in ("patience", "max_inner", "max_solves", "batch"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_int(name, value, minimum=1))

    def budget(self, M: int, k: int, n_regions: int) -> tuple[int, int, int, int]:
        """(patience, max_inner, max_solves, batch) for dimension M, order k and N regions."""
        patience = self.patience or default_patience(k, n_regions)
        max_inner = self.max_inner or default_max_inner(M, k)
        max_solves = self.max_solves or 10**7
        fit = max(16, 2**22 // (k * M * M + k * M + 1))
        batch = self.batch or max(16, min(fit, patience, 4096))
        return patience, max_inner, max_solves, batch

    def least_seconds(self, M: int, k: int, n_regions: int) -> float:
        """A lower bound on the time of order k: an order ends only after ``patience`` chains
        ended in a row (at most ``batch`` per round of solves) or after ``max_solves``, and a
        chain takes at least ``LEAST_SOLVES_PER_CHAIN`` = 1 solve (it may end at its first; the
        typical 8 + 2k of ``heuristic_cost`` is an estimate, so the bound does not use it)."""
        patience, _, max_solves, _ = self.budget(M, k, n_regions)
        return heuristic_least_seconds(min(patience * LEAST_SOLVES_PER_CHAIN, max_solves), k, M)

    def check(self, M: int, k: int, n_regions: int) -> None:
        """Raise ``ValueError`` for an order k that alone would surely take more than an hour
        (``find_cycles`` also holds the orders it searches together to the hour)."""
        least = self.least_seconds(M, k, n_regions)
        if least <= MAX_LEAST_SECONDS:
            return
        patience, _, max_solves, _ = self.budget(M, k, n_regions)
        within = _largest_order(lambda j: self.least_seconds(M, j, n_regions) <= MAX_LEAST_SECONDS, k)
        raise ValueError(
            f"order {k} is out of reach of the heuristic search: it stops only after {approx(patience)} "
            f"fruitless chains in a row (patience) or {approx(max_solves)} solves of {k} steps each, "
            f"taking {duration(least)} at the least; the largest order within an hour is about {within} "
            "searched alone (orders searched together count together), or stop sooner with "
            "SCYFI(patience=...)"
        )


def _largest_order(fits, k: int) -> int:
    """The largest order j < k with ``fits(j)`` (fits is monotone in j), by bisection."""
    low, high = 0, k
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return max(low, 1)


def default_patience(k: int, n_regions: int) -> int:
    """Fruitless chains in a row before an order stops: 100 + 20 k log2(N)."""
    return 100 + round(20 * k * math.log2(max(n_regions, 2)))  # math: exact for 2**M, any M


def default_max_inner(M: int, k: int) -> int:
    """Steps a chain may take before it restarts: 20 + 2 k + M."""
    return 20 + 2 * k + M


@dataclass
class HeuristicRun:
    solves: int = 0
    chains: int = 0
    message: str = ""


def run_scyfi(
    model: AbstractPLRNN,
    k: int,
    config: SCYFI,
    pool: RegionPool,
    registry: CycleRegistry,
    rng: np.random.Generator,
    progress=None,
) -> HeuristicRun:
    """Search order k until ``patience`` chains in a row find nothing new (or ``max_solves``)."""
    patience, max_inner, max_solves, batch = config.budget(model.M, k, pool.size)
    run = HeuristicRun()
    sequences = pool.draw(rng, (batch, k))
    age = np.zeros(batch, dtype=np.int64)
    history = _LoopDetector(batch, k * pool.n_bits, rng)
    fruitless = 0
    while True:
        found = solve_sequences(model, sequences)
        run.solves += batch
        registry.rejected["singular"] += int(np.count_nonzero(~found.solved))
        new = registry.submit(found.z1[found.real], k)
        looping = history.revisits(sequences, found.visited)
        ended = found.real | ~found.solved | looping | (age + 1 >= max_inner)
        run.chains += int(np.count_nonzero(ended))
        fruitless = 0 if new else fruitless + int(np.count_nonzero(ended))
        if progress is not None:
            progress(batch)
        if fruitless >= patience:
            run.message = f"stopped after {fruitless} chains in a row found nothing new (patience {patience})"
            return run
        if run.solves >= max_solves:
            run.message = f"stopped at max_solves = {max_solves}; raise it, or patience, to search longer"
            return run
        sequences = np.where(ended[:, None, None], _restarts(pool, registry, k, batch, rng), found.visited)
        age = np.where(ended, 0, age + 1)
        history.reset(ended)


class _LoopDetector:
    """Remembers each chain's last ``depth`` sequences (as 64-bit hashes) to end chains caught
    in a loop of virtual sequences: a chain that returns to a sequence it already solved can
    only go round the same loop again."""

    def __init__(self, batch: int, n: int, rng: np.random.Generator, depth: int = 16) -> None:
        self.weights = rng.integers(1, 2**62, size=n, dtype=np.int64)
        self.keys = np.zeros((batch, depth), dtype=np.int64)
        self.filled = np.zeros(batch, dtype=np.int64)
        self.depth = depth

    def _hash(self, sequences: np.ndarray) -> np.ndarray:
        flat = sequences.reshape(len(sequences), -1)
        return (flat * self.weights).sum(axis=1) + flat.shape[1]  # wraps modulo 2^64 by design

    def revisits(self, current: np.ndarray, visited: np.ndarray) -> np.ndarray:
        """Record ``current``; True where ``visited`` (the next sequence) was seen before."""
        slot = self.filled % self.depth
        self.keys[np.arange(len(slot)), slot] = self._hash(current)
        self.filled += 1
        seen = np.arange(self.depth)[None, :] < np.minimum(self.filled, self.depth)[:, None]
        return ((self.keys == self._hash(visited)[:, None]) & seen).any(axis=1)

    def reset(self, ended: np.ndarray) -> None:
        self.filled[ended] = 0


def _restarts(pool: RegionPool, registry: CycleRegistry, k: int, batch: int, rng) -> np.ndarray:
    """Fresh sequences: uniform draws from the pool, half of them (once any cycle is known)
    replaced by a known cycle's region sequence, tiled to length k, with one region replaced by
    an adjacent one (one bit flipped).

    Cycles born together in a border collision differ in one bit of one region, and a k-cycle
    born from a j-cycle (a flip, or a border collision of a j-cycle with j | k) runs through the
    j-cycle's regions but for one bit: the one-bit neighbours of known cycles of every order are
    where missing cycles are most likely.
    """
    fresh = pool.draw(rng, (batch, k))
    known = [c.regions for cycles in registry.cycles.values() for c in cycles]
    if not known or pool.n_bits == 0:
        return fresh
    picks = np.flatnonzero(rng.random(batch) < 0.5)
    periods = np.array([len(r) for r in known])
    longest = int(periods.max())
    # each known sequence repeated to length k + longest, so any phase gives a window of k
    tiled = np.stack([r[np.arange(k + longest) % len(r)] for r in known])
    which = rng.integers(0, len(known), size=len(picks))
    shifts = (rng.random(len(picks)) * periods[which]).astype(np.int64)
    fresh[picks] = tiled[which[:, None], shifts[:, None] + np.arange(k)]
    step = rng.integers(0, k, size=len(picks))
    fresh[picks, step] = pool.neighbours(fresh[picks, step], rng)
    return fresh
