"""Model files and model construction: ``save_model``/``load_model`` round trips and every error path.

Truth: a round trip must give back the same class with bit-identical arrays, and so the same map
(checked on random points); a file's kind follows from its array names as documented in
``load_model``. Every rejected input must fail with a message that names what is wrong.
"""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pytest

import bifwatch as bw

M, L = 3, 4


def _models(rng) -> dict[str, bw.AbstractPLRNN]:
    def n(*shape):
        return rng.normal(size=shape)

    return {
        "plrnn-vector-A": bw.PLRNN(A=rng.uniform(-1, 1, M), W=n(M, M), h=n(M)),
        "plrnn-full-A": bw.PLRNN(A=n(M, M), W=n(M, M), h=n(M)),
        "plrnn-slope": bw.PLRNN(A=rng.uniform(-1, 1, M), W=n(M, M), h=n(M), slope=0.25),
        "alrnn-P0": bw.ALRNN(A=rng.uniform(-1, 1, M), W=n(M, M), h=n(M), P=0),
        "alrnn-P2": bw.ALRNN(A=rng.uniform(-1, 1, M), W=n(M, M), h=n(M), P=2),
        "alrnn-full-A-PM": bw.ALRNN(A=n(M, M), W=n(M, M), h=n(M), P=M),
        "shplrnn": bw.ShPLRNN(A=rng.uniform(-1, 1, M), W1=n(M, L), W2=n(L, M), h1=n(M), h2=n(L)),
        "shplrnn-slope": bw.ShPLRNN(
            A=rng.uniform(-1, 1, M), W1=n(M, L), W2=n(L, M), h1=n(M), h2=n(L), slope=-0.5
        ),
        "clipped-shplrnn": bw.ClippedShPLRNN(
            A=rng.uniform(-1, 1, M), W1=n(M, L), W2=n(L, M), h1=n(M), h2=n(L)
        ),
        "relu-rnn": bw.ReLURNN(W=n(M, M), b=n(M)),
    }


MODEL_IDS = list(_models(np.random.default_rng(0)))


@pytest.fixture(params=MODEL_IDS)
def model(request):
    return _models(np.random.default_rng(3))[request.param]


def _assert_same_model(got, expected, rng):
    assert type(got) is type(expected)
    assert got.kind == expected.kind
    p, q = got.parameters(), expected.parameters()
    assert set(p) == set(q)
    for name in p:
        np.testing.assert_array_equal(p[name], q[name], err_msg=name)
    for scalar in ("P", "slope"):
        if hasattr(expected, scalar):
            assert getattr(got, scalar) == getattr(expected, scalar)
            assert type(getattr(got, scalar)) is type(getattr(expected, scalar))
    z = rng.normal(scale=3.0, size=(64, expected.M))
    np.testing.assert_array_equal(got.step(z), expected.step(z))
    np.testing.assert_array_equal(got.region(z), expected.region(z))


def _savez(path, **arrays):
    np.savez(path, **arrays)
    return path


# ----------------------------------------------------------------------------------------------
# round trips


def test_round_trip(model, tmp_path, rng):
    path = tmp_path / "model.npz"
    bw.save_model(model, path)
    loaded = bw.load_model(path)
    _assert_same_model(loaded, model, rng)
    bw.check_model(loaded)


def test_round_trip_with_str_path_and_matching_kind(model, tmp_path, rng):
    path = str(tmp_path / "model.npz")
    bw.save_model(model, path)
    _assert_same_model(bw.load_model(path, kind=model.kind), model, rng)


def test_saved_file_holds_the_kind_and_the_equation_arrays(model, tmp_path):
    path = tmp_path / "model.npz"
    bw.save_model(model, path)
    with np.load(path) as data:
        assert str(data["kind"]) == model.kind
        assert set(data.files) == {"kind", *model.parameters()}


def test_zero_slope_is_not_stored(tmp_path):
    path = tmp_path / "m.npz"
    bw.save_model(bw.PLRNN(A=[0.5], W=[[1.0]], h=[0.0], slope=0.0), path)
    with np.load(path) as data:
        assert "slope" not in data.files


def test_save_model_rejects_non_models(tmp_path):
    with pytest.raises(TypeError, match="`model` must be a bifwatch model; got dict"):
        bw.save_model({"A": np.ones(2)}, tmp_path / "m.npz")


# ----------------------------------------------------------------------------------------------
# kinds from array names, and kind=


