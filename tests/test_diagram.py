"""Bifurcation diagrams: events against closed forms, paths, errors, JSON, plot and the CLI.

Truth:

- the skew tent map z' = a_l z + 1 (z <= 0), a_r z + 1 (z > 0) with a_l = 0.2, swept over the
  right slope a_r (notes §7): fixed point z* = 1/(1 - a_r), multiplier a_r, flip at a_r = -1 and
  transcritical (to infinity) at a_r = +1; 2-cycle z_R = (1 + a_l)/(1 - a_l a_r),
  z_L = (1 + a_r)/(1 - a_l a_r) for a_r < -1, born where z_L = 0 (a_r = -1), multiplier a_l a_r;
- a driven tent (a 2-D PLRNN whose second unit follows the first) adds the flip of the 2-cycle
  at a_l a_r = -1 and the 4-cycle LRRR born there, z_1 = (1 + a_r + a_r^2 + a_r^3)/(1 - a_l a_r^3);
- a coupled 2-D PLRNN whose fixed point (I - A - W D)^{-1} h crosses z_1 = 0 at a value of h[1]
  that solves a linear equation;
- a 2-D PLRNN whose Jacobian in the positive orthant is p(s) R(theta), swept along a ModelPath:
  the complex pair p e^{+-i theta} crosses the unit circle at p(s) = 1;
- every branch sample is a cycle of the true map (F(z_j) = z_{j+1}) in its region sequence.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from cli_run import ok, usage_error  # a plain helper module next to this file
from cli_run import run as run_cli

import bifwatch as bw

A_L = 0.2
TENT = bw.PLRNN(A=[A_L], W=[[0.0]], h=[1.0])  # right slope a_r = A_L + W[0,0]
W_FLIP, W_POLE = -1.0 - A_L, 1.0 - A_L  # a_r = -1 and a_r = +1
DFB, DTB = "degenerate-flip", "degenerate-transcritical"
BCB, DNS = "border-collision", "degenerate-neimark-sacker"
TOL = 1e-12


def _summary(diagram) -> list[tuple[str, int, str]]:
    return sorted((e.type, e.order, e.outcome) for e in diagram.events)


def _assert_events(diagram, expected: list[tuple[str, int, str, float]]) -> None:
    """The diagram's events are exactly ``expected`` (type, order, outcome, value), values to TOL."""
    assert _summary(diagram) == sorted(e[:3] for e in expected), diagram.table()
    for kind, order, outcome, value in expected:
        match = [e for e in diagram.events if (e.type, e.order, e.outcome) == (kind, order, outcome)]
        assert any(abs(e.value - value) <= TOL for e in match), (kind, order, [e.value for e in match], value)


def _assert_true_cycles(diagram) -> None:
    """Every sample of every branch is a cycle of the true map, in the claimed regions (samples at
    events have a point on a border to rounding: only the map is checked there)."""
    for branch in diagram.branches:
        rows = zip(branch.values, branch.points, branch.regions, branch.grid_index, strict=True)
        for value, points, regions, index in rows:
            model = diagram.path.model_at(value)
            scale = 1e-9 * (1.0 + np.abs(points).max())
            np.testing.assert_allclose(model.step(points), np.roll(points, -1, axis=0), rtol=0, atol=scale)
            assert index == -1 or np.array_equal(model.region(points), regions)


def _tent_expected(max_order: int) -> list[tuple[str, int, str, float]]:
    events = [(DFB, 1, "persists", W_FLIP), (DTB, 1, "dies", W_POLE)]
    if max_order >= 2:
        events.append((BCB, 2, "dies", W_FLIP))
    return events


# ----------------------------------------------------------------------------------------------
# the skew tent map


@pytest.mark.parametrize("max_order", [1, 2, 3, 4, 5, 6])
def test_tent_events_are_exact_and_complete(max_order):
    d = bw.bifurcation_diagram(TENT, "W[0,0]", (-2.2, 1.8), max_order=max_order, resolution=200)
    _assert_events(d, _tent_expected(max_order))
    flip = next(e for e in d.events if e.type == DFB)
    assert flip.stability_before.startswith("unstable") and flip.stability_after.startswith("stable")
    np.testing.assert_allclose(flip.points, [[0.5]], rtol=0, atol=TOL)  # z* = 1/(1 - (-1))
    pole = next(e for e in d.events if e.type == DTB)
    assert pole.points is None and pole.stability_before.startswith("stable") and pole.stability_after is None
    if max_order >= 2:
        collision = next(e for e in d.events if e.type == BCB)
        assert collision.stability_before.startswith("stable") and collision.stability_after is None
        np.testing.assert_allclose(np.sort(collision.points[:, 0]), [0.0, 1.0], rtol=0, atol=TOL)


