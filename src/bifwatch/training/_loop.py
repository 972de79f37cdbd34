"""The epoch loop every trainer shares: Ctrl-C only between epochs, checkpoints on a cadence."""

from __future__ import annotations

from collections.abc import Callable

from .._progress import progress_bar
from ._checkpoint import StopRequested, deferred_sigint


def run_epochs(
    step: Callable[[int], None], *, start: int, epochs: int, save: Callable[[], None] | None = None,
    every: int = 1, progress: bool = False, unit: str = " epochs",
    describe: Callable[[], dict] | None = None,
) -> None:
    """Call ``step(e)`` for e = start, ..., epochs - 1, saving on a cadence and on interruption.

    Parameters
    ----------
    step : callable
        One epoch: ``step(e)`` trains epoch e and leaves the trainer at epoch e + 1.
    start, epochs : int
        First epoch to run (0, or the epoch a checkpoint resumes at) and the total.
    save : callable, optional
        Writes a checkpoint of the trainer as it stands; called after every epoch e with
        (e + 1) % every == 0 and before a KeyboardInterrupt leaves the loop. The caller saves
        once more at the end if it wants the final state kept.
    every : int, default 1
    progress : bool, default False
        A tqdm bar on stderr, only when stderr is a terminal.
    unit : str, default " epochs"
    describe : callable, optional
        Returns the figures shown beside the bar after each epoch (e.g. loss and alpha).

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C or SIGTERM (noticed between epochs, so a checkpoint never holds half an
        update; raised as :class:`StopRequested` naming the signal) or when ``step`` raises it,
        after ``save``.

    Examples
    --------
    >>> seen = []
    >>> run_epochs(seen.append, start=2, epochs=5)
    >>> seen
    [2, 3, 4]
    """
    bar = progress_bar(progress, epochs, start, unit=unit)
    try:
        with deferred_sigint() as interrupted:
            for e in range(start, epochs):
                if interrupted():
                    raise StopRequested(interrupted())
                step(e)
                if bar is not None:
                    if describe is not None:
                        bar.set_postfix(describe(), refresh=False)
                    bar.update(1)
                if save is not None and (e + 1) % every == 0:
                    save()
    except KeyboardInterrupt:
        if save is not None:
            save()
        raise
    finally:
        if bar is not None:
            bar.close()
