"""Low-rank RNNs on the delayed-activation task: the model, exact gradients, the latent flow, the NLZ.

Where the truth comes from: closed forms of 1-D flows (pitchfork roots, a constructed ghost of known
depth), dense-grid oracles in both directions, torch autograd and finite differences for gradients,
synthetic accuracy traces for the NLZ criterion.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from bifwatch.studies.lowrank import (
    DATask,
    LowRankRNN,
    autograd_gradient,
    init_lowrank,
    latent_flow,
    latent_slow_points,
    lowrank_gradient,
    lowrank_torch_module,
    no_learning_zone,
    rank_one_gradient,
)
from bifwatch.training import loss_drops

torch = pytest.importorskip("torch")


def _stack(nets):
    return {k: np.stack([net.parameters()[k] for net in nets]) for k in nets[0].parameters()} | {
        "confidence": np.array([net.confidence for net in nets])}


def _unsaturated(rank=1, readout="latent", units=30, seed=0):
    """A network with O(1) gradients: random bias, larger vectors, low confidence."""
    net = init_lowrank(units, rank, seed=seed, readout=readout)
    rng = np.random.default_rng(seed + 100)
    return net.replace(b=rng.normal(0, 0.5, units), m=3 * net.m, confidence=2.0)


# --- the task and the model ---------------------------------------------------------------------

def test_task_targets_loss_accuracy():
    task = DATask()
    assert task.steps == 40 and task.targets[:20].sum() == 0 and task.targets[20:].sum() == 20
    assert task.loss(np.zeros(40)) == pytest.approx(1.0)
    assert task.accuracy(np.zeros(40)) == 0.5 and task.accuracy(task.targets) == 1.0
    assert task.loss(np.zeros((3, 40))).shape == (3,)


@pytest.mark.parametrize("delay, error, match", [(0, ValueError, "delay"), (2.5, TypeError, "delay")])
def test_task_rejects_bad_delay(delay, error, match):
    with pytest.raises(error, match=match):
        DATask(delay=delay)


def test_task_rejects_wrong_output_length():
    with pytest.raises(ValueError, match=r"`outputs` must have shape \(..., 2T\) = \(..., 40\)"):
        DATask().loss(np.zeros(39))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"m": np.zeros(3), "n": np.zeros(4), "b": np.zeros(3)}, ValueError, "`n` must have shape"),
    ({"m": np.zeros((3, 2)), "n": np.zeros((3, 1)), "b": np.zeros(3)}, ValueError, r"shape \(N, R\)"),
    ({"m": np.zeros(0), "n": np.zeros(0), "b": np.zeros(0)}, ValueError, "N >= 1"),
    ({"m": np.zeros(3), "n": np.zeros(3), "b": np.zeros(3), "confidence": 0.0}, ValueError, "confidence"),
    ({"m": np.zeros(3), "n": np.zeros(3), "b": np.zeros(3), "alpha": 1.5}, ValueError, r"alpha.*\(0, 1\]"),
    ({"m": np.zeros(3), "n": np.zeros(3), "b": np.zeros(3), "w_out": np.zeros(3)}, ValueError, "both"),
    ({"m": np.zeros(3), "n": np.zeros(3), "b": [0, np.nan, 0]}, ValueError, "finite"),
    ({"m": np.zeros(3), "n": np.zeros(3), "b": np.zeros(3), "x0": "a"}, TypeError, "x0"),
    ({"m": np.zeros((3, 4)), "n": None, "b": np.zeros(3)}, ValueError, r"`m` must have shape \(3, 3\)"),
])
def test_model_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        LowRankRNN(**kwargs)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((10, 11), {}, ValueError, "rank.*<= units"),
    ((10, 0), {}, ValueError, "rank"),
    ((0,), {}, ValueError, "units"),
    ((10, "two"), {}, TypeError, "rank"),
    ((10,), {"readout": "linear"}, ValueError, "readout"),
    ((10,), {"seed": -1}, ValueError, "seed"),
    ((10,), {"confidence": -1.0}, ValueError, "confidence"),
])
def test_init_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        init_lowrank(*args, **kwargs)


def test_init_is_seeded_and_scaled():
    a, b = init_lowrank(400, seed=3), init_lowrank(400, seed=3)
    assert a.allclose(b) and not a.allclose(init_lowrank(400, seed=4))
    assert np.std(a.m) == pytest.approx(1 / 20, rel=0.1) and np.all(a.b == 0)
    full = init_lowrank(50, "full", readout="trained")
    assert full.full and full.R == 50 and full.readout == "trained"
    assert LowRankRNN.from_dict(full.to_dict()).allclose(full)


@pytest.mark.parametrize("rank", [1, 3])
def test_latent_reduction_is_exact(rank):
    """kappa_{t+1} of the N-dimensional step equals the R-dimensional latent recursion."""
    net = _unsaturated(rank, units=40)
    kappa = net.latent(net.trajectory(40))
    for t in range(40):
        closed = (1 - net.alpha) * kappa[t] + net.alpha * np.tanh(net.m @ kappa[t] + net.b) @ net.n
        np.testing.assert_allclose(kappa[t + 1], closed, rtol=1e-12, atol=1e-12)
    flow = latent_flow(net, kappa[5])
    np.testing.assert_allclose(kappa[5] + net.alpha * flow, kappa[6], rtol=1e-12, atol=1e-12)


# --- gradients ----------------------------------------------------------------------------------

def test_closed_kappa_gradient_equals_autograd():
    nets = [_unsaturated(seed=s) for s in range(4)]
    a = _stack(nets)
    closed = rank_one_gradient(a["m"][..., 0], a["n"][..., 0], a["b"], a["confidence"])
    auto = autograd_gradient(nets)
    np.testing.assert_allclose(closed.loss, auto.loss, rtol=1e-12)
    for key in "mnb":
        reference = auto.grads[key].reshape(4, -1)
        np.testing.assert_allclose(closed.grads[key], reference, rtol=1e-8, atol=1e-12 * abs(reference).max())
    single = rank_one_gradient(a["m"][:1, :, 0], a["n"][:1, :, 0], a["b"][:1], a["confidence"][:1])
    np.testing.assert_allclose(single.grads["n"][0], closed.grads["n"][0], rtol=1e-12)


@pytest.mark.parametrize("rank", [1, 2, "full"])
@pytest.mark.parametrize("readout", ["latent", "trained"])
def test_numpy_bptt_equals_autograd(rank, readout):
    nets = [_unsaturated(rank, readout, units=12, seed=s) for s in range(2)]
    mine, auto = lowrank_gradient(_stack(nets)), autograd_gradient(nets)
    assert mine.grads.keys() == auto.grads.keys()
    for key, reference in auto.grads.items():
        np.testing.assert_allclose(mine.grads[key], reference, rtol=1e-8, atol=1e-12 * abs(reference).max())
    np.testing.assert_allclose(mine.grad_norm, auto.grad_norm, rtol=1e-10)


def test_closed_kappa_gradient_matches_finite_differences():
    net = _unsaturated(units=20, seed=5)
    task = DATask()

    def loss(m, n, b):
        return rank_one_gradient(m[None], n[None], b[None], np.array([2.0]), task=task).loss[0]

    params = {"m": net.m[:, 0], "n": net.n[:, 0], "b": net.b}
    grads = rank_one_gradient(*(params[k][None] for k in "mnb"), np.array([2.0])).grads
    h = 1e-6
    for key in "mnb":
        for i in (0, 7, 19):
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[key][i] += h
            down[key][i] -= h
            numeric = (loss(**up) - loss(**down)) / (2 * h)
            assert grads[key][0, i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_torch_module_passes_gradcheck():
    module = lowrank_torch_module([_unsaturated(2, "trained", units=5, seed=1)])
    names = [name for name, _ in module.named_parameters()]
    targets = torch.tensor(DATask(delay=3).targets)

    def loss(*tensors):
        outputs = torch.func.functional_call(module, dict(zip(names, tensors, strict=True)), (6,))
        return ((outputs - targets) ** 2).sum()

    inputs = tuple(p.detach().clone().requires_grad_(True) for p in module.parameters())
    assert torch.autograd.gradcheck(loss, inputs, eps=1e-6, atol=1e-7)


# --- the latent flow: closed forms and oracles --------------------------------------------------

def _ghost_net(shift: float) -> LowRankRNN:
    """F(kappa) = -kappa + 2 tanh(kappa) + shift (a unit with b = 50 contributes the constant)."""
    return LowRankRNN(m=[1.0, 0.0], n=[2.0, shift], b=[0.0, 50.0])


def test_pitchfork_fixed_points_closed_form():
    sp = latent_slow_points(LowRankRNN(m=[2.0], n=[1.0], b=[0.0]))  # F = -k + tanh(2k)
    root = brentq(lambda k: np.tanh(2 * k) - k, 0.5, 1.0)
    fixed = sp.fixed
    order = np.argsort(fixed.points[:, 0])
    np.testing.assert_allclose(fixed.points[order, 0], [-root, 0.0, root], atol=1e-13)
    assert fixed.stable[order].tolist() == [True, False, True] and len(sp.slow) == 0
    np.testing.assert_allclose(fixed.jacobians[order, 0, 0], [-1 + 2 / np.cosh(2 * root) ** 2, 1.0,
                                                              -1 + 2 / np.cosh(2 * root) ** 2], atol=1e-12)


@pytest.mark.parametrize("shift", [1.0, -1.0])
def test_constructed_ghost_has_known_position_and_depth(shift):
    """F' = -1 + 2 sech^2(k) = 0 at k = -+asinh(1); F there = +-(1 + asinh(1) - sqrt(2)) > 0 / < 0."""
    sp = latent_slow_points(_ghost_net(shift))
    ghost = sp.slow
    assert len(ghost) == 1 and len(sp.fixed) == 1
    k = -np.sign(shift) * np.arcsinh(1.0)
    depth = 1 + np.arcsinh(1.0) - np.sqrt(2)
    assert ghost.points[0, 0] == pytest.approx(k, abs=1e-10)
    assert ghost.q[0] == pytest.approx(depth**2 / 2, rel=1e-12)
    assert latent_flow(_ghost_net(shift), ghost.points[:, 0])[0] == pytest.approx(np.sign(shift) * depth)
    assert abs(ghost.jacobians[0, 0, 0]) < 1e-9  # a slow direction: F' = 0


