"""Task functions for tests/test_sweep.py, importable by worker processes (spawned or Dask).

Each returns ``result_of(x)``, so a sweep's expected results are known in closed form whatever
ran it. Arguments are tuples of plain values (picklable, comparable).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np


def result_of(x: int) -> dict:
    """The result of every task for argument ``x``: a small dict with a float array."""
    return {"x": x, "values": np.arange(4.0) * x**2 / 7.0}


def compute(x: int) -> dict:
    """Just the result."""
    return result_of(x)


def logged(arg: tuple[str, int, float, str]) -> dict:
    """(key, x, delay, log): sleep ``delay`` s, log the run, return the result.

    The log gets one short append per run (O_APPEND, so whole lines from any process): the key,
    the id of the process that ran it and the id of that process's parent.
    """
    key, x, delay, log = arg
    time.sleep(delay)
    with open(log, "a") as file:
        file.write(f"{key} {os.getpid()} {os.getppid()}\n")
    return result_of(x)


def die_once(arg: tuple[int, str]) -> dict:
    """(x, marker): the first call anywhere with a missing ``marker`` file kills its own process."""
    x, marker = arg
    if x == 2:
        try:
            Path(marker).touch(exist_ok=False)
        except FileExistsError:
            pass
        else:
            os._exit(1)
    time.sleep(0.05)
    return result_of(x)


def die(x: int) -> dict:
    """Kill the process running it, always."""
    os._exit(1)


def fail_on_three(x: int) -> dict:
    """Raise ValueError for x == 3."""
    if x == 3:
        raise ValueError("three is not allowed")
    time.sleep(0.05)
    return result_of(x)


def _lines(log: str | os.PathLike) -> list[list[str]]:
    path = Path(log)
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def read_log(log: str | os.PathLike) -> list[str]:
    """The keys of the runs logged by ``logged``, in order (empty when there is no log yet)."""
    return [key for key, _, _ in _lines(log)]


def read_pids(log: str | os.PathLike, *, parent: int) -> set[int]:
    """Ids of the processes, children of ``parent``, that ran tasks logged by ``logged``."""
    return {int(pid) for _, pid, ppid in _lines(log) if int(ppid) == parent}
