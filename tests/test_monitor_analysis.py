"""The monitor's analysis of a run of checkpoints, against closed forms.

The run: the 1-D PLRNN z' = 0.5 z - 1.7 relu(z) + h with h(e) = -1 + e / 20 (a border-collision
normal form with slopes 0.5 and -1.2). For h < 0 its only cycle is the stable fixed point 2h;
at h = 0 (epoch 20, exactly) the fixed point crosses the switching point and turns unstable
(slope -1.2), and a stable 2-cycle is born (|0.5 x -1.2| = 0.6 < 1).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.monitor import (
    WINDOW,
    _analysis,  # monkeypatched: its find_cycles
    explain,
    monitor_checkpoints,
)
from bifwatch.monitor._analysis import gaps_between, search_checkpoints
from bifwatch.training import Jump

EPOCHS = (0, 15, 25, 40)


def _model(epoch: float) -> bw.PLRNN:
    return bw.PLRNN(A=[0.5], W=[[-1.7]], h=[-1 + epoch / 20])


def _run(**kw):
    return monitor_checkpoints([_model(e) for e in EPOCHS], EPOCHS, max_order=3, **kw)


def test_the_border_collision_is_placed_at_its_epoch():
    record = _run()
    assert [(t.event.type, t.event.order, t.event.outcome) for t in record.bifurcations] == [
        ("border-collision", 1, "persists"), ("border-collision", 2, "born")]
    for t in record.bifurcations:
        assert t.between == (15.0, 25.0)
        assert t.epoch == pytest.approx(20.0, abs=1e-9) and t.fraction == pytest.approx(0.5, abs=1e-10)
    fixed, born = record.bifurcations
    assert (fixed.event.stability_before, fixed.event.stability_after) == ("stable node", "unstable node")
    assert born.event.stability_after == "stable node"
    assert [c.counts(3) for c in record.checkpoints] == [{1: 1, 2: 0, 3: 0}] * 2 + [{1: 1, 2: 1, 3: 0}] * 2
    assert record.gaps == () and record.failures == ()


def test_intervals_without_a_bifurcation_have_no_events():
    record = monitor_checkpoints([_model(e) for e in (0, 10, 19)], (0, 10, 19), max_order=3)
    assert record.bifurcations == () and record.gaps == ()


def test_a_change_the_events_do_not_account_for_is_a_gap_not_an_event():
    before, after = search_checkpoints([_model(15), _model(25)], [15, 25], max_order=3)
    gaps = gaps_between(before, after, [], 3)
    assert [(g.between, g.order, g.change, g.accounted) for g in gaps] == [((15, 25), 2, 1, 0)]


def test_a_failed_search_is_recorded_and_the_rest_analysed(monkeypatch):
    real = _analysis.find_cycles

    def flaky(model, **kw):
        if model.h[0] == pytest.approx(-1 + 40 / 20):
            raise ArithmeticError("the search broke")
        return real(model, **kw)

    monkeypatch.setattr(_analysis, "find_cycles", flaky)
    record = _run()
    assert record.checkpoints[-1].failed == "ArithmeticError: the search broke"
    assert record.checkpoints[-1].counts(3) == {}
    assert len(record.bifurcations) == 2  # the intervals are still followed
    assert json.loads(record.to_json())["checkpoints"][-1]["failed"] == "ArithmeticError: the search broke"


def test_jumps_are_explained_by_the_events_in_their_window():
    loss = np.r_[np.full(20, 1.0), np.full(20, 0.1)] * np.exp(0.01 * np.random.default_rng(0).normal(size=40))
    record = _run(loss=loss, loss_epochs=np.arange(1, 41))
    assert [(j.epoch, j.direction) for j in record.jumps] == [(21, "drop")]
    assert record.explanations == (("bifurcation", (0, 1)),)
    report = json.loads(record.to_json())
    assert set(report) >= {"checkpoints", "bifurcations", "loss_jumps", "gaps", "settings"}
    assert report["loss_jumps"][0]["explanation"] == "bifurcation"
    assert report["loss_jumps"][0]["bifurcations"] == [0, 1]
    assert report["checkpoints"][2]["n_cycles_by_order"] == {"1": 1, "2": 1, "3": 0}


def test_explain_window_edges_and_divergence():
    events = _run().bifurcations  # both at epoch 20
    jump = lambda epoch, kind="jump": Jump(epoch=epoch, index=0, direction="drop", size=10.0, z=-9.0,  # noqa: E731
                                          kind=kind)
    assert explain([jump(20)], events) == [("bifurcation", (0, 1))]
    assert explain([jump(23)], events, window=2) == [("bifurcation", (0, 1))]   # 23 - 1 - 2 = 20
    assert explain([jump(23.5)], events, window=2) == [("unexplained", ())]
    assert explain([jump(19.9)], events) == [("unexplained", ())]               # before the event
    assert explain([jump(30, "divergence")], events) == [("divergence", ())]


def test_a_diverged_loss_is_a_divergence_jump_and_json_stays_strict():
    loss = np.r_[np.full(30, 1.0), np.nan, np.full(9, 1.0)]
    record = _run(loss=loss, loss_epochs=np.arange(1, 41))
    assert record.explanations[-1] == ("divergence", ())
    json.loads(record.to_json())  # no NaN or Infinity in the file


@pytest.mark.parametrize(
    ("epochs", "match"),
    [((0, 15, 15, 40), r"`epochs` must increase strictly"), ((0, 15, 25), r"the same length")],
)
def test_bad_checkpoint_lists(epochs, match):
    with pytest.raises(ValueError, match=match):
        monitor_checkpoints([_model(e) for e in EPOCHS], epochs, max_order=2)


def test_the_window_default_is_documented():
    assert WINDOW == 2.0


def test_a_real_training_run_is_analysed_end_to_end(tmp_path):
    """``bifwatch train`` -> read_checkpoint_folder -> monitor_checkpoints -> events.json."""
    pytest.importorskip("torch")
    from bifwatch.monitor import read_checkpoint_folder
    from bifwatch.training.dsr import TrainSettings, train

    t = np.arange(300)[:, None]
    np.save(tmp_path / "x.npy", np.sin(0.3 * t + np.arange(2)))
    settings = TrainSettings(system=None, data=str(tmp_path / "x.npy"), model="clipped-shplrnn", hidden=6,
                             epochs=4, batches_per_epoch=2, batch_size=4, seq_len=20, checkpoint_every=2)
    train(settings, tmp_path / "run")
    folder = read_checkpoint_folder(tmp_path / "run")
    record = monitor_checkpoints(list(folder.models()), folder.epochs, loss=folder.history["loss"],
                                 loss_epochs=folder.history["epoch"], max_order=2,
                                 paths=[str(p) for p in folder.paths])
    report = json.loads(record.to_json(tmp_path / "events.json"))
    assert [c["epoch"] for c in report["checkpoints"]] == [0.0, 2.0, 4.0]
    assert all(c["path"].endswith(f"epoch_{int(c['epoch']):06d}.npz") for c in report["checkpoints"])
    for event in report["bifurcations"]:
        e0, e1 = event["between"]
        assert e0 <= event["epoch"] <= e1 and event["type"] in bw.bifurcations.EVENT_TYPES
    for checkpoint, found in zip(report["checkpoints"], folder.models(), strict=True):  # oracle: the search
        orders = [c.order for c in bw.find_cycles(found, max_order=2).cycles]
        assert checkpoint["n_cycles_by_order"] == {"1": orders.count(1), "2": orders.count(2)}


def test_a_stored_analysis_resumes_without_redoing_anything(tmp_path, monkeypatch):
    from bifwatch.sweep import SweepStore

    spec = {"run": "normal form"}
    first = _run(store=SweepStore(tmp_path / "m.sqlite", spec=spec))

    def no_search(*args, **kw):
        raise AssertionError("a finished checkpoint or interval was computed again")

    monkeypatch.setattr(_analysis, "find_cycles", no_search)
    monkeypatch.setattr(_analysis, "bifurcation_diagram", no_search)
    again = _run(store=SweepStore(tmp_path / "m.sqlite", spec=spec, resume=True))
    assert again.to_json() == first.to_json()


@pytest.mark.slow
def test_worker_processes_give_the_same_record():
    assert _run(workers=2).to_json() == _run().to_json()


@pytest.mark.parametrize("window", [-1.0, float("nan"), float("inf"), "2", True])
def test_a_window_that_is_not_a_number_of_epochs_is_refused(window):
    with pytest.raises(ValueError, match="`window` must be a finite number of epochs >= 0"):
        monitor_checkpoints([_model(e) for e in EPOCHS], EPOCHS, max_order=1, window=window)
