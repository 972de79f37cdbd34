"""Entry point of the ``bifwatch`` command."""

from __future__ import annotations

import sys
import warnings

from .. import __version__
from . import _cycles, _diagram, _ghost, _map, _reproduce
from ._output import check_output_paths
from ._parser import Parser, UsageError, cli_words, fail


def build_parser() -> Parser:
    about = "Dynamics of recurrent networks: cycles, bifurcations, ghosts."
    parser = Parser(prog="bifwatch", description=about)
    parser.add_argument("--version", action="version", version=f"bifwatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    _cycles.add_parser(sub)
    _diagram.add_parser(sub)
    _map.add_parser(sub)
    _ghost.add_parser(sub)
    _reproduce.add_parser(sub)
    examples = sub.add_parser("examples", help="list the bundled example models")
    examples.set_defaults(run=_list_examples)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, one line on stderr)."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
            return _run(argv)
    except MemoryError:
        return fail("out of memory: ask for less (a lower order, fewer values or a coarser grid)")
    except UsageError as err:
        return fail(str(err))
    except BrokenPipeError:  # stdout's reader has gone (| head): quiet, and no error at exit
        from ._interrupts import BROKEN_PIPE_STATUS, silence_stdout

        silence_stdout()
        return BROKEN_PIPE_STATUS
    except (ValueError, TypeError, OSError) as err:
        return fail(str(err))
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM during a sweep: 128 + the signal
        from ._interrupts import report_interrupt

        return report_interrupt(err, sys.argv[1:] if argv is None else list(argv))


def _run(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help and --version print, then argparse exits
        return done.code if isinstance(done.code, int) else 0
    check_output_paths(args)  # before anything is computed, for every command
    status = args.run(args)
    sys.stdout.flush()  # a reader that has gone (| head) is noticed here, not at exit
    return status


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line on stderr, ``bifwatch: warning: ...`` (no file, line or source)."""
    print(f"bifwatch: warning: {cli_words(str(message))}", file=sys.stderr)


def _list_examples(args) -> int:
    from ..models import list_examples, load_model

    for name in list_examples():
        model = load_model(f"example:{name}")
        print(f"example:{name:<16} {model.kind:<16} M = {model.M}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
