"""The monitor's record of a smooth model: slow points per checkpoint, ghosts, jumps explained.

Where the truth comes from: a rank-one flow F(kappa) = -kappa + 2 tanh(kappa) + s whose local
minimum sits at kappa* = -arccosh(sqrt 2) for every s, with depth F(kappa*) = s - c*,
c* = sqrt 2 - arccosh(sqrt 2) (closed form); the Brent-refined single-network finder
(latent_slow_points) as the oracle of the training records; real DA runs for the labelling.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_run import ok, usage_error

from bifwatch.ghosts import SlowPoints
from bifwatch.monitor import MonitorRecord, monitor_slow_points
from bifwatch.studies.lowrank import (
    LowRankRNN,
    da_slow_points,
    latent_slow_points,
    monitor_da,
    train_da,
)

KAPPA_STAR = -np.arccosh(np.sqrt(2.0))
C_STAR = np.sqrt(2.0) - np.arccosh(np.sqrt(2.0))  # F(kappa*) = s - C_STAR
EPOCHS = np.arange(0, 1000, 100)
#: s - C_STAR at each checkpoint: a ghost of depth 0.4, deepened to 0.05 by epoch 300; below
#: zero (a saddle-node pair) from 500 to 700; a ghost again at 800.
DEPTHS = [0.4, 0.4, 0.4, 0.05, 0.05, -0.02, -0.02, -0.02, 0.05, 0.05]


def _net(depth: float) -> LowRankRNN:
    """F(kappa) = -kappa + 2 tanh(kappa) + (C_STAR + depth): the second unit is a constant (tanh 50 = 1)."""
    return LowRankRNN(m=[1.0, 0.0], n=[2.0, C_STAR + depth], b=[0.0, 50.0])


def _loss(E=1000):
    """Flat with small noise; x0.1 at epoch 250, x10 from epoch 600."""
    noise = np.exp(0.01 * np.random.default_rng(0).standard_normal(E))
    e = np.arange(E)
    return noise * np.where(e < 250, 1.0, 0.1) * np.where(e < 600, 1.0, 10.0)


@pytest.fixture(scope="module")
def record() -> MonitorRecord:
    slow = [latent_slow_points(_net(d)) for d in DEPTHS]
    return monitor_slow_points(slow, EPOCHS, loss=_loss(), paths=[f"ck-{e}.npz" for e in EPOCHS])


def test_the_constructed_flow_has_its_closed_form_ghost():
    sp = latent_slow_points(_net(0.05)).slow
    assert len(sp) == 1
    np.testing.assert_allclose(sp.points[0, 0], KAPPA_STAR, atol=1e-10)
    np.testing.assert_allclose(sp.q[0], 0.05**2 / 2, rtol=1e-8)


def test_a_drop_where_the_ghost_deepens_is_a_ghost_jump(record):
    first, second = record.ghosts
    assert (first.since, first.epoch, first.kind) == (200.0, 300.0, "deepened")
    assert first.factor == pytest.approx((0.4 / 0.05) ** 2, rel=1e-6)
    np.testing.assert_allclose(first.point, [KAPPA_STAR], atol=1e-10)
    assert first.speed == pytest.approx(0.05**2 / 2, rel=1e-8)
    # after the saddle-node pair annihilates, the ghost it leaves appeared (matched to a fixed point)
    assert (second.since, second.epoch, second.kind) == (700.0, 800.0, "appeared")
    jump = record.jumps[0]
    assert (jump.epoch, jump.direction) == (250, "drop") and jump.size == pytest.approx(10, rel=0.1)
    assert record.explanations[0] == ("ghost", ()) and record.jump_ghosts[0] == (0,)


def test_a_jump_far_from_any_ghost_is_unexplained(record):
    jump = record.jumps[1]
    assert (jump.epoch, jump.direction) == (600, "spike")
    assert record.explanations[1] == ("unexplained", ()) and record.jump_ghosts[1] == ()


def test_the_saddle_node_pairs_are_gaps_not_invented_events(record):
    assert record.bifurcations == ()
    assert [(g.between, g.order, g.change, g.accounted) for g in record.gaps] == [
        ((400.0, 500.0), 1, 2, 0), ((700.0, 800.0), 1, -2, 0)]


def test_a_wider_window_links_a_later_ghost():
    slow = [latent_slow_points(_net(d)) for d in DEPTHS]
    wide = monitor_slow_points(slow, EPOCHS, loss=_loss(), window=250)
    assert wide.explanations[1] == ("ghost", ()) and wide.jump_ghosts[1] == (1,)


def test_a_divergence_is_labelled_so():
    loss = _loss()
    loss[900:] = np.nan
    slow = [latent_slow_points(_net(d)) for d in DEPTHS]
    record = monitor_slow_points(slow, EPOCHS, loss=loss)
    assert record.jumps[-1].kind == "divergence" and record.jumps[-1].epoch == 900
    assert record.explanations[-1] == ("divergence", ()) and record.jump_ghosts[-1] == ()


def test_events_json_keys(record, tmp_path):
    path = tmp_path / "events.json"
    record.to_json(path)
    data = json.loads(path.read_text())
    assert {"checkpoints", "bifurcations", "loss_jumps", "ghosts", "gaps", "settings"} <= set(data)
    assert data["bifurcations"] == [] and data["tracks"] == [] and data["projection"] is None
    assert data["checkpoints"][3] == {"epoch": 300.0, "path": "ck-300.npz", "n_cycles_by_order": {}}
    assert data["settings"]["max_order"] == 0 and data["settings"]["cycles"] == "not searched (smooth model)"
    assert data["settings"]["window"] == 2.0
    jump = data["loss_jumps"][0]
    assert (jump["epoch"], jump["explanation"], jump["ghosts"]) == (250, "ghost", [0])
    assert jump["bifurcations"] == []
    assert data["ghosts"][0]["kind"] == "deepened" and data["ghosts"][0]["pc1"] is None
    assert data == record.to_dict()


def test_without_a_loss_there_are_no_jumps():
    record = monitor_slow_points([latent_slow_points(_net(d)) for d in DEPTHS[:4]], EPOCHS[:4])
    assert record.jumps == () and len(record.ghosts) == 1 and record.to_dict()["loss_jumps"] == []


def _sp(M=1, time="continuous") -> SlowPoints:
    return SlowPoints.build(np.zeros((1, M)), q=[0.1], jacobians=np.zeros((1, M, M)), time=time)


@pytest.mark.parametrize("slow, epochs, kwargs, error, match", [
    ([_sp(), _sp()], [0], {}, ValueError, r"`slow_points` and `epochs` must have the same length >= 1"),
    ([], [], {}, ValueError, "same length >= 1"),
    ([_sp(), _sp()], [5, 5], {}, ValueError, "`epochs` must be finite and increase strictly"),
    ([_sp(), _sp()], [0, np.nan], {}, ValueError, "`epochs` must be finite"),
    ([_sp(), _sp(2)], [0, 1], {}, ValueError, r"dimension M = 1, .*checkpoint 1 has M = 2"),
    ([_sp(), _sp(time="discrete")], [0, 1], {}, ValueError, "checkpoint 1 has M = 1, time 'discrete'"),
    ([_sp(), "x"], [0, 1], {}, TypeError, r"`slow_points\[1\]` must be a SlowPoints"),
    ([_sp(), _sp()], [0, 1], {"paths": ["a"]}, ValueError, "`paths` must have one entry per checkpoint"),
    ([_sp(), _sp()], [0, 1], {"window": -1}, ValueError, "`window` must be a finite number of epochs >= 0"),
    ([_sp(), _sp()], [0, 1], {"loss": np.ones(20), "grad_norm": np.ones(19)}, ValueError,
     r"`grad_norm` must have the shape of `loss` \(20,\)"),
    ([_sp(), _sp()], [0, 1], {"loss": np.ones(20), "loss_epochs": np.arange(3)}, ValueError,
     "`loss_epochs` must have the shape of `loss`"),
], ids=["lengths", "empty", "repeated-epoch", "nan-epoch", "dimension", "time", "type", "paths", "window",
        "grad-norm", "loss-epochs"])
def test_bad_input(slow, epochs, kwargs, error, match):
    with pytest.raises(error, match=match):
        monitor_slow_points(slow, epochs, **kwargs)


# --- the DA training reports through the same record --------------------------------------------

def _ghostly_nets(S=4, N=20):
    """Random rank-one networks with large gains: several latent fixed points and ghosts each."""
    rng = np.random.default_rng(7)
    m = rng.normal(0, 2, (S, N)) / np.sqrt(N)
    n = m * rng.uniform(0.5, 3, (S, 1)) + rng.normal(0, 1, (S, N)) / np.sqrt(N)
    b = rng.normal(0, 1, (S, N))
    return [LowRankRNN(m=m[s], n=n[s], b=b[s]) for s in range(S)]


def _canonical(sp: SlowPoints) -> SlowPoints:
    """Fixed points then ghosts, each in increasing kappa (q ~ 1e-32 orders the zeros by rounding)."""
    return sp.select(np.lexsort((sp.points[:, 0], sp.kind == "slow")))


def test_training_records_equal_the_single_network_finder():
    kept = {}

    def keep(state):
        if state.epoch % 10 == 0:
            kept[state.epoch] = state.models()

    run = train_da(_ghostly_nets(), lr=0.01, epochs=30, analyse_every=10, callback=keep)
    assert int(run.n_ghosts.sum()) > 0
    for s in range(run.S):
        for a, sp in enumerate(da_slow_points(run, s)):
            sp, oracle = _canonical(sp), _canonical(latent_slow_points(kept[int(run.analysis_epochs[a])][s]))
            assert sp.kind.tolist() == oracle.kind.tolist()
            np.testing.assert_allclose(sp.points, oracle.points, atol=1e-10)
            np.testing.assert_allclose(sp.q, oracle.q, rtol=1e-8, atol=1e-24)
            np.testing.assert_allclose(sp.jacobians, oracle.jacobians, rtol=1e-8, atol=1e-12)  # 0 at ghosts
            fixed = sp.kind == "fixed"
            assert sp.stable[fixed].tolist() == oracle.stable[fixed].tolist()


def test_monitor_da_needs_latent_records():
    run = train_da(_ghostly_nets(1), lr=0.01, epochs=5, analyse_every=0)
    with pytest.raises(ValueError, match="no latent-flow records"):
        monitor_da(run)
    with pytest.raises(TypeError, match="must be a DATrainingRun"):
        monitor_da("run")


def test_an_old_checkpoint_without_the_new_tracks_is_refused(tmp_path):
    from bifwatch.training import save_checkpoint

    path = tmp_path / "ck.npz"
    nets = _ghostly_nets(1)
    train_da(nets, lr=0.01, epochs=10, checkpoint=path, checkpoint_every=5)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    spec = json.loads(str(arrays.pop("__spec__")))
    spec.pop("format")
    arrays.pop("track/ghost_flow")
    save_checkpoint(path, spec, arrays)
    with pytest.raises(ValueError, match="older bifwatch without the tracks ghost_flow; remove it"):
        train_da(nets, lr=0.01, epochs=20, checkpoint=path, resume=True)


#: A real run that learns abruptly through a ghost in 2-3 s: N = 100, lr 0.006, seed 4 (first
#: drop at epoch 11,999; the ghost first seen at epoch 12,150 near kappa = -0.36).
QUICK = ("ghost", "rnn", "--lr", "0.006", "--epochs", "12300", "--seed", "4", "--analyse-every", "50",
         "--no-progress")


def test_cli_ghost_rnn_events_labels_the_abrupt_drop_a_ghost(capsys, tmp_path):
    out, checkpoint = tmp_path / "events.json", str(tmp_path / "ck.npz")
    text = ok(capsys, *QUICK, "--checkpoint", checkpoint, "--events", str(out))
    assert f"wrote {out}: 1 loss jump(s) (1 ghost)" in text and "window 1000 epochs" in text
    data = json.loads(out.read_text())
    drop = data["loss_jumps"][0]  # 0.99 -> 0.34 -> 0.30 -> 0.05 over epochs 11950-12100: one jump
    assert (drop["epoch"], drop["direction"], drop["explanation"]) == (12100, "drop", "ghost")
    assert drop["size"] == pytest.approx(19.3, rel=0.01)
    ghost = data["ghosts"][drop["ghosts"][0]]
    assert (ghost["since"], ghost["epoch"], ghost["kind"]) == (12100.0, 12150.0, "appeared")
    assert ghost["since"] >= drop["epoch"]  # the ghost forms just after the drop (note §9.1)
    assert data["bifurcations"] == [] and data["gaps"] == []  # one fixed point throughout
    assert set(data["history"]) >= {"epoch", "loss", "n_fixed", "f_min"}
    assert data["settings"]["analyse_every"] == 50
    # from the finished checkpoint (no training), with a window of one analysis interval: the ghost
    # first seen at 12150 (since 12100) is still inside [12100 - 1 - 50, 12100 + 50]; with none, not
    narrow = tmp_path / "narrow.json"
    ok(capsys, *QUICK, "--checkpoint", checkpoint, "--resume", "--events", str(narrow),
       "--events-window", "50")
    assert [j["explanation"] for j in json.loads(narrow.read_text())["loss_jumps"]] == ["ghost"]


def test_cli_ghost_rnn_events_one_file_per_network(capsys, tmp_path):
    text = ok(capsys, "ghost", "rnn", "--units", "10", "--epochs", "40", "--seeds", "2", "--seed", "3",
              "--analyse-every", "10", "--events", str(tmp_path / "ev.json"), "--no-progress")
    for seed in (3, 4):
        path = tmp_path / f"ev-{seed}.json"
        assert f"wrote {path}" in text and len(json.loads(path.read_text())["checkpoints"]) == 4


@pytest.mark.parametrize("args, match", [
    (("--rank", "2"), "--events needs the latent flow tracked: --rank 1"),
    (("--analyse-every", "0"), "--events needs the latent flow tracked"),
], ids=["rank", "not-tracked"])
def test_cli_ghost_rnn_events_usage_errors(capsys, tmp_path, args, match):
    usage_error(capsys, "ghost", "rnn", "--units", "8", "--epochs", "3", "--no-progress",
                "--events", str(tmp_path / "e.json"), *args, match=match)


def test_cli_events_window_needs_events(capsys):
    usage_error(capsys, "ghost", "rnn", "--units", "8", "--epochs", "3", "--no-progress",
                "--events-window", "10", match="--events-window needs --events OUT")


@pytest.mark.slow
def test_abrupt_learning_at_the_papers_learning_rate_is_a_ghost_jump():
    """lr 0.003, seed 0 (about 10 s): first drop near epoch 33.3k, the ghost 200-300 epochs later."""
    from bifwatch.studies.lowrank import init_lowrank

    run = train_da(init_lowrank(100, seed=0), lr=0.003, epochs=34_500, analyse_every=100)
    record = monitor_da(run)
    first = record.jumps[0]
    assert first.direction == "drop" and 33_300 <= first.epoch <= 33_700
    assert record.explanations[0][0] == "ghost" and int(run.max_fixed()[0]) == 1
    assert all(why == "ghost" for why, _ in record.explanations)
    ghost = record.ghosts[record.jump_ghosts[0][0]]
    assert ghost.kind == "appeared" and ghost.since >= first.epoch and ghost.point[0] < 0  # after the drop


def test_reproduce_ghost_abrupt_writes_the_monitors_record(capsys, tmp_path):
    """The reduced run (lr 0.01, 12k epochs) learns with no ghost near its drops: said so, not hidden."""
    out = ok(capsys, "reproduce", "ghost-abrupt", "--quick", "--out", str(tmp_path), "--no-progress")
    events = json.loads((tmp_path / "ghost-abrupt-events.json").read_text())
    whys = [j["explanation"] for j in events["loss_jumps"]]
    assert whys and set(whys) <= {"ghost", "unexplained"} and events["bifurcations"] == []
    assert "monitor: epoch " in out and "ghost-abrupt-events.json" in out
