"""Refuse local worker processes asked for from the unguarded top level of a script.

Spawned workers import the driver's main script again (as ``__mp_main__``); a call that starts
workers at its top level, outside ``if __name__ == "__main__":``, would then run again in every
worker, which fails there while it starts its own workers. The pool breaks, is replaced, breaks
again, and the user reads pages of tracebacks and a wrong diagnosis. Say it in one line instead.
"""

from __future__ import annotations

import ast
import os
import sys
from types import FrameType, ModuleType


def check_guarded_script(workers: int) -> None:
    """Raise ``RuntimeError`` if the caller runs at the unguarded top level of the main script.

    Only when spawned workers would import that script again: not for ``python -c``, a REPL, a
    notebook, or ``python -m package`` (its ``__main__`` is not re-imported).
    """
    main = sys.modules.get("__main__")
    if main is None or not _reimported_by_spawn(main):
        return
    frame = _main_module_frame(main)
    if frame is None or _is_guarded(frame.f_code.co_filename, frame.f_lineno):
        return
    where = f"{os.path.basename(frame.f_code.co_filename)}, line {frame.f_lineno}"
    raise RuntimeError(
        f'workers={workers} from a script needs an `if __name__ == "__main__":` guard around the '
        f"call (spawned workers re-import the script; the call is at {where}); run without workers, "
        "or add the guard"
    )


def _reimported_by_spawn(main: ModuleType) -> bool:
    """Whether spawned workers run ``main``'s code again (as multiprocessing.spawn decides)."""
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:  # python -m NAME
        return not (name == "__main__" or name.endswith(".__main__"))
    path = getattr(main, "__file__", None)
    return path is not None and os.path.splitext(os.path.basename(path))[0] != "ipython"


def _main_module_frame(main: ModuleType) -> FrameType | None:
    """The frame running ``main``'s module-level code, when it is among the callers."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
            return frame
        frame = frame.f_back
    return None


def _is_guarded(filename: str, line: int) -> bool:
    """Whether ``line`` of the file lies in the body of an ``if __name__ == "__main__":``.

    An unreadable file counts as guarded: without its source there is nothing to tell.
    """
    try:
        with open(filename, encoding="utf-8") as file:
            tree = ast.parse(file.read(), filename)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return True
    return any(
        isinstance(node, ast.If) and _is_main_test(node.test)
        and any(stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno) for stmt in node.body)
        for node in ast.walk(tree)
    )


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main
