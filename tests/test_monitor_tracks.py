"""Cycles followed over training (tracks), the PC1 projection and ghosts, against closed forms.

The run of tests/test_monitor_analysis.py: z' = 0.5 z - 1.7 relu(z) + h, h(e) = -1 + e / 20. For
h < 0 the only cycle is the stable fixed point 2h (region 0, multiplier 0.5); at h = 0 (epoch 20)
it crosses the switching point and goes on as the unstable fixed point h / 2.2 (region 1,
multiplier -1.2), and the stable 2-cycle (-h/8, 15h/16) (multiplier -0.6) is born.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.monitor import monitor_checkpoints, new_ghosts, region_key

EPOCHS = (0, 15, 25, 40)


def _model(epoch: float) -> bw.PLRNN:
    return bw.PLRNN(A=[0.5], W=[[-1.7]], h=[-1 + epoch / 20])


@pytest.fixture(scope="module")
def record():
    loss = np.r_[np.full(20, 1.0), np.full(20, 0.1)]
    return monitor_checkpoints([_model(e) for e in EPOCHS], EPOCHS, loss=loss, loss_epochs=np.arange(1, 41),
                               max_order=3)


def test_region_keys_do_not_depend_on_the_phase():
    seq = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0]], dtype=bool)
    keys = {region_key(np.roll(seq, k, axis=0)) for k in range(3)}
    assert keys == {"011|110|100"} and region_key(None) is None


def test_the_fixed_point_keeps_one_identity_through_its_border_collision(record):
    fixed, cycle = record.tracks
    assert (fixed.order, fixed.checkpoints, fixed.regions) == (1, (0, 1, 2, 3), "0")
    assert [c.spectral_radius for c in fixed.cycles] == pytest.approx([0.5, 0.5, 1.2, 1.2])
    assert [c.stable for c in fixed.cycles] == [True, True, False, False]
    assert [float(c.points[0, 0]) for c in fixed.cycles] == pytest.approx(
        [2 * (-1), 2 * (-0.25), 0.25 / 2.2, 1 / 2.2])
    assert (cycle.order, cycle.checkpoints) == (2, (2, 3))
    h = np.array([0.25, 1.0])
    found = np.array([sorted(c.points[:, 0]) for c in cycle.cycles])
    np.testing.assert_allclose(found, np.c_[-h / 8, 15 * h / 16], rtol=1e-12)
    assert [c.spectral_radius for c in cycle.cycles] == pytest.approx([0.6, 0.6])


def test_each_event_names_its_track(record):
    assert [(t.event.outcome, track) for t, track in zip(record.bifurcations, record.event_tracks,
                                                          strict=True)] == [("persists", 0), ("born", 1)]
    assert record.labels == ((0,), (0,), (0, 1), (0, 1)) or record.labels == ((0,), (0,), (1, 0), (1, 0))


def test_a_cycle_after_a_failed_search_starts_a_new_track():
    from bifwatch.monitor import track_cycles
    from bifwatch.monitor._analysis import CheckpointCycles, search_checkpoints

    found = search_checkpoints([_model(0), _model(5)], [0, 5], max_order=1)
    tracks, labels = track_cycles([found[0], CheckpointCycles(3, None, "failed"), found[1]], [[], []])
    assert [t.checkpoints for t in tracks] == [(0,), (2,)] and labels == [[0], [], [1]]


def test_the_projection_is_the_first_principal_component(record):
    d = record.to_dict()
    points = [p for c in record.checkpoints for cycle in c.result.cycles for p in cycle.points[:, 0]]
    assert d["projection"]["axis"] == [1.0] and d["projection"]["mean"] == pytest.approx([np.mean(points)])
    pc1 = [x for c in d["checkpoints"] for cycle in c["cycles"] for x in cycle["pc1"]]
    assert pc1 == pytest.approx(np.array(points) - np.mean(points))
    assert [cycle["track"] for cycle in d["checkpoints"][3]["cycles"]] == list(record.labels[3])


def test_events_json_holds_tracks_history_and_the_new_keys(record, tmp_path):
    record.to_json(tmp_path / "events.json")
    d = json.loads((tmp_path / "events.json").read_text())
    assert {"tracks", "ghosts", "gradient_spikes", "projection", "ghost_failures"} <= set(d)
    assert d["tracks"][0] == {"id": 0, "order": 1, "regions": "0", "epochs": [0.0, 15.0, 25.0, 40.0],
                              "spectral_radius": pytest.approx([0.5, 0.5, 1.2, 1.2]),
                              "stable": [True, True, False, False]}
    assert [b["track"] for b in d["bifurcations"]] == [0, 1]
    assert [b["signature"] for b in d["bifurcations"]] == [True, True]  # turns unstable; is born
    assert d["loss_jumps"][0]["ghosts"] == [] and d["loss_jumps"][0]["explanation"] == "bifurcation"


def test_a_border_collision_that_changes_no_stability_is_no_signature_event():
    from bifwatch.monitor import TrainingEvent

    event = bw.BifurcationEvent(value=0.5, type="border-collision", order=1, points=np.zeros((1, 1)),
                                multipliers=np.array([0.5]), stability_before="stable node",
                                stability_after="stable node", outcome="persists")
    assert not TrainingEvent(5.0, (0.0, 10.0), 0.5, event).signature
    focus = dataclasses.replace(event, stability_after="stable focus")  # still an attractor
    assert not TrainingEvent(5.0, (0.0, 10.0), 0.5, focus).signature
    lost = dataclasses.replace(event, stability_after="saddle node")
    assert TrainingEvent(5.0, (0.0, 10.0), 0.5, lost).signature


# --- ghosts: z' = 0.5 z + relu(z) + h, h > 0: no fixed point; the slow point z = 0 with q = h^2 / 2 ---

GHOST_EPOCHS = (0, 5, 10, 15, 20)


def _ghost(epoch: float) -> bw.PLRNN:
    return bw.PLRNN(A=[0.5], W=[[1.0]], h=[0.5 - epoch / 50])  # h: 0.5, 0.4, 0.3, 0.2, 0.1


def _ghost_run(drop_at: int, **kw):
    loss = np.ones(30)
    loss[drop_at:] = 0.05
    return monitor_checkpoints([_ghost(e) for e in GHOST_EPOCHS], GHOST_EPOCHS, loss=loss,
                               loss_epochs=np.arange(30), max_order=2, **kw)


def test_a_jump_where_a_ghost_deepened_is_a_ghost_jump():
    """q(0) = h^2 / 2 falls by (0.2 / 0.1)^2 = 4 from epoch 15 to 20, by 2.25 from 10 to 15."""
    record = _ghost_run(20)
    assert record.bifurcations == () and [j.epoch for j in record.jumps] == [20]
    assert record.explanations == (("ghost", ()),) and record.jump_ghosts == ((0,),)
    (ghost,) = record.ghosts
    assert (ghost.epoch, ghost.since, ghost.kind) == (20.0, 15.0, "deepened")
    assert ghost.speed == pytest.approx(0.1**2 / 2) and ghost.factor == pytest.approx((0.2 / 0.1) ** 2)
    assert float(ghost.point[0]) == pytest.approx(0.0, abs=1e-12)
    assert record.to_dict()["loss_jumps"][0]["ghosts"] == [0]


def test_a_jump_far_from_any_deepening_is_unexplained():
    record = _ghost_run(7)  # checkpoints 0, 5, 10 around [4, 9]: q falls by 1.56 and 1.78 < 2
    assert [j.epoch for j in record.jumps] == [7]
    assert record.explanations == (("unexplained", ()),) and record.ghosts == ()


def test_ghosts_can_be_switched_off_or_refused_for_large_models():
    assert _ghost_run(20, ghosts=False).explanations == (("unexplained", ()),)
    refused = _ghost_run(20, max_regions=1)
    assert refused.explanations == (("unexplained", ()),)
    assert [e for e, _ in refused.ghost_failures] == [15.0, 20.0]
    assert "max_regions" in refused.ghost_failures[0][1] or "regions" in refused.ghost_failures[0][1]


def _slow(z, q):
    return bw.SlowPoints.build(np.array(z, float).reshape(-1, 1), q=np.array(q, float),
                               jacobians=np.ones((len(q), 1, 1)), time="discrete")


def test_new_ghosts_appeared_deepened_and_unchanged():
    before = _slow([0.0, 5.0], [0.1, 0.3])
    after = _slow([0.0, 5.0, -4.0], [0.04, 0.2, 0.5])
    found = new_ghosts(before, after, epochs=(3, 7))
    assert [(g.kind, float(g.point[0]), g.since, g.epoch) for g in found] == [
        ("deepened", 0.0, 3, 7), ("appeared", -4.0, 3, 7)]
    assert found[0].factor == pytest.approx(2.5)
    # a fixed point that became slow (a saddle-node left its ghost behind) counts as appeared
    left = new_ghosts(_slow([1.0], [0.0]), _slow([1.0], [0.01]), epochs=(0, 1))
    assert [g.kind for g in left] == ["appeared"]


# --- only the intervals near a jump --------------------------------------------------------------

def test_with_intervals_jumps_only_the_interval_of_the_jump_is_followed():
    loss = np.r_[np.full(20, 1.0), np.full(20, 0.1)]  # the jump at epoch 21: window [18, 21]
    record = monitor_checkpoints([_model(e) for e in EPOCHS], EPOCHS, loss=loss, loss_epochs=np.arange(1, 41),
                                 max_order=3, intervals="jumps")
    assert record.skipped == ((0.0, 15.0), (25.0, 40.0))
    assert [t.between for t in record.bifurcations] == [(15.0, 25.0)] * 2
    assert record.explanations == (("bifurcation", (0, 1)),)
    assert record.to_dict()["skipped_intervals"] == [[0.0, 15.0], [25.0, 40.0]]
    quiet = monitor_checkpoints([_model(e) for e in EPOCHS], EPOCHS, max_order=3, intervals="jumps")
    # no event says the fixed point went on into region 1: without the continuation it is a new track
    assert quiet.bifurcations == () and len(quiet.skipped) == 3 and len(quiet.tracks) == 3
    with pytest.raises(ValueError, match="`intervals` must be one of"):
        monitor_checkpoints([_model(0)], [0], intervals="some")


def test_jump_intervals_overlap_each_window():
    from bifwatch.monitor import jump_intervals
    from bifwatch.training import Jump

    epochs = [0, 10, 20, 30]
    jumps = [Jump(12, 12, "drop", 3.0, -9.0), Jump(31, 31, "spike", 3.0, 9.0)]
    assert jump_intervals(epochs, jumps, 2.0) == [0, 1, 2]  # [9, 12] meets 0-10 and 10-20; [28, 31]: 20-30
    assert jump_intervals(epochs, [Jump(25, 25, "drop", 3.0, -9.0)], 1.0) == [2]


def test_large_models_follow_only_the_intervals_near_jumps():
    from bifwatch.monitor import affordable_intervals

    assert affordable_intervals(_model(0)) == "all"  # 2 regions
    big = bw.PLRNN(A=np.full(13, 0.5), W=np.zeros((13, 13)), h=np.zeros(13))  # 2^13 = 8192 regions
    assert affordable_intervals(big) == "jumps" and affordable_intervals(big, limit=8192) == "all"


def test_a_fixed_point_crossing_two_borders_in_one_interval_keeps_its_track():
    """z' = 0.5 z + W relu(z) + h, W = [[0, .1], [.1, 0]]: from h = (-1, -1) to (1, .5) the fixed
    point crosses z1 = 0 at epoch 5 (h1 = 0), then z2 = 2 (h2 + 0.1 z1) with z1 = 2 h1 crosses 0
    where h2 + 0.2 h1 = 0, at f = 12/19 (epoch 6 + 6/19): one object, one track, both events on it."""
    W = [[0, 0.1], [0.1, 0]]
    models = [bw.PLRNN(A=[0.5, 0.5], W=W, h=h) for h in ([-1, -1], [1, 0.5], [1.2, 0.6])]
    record = monitor_checkpoints(models, [0, 10, 20], max_order=1, ghosts=False)
    assert [t.epoch for t in record.bifurcations] == pytest.approx([5.0, 6.0 + 6 / 19], abs=1e-9)
    assert len(record.tracks) == 1 and record.tracks[0].checkpoints == (0, 1, 2)
    assert record.event_tracks == (0, 0)


def test_a_jump_whose_window_was_not_analysed_says_so():
    loss = np.r_[np.full(20, 1.0), np.full(20, 0.1)]  # the jump at 21, window [18, 21]
    full = monitor_checkpoints([_model(e) for e in EPOCHS], EPOCHS, loss=loss, loss_epochs=np.arange(1, 41),
                               max_order=3)
    assert full.window_complete == (True,)
    beyond = monitor_checkpoints([_model(e) for e in EPOCHS[:2]], EPOCHS[:2], loss=loss,
                                 loss_epochs=np.arange(1, 41), max_order=3)  # checkpoints 0, 15 only
    assert beyond.explanations == (("unexplained", ()),) and beyond.window_complete == (False,)
    assert beyond.to_dict()["loss_jumps"][0]["window_complete"] is False
