"""``torch.nn.RNN(nonlinearity="relu")`` as an exact piecewise-linear map.

Truth: the module itself. Its hidden states h_{t+1} = relu(W_hh h_t + W_ih x + b_ih + b_hh) under
a constant input x are compared with the trajectories of the converted ``ReLURNN`` (to 1e-10 in
float64), and every cycle ``find_cycles`` reports on the converted model is replayed through the
module. Plus: the file formats of ``load_torch_rnn`` / ``load_model``, every error path, and a
check that the ``.npz`` path (library and CLI) never imports torch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import bifwatch as bw
import bifwatch.cli

torch = pytest.importorskip("torch")

#: (input_size, hidden) of the modules compared with their converted maps.
SIZES = [(1, 1), (2, 3), (3, 8), (5, 16)]


def _rnn(input_size, hidden, *, bias=True, batch_first=False, seed=0, gain=1.0):
    """A float64 ReLU nn.RNN with weights drawn from numpy (independent of torch's init) and an input."""
    rng = np.random.default_rng(seed)
    rnn = torch.nn.RNN(
        input_size, hidden, nonlinearity="relu", bias=bias, batch_first=batch_first, dtype=torch.float64
    )
    with torch.no_grad():
        for name, param in rnn.named_parameters():
            scale = gain / np.sqrt(hidden) if name.startswith("weight_hh") else 1.0
            param.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(param.shape))))
    return rnn, rng.standard_normal(input_size)


def _module_states(rnn, x, h0, steps):
    """Hidden states h_1..h_steps of ``rnn`` from h0 (B, H) under the constant input x: (B, steps, H)."""
    B, H = h0.shape
    seq = torch.from_numpy(np.broadcast_to(x, (steps, B, x.shape[0])).copy())
    if rnn.batch_first:
        seq = seq.transpose(0, 1)
    with torch.no_grad():
        out, h_last = rnn(seq, torch.from_numpy(h0).reshape(1, B, H))
    out = out.numpy() if rnn.batch_first else out.transpose(0, 1).numpy()
    np.testing.assert_array_equal(out[:, -1], h_last[0].numpy())
    return out


# ----------------------------------------------------------------------------------------------
# trajectories


@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("sizes", SIZES, ids=[f"in{i}-hid{h}" for i, h in SIZES])
def test_trajectories_match_the_module(sizes, bias, batch_first, rng):
    input_size, hidden = sizes
    rnn, x = _rnn(input_size, hidden, bias=bias, batch_first=batch_first, seed=hidden)
    model = bw.from_torch_rnn(rnn, input=x)
    assert isinstance(model, bw.ReLURNN)
    assert model.M == hidden and model.kind == "relu-rnn"
    bw.check_model(model)
    h0 = np.abs(rng.normal(size=(4, hidden)))  # 4 initial states at once, batched in both
    steps = 40
    expected = _module_states(rnn, x, h0, steps)
    got = model.trajectory(h0, steps)
    np.testing.assert_array_equal(got[:, 0], h0)
    np.testing.assert_allclose(got[:, 1:], expected, rtol=1e-10, atol=1e-10)


def test_drive_is_the_sum_of_input_and_both_biases():
    rnn, x = _rnn(3, 4, seed=1)
    model = bw.from_torch_rnn(rnn, input=x)
    p = {k: v.detach().numpy() for k, v in rnn.state_dict().items()}
    np.testing.assert_array_equal(model.W, p["weight_hh_l0"])
    np.testing.assert_allclose(model.b, p["weight_ih_l0"] @ x + p["bias_ih_l0"] + p["bias_hh_l0"], rtol=1e-15)


@pytest.mark.parametrize(
    "as_input",
    [np.asarray, list, torch.from_numpy, lambda x: torch.from_numpy(x).reshape(1, -1)],
    ids=["numpy", "list", "tensor", "tensor-1xI"],
)
def test_input_types_give_the_same_map(as_input):
    rnn, x = _rnn(3, 4, seed=2)
    reference = bw.from_torch_rnn(rnn, input=x)
    model = bw.from_torch_rnn(rnn, input=as_input(x))
    np.testing.assert_array_equal(model.b, reference.b)


def test_default_input_is_zero():
    rnn, _ = _rnn(3, 4, seed=3)
    np.testing.assert_array_equal(bw.from_torch_rnn(rnn).b, bw.from_torch_rnn(rnn, input=np.zeros(3)).b)