@pytest.mark.parametrize(
    ("lo", "hi", "resolution"),
    [(-2.2, 1.8, 400), (-2.2 + 0.0123, 1.8 + 0.0371, 400), (-2.19, 1.83, 7), (-2.1877, 1.8371, 2)],
    ids=["grid-hits-events", "odd-offset", "coarse", "three-samples"],
)
def test_tent_events_do_not_depend_on_the_grid(lo, hi, resolution):
    d = bw.bifurcation_diagram(TENT, "W[0,0]", (lo, hi), max_order=3, resolution=resolution)
    _assert_events(d, _tent_expected(3))


def test_tent_branches_match_the_closed_forms():
    d = bw.bifurcation_diagram(TENT, "W[0,0]", (-2.2 + 0.0123, 1.8 + 0.0371), max_order=4, resolution=300)
    assert sorted(b.order for b in d.branches) == [1, 2]
    fixed = next(b for b in d.branches if b.order == 1)
    a_r = A_L + fixed.values
    np.testing.assert_allclose(fixed.points[:, 0, 0], 1.0 / (1.0 - a_r), rtol=1e-10, atol=0)
    np.testing.assert_allclose(fixed.multipliers[:, 0], a_r, rtol=0, atol=1e-12)
    clear = np.abs(np.abs(a_r) - 1.0) > 1e-9
    assert np.array_equal(fixed.stable[clear], np.abs(a_r[clear]) < 1.0)

    two = next(b for b in d.branches if b.order == 2)
    a_r = A_L + two.values
    z_right, z_left = (1 + A_L) / (1 - A_L * a_r), (1 + a_r) / (1 - A_L * a_r)
    phase = 0 if two.points[0, 0, 0] > 0 else 1  # one phase along the whole branch
    np.testing.assert_allclose(two.points[:, phase, 0], z_right, rtol=1e-10, atol=TOL)
    np.testing.assert_allclose(two.points[:, 1 - phase, 0], z_left, rtol=1e-10, atol=TOL)
    np.testing.assert_allclose(two.multipliers[:, 0], A_L * a_r, rtol=0, atol=1e-12)
    assert np.array_equal(two.stable, np.abs(A_L * a_r) < 1.0)

    # the branches exist exactly where the closed forms are real, and nowhere else
    a_grid = A_L + d.grid
    n_cycles, n_stable = d.counts()
    sure = np.abs(np.abs(a_grid) - 1.0) > 1e-9
    np.testing.assert_array_equal(n_cycles[sure, 0], (a_grid[sure] < 1.0).astype(int))
    np.testing.assert_array_equal(n_cycles[sure, 1], (a_grid[sure] < -1.0).astype(int))
    np.testing.assert_array_equal(n_cycles[:, 2:], 0)
    stable_somewhere = (np.abs(a_grid[sure]) < 1) | (a_grid[sure] < -1)  # the fixed point or the 2-cycle
    np.testing.assert_array_equal(n_stable[sure].sum(axis=1), stable_somewhere)
    _assert_true_cycles(d)


def test_bundled_tent_example_is_the_same_map():
    tent = bw.load_model("example:tent")
    np.testing.assert_array_equal([tent.A.ravel()[0], tent.h[0]], [A_L, 1.0])
    d = bw.bifurcation_diagram(tent, "W[0,0]", (-2.2, 1.8), max_order=3, resolution=100)
    _assert_events(d, _tent_expected(3))


# ----------------------------------------------------------------------------------------------
# 2-D closed forms


def test_2d_fixed_point_border_collision_at_the_closed_form_value():
    A, W, h0 = np.array([0.5, 0.3]), np.array([[0.1, 0.2], [-0.3, 0.1]]), 1.0
    # In the positive orthant z* = (I - A - W)^{-1} h; its second entry is linear in h[1] and
    # vanishes at h1* (= 0.75 here). Below, the point is in orthant (1, 0): D = diag(1, 0).
    inv_on = np.linalg.inv(np.eye(2) - np.diag(A) - W)
    h1_star = -inv_on[1, 0] * h0 / inv_on[1, 1]
    assert h1_star == pytest.approx(0.75, abs=1e-14)
    model = bw.PLRNN(A=A, W=W, h=[h0, 0.0])
    for max_order in (1, 3):
        d = bw.bifurcation_diagram(model, "h[1]", (-0.5, 2.0), max_order=max_order, resolution=150)
        _assert_events(d, [(BCB, 1, "persists", h1_star)])
    (event,) = d.events
    assert event.regions_before.tolist() == [[True, False]] and event.regions_after.tolist() == [[True, True]]
    assert (event.stability_before, event.stability_after) == ("stable node", "stable focus")
    np.testing.assert_allclose(event.points, [[2.5, 0.0]], rtol=0, atol=TOL)

    (branch,) = d.branches
    inv_off = np.linalg.inv(np.eye(2) - np.diag(A) - W @ np.diag([1.0, 0.0]))
    for value, points in zip(branch.values, branch.points, strict=True):
        inv = inv_on if value > h1_star else inv_off
        np.testing.assert_allclose(points[0], inv @ [h0, value], rtol=0, atol=1e-12)
    _assert_true_cycles(d)


