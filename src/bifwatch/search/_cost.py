"""What a search will cost, estimated before it starts (so that hours are refused, not begun).

Counts are exact integers (no overflow at any order); times are rough, measured on one core.
"""

from __future__ import annotations

import math


def necklace_count(N: int, k: int) -> int:
    """Approximate number of sequences the exhaustive search solves, N^k / k rounded up (an exact
    integer: no overflow for any order).

    Rounded up, not down: for an integer budget H, ``necklace_count(N, k) <= H`` holds exactly
    when N^k / k <= H, so comparisons against integer limits are those of the real N^k / k.
    """
    return -(-(N**k) // k)


def exhaustive_seconds(N: int, k: int, M: int) -> float:
    """Rough time of an exhaustive order: N^k / k solves of about (1.5 + 0.02 k M^2) µs, plus
    0.005 k µs per enumerated sequence (measured on one core, numpy float64)."""
    return _float(necklace_count(N, k)) * (1.5 + 0.02 * k * M * M) * 1e-6 + _float(N**k) * 0.005e-6 * k


def duration(seconds: float) -> str:
    """``seconds`` in words: 'about 40 s', 'about 3 h', 'years'."""
    if seconds >= 1000 * 86400:
        return "years"
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"about {seconds / size:.0f} {unit}"
    return f"about {max(seconds, 1):.0f} s"


def _float(n: int) -> float:
    return float(n) if n.bit_length() < 1000 else math.inf


def approx(n: int) -> str:
    """A large integer for people: 123456, 1.2e+09, or 10^602 (never an OverflowError)."""
    if n < 10**6:
        return str(n)
    if n.bit_length() < 1000:
        return f"{float(n):.2g}"
    return f"10^{int(n.bit_length() * math.log10(2))}"


#: Solves one heuristic chain takes at the least, the count the lower bounds use: a chain may end
#: at its first solve (a real cycle, or a singular system). Typical chains take more, about
#: ``TYPICAL_SOLVES_PER_CHAIN(k)`` = 8 + 2k, the count the automatic choice between the searches
#: uses (``heuristic_cost``); that one is an estimate, not a bound, so nothing is refused on it.
LEAST_SOLVES_PER_CHAIN = 1


def typical_solves_per_chain(k: int) -> int:
    """Typical solves of one heuristic chain at order k: 8 + 2k (an estimate, not a bound).

    (Measured: 12-15 solves per chain for M = 10, k = 2-6; 5-60 for 2-D models at k = 10-70.)
    """
    return 8 + 2 * k


def heuristic_least_seconds(least_solves: int, k: int, M: int) -> float:
    """A lower bound on the time of a heuristic order that needs at least ``least_solves`` solves:
    each solve composes k affine pieces, about (0.05 + 0.00085 M^3) µs each."""
    return least_solves * k * (0.05 + 0.00085 * M**3) * 1e-6