def test_float32_module_is_converted_to_float64():
    rnn = torch.nn.RNN(2, 3, nonlinearity="relu", dtype=torch.float32)
    model = bw.from_torch_rnn(rnn, input=[1.0, -1.0])
    assert model.W.dtype == np.float64 and model.b.dtype == np.float64
    np.testing.assert_array_equal(model.W, rnn.weight_hh_l0.detach().double().numpy())


# ----------------------------------------------------------------------------------------------
# cycles of the converted model are cycles of the module

#: (hidden, seed, max_order, the orders known to occur): numpy-drawn weights with gain 3.
CYCLE_CASES = [(3, 3, 4, {1, 2, 3, 4}), (3, 12, 2, {1, 2}), (4, 0, 2, {1, 2}), (4, 36, 4, {1, 4})]


@pytest.mark.parametrize(
    "case", CYCLE_CASES, ids=[f"hid{h}-seed{s}-orders{sorted(o)}" for h, s, _, o in CYCLE_CASES]
)
def test_cycles_are_cycles_of_the_module(case):
    hidden, seed, max_order, orders = case
    rnn, x = _rnn(2, hidden, seed=seed, gain=3.0)
    result = bw.find_cycles(bw.from_torch_rnn(rnn, input=x), max_order)
    assert {c.order for c in result.cycles} >= orders
    for cycle in result.cycles:
        k, points = cycle.order, cycle.points
        states = _module_states(rnn, x, points[:1], k)[0]  # h_1..h_k from h_0 = z_1
        np.testing.assert_allclose(states, np.roll(points, -1, axis=0), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "case", CYCLE_CASES, ids=[f"hid{h}-seed{s}" for h, s, _, _ in CYCLE_CASES]
)
def test_stable_cycles_attract_the_module(case):
    hidden, seed, max_order, _ = case
    rnn, x = _rnn(2, hidden, seed=seed, gain=3.0)
    stable = bw.find_cycles(bw.from_torch_rnn(rnn, input=x), max_order).stable_cycles
    assert stable, "every case has an attracting cycle"
    for cycle in stable:
        start = cycle.points[:1] + 1e-7
        states = _module_states(rnn, x, start, 300 * cycle.order)[0]
        end = states[-cycle.order :]  # the last k states, one per phase of the orbit
        distance = min(np.abs(end - np.roll(cycle.points, -r, axis=0)).max() for r in range(cycle.order))
        assert distance < 1e-9


# ----------------------------------------------------------------------------------------------
# files


def _save(path, blob):
    torch.save(blob, path)
    return path


# a file without "nonlinearity" is loaded with a warning (checked in test_cli_trips.py)
@pytest.mark.filterwarnings("ignore:.*assumed .*nonlinearity 'relu':UserWarning")
@pytest.mark.parametrize(
    "layout",
    ["nested", "flat", "nested-with-nonlinearity", "flat-list-input"],
)
@pytest.mark.parametrize("suffix", [".pt", ".pth"])
def test_load_torch_files(tmp_path, layout, suffix):
    rnn, x = _rnn(3, 5, seed=4)
    state, tensor = rnn.state_dict(), torch.from_numpy(x)
    blob = {
        "nested": {"state_dict": state, "input": tensor},
        "flat": {**state, "input": tensor},
        "nested-with-nonlinearity": {"state_dict": state, "input": tensor, "nonlinearity": "relu"},
        "flat-list-input": {**state, "input": x.tolist()},
    }[layout]
    path = _save(tmp_path / f"rnn{suffix}", blob)
    reference = bw.from_torch_rnn(rnn, input=x)
    for model in (bw.load_torch_rnn(path), bw.load_model(path), bw.load_model(str(path), kind="relu-rnn")):
        assert isinstance(model, bw.ReLURNN)
        np.testing.assert_array_equal(model.W, reference.W)
        np.testing.assert_array_equal(model.b, reference.b)


@pytest.mark.filterwarnings("ignore:.*assumed the constant input:UserWarning")  # said: test_cli_trips
def test_load_without_input_drives_with_zero(tmp_path):
    rnn, _ = _rnn(3, 5, seed=5)
    path = _save(tmp_path / "rnn.pt", {"state_dict": rnn.state_dict()})
    np.testing.assert_array_equal(bw.load_model(path).b, bw.from_torch_rnn(rnn).b)


