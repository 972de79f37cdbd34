"""The generic training pieces: the epoch loop, the per-epoch record, opening a checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

from bifwatch.training import EpochRecord, open_checkpoint, run_epochs, save_checkpoint


def test_run_epochs_saves_on_its_cadence_and_resumes_where_it_stopped():
    seen, saves = [], []
    run_epochs(seen.append, start=0, epochs=7, save=lambda: saves.append(len(seen)), every=3)
    assert seen == list(range(7)) and saves == [3, 6]  # the caller saves the end itself
    rest = []
    run_epochs(rest.append, start=4, epochs=7)
    assert rest == [4, 5, 6]


def test_run_epochs_saves_before_an_interrupt_leaves():
    saves = []

    def step(e):
        if e == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_epochs(step, start=0, epochs=5, save=lambda: saves.append("saved"), every=10)
    assert saves == ["saved"]


def test_epoch_record_round_trips_through_a_checkpoint(tmp_path):
    record = EpochRecord.new(("loss", "grad_norm"), runs=2, epochs=4)
    for e in range(3):
        record.record(e, loss=[1.0 / (e + 1), 2.0], grad_norm=0.5 * e)
    path = tmp_path / "run.npz"
    save_checkpoint(path, {"run": 1}, record.dump(3))
    again = EpochRecord.new(("loss", "grad_norm"), runs=2, epochs=4)
    again.load(open_checkpoint(path, {"run": 1}, resume=True), 3)
    for name in ("loss", "grad_norm"):
        np.testing.assert_array_equal(again.curves[name], record.curves[name])
    assert np.isnan(again.curves["loss"][:, 3]).all()


def test_epoch_record_takes_exactly_its_curves():
    record = EpochRecord.new(("loss",), runs=1, epochs=2)
    with pytest.raises(ValueError, match=r"exactly the curves \['loss'\]; missing \[\], unknown \['lr'\]"):
        record.record(0, loss=1.0, lr=0.1)
    with pytest.raises(ValueError, match=r"missing \['loss'\]"):
        record.record(0)


def test_open_checkpoint(tmp_path):
    path = tmp_path / "run.npz"
    assert open_checkpoint(path, {"run": 1}, resume=False) is None  # a fresh start
    save_checkpoint(path, {"run": 1}, {"x": np.arange(3)})
    with pytest.raises(FileExistsError, match="exists; pass resume=True"):
        open_checkpoint(path, {"run": 1}, resume=False)
    with pytest.raises(ValueError, match=r"belongs to a different run \(differs in: run\)"):
        open_checkpoint(path, {"run": 2}, resume=True)
    np.testing.assert_array_equal(open_checkpoint(path, {"run": 1}, resume=True)["x"], np.arange(3))
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        open_checkpoint(tmp_path / "missing" / "run.npz", {}, resume=True)
