"""``find_slow_points`` on PyTorch recurrent models: fixed points, slow points (ghosts), Jacobians.

Where the truth comes from:

- 1-D tanh RNN h' = tanh(w h + b): fixed points are the roots of g(x) = tanh(w x + b) - x, found
  by scipy's brentq on a fine bracket grid (oracle); slow points are the closed-form critical
  points of g, tanh(w x + b) = ±sqrt(1 - 1/w), where q'' = g g'' > 0; stability |w (1 - t^2)| < 1.
  Both directions: nothing missed, nothing extra.
- 2-D tanh RNN with W = 2 I: the 9 products of the 1-D roots (4 stable, 4 saddles, 1 repeller).
- The saddle-node normal form x -> x + dt (r + x^2) and the flow f = r + x^2: one slow point at
  0 with q = (dt r)^2 / 2 and eigenvalue 1 (map) or 0 (flow) for r > 0; fixed points ±sqrt(-r) else.
- A linear map x -> A x + c: the one fixed point solves (I - A) x = c; its Jacobian is A.
- ReLU nn.RNN: the fixed points of the exact piecewise-linear search ``find_cycles`` (oracle).
- GRU / LSTM (multi-layer, projections, cells): the module's own forward pass is the oracle for
  F, for the residual at each fixed point, the Jacobian (autograd.functional.jacobian), and for
  grad q ~ 0 and a positive semi-definite Hessian at slow points; gradcheck on q.
- No side effects, determinism, matching across checkpoints, every error path, the figure.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.plotting import plot_slow_points

torch = pytest.importorskip("torch")
nn = torch.nn

U = np.array([0.3, -0.2])  # the constant input of the random GRUs and LSTMs
QUICK = bw.SlowPointFinder(max_iters=600)


# ---------------------------------------------------------------- helpers and oracles


def _tanh_rnn(W, b):
    """nn.RNN (tanh, float64) with h' = tanh(W h + b) under zero input."""
    W = np.atleast_2d(W)
    rnn = nn.RNN(1, len(W), dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.as_tensor(W))
        rnn.bias_hh_l0.copy_(torch.as_tensor(np.full(len(W), float(b))))
        rnn.bias_ih_l0.zero_()
    return rnn


def _random(cls, *args, gain=1.0, seed=0, **kwargs):
    """A float64 module with weights drawn from numpy (independent of torch's init)."""
    module = cls(*args, dtype=torch.float64, **kwargs)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            scale = gain / np.sqrt(param.shape[-1]) if name.startswith("weight_hh") else 0.5
            param.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(param.shape))))
    return module


def _forward(module, x, u=U):
    """One step of the module's own forward pass from the flat state x (M,): the oracle for F."""
    u = torch.as_tensor(u, dtype=x.dtype)
    H = module.hidden_size
    if isinstance(module, (nn.RNNCell, nn.GRUCell)):
        return module(u[None], x[None])[0]
    if isinstance(module, nn.LSTMCell):
        h, c = module(u[None], (x[None, :H], x[None, H:]))
        return torch.cat([h[0], c[0]])
    L, seq = module.num_layers, u.reshape(1, 1, -1)
    if isinstance(module, nn.LSTM):
        P = module.proj_size or H
        h0 = x[: L * P].reshape(L, 1, P).contiguous()
        c0 = x[L * P :].reshape(L, 1, H).contiguous()
        _, (h, c) = module(seq, (h0, c0))
        return torch.cat([h.reshape(-1), c.reshape(-1)])
    _, h = module(seq, x.reshape(L, 1, H).contiguous())
    return h.reshape(-1)


def _state_size(module):
    layers, H = getattr(module, "num_layers", 1), module.hidden_size
    if isinstance(module, (nn.LSTM, nn.LSTMCell)):
        return layers * ((getattr(module, "proj_size", 0) or H) + H)
    return layers * H


