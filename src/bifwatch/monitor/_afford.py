"""How many cycle orders a monitor can afford on a model: measured, not guessed."""

from __future__ import annotations

import math
import time

from ..models import AbstractPLRNN
from ..search import find_cycles

#: Seconds one checkpoint's search may take at the orders chosen (the continuation between two
#: checkpoints costs a few times its search).
BUDGET = 2.0
#: The most orders chosen automatically.
CAP = 8


def affordable_order(model: AbstractPLRNN, *, budget: float = BUDGET, cap: int = CAP) -> int:
    """The largest K <= ``cap`` whose search of orders 1..K on ``model`` takes at most ``budget``
    seconds here (at least 1: fixed points are always affordable); 1 at once for a model of
    more than :data:`LARGE_POOL` regions (:func:`region_bound`).

    Orders are timed one at a time, and the next is not tried when the time so far, plus the
    last order's time grown by the last growth factor, would pass ``budget``.

    >>> import bifwatch as bw
    >>> affordable_order(bw.PLRNN(A=[0.5], W=[[-1.7]], h=[0.1]), cap=3)
    3
    """
    if affordable_intervals(model) == "jumps":
        return 1  # a large model: fixed points only, without timing a search on the training thread
    spent, last, growth = 0.0, None, 1.0
    for k in range(1, cap + 1):
        if last is not None and spent + last * growth > budget:
            return k - 1
        began = time.perf_counter()
        try:
            find_cycles(model, orders=[k])
        except (ValueError, ArithmeticError, MemoryError):
            return max(k - 1, 1)
        took = time.perf_counter() - began
        growth = max(took / last, 1.0) if last else 1.0
        spent, last = spent + took, took
        if spent > budget:
            return max(k - 1, 1)
    return cap


#: A model with more linear regions than this (:func:`region_bound`) is large: its continuation
#: between two checkpoints costs about a minute per interval (a trained clipped shPLRNN with M = 3,
#: L = 50: 100 planes, up to 166,751 regions, had hundreds of border collisions of unstable fixed
#: points in 6 intervals, even at order 1).
LARGE_POOL = 4096


def region_bound(model: AbstractPLRNN) -> int:
    """At most how many linear regions ``model`` has: its n switching planes in R^M cut it into
    at most sum_{i <= M} C(n, i) regions (exactly that many in general position; 2^n for n <= M,
    e.g. a PLRNN's 2^M orthants). Counted from the sizes alone, in no time.

    >>> import bifwatch as bw
    >>> region_bound(bw.PLRNN(A=[0.5, 0.5], W=[[0, 1], [1, 0]], h=[0, 0]))
    4
    """
    n, M = model.n_bits, model.M
    return 2**n if n <= M else sum(math.comb(n, i) for i in range(M + 1))


def affordable_intervals(model: AbstractPLRNN, *, limit: int = LARGE_POOL) -> str:
    """``"all"`` intervals for a model of at most ``limit`` linear regions (:func:`region_bound`),
    ``"jumps"`` (only those near a loss jump) for a larger one. Counted, not timed: the same
    model gets the same answer on any machine, at once.

    >>> import bifwatch as bw
    >>> affordable_intervals(bw.PLRNN(A=[0.5], W=[[-1.7]], h=[0.1]))
    'all'
    """
    return "all" if region_bound(model) <= limit else "jumps"
