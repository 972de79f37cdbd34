"""The Lightning adapter (bifwatch.monitor.lightning) with the real Lightning package, against closed forms.

The run: a LightningModule trains the bias h of the 1-D bifwatch PLRNN z' = a z + w relu(z) + h
(a = 0.5, w = -1.7 frozen; the normal form of tests/test_monitor_analysis.py) on one-step
predictions of a teacher orbit of the same map with h* = 1. The student's prediction error is
h - h* at every state, so the loss is exactly L(h) = (h - 1)^2 and dL/dh = 2 (h - 1): plain
gradient descent with learning rate eta on the full batch gives, with r = 1 - 2 eta and h_0 = -1,

    h after n steps = 1 - 2 r^n,   loss of Lightning epoch e = 4 r^(2e),   |gradient| = 4 r^e.

For h < 0 the map's only cycle is the stable fixed point 2h; at h = 0 it crosses the switching
point (a border collision: it persists, turning unstable) and a stable 2-cycle is born. With
eta = 0.01, h crosses 0 after n = ln 2 / -ln 0.98 = 34.3 steps, i.e. during epoch 34: between the
checkpoints 30 and 40 of ``every=10``. Along the straight path between them (only h changes)
the event is where h is 0: at epoch 30 + 10 h_30 / (h_30 - h_40), h_e = 1 - 2 r^(e + 1).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

L = pytest.importorskip("lightning.pytorch", reason="the Lightning adapter is tested against the real "
                        "package: pip install lightning (it is in the test extra)")
torch = pytest.importorskip("torch")

import bifwatch as bw  # noqa: E402
from bifwatch.models.nn import PLRNN  # noqa: E402
from bifwatch.monitor.lightning import MonitorCallback  # noqa: E402
from bifwatch.training import read_history  # noqa: E402

A, W, H0, H_TEACHER, LR = 0.5, -1.7, -1.0, 1.0, 0.01
R = 1 - 2 * LR
EPOCHS, EVERY = 45, 10

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*does not have many workers:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*LeafSpec"),  # lightning 2.6 on torch 2.13
    pytest.mark.filterwarnings("ignore:.*smaller than the logging interval:UserWarning"),
]


def h_after(e: int) -> float:
    """h at the end of Lightning epoch e (e + 1 gradient steps)."""
    return 1 - 2 * R ** (e + 1)


def make_loader(T: int = 50):
    """One batch of all (x_t, x_t+1) pairs of a teacher orbit from x_0 = -2."""
    x = [-2.0]
    for _ in range(T):
        x.append(A * x[-1] + W * max(x[-1], 0.0) + H_TEACHER)
    x = torch.tensor(x, dtype=torch.float64)[:, None]
    dataset = torch.utils.data.TensorDataset(x[:-1], x[1:])
    return torch.utils.data.DataLoader(dataset, batch_size=T)


def make_module(lightning=L, *, fail_at: int | None = None, with_to_analysis: bool = False):
    """A LightningModule of ``lightning`` (lightning.pytorch or pytorch_lightning) holding the student."""

    class Student(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.student = PLRNN.from_analysis(bw.PLRNN(A=[A], W=[[W]], h=[H0]))
            self.student.A.requires_grad_(False)
            self.student.W.requires_grad_(False)
            self.losses: list[float] = []

        def training_step(self, batch, index):
            if self.current_epoch == fail_at:
                raise FloatingPointError("a failure inside training")
            x, y = batch
            loss = (self.student(x) - y).square().mean()
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            self.losses.append(loss.item())
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD([self.student.h], lr=LR)

    if with_to_analysis:
        return type("Analysable", (Student,), {"to_analysis": lambda self: self.student.to_analysis()})()
    return Student()


def fit(callback, module, *, epochs: int = EPOCHS, lightning=L):
    trainer = lightning.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False,
                                enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                                callbacks=[callback])
    trainer.fit(module, make_loader())
    return module


@pytest.mark.parametrize("how", ["attribute", "function", "to_analysis"])
def test_the_border_collision_is_found_between_the_right_checkpoints(tmp_path, how):
    model = {"attribute": "student", "function": lambda m: m.student, "to_analysis": None}[how]
    callback = MonitorCallback(tmp_path / "run", max_order=3, every=EVERY, model=model, report=False)
    module = fit(callback, make_module(with_to_analysis=how == "to_analysis"))
    record = callback.record
    assert record.epochs == [0, 10, 20, 30, 40, EPOCHS - 1]  # divisible by `every`, and the last
    assert [(t.event.type, t.event.order, t.event.outcome) for t in record.bifurcations] == [
        ("border-collision", 1, "persists"), ("border-collision", 2, "born")]
    h30, h40 = h_after(30), h_after(40)
    for t in record.bifurcations:
        assert t.between == (30.0, 40.0)
        assert t.epoch == pytest.approx(30 + 10 * h30 / (h30 - h40), abs=1e-8)
    assert [c.counts(3) for c in record.checkpoints] == [{1: 1, 2: 0, 3: 0}] * 4 + [{1: 1, 2: 1, 3: 0}] * 2
    assert record.gaps == () and record.jumps == ()  # a geometric decay has no jumps

    events = json.loads((tmp_path / "run" / "events.json").read_text())
    assert [c["epoch"] for c in events["checkpoints"]] == record.epochs
    assert [b["between"] for b in events["bifurcations"]] == [[30.0, 40.0]] * 2
    if how == "attribute":  # the columns: one run is enough
        _check_history(tmp_path / "run", module, events)


def _check_history(run, module, events):
    history = read_history(run / "history.csv")
    e = np.arange(EPOCHS)
    np.testing.assert_array_equal(history["epoch"], e)
    np.testing.assert_array_equal(history["loss"], module.losses)  # the logged loss, as logged
    np.testing.assert_allclose(history["loss"], 4 * R ** (2 * e), rtol=1e-12)
    np.testing.assert_allclose(history["grad_norm"], 4 * R ** e, rtol=1e-12)
    np.testing.assert_array_equal(history["lr"], LR)
    np.testing.assert_array_equal(events["history"]["loss"], module.losses)
    saved = bw.load_model(run / "checkpoints" / "epoch_000030.npz")
    assert float(saved.parameters()["h"][0]) == pytest.approx(h_after(30), abs=1e-14)


def test_a_module_it_cannot_analyse_is_refused_at_the_start_with_the_fix(tmp_path):
    callback = MonitorCallback(tmp_path / "run", report=False)
    with pytest.raises(TypeError, match=r"analyse the LightningModule Student.*model='student' would do"):
        fit(callback, make_module())
    assert callback.monitor is None and not (tmp_path / "run").exists()  # no process, no folder
    with pytest.raises(TypeError, match=r"what `model=` gives \(Linear\).*`analysis=`"):
        fit(MonitorCallback(tmp_path / "run", model=lambda m: torch.nn.Linear(1, 1)), make_module())


def test_bad_arguments_are_refused_when_made(tmp_path):
    with pytest.raises(TypeError, match="`model` must be None, an attribute name"):
        MonitorCallback(tmp_path, model=3)
    with pytest.raises(TypeError, match="`loss_key` must be"):
        MonitorCallback(tmp_path, loss_key=1)
    with pytest.raises(ValueError, match="every"):
        MonitorCallback(tmp_path, every=0)


def test_a_loss_key_that_is_not_logged_is_named_and_the_worker_stopped(tmp_path):
    callback = MonitorCallback(tmp_path / "run", model="student", loss_key="val_loss", report=False)
    with pytest.raises(ValueError, match=r"`loss_key` 'val_loss' .* has \['train_loss'\]"):
        fit(callback, make_module(), epochs=2)
    _assert_stopped(callback)


def test_a_failed_fit_stops_the_analysis_and_keeps_the_checkpoints(tmp_path):
    callback = MonitorCallback(tmp_path / "run", model="student", every=5, report=False)
    with pytest.raises(FloatingPointError, match="a failure inside training"):
        fit(callback, make_module(fail_at=12))
    _assert_stopped(callback)
    assert callback.record is None and not (tmp_path / "run" / "events.json").exists()
    saved = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert saved == ["epoch_000000.npz", "epoch_000005.npz", "epoch_000010.npz"]  # for `bifwatch monitor`
    np.testing.assert_array_equal(read_history(tmp_path / "run" / "history.csv")["epoch"], np.arange(12))


def _assert_stopped(callback):
    with pytest.raises(RuntimeError, match="has finished"):
        callback.monitor.update(1000, callback_model())
    worker = callback.monitor._worker._proc  # the analysis process itself: it must be gone
    assert worker.poll() is not None


def callback_model():
    return bw.PLRNN(A=[A], W=[[W]], h=[H0])


def test_the_same_callback_is_not_reused_for_a_second_fit(tmp_path):
    callback = MonitorCallback(tmp_path / "run", model="student", every=1, max_order=1, report=False)
    fit(callback, make_module(), epochs=2)
    assert callback.record.epochs == [0, 1]
    with pytest.raises(RuntimeError, match="watched a run already"):
        fit(callback, make_module(), epochs=2)


def test_the_pytorch_lightning_package_takes_the_same_callback(tmp_path):
    pl = pytest.importorskip("pytorch_lightning", reason="pytorch_lightning is not installed")
    callback = MonitorCallback(tmp_path / "run", model="student", every=2, max_order=1, report=False)
    fit(callback, make_module(pl), epochs=3, lightning=pl)
    assert callback.record.epochs == [0, 2]
    assert isinstance(callback, pl.Callback) and isinstance(callback, L.Callback)
    assert math.isclose(callback.record.history["loss"][2], 4 * R ** 4, rel_tol=1e-12)