#: F_min = shift + asinh(1) - sqrt(2) crosses zero at this shift (a saddle-node bifurcation).
SADDLE_NODE = np.sqrt(2) - np.arcsinh(1.0)


def test_no_ghost_once_the_minimum_crosses_zero():
    """Just above the saddle-node shift: one fixed point and a shallow ghost; just below: three, none."""
    before = latent_slow_points(_ghost_net(SADDLE_NODE + 1e-3))
    after = latent_slow_points(_ghost_net(SADDLE_NODE - 1e-3))
    assert (len(before.fixed), len(before.slow)) == (1, 1)
    assert np.sqrt(2 * before.slow.q[0]) == pytest.approx(1e-3, rel=1e-8)
    assert (len(after.fixed), len(after.slow)) == (3, 0)
    assert after.fixed.select(np.argsort(after.fixed.points[:, 0])).stable.tolist() == [True, False, True]


def _dense_oracle(net, lo, hi, points=400_001):
    k = np.linspace(lo, hi, points)
    F = latent_flow(net, k)
    roots = k[:-1][F[:-1] * F[1:] < 0]
    inner = F[1:-1]
    is_min = (inner < F[:-2]) & (inner < F[2:]) & (inner > 0)
    is_max = (inner > F[:-2]) & (inner > F[2:]) & (inner < 0)
    return roots, k[1:-1][is_min | is_max]


