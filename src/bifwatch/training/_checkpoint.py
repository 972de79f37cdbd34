"""Training checkpoints (arrays + spec in one .npz, replaced atomically) and Ctrl-C between epochs."""

from __future__ import annotations

import json
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

#: Stored with every checkpoint; a file without it is not a bifwatch checkpoint. (The name is
#: from when checkpoints lived in bifwatch.ghosts; it stays so that those files still resume.)
FORMAT = "bifwatch.ghosts.checkpoint/1"


def save_checkpoint(path: str | os.PathLike, spec: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``spec`` to ``path`` through a temporary file and ``os.replace``.

    A process killed at any instant leaves either the previous checkpoint or the new one, never a
    torn file.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the folder of checkpoint {str(path)!r} does not exist; create it first")
    tmp = path.with_name(path.name + ".tmp")
    payload = {"__spec__": np.array(json.dumps({"format": FORMAT, **spec}, sort_keys=True))}
    with open(tmp, "wb") as handle:
        np.savez(handle, **payload, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike, spec: dict) -> dict[str, np.ndarray]:
    """The arrays of a checkpoint written for the same ``spec``.

    Raises
    ------
    ValueError
        If ``path`` is not a bifwatch checkpoint or was written for a different run (the message
        names the differing settings).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise ValueError(f"{str(path)!r} is not a readable bifwatch checkpoint ({err})") from err
    try:
        saved = json.loads(str(arrays.pop("__spec__")))
    except (KeyError, ValueError):
        saved = {}
    if saved.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a bifwatch training checkpoint; "
                         "remove it or choose another path")
    expected = {"format": FORMAT, **json.loads(json.dumps(spec))}
    differ = sorted(k for k in expected.keys() | saved.keys() if expected.get(k) != saved.get(k))
    if differ:
        raise ValueError(
            f"checkpoint {str(path)!r} belongs to a different run (differs in: {', '.join(differ)}); "
            "resume with the original settings, or remove the file to start afresh"
        )
    return arrays


def open_checkpoint(path: str | os.PathLike, spec: dict, *, resume: bool) -> dict[str, np.ndarray] | None:
    """The arrays to resume from, or None for a fresh start: the one rule of every trainer here.

    An existing checkpoint is continued only with ``resume=True`` (and only if it was written for
    the same ``spec``, see :func:`load_checkpoint`); a new one needs its folder to exist.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``resume`` is False.
    FileNotFoundError
        The folder of ``path`` does not exist.
    ValueError
        ``path`` is not a checkpoint of this run.
    """
    path = Path(path)
    if path.exists():
        if not resume:
            raise FileExistsError(f"checkpoint {str(path)!r} exists; pass resume=True (--resume) to continue "
                                  "it, or remove it to start afresh")
        return load_checkpoint(path, spec)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the folder of checkpoint {str(path)!r} does not exist; create it first")
    return None


class StopRequested(KeyboardInterrupt):
    """Ctrl-C or SIGTERM noticed between epochs; ``signal_number`` says which."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


@contextmanager
def deferred_sigint():
    """Ctrl-C and SIGTERM only set a flag (checked between epochs), so a checkpoint never holds
    half an update.

    Yields a function returning the signal number received (0 for none); the caller raises
    :class:`StopRequested` with it at the next epoch boundary.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: 0
        return

    def note(number, frame) -> None:
        received.append(number)

    previous = {number: signal.signal(number, note) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: received[0] if received else 0
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
