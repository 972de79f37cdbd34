"""The per-epoch history of a training run, ``history.csv``, read back strictly."""

from __future__ import annotations

import csv
import math
import os

import numpy as np


def read_history(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The columns of a training history (``history.csv``) as float arrays.

    The file has a header line with at least the columns ``epoch`` and ``loss`` and one row per
    epoch (epochs integers, each once); an empty cell is NaN. ``bifwatch train`` writes one, and
    the monitor reads any such file.

    Raises
    ------
    ValueError
        Not CSV with a header, no ``epoch`` or ``loss`` column, a column named twice, a row of
        another length, a cell that is not a number, an epoch that is not an integer or repeats
        (each message names the file, and the row and column where it applies).
    """
    name = str(path)
    try:
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"history {name!r} is not a CSV file with a header line: {err}") from err
    header = [cell.strip() for cell in rows[0]] if rows else []
    if not header or any(_number(cell) is not None for cell in header):
        raise ValueError(f"history {name!r} is not a CSV file with a header line (e.g. 'epoch,loss'); "
                         f"its first line is {','.join(header)!r}")
    missing = [column for column in ("epoch", "loss") if column not in header]
    if missing:
        raise ValueError(f"history {name!r} has no {' or '.join(map(repr, missing))} column; "
                         f"its columns are {header}")
    if len(set(header)) != len(header):
        raise ValueError(f"history {name!r} names a column twice; its columns are {header}")
    columns = _columns(name, header, rows[1:])
    _check_epochs(name, columns["epoch"])
    return columns


def _columns(name: str, header: list[str], rows: list[list[str]]) -> dict[str, np.ndarray]:
    values = np.full((len(rows), len(header)), np.nan)
    for r, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise ValueError(f"history {name!r} row {r} (line {r + 1}) has {len(row)} cells; "
                             f"the header has {len(header)}")
        for c, cell in enumerate(row):
            value = _number(cell)
            if value is None:
                raise ValueError(f"history {name!r} row {r} (line {r + 1}) column {header[c]!r}: "
                                 f"{cell!r} is not a number")
            values[r - 1, c] = value
    return {column: values[:, c].copy() for c, column in enumerate(header)}


def _number(cell: str) -> float | None:
    """``cell`` as a float (empty: NaN), or None when it is not a number."""
    try:
        return float(cell) if cell.strip() else math.nan
    except ValueError:
        return None


def _check_epochs(name: str, epochs: np.ndarray) -> None:
    seen: dict[float, int] = {}
    for r, epoch in enumerate(epochs.tolist(), start=1):
        if not math.isfinite(epoch) or epoch != round(epoch):
            raise ValueError(f"history {name!r} row {r} (line {r + 1}): the epoch must be an integer; "
                             f"got {epoch}")
        if epoch in seen:
            raise ValueError(f"history {name!r} has epoch {int(epoch)} twice (rows {seen[epoch]} and {r}); "
                             "keep one row per epoch")
        seen[epoch] = r
