"""How many cycle orders a monitor can afford on a model: measured, not guessed."""

from __future__ import annotations

import time

from ..models import AbstractPLRNN
from ..search import find_cycles, region_pool

#: Seconds one checkpoint's search may take at the orders chosen (the continuation between two
#: checkpoints costs a few times its search).
BUDGET = 2.0
#: The most orders chosen automatically.
CAP = 8


def affordable_order(model: AbstractPLRNN, *, budget: float = BUDGET, cap: int = CAP) -> int:
    """The largest K <= ``cap`` whose search of orders 1..K on ``model`` takes at most ``budget``
    seconds here (at least 1: fixed points are always affordable).

    Orders are timed one at a time, and the next is not tried when the time so far, plus the
    last order's time grown by the last growth factor, would pass ``budget``.

    >>> import bifwatch as bw
    >>> affordable_order(bw.PLRNN(A=[0.5], W=[[-1.7]], h=[0.1]), cap=3)
    3
    """
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


#: A model with more linear regions than this is large: its continuation between two checkpoints
#: costs about a minute per interval (a trained clipped shPLRNN with L = 50, 13,460 regions, had
#: hundreds of border collisions of unstable fixed points in 6 intervals, even at order 1).
LARGE_POOL = 4096


def affordable_intervals(model: AbstractPLRNN, *, limit: int = LARGE_POOL) -> str:
    """``"all"`` intervals for a model of at most ``limit`` linear regions (its region pool,
    :func:`bifwatch.region_pool`), ``"jumps"`` (only those near a loss jump) for a larger one.
    Counted, not timed: the same model gets the same answer on any machine.

    >>> import bifwatch as bw
    >>> affordable_intervals(bw.PLRNN(A=[0.5], W=[[-1.7]], h=[0.1]))
    'all'
    """
    return "all" if region_pool(model).size <= limit else "jumps"