def _trajectory_starts(module, n, *, seed=0, steps=60, noise=0.2):
    """Starts sampled (with noise) from the module's own trajectories, the usual recipe."""
    rng = np.random.default_rng(seed)
    M = _state_size(module)
    runs = []
    with torch.no_grad():
        for _ in range(6):
            x = torch.as_tensor(rng.uniform(-1, 1, M))
            run = []
            for _ in range(steps):
                x = _forward(module, x)
                run.append(x.numpy())
            runs.append(run)
    return bw.sample_states(np.array(runs), n, noise=noise, seed=seed)


def _roots_1d(w, b):
    """All roots of tanh(w x + b) - x by brentq on a fine bracket grid (the oracle)."""
    from scipy.optimize import brentq

    g = lambda x: np.tanh(w * x + b) - x  # noqa: E731
    grid = np.linspace(-1.5, 1.5, 3001)
    values = g(grid)
    roots = [brentq(g, lo, hi, xtol=1e-15) for lo, hi, a, c in
             zip(grid[:-1], grid[1:], values[:-1], values[1:], strict=True) if a * c < 0]
    roots += [x for x, v in zip(grid, values, strict=True) if v == 0]
    return np.sort(roots)


def _slow_1d(w, b):
    """Closed form: critical points of g(x) = tanh(w x + b) - x with g != 0 and q'' = g g'' > 0."""
    if w <= 1:
        return np.array([])
    points = []
    for t in (np.sqrt(1 - 1 / w), -np.sqrt(1 - 1 / w)):
        x = (np.arctanh(t) - b) / w
        g, g2 = t - x, -2 * w**2 * t * (1 - t**2)
        if g * g2 > 0:
            points.append(x)
    return np.sort(points)


def _same_sets(found, expected, tol):
    """Both directions: every found point is expected and every expected point is found."""
    found, expected = np.atleast_2d(found), np.atleast_2d(expected)
    if expected.size == 0 or found.size == 0:
        assert found.size == expected.size == 0, (found, expected)
        return
    d = np.linalg.norm(found[:, None, :] - expected[None, :, :], axis=-1)
    assert len(found) == len(expected), (found, expected)
    assert np.all(d.min(axis=1) < tol) and np.all(d.min(axis=0) < tol), (found, expected)


def _same_spectrum(a, b, tol):
    """The same eigenvalues (as multisets, paired by the Hungarian algorithm) to ``tol``."""
    from scipy.optimize import linear_sum_assignment

    cost = np.abs(np.asarray(a)[:, None] - np.asarray(b)[None, :])
    rows, cols = linear_sum_assignment(cost)
    assert len(a) == len(b) and cost[rows, cols].max() < tol, (a, b)


