"""User data from files: ``.npy``, ``.npz`` and ``.csv`` time series, one or several trials."""

from __future__ import annotations

import os
import pickle
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .._validation import to_numpy
from ._dataset import Dataset
from ._series import as_trials

SUFFIXES = (".npy", ".npz", ".csv")
#: What np.load and np.loadtxt raise for a file that is not what its suffix says.
_UNREADABLE = (ValueError, OSError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError)


def load_series(path: str | os.PathLike, *, test: str | os.PathLike | None = None,
                zscore: bool = False) -> Dataset:
    """A data set from a file of observed time series (T time steps by N dimensions).

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file holding a (T, N) array or a (K, T, N) stack of K trials; a ``.npz``
        archive whose arrays are each one (T_i, N) trial, taken in the archive's order; or a
        ``.csv`` file of T rows and N comma-separated columns, with an optional first line of
        column names (skipped when any of its fields is not a number) and ``#`` comments.
    test : str or path-like or None, default None
        A file in one of the same formats whose first trial is the test series. None uses the
        training series itself as the test series: evaluation is then in-sample.
    zscore : bool, default False
        Standardise every trial and the test series with the mean and standard deviation of all
        training trials together. False leaves the data as they are (``mean`` zeros, ``std`` ones).

    Returns
    -------
    Dataset
        ``name`` the file's name; ``train`` the first trial; ``trials`` all of them (None for
        one); ``test`` as above; ``dt=None``; ``settings={"data": str(path), "test": ...,
        "zscore": ..., "trials": K}``.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        ``path`` (or ``test``) does not exist, or is a folder.
    ValueError
        An unknown suffix; a file that is not what its suffix says (one line naming the file);
        data that are not (T, N) with T >= 2, hold NaN or Inf (the first bad row is named) or
        whose trials, or test series, differ in N; a constant dimension with ``zscore=True``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "walk.csv").write_text("x,y\\n0,1\\n1,3\\n2,2\\n")
    >>> data = load_series(folder / "walk.csv")
    >>> data
    Dataset('walk.csv', N=2, train=(3, 2), test=(3, 2), dt=None)
    >>> data.train[:, 1].tolist()
    [1.0, 3.0, 2.0]
    """
    if not isinstance(zscore, bool):
        raise TypeError(f"`zscore` must be True or False; got {zscore!r}")
    trials = _read_trials(path, "path")
    test_series = trials[0] if test is None else _read_trials(test, "test")[0]
    if test_series.shape[1] != trials[0].shape[1]:
        raise ValueError(f"`test` must have N = {trials[0].shape[1]} columns like `path`; "
                         f"got shape {test_series.shape} from {os.fspath(test)}")
    N = trials[0].shape[1]
    mean, std = (_pooled_statistics(trials, path) if zscore else (np.zeros(N), np.ones(N)))
    trials = tuple((trial - mean) / std for trial in trials)
    settings = {"data": str(path), "test": None if test is None else str(test), "zscore": zscore,
                "trials": len(trials)}
    return Dataset(Path(path).name, train=trials[0],
                   test=trials[0] if test is None else (test_series - mean) / std, dt=None,
                   mean=mean, std=std, settings=settings, trials=trials if len(trials) > 1 else None)


def _read_trials(path: str | os.PathLike, name: str) -> tuple[np.ndarray, ...]:
    """The trials in the file at ``path``, checked; ``name`` is the argument's name for the messages."""
    try:
        path = Path(os.fspath(path))
    except TypeError:
        kind = type(path).__name__
        raise TypeError(f"`{name}` must be a file path (str or os.PathLike); got {kind}") from None
    if path.is_dir():
        raise IsADirectoryError(f"`{name}` must be a file; {str(path)!r} is a folder")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"`{name}` must end in one of {', '.join(SUFFIXES)}; got {str(path)!r}")
    if not path.exists():
        raise FileNotFoundError(f"`{name}`: no such file {str(path)!r}")
    reader = {".npy": _read_npy, ".npz": _read_npz, ".csv": _read_csv}[suffix]
    try:
        data = reader(path)
    except _UNREADABLE as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"`{name}`: {str(path)!r} is not a readable {suffix} file ({reason})") from None
    for key, trial in data.items() if isinstance(data, dict) else ():
        if trial.ndim != 2:
            raise ValueError(f"`{name}`: array {key!r} of {str(path)!r} must be one (T, N) trial of T time "
                             f"steps by N observed dimensions; got shape {trial.shape}")
    return as_trials(list(data.values()) if isinstance(data, dict) else data, path.name)


def _read_npy(path: Path) -> np.ndarray:
    data = np.load(path, allow_pickle=False)
    if not isinstance(data, np.ndarray):  # np.load opens a zip archive whatever its name
        data.close()
        raise ValueError("it is an .npz archive; rename it to .npz")
    return _numeric(data)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    data = np.load(path, allow_pickle=False)
    if isinstance(data, np.ndarray):
        raise ValueError("it holds a single .npy array; rename it to .npy")
    with data:
        if not data.files:
            raise ValueError("the archive holds no arrays")
        return {key: _numeric(data[key]) for key in data.files}


def _read_csv(path: Path) -> np.ndarray:
    with open(path, encoding="utf-8") as handle:
        first = handle.readline()
    header = any(not _is_number(field) for field in first.split(","))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy only warns about an empty file; here it is an error
        try:
            data = np.loadtxt(path, delimiter=",", ndmin=2, skiprows=int(header), dtype=np.float64)
        except UserWarning:
            data = np.empty((0, 0))
    if data.size == 0:
        raise ValueError("it holds no numbers")
    return data


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numeric(array: np.ndarray) -> np.ndarray:
    """``array`` as float64, or a ValueError (not numpy's TypeError) for strings and other non-numbers."""
    try:
        return to_numpy("data", array)
    except TypeError as err:
        raise ValueError(f"it holds non-numeric data, dtype {array.dtype}") from err


def _pooled_statistics(trials: tuple[np.ndarray, ...], path: object) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.concatenate(trials, axis=0)
    mean, std = stacked.mean(axis=0), stacked.std(axis=0)
    constant = np.flatnonzero(std == 0)
    if constant.size:
        raise ValueError(f"`path`: column {int(constant[0])} of {os.fspath(path)!r} is constant, so it "
                         "cannot be z-scored; drop it or pass zscore=False")
    return mean, std