@pytest.mark.parametrize("load", ["load_model", "load_torch_rnn", "load_model-str-kind"])
def test_the_assumed_input_warning_points_at_the_callers_line(tmp_path, load):
    """Truth: ``warnings`` files a warning under the frame ``stacklevel`` names; that frame must
    be this test's line, not bifwatch's own (``_io.load_model`` called ``load_torch_rnn``)."""
    rnn, _ = _rnn(3, 5, seed=5)
    path = _save(tmp_path / "rnn.pt", {"state_dict": rnn.state_dict()})
    call = {
        "load_model": lambda: bw.load_model(path),
        "load_torch_rnn": lambda: bw.load_torch_rnn(path),
        "load_model-str-kind": lambda: bw.load_model(str(path), kind="relu-rnn"),
    }[load]
    with pytest.warns(UserWarning, match="assumed the constant input x = 0") as record:
        call()
    assert len(record) == 1
    assert record[0].filename == __file__


# a file without "nonlinearity" is loaded with a warning (checked in test_cli_trips.py)
@pytest.mark.filterwarnings("ignore:.*assumed .*nonlinearity 'relu':UserWarning")
def test_loaded_file_runs_through_find_cycles_and_the_cli(tmp_path, capsys):
    hidden, seed, max_order, orders = CYCLE_CASES[-1]
    rnn, x = _rnn(2, hidden, seed=seed, gain=3.0)
    path = _save(tmp_path / "rnn.pt", {"state_dict": rnn.state_dict(), "input": torch.from_numpy(x)})
    result = bw.find_cycles(bw.load_model(path), max_order)
    assert {c.order for c in result.cycles} >= orders
    assert bifwatch.cli.main(["cycles", str(path), "--max-order", str(max_order), "--no-progress"]) == 0
    assert "relu-rnn, M = 4" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: torch.nn.RNN(2, 3), ValueError, "nonlinearity='relu'; got 'tanh'"),
        (lambda: torch.nn.RNN(2, 3, nonlinearity="relu", num_layers=2), ValueError, "num_layers=2"),
        (
            lambda: torch.nn.RNN(2, 3, nonlinearity="relu", bidirectional=True),
            ValueError,
            "bidirectional=True",
        ),
        (lambda: torch.nn.GRU(2, 3), TypeError, "must be a torch.nn.RNN; got GRU"),
        (lambda: torch.nn.LSTM(2, 3), TypeError, "must be a torch.nn.RNN; got LSTM"),
        (lambda: torch.nn.Linear(2, 3), TypeError, "must be a torch.nn.RNN; got Linear"),
    ],
    ids=["tanh", "two-layers", "bidirectional", "gru", "lstm", "linear"],
)
def test_from_torch_rnn_rejects_other_modules(make, error, match):
    with pytest.raises(error, match=match):
        bw.from_torch_rnn(make(), input=[0.0, 0.0])


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ([1.0, 2.0, 3.0], ValueError, r"`input` must have shape \(input_size,\) = \(2,\); got \(3,\)"),
        (np.ones((3, 2)), ValueError, r"= \(2,\); got \(3, 2\)"),
        (1.0, ValueError, r"= \(2,\); got \(\)"),
        (["a", "b"], TypeError, "`input` must be a numeric array"),
        (np.array([1j, 0]), TypeError, "`input` must be real"),
        ([np.nan, 0.0], ValueError, "`b` must be finite"),
    ],
    ids=["too-long", "a-sequence", "scalar", "strings", "complex", "nan"],
)
def test_from_torch_rnn_rejects_bad_input(value, error, match):
    rnn = torch.nn.RNN(2, 3, nonlinearity="relu")
    with pytest.raises(error, match=match):
        bw.from_torch_rnn(rnn, input=value)


@pytest.mark.parametrize(
    ("state", "error", "match"),
    [
        ("weights", TypeError, "must be a state dict .*got str"),
        ({"weight": torch.ones(3, 2)}, ValueError, "must hold 'weight_ih_l0' and 'weight_hh_l0'"),
        (torch.nn.GRU(2, 3).state_dict(), ValueError, r"got \(9, 3\) \(3 stacked gates: a GRU\?\)"),
        (torch.nn.LSTM(2, 3).state_dict(), ValueError, r"got \(12, 3\) \(4 stacked gates: an LSTM\?\)"),
        (torch.nn.RNN(2, 3, num_layers=2).state_dict(), ValueError, "one-layer unidirectional.*weight_ih_l1"),
        (
            {"weight_ih_l0": torch.ones(3, 2), "weight_hh_l0": torch.ones(2, 2)},
            ValueError,
            r"'weight_ih_l0' must have shape \(hidden, input_size\).*got \(3, 2\) and \(2, 2\)",
        ),
    ],
    ids=["not-a-dict", "no-rnn-keys", "gru", "lstm", "two-layers", "hidden-mismatch"],
)
def test_from_rnn_state_dict_rejects_other_state_dicts(state, error, match):
    with pytest.raises(error, match=match):
        bw.from_rnn_state_dict(state, input=[0.0, 0.0])


