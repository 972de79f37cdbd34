"""Cycle search: exact fixed points and k-cycles (SCYFI, batched, and exhaustive).

The public face of the search floor. Besides the user-facing names, a small internal API for
the floors above (continuation in :mod:`bifwatch.bifurcations`), documented in
docs/architecture.md: ``compose`` and ``solve_cycles`` (the batched linear algebra of a region
sequence), ``classify`` and ``system_condition`` (stability and conditioning of a cycle),
``resolve_orders`` (the orders a call asks for) and ``same_orbit`` (cycles equal up to phase).
"""

from ._cycle import Cycle as Cycle
from ._cycle import classify as classify
from ._cycle import same_cycle as same_cycle
from ._cycle import same_orbit as same_orbit
from ._cycle import system_condition as system_condition
from ._exhaustive import Exhaustive as Exhaustive
from ._find import find_cycles as find_cycles
from ._find import parse_orders as parse_orders
from ._find import resolve_orders as resolve_orders
from ._linear import compose as compose
from ._linear import solve_cycles as solve_cycles
from ._regions import RegionPool as RegionPool
from ._regions import region_pool as region_pool
from ._result import CycleSearchResult as CycleSearchResult
from ._scyfi import SCYFI as SCYFI
from ._stats import OrderStats as OrderStats

__all__ = [  # noqa: RUF022 (users first, then the internal API)
    # for users
    "SCYFI", "Cycle", "CycleSearchResult", "Exhaustive", "OrderStats", "RegionPool", "find_cycles",
    "parse_orders", "region_pool", "same_cycle", "same_orbit",
    # internal API for the floors above
    "classify", "compose", "resolve_orders", "solve_cycles", "system_condition",
]
