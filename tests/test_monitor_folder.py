"""The monitor's checkpoint-folder reader: a real ``bifwatch train`` run, hand-made folders of
``save_model`` and PyTorch files, the history, and every error path."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bifwatch import ALRNN, PLRNN, ShPLRNN, load_model, save_model
from bifwatch.monitor import CheckpointFolder, read_checkpoint_folder


def _plrnn(M=2, scale=0.0):
    return PLRNN(A=np.full(M, 0.5), W=np.full((M, M), scale), h=np.ones(M))


def _folder(tmp_path, names):
    """``save_model`` files of PLRNNs with W = i / 10, i the position in ``names``."""
    for i, name in enumerate(names):
        save_model(_plrnn(scale=i / 10), tmp_path / name)
    return tmp_path


def _write(path, text):
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------------------------
# a run of bifwatch train


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    pytest.importorskip("torch")
    from bifwatch.training.dsr import TrainSettings, train

    folder = tmp_path_factory.mktemp("train")
    t = np.arange(300) * 0.1
    y = np.stack([np.sin(t), np.cos(t)], axis=1) + 0.01 * np.random.default_rng(0).standard_normal((300, 2))
    np.save(folder / "y.npy", y)
    settings = TrainSettings(system=None, data=str(folder / "y.npy"), model="clipped-shplrnn", hidden=8,
                             epochs=4, batches_per_epoch=2, batch_size=4, seq_len=20, checkpoint_every=2)
    assert train(settings, folder / "run").status == "finished"
    return folder / "run"


def test_train_run(run):
    folder = read_checkpoint_folder(run)
    assert folder.root == run
    assert folder.epochs == (0, 2, 4)
    assert folder.paths == tuple(run / "checkpoints" / f"epoch_{e:06d}.npz" for e in (0, 2, 4))
    assert folder.kind == "clipped-shplrnn"
    assert {"epoch", "loss", "grad_norm", "lr", "alpha"} <= set(folder.history)
    np.testing.assert_array_equal(folder.history["epoch"], [1, 2, 3, 4])
    loaded = list(folder.models())
    assert len(loaded) == 3 and all(m.kind == "clipped-shplrnn" for m in loaded)
    np.testing.assert_array_equal(folder.model(2).W1, load_model(run / "checkpoints/epoch_000004.npz").W1)
    loss = folder.loss_at(folder.epochs)
    assert np.isnan(loss[0])  # the initialisation has no row
    np.testing.assert_array_equal(loss[1:], folder.history["loss"][[1, 3]])


def test_train_run_state_folder_and_other_files_are_ignored(run):
    assert (run / "state" / "resume.pt").is_file()  # a .pt with no integer, in a folder not read
    assert read_checkpoint_folder(run).epochs == (0, 2, 4)


# ----------------------------------------------------------------------------------------------
# a hand-made folder


def test_uneven_epochs_and_odd_names(tmp_path):
    names = ["model12.npz", "ckpt-3-step-250.npz", "epoch_000100.npz", "run7_e0.npz", "a1b2c3.npz"]
    _folder(tmp_path, names)
    for ignored in ("notes.txt", "final.npz", "model99.npy", "epoch_5.npz.tmp", ".epoch_9.npz"):
        _write(tmp_path / ignored, "not a model")
    (tmp_path / "sub42").mkdir()
    folder = read_checkpoint_folder(tmp_path)
    assert folder.epochs == (0, 3, 12, 100, 250)
    assert [p.name for p in folder.paths] == ["run7_e0.npz", "a1b2c3.npz", "model12.npz",
                                              "epoch_000100.npz", "ckpt-3-step-250.npz"]
    assert folder.kind == "plrnn" and folder.history is None
    assert folder.model(4).W[0, 0] == pytest.approx(0.1)  # ckpt-3-step-250 was written second
    assert np.isnan(folder.loss_at([0, 3])).all() and folder.loss_at(12).shape == ()


def test_history_beside_the_models(tmp_path):
    _folder(tmp_path, ["e1.npz", "e5.npz", "e20.npz"])
    _write(tmp_path / "history.csv", "epoch,loss,grad_norm\n1,0.5,2.0\n2,0.4,\n5,nan,1.0\n20,0.1,0.5\n")
    folder = read_checkpoint_folder(tmp_path)
    assert set(folder.history) == {"epoch", "loss", "grad_norm"}
    np.testing.assert_array_equal(folder.history["grad_norm"], [2.0, np.nan, 1.0, 0.5])
    np.testing.assert_array_equal(folder.loss_at([20, 1, 2, 3, 5]), [0.1, 0.5, 0.4, np.nan, np.nan])
    np.testing.assert_array_equal(folder.loss_at(np.array([[1], [20]])), [[0.5], [0.1]])
    with pytest.raises(ValueError, match=r"`epochs` must be whole numbers; got 1.5"):
        folder.loss_at(1.5)


def test_history_argument_overrides(tmp_path):
    _folder(tmp_path, ["e1.npz", "e2.npz"])
    _write(tmp_path / "history.csv", "epoch,loss\n1,9.0\n2,9.0\n")
    other = _write(tmp_path / "other.csv", "loss,epoch\n0.25,2\n")
    np.testing.assert_array_equal(read_checkpoint_folder(tmp_path, history=other).loss_at([1, 2]),
                                  [np.nan, 0.25])
    with pytest.raises(FileNotFoundError, match=r"history file '.*missing.csv' does not exist"):
        read_checkpoint_folder(tmp_path, history=tmp_path / "missing.csv")


def test_alrnn_and_shplrnn_folders(tmp_path):
    def alrnn(P):
        return ALRNN(A=[0.5, 0.5, 0.5], W=np.zeros((3, 3)), h=[1.0, 1.0, 1.0], P=P)

    a = tmp_path / "a"
    a.mkdir()
    save_model(alrnn(1), a / "e0.npz")
    save_model(alrnn(1), a / "e3.npz")
    assert read_checkpoint_folder(a).kind == "alrnn"
    save_model(alrnn(2), a / "e7.npz")
    with pytest.raises(ValueError, match=r"different shapes: '.*e7.npz' has P = 2, but '.*e0.npz' has P = 1"):
        read_checkpoint_folder(a)
    s = tmp_path / "s"
    s.mkdir()
    for epoch, L in ((0, 4), (1, 6)):
        save_model(ShPLRNN(A=[0.5, 0.5], W1=np.zeros((2, L)), W2=np.zeros((L, 2)), h1=[0.0, 0.0],
                           h2=np.zeros(L)), s / f"e{epoch}.npz")
    with pytest.raises(ValueError, match=re.escape("has W1 (2, 6), W2 (6, 2), h2 (6,), but")):
        read_checkpoint_folder(s)


# ----------------------------------------------------------------------------------------------
# PyTorch files


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_torch_rnn_files(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for epoch in (0, 10, 35):
        rnn = torch.nn.RNN(input_size=1, hidden_size=3, nonlinearity="relu")
        torch.save({"state_dict": rnn.state_dict(), "input": torch.ones(1), "nonlinearity": "relu"},
                   tmp_path / f"rnn_{epoch}.pt")
    folder = read_checkpoint_folder(tmp_path)
    assert folder.epochs == (0, 10, 35) and folder.kind == "relu-rnn"
    assert [m.M for m in folder.models()] == [3, 3, 3]
    bigger = torch.nn.RNN(input_size=1, hidden_size=4, nonlinearity="relu")
    torch.save({"state_dict": bigger.state_dict(), "input": torch.ones(1), "nonlinearity": "relu"},
               tmp_path / "rnn_40.pth")
    with pytest.raises(ValueError, match=r"different shapes: '.*rnn_40.pth' has W \(4, 4\), b \(4,\), "
                                         r"but '.*rnn_0.pt' has W \(3, 3\), b \(3,\)"):
        read_checkpoint_folder(tmp_path)


# ----------------------------------------------------------------------------------------------
# errors


def test_missing_path_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"checkpoint folder '.*nowhere' does not exist"):
        read_checkpoint_folder(tmp_path / "nowhere")
    file = _write(tmp_path / "e1.npz", "x")
    with pytest.raises(NotADirectoryError, match=r"'.*e1.npz' is a file; give the folder"):
        read_checkpoint_folder(file)


def test_no_model_files(tmp_path):
    _write(tmp_path / "history.csv", "epoch,loss\n1,0.5\n")
    _write(tmp_path / "final.npz", "no integer")
    with pytest.raises(ValueError, match=r"no model files in '.*': looked for .npz, .pt, .pth files"):
        read_checkpoint_folder(tmp_path)
    (tmp_path / "checkpoints").mkdir()  # a run's empty checkpoints/: that folder is named
    with pytest.raises(ValueError, match=r"no model files in '.*checkpoints'"):
        read_checkpoint_folder(tmp_path)


def test_two_files_of_one_epoch(tmp_path):
    _folder(tmp_path, ["a_3.npz", "b3.npz"])
    with pytest.raises(ValueError, match=r"two model files for epoch 3: '.*a_3.npz' and '.*b3.npz'"):
        read_checkpoint_folder(tmp_path)


def test_different_kinds(tmp_path):
    save_model(_plrnn(), tmp_path / "e0.npz")
    save_model(ALRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[1.0, 1.0], P=1), tmp_path / "e1.npz")
    with pytest.raises(ValueError,
                       match=r"different kinds: '.*e1.npz' holds a 'alrnn', but '.*e0.npz' a 'plrnn'"):
        read_checkpoint_folder(tmp_path)


def test_different_shapes(tmp_path):
    save_model(_plrnn(2), tmp_path / "e0.npz")
    save_model(_plrnn(3), tmp_path / "e1.npz")
    with pytest.raises(ValueError, match=re.escape("has A (3,), W (3, 3), h (3,), but")):
        read_checkpoint_folder(tmp_path)


@pytest.mark.parametrize("content", [b"", b"garbage bytes", b"PK\x03\x04broken zip"],
                         ids=["empty", "text", "zip"])
def test_unreadable_model_file(tmp_path, content):
    save_model(_plrnn(), tmp_path / "e0.npz")
    (tmp_path / "e1.npz").write_bytes(content)
    with pytest.raises(ValueError, match=r"^cannot read model file '.*e1.npz': .+"):
        read_checkpoint_folder(tmp_path)


def test_unreadable_torch_file(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "e1.pt").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"cannot read model file '.*e1.pt': could not read"):
        read_checkpoint_folder(tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ("epoch,grad_norm\n1,0.5\n", r"has no 'loss' column; its columns are \['epoch', 'grad_norm'\]"),
    ("step,value\n1,0.5\n", r"has no 'epoch' or 'loss' column; its columns are \['step', 'value'\]"),
    ("1,0.5\n2,0.4\n", r"is not a CSV file with a header line .*its first line is '1,0.5'"),
    ("", r"is not a CSV file with a header line"),
    ("epoch,loss\n1,0.5\n2,abc\n", r"row 2 \(line 3\) column 'loss': 'abc' is not a number"),
    ("epoch,loss\n1,0.5\n2\n", r"row 2 \(line 3\) has 1 cells; the header has 2"),
    ("epoch,loss\n1,0.5\n1.5,0.4\n", r"row 2 \(line 3\): the epoch must be an integer; got 1.5"),
    ("epoch,loss\n1,0.5\n2,0.4\n1,0.3\n", r"has epoch 1 twice \(rows 1 and 3\)"),
    ("epoch,loss,loss\n1,0.5,0.5\n", r"names a column twice"),
], ids=["no-loss", "no-epoch", "no-header", "empty", "text-cell", "short-row", "fraction", "repeat", "dup"])
def test_bad_history(tmp_path, text, message):
    _folder(tmp_path, ["e1.npz"])
    _write(tmp_path / "history.csv", text)
    with pytest.raises(ValueError, match=r"^history '.*history.csv' " + message):
        read_checkpoint_folder(tmp_path)


def test_binary_history(tmp_path):
    _folder(tmp_path, ["e1.npz"])
    (tmp_path / "history.csv").write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(ValueError, match=r"history '.*history.csv' is not a CSV file with a header line"):
        read_checkpoint_folder(tmp_path)


def test_the_record_checks_itself(tmp_path):
    path = tmp_path / "e.npz"
    with pytest.raises(ValueError, match=r"`epochs` must be ascending and unique; got \(2, 1\)"):
        CheckpointFolder(root=tmp_path, epochs=(2, 1), paths=(path, path), kind="plrnn", history=None)
    with pytest.raises(ValueError, match=r"`epochs` and `paths` must have one length; got 1 and 2"):
        CheckpointFolder(root=tmp_path, epochs=(1,), paths=(path, path), kind="plrnn", history=None)
    with pytest.raises(ValueError, match=r"`history` must have the columns 'epoch' and 'loss'; got \['x'\]"):
        CheckpointFolder(root=tmp_path, epochs=(1,), paths=(path,), kind="plrnn", history={"x": np.ones(1)})
