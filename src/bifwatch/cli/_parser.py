"""An argparse parser whose errors are one clear line on stderr with exit status 2."""

from __future__ import annotations

import argparse
import re
import sys

#: A negative number as a value, not an option: -1, -1.5, -.5, -1e-3, -2.5E+4, -inf (argparse's
#: own pattern misses the scientific notation, so ``--range -1e-3 1e-3`` was "expected 2 arguments").
NEGATIVE_NUMBER = re.compile(r"^-(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf|infinity|nan)$", re.IGNORECASE)

#: Python-API advice in library messages, and the command-line words for it (longest first).
CLI_WORDS = (
    ("pass resume=True (--resume)", "add --resume"),
    ("resume=True (--resume)", "--resume"),
    ("resume=True", "--resume"),
    ("use finder=SCYFI()", "use --method heuristic"),
    ("finder=SCYFI()", "--method heuristic"),
    ("or pass kind=... / --kind", "or pass --kind"),
    ("pass store= to keep them", "pass --store FILE to keep them"),
    ("Use workers=1 to run it in this process", "Use --workers 1 to run it in this process"),
    ("raise `max_regions` (CLI: --max-regions;", "raise --max-regions ("),
    (" (Exhaustive(max_solves=...))", ""),
    ("SCYFI(patience=...)", "--patience N"),
    ("along `range`", "along --range"),
    ("`range1`", "the first --range"),
    ("`range2`", "the second --range"),
    ("`range` must", "--range must"),
    ("`orders` ranges must", "--orders ranges must"),
    ("`max_order` must be at most", "--max-order must be at most"),
    ("`orders` must be at most", "--orders must be at most"),
    ("`test` must have N = ", "--test-data must have N = "),
    (" columns like `path`;", " columns like --data;"),
)


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors, and negative numbers in any notation taken as values."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message: str):
        if self._subparsers is not None and message.startswith("the following arguments are required"):
            for action in self._subparsers._group_actions:  # "required: command", never a dest name
                if isinstance(action, argparse._SubParsersAction) and action.dest not in (None, "command"):
                    message = re.sub(rf"\b{re.escape(action.dest)}\b", "command", message)
            usage = " ".join(self.format_usage().split())
            message += f"; {usage} (`{self.prog} --help` says more)"
        raise UsageError(message)


def cli_words(message: str) -> str:
    """``message`` folded to one line, with Python-API advice in command-line words."""
    text = " ".join(message.split())
    for api, flag in CLI_WORDS:
        text = text.replace(api, flag)
    return text


def fail(message: str, status: int = 2) -> int:
    """Report ``message`` as one line on stderr (newlines folded) and return ``status`` (2: bad input)."""
    print(f"bifwatch: error: {cli_words(message)}", file=sys.stderr)
    return status


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


def number_in(low: float, high: float = float("inf"), *, above: bool = False):
    """An argparse ``type`` for real numbers in [low, high] (``above``: low excluded), one-line errors.

    An unbounded range also refuses inf ("a finite number"); NaN is never in range.
    """
    bound = f"> {low:g}" if above else f">= {low:g}"
    where = bound if high == float("inf") else f"in [{low:g}, {high:g}]"
    kind = "a finite number" if high == float("inf") else "a number"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number {where}; got {text!r}") from None
        inside = (value > low if above else value >= low) and value <= high and value < float("inf")
        if not inside:
            raise argparse.ArgumentTypeError(f"expected {kind} {where}; got {text}")
        return value

    parse.__name__ = f"number {where}"
    return parse


positive_float = number_in(0.0, above=True)
nonnegative_float = number_in(0.0)
fraction = number_in(0.0, 1.0)
