"""``find_cycles``: every fixed point and k-cycle of a piecewise-linear map."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

import numpy as np

from .._progress import progress_bar
from .._validation import check_int, check_positive_float
from ..models import AbstractPLRNN
from ._cost import duration, necklace_count, typical_solves_per_chain
from ._exhaustive import Exhaustive, run_exhaustive
from ._regions import region_pool
from ._registry import CycleRegistry
from ._result import CycleSearchResult
from ._scyfi import MAX_LEAST_SECONDS, SCYFI, run_scyfi
from ._stats import OrderStats

#: Largest order accepted at all (an order-k search solves k-step systems; far beyond reach).
MAX_ORDER = 10**6


def heuristic_cost(patience: int, k: int) -> int:
    """Typical solves of a heuristic order: patience chains of about 8 + 2k solves each
    (:func:`typical_solves_per_chain`; the lower bounds that refuse a search count one solve
    per chain, ``LEAST_SOLVES_PER_CHAIN``).

    (Measured: 12-15 solves per chain for M = 10, k = 2-6; 5-60 for 2-D models at k = 10-70.)
    """
    return patience * typical_solves_per_chain(k)


def find_cycles(
    model: AbstractPLRNN,
    max_order: int | None = None,
    *,
    orders: Iterable[int] | str | None = None,
    finder: SCYFI | Exhaustive | None = None,
    seed: int = 0,
    atol: float = 1e-8,
    cond_max: float = 1e12,
    progress: bool = False,
) -> CycleSearchResult:
    """Find the fixed points and cycles of ``model`` of orders 1..max_order (or ``orders``).

    Parameters
    ----------
    model : AbstractPLRNN
        Any bifwatch model (``PLRNN``, ``ShPLRNN``, ``ClippedShPLRNN``, ``ALRNN``, ``ReLURNN``).
    max_order : int, optional
        Search orders 1..max_order. Give this or ``orders``.
    orders : iterable of int or str, optional
        Explicit orders, e.g. ``[15, 16]`` or ``"1-4,10"``.
    finder : SCYFI or Exhaustive, optional
        Force a method. By default each order uses the exhaustive search when it is cheaper
        than the heuristic's budget (and the region pool is exact), else ``SCYFI()``.
    seed : int, default 0
        Seed of the heuristic's random region sequences (order k uses the stream (seed, k)).
        Same seed, same result.
    atol : float, default 1e-8
        Relative tolerance (times 1 + |z|) under which two points are the same point: used for
        de-duplication and the least-period test.
    cond_max : float, default 1e12
        Cycles whose system has a larger condition number (1 + |P|) |(I - P)^{-1}| are rejected (counted as
        ``ill-conditioned``): they sit at a degenerate bifurcation.
    progress : bool, default False
        Show a progress bar (tqdm) on stderr, only when stderr is a terminal.

    Returns
    -------
    CycleSearchResult
        Distinct cycles, each of least period equal to its order, with stability, plus
        per-order statistics saying ``exhaustive`` (complete) or ``heuristic``.

    Raises
    ------
    TypeError, ValueError
        ``model`` is not a bifwatch model; neither or both of ``max_order`` and ``orders``;
        orders < 1; a non-positive ``atol`` or ``cond_max``; before anything is searched, an
        exhaustive order that needs more than ``Exhaustive.max_solves`` solves, an order the
        heuristic cannot finish within an hour (:meth:`SCYFI.check`), or heuristic orders whose
        lower bounds on time (:meth:`SCYFI.least_seconds`) sum to more than an hour.

    Notes
    -----
    Order k solves (I - P) z_1 = q with P = J(d_k)...J(d_1) for region sequences d_1..d_k and
    keeps solutions whose true orbit visits exactly those regions (SCYFI; Eisenmann et al.,
    NeurIPS 2023). A cycle found by an order-k system whose least period is j < k is filed
    under order j (when j is searched), never under k.

    Performance notes: the exhaustive search solves about N^k / k systems (N regions, 2^M for
    a PLRNN); the heuristic about (8 + 2k)(100 + 20 k log2 N) when nothing is found, and longer
    when there is much to find. Each solve costs O(k M^3).

    References
    ----------
    L. Eisenmann, Z. Monfared, N. Göring, D. Durstewitz, "Bifurcations and loss jumps in RNN
    training", NeurIPS 2023, arXiv:2310.17561.

    Examples
    --------
    >>> from bifwatch import PLRNN, find_cycles
    >>> tent = PLRNN(A=[0.2], W=[[-1.7]], h=[1.0])        # right slope -1.5
    >>> result = find_cycles(tent, 4)
    >>> [(c.order, c.stable) for c in result.cycles]
    [(1, False), (2, True)]
    >>> np.round(result.cycles[1].points.ravel(), 3).tolist()
    [-0.385, 0.923]
    """
    if not isinstance(model, AbstractPLRNN):
        raise TypeError(f"`model` must be a bifwatch model (e.g. PLRNN); got {type(model).__name__}")
    wanted = resolve_orders(max_order, orders)
    if finder is not None and not isinstance(finder, (SCYFI, Exhaustive)):
        raise TypeError(f"`finder` must be SCYFI(...) or Exhaustive(...); got {finder!r}")
    seed = check_int("seed", seed, minimum=0)
    registry = CycleRegistry(
        model, wanted, atol=check_positive_float("atol", atol),
        cond_max=check_positive_float("cond_max", cond_max),
    )
    pool = region_pool(model, seed=seed)
    methods = {k: _choose(model, k, finder, pool) for k in wanted}
    # refuse what would take hours before anything starts: each order, then all of them together
    _check_total(wanted, [_check_cost(model, k, methods[k], finder, pool) for k in wanted])
    bar = progress_bar(progress, unit=" solves")
    stats = [_search_order(model, k, methods[k], finder, pool, registry, seed, bar) for k in wanted]
    if bar is not None:
        bar.close()
    cycles = [c for k in wanted for c in sorted(registry.cycles[k], key=_sort_key)]
    stats = [
        OrderStats(**{**s.to_dict(), "n_cycles": registry.count(s.order)}) for s in stats
    ]
    return CycleSearchResult(model=model, cycles=tuple(cycles), stats=tuple(stats), seed=seed)


def _search_order(model, k, method, finder, pool, registry, seed, bar) -> OrderStats:
    before = dict(registry.rejected)
    started = time.perf_counter()
    if bar is not None:
        bar.set_description(f"order {k} ({method})")
    tick = bar.update if bar is not None else None
    if method == "exhaustive":
        solves = run_exhaustive(model, k, finder or Exhaustive(), pool, registry, tick)
        chains, message = 0, "every region sequence solved"
        if not pool.exact:
            message += " (over a sampled region pool: may be incomplete)"
    else:
        rng = np.random.default_rng([seed, k])
        run = run_scyfi(model, k, finder or SCYFI(), pool, registry, rng, tick)
        solves, chains, message = run.solves, run.chains, run.message
    rejected = {
        reason: count - before.get(reason, 0)
        for reason, count in registry.rejected.items()
        if count - before.get(reason, 0)
    }
    return OrderStats(
        order=k, method=method, complete=method == "exhaustive" and pool.exact,
        n_cycles=registry.count(k), solves=solves, chains=chains, rejected=rejected,
        seconds=time.perf_counter() - started, message=message,
    )


def _choose(model, k, finder, pool) -> str:
    if isinstance(finder, Exhaustive):
        return "exhaustive"
    if isinstance(finder, SCYFI) or not pool.exact:
        return "heuristic"
    patience = SCYFI().budget(model.M, k, pool.size)[0]
    cheaper = necklace_count(pool.size, k) <= heuristic_cost(patience, k)
    return "exhaustive" if cheaper else "heuristic"


def _check_cost(model, k, method, finder, pool) -> float:
    """Refuse order k if it alone is out of reach; else return the heuristic's lower bound on its
    time in seconds (0 for an exhaustive order, which has its own limit, ``max_solves``)."""
    if method == "exhaustive":
        (finder or Exhaustive()).check(pool.size, k, model.M)
        return 0.0
    config = finder or SCYFI()
    config.check(model.M, k, pool.size)
    return config.least_seconds(model.M, k, pool.size)


def _check_total(wanted: list[int], least: list[float]) -> None:
    """Refuse orders whose heuristic lower bounds (:meth:`SCYFI.least_seconds`) sum to more
    than ``MAX_LEAST_SECONDS``, although each order alone is within it."""
    total = sum(least)
    if total <= MAX_LEAST_SECONDS:
        return
    fit, running = wanted[0], 0.0
    for k, seconds in zip(wanted, least, strict=True):
        running += seconds
        if running > MAX_LEAST_SECONDS:
            break
        fit = k
    raise ValueError(
        f"the {len(wanted)} orders {wanted[0]} to {wanted[-1]} would take {duration(total)} at the least "
        "together (the heuristic's lower bound summed over the orders; each alone is within an hour, "
        "but the limit of an hour holds for all of them together): search fewer or lower orders "
        f"(those up to {fit} fit within the hour together), or stop sooner with SCYFI(patience=...)"
    )


def _sort_key(cycle) -> tuple:
    return tuple(np.round(cycle.points[0], 9))


def resolve_orders(max_order, orders) -> list[int]:
    """Sorted distinct orders from ``max_order`` (1..K) or ``orders`` (list or ``"1-4,10"``)."""
    if (max_order is None) == (orders is None):
        raise ValueError("give exactly one of `max_order` (orders 1..K) and `orders`; "
                         f"got max_order={max_order!r}, orders={orders!r}")
    if max_order is not None:
        return list(range(1, _below_max_order("max_order", check_int("max_order", max_order, minimum=1)) + 1))
    if isinstance(orders, str):
        return parse_orders(orders)
    try:
        values = [check_int("orders", k, minimum=1) for k in orders]
    except TypeError as err:
        raise TypeError(f"`orders` must be integers >= 1; got {orders!r}") from err
    if not values:
        raise ValueError("`orders` must not be empty")
    _below_max_order("orders", max(values))
    return sorted(set(values))


def _below_max_order(name: str, k: int) -> int:
    if k > MAX_ORDER:
        raise ValueError(f"`{name}` must be at most {MAX_ORDER} (far beyond what a search can do); got {k}")
    return k


def parse_orders(text: str) -> list[int]:
    """Parse ``"15,16"``, ``"1-4"`` or ``"1-3,8,10-12"`` into a sorted list of orders."""
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(f"`orders` must look like '15,16' or '1-4,10'; got {text!r}")
        low, high = int(match[1]), int(match[2] or match[1])
        if low < 1 or high < low:
            raise ValueError(f"`orders` ranges must be ascending and >= 1; got {part.strip()!r}")
        _below_max_order("orders", high)
        values.update(range(low, high + 1))
    return sorted(values)
