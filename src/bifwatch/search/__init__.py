"""Cycle search: exact fixed points and k-cycles (SCYFI, batched, and exhaustive)."""

from ._cycle import Cycle as Cycle
from ._cycle import same_cycle as same_cycle
from ._exhaustive import Exhaustive as Exhaustive
from ._find import find_cycles as find_cycles
from ._find import parse_orders as parse_orders
from ._regions import RegionPool as RegionPool
from ._regions import region_pool as region_pool
from ._result import CycleSearchResult as CycleSearchResult
from ._scyfi import SCYFI as SCYFI
from ._stats import OrderStats as OrderStats
