"""The generated data sets by name: ``SYSTEMS`` and ``load_system``."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from ._dataset import Dataset
from ._systems import lorenz63, lorenz96, roessler
from ._teacher import plrnn_cycle

#: The generator of each named system; every one takes keyword-only settings and returns a Dataset.
SYSTEMS: dict[str, Callable[..., Dataset]] = {
    "lorenz63": lorenz63,
    "roessler": roessler,
    "lorenz96": lorenz96,
    "plrnn-cycle": plrnn_cycle,
}


def load_system(name: str, **settings: object) -> Dataset:
    """The data set of the system called ``name``, generated (or read from the cache) with ``settings``.

    Parameters
    ----------
    name : str
        A key of :data:`SYSTEMS`: ``"lorenz63"``, ``"roessler"``, ``"lorenz96"`` or ``"plrnn-cycle"``.
    **settings
        Keyword settings of that system's function (e.g. ``steps``, ``seed``, ``noise``).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        An unknown ``name``; the message lists the known ones.
    TypeError
        A setting the system does not take; the message names it and lists those it takes.

    Examples
    --------
    >>> load_system("lorenz96", N=6, steps=100, cache=False).train.shape
    (100, 6)
    >>> load_system("lorenz63", N=6)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: system 'lorenz63' takes no setting 'N'; it takes steps, test_steps, dt, noise, ...
    """
    if not isinstance(name, str) or name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; expected one of {sorted(SYSTEMS)}")
    make = SYSTEMS[name]
    accepted = list(inspect.signature(make).parameters)
    unknown = [key for key in settings if key not in accepted]
    if unknown:
        words = ", ".join(repr(key) for key in unknown)
        noun = "setting" if len(unknown) == 1 else "settings"
        raise TypeError(f"system {name!r} takes no {noun} {words}; it takes {', '.join(accepted)}")
    return make(**settings)