def _arrays(rng):
    return {
        "plrnn": dict(A=rng.normal(size=M), W=rng.normal(size=(M, M)), h=rng.normal(size=M)),
        "alrnn": dict(A=rng.normal(size=M), W=rng.normal(size=(M, M)), h=rng.normal(size=M), P=np.array(2)),
        "shplrnn": dict(
            A=rng.normal(size=M), W1=rng.normal(size=(M, L)), W2=rng.normal(size=(L, M)),
            h1=rng.normal(size=M), h2=rng.normal(size=L),
        ),
        "relu-rnn": dict(W=rng.normal(size=(M, M)), b=rng.normal(size=M)),
    }


@pytest.mark.parametrize(
    ("names", "kind", "cls"),
    [
        ("plrnn", "plrnn", bw.PLRNN),
        ("alrnn", "alrnn", bw.ALRNN),
        ("shplrnn", "shplrnn", bw.ShPLRNN),
        ("relu-rnn", "relu-rnn", bw.ReLURNN),
    ],
    ids=["A-W-h", "A-W-h-P", "A-W1-W2-h1-h2", "W-b"],
)
def test_kind_is_inferred_from_array_names(tmp_path, rng, names, kind, cls):
    arrays = _arrays(rng)[names]
    model = bw.load_model(_savez(tmp_path / "m.npz", **arrays))
    assert type(model) is cls and model.kind == kind
    for name, value in arrays.items():
        np.testing.assert_array_equal(getattr(model, name), value)


@pytest.mark.parametrize(
    ("names", "extra"),
    [("plrnn", {"slope": np.array(0.1)}), ("shplrnn", {"slope": np.array(-0.3)})],
    ids=["plrnn-slope", "shplrnn-slope"],
)
def test_optional_slope_is_read(tmp_path, rng, names, extra):
    model = bw.load_model(_savez(tmp_path / "m.npz", **_arrays(rng)[names], **extra))
    assert model.kind == names and model.slope == float(extra["slope"])
    assert isinstance(model.slope, float)


def test_scalar_P_in_other_dtypes_and_shapes(tmp_path, rng):
    arrays = _arrays(rng)["plrnn"]
    for P in (np.array(2, dtype=np.int8), np.array([2]), np.array(2.0)):
        model = bw.load_model(_savez(tmp_path / "m.npz", **arrays, P=P))
        assert model.P == 2 and type(model.P) is int


def test_kind_override_reads_shallow_arrays_as_clipped(tmp_path, rng):
    arrays = _arrays(rng)["shplrnn"]
    path = _savez(tmp_path / "m.npz", **arrays)
    assert bw.load_model(path).kind == "shplrnn"
    model = bw.load_model(path, kind="clipped-shplrnn")
    assert type(model) is bw.ClippedShPLRNN
    expected = bw.ClippedShPLRNN(**arrays)
    z = rng.normal(size=(16, M))
    np.testing.assert_array_equal(model.step(z), expected.step(z))


def test_kind_override_wins_over_the_stored_kind(tmp_path, rng):
    path = tmp_path / "m.npz"
    bw.save_model(bw.ShPLRNN(**_arrays(rng)["shplrnn"]), path)
    assert type(bw.load_model(path, kind="clipped-shplrnn")) is bw.ClippedShPLRNN


def test_stored_kind_wins_over_inference(tmp_path, rng):
    path = _savez(tmp_path / "m.npz", kind=np.array("clipped-shplrnn"), **_arrays(rng)["shplrnn"])
    assert type(bw.load_model(path)) is bw.ClippedShPLRNN


@pytest.mark.parametrize("name", ["tent", "plrnn10"])
def test_documented_examples_are_bundled(name):
    assert name in bw.list_examples()


def test_every_bundled_example_loads():
    for name in bw.list_examples():
        model = bw.load_model(f"example:{name}")
        assert model.kind in {"plrnn", "alrnn", "shplrnn", "clipped-shplrnn", "relu-rnn"}
        bw.check_model(model, n_points=16)


def test_example_tent_is_the_documented_map():
    model = bw.load_model("example:tent")
    assert model.M == 1
    np.testing.assert_allclose(model.step(np.array([[-1.0], [0.0], [1.0]])).ravel(), [0.8, 1.0, -0.5])


# ----------------------------------------------------------------------------------------------
# load_model errors


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _zip_with_junk_member() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("A.npy", b"not an array")
    return buffer.getvalue()


def _npy_bytes() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    return buffer.getvalue()


