"""``bifwatch demo``: the README's main job, and the pieces under it (``--init``, SGD, ``run_demo``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_run import ok, usage_error

import bifwatch as bw
from bifwatch.datasets import plrnn_cycle_teacher

pytest.importorskip("torch", reason="the demo trains with PyTorch")

from bifwatch.studies.demo import DemoSettings, perturbed_teacher, run_demo

SMALL = DemoSettings(epochs=12, checkpoint_every=4, max_order=4, steps=100)


def test_the_student_is_the_teacher_moved_in_its_six_parameters():
    teacher, student = plrnn_cycle_teacher(), perturbed_teacher(3, 0.3)
    rng = np.random.default_rng(3)
    moves = 0.3 * rng.standard_normal(6)
    assert np.asarray(student.A) == pytest.approx(np.asarray(teacher.A) + moves[:2])
    assert [student.W[0, 1], student.W[1, 0]] == pytest.approx([teacher.W[0, 1] + moves[2],
                                                               teacher.W[1, 0] + moves[3]])
    assert np.diag(student.W).tolist() == [0.0, 0.0]
    assert np.asarray(student.h) == pytest.approx(np.asarray(teacher.h) + moves[4:])


def test_a_small_demo_writes_its_record_and_report(tmp_path):
    result = run_demo(tmp_path / "d", settings=SMALL)
    assert result.status == "finished" and result.events.exists() and result.report.exists()
    events = json.loads(result.events.read_text())
    assert [c["epoch"] for c in events["checkpoints"]] == [0, 4, 8, 12]
    assert events["settings"]["max_order"] == 4 and len(events["history"]["loss"]) == 12
    first = bw.load_model(tmp_path / "d" / "run" / "checkpoints" / "epoch_000000.npz")
    start = bw.load_model(tmp_path / "d" / "init.npz")
    assert first.parameters().keys() == start.parameters().keys()
    for name, value in start.parameters().items():  # --init: the run starts from the file
        np.testing.assert_array_equal(first.parameters()[name], value)
    with pytest.raises(FileExistsError, match="is not empty"):
        run_demo(tmp_path / "d", settings=SMALL)
    again = run_demo(tmp_path / "d", settings=SMALL, resume=True)  # a finished demo: the same record
    assert again.record.to_dict()["bifurcations"] == result.record.to_dict()["bifurcations"]


def test_train_init_errors_are_one_line(tmp_path, capsys):
    bw.save_model(bw.PLRNN(A=[0.5], W=[[0.0]], h=[0.0]), tmp_path / "one.npz")
    (tmp_path / "junk.npz").write_text("not a model")
    base = ["train", "--system", "plrnn-cycle", "--steps", "200", "--model", "plrnn", "--latent", "2",
            "--epochs", "2", "--no-progress", "--no-monitor"]
    usage_error(capsys, *base, "--init", str(tmp_path / "one.npz"), "--out", str(tmp_path / "a"),
                match=r"--init .*one.npz.*shapes")
    usage_error(capsys, *base, "--init", str(tmp_path / "junk.npz"), "--out", str(tmp_path / "b"),
                match=r"--init .*junk.npz.* not a readable model file")
    usage_error(capsys, *base, "--model", "alrnn", "--init", str(tmp_path / "one.npz"), "--out",
                str(tmp_path / "c"), match=r"holds a plrnn; the run trains a alrnn")


def test_sgd_is_plain_gradient_descent(tmp_path):
    """One SGD step from the teacher moved: the parameters move by exactly -lr * gradient."""
    import torch

    from bifwatch.models.nn import DSRModel
    from bifwatch.training.dsr import TrainSettings, train

    start = perturbed_teacher(0, 0.3)
    bw.save_model(start, tmp_path / "init.npz")
    settings = TrainSettings(system="plrnn-cycle", steps=50, model="plrnn", latent=2,
                             init=str(tmp_path / "init.npz"), optimizer="sgd", lr=(0.01, 0.01), forcing="gtf",
                             alpha=0.1, seq_len=49, batch_size=1, batches_per_epoch=1, regularisation=0.0,
                             epochs=1, checkpoint_every=1)
    train(settings, tmp_path / "run")
    after = bw.load_model(tmp_path / "run" / "checkpoints" / "epoch_000001.npz")
    from bifwatch.datasets import plrnn_cycle
    from bifwatch.training.dsr import unroll

    x = torch.tensor(np.asarray(plrnn_cycle(steps=50).train))[None]
    model = DSRModel.from_analysis(start)
    loss = (unroll(model, x[:, :-1], forcing="gtf", alpha=0.1) - x[:, 1:]).square().mean()
    loss.backward()
    for name, p in zip(("A", "W", "h"), (model.latent.A, model.latent.W, model.latent.h), strict=True):
        expected = (p - 0.01 * p.grad).detach().numpy()
        np.testing.assert_allclose(after.parameters()[name], expected, rtol=1e-12, atol=1e-14)


def test_demo_command_names_what_it_wrote(tmp_path, capsys, monkeypatch):
    import bifwatch.studies.demo as demo

    monkeypatch.setattr(demo, "DEMO", SMALL)
    out = ok(capsys, "demo", "--out", str(tmp_path / "d"), "--no-progress")
    lines = out.splitlines()
    assert lines[0].startswith("demo: a 2-D PLRNN student") and "4 checkpoints of a plrnn" in out
    assert lines[-2] == f"report: {tmp_path / 'd' / 'report.html'}"
    assert lines[-1] == f"events: {tmp_path / 'd' / 'events.json'}"
    usage_error(capsys, "demo", "--out", str(tmp_path / "d"), "--no-progress", match=r"is not empty")


@pytest.mark.slow
def test_the_full_demo(tmp_path, capsys):
    """The README's main job as it runs (about 40 s here): jumps, events and their explanation."""
    out = ok(capsys, "demo", "--out", str(tmp_path / "d"), "--no-progress")
    events = json.loads((tmp_path / "d" / "events.json").read_text())
    assert len(events["checkpoints"]) == 201 and events["bifurcations"]
    assert events["loss_jumps"] and "loss jumps:" in out
    whys = {j["explanation"] for j in events["loss_jumps"]}
    assert whys <= {"bifurcation", "ghost", "unexplained", "divergence"} and "bifurcation" in whys
