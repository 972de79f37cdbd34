"""The on-disk cache of generated trajectories: one ``.npz`` per system and settings, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np


def cache_dir() -> Path:
    """``$BIFWATCH_CACHE/datasets`` when that variable is set, else ``~/.cache/bifwatch/datasets``."""
    root = os.environ.get("BIFWATCH_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "bifwatch"
    return base / "datasets"


def cache_path(system: str, key: dict) -> Path:
    """The file for ``system`` generated with ``key``: the name, then 12 hex digits of the key's SHA-256."""
    digest = hashlib.sha256(_key_text(key).encode()).hexdigest()[:12]
    return cache_dir() / f"{system}-{digest}.npz"


def read_cached(path: Path, key: dict) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path`` for ``key``; None when missing, unreadable or for another key.

    An unreadable file, or one that holds another key (a hash collision, a file copied by hand),
    is not an error: the caller regenerates and overwrites it. A warning says so.
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            stored = {name: archive[name] for name in archive.files}
        if str(stored.pop("key")) != _key_text(key):
            raise ValueError("it was written for other settings")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        warnings.warn(f"ignoring the cached data set {path} ({err}); generating it again",
                      UserWarning, stacklevel=5)
        return None
    return stored


def write_cached(path: Path, key: dict, arrays: dict[str, np.ndarray]) -> None:
    """Store ``arrays`` at ``path`` (a temporary file in the same folder, then ``os.replace``).

    A cache that cannot be written (a read-only home, a full disk) only warns: the data set
    was generated and is returned all the same.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, key=np.array(_key_text(key)), **arrays)
            os.chmod(temporary, 0o644)  # mkstemp makes it private; a cache may be shared
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as err:
        warnings.warn(f"could not write the data-set cache {path} ({err}); set BIFWATCH_CACHE to a "
                      "writable folder or pass cache=False", UserWarning, stacklevel=5)


def _key_text(key: dict) -> str:
    return json.dumps(key, sort_keys=True, allow_nan=False)
