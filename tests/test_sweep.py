"""The sweep runner and its store, with real processes, real kills and a real Dask cluster.

Where the truth comes from: every task returns ``sweep_tasks.result_of(x)`` (a closed form), so
each sweep's results are known whatever ran it and however often it was interrupted. Which tasks
ran is read from a log the task function appends to (one line per run, key and process id), and
the store's rows are counted with ``sqlite3`` directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import sweep_tasks  # a plain helper module next to this file, importable by worker processes

from bifwatch.sweep import SweepStore, run_tasks

TESTS = Path(__file__).parent

SPEC = {"model": {"A": [[0.5, 0.0], [0.0, 0.2]]}, "range": [0.0, 1.0], "grid": 24}


def expected(tasks: dict[str, int]) -> dict[str, dict]:
    return {key: sweep_tasks.result_of(x) for key, x in tasks.items()}


def assert_same_results(got: dict[str, dict], want: dict[str, dict]) -> None:
    """Same keys in the same order, and exactly equal values."""
    assert list(got) == list(want)
    for key, value in want.items():
        assert got[key]["x"] == value["x"], key
        np.testing.assert_array_equal(got[key]["values"], value["values"], err_msg=key)


def logged_tasks(n: int, log: Path, delay: float) -> dict[str, tuple]:
    """n tasks for ``sweep_tasks.logged``, keys in a deliberately unsorted order."""
    xs = [*range(0, n, 2), *range(1, n, 2)]
    return {f"t{x:03d}": (f"t{x:03d}", x, delay, str(log)) for x in xs}


def plain(tasks: dict[str, tuple]) -> dict[str, int]:
    return {key: arg[1] for key, arg in tasks.items()}


def count_rows(path: Path) -> tuple[int, int]:
    """(rows, distinct keys) of the store's results table; (0, 0) before it exists."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        try:
            return connection.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM results").fetchone()
        except sqlite3.OperationalError:  # the driver has not created the table yet
            return (0, 0)


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not reaped by its new parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


# --------------------------------------------------------------------------------------------
# A sweep driver in its own process, to kill or interrupt

DRIVER = """
import json, sys
import sweep_tasks
from bifwatch.sweep import SweepStore, run_tasks

if __name__ == "__main__":  # worker processes are spawned: they import this file again
    options = json.loads(sys.argv[1])
    tasks = {key: tuple(arg) for key, arg in options.pop("tasks").items()}
    with SweepStore(options.pop("path"), spec=options.pop("spec"), resume=True) as store:
        run_tasks(sweep_tasks.logged, tasks, store=store, **options)
"""


@contextlib.contextmanager
def driver(tmp_path: Path, tasks: dict[str, tuple], store: Path, **options) -> Iterator[subprocess.Popen]:
    """Run a sweep driver in a subprocess; kill it and its workers at the end, whatever happened."""
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    package_parent = Path(sys.modules["bifwatch"].__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(package_parent)])}
    arguments = json.dumps({"tasks": tasks, "path": str(store), "spec": SPEC, **options})
    with open(tmp_path / "driver.err", "w") as err:
        process = subprocess.Popen([sys.executable, str(script), arguments], env=env, stderr=err)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        log = next(iter(tasks.values()))[3]
        for pid in sweep_tasks.read_pids(log, parent=process.pid):  # its local workers, if any
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------------------------
# The store


def test_store_round_trip(tmp_path):
    path = tmp_path / "sweep.sqlite"
    value = {"points": np.linspace(0.0, 1.0, 5), "codes": np.array([[True, False]]), "label": "a"}
    with SweepStore(path, spec=SPEC) as store:
        store.put("b", value)
        store.put("a", None)
        assert len(store) == 2 and "b" in store and "c" not in store and 3 not in store
        assert store.keys() == {"a", "b"} and list(store) == ["a", "b"]
        assert store.get("c") is None and store.get("c", 7) == 7 and store["a"] is None
        assert [key for key, _ in store.items()] == ["a", "b"]
        assert store.spec == SPEC and store.path == path and "2 results" in repr(store)
        with pytest.raises(KeyError, match="no result for key 'c'"):
            store["c"]
    with SweepStore(path, spec=SPEC, resume=True) as store:
        got = store["b"]
    np.testing.assert_array_equal(got["points"], value["points"])
    np.testing.assert_array_equal(got["codes"], value["codes"])
    assert got["codes"].dtype == bool and got["label"] == "a"
    with pytest.raises(ValueError, match="is closed"):
        store.put("c", 1)