class Linear32(nn.Module):
    """A float32 step module: the search runs on a float64 copy of it."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2, dtype=torch.float32)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([[0.5, 0.2], [-0.1, 0.3]]))
            self.lin.bias.copy_(torch.tensor([1.0, -1.0]))

    def step(self, x):
        return self.lin(x)


class Ghost(nn.Module):
    """The saddle-node normal form as a map: x -> x + dt (r + x^2)."""

    def __init__(self, r, dt=0.1):
        super().__init__()
        self.r, self.dt = r, dt
        self.drop = nn.Dropout(0.5)  # eval mode during the search: no effect

    def step(self, x):
        return x + self.dt * (self.r + self.drop(x) ** 2)


# ---------------------------------------------------------------- closed forms


@pytest.mark.parametrize(
    ("w", "b"), [(2.0, 0.0), (0.5, 0.3), (2.0, 0.6), (2.0, -0.6), (3.0, 0.1), (1.5, 0.2)],
    ids=lambda v: f"{v:g}",
)
def test_tanh_1d_matches_brentq_and_closed_form_slow_points(w, b):
    found = bw.find_slow_points(_tanh_rnn([[w]], b), np.linspace(-1.5, 1.5, 48)[:, None], finder=QUICK)
    roots, slow = _roots_1d(w, b), _slow_1d(w, b)
    _same_sets(found.fixed.points, roots[:, None], 1e-10)
    _same_sets(found.slow.points, slow[:, None], 1e-8)
    assert np.all(found.fixed.q < 1e-20)
    t = np.tanh(w * found.fixed.points[:, 0] + b)
    np.testing.assert_array_equal(found.fixed.stable, np.abs(w * (1 - t**2)) < 1)
    for x, q, lam in zip(found.slow.points[:, 0], found.slow.q, found.slow.eigenvalues[:, 0], strict=True):
        np.testing.assert_allclose(q, 0.5 * (np.tanh(w * x + b) - x) ** 2, rtol=1e-12)
        assert abs(lam - 1) < 1e-7  # g'(x) = 0 there: the ghost's eigenvalue 1


def test_tanh_2d_nine_fixed_points():
    rnn = _tanh_rnn(2.0 * np.eye(2), 0.0)
    starts = np.random.default_rng(0).uniform(-1.2, 1.2, (256, 2))
    found = bw.find_slow_points(rnn, starts)
    r = _roots_1d(2.0, 0.0)
    expected = np.array([[a, c] for a in r for c in r])
    _same_sets(found.points, expected, 1e-12)
    assert len(found.slow) == 0 and np.all(found.q < 1e-28)
    n_unstable = np.sum(np.abs(found.eigenvalues) > 1, axis=1)
    assert np.bincount(n_unstable, minlength=3).tolist() == [4, 4, 1]  # stable, saddles, repeller
    assert "256 starts" in found.message and "9 distinct" in found.message


@pytest.mark.parametrize("r", [1e-3, 0.05], ids=["r=1e-3", "r=0.05"])
def test_ghost_map_one_slow_point(r):
    dt = 0.1
    found = bw.find_slow_points(Ghost(r, dt), np.linspace(-2, 2, 33)[:, None], finder=QUICK)
    assert len(found.fixed) == 0 and len(found.slow) == 1
    assert abs(found.points[0, 0]) < 1e-12
    np.testing.assert_allclose(found.q[0], (dt * r) ** 2 / 2, rtol=1e-12)
    np.testing.assert_allclose(found.eigenvalues[0, 0], 1.0, rtol=0, atol=1e-12)


def test_ghost_map_before_the_bifurcation_has_two_fixed_points():
    r, dt = -0.04, 0.1
    found = bw.find_slow_points(Ghost(r, dt), np.linspace(-2, 2, 33)[:, None], finder=QUICK)
    assert len(found.slow) == 0
    _same_sets(found.points, np.array([[-0.2], [0.2]]), 1e-12)
    order = np.argsort(found.points[:, 0])
    assert found.stable[order].tolist() == [True, False]
    expected = 1 + 2 * dt * np.array([-0.2, 0.2])  # F'(x) = 1 + 2 dt x
    np.testing.assert_allclose(found.eigenvalues[order, 0].real, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("r", [0.01, -0.09], ids=["ghost", "two-fixed"])
def test_ghost_flow(r):
    found = bw.find_slow_points(lambda x: r + x**2, np.linspace(-2, 2, 33)[:, None], time="continuous",
                                finder=QUICK)
    assert found.time == "continuous"
    if r > 0:
        assert len(found) == 1 and found.kind[0] == "slow" and abs(found.points[0, 0]) < 1e-12
        np.testing.assert_allclose(found.q[0], r**2 / 2, rtol=1e-12)
        assert abs(found.eigenvalues[0, 0]) < 1e-12
    else:
        _same_sets(found.fixed.points, np.array([[-0.3], [0.3]]), 1e-12)
        assert len(found.slow) == 0
        order = np.argsort(found.points[:, 0])
        assert found.stable[order].tolist() == [True, False]  # f'(x) = 2x


def test_linear_map_unique_fixed_point():
    rng = np.random.default_rng(3)
    A, c = 1.5 * rng.standard_normal((3, 3)) / np.sqrt(3), rng.standard_normal(3)
    x_star = np.linalg.solve(np.eye(3) - A, c)
    At, ct = torch.as_tensor(A), torch.as_tensor(c)
    starts = x_star + rng.uniform(-2, 2, (20, 3))
    found = bw.find_slow_points(lambda x: x @ At.T + ct, starts)
    assert len(found) == 1 and found.kind[0] == "fixed"
    np.testing.assert_allclose(found.points[0], x_star, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(found.jacobians[0], A, rtol=0, atol=1e-13)
    _same_spectrum(found.eigenvalues[0], np.linalg.eigvals(A), 1e-9)


def test_relu_rnn_matches_exact_piecewise_linear_search():
    rnn = _random(nn.RNN, 2, 4, nonlinearity="relu", gain=2.5, seed=0)
    exact = bw.find_cycles(bw.from_torch_rnn(rnn, input=U), 1)
    expected = np.array([c.points[0] for c in exact.cycles])
    assert len(expected) == 3  # a case with several fixed points
    box = np.abs(expected).max() + 1
    starts = np.random.default_rng(0).uniform(-box, box, (256, 4))
    found = bw.find_slow_points(rnn, starts, input=U, finder=bw.SlowPointFinder(exclude_outliers=None))
    _same_sets(found.fixed.points, expected, 1e-9)
    stable = {tuple(np.round(c.points[0], 6)): c.stable for c in exact.cycles}
    assert [stable[tuple(np.round(p, 6))] for p in found.fixed.points] == found.fixed.stable.tolist()


def test_starts_that_fail_are_counted_not_raised():
    step = lambda x: torch.where(x > 5, torch.nan, 0.5 * x)  # noqa: E731  (NaN beyond x = 5)
    found = bw.find_slow_points(step, np.array([[0.3], [10.0], [-2.0], [20.0]]), finder=QUICK)
    assert abs(found.points[0, 0]) < 1e-15 and found.kind.tolist() == ["fixed"]
    assert "2 diverged; median" in found.message and "1 distinct" in found.message


# ---------------------------------------------------------------- GRU / LSTM against the module itself

MODULES = {
    "rnn-tanh-2layer": lambda: _random(nn.RNN, 2, 3, num_layers=2, gain=1.5, seed=1),
    "rnn-relu": lambda: _random(nn.RNN, 2, 3, nonlinearity="relu", seed=2),
    "gru-batch-first": lambda: _random(nn.GRU, 2, 5, gain=3.0, seed=1, batch_first=True),
    "gru-2layer": lambda: _random(nn.GRU, 2, 3, num_layers=2, gain=2.0, seed=3),
    "lstm": lambda: _random(nn.LSTM, 2, 5, gain=5.0, seed=2),
    "lstm-proj-2layer": lambda: _random(nn.LSTM, 2, 4, num_layers=2, proj_size=2, gain=2.0, seed=5),
    "rnn-cell": lambda: _random(nn.RNNCell, 2, 3, gain=1.5, seed=6),
    "gru-cell": lambda: _random(nn.GRUCell, 2, 3, gain=2.0, seed=7),
    "lstm-cell": lambda: _random(nn.LSTMCell, 2, 3, gain=2.0, seed=8),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_speed_is_the_module_forward_and_passes_gradcheck(name):
    module = MODULES[name]()
    M = _state_size(module)
    x = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, (4, M)))
    q = bw.speed(module, x, input=U)
    expected = torch.stack([0.5 * (_forward(module, xi) - xi).square().sum() for xi in x])
    torch.testing.assert_close(q, expected, rtol=1e-13, atol=1e-15)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda s: bw.speed(module, s, input=U), (x,))


@pytest.mark.parametrize("name", ["gru-batch-first", "lstm", "gru-2layer", "lstm-proj-2layer"])
def test_gru_lstm_points_checked_by_the_module(name):
    module = MODULES[name]()
    found = bw.find_slow_points(module, _trajectory_starts(module, 96), input=U, finder=QUICK)
    assert len(found.fixed) >= 1
    for x, J, lam in zip(found.fixed.points, found.fixed.jacobians, found.fixed.eigenvalues, strict=True):
        xt = torch.as_tensor(x)
        assert torch.linalg.norm(_forward(module, xt) - xt) < 1e-13
        oracle = torch.autograd.functional.jacobian(_forward_of(module), xt).numpy()
        np.testing.assert_allclose(J, oracle, rtol=0, atol=1e-12)
        _same_spectrum(lam, np.linalg.eigvals(oracle), 1e-7)
    for x, q in zip(found.slow.points, found.slow.q, strict=True):
        xt = torch.as_tensor(x)
        speed = lambda y: 0.5 * (_forward(module, y) - y).square().sum()  # noqa: E731
        np.testing.assert_allclose(speed(xt).item(), q, rtol=1e-10)
        grad = torch.autograd.functional.jacobian(speed, xt)
        hess = torch.linalg.eigvalsh(torch.autograd.functional.hessian(speed, xt))
        assert grad.norm() <= 1e-8 * hess.abs().max() * (1 + xt.norm())
        assert hess.min() >= -1e-8 * hess.abs().max()
    # (J - I)^T r = 0 with r != 0 at a slow point: J - I is singular, J has the eigenvalue 1
    assert np.all(np.abs(found.slow.eigenvalues - 1).min(axis=1) < 1e-6)


def _forward_of(module):
    return lambda x: _forward(module, x)


def test_gru_with_slow_points_and_their_stability():
    module = MODULES["gru-batch-first"]()
    found = bw.find_slow_points(module, _trajectory_starts(module, 96), input=U, finder=QUICK)
    assert len(found.slow) >= 1 and np.all(found.slow.q > found.q_fixed)
    stable = np.all(np.abs(np.linalg.eigvals(found.jacobians)) < 1, axis=1)
    np.testing.assert_array_equal(found.stable, stable)


def test_batch_first_and_layout_do_not_matter():
    a = _random(nn.GRU, 2, 5, gain=3.0, seed=1, batch_first=True)
    b = _random(nn.GRU, 2, 5, gain=3.0, seed=1, batch_first=False)
    starts = _trajectory_starts(a, 32)
    fa = bw.find_slow_points(a, starts, input=U, finder=QUICK)
    fb = bw.find_slow_points(b, starts, input=U, finder=QUICK)
    np.testing.assert_array_equal(fa.points, fb.points)


# ---------------------------------------------------------------- no side effects, determinism, checkpoints


def test_no_side_effects_on_the_model_or_torch():
    module = _random(nn.GRU, 2, 3, seed=0).float().train()
    ghost = Ghost(1e-3).train()
    default, grad_mode = torch.get_default_dtype(), torch.is_grad_enabled()
    torch.set_default_dtype(torch.float32)
    try:
        with torch.no_grad():  # as a training monitor would call it
            found = bw.find_slow_points(module, np.zeros((8, 3)), input=U, finder=QUICK)
        bw.find_slow_points(ghost, np.linspace(-1, 1, 8)[:, None], finder=QUICK)
        assert torch.get_default_dtype() == torch.float32
        lin = Linear32().train()
        fixed = bw.find_slow_points(lin, np.zeros((4, 2)), finder=bw.SlowPointFinder(device="cpu"))
        A = lin.lin.weight.detach().double().numpy()  # the float32 weights, exactly
        x_star = np.linalg.solve(np.eye(2) - A, [1.0, -1.0])
        np.testing.assert_allclose(fixed.points[0], x_star, rtol=0, atol=1e-14)
        assert lin.lin.weight.dtype == torch.float32 and lin.training
    finally:
        torch.set_default_dtype(default)
    assert torch.is_grad_enabled() == grad_mode
    assert found.points.dtype == np.float64 and np.all(found.fixed.q < 1e-20)
    assert all(p.requires_grad and p.grad is None and p.dtype == torch.float32 for p in module.parameters())
    assert module.training and ghost.training and ghost.drop.training


def test_deterministic_and_float32():
    module = MODULES["lstm"]()
    starts = _trajectory_starts(module, 48)
    one = bw.find_slow_points(module, starts, input=U, finder=QUICK)
    two = bw.find_slow_points(module, starts, input=U, finder=QUICK)
    np.testing.assert_array_equal(one.points, two.points)
    np.testing.assert_array_equal(one.q, two.q)
    assert one.message == two.message
    np.testing.assert_array_equal(bw.sample_states(starts, 5, noise=0.1, seed=3),
                                  bw.sample_states(starts, 5, noise=0.1, seed=3))
    finder32 = bw.SlowPointFinder(max_iters=600, dtype="float32")
    single = bw.find_slow_points(module, starts, input=U, finder=finder32)
    assert np.all(single.fixed.q <= 1e-10)
    d = np.linalg.norm(single.fixed.points[:, None] - one.fixed.points[None], axis=-1)
    assert len(single.fixed) >= 1 and np.all(d.min(axis=1) < 1e-3)


def test_matching_across_checkpoints():
    before = MODULES["gru-batch-first"]()
    after = copy.deepcopy(before)
    with torch.no_grad():
        for p in after.parameters():
            p.add_(1e-5 * torch.from_numpy(np.random.default_rng(9).standard_normal(tuple(p.shape))))
    starts = _trajectory_starts(before, 96)
    a = bw.find_slow_points(before, starts, input=U, finder=QUICK)
    b = bw.find_slow_points(after, starts, input=U, finder=QUICK)
    match = a.match(b, tol=1e-2)
    assert len(match.pairs) == len(a) == len(b) and not match.vanished and not match.appeared
    for i, j in match.pairs:
        assert a.kind[i] == b.kind[j] and np.linalg.norm(a.points[i] - b.points[j]) < 1e-3


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("model", "starts", "kwargs", "error", "match"),
    [
        (nn.Linear(2, 2), np.zeros((3, 2)), {}, TypeError, "no one-step map.*step"),
        (3.0, np.zeros((3, 2)), {}, TypeError, "must be one of"),
        (bw.PLRNN(A=[0.5], W=[[0.1]], h=[0.0]), np.zeros((3, 1)), {}, TypeError, "exact_slow_points"),
        ("gru", np.zeros((3, 4)), {}, ValueError, r"shape \(B, M\) with M = 5.*got \(3, 4\)"),
        ("gru", np.zeros(5), {}, ValueError, r"shape \(B, M\); got shape \(5,\)"),
        ("gru", np.full((3, 5), np.nan), {}, ValueError, "finite"),
        ("gru", np.zeros((0, 5)), {}, ValueError, "at least one state"),
        ("gru", np.zeros((3, 5)), {"time": "leaky"}, ValueError, "`time` must be one of"),
        ("gru", np.zeros((3, 5)), {"time": "continuous"}, ValueError, "vector field"),
        ("gru", np.zeros((3, 5)), {"input": [1.0, 2.0, 3.0]}, ValueError, r"`input` must have shape \(2,\)"),
        ("gru", np.zeros((3, 5)), {"finder": {"lr": 0.1}}, TypeError, "SlowPointFinder"),
        ("gru", np.zeros((3, 5)), {"finder": bw.SlowPointFinder(device="cuda:99")}, ValueError, "device"),
        (lambda x: x, np.zeros((3, 2)), {"input": [1.0]}, ValueError, "close over the input"),
        (lambda x: x[:, :1], np.zeros((3, 2)), {}, ValueError, r"same shape; got shape \(2, 1\)"),
        (lambda x: x.mean(0, keepdim=True).expand_as(x), np.eye(3), {}, ValueError, "each row"),
        (nn.GRU(2, 3, bidirectional=True), np.zeros((3, 6)), {}, ValueError, "unidirectional"),
    ],
    ids=["no-step", "not-callable", "plrnn", "bad-M", "1-d", "nan", "empty", "time", "rnn-continuous",
         "input-size", "finder-type", "device", "input-for-callable", "output-shape", "coupled-rows",
         "bidirectional"],
)
def test_errors(model, starts, kwargs, error, match):
    model = MODULES["gru-batch-first"]() if model == "gru" else model
    with pytest.raises(error, match=match):
        bw.find_slow_points(model, starts, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_iters": 0}, ValueError, "`max_iters` must be >= 1"),
        ({"max_iters": 1.5}, TypeError, "`max_iters` must be an integer"),
        ({"refine_iters": 0}, ValueError, "`refine_iters` must be >= 1"),
        ({"lr": -1.0}, ValueError, "`lr` must be a finite number > 0"),
        ({"tol_q": float("nan")}, ValueError, "`tol_q`"),
        ({"q_fixed": 0.0}, ValueError, "`q_fixed`"),
        ({"tol_unique": float("inf")}, ValueError, "`tol_unique`"),
        ({"exclude_outliers": -2.0}, ValueError, "`exclude_outliers`"),
        ({"dtype": "float16"}, ValueError, "`dtype` must be one of"),
        ({"device": 3}, TypeError, "`device` must be None"),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else "",
)
def test_bad_config(kwargs, error, match):
    with pytest.raises(error, match=match):
        bw.SlowPointFinder(**kwargs)


def test_sample_states_and_speed_errors():
    traj = np.random.default_rng(0).standard_normal((2, 10, 3))
    assert bw.sample_states(traj, 4).shape == (4, 3)
    assert bw.sample_states(traj, 50, noise=0.1).shape == (50, 3)  # more than recorded: with replacement
    with pytest.raises(ValueError, match="`n` must be >= 1"):
        bw.sample_states(traj, 0)
    with pytest.raises(ValueError, match="`noise` must be a finite number >= 0"):
        bw.sample_states(traj, 3, noise=-1.0)
    with pytest.raises(ValueError, match="at least 2 axes"):
        bw.sample_states(np.zeros(5), 3)
    with pytest.raises(ValueError, match="finite"):
        bw.sample_states(np.full((4, 2), np.nan), 3)
    with pytest.raises(ValueError, match=r"`states` must have shape \(B, M\) with M = 5"):
        bw.speed(MODULES["gru-batch-first"](), torch.zeros(2, 4), input=U)
    with pytest.raises(ValueError, match="torch tensor"):
        bw.speed(lambda x: x, np.zeros((2, 2)))


# ---------------------------------------------------------------- GPU and the figure


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    module = MODULES["gru-batch-first"]()
    starts = _trajectory_starts(module, 64)
    cpu = bw.find_slow_points(module, starts, input=U, finder=QUICK)
    on_cuda = bw.SlowPointFinder(max_iters=600, device="cuda")
    gpu = bw.find_slow_points(module, starts, input=U, finder=on_cuda)
    assert cpu.match(gpu, tol=1e-6).pairs and len(cpu) == len(gpu)
    on_gpu = copy.deepcopy(module).cuda()
    again = bw.find_slow_points(on_gpu, starts, input=U, finder=QUICK)  # the module's own device
    assert len(again) == len(cpu) and next(on_gpu.parameters()).is_cuda


def test_plot_markers_segments_and_trajectories():
    import matplotlib.pyplot as plt

    rnn = _tanh_rnn(2.0 * np.eye(2), 0.0)
    found = bw.find_slow_points(rnn, np.random.default_rng(0).uniform(-1.2, 1.2, (64, 2)), finder=QUICK)
    ax = plot_slow_points(found, trajectories=np.random.default_rng(1).uniform(-1, 1, (3, 20, 2)))
    assert sum(len(c.get_offsets()) for c in ax.collections) == 9
    colours = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections]
    assert sorted(colours) == [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]  # stable black, unstable red
    assert len(ax.lines) == 3 + 5  # trajectories + one segment per unstable fixed point
    plt.close(ax.figure)

    module = MODULES["gru-batch-first"]()  # M = 5: PCA, with slow points coloured by log10 q
    found = bw.find_slow_points(module, _trajectory_starts(module, 48), input=U, finder=QUICK)
    ax = plot_slow_points(found)
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(found)
    assert len(found.slow) and len(ax.figure.axes) == 2  # the colour bar
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="SlowPoints"):
        plot_slow_points(found.points)
    with pytest.raises(ValueError, match=r"M = 5"):
        plot_slow_points(found, trajectories=np.zeros((5, 3)))
