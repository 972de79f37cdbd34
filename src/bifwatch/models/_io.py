"""Models from files: ``.npz`` arrays named as in the equations, PyTorch files, bundled examples."""

from __future__ import annotations

import os
import zipfile
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from ._base import AbstractPLRNN
from ._files import check_begins
from ._observation import PREFIX as OBSERVATION_PREFIX
from ._observation import Observation, observation_arrays, observation_from_arrays
from ._plrnn import ALRNN, PLRNN
from ._relu_rnn import ReLURNN
from ._shallow import ClippedShPLRNN, ShPLRNN

KINDS: dict[str, type[AbstractPLRNN]] = {
    cls.kind: cls for cls in (PLRNN, ShPLRNN, ClippedShPLRNN, ALRNN, ReLURNN)
}
_ARRAYS = {
    "plrnn": ({"A", "W", "h"}, {"slope"}),
    "alrnn": ({"A", "W", "h", "P"}, set()),
    "shplrnn": ({"A", "W1", "W2", "h1", "h2"}, {"slope"}),
    "clipped-shplrnn": ({"A", "W1", "W2", "h1", "h2"}, set()),
    "relu-rnn": ({"W", "b"}, set()),
}
_TORCH_SUFFIXES = (".pt", ".pth")
EXAMPLE_PREFIX = "example:"


