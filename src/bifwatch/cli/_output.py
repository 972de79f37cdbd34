"""What the commands write: figures, and the default store or checkpoint that makes ``--resume`` work."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

#: Folder (in the current directory) of the stores of runs without ``--store``.
DEFAULT_STORE_DIR = ".bifwatch-sweeps"


def save_figure(draw: Callable, path: str, *, crop: bool = False) -> None:
    """Call ``draw()`` on the Agg backend and save what it drew to ``path``.

    ``draw()`` returns a Figure (saved as laid out), an Axes (its figure gets ``tight_layout``
    first) or an array of Axes (their figure, saved as laid out). ``crop`` trims to the drawn
    area, for a legend outside the axes.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = draw()
    if hasattr(drawn, "savefig"):
        fig = drawn
    elif hasattr(drawn, "figure"):
        fig = drawn.figure
        if not crop:
            fig.tight_layout()
    else:
        fig = drawn.flat[0].figure
    if crop:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    else:
        fig.savefig(path, dpi=120)
    plt.close(fig)


def model_inputs(spec: dict, key: str = "model") -> dict | None:
    """A model of a path's ``spec()`` as default store names hash it: ``{"class": ..., **arrays}``.

    ``key`` is ``"model"`` (a path's model or start) or ``"end"`` (a ModelPath's end; None for a
    path without one). The layout is the one the names were always made of, so an identical
    command finds the store of its interrupted run.
    """
    if key not in spec:
        return None
    return {"class": spec["class"], **spec[key]}


def default_store(kind: str, inputs: dict, *, suffix: str = ".sqlite") -> str:
    """``.bifwatch-sweeps/<kind>-<12 hex digits of a sha256 of inputs><suffix>`` (folder created)."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    os.makedirs(DEFAULT_STORE_DIR, exist_ok=True)
    return os.path.join(DEFAULT_STORE_DIR, f"{kind}-{digest}{suffix}")


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