def test_2d_driven_tent_flip_of_the_2_cycle_and_its_4_cycle():
    # z0' = 0.5 z0 + W00 relu(z0) + 1 is the tent with a_l = 0.5, a_r = 0.5 + W00; z1 follows it.
    a_l = 0.5
    model = bw.PLRNN(A=[a_l, 0.2], W=[[0.0, 0.0], [0.1, 0.0]], h=[1.0, 0.5])
    d = bw.bifurcation_diagram(model, "W[0,0]", (-2.7, 0.7), max_order=4, resolution=170)
    w = lambda a_r: a_r - a_l  # noqa: E731
    _assert_events(d, [
        (DFB, 1, "persists", w(-1.0)),        # fixed point: a_r = -1
        (BCB, 2, "dies", w(-1.0)),            # 2-cycle born where z_L = 0
        (DFB, 2, "persists", w(-1 / a_l)),    # 2-cycle: a_l a_r = -1
        (BCB, 4, "dies", w(-1 / a_l)),        # 4-cycle LRRR born where its third point is 0
        (DTB, 1, "dies", w(1.0)),             # fixed point runs off to infinity: a_r = +1
    ])
    flip2 = next(e for e in d.events if e.type == DFB and e.order == 2)
    assert flip2.stability_before == "saddle node" and flip2.stability_after == "stable node"
    assert np.isclose(np.sort(flip2.multipliers.real), [0.04, -1.0][::-1], rtol=0, atol=1e-12).all()

    four = next(b for b in d.branches if b.order == 4)
    a_r = a_l + four.values
    z1 = (1 + a_r + a_r**2 + a_r**3) / (1 - a_l * a_r**3)
    left = int(np.argmin(four.points[0, :, 0]))  # the one point with z0 <= 0
    np.testing.assert_allclose(four.points[:, left, 0], z1, rtol=1e-10, atol=TOL)
    assert (four.points[:, left, 0] < 0).all() and four.values.max() == pytest.approx(w(-2.0), abs=TOL)
    _assert_true_cycles(d)


def _rotation_model(p: float, theta: float, W0: np.ndarray, h: np.ndarray):
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return bw.PLRNN(A=p * R - W0, W=W0, h=h)  # Jacobian in the positive orthant: A + W = p R


def _rotation_path(p0=0.6, p1=1.3, theta=1.0):
    W0 = np.array([[0.3, -0.2], [0.1, 0.4]])
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    h = (np.eye(2) - R) @ np.ones(2)  # the fixed point is (1, 1) at p = 1
    for p in np.linspace(p0, p1, 50):  # ... and stays in the positive orthant along the path
        assert (np.linalg.solve(np.eye(2) - p * R, h) > 0).all()
    path = bw.ModelPath(_rotation_model(p0, theta, W0, h), _rotation_model(p1, theta, W0, h))
    return path, (1.0 - p0) / (p1 - p0)  # p(s) = p0 + s (p1 - p0) = 1


def test_2d_degenerate_neimark_sacker_at_the_closed_form_value():
    theta = 1.0
    path, s_star = _rotation_path(theta=theta)
    d = bw.bifurcation_diagram(path, max_order=3, resolution=120)
    _assert_events(d, [(DNS, 1, "persists", s_star)])
    (event,) = d.events
    np.testing.assert_allclose(np.abs(event.multipliers), [1.0, 1.0], rtol=0, atol=TOL)
    np.testing.assert_allclose(np.sort(np.angle(event.multipliers)), [-theta, theta], rtol=0, atol=1e-10)
    np.testing.assert_allclose(event.points, [[1.0, 1.0]], rtol=0, atol=1e-10)
    (branch,) = d.branches
    on_grid = branch.grid_index >= 0
    assert np.array_equal(branch.stable[on_grid], branch.values[on_grid] < s_star)
    p = 0.6 + branch.values * 0.7
    np.testing.assert_allclose(np.abs(branch.multipliers), np.column_stack([p, p]), rtol=0, atol=1e-12)
    _assert_true_cycles(d)


def test_2d_neimark_sacker_stability_labels():
    path, _ = _rotation_path()
    (event,) = bw.bifurcation_diagram(path, max_order=1, resolution=40).events
    assert (event.stability_before, event.stability_after) == ("stable focus", "unstable focus")


