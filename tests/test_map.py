"""Two-parameter maps: the skew tent chart against its closed-form curves, counts against the
cycle search in every cell, the xarray Dataset, the figure, the CLI, Dask and resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.cli import main

TENT = bw.PLRNN(A=[0.2], W=[[0.0]], h=[1.0])
# W[0,0] = a_r - a_l and A[0] = a_l: odd ranges so no grid point sits on a curve
TENT_MAP = ("W[0,0]", (-2.23, 1.81), "A[0]", (-1.47, 1.53))


@pytest.fixture(scope="module")
def tent_map():
    return bw.parameter_map(TENT, *TENT_MAP, grid=(41, 31), max_order=2, workers=1)


def test_tent_events_lie_on_the_closed_form_curves(tent_map):
    ev = tent_map.events
    a_l, a_r = ev["y"], ev["x"] + ev["y"]
    curves = np.stack([a_r - 1, a_r + 1, a_l - 1, a_l + 1, a_l * a_r - 1, a_l * a_r + 1])
    assert len(a_l) > 100
    assert np.abs(curves).min(axis=0).max() < 1e-12


def test_tent_every_curve_crossing_a_grid_line_is_found(tent_map):
    """Along each row (a_l fixed) the fixed point's DTB at a_r = 1 and DFB at a_r = -1 (where |a_l| < 1)."""
    (x, y), ev = tent_map.values, tent_map.events
    for a_l in y:
        if abs(abs(a_l) - 1) < 0.05:
            continue
        row = (ev["axis"] == 0) & (ev["y"] == a_l) & (ev["order"] == 1)
        found = np.sort(ev["x"][row] + a_l)
        expected = [r for r in (-1.0, 1.0) if x[0] + a_l < r < x[-1] + a_l and (r == 1.0 or abs(a_l) < 1)]
        for r in expected:
            assert np.min(np.abs(found - r)) < 1e-12, (a_l, r, found)


def test_tent_cells_match_the_closed_forms(tent_map):
    (x, y) = tent_map.values
    a_r, a_l = x[:, None] + y[None, :], y[None, :] + 0 * x[:, None]
    fixed_right = a_r < 1                                 # z* = 1/(1 - a_r) > 0
    fixed_left = a_l > 1                                  # z = 1/(1 - a_l) < 0
    two_cycle = (a_r < -1) & (a_l * a_r < 1) & (a_l > -1)  # z_R > 0, z_L <= 0
    assert np.array_equal(tent_map.n_cycles[:, :, 0], fixed_right.astype(int) + fixed_left)
    assert np.array_equal(tent_map.n_stable[:, :, 0], (fixed_right & (np.abs(a_r) < 1)).astype(int))
    rows = (y > 0) & (y < 1)                              # where the notes' closed forms hold as written
    assert np.array_equal(tent_map.n_cycles[:, rows, 1] > 0, two_cycle[:, rows])
    assert np.array_equal(tent_map.n_stable[:, rows, 1] > 0, (two_cycle & (np.abs(a_l * a_r) < 1))[:, rows])


@pytest.mark.parametrize("draw", [0, 1])
def test_counts_equal_the_search_in_every_cell(draw):
    rng = np.random.default_rng(100 + draw)
    model = bw.PLRNN(A=rng.uniform(-0.9, 0.9, (2, 2)), W=rng.normal(0, 1.2, (2, 2)), h=rng.normal(0, 1, 2))
    w, a = float(model.W[0, 1]), float(model.A[1, 1])
    m = bw.parameter_map(model, "W[0,1]", (w - 1.3, w + 1.3), "A[1,1]", (a - 0.4, a + 0.4),
                         grid=(13, 9), max_order=3, workers=1)
    for i, xv in enumerate(m.values[0]):
        for j, yv in enumerate(m.values[1]):
            W, A = model.W.copy(), model.A.copy()
            W[0, 1], A[1, 1] = xv, yv
            n_cycles, n_stable = np.zeros(3, int), np.zeros(3, int)
            for c in bw.find_cycles(bw.PLRNN(A=A, W=W, h=model.h), 3).cycles:
                n_cycles[c.order - 1] += 1
                n_stable[c.order - 1] += c.stable
            assert np.array_equal(m.n_cycles[i, j], n_cycles), (i, j)
            assert np.array_equal(m.n_stable[i, j], n_stable), (i, j)


