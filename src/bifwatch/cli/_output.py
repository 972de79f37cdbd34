"""What the commands write: figures, and the default store or checkpoint that makes ``--resume`` work."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

#: Folder (in the current directory) of the stores of runs without ``--store``.
DEFAULT_STORE_DIR = ".bifwatch-sweeps"

#: Options naming a file a command writes (checked before anything is computed).
OUTPUT_FILES = ("json", "plot", "dataset")


def check_output_paths(args) -> None:
    """Check every output path of ``args`` before the computation (``--out`` is created).

    A file (``--json``, ``--plot``, ``--dataset``) must not be a folder, its folder must exist
    and be writable, and a figure's suffix must be a format matplotlib writes. ``--out`` is a
    folder, created when its parent exists. Raises ``UsageError`` (one line) otherwise.
    """
    for name in OUTPUT_FILES:
        path = getattr(args, name, None)
        if path:
            _check_output_file(f"--{name}", path)
    if getattr(args, "plot", None):
        _check_figure_format(args.plot)
    if getattr(args, "out", None):
        _make_output_folder(args.out)


def _check_output_file(flag: str, path: str) -> None:
    from ._parser import UsageError

    if os.path.isdir(path):
        raise UsageError(f"{flag} {path!r} is a directory; give a file name in it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{flag}: cannot write {path!r}: No such file or directory (folder "
                         f"{os.path.dirname(path) or '.'!r} does not exist; create it first)")
    if not os.access(path if os.path.exists(path) else folder, os.W_OK):
        raise UsageError(f"{flag}: cannot write {path!r}: permission denied")


def _check_figure_format(path: str) -> None:
    from matplotlib.backend_bases import FigureCanvasBase

    from ._parser import UsageError

    suffix = os.path.splitext(path)[1][1:].lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise UsageError(f"--plot {path!r}: Format {suffix!r} is not supported (supported formats: "
                         f"{', '.join(sorted(formats))})")


def _make_output_folder(folder: str) -> None:
    from ._parser import UsageError

    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"--out {folder!r} is a file, not a folder")
    parent = os.path.dirname(os.path.abspath(folder))
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise UsageError(f"--out folder {folder!r} cannot be made: {parent!r} is a file, not a folder")
    if not os.path.isdir(parent):
        raise UsageError(f"--out folder {folder!r} cannot be made: its parent {parent!r} does not exist; "
                         "create it first")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--out folder {folder!r} cannot be made: {err.strerror or err}") from err
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--out: cannot write in {folder!r}: permission denied")


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