# ----------------------------------------------------------------------------------------------
# ModelPath


def test_model_path_equals_the_parameter_path():
    lo, hi = -2.2, 1.8
    start, end = dataclasses.replace(TENT, W=np.array([[lo]])), dataclasses.replace(TENT, W=np.array([[hi]]))
    by_models = bw.bifurcation_diagram(bw.ModelPath(start, end), max_order=3, resolution=100)
    by_entry = bw.bifurcation_diagram(TENT, "W[0,0]", (lo, hi), max_order=3, resolution=100)
    assert by_models.path.label == "s" and _summary(by_models) == _summary(by_entry)
    for a, b in zip(sorted(by_models.events, key=lambda e: (e.type, e.order)),
                    sorted(by_entry.events, key=lambda e: (e.type, e.order)), strict=True):
        assert abs(lo + a.value * (hi - lo) - b.value) <= TOL
    assert sorted(b.order for b in by_models.branches) == sorted(b.order for b in by_entry.branches)
    for a in by_models.branches:
        b = next(b for b in by_entry.branches if b.order == a.order)
        ga, gb = a.grid_index[a.grid_index >= 0], b.grid_index[b.grid_index >= 0]
        np.testing.assert_array_equal(ga, gb)
        pa, pb = a.points[a.grid_index >= 0], b.points[b.grid_index >= 0]
        np.testing.assert_allclose(np.sort(pa, axis=1), np.sort(pb, axis=1), rtol=1e-9, atol=1e-12)


def test_model_path_rejects_mismatched_models():
    plrnn2 = bw.PLRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[1.0, 1.0])
    alrnn = bw.ALRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[1.0, 1.0], P=1)
    with pytest.raises(ValueError, match="same shapes; `A` is \\(1,\\) in `start` and \\(2,\\) in `end`"):
        bw.ModelPath(TENT, plrnn2)
    with pytest.raises(ValueError, match="of one class; got PLRNN and ALRNN"):
        bw.ModelPath(plrnn2, alrnn)
    with pytest.raises(ValueError, match="must share `P`"):
        bw.ModelPath(alrnn, dataclasses.replace(alrnn, P=2))
    with pytest.raises(TypeError, match="`end` must be a bifwatch model; got dict"):
        bw.ModelPath(TENT, {"A": [0.2]})
    with pytest.raises(ValueError, match="reversed range"):
        bw.ModelPath(TENT, TENT, 1.0, 0.0)


# ----------------------------------------------------------------------------------------------
# error paths


ALRNN = bw.ALRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[1.0, 1.0], P=1)


@pytest.mark.parametrize(
    ("model", "param", "range_", "options", "error", "match"),
    [
        (TENT, "Q[0,0]", (0, 1), {}, ValueError, r"unknown parameter 'Q' for a plrnn model; it has A\[0\]"),
        (TENT, "W[0,1]", (0, 1), {}, ValueError, r"index 1 on axis 1 is out of range 0..0"),
        (TENT, "W[0]", (0, 1), {}, ValueError, r"W has shape \(1, 1\), so it needs 2 indices"),
        (TENT, "W[0,0,0]", (0, 1), {}, ValueError, r"needs 2 indices, e\.g\. W\[0,0\] .*; got 3"),
        (TENT, "W[0.5,0]", (0, 1), {}, ValueError, r"indices must be integers"),
        (TENT, "W[0,]", (0, 1), {}, ValueError, r"indices must be integers"),
        (TENT, 3, (0, 1), {}, TypeError, r"parameter name must be a string"),
        (ALRNN, "P", (0, 1), {}, ValueError, r"structure .* cannot be swept"),
        (TENT, "W[0,0]", (1, 1), {}, ValueError, r"lo < hi; got an empty range \(1\.0, 1\.0\)"),
        (TENT, "W[0,0]", (1, -1), {}, ValueError, r"lo < hi; got a reversed range"),
        (TENT, "W[0,0]", (0, np.inf), {}, ValueError, r"`range` must be finite"),
        (TENT, "W[0,0]", (np.nan, 1), {}, ValueError, r"`range` must be finite"),
        (TENT, "W[0,0]", (0, 1, 2), {}, ValueError, r"`range` must be two numbers \(lo, hi\)"),
        (TENT, "W[0,0]", ("a", "b"), {}, ValueError, r"`range` must be two numbers"),
        (TENT, "W[0,0]", 1.0, {}, ValueError, r"`range` must be two numbers"),
        (TENT, "W[0,0]", (0, 1), {"resolution": 1}, ValueError, r"`resolution` must be >= 2; got 1"),
        (TENT, "W[0,0]", (0, 1), {"resolution": 2.5}, TypeError, r"`resolution` must be an integer"),
        (TENT, "W[0,0]", (0, 1), {"seeds": 0}, ValueError, r"`seeds` must be >= 1; got 0"),
        (TENT, "W[0,0]", (0, 1), {"max_order": 0}, ValueError, r"max_order"),
        (TENT, "W[0,0]", (0, 1), {"resume": True}, ValueError, r"`resume=True` needs `store`"),
        ({"A": [0.2]}, "W[0,0]", (0, 1), {}, TypeError, r"`model` must be a bifwatch model or a path; got"),
        (TENT, None, (0, 1), {}, TypeError, r"a model needs `param`"),
        (TENT, "W[0,0]", None, {}, TypeError, r"a model needs `param` .* and `range`"),
    ],
    ids=[
        "unknown-name", "index-out-of-range", "too-few-indices", "too-many-indices", "fractional-index",
        "empty-index", "name-not-str", "alrnn-P", "empty-range", "reversed-range", "infinite-range",
        "nan-range", "three-numbers", "not-numbers", "scalar-range", "resolution-1", "resolution-float",
        "seeds-0", "max-order-0", "resume-without-store", "not-a-model", "no-param", "no-range",
    ],
)
def test_bad_input(model, param, range_, options, error, match):
    with pytest.raises(error, match=match):
        bw.bifurcation_diagram(model, param, range_, **options)


