"""Exhaustive search: solve the k-cycle system of every region sequence (up to rotation)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_int
from ..models import AbstractPLRNN
from ._cost import approx, duration, exhaustive_seconds, necklace_count
from ._linear import solve_sequences
from ._regions import RegionPool
from ._registry import CycleRegistry

#: Largest number of sequences, N^k, an exhaustive search may enumerate.
MAX_SEQUENCES = 2**40

#: Default limit on the sequences one order of an exhaustive search solves (minutes, not hours).
MAX_SOLVES = 10**8


@dataclass(frozen=True)
class Exhaustive:
    """Configuration of the exhaustive search.

    Parameters
    ----------
    chunk : int, default 2**14
        Sequences solved per batch.
    max_solves : int or None, default 10**8
        Refuse (``ValueError``, before anything is solved) an order that needs more solves than
        this, about N^k / k for N regions; 10^8 solves take about 5 minutes (measured:
        3-5 x 10^5 solves a second for M <= 10, k <= 25, on a 2-core machine). None: no limit.
        Left out of ``repr`` (and so of the spec of a diagram or map store): it only refuses
        an order before it starts and never changes what a search finds, and stores written
        before it existed (spec ``Exhaustive(chunk=16384)``) still resume.

    Notes
    -----
    With a pool of N region codes there are N^k sequences. Rotations of a sequence give the
    same cycle in another phase, and a sequence with a proper period j | k can only give a
    cycle of least period j, so only the sequences that are strictly smaller (as base-N
    numbers) than all their rotations are solved: about N^k / k of them.

    Performance notes: cost grows as N^k; ``find_cycles`` picks this search by itself only
    when it is cheaper than the heuristic. Each solve takes about (1.5 + 0.02 k M^2) µs (see
    :func:`exhaustive_seconds`), so ``max_solves`` refuses orders longer than a few minutes.
    """

    chunk: int = 2**14
    max_solves: int | None = field(default=MAX_SOLVES, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chunk", check_int("chunk", self.chunk, minimum=1))
        if self.max_solves is not None:
            object.__setattr__(self, "max_solves", check_int("max_solves", self.max_solves, minimum=1))

    def check(self, N: int, k: int, M: int) -> None:
        """Raise ``ValueError`` if order k over N regions needs more than ``max_solves`` solves."""
        count = necklace_count(N, k)
        if self.max_solves is None or count <= self.max_solves:
            return
        raise ValueError(
            f"an exhaustive search of order {k} over {N} regions would solve about {approx(count)} "
            f"region sequences ({N}^{k} / {k}), taking {duration(exhaustive_seconds(N, k, M))}: more than "
            f"the limit of {approx(self.max_solves)} (Exhaustive(max_solves=...)); use finder=SCYFI() "
            "or a lower order"
        )


def run_exhaustive(
    model: AbstractPLRNN,
    k: int,
    config: Exhaustive,
    pool: RegionPool,
    registry: CycleRegistry,
    progress=None,
) -> int:
    """Solve every aperiodic necklace of length k over ``pool``; return the number of solves."""
    N = pool.size
    config.check(N, k, model.M)
    total = N**k
    if total > MAX_SEQUENCES:
        raise ValueError(
            f"exhaustive search of order {k} over {N} regions needs {N}^{k} sequences "
            f"(> {MAX_SEQUENCES}); use finder=SCYFI() or a lower order"
        )
    solves = 0
    for start in range(0, total, config.chunk):
        index = necklaces(np.arange(start, min(total, start + config.chunk), dtype=np.int64), N, k)
        if len(index):
            digits = (index[:, None] // N ** np.arange(k - 1, -1, -1, dtype=np.int64)) % N
            found = solve_sequences(model, pool.decode(digits))
            registry.rejected["singular"] += int(np.count_nonzero(~found.solved))
            registry.submit(found.z1[found.real], k)
            solves += len(index)
        if progress is not None:
            progress(min(config.chunk, total - start))
    return solves


def necklaces(index: np.ndarray, N: int, k: int) -> np.ndarray:
    """Keep sequence numbers (base N, k digits) strictly below all their proper rotations."""
    keep = np.ones(len(index), dtype=bool)
    for r in range(1, k):
        high = N ** (k - r)
        rotated = (index % high) * N**r + index // high
        keep &= index < rotated
    return index[keep]
