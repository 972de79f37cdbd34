"""The sweep store: finished task results in one SQLite file, safe against a killed process."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Written into the meta table; a file without it is not a sweep store.
FORMAT = "bifwatch.sweep/1"

_SCHEMA = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
    "CREATE TABLE results (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)",
)


class SweepStore:
    """Results of a sweep's finished tasks, one row per task key, in a crash-safe SQLite file.

    Parameters
    ----------
    path : str or os.PathLike
        The store file (e.g. ``"diagram.sqlite"``). Its directory must exist.
    spec : dict
        JSON-serialisable description of the sweep (model parameters as lists, ranges, grid,
        options). Saved when the store is created; a resumed store must have the same spec.
    resume : bool, default False
        Continue an existing store. Without it an existing file is an error, so that a finished
        sweep is never mixed up with a new one. With it a missing file is simply created.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``resume`` is False.
    FileNotFoundError
        If the directory of ``path`` does not exist.
    ValueError
        If ``path`` exists but is not a sweep store, or was made for a different ``spec``
        (the message names the differing top-level keys).
    TypeError
        If ``spec`` is not a JSON-serialisable dict.

    Notes
    -----
    Every :meth:`put` is one SQLite transaction in WAL mode, so a process killed at any instant
    leaves either the whole row or nothing; the next open recovers the file. Rows are unique by
    key: writing a key again keeps the first value. With ``synchronous=NORMAL`` a killed process
    loses nothing that was committed; a power cut may lose the last few results, which a resumed
    sweep computes again.

    Values are pickled, so open only store files you trust (like any pickle). Only one process,
    the sweep's driver, should write to a store; readers may open it at the same time.

    This is a resource with an open connection, not a frozen value: close it (or use it as a
    context manager) when done.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "sweep.sqlite")
    ...     with SweepStore(path, spec={"a": [0.0, 1.0]}) as store:
    ...         store.put("row-0", [1, 2, 3])
    ...     with SweepStore(path, spec={"a": [0.0, 1.0]}, resume=True) as store:
    ...         print(len(store), store["row-0"], "row-0" in store)
    1 [1, 2, 3] True
    """

    def __init__(self, path: str | os.PathLike, *, spec: dict, resume: bool = False) -> None:
        self._path = Path(path)
        spec_text = _spec_text(spec)
        _check_directory(self._path)
        existed = self._path.exists()
        if existed and not resume:
            raise FileExistsError(
                f"sweep store '{self._path}' already exists; pass resume=True (--resume) to "
                "continue it, or remove the file"
            )
        self._connection: sqlite3.Connection | None = _connect(self._path)
        try:
            self._spec = _open_or_create(self._connection, self._path, spec_text)
        except BaseException:
            self.close()
            raise

    # ----------------------------------------------------------------------------------------
    # Writing and reading

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` (pickled) under ``key`` in one transaction; an existing key is kept."""
        blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        statement = "INSERT OR IGNORE INTO results (key, value) VALUES (?, ?)"
        self._open().execute(statement, (_check_key(key), blob))  # autocommit: one transaction

    def __getitem__(self, key: str) -> Any:
        row = self._open().execute("SELECT value FROM results WHERE key = ?", (_check_key(key),)).fetchone()
        if row is None:
            raise KeyError(f"no result for key {key!r} in sweep store '{self._path}'")
        return pickle.loads(row[0])

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` when there is none."""
        try:
            return self[key]
        except KeyError:
            return default

    def keys(self) -> set[str]:
        """The keys of all stored results."""
        return {key for (key,) in self._open().execute("SELECT key FROM results")}

    def items(self) -> list[tuple[str, Any]]:
        """All ``(key, value)`` pairs, sorted by key."""
        rows = self._open().execute("SELECT key, value FROM results ORDER BY key")
        return [(key, pickle.loads(blob)) for key, blob in rows]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        query = "SELECT 1 FROM results WHERE key = ?"
        return self._open().execute(query, (key,)).fetchone() is not None

    def __len__(self) -> int:
        return self._open().execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.keys()))

    # ----------------------------------------------------------------------------------------
    # Description and life cycle

    @property
    def path(self) -> Path:
        """The store file."""
        return self._path

    @property
    def spec(self) -> dict:
        """The sweep description saved in the store (a fresh copy)."""
        return json.loads(self._spec)

    def close(self) -> None:
        """Close the file (idempotent); everything put so far is already committed."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._connection is None else f"{len(self)} results"
        return f"SweepStore('{self._path}', {state})"

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError(f"sweep store '{self._path}' is closed")
        return self._connection


# --------------------------------------------------------------------------------------------
# Helpers


def _spec_text(spec: dict) -> str:
    """The canonical JSON text of ``spec`` (sorted keys), with a fix-it error if it has none."""
    if not isinstance(spec, dict):
        raise TypeError(f"`spec` must be a dict describing the sweep; got {type(spec).__name__}")
    try:
        return json.dumps(spec, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"`spec` must be JSON-serialisable (convert arrays with .tolist() and numpy scalars "
            f"with float()/int()); got an error: {error}"
        ) from error


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"sweep store keys must be str; got {key!r} of type {type(key).__name__}")
    return key


def _check_directory(path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"directory '{folder}' for sweep store '{path.name}' does not exist; create it first"
        )


def _connect(path: Path) -> sqlite3.Connection:
    """Autocommit connection: every statement outside an explicit transaction commits itself."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as error:
        connection.close()
        raise ValueError(f"'{path}' is not a sweep store (not an SQLite file: {error})") from error
    return connection


def _open_or_create(connection: sqlite3.Connection, path: Path, spec_text: str) -> str:
    """Create the tables in a fresh (or empty) file, or check an existing store's spec."""
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:  # a new file, or one whose creation was killed before its single commit
        connection.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA:
            connection.execute(statement)
        meta = [("format", FORMAT), ("spec", spec_text)]
        connection.executemany("INSERT INTO meta (name, value) VALUES (?, ?)", meta)
        connection.execute("COMMIT")
        return spec_text
    meta = _read_meta(connection) if "meta" in tables else {}
    if meta.get("format") != FORMAT or "results" not in tables:
        raise ValueError(
            f"'{path}' is not a sweep store (an SQLite file without bifwatch's meta table); "
            "choose another path"
        )
    _check_same_spec(path, stored=meta["spec"], given=spec_text)
    return meta["spec"]


def _read_meta(connection: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(connection.execute("SELECT name, value FROM meta"))
    except sqlite3.DatabaseError:  # another program's table called "meta"
        return {}


def _check_same_spec(path: Path, *, stored: str, given: str) -> None:
    """Raise if the two specs differ, naming the top-level keys that do."""
    old, new = json.loads(stored), json.loads(given)
    differ = sorted(key for key in old.keys() | new.keys() if _canonical(old, key) != _canonical(new, key))
    if differ:
        names = ", ".join(f"'{key}'" for key in differ)
        raise ValueError(
            f"sweep store '{path}' was made for a different sweep: keys {names} differ "
            f"(stored {_short({k: old.get(k, '<missing>') for k in differ})}, "
            f"given {_short({k: new.get(k, '<missing>') for k in differ})}); "
            "resume with the original settings or use a new store file"
        )


def _canonical(spec: dict, key: str) -> str:
    """Comparable text of ``spec[key]`` (so that NaN equals NaN), or "<missing>"."""
    return json.dumps(spec[key], sort_keys=True) if key in spec else "<missing>"


def _short(value: object, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."
