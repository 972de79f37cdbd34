"""run_tasks: independent tasks on local processes or a Dask cluster, each result stored on arrival."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from .._progress import progress_bar
from ._guard import check_guarded_script
from ._store import SweepStore

if TYPE_CHECKING:
    import distributed

logger = logging.getLogger(__name__)

_INSTALL_DASK = (
    'run_tasks(scheduler=...) needs Dask\'s "distributed"; install it with pip install "bifwatch[dask]"'
)


def run_tasks(
    fn: Callable[[Any], Any],
    tasks: Mapping[str, Any],
    *,
    store: SweepStore | None = None,
    workers: int | None = None,
    scheduler: str | distributed.Client | None = None,
    progress: bool = False,
    description: str = "sweep",
    max_restarts: int = 3,
) -> dict[str, Any]:
    """Run ``fn(arg)`` for every task, saving each result as soon as it arrives.

    By default the tasks run one after another in this process; ``workers`` > 1 runs them on
    local worker processes and ``scheduler`` on a Dask cluster.

    Parameters
    ----------
    fn : callable
        ``fn(arg) -> result``. For worker processes or a Dask cluster it must be picklable: a
        module-level function (not a lambda or closure), and so must its arguments and results.
    tasks : Mapping[str, Any]
        Unique string key -> argument of ``fn``, e.g. ``{"row-0003": (model_parameters, a)}``.
    store : SweepStore, optional
        Every result is put into the store as it arrives, and tasks whose key is already there
        are not run again (their stored result is returned). Without a store nothing is saved.
    workers : int, optional
        Number of local worker processes (spawned, so safe with threads and BLAS), capped at
        the number of tasks to run; e.g. ``workers=os.cpu_count()``. The default (None) and
        ``workers=1`` run the tasks one after another in this process, with no pool: this works
        from any script or notebook, and is best for debugging.
    scheduler : str or distributed.Client, optional
        Run on an existing Dask cluster instead: a ``distributed.Client`` is used as is; a string
        is a scheduler address such as ``"tcp://127.0.0.1:8786"`` (the client made for it is
        closed at the end). Incompatible with ``workers``.
    progress : bool, default False
        Show a tqdm progress bar on stderr, starting at the number of tasks already stored; it
        appears only when stderr is a terminal (never in a log file).
    description : str, default "sweep"
        Label of the progress bar.
    max_restarts : int, default 3
        How many times a local pool whose worker process died (out-of-memory killer,
        ``kill -9``) is replaced by a new one, which runs the unfinished tasks again.

    Returns
    -------
    dict[str, Any]
        ``{key: fn(tasks[key])}`` for every key, in the order of ``tasks``. The results do not
        depend on ``workers`` or ``scheduler``.

    Raises
    ------
    Exception
        The first exception raised by a task, re-raised with a note naming its key; the other
        tasks are cancelled. Finished results stay in the store.
    RuntimeError
        If local workers died more than ``max_restarts`` times, or Dask gave up on a task
        whose workers kept dying (``KilledWorker``). The message says how many tasks finished.
        Also, before any worker starts, if ``workers`` > 1 is asked for from the top level of a
        script without an ``if __name__ == "__main__":`` guard (see Notes).
    KeyboardInterrupt
        On Ctrl-C: pending tasks are cancelled and local worker processes terminated first.
    OSError
        If no Dask scheduler answers at the ``scheduler`` address.
    ImportError
        If ``scheduler`` is given and Dask's ``distributed`` is not installed.
    TypeError, ValueError
        For invalid arguments (the message names the argument).

    Notes
    -----
    Only this process (the driver) writes the store, one committed row per finished task, so
    an interruption of any kind (Ctrl-C, a killed driver, a lost machine) loses at most the
    tasks in flight: run again with a store opened with ``resume=True`` to finish the sweep.

    On a Dask cluster, a worker lost in the middle of a task is replaced by the scheduler and
    the task rerun elsewhere; Dask gives up (``KilledWorker``) after the task has been on
    ``distributed.scheduler.allowed-failures`` (default 3) workers that died.

    Local worker processes are started with the "spawn" method, which imports the script that
    calls ``run_tasks`` again in every worker: with ``workers`` > 1, put the call behind
    ``if __name__ == "__main__":`` (a call at the top level of a script is refused with a
    ``RuntimeError`` before any worker starts; without ``workers`` no guard is needed).

    Examples
    --------
    >>> import math, tempfile, os
    >>> tasks = {f"x={x}": x for x in range(4)}
    >>> run_tasks(math.factorial, tasks, workers=1)
    {'x=0': 1, 'x=1': 1, 'x=2': 2, 'x=3': 6}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "factorials.sqlite")
    ...     with SweepStore(path, spec={"x": [0, 4]}) as store:
    ...         first = run_tasks(math.factorial, {"x=0": 0, "x=1": 1}, store=store, workers=1)
    ...     with SweepStore(path, spec={"x": [0, 4]}, resume=True) as store:  # runs x=2, x=3 only
    ...         all(run_tasks(math.factorial, tasks, store=store, workers=1)[k] == math.factorial(v)
    ...             for k, v in tasks.items())
    True
    """
    _check_arguments(fn, tasks, store=store, workers=workers, scheduler=scheduler, max_restarts=max_restarts)
    done = store.keys() & tasks.keys() if store is not None else set()
    pending = {key: arg for key, arg in tasks.items() if key not in done}
    bar = progress_bar(progress, total=len(tasks), initial=len(done), unit=" tasks", description=description)
    recorder = _Recorder(store=store, bar=bar, total=len(tasks), done=len(done))
    try:
        if pending and scheduler is not None:
            _run_dask(fn, pending, recorder, scheduler=scheduler)
        elif pending and (workers is None or workers == 1):
            _run_serial(fn, pending, recorder)
        elif pending:
            check_guarded_script(workers)
            _run_local(fn, pending, recorder, workers=min(workers, len(pending)), max_restarts=max_restarts)
    finally:
        if bar is not None:
            bar.close()
    return {key: recorder.results[key] if key in recorder.results else store[key] for key in tasks}


class _Recorder:
    """Puts each arriving result into the store, the results dict and the progress bar."""

    def __init__(self, *, store: SweepStore | None, bar: Any, total: int, done: int) -> None:
        self.store, self.bar, self.total, self.done = store, bar, total, done
        self.results: dict[str, Any] = {}

    def record(self, key: str, value: Any) -> None:
        if self.store is not None:
            self.store.put(key, value)
        self.results[key] = value
        if self.bar is not None:
            self.bar.update(1)

    def summary(self) -> str:
        finished = self.done + len(self.results)
        if self.store is None:
            return f"{finished} of {self.total} tasks had finished (pass store= to keep them next time)"
        return (
            f"{finished} of {self.total} tasks finished and are in the sweep store '{self.store.path}'; "
            "run again with the store opened with resume=True (--resume) to do the rest"
        )


# --------------------------------------------------------------------------------------------
# In-process and local worker processes


def _run_serial(fn: Callable, pending: dict[str, Any], recorder: _Recorder) -> None:
    for key, arg in pending.items():
        try:
            value = fn(arg)
        except Exception as error:
            error.add_note(f"raised by sweep task {key!r}")
            raise
        recorder.record(key, value)


def _run_local(
    fn: Callable, pending: dict[str, Any], recorder: _Recorder, *, workers: int, max_restarts: int
) -> None:
    """Run on a pool of spawned processes; replace the pool when one of them dies."""
    remaining = dict(pending)
    failures = 0
    while remaining:
        try:
            _run_pool(fn, remaining, recorder, workers=min(workers, len(remaining)))
        except BrokenProcessPool as error:
            failures += 1
            if failures > max_restarts:
                raise RuntimeError(
                    f"a local worker process died {failures} times (max_restarts={max_restarts}), "
                    f"e.g. killed by the out-of-memory killer (fewer workers need less memory); "
                    f"{recorder.summary()}"
                ) from error
            logger.warning(
                "a local worker process died (%s); starting a new pool for the %d unfinished tasks "
                "(restart %d of at most %d)",
                error,
                len(remaining),
                failures,
                max_restarts,
            )


def _run_pool(fn: Callable, remaining: dict[str, Any], recorder: _Recorder, *, workers: int) -> None:
    """One pool's life: submit every remaining task; each finished one leaves ``remaining``."""
    context = multiprocessing.get_context("spawn")
    futures: dict[Future, str] = {}
    pool = None
    try:
        with _sigint_ignored():  # workers start (at the submits) with SIGINT ignored, before imports
            pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_exit_with_driver)
            futures = {pool.submit(fn, arg): key for key, arg in remaining.items()}
        for future in as_completed(futures):
            _take(future, futures[future], remaining, recorder)
    except BrokenProcessPool:
        for future, key in futures.items():  # results that arrived before the pool broke
            if key in remaining and future.done() and not future.cancelled() and not future.exception():
                _take(future, key, remaining, recorder)
        _abort(pool)
        raise
    except BaseException:  # a task's exception, Ctrl-C, or a failing store
        if pool is not None:
            _abort(pool)
        raise
    pool.shutdown(wait=True)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in the block (main thread only): spawned children inherit the ignored state.

    A worker then never sees Ctrl-C, not even while it imports (before its initializer runs);
    the driver, which handles it, terminates the workers. The block is short (the pool made,
    the tasks submitted); a Ctrl-C within it is lost.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


