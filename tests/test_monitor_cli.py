"""``bifwatch monitor RUN``: events.json, the summary, resuming, and bad input in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_run import ok, run, usage_error

import bifwatch as bw

EPOCHS = (0, 15, 25, 40)


@pytest.fixture
def folder(tmp_path):
    """The border-collision normal form of tests/test_monitor_analysis.py (event at epoch 20), with a
    loss that drops tenfold at epoch 21."""
    root = tmp_path / "ckpts"
    root.mkdir()
    for e in EPOCHS:
        bw.save_model(bw.PLRNN(A=[0.5], W=[[-1.7]], h=[-1 + e / 20]), root / f"step-{e}.npz")
    loss = np.r_[np.full(20, 1.0), np.full(20, 0.1)] * np.exp(0.01 * np.random.default_rng(0).normal(size=40))
    rows = "\n".join(f"{e},{float(v)!r}" for e, v in zip(range(1, 41), loss, strict=True))
    (root / "history.csv").write_text("epoch,loss\n" + rows + "\n")
    return root


def test_events_json_and_the_summary(folder, tmp_path, capsys):
    out = ok(capsys, "monitor", str(folder), "--max-order", "3", "--out", str(tmp_path / "m"),
             "--no-progress")
    assert out.splitlines()[0] == "4 checkpoints of a plrnn, epochs 0..40, orders up to 3"
    assert ("bifurcations: 2 (2 border-collision; 2 change the set of attractors); tracked cycles: 2; "
            "gaps: 0") in out
    assert "loss jumps: 1 (1 bifurcation)" in out
    assert "jump at epoch 21 (drop x10.1): bifurcation (border-collision of order 1 at 20;" in out
    report = json.loads((tmp_path / "m" / "events.json").read_text())
    assert [c["epoch"] for c in report["checkpoints"]] == [0, 15, 25, 40]
    assert report["checkpoints"][0]["path"].endswith("step-0.npz")
    assert [b["epoch"] for b in report["bifurcations"]] == pytest.approx([20, 20], abs=1e-9)
    assert report["loss_jumps"][0]["explanation"] == "bifurcation"
    assert report["settings"]["max_order"] == 3
    assert report["history"]["loss"][20] == pytest.approx(0.1, rel=0.05)
    assert report["history"]["epoch"][0] == 1
    page = (tmp_path / "m" / "report.html").read_text()
    assert "<html" in page and "border collision (BCB)" in page


def test_a_second_run_needs_resume_and_then_gives_the_same(folder, tmp_path, capsys):
    args = ["monitor", str(folder), "--max-order", "2", "--out", str(tmp_path / "m"), "--no-progress"]
    first = ok(capsys, *args)
    usage_error(capsys, *args, match=r"monitor.sqlite' already exists: add --resume")
    assert ok(capsys, *args, "--resume") == first


def test_a_folder_without_models_is_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    usage_error(capsys, "monitor", str(tmp_path / "empty"), "--out", str(tmp_path / "m"),
                match=r"no model files")


def test_workers_and_scheduler_exclude_each_other(folder, tmp_path, capsys):
    usage_error(capsys, "monitor", str(folder), "--out", str(tmp_path / "m"), "--workers", "2",
                "--scheduler", "tcp://127.0.0.1:1", match=r"--workers and --scheduler exclude each other")


def test_a_missing_folder(tmp_path, capsys):
    status, _, err = run(capsys, "monitor", str(tmp_path / "nope"), "--out", str(tmp_path / "m"))
    assert status == 2 and "does not exist" in err


def test_bad_input_leaves_no_empty_out_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    empty = str(tmp_path / "empty")
    usage_error(capsys, "monitor", empty, "--out", str(tmp_path / "o"), match=r"no model files")
    assert not (tmp_path / "o").exists()
    (tmp_path / "kept").mkdir()  # a folder that was there before stays
    usage_error(capsys, "monitor", empty, "--out", str(tmp_path / "kept"), match=r"no model")
    assert (tmp_path / "kept").is_dir()
