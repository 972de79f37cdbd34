"""The monitor's analysis process: monitor tasks run in a separate Python process, at low priority.

The training process writes ``(key, task)`` pairs (pickled) to the worker's stdin and reads
``(key, result)`` pairs from its stdout. The worker is a fresh ``python -c`` that imports
:func:`serve` (not a multiprocessing child), so the user's script is never imported
again there and needs no ``if __name__ == "__main__":`` guard; it never imports torch.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable

#: The worker's niceness where the idle scheduling class is not available.
NICE = 19
_START = "from bifwatch.monitor._worker import serve; serve()"
_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class AnalysisProcess:
    """One worker process; ``submit`` never blocks the caller (a writer thread feeds the pipe)."""

    def __init__(self, *, on_result: Callable[[str, object], None] | None = None, nice: int = NICE) -> None:
        env = {**os.environ, **{name: "1" for name in _THREADS}, "BIFWATCH_MONITOR_NICE": str(nice)}
        self._proc = subprocess.Popen([sys.executable, "-c", _START], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env=env)
        self.results: dict[str, object] = {}
        self._on_result = on_result
        self._submitted = 0
        self._queue: queue.Queue = queue.Queue()
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._writer.start()
        self._reader.start()

    def submit(self, key: str, task: tuple) -> None:
        self._submitted += 1
        self._queue.put((key, task))

    @property
    def pending(self) -> int:
        """Tasks submitted and not yet answered."""
        return self._submitted - len(self.results)

    def wait(self) -> dict[str, object]:
        """Finish every submitted task and stop the worker; the results by key.

        Training is over when this is called, so the worker leaves the idle class first: what is
        left of the analysis competes for the CPU like any process."""
        _normal_priority(self._proc.pid)
        self._queue.put(None)
        self._writer.join()
        self._reader.join()
        self._proc.stdout.close()
        code = self._proc.wait()
        if code != 0:
            raise RuntimeError(f"the monitor's analysis process exited with status {code}")
        return self.results

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if not self._proc.stdout.closed:
            self._proc.stdout.close()

    def _write(self) -> None:
        stream = self._proc.stdin
        try:
            while (item := self._queue.get()) is not None:
                pickle.dump(item, stream, protocol=pickle.HIGHEST_PROTOCOL)
                stream.flush()
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                stream.close()
            except OSError:
                pass

    def _read(self) -> None:
        stream = self._proc.stdout
        while True:
            try:
                key, result = pickle.load(stream)
            except (EOFError, OSError, pickle.UnpicklingError):
                return
            self.results[key] = result
            if self._on_result is not None:
                self._on_result(key, result)


def _normal_priority(pid: int) -> None:
    """Move process ``pid`` from SCHED_IDLE back to the normal class (where the OS allows it)."""
    try:
        if os.sched_getscheduler(pid) == os.SCHED_IDLE:
            os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))
    except (AttributeError, OSError):
        pass


def _yield_cpu(nice: int) -> None:
    """Run the analysis only on CPU time training leaves idle: Linux's SCHED_IDLE class, else nice.

    Measured (benchmarks/results/monitor.md): the training loop ran 0.3-1.7 % slower under
    SCHED_IDLE, 0.7-24 % at nice 10 in the same hour; the price is that more of the analysis waits
    for ``finish``, which therefore lifts the worker back to the normal class (:meth:`AnalysisProcess.wait`).

    The environment variable ``BIFWATCH_MONITOR_SCHED`` chooses: ``idle`` (the default, as is anything
    other than ``nice``) as above; ``nice`` skips SCHED_IDLE and only applies ``nice``, for comparison
    (``benchmarks/bench_monitor.py --nice N``).
    """
    if os.environ.get("BIFWATCH_MONITOR_SCHED", "idle") != "nice":
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return
        except (AttributeError, OSError):
            pass
    try:
        os.nice(nice)
    except (OSError, ValueError):
        pass


def serve() -> None:
    """The worker's loop: read tasks from stdin until it closes, answer each on stdout."""
    from ._record import run_task

    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    _yield_cpu(int(os.environ.get("BIFWATCH_MONITOR_NICE", NICE)))
    while True:
        try:
            key, task = pickle.load(requests)
        except EOFError:
            break
        pickle.dump((key, run_task(task)), answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()
    answers.close()
