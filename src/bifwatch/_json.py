"""JSON export of results: strict (no NaN or Infinity tokens), written with a final newline."""

from __future__ import annotations

import json
import os


def write_json(data: dict, path: str | os.PathLike | None, *, indent: int | None = None) -> str:
    """The JSON text of ``data``; also written to ``path`` (UTF-8, final newline) when given.

    Raises ``ValueError`` for NaN or infinite values: a result maps them to null before this.

    Examples
    --------
    >>> write_json({"a": [1, 2]}, None)
    '{"a": [1, 2]}'
    """
    text = json.dumps(data, indent=indent, allow_nan=False)
    if path is not None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return text
