"""Sweeps: independent tasks on local processes or a Dask cluster, with a crash-safe resumable store."""

from ._run import run_tasks as run_tasks
from ._store import SweepStore as SweepStore

__all__ = [
    "SweepStore", "run_tasks",
]
