"""Stopping ``bifwatch map`` and ``bifwatch diagram`` with real signals and a real closed pipe.

Truth: a stopped run must say, in one line, where its finished work is and the exact command
that continues it; that command must give byte for byte the JSON of a run never stopped (made
here through the Python API, which the CLI calls); the exit status tells the signal (128 + n);
no worker process, traceback or leaked semaphore may be left over, nor a store that blocks the
identical command.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import run

import bifwatch as bw

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and pipes")

TENT = bw.PLRNN(A=[0.2], W=[[0.0]], h=[1.0])
PARAMS = ("W[0,0]", (-2.23, 1.81), "A[0]", (-1.47, 1.53))
GRID, MAX_ORDER = (40, 20), 6  # about 2 s in one process: long enough to stop it after a row
MAP = ["map", "example:tent", "--param", "W[0,0]", "--range", "-2.23", "1.81", "--param", "A[0]",
       "--range", "-1.47", "1.53", "--grid", *map(str, GRID), "--max-order", str(MAX_ORDER), "--no-progress",
       "--json", "m.json"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> bytes:
    """The JSON file of the map, made in one go."""
    path = tmp_path_factory.mktemp("uninterrupted") / "m.json"
    bw.parameter_map(TENT, *PARAMS, grid=GRID, max_order=MAX_ORDER).to_json(path)
    return path.read_bytes()


def _environment() -> dict[str, str]:
    package_parent = Path(sys.modules["bifwatch"].__file__).parents[1]
    return {**os.environ, "PYTHONPATH": str(package_parent)}


def _bifwatch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "bifwatch", *args]
    return subprocess.run(command, cwd=tmp_path, env=_environment(), capture_output=True, text=True,
                          timeout=120)


@contextlib.contextmanager
def _started(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """``bifwatch ARGS`` in its own process group (as a terminal runs it); killed at the end if alive."""
    command = [sys.executable, "-m", "bifwatch", *args]
    environment = {**_environment(), **(env or {})}
    process = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def _stored_rows(folder: Path) -> int:
    for store in folder.glob("*.sqlite"):
        with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(store)) as connection:
            return connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    return 0


def _wait_for_first_result(tmp_path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while _stored_rows(tmp_path / ".bifwatch-sweeps") < 1:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no result stored within 60 s"
        time.sleep(0.01)


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _resume_line(what: str, store: Path, args: list[str]) -> str:
    return (
        f"bifwatch: {what}; the finished part of the sweep is kept in '.bifwatch-sweeps/{store.name}'; "
        f"to continue it, run the same command with --resume: bifwatch {shlex.join([*args, '--resume'])}"
    )


def test_ctrl_c_says_how_to_resume_and_the_resumed_map_is_the_same(tmp_path, uninterrupted):
    """Ctrl-C in a terminal: SIGINT to the driver and its two workers (one process group)."""
    args = [*MAP, "--workers", "2"]
    with _started(tmp_path, *args) as process:
        _wait_for_first_result(tmp_path, process)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=30)
    (store,) = (tmp_path / ".bifwatch-sweeps").glob("map-*.sqlite")
    assert process.returncode == 130 and out == ""
    assert err.splitlines() == [_resume_line("interrupted", store, args)]  # no worker tracebacks
    assert 1 <= _stored_rows(store.parent) < GRID[1]

    again = _bifwatch(tmp_path, *args)  # the identical command says what to do, in one line
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.splitlines() == [
        f"bifwatch: error: an unfinished run of this command left its store '.bifwatch-sweeps/{store.name}' "
        "(it already exists): add --resume to continue it, or remove that file to start again"
    ]

    resumed = _bifwatch(tmp_path, *args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "m.json").read_bytes() == uninterrupted
    assert not (tmp_path / ".bifwatch-sweeps").exists()  # the default store is gone once done


def test_sigterm_stops_the_workers_cleanly(tmp_path):
    """``kill PID`` of the driver: workers ended, the pool closed, no leaked semaphores."""
    args = [*MAP, "--workers", "2"]
    with _started(tmp_path, *args) as process:
        _wait_for_first_result(tmp_path, process)
        workers = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    (store,) = (tmp_path / ".bifwatch-sweeps").glob("map-*.sqlite")
    assert process.returncode == 128 + signal.SIGTERM and out == ""
    assert err.splitlines() == [_resume_line("stopped by SIGTERM", store, args)]
    assert "leaked" not in err and "Traceback" not in err
    assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, [pid for pid in workers if _alive(pid)]
        time.sleep(0.05)


@pytest.mark.parametrize(
    "args",
    [
        ["map", "example:tent", "--param", "W[0,0]", "--range", "-2.23", "1.81", "--param", "A[0]", "--range",
         "-1.47", "1.53", "--grid", "11", "7", "--max-order", "2", "--workers", "1"],
        ["diagram", "example:tent", "--param", "W[0,0]", "--range", "-2.2", "1.8", "--max-order", "2",
         "--resolution", "40"],
    ],
    ids=["map", "diagram"],
)
def test_a_closed_stdout_is_quiet_and_the_run_completes(tmp_path, args):
    """``bifwatch ... | head -1`` with the reader gone before the first line."""
    with _started(tmp_path, *args, "--no-progress", "--json", "out.json") as process:
        process.stdout.close()
        err = process.stderr.read()
        process.wait(timeout=60)
    assert process.returncode == 141 and err == ""  # no "Exception ignored ... BrokenPipeError"
    assert (tmp_path / "out.json").stat().st_size > 0
    assert not (tmp_path / ".bifwatch-sweeps").exists()  # nothing blocks the identical command


@pytest.mark.parametrize(
    "args",
    [["cycles", "example:cycle6", "--max-order", "6"], ["examples"], ["ghost", "points", "example:cycle6"]],
    ids=["cycles", "examples", "ghost-points"],
)
def test_a_closed_stdout_is_quiet_in_every_command(tmp_path, args):
    """Commands that print at the end: the broken pipe is met inside main, not at interpreter exit."""
    with _started(tmp_path, *args) as process:
        process.stdout.close()
        err = process.stderr.read()
        process.wait(timeout=60)
    assert process.returncode == 141 and err == ""


@pytest.mark.parametrize(
    "args",
    [["cycles", "example:cycle6", "--max-order", "6", "--json", "c.json", "--plot", "c.png"],
     ["ghost", "points", "example:cycle6", "--json", "c.json", "--plot", "c.png"]],
    ids=["cycles", "ghost-points"],
)
def test_a_closed_stdout_still_writes_the_files(tmp_path, args):
    """Unbuffered stdout (PYTHONUNBUFFERED=1) meets the closed pipe at the first line: files still come."""
    with _started(tmp_path, *args, env={"PYTHONUNBUFFERED": "1"}) as process:
        process.stdout.close()
        err = process.stderr.read()
        process.wait(timeout=60)
    assert process.returncode == 141 and err == ""
    assert (tmp_path / "c.json").stat().st_size > 0 and (tmp_path / "c.png").stat().st_size > 0


def test_ctrl_c_while_the_workers_start_prints_no_traceback(tmp_path):
    """SIGINT to the group while spawned workers import: they ignore it from the start, not after imports."""
    args = [*MAP, "--workers", "2"]
    for delay in [0.02 * i for i in range(16)]:  # after the first child process appears (the race is narrow)
        with _started(tmp_path, *args) as process:
            deadline = time.monotonic() + 60
            while not _children(process.pid):
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "no worker process within 60 s"
                time.sleep(0.005)
            time.sleep(delay)
            os.killpg(process.pid, signal.SIGINT)
            _, err = process.communicate(timeout=60)
        assert "Traceback" not in err, (delay, err)
        assert process.returncode in (0, 130), (delay, process.returncode, err)
        for store in (tmp_path / ".bifwatch-sweeps").glob("*"):
            store.unlink()


GHOST_RNN = ["ghost", "rnn", "--units", "8", "--epochs", "400000", "--checkpoint-every", "20",
             "--analyse-every", "0", "--no-progress"]


def test_ghost_rnn_ctrl_c_names_its_checkpoint_and_the_command_that_resumes(tmp_path):
    with _started(tmp_path, *GHOST_RNN) as process:
        deadline = time.monotonic() + 60
        while not list((tmp_path / ".bifwatch-sweeps").glob("ghost-rnn-*.npz")):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no checkpoint within 60 s"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=30)
    (checkpoint,) = (tmp_path / ".bifwatch-sweeps").glob("ghost-rnn-*.npz")
    assert process.returncode == 130 and out == ""
    assert err.splitlines() == [
        f"bifwatch: interrupted; the training's checkpoint is kept in '.bifwatch-sweeps/{checkpoint.name}'; "
        f"to continue it, run the same command with --resume: bifwatch {shlex.join([*GHOST_RNN, '--resume'])}"
    ]


def test_a_failed_run_removes_its_empty_default_store(tmp_path, monkeypatch, capsys):
    """A run that fails before any result (no scheduler there) does not block the identical command."""
    pytest.importorskip("distributed")
    import dask

    monkeypatch.chdir(tmp_path)
    args = ["diagram", "example:tent", "--param", "W[0,0]", "--range", "0", "1", "--scheduler",
            "tcp://127.0.0.1:1", "--no-progress"]
    with dask.config.set({"distributed.comm.timeouts.connect": "0.2s"}):
        for _ in range(2):  # the second time too: not "an unfinished run ... add --resume"
            status, out, err = run(capsys, *args)
            assert status == 2 and out == "", err
            assert err.startswith("bifwatch: error: could not connect to the Dask scheduler"), err
            assert len(err.splitlines()) == 1 and "kept" not in err
            assert not (tmp_path / ".bifwatch-sweeps").exists()


def test_a_failed_run_keeps_a_store_with_results_and_says_so(tmp_path, monkeypatch, capsys):
    import bifwatch.cli._diagram as diagram_command

    def broken(*args, **kwargs):
        raise OSError("disk trouble")

    monkeypatch.chdir(tmp_path)
    args = ["diagram", "example:tent", "--param", "W[0,0]", "--range", "-2.2", "1.8", "--max-order", "1",
            "--resolution", "10", "--seeds", "2", "--no-progress", "--plot", "d.png"]
    monkeypatch.setattr(diagram_command, "save_figure", broken)
    status, _, err = run(capsys, *args)
    (store,) = (tmp_path / ".bifwatch-sweeps").glob("diagram-*.sqlite")
    assert status == 2
    assert err.splitlines() == [
        f"bifwatch: error: disk trouble; its store '.bifwatch-sweeps/{store.name}' is kept: the same command "
        "with --resume continues it"
    ]
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, *args, "--resume")
    assert (status, err) == (0, ""), err
    assert (tmp_path / "d.png").stat().st_size > 0 and not (tmp_path / ".bifwatch-sweeps").exists()


def test_sigterm_handler_set_from_c_is_restored_as_the_default(monkeypatch):
    """``signal.getsignal`` gives None for a handler installed from C: the default comes back, not ours."""
    from bifwatch.cli import _interrupts

    real_signal, real_getsignal = signal.signal, signal.getsignal
    before = real_getsignal(signal.SIGTERM)
    monkeypatch.setattr(signal, "signal", lambda number, handler: (real_signal(number, handler), None)[1])
    monkeypatch.setattr(signal, "getsignal", lambda number: None)
    try:
        with _interrupts.stopped_by_signals("nowhere.sqlite"):
            assert real_getsignal(signal.SIGTERM) is _interrupts._raise_terminated
        assert real_getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        real_signal(signal.SIGTERM, before)