@pytest.mark.parametrize("seed", range(6))
def test_rank_one_points_match_a_dense_grid_both_ways(seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(0, 1, 15)
    n = 2.5 * m + rng.normal(0, 1, 15) + 0.3 * (seed % 3)
    net = LowRankRNN(m=m / 4, n=n / 4, b=rng.normal(0, 1, 15))
    sp = latent_slow_points(net)
    bound = np.abs(net.n).sum() + 1
    roots, ghosts = _dense_oracle(net, -bound, bound)
    found_roots, found_ghosts = np.sort(sp.fixed.points[:, 0]), np.sort(sp.slow.points[:, 0])
    assert found_roots.size == roots.size and found_ghosts.size == ghosts.size
    np.testing.assert_allclose(found_roots, roots, atol=2 * bound / 4e5)
    np.testing.assert_allclose(found_ghosts, ghosts, atol=2 * bound / 4e5 + 1e-4)
    np.testing.assert_allclose(latent_flow(net, found_roots), 0.0, atol=1e-12)


def test_batched_records_equal_the_single_network_finder():
    from bifwatch.studies.lowrank._latent_batch import rank_one_summary

    rng = np.random.default_rng(7)
    m = rng.normal(0, 2, (40, 20)) / np.sqrt(20)
    n = m * rng.uniform(0.5, 3, (40, 1)) + rng.normal(0, 1, (40, 20)) / np.sqrt(20)
    b = rng.normal(0, 1, (40, 20))
    out = rank_one_summary(m, n, b)
    assert set(out["n_fixed"]) >= {1, 3}
    for s in range(40):
        sp = latent_slow_points(LowRankRNN(m=m[s], n=n[s], b=b[s]))
        assert (out["n_fixed"][s], out["n_ghosts"][s]) == (len(sp.fixed), len(sp.slow))
        fixed = out["fixed"][s][~np.isnan(out["fixed"][s])]
        np.testing.assert_allclose(fixed, np.sort(sp.fixed.points[:, 0]), atol=1e-10)


def test_rank_two_slow_points_of_a_decoupled_flow():
    """F1 = -k1 + 2 tanh(k1) + 1 (a ghost), F2 = -k2 + tanh(k2 / 2) (one stable point at 0)."""
    net = LowRankRNN(m=[[1, 0], [0, 0], [0, 0.5]], n=[[2, 0], [1, 0], [0, 1]], b=[0, 50, 0])
    sp = latent_slow_points(net)
    root = brentq(lambda k: -k + 2 * np.tanh(k) + 1, 0, 5)
    np.testing.assert_allclose(sp.fixed.points, [[root, 0.0]], atol=1e-10)
    assert sp.fixed.stable.tolist() == [True]
    depth = 1 + np.arcsinh(1.0) - np.sqrt(2)
    np.testing.assert_allclose(sp.slow.points, [[-np.arcsinh(1.0), 0.0]], atol=1e-8)
    assert sp.slow.q[0] == pytest.approx(depth**2 / 2, rel=1e-10)
    assert np.min(np.abs(sp.slow.eigenvalues[0].real)) < 1e-7  # the slow direction


def test_slow_points_match_across_checkpoints():
    """The API a training monitor uses: snapshot -> SlowPoints -> match with the next snapshot."""
    early = latent_slow_points(_ghost_net(SADDLE_NODE + 0.01))
    late = latent_slow_points(_ghost_net(SADDLE_NODE - 0.01))
    matching = early.match(late, tol=0.2)
    assert len(matching.pairs) == 2 and len(matching.appeared) == 1 and not matching.vanished
    ghost = int(np.flatnonzero(early.kind == "slow")[0])
    partner = dict(matching.pairs)[ghost]
    assert late.kind[partner] == "fixed"  # the ghost became a fixed point: a saddle-node bifurcation


def test_latent_flow_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"`kappa` must have shape \(..., R\) with R = 2"):
        latent_flow(init_lowrank(10, 2), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="q_fixed"):
        latent_slow_points(init_lowrank(10), q_fixed=0)


