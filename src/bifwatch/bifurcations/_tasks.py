"""Run a sweep's independent tasks through :mod:`bifwatch.sweep`, with or without a store."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any


def run_sweep(
    fn: Callable, tasks: Mapping[str, Any], *, spec: dict, workers, scheduler, store, resume: bool,
    progress: bool, description: str,
) -> dict[str, Any]:
    """``run_tasks`` with a :class:`SweepStore` at ``store`` (a path) when one is given."""
    from ..sweep import SweepStore, run_tasks

    if scheduler is not None:
        workers = None
    if store is None:
        if resume:
            raise ValueError("`resume=True` needs `store`, the file of the sweep to continue")
        return run_tasks(fn, tasks, workers=workers, scheduler=scheduler, progress=progress,
                         description=description)
    with SweepStore(os.fspath(store), spec=spec, resume=resume) as opened:
        return run_tasks(fn, tasks, store=opened, workers=workers, scheduler=scheduler,
                         progress=progress, description=description)
