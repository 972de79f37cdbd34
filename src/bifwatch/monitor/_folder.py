"""A folder of checkpoints read for the monitor: the model file of each epoch and the loss history.

Either a run of ``bifwatch train`` (``RUN/checkpoints/`` and ``RUN/history.csv``, docs/training.md)
or any folder with one model file per epoch, the epoch the last integer of its name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..models import AbstractPLRNN, load_model
from ..training import read_history

#: The suffixes :func:`bifwatch.load_model` reads.
SUFFIXES = (".npz", ".pt", ".pth")
_INTEGER = re.compile(r"\d+")


@dataclass(frozen=True, eq=False)
class CheckpointFolder:
    """The model files of a training run, one per epoch, and its history (see
    :func:`read_checkpoint_folder`, which builds and checks it).

    Parameters
    ----------
    root : Path
        The folder given.
    epochs : tuple of int
        The epochs, ascending and unique.
    paths : tuple of Path
        The model file of each epoch, in the order of ``epochs``.
    kind : str
        The models' kind (all equal), e.g. ``"clipped-shplrnn"``.
    history : dict of str to ndarray, or None
        The history's columns as float arrays of one length (at least ``"epoch"`` and ``"loss"``),
        or None without a history.
    """

    root: Path
    epochs: tuple[int, ...]
    paths: tuple[Path, ...]
    kind: str
    history: dict[str, np.ndarray] | None

    def __post_init__(self):
        if len(self.epochs) != len(self.paths):
            raise ValueError(f"`epochs` and `paths` must have one length; got {len(self.epochs)} "
                             f"and {len(self.paths)}")
        if any(b <= a for a, b in zip(self.epochs, self.epochs[1:], strict=False)):
            raise ValueError(f"`epochs` must be ascending and unique; got {self.epochs}")
        if self.history is not None and not {"epoch", "loss"} <= set(self.history):
            raise ValueError("`history` must have the columns 'epoch' and 'loss'; "
                             f"got {sorted(self.history)}")

    def model(self, i: int) -> AbstractPLRNN:
        """The model of ``epochs[i]``, loaded from ``paths[i]`` (read anew on each call)."""
        return load_model(self.paths[i])

    def models(self) -> Iterator[AbstractPLRNN]:
        """The models in the order of ``epochs``, each loaded when reached."""
        for i in range(len(self.paths)):
            yield self.model(i)

    def loss_at(self, epochs) -> np.ndarray:
        """The history's loss at ``epochs`` (int or array of ints), NaN where no row records it
        (all NaN without a history); an array of the shape of ``epochs``.

        In a ``bifwatch train`` run the row of epoch E is the training that led to checkpoint E,
        so epoch 0 (the initialisation) has no loss.
        """
        asked = np.asarray(epochs, dtype=float)
        if np.any(asked != np.round(asked)):
            raise ValueError(f"`epochs` must be whole numbers; got {epochs!r}")
        if self.history is None:
            return np.full(asked.shape, np.nan)
        table = dict(zip(self.history["epoch"].tolist(), self.history["loss"].tolist(), strict=True))
        return np.vectorize(lambda e: table.get(e, np.nan), otypes=[float])(asked)


def read_checkpoint_folder(path: str | os.PathLike, *,
                           history: str | os.PathLike | None = None) -> CheckpointFolder:
    """Read and check a folder of checkpoints: one model file per epoch, and a loss history.

    Parameters
    ----------
    path : str or path
        Either a run of ``bifwatch train`` (a folder with ``checkpoints/``: its model files are
        read from there, its history from ``history.csv`` beside ``checkpoints/``; ``state/`` and
        the other files are ignored), or any folder of model files, one per epoch, each read by
        :func:`bifwatch.load_model` (``.npz``, ``.pt``, ``.pth``), with an optional ``history.csv``
        beside them. The epoch of a file is the last integer in its name: ``epoch_000100.npz``
        -> 100, ``ckpt-3-step-250.pt`` -> 250, ``model12.npz`` -> 12; epochs need not be evenly
        spaced. Ignored: subfolders, files of other suffixes, files without an integer in their
        name and names beginning with ``.``.
    history : str or path, optional
        The history's CSV file, instead of the folder's ``history.csv``. A history has a header
        line with at least the columns ``epoch`` and ``loss`` and one row per epoch; every column
        is kept, read as floats (an empty cell is NaN).

    Returns
    -------
    CheckpointFolder

    Raises
    ------
    FileNotFoundError
        ``path`` (or ``history``) does not exist.
    NotADirectoryError
        ``path`` is a file.
    ValueError
        No model files; two files of one epoch; models of different kinds or parameter shapes
        (or an ALRNN's ``P``); a file :func:`bifwatch.load_model` cannot read; a history that is
        not CSV with a header, lacks ``epoch`` or ``loss``, has a non-numeric cell, a
        non-integer epoch or an epoch twice. Each message names the file(s).

    Notes
    -----
    Each model is loaded once here, to check that all are of one kind and shape; the folder
    keeps the paths, and :meth:`CheckpointFolder.model` loads a model again when asked.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from bifwatch import PLRNN, save_model
    >>> from bifwatch.monitor import read_checkpoint_folder
    >>> folder = Path(tempfile.mkdtemp())
    >>> for epoch in (0, 5, 20):
    ...     _ = save_model(PLRNN(A=[0.5], W=[[epoch / 100]], h=[1.0]), folder / f"ckpt_{epoch}.npz")
    >>> _ = (folder / "history.csv").write_text("epoch,loss\\n5,0.3\\n20,0.1\\n")
    >>> run = read_checkpoint_folder(folder)
    >>> run.epochs, run.kind
    ((0, 5, 20), 'plrnn')
    >>> run.loss_at(run.epochs)
    array([nan, 0.3, 0.1])
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"checkpoint folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(f"{str(root)!r} is a file; give the folder of checkpoints (or of a run)")
    models = root / "checkpoints" if (root / "checkpoints").is_dir() else root
    epochs, paths = _model_files(models)
    kind = _check_models(paths)
    table = root / "history.csv" if history is None else Path(history)
    if history is not None and not table.is_file():
        raise FileNotFoundError(f"history file {str(table)!r} does not exist")
    return CheckpointFolder(root=root, epochs=epochs, paths=paths, kind=kind,
                            history=_positive_loss(table, read_history(table)) if table.is_file() else None)


def _positive_loss(table: Path, history: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The history, if its loss can be analysed: > 0 (or NaN/inf, a divergence) in every row."""
    bad = np.flatnonzero(history["loss"] <= 0)
    if bad.size:
        r = int(bad[0]) + 1
        raise ValueError(f"history {str(table)!r} row {r} (line {r + 1}): the loss must be > 0 (jumps are "
                         f"found on its log); got {history['loss'][bad[0]]}")
    return history


def _model_files(folder: Path) -> tuple[tuple[int, ...], tuple[Path, ...]]:
    """The epochs (ascending) and model files of ``folder``; two files of one epoch are refused."""
    found: dict[int, Path] = {}
    for file in sorted(folder.iterdir()):
        numbers = _INTEGER.findall(file.name[: -len(file.suffix) or None])
        if not file.is_file() or file.suffix not in SUFFIXES or not numbers or file.name.startswith("."):
            continue
        epoch = int(numbers[-1])
        if epoch in found:
            raise ValueError(f"two model files for epoch {epoch}: {str(found[epoch])!r} and {str(file)!r}; "
                             "keep one per epoch (the epoch is the last integer of the name)")
        found[epoch] = file
    if not found:
        raise ValueError(f"no model files in {str(folder)!r}: looked for {', '.join(SUFFIXES)} files "
                         "with the epoch (an integer) in their name")
    epochs = tuple(sorted(found))
    return epochs, tuple(found[e] for e in epochs)


def _check_models(paths: tuple[Path, ...]) -> str:
    """Load each model once; all must be of the first one's kind, arrays and shapes (and ``P``)."""
    first, first_shape = None, None
    for file in paths:
        model = _load(file)
        shape = _signature(model)
        if first is None:
            first, first_kind, first_shape = file, model.kind, shape
        elif model.kind != first_kind:
            raise ValueError(f"models of different kinds: {str(file)!r} holds a {model.kind!r}, "
                             f"but {str(first)!r} a {first_kind!r}")
        elif shape != first_shape:
            raise ValueError(f"models of different shapes: {str(file)!r} has "
                             f"{_describe(shape, first_shape)}, "
                             f"but {str(first)!r} has {_describe(first_shape, shape)}")
    return first_kind


def _load(file: Path) -> AbstractPLRNN:
    try:
        return load_model(file)
    except Exception as err:  # numpy, zipfile and torch raise many types for unreadable files
        raise ValueError(f"cannot read model file {str(file)!r}: {err}") from err


def _signature(model: AbstractPLRNN) -> dict[str, tuple]:
    """Each parameter's shape; for an ALRNN's ``P`` (a 0-d array) its value."""
    return {name: (("P", int(value)) if name == "P" else tuple(np.shape(value)))
            for name, value in model.parameters().items()}


def _describe(shape: dict[str, tuple], other: dict[str, tuple]) -> str:
    """The parameters of ``shape`` that differ from ``other``, e.g. "W1 (8, 2)"."""
    parts = [f"P = {s[1]}" if name == "P" else f"{name} {s}" for name, s in shape.items()
             if other.get(name) != s]
    return ", ".join(parts) or "no " + ", ".join(sorted(set(other) - set(shape)))