def test_store_keeps_one_row_per_key(tmp_path):
    path = tmp_path / "sweep.sqlite"
    with SweepStore(path, spec=SPEC) as store:
        store.put("k", 1)
        store.put("k", 2)
        assert store["k"] == 1 and len(store) == 1
    assert count_rows(path) == (1, 1)


def test_store_resume(tmp_path):
    path = tmp_path / "sweep.sqlite"
    with SweepStore(path, spec=SPEC, resume=True) as store:  # nothing to resume: created
        store.put("k", [1, 2])
    with SweepStore(path, spec=json.loads(json.dumps(SPEC)), resume=True) as store:
        assert store.items() == [("k", [1, 2])]
    with pytest.raises(FileExistsError, match=r"already exists; pass resume=True \(--resume\)"):
        SweepStore(path, spec=SPEC)


def test_store_spec_mismatch_names_the_keys(tmp_path):
    path = tmp_path / "sweep.sqlite"
    SweepStore(path, spec={**SPEC, "tol": float("nan")}).close()
    with SweepStore(path, spec={**SPEC, "tol": float("nan")}, resume=True):  # NaN equals NaN here
        pass
    with pytest.raises(ValueError, match="made for a different sweep: keys 'range' differ"):
        SweepStore(path, spec={**SPEC, "tol": float("nan"), "range": [0.0, 2.0]}, resume=True)
    with pytest.raises(ValueError, match="keys 'extra', 'tol' differ"):
        SweepStore(path, spec={**SPEC, "extra": 1}, resume=True)


@pytest.mark.parametrize("kind", ["text", "other-sqlite"])
def test_store_rejects_other_files(tmp_path, kind):
    path = tmp_path / "other.sqlite"
    if kind == "text":
        path.write_text("not a database, just some words that are long enough to look like a header\n")
    else:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("CREATE TABLE meta (x INTEGER)")
            connection.commit()
    with pytest.raises(ValueError, match="is not a sweep store"):
        SweepStore(path, spec=SPEC, resume=True)


def test_store_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"directory '.*missing' for sweep store 'x\.sqlite' does"):
        SweepStore(tmp_path / "missing" / "x.sqlite", spec=SPEC)
    with pytest.raises(TypeError, match="`spec` must be a dict"):
        SweepStore(tmp_path / "x.sqlite", spec=[1, 2])
    with pytest.raises(TypeError, match="`spec` must be JSON-serialisable"):
        SweepStore(tmp_path / "x.sqlite", spec={"n": np.int64(3)})
    with SweepStore(tmp_path / "x.sqlite", spec=SPEC) as store:
        with pytest.raises(TypeError, match="keys must be str; got 3 of type int"):
            store.put(3, "x")


# --------------------------------------------------------------------------------------------
# Running in this process and on local worker processes


def test_results_do_not_depend_on_workers(tmp_path):
    tasks = {f"k{x}": x for x in [5, 1, 4, 0, 3, 2]}
    assert_same_results(run_tasks(sweep_tasks.compute, tasks, workers=1), expected(tasks))
    assert_same_results(run_tasks(sweep_tasks.compute, tasks, workers=2), expected(tasks))
    assert run_tasks(sweep_tasks.compute, {}) == {}