def test_xarray_dataset(tent_map):
    ds = tent_map.to_xarray()
    assert ds["n_cycles"].dims == ("W_0_0", "A_0", "order")
    assert ds["W_0_0"].attrs["long_name"] == "W[0,0]"
    assert ds.sizes["event"] == len(tent_map.events["x"])
    assert set(ds["event_type"].values) <= set(bw.EVENT_TYPES)
    assert int(ds["n_stable"].sel(order=1).sum()) == int(tent_map.n_stable[:, :, 0].sum())


def test_json_and_figure(tent_map, tmp_path):
    data = json.loads(tent_map.to_json())
    tent_map.to_json(tmp_path / "m.json")
    assert (tmp_path / "m.json").read_text() == tent_map.to_json() + "\n"  # strict writer: final newline
    assert {"parameters", "values", "n_cycles", "n_stable", "events"} <= set(data)
    assert all(e["type"] in bw.EVENT_TYPES and isinstance(e["order"], int) for e in data["events"])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image
    import matplotlib.pyplot as plt

    ax = tent_map.plot()
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"FP", "2C", "none"} <= labels
    ax.figure.savefig(tmp_path / "map.png")
    plt.close(ax.figure)
    assert matplotlib.image.imread(tmp_path / "map.png").std() > 0.05


def test_workers_and_resume_give_the_same_map(tent_map, tmp_path):
    store = tmp_path / "map.sqlite"
    again = bw.parameter_map(TENT, *TENT_MAP, grid=(41, 31), max_order=2, workers=2, store=store)
    assert np.array_equal(again.n_cycles, tent_map.n_cycles)
    with pytest.raises(FileExistsError, match="resume"):
        bw.parameter_map(TENT, *TENT_MAP, grid=(41, 31), max_order=2, workers=1, store=store)
    resumed = bw.parameter_map(TENT, *TENT_MAP, grid=(41, 31), max_order=2, workers=1, store=store,
                               resume=True)
    assert np.array_equal(resumed.n_stable, tent_map.n_stable)
    assert np.array_equal(resumed.events["x"], tent_map.events["x"])


def test_dask_cluster_gives_the_same_map(tent_map):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster:
        m = bw.parameter_map(TENT, *TENT_MAP, grid=(41, 31), max_order=2, scheduler=cluster.scheduler_address)
    assert np.array_equal(m.n_cycles, tent_map.n_cycles)
    assert np.array_equal(m.events["y"], tent_map.events["y"])


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("W[0,0]", (0, 1), "W[0,0]", (0, 1)), ValueError, "different entries"),
        (("W[0,0]", (1, 0), "A[0]", (0, 1)), ValueError, "reversed range"),
        (("W[0,0]", (0, 1), "A[0]", (1, 1)), ValueError, "empty range"),
        (("W[1,0]", (0, 1), "A[0]", (0, 1)), ValueError, "out of range"),
        (("Q", (0, 1), "A[0]", (0, 1)), ValueError, "unknown parameter"),
    ],
)
def test_errors(args, error, match):
    with pytest.raises(error, match=match):
        bw.parameter_map(TENT, *args, grid=(3, 3), workers=1)


@pytest.mark.parametrize(
    ("ranges", "match"),
    [
        (((-2.0, 1.8), (-1e300, 1e300)), r"not finite along `range2`: at A\[0\] = -1e\+300"),
        (((-1e300, 1.8), (0.1, 0.3)), r"not finite along `range1`: at W\[0,0\] = -1e\+300"),
    ],
    ids=["second", "first"],
)
def test_a_range_that_overflows_is_named_before_any_task_runs(monkeypatch, ranges, match):
    import bifwatch.bifurcations._map as map_module

    def no_task(task):
        raise AssertionError("a row task ran")

    monkeypatch.setattr(map_module, "_row_task", no_task)
    with pytest.raises(ValueError, match=match):
        bw.parameter_map(TENT, "W[0,0]", ranges[0], "A[0]", ranges[1], grid=(3, 3), workers=1)


def test_grid_and_model_errors():
    with pytest.raises(ValueError, match="grid"):
        bw.parameter_map(TENT, *TENT_MAP, grid=(1, 3), workers=1)
    with pytest.raises(ValueError, match="two integers"):
        bw.parameter_map(TENT, *TENT_MAP, grid=5, workers=1)
    with pytest.raises(TypeError, match="bifwatch model"):
        bw.parameter_map("tent", *TENT_MAP)


