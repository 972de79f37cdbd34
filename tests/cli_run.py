"""Running ``bifwatch`` in-process from tests: status, stdout and stderr, and the one-line error rule."""

from __future__ import annotations

import re

from bifwatch.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    """``bifwatch ARGS`` -> (exit status, stdout, stderr)."""
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def ok(capsys, *args: str) -> str:
    """Run, require exit 0 and an empty stderr; return stdout."""
    status, out, err = run(capsys, *args)
    assert (status, err) == (0, ""), err
    return out


def usage_error(capsys, *args: str, match: str) -> str:
    """Run, require exit 2 and exactly one ``bifwatch: error:`` line matching ``match``; return it."""
    status, out, err = run(capsys, *args)
    assert status == 2 and out == "", out
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bifwatch: error: "), err
    assert re.search(match, lines[0]), lines[0]
    return lines[0]
