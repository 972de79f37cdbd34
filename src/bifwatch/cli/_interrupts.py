"""When a run is stopped: Ctrl-C, SIGTERM, a closed stdout (``| head -1``), and the store left behind.

- Ctrl-C and SIGTERM stop a sweep the same way (pending tasks cancelled, workers terminated, the
  pool closed, so no leaked semaphores); the one line on stderr names the store and the command
  that continues it, and the exit status is 128 + the signal (130, 143), not that of bad input.
- When stdout's reader goes away the rest of the output goes to /dev/null: the files asked for
  are still written, the default store is still removed, and the status is 141 (128 + SIGPIPE),
  without Python's "Exception ignored ... BrokenPipeError" at exit.
- A store that already exists (left by a stopped run) is named before anything runs, with the
  flag to add.
- A run that fails otherwise removes its default store when it holds no finished result (so the
  identical command is not refused); one with results is kept, and the error line says so.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator

from ._parser import UsageError

#: Exit status when stdout's reader has gone (128 + SIGPIPE, as for a process killed by it).
BROKEN_PIPE_STATUS = 128 + signal.SIGPIPE


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would raise ``KeyboardInterrupt`` (so the same cleanup runs)."""


class Interrupted(KeyboardInterrupt):
    """A run stopped by ``signal_number``; its finished part is in ``store`` (None: none kept).

    ``part`` names what is kept there, for the line on stderr ("the finished part of the sweep").
    """

    def __init__(self, signal_number: int, store: str | None, part: str = "the finished part of the sweep"
                 ) -> None:
        super().__init__(signal_number, store)
        self.signal_number, self.store, self.part = signal_number, store, part


def check_store(store: str, *, default: bool, resume: bool) -> None:
    """Refuse to start over an existing store without ``--resume``, saying what to do instead."""
    if resume or not os.path.exists(store):
        return
    if default:
        raise UsageError(
            f"an unfinished run of this command left its store '{store}' (it already exists): add "
            "--resume to continue it, or remove that file to start again"
        )
    raise UsageError(
        f"--store '{store}' already exists: add --resume to continue it (a finished sweep's store gives "
        "its results at once), or remove the file, or choose another path"
    )


@contextlib.contextmanager
def stopped_by_signals(store: str, part: str = "the finished part of the sweep") -> Iterator[None]:
    """Treat SIGTERM as Ctrl-C inside the block; either leaves as :class:`Interrupted` naming ``store``."""
    previous = _on_sigterm(_raise_terminated)
    try:
        yield
    except KeyboardInterrupt as error:
        # a trainer notices SIGTERM between epochs itself and says so (training.StopRequested)
        number = signal.SIGTERM if isinstance(error, Terminated) else getattr(error, "signal_number",
                                                                             signal.SIGINT)
        raise Interrupted(number, store if os.path.exists(store) else None, part) from None
    finally:
        _on_sigterm(previous)


def run_in_store(store: str, *, default: bool, resume: bool, compute: Callable[[], object],
                 report: Callable[[object], None]) -> int:
    """A sweep command's life around its store: ``report(compute())``, then the default store removed.

    The store is checked first (:func:`check_store`); ``compute`` runs with SIGTERM treated as
    Ctrl-C (:func:`stopped_by_signals`). When anything else fails, a default store without a
    finished result is removed (the identical command then starts afresh) and one with results
    is kept, marked on the error (``kept_store``) so that its line says how to continue.
    """
    from ._output import remove_folder, remove_store

    check_store(store, default=default, resume=resume)
    try:
        with stopped_by_signals(store):
            result = compute()
        report(result)
    except KeyboardInterrupt:
        if default and not os.path.exists(store):  # stopped before any result: no store to keep
            remove_folder()
        raise
    except Exception as error:
        if default:
            if _finished_results(store):
                error.kept_store = store
            else:
                remove_store(store)
        raise
    if default:
        remove_store(store)
    return 0


def kept_store_words(error: BaseException) -> str:
    """``"; its store 'PATH' is kept: ..."`` for an error whose run kept its store, else ``""``."""
    store = getattr(error, "kept_store", None)
    if store is None or store in str(error):  # the message says it already (workers that kept dying)
        return ""
    return f"; its store '{store}' is kept: the same command with --resume continues it"


def _finished_results(store: str) -> int:
    """How many finished results the SQLite store holds (0 when it is missing or unreadable)."""
    if not os.path.exists(store):
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as connection:
            return connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0


def report_interrupt(error: KeyboardInterrupt, argv: list[str]) -> int:
    """One line on stderr for Ctrl-C or SIGTERM (with the command that resumes); returns 128 + signal."""
    number = getattr(error, "signal_number", signal.SIGINT)
    what = "interrupted" if number == signal.SIGINT else f"stopped by {signal.Signals(number).name}"
    store = getattr(error, "store", None)
    if store is None:
        message = f"bifwatch: {what}"
    else:
        part = getattr(error, "part", "the finished part of the sweep")
        again = argv if "--resume" in argv else [*argv, "--resume"]
        message = (
            f"bifwatch: {what}; {part} is kept in '{store}'; to continue it, "
            f"run the same command with --resume: bifwatch {shlex.join(again)}"
        )
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr, flush=True)
    return 128 + number


class SafeStdout:
    """sys.stdout for a whole run: once its reader has gone, the rest goes to /dev/null.

    ``write`` and ``flush`` swallow the first ``BrokenPipeError`` (fd 1 is then pointed at
    /dev/null, so Python's flush at exit is quiet too) and ``gone`` remembers it, so a command
    goes on to write its files and the run's status becomes :data:`BROKEN_PIPE_STATUS`.
    """

    def __init__(self, stream) -> None:
        self.stream, self.gone = stream, False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._broken()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._broken()

    def _broken(self) -> None:
        self.gone = True
        silence_stdout(self.stream)
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()  # what was buffered now goes to /dev/null

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


@contextlib.contextmanager
def safe_stdout() -> Iterator[SafeStdout]:
    """Install a :class:`SafeStdout` as ``sys.stdout`` for the block (the previous one restored)."""
    previous = sys.stdout
    sys.stdout = wrapper = SafeStdout(previous)
    try:
        yield wrapper
    finally:
        if sys.stdout is wrapper:
            sys.stdout = previous


def silence_stdout(stream=None) -> None:
    """Point stdout at /dev/null, so nothing more (nor the flush at exit) hits a closed pipe."""
    try:
        target = (sys.stdout if stream is None else stream).fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a stream without a descriptor
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, target)
    finally:
        os.close(devnull)


def _raise_terminated(signal_number: int, frame: object) -> None:
    raise Terminated


def _on_sigterm(handler):
    """Install ``handler`` for SIGTERM and return the previous one (a no-op outside the main thread)."""
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)  # None: set from C, not restorable; default then
    signal.signal(signal.SIGTERM, handler)
    return signal.SIG_DFL if previous is None else previous
