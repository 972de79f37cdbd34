"""What the sweep commands write: figures, and the default store that makes ``--resume`` work."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

#: Folder (in the current directory) of the stores of runs without ``--store``.
DEFAULT_STORE_DIR = ".bifwatch-sweeps"


def save_figure(draw: Callable, path: str, *, crop: bool = False) -> None:
    """Call ``draw()`` (returns an Axes) on the Agg backend and save its figure to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = draw()
    if crop:  # a legend outside the axes
        ax.figure.savefig(path, dpi=120, bbox_inches="tight")
    else:
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=120)
    plt.close(ax.figure)


def model_inputs(model) -> dict | None:
    """A model's class and arrays as JSON-ready values (None for no model)."""
    if model is None:
        return None
    import numpy as np

    arrays = {k: np.asarray(v).tolist() for k, v in model.parameters().items()}
    return {"class": type(model).__name__, **arrays}


def default_store(kind: str, inputs: dict) -> str:
    """``.bifwatch-sweeps/<kind>-<12 hex digits of a sha256 of inputs>.sqlite`` (folder created)."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    os.makedirs(DEFAULT_STORE_DIR, exist_ok=True)
    return os.path.join(DEFAULT_STORE_DIR, f"{kind}-{digest}.sqlite")


def remove_store(store: str) -> None:
    """Delete a default store (with SQLite's side files) and its folder when that is empty."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(store + suffix).unlink(missing_ok=True)
    remove_folder()


def remove_folder() -> None:
    try:
        os.rmdir(DEFAULT_STORE_DIR)
    except OSError:  # other stores (of interrupted runs) are still there
        pass