def test_path_together_with_param_is_an_error():
    path = bw.ParameterPath(TENT, "W[0,0]", -1.0, 1.0)
    with pytest.raises(TypeError, match="give either a path, or a model with `param` and `range`; not both"):
        bw.bifurcation_diagram(path, "W[0,0]")
    with pytest.raises(TypeError, match="not both"):
        bw.bifurcation_diagram(bw.ModelPath(TENT, TENT), range=(0, 1))


# ----------------------------------------------------------------------------------------------
# JSON


def _strict_json(text: str):
    def reject(constant):
        raise AssertionError(f"JSON holds {constant}: not standard JSON")

    return json.loads(text, parse_constant=reject)


def test_json_events_and_branches(tmp_path):
    d = bw.bifurcation_diagram(TENT, "W[0,0]", (-2.2, 1.8), max_order=2, resolution=40)
    out = tmp_path / "d.json"
    data = _strict_json(d.to_json(out))
    assert data == _strict_json(out.read_text())
    assert {"events", "branches", "path"} <= data.keys()
    assert len(data["events"]) == 3 and len(data["branches"]) == 2
    for item, event in zip(data["events"], d.events, strict=True):
        assert type(item["value"]) is float and item["value"] == event.value
        assert item["type"] in bw.EVENT_TYPES and type(item["order"]) is int
        assert item["outcome"] in ("persists", "born", "dies")
    assert {(e["type"], e["order"]) for e in data["events"]} == {(DFB, 1), (BCB, 2), (DTB, 1)}
    pole = next(e for e in data["events"] if e["type"] == DTB)
    assert pole["points"] is None  # the cycle is at infinity there: null, not Infinity
    for item in data["branches"]:
        assert len(item["values"]) == len(item["points"]) == len(item["stable"])
        assert all(type(s) is bool for s in item["stable"])


def test_json_is_strict_and_ends_with_a_newline(tmp_path):
    """Not-finite values are null (never NaN); the file is the text plus a final newline."""
    d = bw.bifurcation_diagram(TENT, "W[0,0]", (-2.2, 1.8), max_order=2, resolution=40)
    odd = dataclasses.replace(d.events[0], multipliers=np.array([complex(np.nan, np.inf)]))
    d = dataclasses.replace(d, events=(odd, *d.events[1:]))
    out = tmp_path / "d.json"
    data = _strict_json(d.to_json(out))
    assert data["events"][0]["multipliers"] == [[None, None]]
    assert out.read_text() == d.to_json() + "\n"


def test_the_path_is_written_one_way(tmp_path):
    """The JSON's path, the sweep store's description and the default store's name: one ``spec``."""
    path = bw.ParameterPath(TENT, "W[0, 0]", -2.2, 1.8)
    assert path.spec() == {"name": "W[0,0]", "range": [-2.2, 1.8], "class": "PLRNN",
                           "model": {"A": [0.2], "W": [[0.0]], "h": [1.0]}}
    d = bw.bifurcation_diagram(path, max_order=1, resolution=10, store=tmp_path / "s.sqlite")
    assert d.to_dict()["path"] == {"kind": "parameter", **path.spec()}
    with contextlib.closing(sqlite3.connect(tmp_path / "s.sqlite")) as connection:
        stored = json.loads(dict(connection.execute("SELECT name, value FROM meta"))["spec"])
    assert stored["path"] == path.spec()
    line = bw.ModelPath(TENT, dataclasses.replace(TENT, W=np.array([[1.0]])))
    assert line.to_dict() == {"kind": "models", "name": "s", **line.spec()}
    assert line.spec()["end"] == {"A": [0.2], "W": [[1.0]], "h": [1.0]}