def load_model(path: str | os.PathLike, *, kind: str | None = None) -> AbstractPLRNN:
    """Load a model from an ``.npz`` file, a PyTorch file or a bundled example.

    Parameters
    ----------
    path : str or path
        - ``*.npz``: arrays named as in the equations: ``A, W, h`` (PLRNN), plus ``P`` (ALRNN),
          ``A, W1, W2, h1, h2`` (shallow PLRNN), ``W, b`` (ReLU RNN); an optional string array
          ``kind`` names the class;
        - ``*.pt`` / ``*.pth``: a ``torch.nn.RNN(nonlinearity="relu")`` state dict with its
          constant input (see :func:`bifwatch.load_torch_rnn`); imports torch;
        - ``example:NAME``: a model shipped with bifwatch (see :func:`bifwatch.list_examples`).
    kind : str, optional
        One of ``plrnn``, ``shplrnn``, ``clipped-shplrnn``, ``alrnn``, ``relu-rnn``; by default
        inferred from the array names (``clipped-shplrnn`` must be named, since it has the same
        arrays as ``shplrnn``).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    IsADirectoryError
        ``path`` is a folder.
    ValueError
        Unknown kind, unknown file type, a file that is not of the format its suffix says, a
        PyTorch RNN that is not ReLU, or arrays missing or unexpected for the kind.

    Warns
    -----
    UserWarning
        A PyTorch file that does not record its ``"input"`` or ``"nonlinearity"``: what was assumed.

    Examples
    --------
    >>> from bifwatch import load_model
    >>> load_model("example:tent").kind
    'plrnn'
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"`kind` must be one of {sorted(KINDS)}; got {kind!r}")
    text = os.fspath(path)
    if text.startswith(EXAMPLE_PREFIX):
        return _load_npz(_example_path(text[len(EXAMPLE_PREFIX) :]), kind)
    file = Path(text)
    if file.is_dir():
        raise IsADirectoryError(
            f"model file {text!r} is a directory; give a .npz, .pt or .pth file (or example:NAME)"
        )
    if not file.is_file():
        raise FileNotFoundError(f"model file {text!r} does not exist")
    if file.suffix == ".npz":
        return _load_npz(file, kind)
    if file.suffix in _TORCH_SUFFIXES:
        if kind not in (None, "relu-rnn"):
            raise ValueError(f"a PyTorch file holds a 'relu-rnn'; got --kind {kind!r}")
        from ._torch import load_torch_rnn

        return load_torch_rnn(file)
    raise ValueError(
        f"model file {text!r}: expected a .npz, .pt or .pth file; got suffix {file.suffix!r}"
    )


def save_model(model: AbstractPLRNN, path: str | os.PathLike, *, observation: Observation | None = None
               ) -> Path:
    """Save ``model`` as an ``.npz`` that :func:`load_model` reads back (with its ``kind``).

    ``observation`` (an :class:`IdentityObservation` or :class:`AffineObservation`) is stored
    beside it, as members ``observation/...``, and read back by :func:`load_observation`.

    Raises
    ------
    TypeError
        ``model`` is not a bifwatch model.
    ValueError
        ``path`` does not end in ``.npz`` (numpy would silently append it).
    """
    if not isinstance(model, AbstractPLRNN):
        raise TypeError(f"`model` must be a bifwatch model; got {type(model).__name__}")
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"`path` must end in .npz; got {os.fspath(path)!r}")
    extra = {} if observation is None else observation_arrays(observation)
    with open(path, "wb") as handle:
        np.savez(handle, kind=np.array(model.kind), **model.parameters(), **extra)
    return path


def load_observation(path: str | os.PathLike) -> Observation | None:
    """The observation model stored with a model by ``save_model(..., observation=...)``, or None.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, ValueError
        As :func:`load_model`, for a file that cannot be read or holds a broken observation.

    Examples
    --------
    >>> from bifwatch.models import load_observation
    >>> load_observation("example:tent") is None
    True
    """
    text = os.fspath(path)
    if text.startswith(EXAMPLE_PREFIX):
        file = _example_path(text[len(EXAMPLE_PREFIX):])
    else:
        file = Path(text)
        if file.is_dir():
            raise IsADirectoryError(f"model file {text!r} is a directory")
        if not file.is_file():
            raise FileNotFoundError(f"model file {text!r} does not exist")
        if file.suffix != ".npz":
            return None
    return observation_from_arrays(_read_npz(file), repr(text))


def list_examples() -> list[str]:
    """Names of the bundled example models, usable as ``example:NAME``."""
    folder = resources.files("bifwatch") / "data"
    return sorted(p.name[: -len(".npz")] for p in folder.iterdir() if p.name.endswith(".npz"))


def _example_path(name: str):
    names = list_examples()
    if name not in names:
        raise ValueError(f"unknown example {name!r}; bundled examples are {names}")
    return resources.files("bifwatch") / "data" / f"{name}.npz"


def _load_npz(file, kind: str | None) -> AbstractPLRNN:
    arrays = {k: v for k, v in _read_npz(file).items() if not k.startswith(OBSERVATION_PREFIX)}
    stored = arrays.pop("kind", None)
    if kind is None and stored is not None:
        kind = str(stored)
        if kind not in KINDS:
            raise ValueError(f"{os.fspath(file)!r}: stored kind must be one of {sorted(KINDS)}; got {kind!r}")
    kind = kind or _infer_kind(set(arrays), file)
    required, optional = _ARRAYS[kind]
    missing, extra = required - set(arrays), set(arrays) - required - optional
    if missing or extra:
        raise ValueError(
            f"{os.fspath(file)!r} as kind {kind!r} needs arrays {sorted(required)}"
            + (f"; missing {sorted(missing)}" if missing else "")
            + (f"; unexpected {sorted(extra)}" if extra else "")
        )
    for scalar in ("P", "slope"):
        if scalar in arrays:
            arrays[scalar] = arrays[scalar].item() if arrays[scalar].size == 1 else arrays[scalar]
    return KINDS[kind](**arrays)


def _read_npz(file) -> dict[str, np.ndarray]:
    # np.load raises EOFError (empty file) or BadZipFile/zlib.error (corrupt archive) besides
    # OSError/ValueError, returns a bare array for a .npy, and bytes for a member that is no .npy.
    where = f"could not read {os.fspath(file)!r} as an .npz file"
    try:  # np.load would read anything else as a pickle
        check_begins(file, (b"PK", b"\x93NUMPY"), where, "a NumPy .npz archive",
                     "np.savez writes a zip of .npy arrays")
    except OSError as err:  # e.g. no permission to read it
        raise ValueError(f"{where}: {err.strerror or err}") from err
    try:
        data = np.load(file, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not named arrays (save with np.savez)")
        with data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise ValueError(f"{where}: {str(err) or type(err).__name__}") from err
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{where}: member {name!r} is not a .npy array")
    return arrays


def _infer_kind(names: set[str], file) -> str:
    for kind in ("alrnn", "plrnn", "shplrnn", "relu-rnn"):
        required, optional = _ARRAYS[kind]
        if required <= names <= required | optional:
            return kind
    raise ValueError(
        f"cannot tell the model kind of {os.fspath(file)!r} from its arrays {sorted(names)}; "
        "expected A, W, h (plrnn), A, W, h, P (alrnn), A, W1, W2, h1, h2 (shplrnn), or W, b "
        "(relu-rnn); or pass kind=... / --kind"
    )
