"""Model classes: the shared interface check, closed-form pieces, and the equations themselves.

Truth: the model equations of notes/cycles-and-bifurcations.md §1, evaluated directly.
"""

from __future__ import annotations

import numpy as np
import pytest

import bifwatch as bw


def _random_models(rng):
    M, L = 3, 5
    return {
        "plrnn-diag": bw.PLRNN(A=rng.uniform(-1, 1, M), W=rng.normal(size=(M, M)), h=rng.normal(size=M)),
        "plrnn-full": bw.PLRNN(A=rng.normal(size=(M, M)), W=rng.normal(size=(M, M)), h=rng.normal(size=M)),
        "plrnn-leaky": bw.PLRNN(
            A=rng.uniform(-1, 1, M), W=rng.normal(size=(M, M)), h=rng.normal(size=M), slope=0.1
        ),
        "shplrnn": bw.ShPLRNN(
            A=rng.uniform(-1, 1, M), W1=rng.normal(size=(M, L)), W2=rng.normal(size=(L, M)),
            h1=rng.normal(size=M), h2=rng.normal(size=L),
        ),
        "shplrnn-leaky": bw.ShPLRNN(
            A=rng.uniform(-1, 1, M), W1=rng.normal(size=(M, L)), W2=rng.normal(size=(L, M)),
            h1=rng.normal(size=M), h2=rng.normal(size=L), slope=-0.2,
        ),
        "clipped": bw.ClippedShPLRNN(
            A=rng.uniform(-1, 1, M), W1=rng.normal(size=(M, L)), W2=rng.normal(size=(L, M)),
            h1=rng.normal(size=M), h2=rng.normal(size=L),
        ),
        "alrnn": bw.ALRNN(A=rng.uniform(-1, 1, M), W=rng.normal(size=(M, M)), h=rng.normal(size=M), P=2),
        "alrnn-linear": bw.ALRNN(
            A=rng.uniform(-1, 1, M), W=rng.normal(size=(M, M)), h=rng.normal(size=M), P=0
        ),
        "relu-rnn": bw.ReLURNN(W=rng.normal(size=(M, M)), b=rng.normal(size=M)),
    }


MODEL_IDS = list(_random_models(np.random.default_rng(0)))


@pytest.fixture(params=MODEL_IDS)
def model(request):
    return _random_models(np.random.default_rng(7))[request.param]


def test_every_model_passes_the_interface_check(model):
    bw.check_model(model)


def test_step_matches_the_equation(model, rng):
    z = rng.normal(size=(50, model.M))
    p = model.parameters()
    relu = lambda x: np.maximum(x, 0.0)  # noqa: E731
    if model.kind == "plrnn":
        A = np.diag(p["A"]) if p["A"].ndim == 1 else p["A"]
        slope = float(p.get("slope", 0.0))
        phi = np.where(z > 0, z, slope * z)
        expected = z @ A.T + phi @ p["W"].T + p["h"]
    elif model.kind == "shplrnn":
        u = z @ p["W2"].T + p["h2"]
        phi = np.where(u > 0, u, float(p.get("slope", 0.0)) * u)
        expected = p["A"] * z + phi @ p["W1"].T + p["h1"]
    elif model.kind == "clipped-shplrnn":
        u = z @ p["W2"].T
        expected = p["A"] * z + (relu(u + p["h2"]) - relu(u)) @ p["W1"].T + p["h1"]
    elif model.kind == "alrnn":
        P = int(p["P"])
        phi = np.concatenate([z[:, : model.M - P], relu(z[:, model.M - P :])], axis=1)
        expected = p["A"] * z + phi @ p["W"].T + p["h"]
    else:
        expected = relu(z @ p["W"].T + p["b"])
    np.testing.assert_allclose(model.step(z), expected, rtol=1e-13, atol=1e-13)


def test_jacobian_is_the_derivative_inside_a_region(model, rng):
    """J(d) equals a central finite difference of the true map away from the borders."""
    z = rng.normal(size=model.M)
    J, _ = model.affine_map(model.region(z))
    eps = 1e-7 * min(1.0, float(np.abs(model.margins(z)).min()) if model.n_bits else 1.0)
    fd = np.column_stack(
        [(model.step(z + eps * e) - model.step(z - eps * e)) / (2 * eps) for e in np.eye(model.M)]
    )
    np.testing.assert_allclose(J, fd, rtol=1e-5, atol=1e-5)


def test_threshold_is_strict():
    """A coordinate exactly at 0 is 'off' (notes §1): the skew tent map puts z = 0 on the left."""
    tent = bw.PLRNN(A=[0.2], W=[[-1.7]], h=[1.0])
    assert not tent.region(np.array([0.0]))[0]
    assert tent.step(np.array([0.0]))[0] == 1.0


def test_alrnn_regions_only_count_the_rectified_units():
    m = bw.ALRNN(A=[0.5, 0.5, 0.5], W=np.eye(3), h=[0.0, 0.0, 0.0], P=1)
    assert m.n_bits == 1
    assert m.region(np.array([-1.0, -1.0, 2.0])).tolist() == [True]
    J, _ = m.affine_map(np.array([False]))
    np.testing.assert_array_equal(J, np.diag([1.5, 1.5, 0.5]))


def test_clipped_bracket_is_bounded(rng):
    """relu(u + h2) - relu(u) lies between 0 and h2 elementwise (notes §1)."""
    m = _random_models(rng)["clipped"]
    z = rng.normal(scale=100, size=(1000, m.M))
    bracket = (m.step(z) - m.A * z - m.h1)
    bound = np.abs(m.W1) @ np.abs(m.h2) + 1e-9
    assert np.all(np.abs(bracket) <= bound)


def test_relu_rnn_pieces():
    m = bw.ReLURNN(W=[[1.0, 2.0], [3.0, 4.0]], b=[-1.0, 1.0])
    J, c = m.affine_map(np.array([False, True]))
    np.testing.assert_array_equal(J, [[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_array_equal(c, [0.0, 1.0])


def test_trajectory_shapes_and_errors():
    m = bw.PLRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[1.0, 0.0])
    assert m.trajectory(np.zeros((4, 2)), 3).shape == (4, 4, 2)
    with pytest.raises(ValueError, match=r"`z0` must have shape \(..., M\) with M = 2; got shape \(3,\)"):
        m.trajectory(np.zeros(3), 2)
    with pytest.raises(ValueError, match="`steps` must be >= 0"):
        m.trajectory(np.zeros(2), -1)
    with pytest.raises(ValueError, match="`z0` must be finite"):
        m.trajectory([np.nan, 0.0], 2)


def test_models_are_immutable():
    m = bw.PLRNN(A=[0.5], W=[[1.0]], h=[0.0])
    with pytest.raises(AttributeError):
        m.h = np.zeros(1)


def test_check_model_catches_a_broken_model():
    class Broken(bw.PLRNN):
        def affine_map(self, d):
            J, c = super().affine_map(d)
            return J, c + 1.0

    with pytest.raises(AssertionError, match=r"step\(z\) != J\(d\) z \+ c\(d\)"):
        bw.check_model(Broken(A=[0.5], W=[[1.0]], h=[0.0]))
