"""When a run is stopped: Ctrl-C, SIGTERM, a closed stdout (``| head -1``), and the store left behind.

- Ctrl-C and SIGTERM stop a sweep the same way (pending tasks cancelled, workers terminated, the
  pool closed, so no leaked semaphores); the one line on stderr names the store and the command
  that continues it, and the exit status is 128 + the signal (130, 143), not that of bad input.
- When stdout's reader goes away the rest of the output goes to /dev/null: the files asked for
  are still written, the default store is still removed, and the status is 141 (128 + SIGPIPE),
  without Python's "Exception ignored ... BrokenPipeError" at exit.
- A store that already exists (left by a stopped run) is named before anything runs, with the
  flag to add.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterator

from ._parser import UsageError

#: Exit status when stdout's reader has gone (128 + SIGPIPE, as for a process killed by it).
BROKEN_PIPE_STATUS = 128 + signal.SIGPIPE


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would raise ``KeyboardInterrupt`` (so the same cleanup runs)."""


class Interrupted(KeyboardInterrupt):
    """A sweep stopped by ``signal_number``; its finished tasks are in ``store`` (None: none kept)."""

    def __init__(self, signal_number: int, store: str | None) -> None:
        super().__init__(signal_number, store)
        self.signal_number, self.store = signal_number, store


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
def stopped_by_signals(store: str) -> Iterator[None]:
    """Treat SIGTERM as Ctrl-C inside the block; either leaves as :class:`Interrupted` naming ``store``."""
    previous = _on_sigterm(_raise_terminated)
    try:
        yield
    except KeyboardInterrupt as error:
        number = signal.SIGTERM if isinstance(error, Terminated) else signal.SIGINT
        raise Interrupted(number, store if os.path.exists(store) else None) from None
    finally:
        _on_sigterm(previous)


def report_interrupt(error: KeyboardInterrupt, argv: list[str]) -> int:
    """One line on stderr for Ctrl-C or SIGTERM (with the command that resumes); returns 128 + signal."""
    number = getattr(error, "signal_number", signal.SIGINT)
    what = "interrupted" if number == signal.SIGINT else f"stopped by {signal.Signals(number).name}"
    store = getattr(error, "store", None)
    if store is None:
        message = f"bifwatch: {what}"
    else:
        again = argv if "--resume" in argv else [*argv, "--resume"]
        message = (
            f"bifwatch: {what}; the finished part of the sweep is kept in '{store}'; to continue it, "
            f"run the same command with --resume: bifwatch {shlex.join(again)}"
        )
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr, flush=True)
    return 128 + number


class Stdout:
    """A run's lines to stdout, each flushed; once its reader has gone, the rest goes to /dev/null."""

    def __init__(self) -> None:
        self.gone = False

    def say(self, text: str) -> None:
        if self.gone:
            return
        try:
            print(text, flush=True)
        except BrokenPipeError:
            self.gone = True
            silence_stdout()

    @property
    def status(self) -> int:
        """The run's exit status: 0, or :data:`BROKEN_PIPE_STATUS` when stdout's reader went away."""
        return BROKEN_PIPE_STATUS if self.gone else 0


def silence_stdout() -> None:
    """Point stdout at /dev/null, so nothing more (nor the flush at exit) hits a closed pipe."""
    try:
        target = sys.stdout.fileno()
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
    return signal.signal(signal.SIGTERM, handler)
