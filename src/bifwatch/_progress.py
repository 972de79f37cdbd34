"""The one progress bar of bifwatch: tqdm on stderr, only when asked for and stderr is a terminal."""

from __future__ import annotations

import sys


def progress_wanted(enabled: bool) -> bool:
    """True when a bar was asked for and stderr is a terminal (a bar in a log file is noise)."""
    if not enabled:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False


def progress_bar(enabled: bool, total: int | None = None, initial: int = 0, *, unit: str = " it",
                 description: str | None = None):
    """A tqdm bar on stderr, or None when not ``enabled`` or stderr is not a terminal.

    tqdm is imported only when a bar is drawn. The caller updates it (``bar.update(n)``) and
    closes it (``bar.close()``) when it is not None.

    Examples
    --------
    >>> progress_bar(False, total=10) is None
    True
    """
    if not progress_wanted(enabled):
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=description, unit=unit, unit_scale=True, leave=False,
                file=sys.stderr)
