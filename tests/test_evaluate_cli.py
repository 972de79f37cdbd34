"""``bifwatch evaluate RUN``: the table, the JSON contract, the figure, and every refusal.

The numbers are checked against :func:`bifwatch.metrics.evaluate_reconstruction` called on the
same checkpoint files (an independent route through the Python API), and against closed forms: a
model that *is* the data's generator gives D_stsp = D_H = PE = 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_run import ok, usage_error

pytest.importorskip("torch")

from bifwatch.metrics import evaluate_reconstruction
from bifwatch.models import load_model, load_observation
from bifwatch.training.dsr import RunFolder, TrainSettings, train

TINY = dict(model="clipped-shplrnn", hidden=8, epochs=4, batches_per_epoch=3, batch_size=4, seq_len=20,
            checkpoint_every=2, forcing="gtf", alpha=0.2, lr=(1e-2, 1e-3))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A tiny run on a noisy oscillation: checkpoints 0, 2, 4."""
    root = tmp_path_factory.mktemp("evaluate")
    t = np.arange(400)[:, None]
    x = np.sin(0.3 * t + np.arange(2)) + 0.05 * np.random.default_rng(0).normal(size=(400, 2))
    np.save(root / "x.npy", x)
    train(TrainSettings(system=None, data=str(root / "x.npy"), **TINY), root / "run")
    return root / "run"


def test_json_has_one_entry_per_checkpoint_equal_to_the_python_api(run, capsys, tmp_path):
    out = ok(capsys, "evaluate", str(run), "--json", str(tmp_path / "m.json"))
    lines = out.splitlines()
    assert lines[0].split() == ["epoch", "D_stsp", "D_H", "PE(20)"]
    assert [int(line.split()[0]) for line in lines[1:4]] == [0, 2, 4]
    report = json.loads((tmp_path / "m.json").read_text())
    assert [c["epoch"] for c in report["checkpoints"]] == [0, 2, 4]
    test = np.load(run.parent / "x.npy")
    test = (test - test.mean(0)) / test.std(0)  # the run z-scores its data; evaluation uses the same
    for entry in report["checkpoints"]:
        assert {"epoch", "D_stsp", "D_H", "PE", "path"} <= entry.keys()
        path = RunFolder(run).checkpoint(entry["epoch"])
        expected = evaluate_reconstruction(load_model(path), test, observation=load_observation(path))
        assert entry["D_H"] == pytest.approx(expected.D_H, rel=1e-12)
        assert entry["PE"] == pytest.approx(expected.PE, rel=1e-12)
        assert entry["D_stsp"] == pytest.approx(expected.D_stsp, rel=1e-12)
        assert 0 <= entry["D_H"] <= 1 and entry["D_stsp"] >= 0 and entry["PE"] >= 0


def test_checkpoint_picks_epochs_and_steps_shortens_the_test(run, capsys, tmp_path):
    ok(capsys, "evaluate", str(run), "--checkpoint", "4", "--steps", "100", "--json",
       str(tmp_path / "m.json"))
    report = json.loads((tmp_path / "m.json").read_text())
    assert [c["epoch"] for c in report["checkpoints"]] == [4]
    assert report["test_steps"] == 100 and report["checkpoints"][0]["T"] == 100


def test_the_figure_is_drawn(run, capsys, tmp_path):
    figure = tmp_path / "r.png"
    out = ok(capsys, "evaluate", str(run), "--checkpoint", "4", "--plot", str(figure))
    assert f"wrote {figure}" in out
    import matplotlib.image

    image = matplotlib.image.imread(figure)
    assert image.shape[0] > 200 and image.shape[1] > 200
    assert image[..., :3].std() > 0.05  # something is drawn, not a blank canvas


def test_a_perfect_model_scores_zero(tmp_path, capsys, monkeypatch):
    """A run whose checkpoint is replaced by the data's own generator: every distance is 0."""
    monkeypatch.setenv("BIFWATCH_CACHE", str(tmp_path / "cache"))
    from bifwatch.datasets import plrnn_cycle_teacher

    settings = TrainSettings(system="plrnn-cycle", model="plrnn", steps=400, **{
        k: v for k, v in TINY.items() if k not in ("model", "hidden")})
    train(settings, tmp_path / "run")
    from bifwatch.models import IdentityObservation, save_model

    teacher = plrnn_cycle_teacher()
    save_model(teacher, RunFolder(tmp_path / "run").checkpoint(4),
               observation=IdentityObservation.zeros(2, 2))
    ok(capsys, "evaluate", str(tmp_path / "run"), "--checkpoint", "4", "--json", str(tmp_path / "m.json"))
    entry = json.loads((tmp_path / "m.json").read_text())["checkpoints"][0]
    assert entry["PE"] == pytest.approx(0, abs=1e-20)
    assert entry["D_H"] == pytest.approx(0, abs=1e-6)
    assert entry["D_stsp"] == pytest.approx(0, abs=1e-2)  # the same 16-cycle, sampled at other phases


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--checkpoint", "3"], r"no checkpoint of epoch\(s\) \[3\] in .*; it has 0, 2, 4"),
        (["--steps", "10"], r"the test series has 10 steps; it needs more than --n 20"),
        (["--n", "0"], r"--n: .*expected an integer >= 1; got 0"),
    ],
    ids=["missing-epoch", "short-test", "zero-horizon"],
)
def test_bad_input_is_one_line(run, capsys, args, match):
    usage_error(capsys, "evaluate", str(run), *args, match=match)


def test_a_folder_that_is_not_a_run(tmp_path, capsys):
    usage_error(capsys, "evaluate", str(tmp_path),
                match=r"is not a run folder of `bifwatch train` \(it has no config.toml\)")


def test_changed_data_are_said_in_one_warning_line(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.sin(0.3 * np.arange(400)[:, None] + np.arange(2)))
    train(TrainSettings(system=None, data=str(tmp_path / "x.npy"), **TINY), tmp_path / "run")
    np.save(tmp_path / "x.npy", np.cos(0.3 * np.arange(400)[:, None] + np.arange(2)))
    from cli_run import run as cli

    status, _, err = cli(capsys, "evaluate", str(tmp_path / "run"), "--checkpoint", "4")
    assert status == 0
    assert err.splitlines() == [f"bifwatch: warning: the data file(s) of '{tmp_path / 'run'}' changed since "
                                "it was trained; evaluating on what they hold now"]
