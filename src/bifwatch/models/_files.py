"""What a model file is, told from its first bytes, and where a loading warning points.

One check for every reader (``.npz`` in ``_io``, ``.pt``/``.pth`` in ``_torch``): a file of the
wrong format is refused with the bytes it begins with, before its reader fails obscurely (or,
for a pickle, runs it).
"""

from __future__ import annotations

import os
import sys

#: The folder of the bifwatch package: frames in it are not the user's.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def head(file, size: int = 16) -> bytes:
    """The first ``size`` bytes of ``file`` (a path, or a bundled resource with ``.open``)."""
    with (file.open("rb") if hasattr(file, "open") else open(file, "rb")) as handle:
        return handle.read(size)


def check_begins(file, magic: tuple[bytes, ...], where: str, what: str, writer: str) -> None:
    """Raise ``ValueError`` ("{where}: it is not {what} ({writer}; this file begins ...)") when
    ``file`` begins with none of ``magic``. An empty file passes: its reader says it is empty.
    ``OSError`` (e.g. no permission) propagates."""
    first = head(file)
    if first and not first.startswith(magic):
        raise ValueError(f"{where}: it is not {what} ({writer}; this file begins {first[:12]!r})")


def user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` called right after this, in the function that
    calls this: it names the first frame outside the bifwatch package, the user's call, whichever
    public function (``load_model``, ``load_torch_rnn``, ...) they called."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level
