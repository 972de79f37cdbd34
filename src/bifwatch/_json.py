"""JSON export of results: strict (no NaN or Infinity tokens), written with a final newline."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable


def write_json(data: dict, path: str | os.PathLike | None, *, indent: int | None = None) -> str:
    """The JSON text of ``data``; also written to ``path`` (UTF-8, final newline) when given.

    Raises ``ValueError`` for NaN or infinite values: a result maps them to null before this.
    A negative zero is written as ``0.0`` (it is the same number, and ``-0.0`` in a file only
    puzzles its reader).

    Examples
    --------
    >>> write_json({"a": [1, 2], "b": -0.0}, None)
    '{"a": [1, 2], "b": 0.0}'
    """
    text = json.dumps(_floats(data, lambda x: x + 0.0), indent=indent, allow_nan=False)
    if path is not None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return text


def finite_or_none(value):
    """``value`` with every NaN or infinite float, in dicts, lists and tuples at any depth, made None.

    What a result calls on its dict before :func:`write_json` where a missing number is
    meaningful (a curve not recorded yet, a cycle at infinity).

    Examples
    --------
    >>> finite_or_none({"a": [1.0, float("nan")], "b": (float("inf"), 2)})
    {'a': [1.0, None], 'b': [None, 2]}
    """
    return _floats(value, lambda x: x if math.isfinite(x) else None)


def _floats(value, change: Callable[[float], float | None]):
    """``value`` with ``change`` applied to every float in it (dicts, lists, tuples, at any depth)."""
    if isinstance(value, float):
        return change(value)
    if isinstance(value, dict):
        return {key: _floats(item, change) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_floats(item, change) for item in value]
    return value
