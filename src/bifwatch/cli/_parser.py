"""An argparse parser whose errors are one clear line on stderr with exit status 2."""

from __future__ import annotations

import argparse
import sys


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


def fail(message: str) -> int:
    """Report ``message`` as one line on stderr (newlines folded) and return exit status 2."""
    print(f"bifwatch: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def int_at_least(minimum: int):
    """An argparse ``type`` accepting integers >= ``minimum``, with a one-line error otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


positive_int = int_at_least(1)
nonnegative_int = int_at_least(0)
