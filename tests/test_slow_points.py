"""The SlowPoints container: labels, stability, selection, export, and matching across checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bifwatch import Matching, SlowPoints


def _points(time: str = "discrete") -> SlowPoints:
    """Three points given out of order: a slow point, a stable fixed point, an unstable one."""
    return SlowPoints.build(
        np.array([[1.0, 0.0], [0.0, 0.0], [2.0, 2.0]]),
        q=np.array([0.05, 0.0, 1e-14]),
        jacobians=np.array([np.diag([1.0, 0.3]), np.diag([0.5, -0.2]), np.diag([0.1, -1.5])]),
        time=time,
        message="three starts",
    )


def test_sorted_by_speed_with_fixed_points_first():
    sp = _points()
    assert sp.q.tolist() == [0.0, 1e-14, 0.05]
    assert sp.kind.tolist() == ["fixed", "fixed", "slow"]
    assert sp.points[2].tolist() == [1.0, 0.0]
    assert len(sp) == 3 and sp.M == 2


def test_eigenvalues_sorted_by_modulus_for_maps_and_real_part_for_flows():
    assert np.allclose(_points().eigenvalues[1], [-1.5, 0.1])
    assert np.allclose(_points("continuous").eigenvalues[1], [0.1, -1.5])


def test_stability_discrete_and_continuous():
    assert _points().stable.tolist() == [True, False, False]  # |1.0| is not < 1
    assert _points("continuous").stable.tolist() == [False, False, False]
    flow = SlowPoints.build(np.zeros((1, 1)), q=np.zeros(1), jacobians=-np.ones((1, 1, 1)), time="continuous")
    assert flow.stable.tolist() == [True]


def test_fixed_and_slow_views_and_select():
    sp = _points()
    assert len(sp.fixed) == 2 and len(sp.slow) == 1
    assert sp.slow.kind.tolist() == ["slow"]
    assert sp.select(np.array([2, 0])).q.tolist() == [0.05, 0.0]


def test_q_fixed_threshold_decides_the_kind():
    sp = SlowPoints.build(np.zeros((1, 1)), q=np.array([1e-8]), jacobians=np.ones((1, 1, 1)),
                          time="discrete", q_fixed=1e-6)
    assert sp.kind.tolist() == ["fixed"]


def test_json_round_trip(tmp_path):
    sp = _points()
    text = sp.to_json(tmp_path / "sp.json")
    data = json.loads((tmp_path / "sp.json").read_text())
    assert data == json.loads(text)
    assert [p["kind"] for p in data["points"]] == ["fixed", "fixed", "slow"]
    assert data["points"][1]["eigenvalues"][0] == [-1.5, 0.0]
    assert data["time"] == "discrete" and data["message"] == "three starts"


def test_regions_follow_the_sort():
    sp = SlowPoints.build(np.array([[1.0], [0.0]]), q=np.array([0.2, 0.0]), jacobians=np.ones((2, 1, 1)),
                          time="discrete", regions=np.array([[True], [False]]))
    assert sp.regions[:, 0].tolist() == [False, True]
    assert sp.to_dict()["points"][0]["region"] == [0]


def test_table_lists_every_point_and_says_when_empty():
    assert len(str(_points()).splitlines()) == 2 + 3 + 2
    empty = SlowPoints.build(np.zeros((0, 2)), q=np.zeros(0), jacobians=np.zeros((0, 2, 2)), time="discrete")
    assert len(empty) == 0 and "no fixed or slow points" in empty.table()


def test_match_pairs_near_points_and_reports_the_rest():
    a = _points()
    moved = SlowPoints.build(
        np.array([[0.001, 0.0], [1.002, 0.0], [5.0, 5.0]]), q=np.array([0.0, 0.04, 0.0]),
        jacobians=np.repeat(np.eye(2)[None] * 0.5, 3, axis=0), time="discrete",
    )
    m = a.match(moved, tol=1e-2)
    assert isinstance(m, Matching)
    # sorted by q, a is [0,0], [2,2], [1,0] and moved is [0.001,0], [5,5], [1.002,0]
    assert set(m.pairs) == {(0, 0), (2, 2)}
    assert m.vanished == (1,) and m.appeared == (1,)


def test_match_is_one_to_one():
    a = SlowPoints.build(
        np.array([[0.0], [0.001]]), q=np.zeros(2), jacobians=np.ones((2, 1, 1)), time="discrete"
    )
    b = SlowPoints.build(np.array([[0.0005]]), q=np.zeros(1), jacobians=np.ones((1, 1, 1)), time="discrete")
    m = a.match(b, tol=1e-2)
    assert len(m.pairs) == 1 and len(m.vanished) == 1 and m.appeared == ()


def test_match_with_nothing():
    empty = SlowPoints.build(np.zeros((0, 2)), q=np.zeros(0), jacobians=np.zeros((0, 2, 2)), time="discrete")
    m = _points().match(empty)
    assert m.pairs == () and m.vanished == (0, 1, 2) and m.appeared == ()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"time": "sometimes"}, "`time` must be one of"),
        ({"q": np.zeros(2)}, "`q` must have shape"),
    ],
)
def test_bad_construction(kwargs, match):
    sp = _points()
    fields = {
        "points": sp.points, "q": sp.q, "kind": sp.kind, "jacobians": sp.jacobians,
        "eigenvalues": sp.eigenvalues, "time": sp.time, "q_fixed": sp.q_fixed,
    }
    with pytest.raises(ValueError, match=match):
        SlowPoints(**{**fields, **kwargs})


def test_bad_match_arguments():
    one_d = SlowPoints.build(np.zeros((1, 1)), q=np.zeros(1), jacobians=np.ones((1, 1, 1)), time="discrete")
    with pytest.raises(ValueError, match="same dimension M = 2"):
        _points().match(one_d)
    with pytest.raises(ValueError, match="`tol` must be a finite number > 0"):
        _points().match(_points(), tol=0.0)


def test_plot_draws_every_point():
    ax = _points().plot()
    assert ax.figure is not None and len(ax.collections) + len(ax.lines) >= 2
