"""JSON export of results: strict (no NaN or Infinity tokens), written with a final newline."""

from __future__ import annotations

import json
import os


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
    text = json.dumps(_positive_zeros(data), indent=indent, allow_nan=False)
    if path is not None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return text


def _positive_zeros(value):
    """``value`` with every float -0.0 (in dicts, lists and tuples, at any depth) made 0.0."""
    if isinstance(value, float):
        return value + 0.0
    if isinstance(value, dict):
        return {key: _positive_zeros(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_positive_zeros(item) for item in value]
    return value
