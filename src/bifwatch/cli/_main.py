"""Entry point of the ``bifwatch`` command."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator

from .. import __version__
from . import _cycles, _demo, _diagram, _evaluate, _ghost, _map, _monitor, _reproduce, _train
from ._interrupts import BROKEN_PIPE_STATUS, kept_store_words, report_interrupt, safe_stdout, silence_stdout
from ._output import check_output_paths
from ._parser import Parser, UsageError, cli_words, fail


def build_parser() -> Parser:
    about = "Dynamics of recurrent networks: cycles, bifurcations, ghosts."
    parser = Parser(prog="bifwatch", description=about)
    parser.add_argument("--version", action="version", version=f"bifwatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    _demo.add_parser(sub)
    _cycles.add_parser(sub)
    _diagram.add_parser(sub)
    _map.add_parser(sub)
    _ghost.add_parser(sub)
    _reproduce.add_parser(sub)
    _train.add_parser(sub)
    _evaluate.add_parser(sub)
    _monitor.add_parser(sub)
    examples = sub.add_parser("examples", help="list the bundled example models")
    examples.set_defaults(run=_list_examples)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (one line on stderr for any failure).

    0 done; 2 bad input; :data:`RUNTIME_FAILURE` (1) a run that failed otherwise (a missing
    optional dependency, workers that kept dying); 130 Ctrl-C, 143 SIGTERM; 141 when stdout's
    reader has gone.

    stdout is a :class:`~bifwatch.cli._interrupts.SafeStdout` for the whole run: when its reader
    goes away (``| head``) the command still writes its files, quietly, and the status is 141.
    """
    with safe_stdout() as stdout, _warnings_as_lines():
        status = _main(argv)
        stdout.flush()  # a reader that has gone (| head) is noticed here, not at exit
    return BROKEN_PIPE_STATUS if stdout.gone and status == 0 else status


def _main(argv: list[str] | None) -> int:
    try:
        return _run(argv)
    except MemoryError:
        return fail("out of memory: ask for less (a lower order, fewer values or a coarser grid)")
    except UsageError as err:
        return fail(str(err))
    except BrokenPipeError:  # stdout's reader has gone (| head): quiet, and no error at exit
        silence_stdout()
        return BROKEN_PIPE_STATUS
    except ImportError as err:  # an optional dependency: say what to install
        return fail(_install_words(err) + kept_store_words(err), status=RUNTIME_FAILURE)
    except (ValueError, TypeError, OSError) as err:
        return fail(str(err) + kept_store_words(err))
    except RuntimeError as err:  # workers that kept dying, Dask's KilledWorker: not bad input
        return fail(str(err) + kept_store_words(err), status=RUNTIME_FAILURE)
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM during a sweep: 128 + the signal
        return report_interrupt(err, sys.argv[1:] if argv is None else list(argv))


#: Exit status of a run that failed for another reason than its input (workers died, a missing
#: optional dependency); bad input is 2.
RUNTIME_FAILURE = 1

#: The extra of ``pip install "bifwatch[EXTRA]"`` that brings a missing module.
EXTRAS = {"torch": "torch", "distributed": "dask", "dask": "dask"}


def _install_words(err: ImportError) -> str:
    """An ImportError's line: its own advice when it has some, else the extra (or package) to install."""
    message = str(err)
    if "pip install" in message:
        return message
    name = (err.name or "").split(".")[0]
    if name in EXTRAS:
        extra = EXTRAS[name]
        return f'this needs {name}, which cannot be imported; install it with pip install "bifwatch[{extra}]"'
    if name:
        return f"this needs {name}, which cannot be imported ({message}); install it with pip install {name}"
    return message


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Warnings, and the library's logged warnings (a pool restarted), as ``bifwatch: warning:`` lines."""
    logger = logging.getLogger("bifwatch")
    handler = _WarningLines(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


class _WarningLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            _warning_line(record.getMessage(), None, "", 0)


def _run(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help and --version print, then argparse exits
        return done.code if isinstance(done.code, int) else 0
    out = getattr(args, "out", None)
    made = bool(out) and not os.path.exists(out)
    check_output_paths(args)  # before anything is computed, for every command
    try:
        return args.run(args)
    except BaseException:
        if made and os.path.isdir(out) and not os.listdir(out):  # bad input leaves no empty --out behind
            os.rmdir(out)
        raise


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
