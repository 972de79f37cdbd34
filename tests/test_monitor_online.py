"""The online Monitor: a training loop's updates, the analysis in its own process, the same record as
after the fact; ``bifwatch train --monitor``.

The run is the border-collision normal form of tests/test_monitor_analysis.py (event at epoch 20).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_run import ok, usage_error

import bifwatch as bw
from bifwatch.monitor import monitor_checkpoints, read_checkpoint_folder


def _model(epoch: float) -> bw.PLRNN:
    return bw.PLRNN(A=[0.5], W=[[-1.7]], h=[-1 + epoch / 20])


def _loss(epoch: int) -> float:
    return 1.0 if epoch < 21 else 0.1


def _watch(run, *, epochs=41, background=True, **kw):
    monitor = bw.Monitor(run, max_order=3, every=5, background=background, report=False, **kw)
    for e in range(epochs):
        monitor.update(e, _model(e), loss=_loss(e))
    return monitor.finish()


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    run = tmp_path_factory.mktemp("watched")
    return run, _watch(run)


def test_the_event_and_the_jump_are_found_while_training(watched):
    run, record = watched
    assert [c.epoch for c in record.checkpoints] == [float(e) for e in range(0, 41, 5)]
    assert [(t.event.type, t.event.outcome) for t in record.bifurcations] == [
        ("border-collision", "persists"), ("border-collision", "born")]
    assert [t.epoch for t in record.bifurcations] == pytest.approx([20.0, 20.0], abs=1e-9)
    assert [j.epoch for j in record.jumps] == [21] and record.explanations == (("bifurcation", (0, 1)),)
    events = json.loads((run / "events.json").read_text())
    assert events["settings"]["every"] == 5 and events["settings"]["kind"] == "plrnn"


def test_the_run_folder_is_one_that_bifwatch_monitor_reads(watched, tmp_path, capsys):
    run, record = watched
    folder = read_checkpoint_folder(run)
    assert list(folder.epochs) == list(range(0, 41, 5)) and folder.history["loss"][21] == 0.1
    after = monitor_checkpoints(list(folder.models()), folder.epochs, history=folder.history, max_order=3)
    assert after.to_dict()["bifurcations"] == record.to_dict()["bifurcations"]
    out = ok(capsys, "monitor", str(run), "--max-order", "3", "--out", str(tmp_path / "m"), "--no-progress")
    assert "jump at epoch 21 (drop x10): bifurcation" in out


def test_in_process_and_background_give_the_same_record(watched, tmp_path):
    _, record = watched
    here = _watch(tmp_path / "here", background=False).to_dict()
    there = record.to_dict()
    assert [c["epoch"] for c in here.pop("checkpoints")] == [c["epoch"] for c in there.pop("checkpoints")]
    assert here == there


def test_the_last_epoch_is_analysed_when_every_skips_it(tmp_path):
    record = _watch(tmp_path / "r", epochs=23)
    assert [c.epoch for c in record.checkpoints] == [0.0, 5.0, 10.0, 15.0, 20.0, 22.0]


def test_torch_modules_gradient_norms_and_learning_rates(tmp_path):
    torch = pytest.importorskip("torch", reason="the torch modules need PyTorch")
    from bifwatch.models.nn import PLRNN

    net = PLRNN(2, seed=0).double()
    optimiser = torch.optim.SGD(net.parameters(), lr=0.01)
    monitor = bw.Monitor(tmp_path / "r", max_order=2, every=2, report=False)
    norms = []
    for e in range(5):
        optimiser.zero_grad()
        z = net(torch.ones(1, 2, dtype=torch.float64))
        loss = z.square().sum()
        loss.backward()
        norms.append(float(torch.sqrt(sum(p.grad.square().sum() for p in net.parameters()))))
        monitor.update(e, net, loss=loss.item(), optimizer=optimiser, alpha=0.1)
        optimiser.step()
    record = monitor.finish()
    assert record.history["grad_norm"] == pytest.approx(norms)
    assert record.history["lr"].tolist() == [0.01] * 5 and record.history["alpha"].tolist() == [0.1] * 5
    assert [c.epoch for c in record.checkpoints] == [0.0, 2.0, 4.0]
    rnn = torch.nn.RNN(1, 3, nonlinearity="relu")
    other = bw.Monitor(tmp_path / "rnn", max_order=1, every=1, input=[0.5], report=False)
    other.update(0, rnn, loss=1.0)
    assert other.finish().checkpoints[0].result is not None


def test_an_analysis_function_for_any_module(tmp_path):
    class Wrapper:
        def __init__(self, e):
            self.e = e

    monitor = bw.Monitor(tmp_path / "r", max_order=3, every=10, analysis=lambda w: _model(w.e), report=False)
    for e in range(0, 41):
        monitor.update(e, Wrapper(e), loss=_loss(e))
    assert len(monitor.finish().bifurcations) == 2


def test_bad_input_is_named(tmp_path):
    with pytest.raises(ValueError, match="`every` must be"):
        bw.Monitor(tmp_path / "a", every=0)
    with pytest.raises(ValueError, match="`max_order` must be"):
        bw.Monitor(tmp_path / "b", max_order=0)
    with pytest.raises(ValueError, match="`window` must be a finite number of epochs >= 0"):
        bw.Monitor(tmp_path / "c", window=float("nan"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="cannot be made a folder"):
        bw.Monitor(tmp_path / "file" / "run")
    monitor = bw.Monitor(tmp_path / "d", background=False, report=False)
    with pytest.raises(TypeError, match="pass `analysis=`"):
        monitor.update(0, object(), loss=1.0)
    with pytest.raises(ValueError, match="nothing to analyse"):
        monitor.finish()
    monitor = bw.Monitor(tmp_path / "e", background=False, report=False, every=1)
    monitor.update(0, _model(0), loss=1.0)
    with pytest.raises(ValueError, match="`epoch` must increase"):
        monitor.update(0, _model(0), loss=1.0)
    with pytest.raises(ValueError, match="one kind and size"):
        monitor.update(1, bw.PLRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[0.0, 0.0]), loss=1.0)
    with pytest.raises(TypeError, match="must return a bifwatch model"):
        bw.Monitor(tmp_path / "f", analysis=lambda m: "no", background=False).update(0, _model(0))
    monitor.finish()
    with pytest.raises(RuntimeError, match="already finished"):
        monitor.finish()
    with pytest.raises(RuntimeError, match="has finished"):
        monitor.update(5, _model(5))


def test_a_context_manager_finishes_or_abandons(tmp_path):
    with bw.Monitor(tmp_path / "ok", max_order=2, every=1, report=False) as monitor:
        monitor.update(0, _model(0), loss=1.0)
    assert (tmp_path / "ok" / "events.json").exists()
    with pytest.raises(KeyError), bw.Monitor(tmp_path / "stop", every=1, report=False) as monitor:
        monitor.update(0, _model(0), loss=1.0)
        raise KeyError("interrupted")
    assert not (tmp_path / "stop" / "events.json").exists()
    assert (tmp_path / "stop" / "checkpoints" / "epoch_000000.npz").exists()


# --- bifwatch train --monitor ---------------------------------------------------------------------

TRAIN = ["train", "--system", "plrnn-cycle", "--steps", "300", "--model", "plrnn", "--latent", "2",
         "--epochs", "6", "--batches-per-epoch", "2", "--batch-size", "4", "--seq-len", "20",
         "--checkpoint-every", "2", "--no-progress"]


def test_train_monitors_its_run_by_default(tmp_path, capsys):
    pytest.importorskip("torch", reason="training needs PyTorch")
    out = ok(capsys, *TRAIN, "--monitor-order", "4", "--out", str(tmp_path / "run"))
    lines = out.splitlines()
    assert lines[0].startswith("trained 6 epochs;")
    assert "4 checkpoints of a plrnn, epochs 0..6, orders up to 4" in out
    assert lines[-1].endswith("events.json and " + str(tmp_path / "run" / "report.html"))
    events = json.loads((tmp_path / "run" / "events.json").read_text())
    assert [c["epoch"] for c in events["checkpoints"]] == [0, 2, 4, 6]
    assert [c["path"].rsplit("/", 1)[-1] for c in events["checkpoints"]] == [
        f"epoch_{e:06d}.npz" for e in (0, 2, 4, 6)]
    assert events["history"]["epoch"] == [1, 2, 3, 4, 5, 6] and "grad_norm" in events["history"]
    assert (tmp_path / "run" / "report.html").stat().st_size > 10_000


def test_train_monitor_flags_that_do_not_fit(tmp_path, capsys):
    usage_error(capsys, *TRAIN, "--seeds", "0-1", "--monitor", "--out", str(tmp_path / "a"),
                match=r"--monitor watches one run")
    usage_error(capsys, *TRAIN, "--no-monitor", "--monitor-order", "2", "--out", str(tmp_path / "b"),
                match=r"--monitor-order needs the monitor")


def test_an_update_without_a_loss_is_a_checkpoint_not_a_divergence(tmp_path):
    monitor = bw.Monitor(tmp_path / "r", max_order=2, every=2, report=False, background=False)
    monitor.update(0, _model(0))  # the initial model, before any step
    for e in range(1, 6):
        monitor.update(e, _model(e), loss=1 / e)
    record = monitor.finish()
    assert record.jumps == () and record.history["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert "grad_norm" not in record.history and [c.epoch for c in record.checkpoints] == [0, 2, 4, 5]
    after = read_checkpoint_folder(tmp_path / "r")  # the folder says the same after the fact
    assert after.history["epoch"].tolist() == [1, 2, 3, 4, 5] and after.epochs == (0, 2, 4, 5)
    nan = bw.Monitor(tmp_path / "nan", max_order=1, every=1, report=False, background=False)
    nan.update(0, _model(0), loss=1.0)
    nan.update(1, _model(1), loss=float("nan"))
    assert [j.kind for j in nan.finish().jumps] == ["divergence"]  # a NaN that was given is one


def test_the_worker_stops_whatever_happens(tmp_path):
    monitor = bw.Monitor(tmp_path / "a", report=False)
    with pytest.raises(ValueError, match="nothing to analyse"):
        monitor.finish()
    assert monitor._worker._proc.poll() is not None
    done = bw.Monitor(tmp_path / "b", max_order=1, every=1, report=False)
    done.update(0, _model(0), loss=1.0)
    done.finish()
    assert done._worker._proc.poll() == 0 and done._worker._proc.stdout.closed


def test_a_dead_analysis_process_loses_nothing(tmp_path):
    monitor = bw.Monitor(tmp_path / "r", max_order=3, every=5, report=False)
    for e in range(26):
        monitor.update(e, _model(e), loss=_loss(e))
    monitor._worker._proc.kill()  # killed (e.g. out of memory) with work in hand
    with pytest.warns(RuntimeWarning, match="finishing its tasks in this process"):
        record = monitor.finish()
    assert [c.epoch for c in record.checkpoints] == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    assert all(c.result is not None for c in record.checkpoints)
    assert [t.epoch for t in record.bifurcations] == pytest.approx([20.0, 20.0], abs=1e-9)


@pytest.mark.skipif(not hasattr(__import__("os"), "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
def test_the_worker_runs_idle_until_training_ends(tmp_path):
    import os
    import time

    from bifwatch.monitor._worker import _normal_priority

    monitor = bw.Monitor(tmp_path / "r", max_order=1, every=1, report=False)
    monitor.update(0, _model(0), loss=1.0)
    pid = monitor._worker._proc.pid
    deadline = time.monotonic() + 30
    while monitor.pending and time.monotonic() < deadline:  # answered: the worker has set its class
        time.sleep(0.01)
    assert os.sched_getscheduler(pid) == os.SCHED_IDLE
    _normal_priority(pid)  # what finish() does first
    assert os.sched_getscheduler(pid) == os.SCHED_OTHER
    monitor.finish()


def test_review_fixes_of_the_online_monitor(tmp_path, capsys):
    monitor = bw.Monitor(tmp_path / "r", max_order=2, every=5, report=False, background=False)
    with pytest.raises(ValueError, match=r"`loss` must be > 0 .* got 0.0"):
        monitor.update(0, _model(0), loss=0.0)  # refused at once, not after the analysis
    with pytest.raises(TypeError, match="`loss` must be a number"):
        monitor.update(0, _model(0), loss="low")
    monitor.checkpoint(0, _model(0))
    for e in range(11):  # epoch 0 was handed over already: analysed once
        monitor.update(e, _model(e), loss=1.0)
    record = monitor.finish()
    assert record.epochs == [0.0, 5.0, 10.0] and all(isinstance(e, float) for e in record.epochs)
    quiet = bw.Monitor(tmp_path / "q", write_files=False, report=False, background=False)
    assert not (tmp_path / "q" / "checkpoints").exists()
    quiet.abandon()


def test_a_history_whose_loss_cannot_be_analysed_is_refused_first(tmp_path, capsys):
    for e in (0, 1):
        bw.save_model(_model(e), tmp_path / f"m{e}.npz")
    (tmp_path / "history.csv").write_text("epoch,loss,grad_norm\n1,0.5,0.0\n2,0.0,1.0\n")
    usage_error(capsys, "monitor", str(tmp_path), "--max-order", "1", "--out", str(tmp_path / "o"),
                "--no-progress", match=r"history .*history.csv' row 2 \(line 3\): the loss must be > 0")
    (tmp_path / "history.csv").write_text("epoch,loss,grad_norm\n1,0.5,0.0\n2,0.4,1.0\n")
    ok(capsys, "monitor", str(tmp_path), "--max-order", "1", "--out", str(tmp_path / "p"), "--no-progress")