def _take(future: Future, key: str, remaining: dict[str, Any], recorder: _Recorder) -> None:
    try:
        value = future.result()
    except BrokenProcessPool:
        raise
    except Exception as error:
        error.add_note(f"raised by sweep task {key!r}")
        raise
    recorder.record(key, value)
    del remaining[key]


def _exit_with_driver() -> None:
    """Pool initializer: end this worker when the driver dies (kill -9, out of memory).

    Without it the worker would wait for more work from a dead driver, forever. The worker
    also ignores SIGINT: Ctrl-C in a terminal reaches every process of the group, and the
    driver, which handles it, terminates its workers (no traceback from each of them).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    driver = multiprocessing.parent_process()
    if driver is not None:
        threading.Thread(target=_exit_after, args=(driver,), name="exit-with-driver", daemon=True).start()


def _exit_after(driver: multiprocessing.process.BaseProcess) -> None:
    driver.join()  # returns when the driver's end of the spawn pipe closes: it has exited
    os._exit(1)


def _abort(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and terminate the workers, without waiting for their tasks."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle (< 3.14)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=2)
        if process.is_alive():
            process.kill()
            process.join()


# --------------------------------------------------------------------------------------------
# A Dask cluster


def _run_dask(fn: Callable, pending: dict[str, Any], recorder: _Recorder, *, scheduler: Any) -> None:
    distributed = _import_distributed()
    client, owned = _client(distributed, scheduler)
    try:
        _run_futures(distributed, client, fn, pending, recorder)
    finally:
        if owned:
            client.close()


def _run_futures(
    distributed: Any, client: distributed.Client, fn: Callable, pending: dict[str, Any], recorder: _Recorder
) -> None:
    """Submit every task with a key unique to this run; record each result as it completes."""
    prefix = getattr(fn, "__name__", "task")
    names = {f"{prefix}-{uuid.uuid4().hex}": key for key in pending}
    futures = client.map(fn, [pending[key] for key in names.values()], key=list(names), pure=False)
    remaining = {future.key: future for future in futures}
    completed = distributed.as_completed(futures, loop=client.loop)
    del futures  # hold each future only until its result is stored, so the cluster can free it
    try:
        for future in completed:
            value = _dask_result(distributed, future, names[future.key], recorder)
            del remaining[future.key]
            recorder.record(names[future.key], value)
    except BaseException:
        client.cancel(list(remaining.values()))
        raise


def _dask_result(distributed: Any, future: distributed.Future, key: str, recorder: _Recorder) -> Any:
    try:
        return future.result()
    except distributed.KilledWorker as error:
        raise RuntimeError(
            f"Dask gave up on sweep task {key!r}: the workers running it kept dying (e.g. out of "
            f"memory; see distributed.scheduler.allowed-failures); {recorder.summary()}"
        ) from error
    except Exception as error:
        error.add_note(f"raised by sweep task {key!r}")
        raise


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as error:
        raise ImportError(_INSTALL_DASK) from error
    return distributed


def _client(distributed: Any, scheduler: Any) -> tuple[distributed.Client, bool]:
    """The client to use and whether this function made it (and must close it)."""
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    if not isinstance(scheduler, str):
        raise TypeError(
            "`scheduler` must be a Dask scheduler address such as 'tcp://127.0.0.1:8786' or a "
            f"distributed.Client; got {type(scheduler).__name__}"
        )
    import dask

    timeout = dask.config.get("distributed.comm.timeouts.connect")
    try:
        return distributed.Client(scheduler, timeout=timeout, set_as_default=False), True
    except (OSError, TimeoutError) as error:
        raise OSError(
            f"could not connect to the Dask scheduler at `scheduler`={scheduler!r} within {timeout}: "
            f"{error}. Check the address (printed by `dask scheduler`) or raise the Dask config "
            "'distributed.comm.timeouts.connect'"
        ) from error
    except ValueError as error:
        raise ValueError(
            f"`scheduler`={scheduler!r} is not a Dask scheduler address such as "
            f"'tcp://127.0.0.1:8786': {error}"
        ) from error


# --------------------------------------------------------------------------------------------
# Validation


def _check_arguments(
    fn: Any, tasks: Any, *, store: Any, workers: Any, scheduler: Any, max_restarts: Any
) -> None:
    if not callable(fn):
        raise TypeError(f"`fn` must be callable, fn(arg) -> result; got {type(fn).__name__}")
    if not isinstance(tasks, Mapping):
        raise TypeError(f"`tasks` must be a mapping of str key -> argument; got {type(tasks).__name__}")
    bad = next((key for key in tasks if not isinstance(key, str)), None)
    if bad is not None:
        raise TypeError(f"`tasks` keys must be str; got {bad!r} of type {type(bad).__name__}")
    if store is not None and not isinstance(store, SweepStore):
        raise TypeError(f"`store` must be a SweepStore or None; got {type(store).__name__}")
    _check_count("workers", workers, minimum=1, optional=True)
    _check_count("max_restarts", max_restarts, minimum=0, optional=False)
    if scheduler is not None and workers is not None:
        raise ValueError(
            f"`workers`={workers} is for local processes; with `scheduler` the Dask cluster decides "
            "where tasks run. Pass one of them"
        )
    if scheduler is None and workers is not None and workers > 1:
        _check_picklable(fn)


def _check_count(name: str, value: Any, *, minimum: int, optional: bool) -> None:
    if optional and value is None:
        return
    expected = f"an int >= {minimum}" + (" or None" if optional else "")
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"`{name}` must be {expected}; got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"`{name}` must be {expected}; got {value!r}")


def _check_picklable(fn: Callable) -> None:
    """Probe ``fn`` once: spawned worker processes must be able to import it."""
    try:
        pickle.dumps(fn)
    except Exception as error:
        raise TypeError(
            f"`fn` must be picklable to run in worker processes (a module-level function, not a "
            f"lambda or closure); got {fn!r} ({error}). Use workers=1 to run it in this process"
        ) from error
    main = sys.modules.get("__main__")
    if getattr(fn, "__module__", None) == "__main__" and getattr(main, "__file__", None) is None:
        raise TypeError(
            f"`fn`={fn!r} is defined in an interactive session (python -c, a notebook), which "
            "spawned worker processes cannot import; move it into a module or script, or use "
            "workers=1 or a Dask scheduler"
        )