_GOOD = dict(A=np.ones(2) * 0.5, W=np.eye(2), h=np.zeros(2))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "could not read .* as an .npz file: No data left in file"),
        (b"definitely not numpy", "could not read .* as an .npz file"),
        (_npz_bytes(**_GOOD)[:200], "could not read .* as an .npz file"),
        (b"PK\x03\x04" + b"\x00" * 40, "could not read .* as an .npz file"),
        (_npy_bytes(), r"could not read .* as an .npz file: it holds a single .npy array"),
        (_zip_with_junk_member(), "could not read .* as an .npz file: member 'A' is not a .npy array"),
        (_npz_bytes(A=np.array([object()]), W=np.eye(1), h=np.zeros(1)), "could not read .*Object arrays"),
    ],
    ids=["empty", "text", "truncated-zip", "corrupt-zip", "npy-not-npz", "junk-member", "pickled-object"],
)
def test_unreadable_npz(tmp_path, content, match):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        bw.load_model(path)


def test_npz_and_torch_files_are_told_apart_by_one_check(tmp_path):
    """Both readers refuse a file of the wrong format through ``models._files.check_begins``,
    with the bytes it begins with (torch itself is not needed to sniff a .pt file)."""
    from importlib import resources

    from bifwatch.models import _files, _io, _torch

    assert _io.check_begins is _files.check_begins is _torch.check_begins
    content = b"hello, world: no archive"
    npz, pt = tmp_path / "model.npz", tmp_path / "model.pt"
    npz.write_bytes(content)
    pt.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(
        f"could not read {str(npz)!r} as an .npz file: it is not a NumPy .npz archive (np.savez "
        "writes a zip of .npy arrays; this file begins b'hello, world')"
    )):
        bw.load_model(npz)
    with pytest.raises(ValueError, match=re.escape(
        f"could not read {str(pt)!r} as a PyTorch file: it is not a PyTorch checkpoint (torch.save "
        "writes a zip archive; this file begins b'hello, world')"
    )):
        _torch._check_torch_file(str(pt))
    # what is of the format passes: a bundled resource, a path, an empty file (its reader says so)
    _files.check_begins(resources.files("bifwatch") / "data" / "tent.npz", (b"PK",), "w", "x", "y")
    npz.write_bytes(b"PK\x03\x04")
    _files.check_begins(npz, (b"PK",), "w", "x", "y")
    npz.write_bytes(b"")
    _files.check_begins(str(npz), (b"PK",), "w", "x", "y")


@pytest.mark.parametrize(
    ("arrays", "kind", "match"),
    [
        (dict(A=np.ones(2), W=np.eye(2)), None, r"cannot tell the model kind of .* arrays \['A', 'W'\]"),
        ({**_GOOD, "foo": np.ones(1)}, None, r"cannot tell the model kind .*\['A', 'W', 'foo', 'h'\]"),
        ({}, None, r"cannot tell the model kind .* from its arrays \[\]"),
        (_GOOD, "alrnn", r"as kind 'alrnn' needs arrays \['A', 'P', 'W', 'h'\]; missing \['P'\]"),
        (_GOOD, "relu-rnn", r"'relu-rnn' needs arrays \['W', 'b'\]; missing \['b'\]; unexpected \['A', 'h'"),
        ({**_GOOD, "P": np.array(1)}, "plrnn", r"as kind 'plrnn' needs .*; unexpected \['P'\]"),
        ({**_GOOD, "foo": np.ones(1)}, "plrnn", r"unexpected \['foo'\]"),
        ({**_GOOD, "kind": np.array("plrnn"), "foo": np.ones(1)}, None, r"'plrnn'.*unexpected \['foo'\]"),
        ({**_GOOD, "slope": np.array(0.1)}, "clipped-shplrnn", r"missing \['W1', 'W2', 'h1', 'h2'\]"),
    ],
    ids=[
        "missing-inferred", "extra-inferred", "no-arrays", "missing-P", "missing-and-unexpected",
        "unexpected-P", "unexpected-foo", "unexpected-with-stored-kind", "slope-not-allowed",
    ],
)
def test_wrong_arrays(tmp_path, arrays, kind, match):
    path = _savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ValueError, match=match):
        bw.load_model(path, kind=kind)


