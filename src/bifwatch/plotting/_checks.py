"""Checks of what a figure is given: results are recognised by what they hold, not imported.

The figures sit on the top floor and draw results of the floors below without importing them
(the results' ``.plot()`` methods import the figures, so an import back would close a circle).
"""

from __future__ import annotations

#: What a slow-point result must hold to be drawn (see bifwatch.SlowPoints).
SLOW_POINTS = ("points", "q", "kind", "stable", "M", "fixed", "slow")


def require(value, argument: str, noun: str, attributes: tuple[str, ...], hint: str = "") -> None:
    """Raise TypeError naming ``argument`` unless ``value`` has every one of ``attributes``."""
    if isinstance(value, type) or not all(hasattr(value, name) for name in attributes):
        raise TypeError(f"`{argument}` must be a {noun}{hint}; got {type(value).__name__}")