def _write_bytes(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("write", "match"),
    [
        (lambda p: _save(p, [1, 2]), "must hold a dict .*got list"),
        (lambda p: _save(p, torch.ones(3)), "must hold a dict .*got Tensor"),
        (
            lambda p: _save(p, {"state_dict": torch.nn.RNN(2, 3).state_dict(), "nonlinearity": "tanh"}),
            "only ReLU RNNs are piecewise linear; got 'tanh'",
        ),
        (lambda p: _save(p, {"state_dict": 3}), "'state_dict' must be a dict; got int"),
        (lambda p: _save(p, {"state_dict": torch.nn.GRU(2, 3).state_dict()}), "a GRU"),
        (
            lambda p: _save(p, {"state_dict": torch.nn.RNN(2, 3, bidirectional=True).state_dict()}),
            "one-layer unidirectional .*_reverse",
        ),
        (lambda p: _write_bytes(p, b"not a torch file"), "could not read .* as a PyTorch file"),
        (lambda p: _write_bytes(p, b""), "could not read .* as a PyTorch file: EOFError"),
        (
            lambda p: _save(p, {"state_dict": torch.nn.RNN(2, 3, nonlinearity="relu")}),
            r"could not read .*save rnn\.state_dict\(\), not the module",
        ),
    ],
    ids=[
        "list", "tensor", "tanh", "state-dict-not-dict", "gru", "bidirectional", "garbage", "empty", "module",
    ],
)
def test_load_torch_rnn_rejects_bad_files(tmp_path, write, match):
    path = write(tmp_path / "rnn.pt")
    for load in (bw.load_torch_rnn, bw.load_model):
        with pytest.raises(ValueError, match=match) as info:
            load(path)
        assert "\n" not in str(info.value)  # the CLI reports it as one line


def test_load_model_rejects_a_non_relu_kind_for_torch_files(tmp_path):
    path = _save(tmp_path / "rnn.pt", torch.nn.RNN(2, 3, nonlinearity="relu").state_dict())
    with pytest.raises(ValueError, match="a PyTorch file holds a 'relu-rnn'; got --kind 'plrnn'"):
        bw.load_model(path, kind="plrnn")


# ----------------------------------------------------------------------------------------------
# the .npz path never imports torch


def _run(args, tmp_path, env=None):
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_library_npz_path_does_not_import_torch(tmp_path):
    code = (
        "import sys, bifwatch; bifwatch.find_cycles(bifwatch.load_model('example:tent'), 2); "
        "import bifwatch.cli; assert 'torch' not in sys.modules, 'torch was imported'"
    )
    done = _run(["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr


def test_cli_npz_path_does_not_import_torch(tmp_path):
    # A fake `torch` first on the path leaves a marker file when anything imports it, even if the
    # ImportError it raises were caught and ignored by some optional-import code.
    blocker, marker = tmp_path / "blocker", tmp_path / "torch-was-imported"
    (blocker / "torch").mkdir(parents=True)
    (blocker / "torch" / "__init__.py").write_text(
        textwrap.dedent(
            f"""
            import pathlib
            pathlib.Path({str(marker)!r}).write_text("imported")
            raise ImportError("torch must not be imported on the .npz path")
            """
        )
    )
    path = os.pathsep.join(filter(None, [str(blocker), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    sanity = _run(["-c", "import torch"], tmp_path, env)
    assert sanity.returncode != 0 and marker.exists(), "the blocker must shadow the real torch"
    marker.unlink()
    out = tmp_path / "out.json"
    args = ["-m", "bifwatch", "cycles", "example:tent", "--max-order", "2", "--json", str(out)]
    done = _run(args, tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), "the CLI imported torch on the .npz path"
    assert [c["order"] for c in json.loads(out.read_text())["cycles"]] == [1, 2]