def test_cli_map(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["map", "example:tent", "--param", "W[0,0]", "--range", "-2.23", "1.81", "--param", "A[0]",
            "--range", "-1.47", "1.53", "--grid", "21", "11", "--workers", "1", "--no-progress"]
    assert main([*args, "--json", "m.json", "--dataset", "m.nc", "--plot", "m.png"]) == 0
    assert json.loads((tmp_path / "m.json").read_text())["events"]
    assert (tmp_path / "m.png").stat().st_size > 1000
    import xarray as xr

    with xr.open_dataset(tmp_path / "m.nc") as ds:
        assert ds["n_cycles"].shape == (21, 11, 4)  # the CLI's default --max-order
    assert not (tmp_path / ".bifwatch-sweeps").exists()   # the default store is removed when done


def test_cli_map_default_store_name_is_that_of_earlier_versions(tmp_path, monkeypatch, capsys):
    """An identical command finds the store an interrupted run of an earlier version left."""
    import bifwatch.bifurcations._map as map_module

    def interrupt(task):
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(map_module, "_row_task", interrupt)
    args = ["map", "example:tent", "--param", "W[0,0]", "--range", "-2.23", "1.81", "--param", "A[0]",
            "--range", "-1.47", "1.53", "--grid", "21", "11", "--workers", "1", "--no-progress"]
    assert main(args) == 130
    assert [p.name for p in (tmp_path / ".bifwatch-sweeps").iterdir()] == ["map-2445fb0d1fc9.sqlite"]


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--param", "W[0,0]", "--range", "0", "1"], "exactly twice"),
        (["--param", "W[0,0]", "--range", "0", "1", "--param", "A[0]", "--range", "1", "0"], "reversed"),
        (["--param", "W[0,0]", "--range", "0", "1", "--param", "A[0]", "--range", "0", "1",
          "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "exclude each other"),
    ],
)
def test_cli_map_errors(extra, match, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["map", "example:tent", "--grid", "3", "3", "--no-progress", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err


# --- a plain script, as a new user pastes the README's example -----------------------------------

UNGUARDED = """
import sys
import bifwatch as bw

tent = bw.PLRNN(A=[0.2], W=[[0.0]], h=[1.0])
options = {"workers": int(sys.argv[1])} if len(sys.argv) > 1 else {}
grid = bw.parameter_map(tent, "W[0,0]", (-2.23, 1.81), "A[0]", (-1.47, 1.53), grid=(11, 7), max_order=2,
                        **options)
print(grid.n_stable.sum(axis=(0, 1)).tolist())
"""


def _run_script(tmp_path: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / "example.py"
    script.write_text(textwrap.dedent(code))
    package_parent = Path(sys.modules["bifwatch"].__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env)


def test_a_script_without_main_guard_runs_in_process(tmp_path):
    """No ``if __name__ == "__main__":`` and no ``workers``: the map is made in the script's process."""
    done = _run_script(tmp_path, UNGUARDED)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]
    m = bw.parameter_map(TENT, *TENT_MAP, grid=(11, 7), max_order=2, workers=1)
    assert json.loads(done.stdout) == m.n_stable.sum(axis=(0, 1)).tolist()


def test_workers_from_a_script_without_main_guard_is_refused_in_one_line(tmp_path):
    """Spawned workers would run the unguarded call again: say so before any worker starts."""
    done = _run_script(tmp_path, UNGUARDED, "2")
    assert done.returncode == 1 and done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        'RuntimeError: workers=2 from a script needs an `if __name__ == "__main__":` guard around the call '
        "(spawned workers re-import the script; the call is at example.py, line 7); run without workers, "
        "or add the guard"
    )
    assert done.stderr.count("Traceback") == 1  # the script's own, none from worker processes
    assert "bootstrapping" not in done.stderr and "died" not in done.stderr


def test_workers_from_a_guarded_script_run(tmp_path):
    guarded = UNGUARDED.replace("grid = bw.", "def main():\n    grid = bw.").replace("print(", "    print(")
    done = _run_script(tmp_path, guarded + "\nif __name__ == '__main__':\n    main()\n", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    m = bw.parameter_map(TENT, *TENT_MAP, grid=(11, 7), max_order=2, workers=1)
    assert json.loads(done.stdout) == m.n_stable.sum(axis=(0, 1)).tolist()