def test_tasks_run_in_this_process_by_default(tmp_path):
    """No ``workers``: no pool, so no pickling and no ``__main__`` guard needed."""
    tasks = logged_tasks(4, tmp_path / "log", delay=0.0)
    assert_same_results(run_tasks(sweep_tasks.logged, tasks), expected(plain(tasks)))
    assert sweep_tasks.read_pids(tmp_path / "log", parent=os.getppid()) == {os.getpid()}
    assert run_tasks(lambda x: x + 1, {"a": 1, "b": 2}) == {"a": 2, "b": 3}


def test_stored_tasks_are_not_run_again(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # a bar is drawn on a terminal only
    tasks = logged_tasks(6, tmp_path / "log", delay=0.0)
    with SweepStore(tmp_path / "s.sqlite", spec=SPEC) as store:
        store.put("t000", sweep_tasks.result_of(0))
        store.put("t005", sweep_tasks.result_of(5))
        results = run_tasks(
            sweep_tasks.logged, tasks, store=store, workers=1, progress=True, description="rows"
        )
    assert_same_results(results, expected(plain(tasks)))
    assert sorted(sweep_tasks.read_log(tmp_path / "log")) == ["t001", "t002", "t003", "t004"]
    assert "rows" in capsys.readouterr().err
    assert count_rows(tmp_path / "s.sqlite") == (6, 6)


def test_the_bar_is_bifwatch_s_one_progress_bar(tmp_path, monkeypatch):
    """run_tasks draws the bar of ``bifwatch._progress.progress_bar`` (tqdm imported only for a bar)."""
    import bifwatch.sweep._run as run_module

    asked, updates = [], []

    class Bar:
        def update(self, n):
            updates.append(n)

        def close(self):
            updates.append("closed")

    def progress_bar(enabled, total=None, initial=0, **kwargs):
        asked.append((enabled, total, initial, kwargs.get("description")))
        return Bar()

    monkeypatch.setattr(run_module, "progress_bar", progress_bar)
    with SweepStore(tmp_path / "s.sqlite", spec=SPEC) as store:
        store.put("t000", sweep_tasks.result_of(0))
        run_tasks(sweep_tasks.logged, logged_tasks(3, tmp_path / "log", delay=0.0), store=store,
                  progress=True, description="rows")
    assert asked == [(True, 3, 1, "rows")] and updates == [1, 1, "closed"]
    assert not hasattr(run_module, "tqdm")


def test_killed_driver_resumes(tmp_path):
    """SIGKILL the driver mid-sweep: the store keeps whole rows; a resumed run does only the rest."""
    store, first_log, second_log = tmp_path / "s.sqlite", tmp_path / "first.log", tmp_path / "second.log"
    with driver(tmp_path, logged_tasks(24, first_log, delay=0.15), store, workers=2) as process:
        wait_for(lambda: count_rows(store)[0] >= 4, timeout=30, what="4 results in the store")
        process.kill()
        process.wait()
        workers = sweep_tasks.read_pids(first_log, parent=process.pid)
        wait_for(lambda: not any(alive(pid) for pid in workers), timeout=10, what="orphan workers to exit")
    before = count_rows(store)
    assert 4 <= before[0] < 24 and before[0] == before[1]
    with SweepStore(store, spec=SPEC, resume=True) as opened:
        stored = opened.keys()
        tasks = logged_tasks(24, second_log, delay=0.0)
        results = run_tasks(sweep_tasks.logged, tasks, store=opened, workers=2)
    assert_same_results(results, expected(plain(tasks)))
    rerun = sweep_tasks.read_log(second_log)
    assert sorted(rerun) == sorted(set(tasks) - stored)  # each missing task once, no stored one
    assert count_rows(store) == (24, 24)


def test_ctrl_c_stops_driver_and_workers(tmp_path):
    store, log = tmp_path / "s.sqlite", tmp_path / "log"
    with driver(tmp_path, logged_tasks(40, log, delay=0.15), store, workers=2) as process:
        wait_for(lambda: count_rows(store)[0] >= 2, timeout=30, what="2 results in the store")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) != 0
        assert "KeyboardInterrupt" in (tmp_path / "driver.err").read_text()
        assert not any(alive(pid) for pid in sweep_tasks.read_pids(log, parent=process.pid))
    assert 2 <= count_rows(store)[0] < 40


