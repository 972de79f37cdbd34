"""The ``bifwatch`` command line: ``cycles`` and ``examples``, their outputs and every usage error.

Truth: the JSON a run writes is checked against the model itself (each point maps to the next
under the true map, ``stable`` agrees with the multipliers) and against the library call it
stands for (``find_cycles`` with the same orders and seed). Every bad input must give exit
status 2 and exactly one line on stderr, starting ``bifwatch: error:``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_run import ok, run  # a plain helper module next to this file

import bifwatch as bw

#: A 2-D PLRNN: the skew tent map z1' = 0.5 z1 - 4 relu(z1) + 1 drives the contracting
#: z2' = 0.3 z2 + relu(z1). It has cycles of every order 1..6 (a stable 3-cycle among them).
CHAIN = dict(A=np.array([0.5, 0.3]), W=np.array([[-4.0, 0.0], [1.0, 0.0]]), h=np.array([1.0, 0.0]))


@pytest.fixture
def chain(tmp_path) -> str:
    path = tmp_path / "chain.npz"
    np.savez(path, **CHAIN)
    return str(path)


def _json(capsys, tmp_path, *args: str, name: str = "out.json") -> dict:
    out = tmp_path / name
    printed = ok(capsys, *args, "--json", str(out))
    assert f"wrote {out}" in printed

    def reject(constant):
        raise AssertionError(f"JSON holds {constant}: not standard JSON")

    return json.loads(out.read_text(encoding="utf-8"), parse_constant=reject)


def _assert_usage_error(capsys, args, match, *, quiet=True) -> str:
    status, out, err = run(capsys, *args)
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("bifwatch: error: ")
    assert re.search(match, lines[0]), lines[0]
    if quiet:
        assert out == ""
    return lines[0]


# ----------------------------------------------------------------------------------------------
# cycles: the table


def test_cycles_prints_a_table(capsys):
    out = ok(capsys, "cycles", "example:tent", "--max-order", "3")
    lines = out.splitlines()
    assert lines[0] == "example:tent: plrnn, M = 1, 1 switching units"
    assert lines[1].split()[:3] == ["order", "#", "class"]
    assert re.search(r"^\s+1\s+1\s+unstable node\s+1\.5\s", out, re.MULTILINE)
    assert re.search(r"^\s+2\s+1\s+stable node\s+0\.3\s", out, re.MULTILINE)
    assert re.findall(r"^order +(\d+): +\d+ cycles, complete", out, re.MULTILINE) == ["1", "2", "3"]


def test_max_rows_cuts_the_table(capsys, chain):
    out = ok(capsys, "cycles", chain, "--max-order", "6", "--max-rows", "2")
    assert "... 7 more" in out


# ----------------------------------------------------------------------------------------------
# --max-order / --orders


@pytest.mark.parametrize(
    ("which", "orders"),
    [
        (["--max-order", "3"], [1, 2, 3]),
        (["--max-order", "1"], [1]),
        (["--orders", "1-3,5"], [1, 2, 3, 5]),
        (["--orders", "5,2"], [2, 5]),
        (["--orders", "2-4"], [2, 3, 4]),
        (["--orders", "4"], [4]),
        (["--orders", "3,3,1-3"], [1, 2, 3]),
        (["--orders", " 1 - 2 , 6"], [1, 2, 6]),
    ],
    ids=["max-3", "max-1", "ranges-and-list", "list-unsorted", "range", "single", "overlapping", "spaces"],
)
def test_orders_searched(capsys, tmp_path, chain, which, orders):
    data = _json(capsys, tmp_path, "cycles", chain, *which)
    assert [s["order"] for s in data["search"]] == orders
    assert sorted({c["order"] for c in data["cycles"]}) == orders  # the chain has cycles of each order
    expected = bw.find_cycles(bw.PLRNN(**CHAIN), orders=orders).to_dict()
    assert data["cycles"] == json.loads(json.dumps(expected["cycles"]))


# ----------------------------------------------------------------------------------------------
# --json


@pytest.mark.parametrize(
    ("source", "args"),
    [
        ("chain", ["--max-order", "6"]),
        ("example:plrnn10", ["--max-order", "2"]),
        ("example:tent", ["--orders", "1-4"]),
    ],
    ids=["chain-2d-exhaustive", "plrnn10-heuristic", "tent-1d"],
)
def test_json_schema_and_orbits(capsys, tmp_path, chain, source, args):
    path = chain if source == "chain" else source
    data = _json(capsys, tmp_path, "cycles", path, *args)
    model = bw.load_model(path)
    assert isinstance(data["cycles"], list) and data["cycles"]
    assert data["model"] == {"kind": model.kind, "M": model.M, "n_bits": model.n_bits}
    assert data["seed"] == 0 and isinstance(data["complete"], bool)
    for entry in data["cycles"]:
        k = entry["order"]
        assert type(k) is int and k >= 1
        points = entry["points"]
        assert isinstance(points, list) and len(points) == k
        assert all(isinstance(p, list) and len(p) == model.M for p in points)
        assert all(type(x) is float for p in points for x in p)
        z = np.array(points)
        scale = 1.0 + np.abs(z).max()
        np.testing.assert_allclose(model.step(z), np.roll(z, -1, axis=0), rtol=0, atol=1e-9 * scale)
        assert len({tuple(p) for p in points}) == k  # least period k: no repeated point
        assert type(entry["stable"]) is bool
        multipliers = entry["multipliers"]
        assert len(multipliers) == model.M
        assert all(len(m) == 2 and all(type(x) is float for x in m) for m in multipliers)
        moduli = np.hypot(*np.array(multipliers).T)
        assert entry["stable"] == bool(np.all(moduli < 1.0))
    orders = [c["order"] for c in data["cycles"]]
    assert orders == sorted(orders)


def test_json_multipliers_are_those_of_the_cycle(capsys, tmp_path):
    data = _json(capsys, tmp_path, "cycles", "example:tent", "--max-order", "2")
    tent = {c["order"]: c for c in data["cycles"]}
    # fixed point 1/(1 + 1.5) * 1 = 0.4 on the right branch (slope -1.5); 2-cycle slope 0.2 * -1.5
    assert tent[1]["points"] == [[pytest.approx(0.4, abs=1e-12)]]
    assert tent[1]["multipliers"] == [[pytest.approx(-1.5), 0.0]]
    assert tent[2]["multipliers"] == [[pytest.approx(-0.3), 0.0]]
    assert (tent[1]["stable"], tent[2]["stable"]) == (False, True)


# ----------------------------------------------------------------------------------------------
# --plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("source", "args"),
    [("chain", ["--max-order", "3"]), ("example:plrnn10", ["--max-order", "1"])],
    ids=["chain-2d", "plrnn10-pca"],
)
def test_plot_writes_a_png(capsys, tmp_path, chain, source, args):
    import matplotlib.image

    path = tmp_path / "cycles.png"
    out = ok(capsys, "cycles", chain if source == "chain" else source, *args, "--plot", str(path))
    assert f"wrote {path}" in out
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    colours = np.unique(image.reshape(-1, image.shape[-1]), axis=0)
    assert len(colours) > 10  # white background, axes, text, markers, trajectories: not blank


def test_plot_and_json_together(capsys, tmp_path, chain):
    png, js = tmp_path / "p.png", tmp_path / "c.json"
    ok(capsys, "cycles", chain, "--orders", "1,3", "--plot", str(png), "--json", str(js))
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert [c["order"] for c in json.loads(js.read_text())["cycles"]] == [1, 3, 3]


# ----------------------------------------------------------------------------------------------
# --kind, --seed, --method


def test_kind_chooses_the_class(capsys, tmp_path, rng, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "shallow.npz"
    np.savez(
        path, A=np.array([0.5, 0.2]), W1=rng.normal(size=(2, 3)), W2=rng.normal(size=(3, 2)),
        h1=rng.normal(size=2), h2=rng.normal(size=3),
    )
    inferred = _json(capsys, tmp_path, "cycles", str(path), "--max-order", "1", name="a.json")
    assert inferred["model"] == {"kind": "shplrnn", "M": 2, "n_bits": 3}
    out = ok(capsys, "cycles", "shallow.npz", "--max-order", "1", "--kind", "clipped-shplrnn", "--json", "b")
    assert out.splitlines()[0] == "shallow.npz: clipped-shplrnn, M = 2, 6 switching units"
    clipped = json.loads((tmp_path / "b").read_text())
    assert clipped["model"] == {"kind": "clipped-shplrnn", "M": 2, "n_bits": 6}


def test_kind_relu_rnn(capsys, tmp_path):
    path = tmp_path / "rnn.npz"
    np.savez(path, W=np.array([[-2.0]]), b=np.array([1.0]))  # h' = relu(1 - 2h): 1/3 and {0, 1}
    data = _json(capsys, tmp_path, "cycles", str(path), "--max-order", "2", "--kind", "relu-rnn")
    assert data["model"]["kind"] == "relu-rnn"
    points = {c["order"]: sorted(x for p in c["points"] for x in p) for c in data["cycles"]}
    assert points == {1: [pytest.approx(1 / 3)], 2: [0.0, 1.0]}


def test_same_seed_same_cycles(capsys, tmp_path):
    args = ("cycles", "example:plrnn10", "--orders", "2", "--seed", "7")
    first = _json(capsys, tmp_path, *args, name="first.json")
    second = _json(capsys, tmp_path, *args, name="second.json")
    assert first["search"][0]["method"] == "heuristic"  # the seed matters only there
    assert first["seed"] == second["seed"] == 7
    assert first["cycles"] == second["cycles"] and first["cycles"]

    def stats(data):
        return [{k: v for k, v in s.items() if k != "seconds"} for s in data["search"]]

    assert stats(first) == stats(second)


def test_default_seed_is_zero(capsys, tmp_path):
    default = _json(capsys, tmp_path, "cycles", "example:plrnn10", "--orders", "2", name="a.json")
    zero = _json(capsys, tmp_path, "cycles", "example:plrnn10", "--orders", "2", "--seed", "0", name="b.json")
    assert default["seed"] == 0 and default["cycles"] == zero["cycles"]


@pytest.mark.parametrize(
    ("extra", "method"),
    [
        ([], "exhaustive"),
        (["--method", "exhaustive"], "exhaustive"),
        (["--method", "heuristic"], "heuristic"),
        (["--patience", "50"], "heuristic"),
    ],
    ids=["auto", "exhaustive", "heuristic", "patience"],
)
def test_method(capsys, tmp_path, chain, extra, method):
    data = _json(capsys, tmp_path, "cycles", chain, "--max-order", "3", *extra)
    assert {s["method"] for s in data["search"]} == {method}
    assert sorted(c["order"] for c in data["cycles"]) == [1, 2, 3, 3]


# ----------------------------------------------------------------------------------------------
# examples


def test_examples_lists_every_bundled_model(capsys):
    out = ok(capsys, "examples")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [f"example:{name}" for name in bw.list_examples()]
    assert re.search(r"^example:tent\s+plrnn\s+M = 1$", out, re.MULTILINE)
    assert re.search(r"^example:plrnn10\s+plrnn\s+M = 10$", out, re.MULTILINE)


# ----------------------------------------------------------------------------------------------
# usage errors: exit status 2, one line on stderr


TENT = ["cycles", "example:tent"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["cycles", "nope.npz", "--max-order", "2"], "model file 'nope.npz' does not exist"),
        ([*TENT, "--max-order", "2", "--orders", "1"], "not allowed with argument"),
        (TENT, "one of the arguments --max-order --orders is required"),
        ([*TENT, "--orders", "a,b"], "`orders` must look like '15,16' or '1-4,10'; got 'a,b'"),
        ([*TENT, "--orders", "3-1"], "ranges must be ascending and >= 1; got '3-1'"),
        ([*TENT, "--orders", "0"], "ranges must be ascending and >= 1; got '0'"),
        ([*TENT, "--orders", "1-"], "`orders` must look like"),
        ([*TENT, "--orders", "1.5"], "`orders` must look like"),
        ([*TENT, "--orders", ""], "`orders` must look like"),
        ([*TENT, "--orders", "-2"], "`orders` must look like"),
        ([*TENT, "--max-order", "0"], "--max-order: expected an integer >= 1; got 0"),
        ([*TENT, "--max-order", "-1"], "--max-order: expected an integer >= 1; got -1"),
        ([*TENT, "--max-order", "two"], "--max-order: expected an integer >= 1; got 'two'"),
        ([*TENT, "--max-order", "1.5"], "--max-order: expected an integer >= 1; got '1.5'"),
        ([*TENT, "--max-order"], "--max-order: expected one argument"),
        ([*TENT, "--max-order", "2", "--kind", "lstm"], "--kind: invalid choice: 'lstm'"),
        ([*TENT, "--max-order", "2", "--seed", "-1"], "--seed: expected an integer >= 0"),
        ([*TENT, "--max-order", "2", "--method", "fast"], "--method: invalid choice"),
        ([*TENT, "--max-order", "2", "--patience", "0"], "--patience: expected an integer"),
        ([*TENT, "--max-order", "2", "--frob"], "unrecognized arguments: --frob"),
        (["cycles", "example:nope", "--max-order", "2"], "unknown example 'nope'"),
        (["cycles", "--max-order", "2"], "the following arguments are required: MODEL"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: command"),
    ],
    ids=[
        "missing-file", "both-orders-options", "neither-orders-option", "orders-letters", "orders-descending",
        "orders-zero", "orders-open-range", "orders-fraction", "orders-empty", "orders-negative",
        "max-order-zero", "max-order-negative", "max-order-word", "max-order-fraction", "max-order-no-value",
        "unknown-kind", "negative-seed", "unknown-method", "zero-patience", "unknown-option",
        "unknown-example", "no-model", "unknown-subcommand", "no-subcommand",
    ],
)
def test_usage_errors(capsys, args, match):
    _assert_usage_error(capsys, args, match)


def _write(path: Path, **arrays) -> str:
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize(
    ("arrays", "kind", "match"),
    [
        (dict(A=np.ones(2), W=np.eye(2)), None, r"cannot tell the model kind of .* arrays \['A', 'W'\]"),
        (dict(CHAIN, foo=np.ones(1)), None, "cannot tell the model kind"),
        (CHAIN, "relu-rnn", r"as kind 'relu-rnn' needs arrays \['W', 'b'\]; missing \['b'\]"),
        (CHAIN, "alrnn", r"missing \['P'\]"),
        (dict(A=np.ones(2), W=np.eye(3), h=np.zeros(2)), None, r"`W` must have shape \(2, 2\); got"),
        (dict(CHAIN, kind=np.array("lstm")), None, "stored kind must be one of"),
    ],
    ids=[
        "missing-h", "unexpected-array", "kind-mismatch", "alrnn-without-P", "wrong-shape", "bad-stored-kind",
    ],
)
def test_wrong_arrays_in_the_npz(capsys, tmp_path, arrays, kind, match):
    path = _write(tmp_path / "bad.npz", **arrays)
    args = ["cycles", path, "--max-order", "1", *(["--kind", kind] if kind else [])]
    _assert_usage_error(capsys, args, match)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("model.npz", b"", r"could not read .* as an \.npz file"),
        ("model.npz", b"PK\x03\x04 broken zip", r"could not read .* as an \.npz file"),
        ("model.txt", b"A W h", r"expected a \.npz, \.pt or \.pth file; got suffix '\.txt'"),
    ],
    ids=["empty-npz", "corrupt-npz", "unknown-suffix"],
)
def test_unreadable_model_files(capsys, tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    _assert_usage_error(capsys, ["cycles", str(path), "--max-order", "1"], match)


def test_unreadable_torch_file_is_one_line(capsys, tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    path.write_bytes(b"garbage that torch.load rejects with a long multi-line message")
    args = ["cycles", str(path), "--max-order", "1"]
    _assert_usage_error(capsys, args, r"could not read .* as a PyTorch file")


@pytest.mark.parametrize(
    ("target", "match"),
    [("missing-dir/p.png", "No such file or directory"), ("p.xyz", "Format 'xyz' is not supported")],
    ids=["missing-directory", "unknown-format"],
)
def test_plot_errors(capsys, tmp_path, target, match):
    # quiet=False: the search ran and its table was printed before the figure failed
    args = ["cycles", "example:tent", "--max-order", "1", "--plot", str(tmp_path / target)]
    _assert_usage_error(capsys, args, match, quiet=False)


# ----------------------------------------------------------------------------------------------
# the installed console script, in a real process


def _console_script() -> str:
    beside = Path(sys.executable).with_name("bifwatch")
    found = str(beside) if beside.exists() else shutil.which("bifwatch")
    if found is None:
        pytest.skip("the bifwatch console script is not installed")
    return found


def test_console_script(tmp_path):
    script = _console_script()
    out = tmp_path / "tent.json"
    done = subprocess.run(
        [script, "cycles", "example:tent", "--orders", "1-2", "--json", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("example:tent: plrnn, M = 1")
    assert [c["order"] for c in json.loads(out.read_text())["cycles"]] == [1, 2]


def test_console_script_usage_error(tmp_path):
    done = subprocess.run(
        [_console_script(), "cycles", "nope.npz", "--max-order", "2"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "bifwatch: error: model file 'nope.npz' does not exist\n"