def _seeding_interrupted(monkeypatch, tmp_path) -> None:
    """Work in ``tmp_path``, with every seed search of a diagram raising KeyboardInterrupt."""
    import bifwatch.bifurcations._diagram as diagram_module

    monkeypatch.chdir(tmp_path)

    def interrupt(task):
        raise KeyboardInterrupt

    monkeypatch.setattr(diagram_module, "seed_cycles", interrupt)


def test_cli_default_store_names_are_those_of_earlier_versions(capsys, tmp_path, monkeypatch):
    """An identical command finds the store an interrupted run of an earlier version left."""
    _seeding_interrupted(monkeypatch, tmp_path)
    _interrupted(capsys, *TENT_ARGS)
    assert [p.name for p in (tmp_path / ".bifwatch-sweeps").iterdir()] == ["diagram-4a5889abfde2.sqlite"]


# ----------------------------------------------------------------------------------------------
# plot


@pytest.fixture
def pyplot():
    plt = pytest.importorskip("matplotlib.pyplot")
    yield plt
    plt.close("all")


def _not_blank(path: Path) -> bool:
    from matplotlib.image import imread

    pixels = imread(path)[..., :3]
    return pixels.std() > 0.02


def test_plot_branches_events_and_png(tmp_path, pyplot):
    d = bw.bifurcation_diagram(TENT, "W[0,0]", (-2.2, 1.8), max_order=2, resolution=80)
    ax = d.plot()
    styles = {line.get_linestyle() for line in ax.get_lines()}
    assert {"-", "--"} <= styles  # stable solid and unstable dashed pieces
    assert sorted(t.get_text() for t in ax.texts) == ["BCB", "DFB", "DTB"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("W[0,0]", "z_0")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["fixed points", "2-cycles"] and "DFB: degenerate flip" in legend
    out = tmp_path / "d.png"
    ax.figure.savefig(out, dpi=60)
    assert _not_blank(out)


def test_plot_with_orbits_and_second_coordinate(tmp_path, pyplot):
    model = bw.PLRNN(A=[0.5, 0.2], W=[[0.0, 0.0], [0.1, 0.0]], h=[1.0, 0.5])
    d = bw.bifurcation_diagram(model, "W[0,0]", (-2.3, 0.7), max_order=2, resolution=30)
    ax = d.plot(coordinate=1, orbits=5, seed=3)
    dots = [line for line in ax.get_lines() if line.get_marker() == "."]
    assert len(dots) == 1 and len(dots[0].get_xdata()) > 0
    assert np.isfinite(dots[0].get_ydata()).all() and ax.get_ylabel() == "z_1"
    out = tmp_path / "orbits.png"
    ax.figure.savefig(out, dpi=60)
    assert _not_blank(out)
    again = d.plot(coordinate=1, orbits=5, seed=3)
    np.testing.assert_array_equal(
        next(x for x in again.get_lines() if x.get_marker() == ".").get_ydata(), dots[0].get_ydata()
    )


def test_plot_labels_only_few_events(pyplot):
    d = bw.bifurcation_diagram(TENT, "W[0,0]", (-2.2, 1.8), max_order=2, resolution=20)
    crowded = dataclasses.replace(d, events=d.events * 7)  # 21 events: markers and legend only
    ax = crowded.plot()
    assert len(ax.texts) == 0 and ax.get_legend() is not None


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"coordinate": 1}, ValueError, r"`coordinate` must be a state index in 0..0 \(M = 1\); got 1"),
        ({"coordinate": -1}, ValueError, r"`coordinate` must be a state index"),
        ({"coordinate": 0.5}, TypeError, r"`coordinate` must be an integer"),
        ({"orbits": -1}, ValueError, r"`orbits` must be >= 0; got -1"),
        ({"orbits": "5"}, TypeError, r"`orbits` must be an integer"),
    ],
    ids=["coordinate-too-big", "coordinate-negative", "coordinate-float", "orbits-negative", "orbits-str"],
)
def test_plot_bad_options(pyplot, options, error, match):
    d = bw.bifurcation_diagram(TENT, "W[0,0]", (-2.2, 1.8), max_order=1, resolution=10)
    with pytest.raises(error, match=match):
        d.plot(**options)


# ----------------------------------------------------------------------------------------------
# command line


TENT_ARGS = ("diagram", "example:tent", "--param", "W[0,0]", "--range", "-2.2", "1.8", "--max-order", "2",
             "--resolution", "60", "--no-progress")


