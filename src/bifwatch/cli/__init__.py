"""Command line: ``bifwatch cycles ...`` (more subcommands come with later capabilities)."""

from ._main import main as main

__all__ = ["console_main", "main"]


def console_main() -> None:
    """Console-script wrapper: exit with ``main()``'s status."""
    import sys

    sys.exit(main())