def test_pool_is_replaced_when_a_worker_dies(tmp_path, caplog):
    marker = tmp_path / "died"
    tasks = {f"k{x}": (x, str(marker)) for x in range(8)}
    with SweepStore(tmp_path / "s.sqlite", spec=SPEC) as store:
        results = run_tasks(sweep_tasks.die_once, tasks, store=store, workers=2)
    assert marker.exists()  # the worker really died once
    assert "a local worker process died" in caplog.text
    assert_same_results(results, expected({key: x for key, (x, _) in tasks.items()}))
    assert count_rows(tmp_path / "s.sqlite") == (8, 8)


def test_pool_gives_up_after_max_restarts(tmp_path):
    with SweepStore(tmp_path / "s.sqlite", spec=SPEC) as store:
        store.put("k0", sweep_tasks.result_of(0))
        match = r"died 2 times \(max_restarts=1\).*1 of 3 tasks finished .*'.*s.sqlite'.*resume=True"
        with pytest.raises(RuntimeError, match=match):
            run_tasks(sweep_tasks.die, {"k0": 0, "k1": 1, "k2": 2}, store=store, workers=2, max_restarts=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_task_exception_names_its_key(tmp_path, workers):
    tasks = {f"k{x}": x for x in range(6)}
    with SweepStore(tmp_path / "s.sqlite", spec=SPEC) as store:
        with pytest.raises(ValueError, match="three is not allowed") as caught:
            run_tasks(sweep_tasks.fail_on_three, tasks, store=store, workers=workers)
        assert "raised by sweep task 'k3'" in caught.value.__notes__
        assert "k3" not in store and store.keys() <= set(tasks)


def test_argument_errors():
    tasks = {"a": 1}
    cases = [
        (dict(workers=0), ValueError, r"`workers` must be an int >= 1 or None; got 0"),
        (dict(workers=1.5), TypeError, r"`workers` must be an int >= 1 or None; got 1.5 of type float"),
        (dict(workers=True), TypeError, r"`workers` must be an int"),
        (dict(max_restarts=-1), ValueError, r"`max_restarts` must be an int >= 0; got -1"),
        (dict(store="x.sqlite"), TypeError, r"`store` must be a SweepStore or None; got str"),
        (dict(scheduler="tcp://127.0.0.1:1", workers=2), ValueError, r"`workers`=2 is for local processes"),
    ]
    for options, error, match in cases:
        with pytest.raises(error, match=match):
            run_tasks(sweep_tasks.compute, tasks, **options)
    with pytest.raises(TypeError, match="`fn` must be callable"):
        run_tasks(3, tasks)
    with pytest.raises(TypeError, match="`tasks` must be a mapping"):
        run_tasks(sweep_tasks.compute, [1, 2])
    with pytest.raises(TypeError, match="`tasks` keys must be str; got 1 of type int"):
        run_tasks(sweep_tasks.compute, {1: 1})
    with pytest.raises(TypeError, match=r"`fn` must be picklable .* Use workers=1"):
        run_tasks(lambda x: x, tasks, workers=2)
    assert run_tasks(lambda x: x + 1, tasks, workers=1) == {"a": 2}


def test_function_from_an_interactive_session_is_refused_for_workers():
    """Spawned workers cannot import ``__main__`` of ``python -c``: say so before starting a pool."""
    code = (
        "from bifwatch.sweep import run_tasks\n"
        "def f(x): return x + 1\n"
        "assert run_tasks(f, {'a': 1}, workers=1) == {'a': 2}\n"
        "try:\n"
        "    run_tasks(f, {'a': 1, 'b': 2}, workers=2)\n"
        "except TypeError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "is defined in an interactive session" in done.stdout, done.stderr


def test_missing_distributed_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "bifwatch\[dask\]"'):
        run_tasks(sweep_tasks.compute, {"a": 1}, scheduler="tcp://127.0.0.1:8786")


# --------------------------------------------------------------------------------------------
# A Dask cluster


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(  # loopback only; the dashboard on a free port, not 8787
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as cluster:
        yield cluster


@pytest.fixture
def client(cluster):
    import distributed

    with distributed.Client(cluster, set_as_default=False) as client:
        yield client


def test_dask_matches_local(cluster, client):
    tasks = {f"k{x}": x for x in [3, 0, 7, 1, 6, 2, 5, 4]}
    by_address = run_tasks(sweep_tasks.compute, tasks, scheduler=cluster.scheduler_address)
    assert_same_results(by_address, expected(tasks))
    assert_same_results(run_tasks(sweep_tasks.compute, tasks, scheduler=client), expected(tasks))
    assert client.status == "running"  # a client passed in is not closed


def test_dask_worker_killed_mid_sweep(tmp_path, client):
    """SIGKILL a worker after a few results: the scheduler reruns its task elsewhere."""
    store, log = tmp_path / "s.sqlite", tmp_path / "log"
    victim = next(iter(client.run(os.getpid).values()))
    killed = threading.Event()

    def kill_after_three_results() -> None:
        wait_for(lambda: count_rows(store)[0] >= 3, timeout=30, what="3 results in the store")
        os.kill(victim, signal.SIGKILL)
        killed.set()

    killer = threading.Thread(target=kill_after_three_results, daemon=True)
    tasks = logged_tasks(16, log, delay=0.2)
    with SweepStore(store, spec=SPEC) as opened:
        killer.start()
        try:
            results = run_tasks(sweep_tasks.logged, tasks, store=opened, scheduler=client)
        finally:
            killer.join(timeout=35)
    assert killed.is_set() and not alive(victim)
    assert_same_results(results, expected(plain(tasks)))
    assert count_rows(store) == (16, 16)
    assert set(sweep_tasks.read_log(log)) == set(tasks)  # a task may run twice; its result is kept once


def test_dask_interrupted_then_resumed(tmp_path, cluster):
    store, first_log, second_log = tmp_path / "s.sqlite", tmp_path / "first.log", tmp_path / "second.log"
    address = cluster.scheduler_address
    with driver(tmp_path, logged_tasks(20, first_log, delay=0.2), store, scheduler=address) as process:
        wait_for(lambda: count_rows(store)[0] >= 3, timeout=30, what="3 results in the store")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) != 0
    assert "KeyboardInterrupt" in (tmp_path / "driver.err").read_text()
    with SweepStore(store, spec=SPEC, resume=True) as opened:
        stored = opened.keys()
        assert 3 <= len(stored) < 20
        tasks = logged_tasks(20, second_log, delay=0.0)
        results = run_tasks(sweep_tasks.logged, tasks, store=opened, scheduler=address)
    assert_same_results(results, expected(plain(tasks)))
    assert sorted(sweep_tasks.read_log(second_log)) == sorted(set(tasks) - stored)
    assert count_rows(store) == (20, 20)


def test_dask_task_exception_names_its_key(client):
    with pytest.raises(ValueError, match="three is not allowed") as caught:
        run_tasks(sweep_tasks.fail_on_three, {f"k{x}": x for x in range(6)}, scheduler=client)
    assert "raised by sweep task 'k3'" in caught.value.__notes__


def test_dask_bad_address():
    import dask

    pytest.importorskip("distributed")
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        with pytest.raises(OSError, match=f"could not connect to the Dask scheduler at .*'{address}'"):
            run_tasks(sweep_tasks.compute, {"a": 1}, scheduler=address)
    with pytest.raises(ValueError, match="`scheduler`='nonsense://x' is not a Dask scheduler address"):
        run_tasks(sweep_tasks.compute, {"a": 1}, scheduler="nonsense://x")
    with pytest.raises(TypeError, match="`scheduler` must be a Dask scheduler address"):
        run_tasks(sweep_tasks.compute, {"a": 1}, scheduler=8786)