def _events(path: Path) -> list[tuple[str, int, float]]:
    return sorted((e["type"], e["order"], e["value"]) for e in _strict_json(path.read_text())["events"])


def test_cli_writes_table_json_and_plot(capsys, tmp_path, monkeypatch, pyplot):
    monkeypatch.chdir(tmp_path)
    out = ok(capsys, *TENT_ARGS, "--json", "d.json", "--plot", "d.png", "--orbits", "3")
    assert out.splitlines()[0] == "example:tent: plrnn, M = 1; W[0,0] from -2.2 to 1.8"
    assert "2 branches, 3 events along W[0,0]" in out and "wrote d.json" in out and "wrote d.png" in out
    events = _events(tmp_path / "d.json")
    assert [(t, k) for t, k, _ in events] == [(BCB, 2), (DFB, 1), (DTB, 1)]
    assert np.allclose([v for *_, v in events], [W_FLIP, W_FLIP, W_POLE], rtol=0, atol=TOL)
    assert _not_blank(tmp_path / "d.png")
    assert not (tmp_path / ".bifwatch-sweeps").exists()  # the default store is removed after success


def test_cli_between_two_models(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.savez("start.npz", A=[A_L], W=[[-2.2]], h=[1.0])
    np.savez("end.npz", A=[A_L], W=[[1.8]], h=[1.0])
    out = ok(capsys, "diagram", "start.npz", "--to", "end.npz", "--max-order", "2", "--resolution", "40",
              "--no-progress", "--json", "d.json")
    assert "s from 0 to 1 on the line to end.npz" in out
    events = _events(tmp_path / "d.json")
    s = lambda w: (w + 2.2) / 4.0  # noqa: E731
    assert np.allclose([v for *_, v in events], [s(W_FLIP), s(W_FLIP), s(W_POLE)], rtol=0, atol=TOL)
    out = ok(capsys, "diagram", "start.npz", "--to", "end.npz", "--range", "0.5", "1", "--max-order", "1",
              "--resolution", "20", "--no-progress")
    assert "1 branches, 1 events along s" in out  # only the pole is in s > 0.5


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("--param", "Q[0,0]", "--range", "-1", "1"), r"unknown parameter 'Q'"),
        (("--param", "W[0,0]", "--range", "1", "-1"), r"reversed range \(1\.0, -1\.0\)"),
        (("--param", "W[0,0]", "--range", "1", "1"), r"empty range"),
        (("--param", "W[0,0]", "--range", "1"), r"--range: expected 2 arguments"),
        (("--param", "W[0,0]", "--range", "0", "x"), r"--range: invalid float value: 'x'"),
        (("--param", "W[0,0]", "--range", "0", "inf"), r"must be finite"),
        (("--param", "W[0,0]"), r"give --param NAME and --range LO HI \(or --to MODEL2\)"),
        (("--range", "0", "1"), r"give --param NAME and --range LO HI"),
        (("--to", "example:cycle21"), r"same shapes; `A` is \(1,\) in `start` and \(2, 2\) in `end`"),
        (("--to", "example:tent", "--param", "W[0,0]"), r"--param cannot be combined with --to"),
        (("--to", "nope.npz"), r"model file 'nope.npz' does not exist"),
        (("--param", "W[0,0]", "--range", "0", "1", "--coordinate", "1"), r"--coordinate must be in 0..0"),
        (("--param", "W[0,0]", "--range", "0", "1", "--resolution", "1"), r"--resolution: .* >= 2"),
        (("--param", "W[0,0]", "--range", "0", "1", "--seeds", "0"), r"--seeds: expected an integer >= 1"),
        (("--param", "W[0,0]", "--range", "0", "1", "--orbits", "-2"), r"--orbits: expected an integer >= 0"),
    ],
    ids=[
        "unknown-param", "reversed-range", "empty-range", "range-one-number", "range-not-float",
        "range-infinite", "no-range", "no-param", "to-other-shape", "to-with-param", "to-missing-file",
        "coordinate", "resolution", "seeds", "orbits",
    ],
)
def test_cli_usage_errors(capsys, tmp_path, monkeypatch, args, match):
    monkeypatch.chdir(tmp_path)
    usage_error(capsys, "diagram", "example:tent", "--no-progress", *args, match=match)
    assert not (tmp_path / ".bifwatch-sweeps").exists()


def test_cli_store_is_kept_and_needs_resume(capsys, tmp_path):
    store, first, second = tmp_path / "s.sqlite", tmp_path / "a.json", tmp_path / "b.json"
    ok(capsys, *TENT_ARGS, "--store", str(store), "--json", str(first))
    assert store.exists()
    line = usage_error(capsys, *TENT_ARGS, "--store", str(store), match=r"already exists")
    assert "--resume" in line
    ok(capsys, *TENT_ARGS, "--store", str(store), "--resume", "--json", str(second))
    assert _events(first) == _events(second) and store.exists()