@pytest.mark.parametrize(
    ("stored", "match"),
    [
        (np.array("lstm"), "got 'lstm'"),
        (np.array(3), "got '3'"),
        (np.array(["plrnn", "alrnn"]), "got \"\\['plrnn' 'alrnn'\\]\""),
    ],
    ids=["unknown-name", "a-number", "an-array"],
)
def test_stored_kind_invalid(tmp_path, stored, match):
    path = _savez(tmp_path / "m.npz", kind=stored, **_GOOD)
    with pytest.raises(ValueError, match=r"stored kind must be one of \['alrnn', .*\]; " + match):
        bw.load_model(path)


def test_arrays_with_wrong_shapes_in_a_file(tmp_path):
    path = _savez(tmp_path / "m.npz", A=np.ones(2), W=np.eye(3), h=np.zeros(2))
    with pytest.raises(ValueError, match=r"`W` must have shape \(2, 2\); got shape \(3, 3\)"):
        bw.load_model(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"model file '.*nope\.npz' does not exist"):
        bw.load_model(tmp_path / "nope.npz")


@pytest.mark.parametrize("name", ["model.txt", "model.npy", "model"], ids=["txt", "npy", "no-suffix"])
def test_unknown_suffix(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(_npz_bytes(**_GOOD))
    with pytest.raises(ValueError, match=r"expected a \.npz, \.pt or \.pth file; got suffix"):
        bw.load_model(path)


@pytest.mark.parametrize("kind", ["lstm", "PLRNN", ""], ids=["unknown", "upper-case", "empty"])
def test_unknown_kind(tmp_path, kind):
    path = _savez(tmp_path / "m.npz", **_GOOD)
    with pytest.raises(ValueError, match=r"`kind` must be one of \['alrnn', 'clipped-shplrnn', 'plrnn', "):
        bw.load_model(path, kind=kind)


def test_unknown_kind_is_reported_before_the_file_is_looked_at(tmp_path):
    with pytest.raises(ValueError, match="`kind` must be one of"):
        bw.load_model(tmp_path / "does-not-exist.npz", kind="lstm")


@pytest.mark.parametrize("name", ["nope", "", "tent.npz"], ids=["nope", "empty", "suffix"])
def test_unknown_example(name):
    message = f"unknown example {name!r}; bundled examples are {bw.list_examples()}"
    with pytest.raises(ValueError, match=re.escape(message)):
        bw.load_model(f"example:{name}")


# ----------------------------------------------------------------------------------------------
# model constructor errors

_A3, _W3, _h3 = np.full(3, 0.5), np.eye(3), np.zeros(3)
_SH = dict(A=np.full(3, 0.5), W1=np.ones((3, 4)), W2=np.ones((4, 3)), h1=np.zeros(3), h2=np.zeros(4))


def _shallow_cases(cls, tag):
    return [
        pytest.param(cls, {**_SH, "A": np.eye(3)}, ValueError,
                     r"`A` must have shape \(3,\); got shape \(3, 3\)", id=f"{tag}-A-matrix"),
        pytest.param(cls, {**_SH, "W1": np.ones((4, 3))}, ValueError,
                     r"`W1` must have shape \(3, 4\); got shape \(4, 3\)", id=f"{tag}-W1-transposed"),
        pytest.param(cls, {**_SH, "W2": np.ones((4, 2))}, ValueError,
                     r"`W2` must have shape \(4, 3\); got shape \(4, 2\)", id=f"{tag}-W2"),
        pytest.param(cls, {**_SH, "h2": np.zeros((4, 1))}, ValueError,
                     r"`h2` must have shape \(L,\); got shape \(4, 1\)", id=f"{tag}-h2-column"),
        pytest.param(cls, {**_SH, "h2": np.zeros(5)}, ValueError,
                     r"`W1` must have shape \(3, 5\); got shape \(3, 4\)", id=f"{tag}-L-mismatch"),
        pytest.param(cls, {**_SH, "h1": np.zeros(2)}, ValueError,
                     r"`A` must have shape \(2,\); got shape \(3,\)", id=f"{tag}-M-mismatch"),
        pytest.param(cls, {**_SH, "h2": np.zeros(0), "W1": np.ones((3, 0)), "W2": np.ones((0, 3))},
                     ValueError, "must be non-empty .*L = 0", id=f"{tag}-empty-L"),
        pytest.param(cls, {**_SH, "h1": [1.0, np.inf, 0.0]}, ValueError,
                     "`h1` must be finite; got 1 NaN/Inf entries", id=f"{tag}-inf"),
        pytest.param(cls, {**_SH, "W2": np.full((4, 3), np.nan)}, ValueError,
                     "`W2` must be finite; got 12 NaN/Inf entries", id=f"{tag}-nan"),
        pytest.param(cls, {**_SH, "A": "abc"}, TypeError, "`A` must be a numeric array; got dtype <U3",
                     id=f"{tag}-string"),
        pytest.param(cls, {**_SH, "W1": np.ones((3, 4)) * 1j}, TypeError, "`W1` must be real; got complex",
                     id=f"{tag}-complex"),
    ]


CONSTRUCTOR_ERRORS = [
    # PLRNN
    pytest.param(bw.PLRNN, dict(A=np.ones(2), W=_W3, h=_h3), ValueError,
                 r"`A` must have shape \(3,\); got shape \(2,\)", id="plrnn-A-vector"),
    pytest.param(bw.PLRNN, dict(A=np.eye(2), W=_W3, h=_h3), ValueError,
                 r"`A` must have shape \(3, 3\); got shape \(2, 2\)", id="plrnn-A-matrix"),
    pytest.param(bw.PLRNN, dict(A=np.ones((3, 3, 3)), W=_W3, h=_h3), ValueError,
                 r"`A` must have shape \(3, 3\); got shape \(3, 3, 3\)", id="plrnn-A-3d"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=np.ones((3, 4)), h=_h3), ValueError,
                 r"`W` must have shape \(3, 3\); got shape \(3, 4\)", id="plrnn-W"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=np.zeros((3, 1))), ValueError,
                 r"`h` must have shape \(M,\); got shape \(3, 1\)", id="plrnn-h-column"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=0.0), ValueError,
                 r"`h` must have shape \(M,\); got shape \(\)", id="plrnn-h-scalar"),
    pytest.param(bw.PLRNN, dict(A=[], W=np.zeros((0, 0)), h=[]), ValueError,
                 r"`h` must have at least one entry \(M >= 1\)", id="plrnn-empty"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=[0.0, np.nan, 0.0]), ValueError,
                 "`h` must be finite; got 1 NaN/Inf entries", id="plrnn-nan"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=np.full((3, 3), -np.inf), h=_h3), ValueError,
                 "`W` must be finite; got 9 NaN/Inf entries", id="plrnn-inf"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=[[1, 2], [3]], h=_h3), TypeError,
                 "`W` must be a numeric array; got list", id="plrnn-ragged"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=[object()] * 3), TypeError,
                 "`h` must be a numeric array; got dtype object", id="plrnn-objects"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=None), TypeError,
                 "`h` must be a numeric array; got dtype object", id="plrnn-none"),
    pytest.param(bw.PLRNN, dict(A=_A3 + 0j, W=_W3, h=_h3), TypeError,
                 "`A` must be real; got complex dtype complex128", id="plrnn-complex"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=_h3, slope="0.1"), TypeError,
                 "`slope` must be a real number; got '0.1'", id="plrnn-slope-string"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=_h3, slope=True), TypeError,
                 "`slope` must be a real number; got True", id="plrnn-slope-bool"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=_h3, slope=[0.1]), TypeError,
                 r"`slope` must be a real number; got \[0.1\]", id="plrnn-slope-list"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=_h3, slope=float("nan")), ValueError,
                 "`slope` must be finite; got nan", id="plrnn-slope-nan"),
    pytest.param(bw.PLRNN, dict(A=_A3, W=_W3, h=_h3, slope=float("inf")), ValueError,
                 "`slope` must be finite; got inf", id="plrnn-slope-inf"),
    # ALRNN
    pytest.param(bw.ALRNN, dict(A=_A3, W=_W3, h=_h3, P=-1), ValueError, "`P` must be >= 0; got -1",
                 id="alrnn-P-negative"),
    pytest.param(bw.ALRNN, dict(A=_A3, W=_W3, h=_h3, P=4), ValueError, "`P` must be at most M = 3; got 4",
                 id="alrnn-P-above-M"),
    pytest.param(bw.ALRNN, dict(A=_A3, W=_W3, h=_h3, P=1.5), TypeError, "`P` must be an integer; got 1.5",
                 id="alrnn-P-fraction"),
    pytest.param(bw.ALRNN, dict(A=_A3, W=_W3, h=_h3, P=True), TypeError, "`P` must be an integer; got True",
                 id="alrnn-P-bool"),
    pytest.param(bw.ALRNN, dict(A=_A3, W=_W3, h=_h3, P="2"), TypeError, "`P` must be an integer; got '2'",
                 id="alrnn-P-string"),
    pytest.param(bw.ALRNN, dict(A=_A3, W=np.eye(2), h=_h3, P=1), ValueError,
                 r"`W` must have shape \(3, 3\); got shape \(2, 2\)", id="alrnn-W"),
    pytest.param(bw.ALRNN, dict(A=_A3, W=_W3, h=[np.nan] * 3, P=1), ValueError,
                 "`h` must be finite; got 3 NaN/Inf entries", id="alrnn-nan"),
    pytest.param(bw.ALRNN, dict(A=_A3, W=_W3 * 1j, h=_h3, P=1), TypeError, "`W` must be real",
                 id="alrnn-complex"),
    # shallow ones
    *_shallow_cases(bw.ShPLRNN, "shplrnn"),
    pytest.param(bw.ShPLRNN, {**_SH, "slope": np.nan}, ValueError, "`slope` must be finite",
                 id="shplrnn-slope-nan"),
    pytest.param(bw.ShPLRNN, {**_SH, "slope": "leaky"}, TypeError, "`slope` must be a real number",
                 id="shplrnn-slope-string"),
    *_shallow_cases(bw.ClippedShPLRNN, "clipped"),
    # ReLURNN
    pytest.param(bw.ReLURNN, dict(W=np.ones((3, 2)), b=_h3), ValueError,
                 r"`W` must have shape \(3, 3\); got shape \(3, 2\)", id="relu-rnn-W"),
    pytest.param(bw.ReLURNN, dict(W=_W3, b=np.zeros(2)), ValueError,
                 r"`W` must have shape \(2, 2\); got shape \(3, 3\)", id="relu-rnn-size-mismatch"),
    pytest.param(bw.ReLURNN, dict(W=_W3, b=np.zeros((1, 3))), ValueError,
                 r"`b` must have shape \(M,\); got shape \(1, 3\)", id="relu-rnn-b-row"),
    pytest.param(bw.ReLURNN, dict(W=np.zeros((0, 0)), b=[]), ValueError,
                 r"`b` must have at least one entry \(M >= 1\)", id="relu-rnn-empty"),
    pytest.param(bw.ReLURNN, dict(W=_W3, b=[0.0, 0.0, np.inf]), ValueError,
                 "`b` must be finite; got 1 NaN/Inf entries", id="relu-rnn-inf"),
    pytest.param(bw.ReLURNN, dict(W="eye", b=_h3), TypeError, "`W` must be a numeric array",
                 id="relu-rnn-string"),
    pytest.param(bw.ReLURNN, dict(W=_W3, b=_h3 + 1j), TypeError, "`b` must be real", id="relu-rnn-complex"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), CONSTRUCTOR_ERRORS)