# --- the no-learning zone and loss drops --------------------------------------------------------

def test_nlz_criterion_on_synthetic_traces():
    acc = np.array([[0.5] * 60 + [0.9] * 40 + [0.5] * 50,   # learned, then fell in
                    [0.5] * 150,                             # never learned
                    [0.5] * 100 + [1.0] * 50,                # learned and stayed
                    [0.5] * 60 + [1.0] * 80 + [0.5] * 10])   # fell in too late for the window
    res = no_learning_zone(acc)
    assert res.in_nlz.tolist() == [True, False, False, False]
    assert res.learned.tolist() == [True, False, True, True]
    assert res.never_learned.tolist() == [False, True, False, False]
    assert res.counts() == {"networks": 4, "learned": 3, "nlz": 1, "never_learned": 1}


def test_nlz_saturation_diagnostic():
    acc = np.array([[0.5] * 60 + [0.9] * 40 + [0.5] * 50] * 2)
    outputs = np.array([np.full(40, 4e-8), np.r_[np.full(20, 0.1), np.full(20, 0.9)]])
    res = no_learning_zone(acc, outputs=outputs, grad_norm=np.array([1e-22, 1e-22]))
    assert res.saturated.tolist() == [True, False]
    res = no_learning_zone(acc, outputs=outputs, grad_norm=np.array([1e-3, 1e-3]))
    assert res.saturated.tolist() == [False, False]


@pytest.mark.parametrize("kwargs, match", [
    ({"accuracy": np.full((2, 40), 0.5), "window": 40}, "window"),
    ({"accuracy": np.zeros((2, 3, 4))}, "shape"),
    ({"accuracy": np.full((2, 100), 0.5), "outputs": np.zeros((3, 40)), "grad_norm": np.zeros(2)}, "S = 2"),
])
def test_nlz_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        no_learning_zone(**kwargs)


def test_loss_drops_ignores_oscillations():
    curve = np.r_[np.full(500, 1.0), np.tile([0.1, 0.5], 250), np.full(500, 1e-3)]
    assert loss_drops(curve).tolist() == [500, 1000]
    assert loss_drops(np.linspace(1, 0.9, 1000)).size == 0