def _interrupted(capsys, *args: str) -> str:
    """Run a command whose sweep is interrupted: exit status 130 and one line on stderr, returned."""
    status, out, err = run_cli(capsys, *args)
    assert (status, out) == (130, ""), (status, out, err)
    assert len(err.splitlines()) == 1 and err.startswith("bifwatch: interrupted"), err
    return err.strip()


def test_cli_interrupted_run_resumes_from_the_default_store(capsys, tmp_path, monkeypatch):
    import bifwatch.bifurcations._diagram as diagram_module

    monkeypatch.chdir(tmp_path)
    real, calls = diagram_module.seed_cycles, []

    def interrupted(task):
        calls.append(task[1])
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(diagram_module, "seed_cycles", interrupted)
    line = _interrupted(capsys, *TENT_ARGS)
    (store,) = (tmp_path / ".bifwatch-sweeps").glob("diagram-*.sqlite")
    assert re.fullmatch(r"diagram-[0-9a-f]{12}\.sqlite", store.name)
    assert line == (
        f"bifwatch: interrupted; the finished part of the sweep is kept in '.bifwatch-sweeps/{store.name}'; "
        f"to continue it, run the same command with --resume: bifwatch {shlex.join(TENT_ARGS)} --resume"
    )
    monkeypatch.setattr(diagram_module, "seed_cycles", real)

    line = usage_error(capsys, *TENT_ARGS, match=r"already exists")
    assert "--resume" in line and store.name in line
    calls.clear()
    monkeypatch.setattr(diagram_module, "seed_cycles", lambda task: calls.append(task[1]) or real(task))
    ok(capsys, *TENT_ARGS, "--resume", "--json", "resumed.json")
    resumed = list(calls)
    assert not (tmp_path / ".bifwatch-sweeps").exists()
    calls.clear()
    ok(capsys, *TENT_ARGS, "--json", "fresh.json")
    assert len(resumed) == len(calls) - 3  # the three stored searches were not run again
    assert _events(tmp_path / "resumed.json") == _events(tmp_path / "fresh.json")


def test_cli_default_store_depends_on_the_inputs(capsys, tmp_path, monkeypatch):
    _seeding_interrupted(monkeypatch, tmp_path)
    _interrupted(capsys, *TENT_ARGS)
    _interrupted(capsys, *TENT_ARGS[:-1], "--seeds", "5", "--no-progress")
    stores = sorted(p.name for p in (tmp_path / ".bifwatch-sweeps").iterdir())
    assert len(stores) == 2, stores


def test_cli_diagram_does_not_import_torch(tmp_path):
    # A fake `torch` first on the path leaves a marker file when anything imports it.
    blocker, marker = tmp_path / "blocker", tmp_path / "torch-was-imported"
    (blocker / "torch").mkdir(parents=True)
    (blocker / "torch" / "__init__.py").write_text(textwrap.dedent(f"""
        import pathlib
        pathlib.Path({str(marker)!r}).write_text("imported")
        raise ImportError("torch must not be imported by `bifwatch diagram`")
        """))
    python_path = os.pathsep.join(filter(None, [str(blocker), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run("-c", "import torch").returncode != 0 and marker.exists(), "the blocker must shadow torch"
    marker.unlink()
    done = run("-m", "bifwatch", "diagram", "example:tent", "--param", "W[0,0]", "--range", "-2.2", "1.8",
               "--max-order", "2", "--resolution", "40", "--no-progress", "--json", "out.json")
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), "`bifwatch diagram` imported torch"
    assert len(json.loads((tmp_path / "out.json").read_text())["events"]) == 3


def test_plot_diagram_draws_the_orbit_diagram_it_is_given(pyplot):
    from bifwatch.bifurcations import orbit_tails
    from bifwatch.plotting import plot_diagram

    d = bw.bifurcation_diagram(TENT, "W[0,0]", (-2.2, 1.8), max_order=2, resolution=20)
    values, points = orbit_tails(d, 4, seed=1)
    assert values.shape == (points.shape[0],) and points.shape[1] == 1 and np.isfinite(points).all()
    ax = plot_diagram(d, orbits=(values, points))
    dots = next(line for line in ax.get_lines() if line.get_marker() == ".")
    np.testing.assert_array_equal(dots.get_xdata(), values)
    with pytest.raises(TypeError, match=r"`orbits` must be \(values, points\), as bifurcations.orbit_tails"):
        plot_diagram(d, orbits=5)
    with pytest.raises(ValueError, match=r"points of shape \(P, M = 1\)"):
        plot_diagram(d, orbits=(values, np.zeros((len(values), 2))))