def test_constructor_errors(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (bw.PLRNN, dict(A=[0.5], W=[[1]], h=[True])),
        (bw.PLRNN, dict(A=np.float32([0.5]), W=np.int64([[1]]), h=[0], slope=0)),
        (bw.ALRNN, dict(A=[0.5], W=[[1.0]], h=[0.0], P=np.int64(1))),
        (bw.ALRNN, dict(A=[0.5], W=[[1.0]], h=[0.0], P=1.0)),
        (bw.ReLURNN, dict(W=[[1]], b=[0])),
        (bw.PLRNN, dict(A=[0.5], W=[[1.0]], h=[0.0], slope=np.float32(0.5))),
        (bw.ShPLRNN, dict(A=[0.5], W1=[[1.0]], W2=[[1.0]], h1=[0.0], h2=[0.0], slope=np.array(-0.25))),
    ],
    ids=[
        "bool-entries", "mixed-dtypes", "numpy-int-P", "integral-float-P", "int-lists", "float32-slope",
        "0d-array-slope",
    ],
)
def test_constructors_accept_numeric_input_of_any_real_dtype(cls, kwargs):
    model = cls(**kwargs)
    for value in model.parameters().values():
        assert value.dtype == np.float64 or value.ndim == 0
    if "slope" in kwargs:
        assert type(model.slope) is float and model.slope == float(kwargs["slope"])
    if "P" in kwargs:
        assert type(model.P) is int and model.P == 1


def test_save_model_requires_the_npz_suffix(tmp_path):
    model = bw.PLRNN(A=[0.5], W=[[1.0]], h=[0.0])
    with pytest.raises(ValueError, match=r"`path` must end in \.npz; got .*foo"):
        bw.save_model(model, tmp_path / "foo")
    assert bw.save_model(model, tmp_path / "foo.npz") == tmp_path / "foo.npz"
