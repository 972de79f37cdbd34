"""bifwatch.models.nn: the trainable modules against autograd, their analysis twins and closed forms.

Where the truth comes from:

- Jacobians: autograd (``torch.func.jacrev`` under ``vmap``) of the module's own ``step``, and the
  analysis model's ``affine_map(region(z))[0]``; ``jacobian_bound`` against the measured spectral
  norm at many points.
- One source of truth: the module and ``to_analysis()`` are the same map. Long runs agree to
  rounding where rounding cannot grow (``jacobian_bound() < 1`` makes the map a contraction; the
  tent example sits on a stable 2-cycle at (12/13, -5/13)); along chaotic orbits (a tent map of
  slope 1.9 embedded in every kind, sensitivity measured) one step from the same state agrees to a
  few ulps. Conversions both ways are exact, float32 included.
- Initialisation: the statistics of training-and-dsr.md, section 1.8 (Talathi-Vartak K with
  max |eigenvalue| 1, the uniform bounds 1/sqrt(L) and 1/sqrt(M), h2 != 0 only when clipped).
- Observations: pseudo-inverse identities (B^+ B z = z on the row space), the numpy twins, and
  exact save/load round trips.
- ``regularisation()`` written out by hand; ``gradcheck`` of ``generate`` in float64 away from
  switching boundaries; every error path.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.models import AffineObservation, IdentityObservation, load_observation

torch = pytest.importorskip("torch")
from bifwatch.models.nn import (  # noqa: E402  (after importorskip)
    ALRNN,
    LATENT_MODELS,
    PLRNN,
    Affine,
    ClippedShPLRNN,
    DSRModel,
    Identity,
    ShPLRNN,
    build_model,
)

M, L, P = 3, 5, 2
KINDS = ["plrnn", "shplrnn", "clipped-shplrnn", "alrnn"]
WIDTH = {"plrnn": {}, "shplrnn": {"L": L}, "clipped-shplrnn": {"L": L}, "alrnn": {"P": P}}
DTYPES = [pytest.param(torch.float32, id="float32"), pytest.param(torch.float64, id="float64")]
DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("cuda", id="cuda", marks=[
        pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]),
]
EPS64 = np.finfo(np.float64).eps


def _module(kind, *, seed=0, dtype=torch.float64, device="cpu", M=M):
    return LATENT_MODELS[kind](M, *WIDTH[kind].values(), seed=seed, dtype=dtype, device=device)


def _randomise(module, seed):
    """Every parameter redrawn (A in (-1, 1), the rest N(0, 1)), so that h, h1, h2 are not 0."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            draw = torch.rand(p.shape, generator=gen) * 2 - 1 if name == "A" else torch.randn(
                p.shape, generator=gen)
            p.copy_(draw)
    return module


def _arrays(module):
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def _assert_same_parameters(a, b):
    sa, sb = _arrays(a), _arrays(b)
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k].dtype == sb[k].dtype and torch.equal(sa[k], sb[k]), k


def _points(module, n, *, scale, margin, seed=0):
    """n random states (as the module's dtype and device) at least ``margin`` from every switching plane."""
    analysis = module.to_analysis()
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=scale, size=(4 * n, module.M))
    z = torch.as_tensor(z, dtype=module.A.dtype).to(torch.float64).numpy()  # representable in dtype
    z = z[np.abs(analysis.margins(z)).min(axis=1) > margin][:n]
    assert len(z) == n
    return torch.as_tensor(z, dtype=module.A.dtype, device=module.A.device)


def _module_trajectory(module, z0, steps):
    out = [z0]
    with torch.no_grad():
        for _ in range(steps):
            out.append(module.step(out[-1]))
    return torch.stack(out, dim=-2)


# ---------------------------------------------------------------- shapes and Jacobians


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_shapes_with_leading_batch_dims(kind, dtype, device):
    module = _module(kind, dtype=dtype, device=device)
    for shape in [(M,), (7, M), (2, 3, M)]:
        z = torch.randn(shape, dtype=dtype, device=device)
        step, J = module.step(z), module.jacobian(z)
        assert step.shape == shape and step.dtype == dtype and step.device == z.device
        assert J.shape == (*shape, M) and J.dtype == dtype
        assert torch.equal(module(z), step)
    z = torch.randn(2, 3, M, dtype=dtype, device=device)
    assert torch.equal(module.jacobian(z).reshape(6, M, M), module.jacobian(z.reshape(6, M)))
    assert torch.equal(module.step(z).reshape(6, M), module.step(z.reshape(6, M)))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_jacobian_equals_autograd_and_the_analysis_affine_map(kind, dtype, device):
    module = _randomise(_module(kind, dtype=dtype, device=device), seed=1)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-13, "atol": 1e-13}
    z = _points(module, 200, scale=2.0, margin=1e-3 if dtype == torch.float32 else 1e-8)
    J = module.jacobian(z).detach()
    autograd = torch.func.vmap(torch.func.jacrev(module.step))(z)
    torch.testing.assert_close(J, autograd, **tol)
    analysis = module.to_analysis()
    z64 = z.cpu().to(torch.float64).numpy()
    J_analysis, c = analysis.affine_map(analysis.region(z64))
    np.testing.assert_allclose(J.cpu().to(torch.float64).numpy(), J_analysis, **tol)
    # and the step is the affine piece of its region: F(z) = J z + c
    step = np.einsum("bij,bj->bi", J_analysis, z64) + c
    np.testing.assert_allclose(module.step(z).detach().cpu().to(torch.float64).numpy(), step, **tol)
    # many regions were visited, so the test is not about one affine piece
    assert len({tuple(r) for r in analysis.region(z64)}) >= 4


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_jacobian_bound_bounds_the_spectral_norm(kind, dtype, device):
    for seed in range(3):
        module = _randomise(_module(kind, dtype=dtype, device=device), seed=seed)
        z = torch.as_tensor(np.random.default_rng(seed).normal(scale=3.0, size=(2000, M)),
                            dtype=dtype, device=device)
        norms = torch.linalg.matrix_norm(module.jacobian(z), 2)
        bound = module.jacobian_bound()
        assert bound.shape == () and bound.dtype == dtype
        slack = 1e-5 if dtype == torch.float32 else 1e-12
        assert norms.max() <= bound * (1 + slack)
        assert norms.max() >= 0.2 * bound  # and not vacuous


def test_jacobian_bound_closed_forms():
    """max|A| + ||W||_2 (PLRNN, ALRNN), max|A| + ||W1||_2 ||W2||_2 (shallow kinds)."""
    for kind in KINDS:
        module = _randomise(_module(kind), seed=4)
        p = {k: v.detach().numpy() for k, v in module.named_parameters()}
        norm = lambda X: np.linalg.svd(X, compute_uv=False)[0]  # noqa: E731
        rest = norm(p["W"]) if "W" in p else norm(p["W1"]) * norm(p["W2"])
        assert module.jacobian_bound().item() == pytest.approx(np.abs(p["A"]).max() + rest, rel=1e-13)


def test_jacobians_written_out_for_one_point():
    """J = diag(A) + W diag(1[z > 0]) etc. at one state, entry by entry."""
    z = torch.tensor([0.7, -0.4, 1.3])
    plrnn = _randomise(PLRNN(3), 0)
    D = torch.diag(torch.tensor([1.0, 0.0, 1.0]))
    torch.testing.assert_close(plrnn.jacobian(z), torch.diag(plrnn.A) + plrnn.W @ D, rtol=0, atol=1e-15)
    alrnn = _randomise(ALRNN(3, 1), 0)  # only the last unit (z = 1.3 > 0) is rectified: D = I
    torch.testing.assert_close(alrnn.jacobian(z), torch.diag(alrnn.A) + alrnn.W, rtol=0, atol=1e-15)
    alrnn2 = _randomise(ALRNN(3, 2), 0)  # units 2, 3 rectified: z_2 < 0 switches unit 2 off
    torch.testing.assert_close(alrnn2.jacobian(z), torch.diag(alrnn2.A) + alrnn2.W @ D, rtol=0, atol=1e-15)
    sh = _randomise(ShPLRNN(3, 4), 0)
    d = torch.diag((sh.W2 @ z + sh.h2 > 0).double())
    torch.testing.assert_close(sh.jacobian(z), torch.diag(sh.A) + sh.W1 @ d @ sh.W2, rtol=0, atol=1e-14)
    cl = _randomise(ClippedShPLRNN(3, 4), 0)
    u = cl.W2 @ z
    d = torch.diag((u + cl.h2 > 0).double() - (u > 0).double())
    torch.testing.assert_close(cl.jacobian(z), torch.diag(cl.A) + cl.W1 @ d @ cl.W2, rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_a_state_on_a_switching_plane_counts_as_off(kind):
    """The analysis models' strict threshold (bit = margin > 0): at z = 0 every margin W2 z (and z itself)
    is 0; the closed form, autograd (relu'(0) = 0) and affine_map(region(0)) all take the unit as off."""
    module = _randomise(_module(kind), seed=9)
    if kind == "shplrnn":
        with torch.no_grad():
            module.h2.zero_()
    z = torch.zeros(1, M)
    analysis = module.to_analysis()
    code = analysis.region(z.numpy())
    margins = analysis.margins(z.numpy())
    assert np.all(margins[:, L:] == 0 if kind == "clipped-shplrnn" else margins == 0)  # (u + h2, u) clipped
    J = module.jacobian(z).detach()
    np.testing.assert_allclose(J.numpy(), analysis.affine_map(code)[0], rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(J, torch.func.vmap(torch.func.jacrev(module.step))(z), rtol=1e-14, atol=1e-14)


# ---------------------------------------------------------------- one source of truth


def _contracting(kind, seed):
    """A module with ||J(z)||_2 <= jacobian_bound() = 0.95 everywhere: a contraction, nonzero biases."""
    module = _randomise(_module(kind, seed=seed), seed)
    with torch.no_grad():
        module.A.mul_(0.5)
        a = module.A.abs().max()
        if hasattr(module, "W"):
            module.W.mul_((0.95 - a) / torch.linalg.matrix_norm(module.W, 2))
        else:
            n = torch.linalg.matrix_norm
            module.W1.mul_((0.95 - a) / (n(module.W1, 2) * n(module.W2, 2)))
    assert module.jacobian_bound().item() == pytest.approx(0.95, rel=1e-12)
    return module


@pytest.mark.parametrize("kind", KINDS)
def test_long_contracting_runs_agree_to_rounding(kind):
    """Lipschitz constant 0.95: rounding errors stay below eps / (1 - 0.95) for all 10,000 steps."""
    module = _contracting(kind, seed=2)
    analysis = module.to_analysis()
    z0 = np.random.default_rng(0).normal(scale=3.0, size=(8, M))
    ours = _module_trajectory(module, torch.from_numpy(z0), 10_000).numpy()
    theirs = analysis.trajectory(z0, 10_000)
    scale = 1 + np.abs(theirs).max()
    assert np.abs(ours - theirs).max() <= 200 * EPS64 * scale
    # the orbits end on the fixed point z* = F(z*), not at 0
    end = theirs[:, -1]
    np.testing.assert_allclose(analysis.step(end), end, rtol=0, atol=1e-14 * scale)
    assert np.abs(end).max() > 1e-3


def test_bundled_tent_converts_to_its_stable_two_cycle():
    """example:tent is z -> 0.2 z - 1.7 relu(z) + 1; its stable 2-cycle is (12/13, -5/13), multiplier -0.3."""
    analysis = bw.load_model("example:tent")
    model = DSRModel.from_analysis(analysis)
    z0 = np.linspace(-2.0, 3.0, 11)[:, None]
    ours = model.generate(torch.from_numpy(z0), 10_001).detach().numpy()
    theirs = analysis.trajectory(z0, 10_000)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=8 * EPS64)
    ends = np.sort(theirs[:, -2:, 0], axis=1)
    np.testing.assert_allclose(ends, np.broadcast_to([-5 / 13, 12 / 13], ends.shape), rtol=0, atol=1e-15)
    J = model.latent.jacobian(torch.tensor([[12 / 13], [-5 / 13]]))
    assert (J[0, 0, 0] * J[1, 0, 0]).item() == pytest.approx(-0.3, rel=1e-15)


def test_bundled_plrnn10_converts_and_its_cycles_are_cycles_of_the_module():
    analysis = bw.load_model("example:plrnn10")
    module = PLRNN.from_analysis(analysis)
    assert module.M == 10 and torch.equal(module.W.diagonal(), torch.zeros(10))
    cycles = bw.find_cycles(analysis, 2).cycles
    assert len(cycles) >= 3
    for cycle in cycles:
        z = torch.from_numpy(cycle.points[0])
        start = z.clone()
        J = torch.eye(10)
        with torch.no_grad():
            for _ in range(cycle.order):
                J = module.jacobian(z) @ J
                z = module.step(z)
        torch.testing.assert_close(z, start, rtol=0, atol=1e-12 * (1 + start.abs().max()))
        rho = np.abs(np.linalg.eigvals(J.numpy())).max()  # the multipliers are the module's too
        assert rho == pytest.approx(cycle.spectral_radius, rel=1e-10)
    # its orbits diverge; along one, each step agrees to rounding, relative to the state's size
    z = analysis.trajectory(np.full(10, 0.1), 300)
    ours = module.step(torch.from_numpy(z[:-1])).detach().numpy()
    assert (np.abs(ours - z[1:]).max(axis=1) / np.abs(z[1:]).max(axis=1)).max() <= 16 * EPS64


def test_bundled_models_with_a_full_A_are_refused():
    """The cycle examples have a full (M, M) A; the modules' A is diagonal."""
    diagonal = {"plrnn10", "tent"}
    for name in bw.list_examples():
        model = bw.load_model(f"example:{name}")
        if name in diagonal:
            again = PLRNN.from_analysis(model).to_analysis()
            assert all(np.array_equal(v, again.parameters()[k]) for k, v in model.parameters().items())
        else:
            assert model.parameters()["A"].shape == (model.M, model.M)
            with pytest.raises(ValueError, match=r"diagonal A; `model` has a full \(M, M\) A"):
                DSRModel.from_analysis(model)


def _tent_embedded(kind):
    """A float64 analysis model of the given kind whose unit 0 (unit 2 for the ALRNN) runs the tent map
    z -> 1 - 1.9 |z| (invariant interval [-0.9, 1], exponent log 1.9) and drives the other contracting
    units: chaotic and bounded, with switching in every unit."""
    if kind == "plrnn":
        return bw.PLRNN(A=[1.9, 0.5, 0.4], W=[[-3.8, 0, 0], [0.3, 0, 0.1], [-0.2, 0.2, 0]], h=[1, -0.1, 0.05])
    if kind == "alrnn":  # units 1, 2 rectified; unit 2 the tent
        return bw.ALRNN(A=[0.5, 0.4, 1.9], W=[[0.1, 0.2, 0.3], [0.2, 0.1, -0.5], [0, 0, -3.8]],
                        h=[0.1, 0.1, 1.0], P=2)
    W2 = [[1, 0, 0], [0.5, 1, -0.5], [0.3, -0.7, 1.0], [-1, 0.4, 0.6]]
    if kind == "shplrnn":  # hidden 0 = relu(z_0)
        W1 = [[-3.8, 0, 0, 0], [0.3, 0.2, -0.1, 0.15], [-0.2, 0.1, 0.2, -0.1]]
        return bw.ShPLRNN(A=[1.9, 0.5, 0.4], W1=W1, W2=W2, h1=[1, -0.2, 0.1], h2=[0, 0.1, -0.2, 0.05])
    # clipped: hidden 0 and 1 are ramps of z_0 on (-1, 0) and (0, 1); their sum is 1 - |z_0| on [-1, 1]
    W2 = [[1, 0, 0], [1, 0, 0], [0.3, -0.7, 1.0], [-1, 0.4, 0.6]]
    W1 = [[1.9, 1.9, 0, 0], [0.3, 0.2, -0.6, 0.5], [-0.2, 0.1, 0.5, -0.4]]
    return bw.ClippedShPLRNN(A=[0.0, 0.6, 0.5], W1=W1, W2=W2, h1=[-0.9, 0.2, 0.2], h2=[1, -1, 0.1, -0.4])


#: The region bit of "tent unit > 0" in each kind's code.
TENT_BIT = {"plrnn": 0, "alrnn": 1, "shplrnn": 0, "clipped-shplrnn": 4}


@pytest.mark.parametrize("kind", KINDS)
def test_one_step_agrees_to_ulps_along_a_chaotic_orbit(kind):
    analysis = _tent_embedded(kind)
    module = LATENT_MODELS[kind].from_analysis(analysis)
    z0 = np.array([0.3, 0.2, -0.1]) if kind != "alrnn" else np.array([0.2, -0.1, 0.3])
    orbit = analysis.trajectory(z0, 10_000)
    # chaos: a 1e-12 perturbation grows to O(0.1) (log 1.9 per step: about 40 steps), and the orbit is bounded
    near = analysis.trajectory(z0 + 1e-12, 200)
    assert np.abs(near - orbit[:201]).max() > 0.1 and np.abs(orbit).max() < 5
    codes = analysis.region(orbit)
    assert len({tuple(r) for r in codes}) >= 4 and 0.3 < codes[:, TENT_BIT[kind]].mean() < 0.8
    ours = module.step(torch.from_numpy(orbit[:-1])).detach().numpy()
    scale = np.abs(orbit[1:]).max(axis=1, keepdims=True) + np.abs(orbit[:-1]).max(axis=1, keepdims=True)
    assert np.abs(ours - orbit[1:]).max() <= 4 * EPS64 * scale.max()
    assert (np.abs(ours - orbit[1:]) / scale).max() <= 4 * EPS64


@pytest.mark.parametrize("kind", KINDS)
def test_from_analysis_of_to_analysis_is_the_identity(kind):
    module = _randomise(_module(kind), seed=3)
    analysis = module.to_analysis()
    assert type(analysis) is LATENT_MODELS[kind].analysis and analysis.kind == kind
    bw.check_model(analysis)
    again = LATENT_MODELS[kind].from_analysis(analysis)
    _assert_same_parameters(module, again)
    if kind == "alrnn":
        assert again.P == module.P == analysis.P == P
    # the module does not share memory with the frozen analysis model
    with torch.no_grad():
        again.A.zero_()
    assert np.any(analysis.A != 0)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_converts_exactly(kind):
    """float32 -> float64 (analysis) -> float32 is bitwise, and the float64 values are the float32 ones."""
    module = _randomise(_module(kind, dtype=torch.float32), seed=5)
    analysis = module.to_analysis()
    for name, value in analysis.parameters().items():
        assert value.dtype == np.float64 or name == "P"
        if name != "P":
            assert np.array_equal(value, getattr(module, name).detach().double().numpy())
    back = LATENT_MODELS[kind].from_analysis(analysis, dtype=torch.float32)
    _assert_same_parameters(module, back)
    assert back.A.dtype == torch.float32


# ---------------------------------------------------------------- training-time invariants


def _loss(module, z):
    out = z
    total = 0.0
    for _ in range(4):
        out = module.step(out)
        total = total + (out - 1.0).square().mean()
    return total + 1e-3 * module.regularisation()


def test_plrnn_W_diagonal_is_zero_at_init_and_after_optimizer_steps():
    module = PLRNN(4, seed=1)
    assert torch.equal(module.W.diagonal(), torch.zeros(4))
    W0 = module.W.detach().clone()
    optimiser = torch.optim.Adam(module.parameters(), lr=1e-2)
    z = torch.randn(16, 4)
    for _ in range(20):
        optimiser.zero_grad()
        _loss(module, z).backward()
        assert torch.equal(module.W.grad.diagonal(), torch.zeros(4))
        optimiser.step()
    assert torch.equal(module.W.diagonal(), torch.zeros(4))
    off = ~torch.eye(4, dtype=torch.bool)
    assert (module.W - W0)[off].abs().min() > 0  # every off-diagonal entry was trained


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "to-float32", "from_analysis"])
def test_plrnn_diagonal_hook_survives_copies_and_conversions(how):
    module = _randomise(PLRNN(3, seed=0), 1)
    dtype = torch.float64
    if how == "deepcopy":
        module = copy.deepcopy(module)
    elif how == "pickle":
        module = pickle.loads(pickle.dumps(module))
    elif how == "to-float32":
        module, dtype = module.to(torch.float32), torch.float32
    else:
        module = PLRNN.from_analysis(module.to_analysis())
    _loss(module, torch.randn(8, 3, dtype=dtype)).backward()
    assert module.W.grad.dtype == dtype
    assert torch.equal(module.W.grad.diagonal(), torch.zeros(3, dtype=dtype))
    assert module.W.grad.abs().sum() > 0


def test_plrnn_converted_with_a_W_diagonal_keeps_it_fixed():
    """The tent example's W = [[-1.7]] is kept (the map is exact) but not trained."""
    module = PLRNN.from_analysis(bw.load_model("example:tent"))
    optimiser = torch.optim.SGD(module.parameters(), lr=0.1)
    _loss(module, torch.randn(8, 1)).backward()
    optimiser.step()
    assert module.W.item() == -1.7 and module.A.item() != 0.2


def test_alrnn_W_is_full_and_trained_everywhere():
    module = ALRNN(5, 2, seed=0)
    assert torch.all(module.W != 0)
    _loss(module, torch.randn(8, 5)).backward()
    assert torch.all(module.W.grad.diagonal() != 0)


def test_clipped_shplrnn_has_h2_at_init_and_the_plain_one_does_not():
    clipped, plain = ClippedShPLRNN(M, L, seed=0), ShPLRNN(M, L, seed=0)
    assert torch.all(clipped.h2 != 0) and torch.all(clipped.h2.abs() <= L ** -0.5)
    assert torch.equal(plain.h2, torch.zeros(L))
    assert torch.equal(plain.h1, torch.zeros(M)) and torch.equal(clipped.h1, torch.zeros(M))


def test_clipped_shplrnn_orbits_stay_bounded():
    """|bracket_l| <= |h2_l|, so |z_t,i| <= |a_i|^t |z_0,i| + c_i (1 - |a_i|^t) / (1 - |a_i|), with
    c_i = sum_l |W1_il| |h2_l| + |h1_i|, at every step t (large weights, max|A| = 0.95)."""
    module = _randomise(ClippedShPLRNN(4, 6), seed=7)
    with torch.no_grad():
        module.A.copy_(torch.tensor([0.95, -0.9, 0.3, -0.95]))
        module.W1.mul_(10)
        module.W2.mul_(10)
    a = module.A.abs()
    c = module.W1.abs() @ module.h2.abs() + module.h1.abs()
    z0 = torch.randn(64, 4) * torch.tensor([1.0, 10.0, 1e3, 1e6]).repeat_interleave(16)[:, None]
    orbit = _module_trajectory(module, z0, 2000)
    t = torch.arange(2001, dtype=torch.float64)[:, None]
    bound = a ** t * z0[:, None, :].abs() + c * (1 - a ** t) / (1 - a)
    assert torch.all(orbit.abs() <= bound * (1 + 1e-12) + 1e-12)
    assert torch.all(orbit[:, -1].abs() <= c / (1 - a) * (1 + 1e-9))


@pytest.mark.parametrize("kind", KINDS)
def test_initialisation_statistics(kind):
    Mbig, Lbig = 30, 40
    width = {"L": Lbig} if "L" in WIDTH[kind] else {"P": 10} if kind == "alrnn" else {}
    module = LATENT_MODELS[kind](Mbig, *width.values(), seed=11)
    A = module.A.detach()
    assert torch.all(A > 0) and torch.all(A <= 1)
    if kind == "plrnn":  # K = diag(A) + W is the whole Talathi-Vartak matrix
        K = torch.diag(A) + module.W.detach()
        assert torch.equal(K, K.T)
        eig = torch.linalg.eigvalsh(K)
        assert eig.min() > 0 and float(eig.abs().max()) == pytest.approx(1.0, rel=1e-13)
        assert torch.equal(module.h, torch.zeros(Mbig))
    elif kind == "alrnn":
        W = module.W.detach()
        assert torch.all(W != 0) and float(W.std()) == pytest.approx(0.01, rel=0.1)
        assert float(W.mean()) == pytest.approx(0.0, abs=0.003)
        assert torch.equal(module.h, torch.zeros(Mbig))
    else:
        W1, W2 = module.W1.detach(), module.W2.detach()
        assert W1.abs().max() <= Lbig ** -0.5 and W1.abs().max() > 0.95 * Lbig ** -0.5
        assert W2.abs().max() <= Mbig ** -0.5 and W2.abs().max() > 0.95 * Mbig ** -0.5
        # uniform: the variance is bound^2 / 3
        assert float(W1.var()) == pytest.approx(1 / (3 * Lbig), rel=0.15)
        assert float(W2.var()) == pytest.approx(1 / (3 * Mbig), rel=0.15)


def test_talathi_vartak_A_is_the_diagonal_of_a_unit_spectral_radius_matrix():
    """Every kind draws the same K first: A of every kind equals the PLRNN's A for the same seed."""
    A = PLRNN(6, seed=3).A
    for kind in KINDS:
        assert torch.equal(LATENT_MODELS[kind](6, *WIDTH[kind].values(), seed=3).A, A)


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_parameters_different_seed_different(kind):
    for dtype in (torch.float32, torch.float64):
        a, b = _module(kind, seed=4, dtype=dtype), _module(kind, seed=4, dtype=dtype)
        _assert_same_parameters(a, b)
        gen = LATENT_MODELS[kind](M, *WIDTH[kind].values(), generator=torch.Generator().manual_seed(4),
                                  dtype=dtype)
        _assert_same_parameters(a, gen)
        c = _module(kind, seed=5, dtype=dtype)
        assert not torch.equal(a.A, c.A)
    one = build_model(kind, N=2, M=M, **WIDTH[kind], observation="affine", seed=9)
    _assert_same_parameters(one, build_model(kind, N=2, M=M, **WIDTH[kind], observation="affine", seed=9))
    other = build_model(kind, N=2, M=M, **WIDTH[kind], observation="affine", seed=10)
    pairs = zip(one.parameters(), other.parameters(), strict=True)
    assert not any(torch.equal(p, q) for p, q in pairs if p.abs().sum() > 0)  # every drawn parameter differs


def test_build_model_puts_it_together():
    model = build_model("alrnn", N=2, M=5, P=3, observation="affine", seed=1, dtype=torch.float32)
    assert isinstance(model.latent, ALRNN) and isinstance(model.observation, Affine)
    assert (model.N, model.M, model.latent.P, model.latent.A.dtype) == (2, 5, 3, torch.float32)
    model = build_model("clipped-shplrnn", N=3, M=3, L=7)
    assert isinstance(model.observation, Identity) and model.latent.L == 7
    assert model.observation.Lambda.shape == (0, 3)


# ---------------------------------------------------------------- observations


def test_identity_observation():
    obs = Identity(2, 5, seed=3)
    Lam = obs.Lambda.detach()
    bound = (6 / 5) ** 0.5  # Glorot: fan_in + fan_out = (M - N) + N
    assert Lam.shape == (3, 2) and torch.all(Lam.abs() <= bound) and torch.all(Lam != 0)
    x = torch.randn(4, 7, 2)
    z1 = obs.initial_state(x)
    assert z1.shape == (4, 7, 5)
    assert torch.equal(z1[..., :2], x) and torch.equal(z1[..., 2:], x @ Lam.T)
    assert torch.equal(obs.decode(z1), x)
    forcing = obs.forcing_signal(x)
    assert torch.equal(forcing[..., :2], x) and torch.equal(forcing[..., 2:], torch.zeros(4, 7, 3))
    assert torch.equal(obs.forced, torch.tensor([1.0, 1, 0, 0, 0]))
    z = torch.randn(6, 5)
    assert torch.equal(obs.decode(z), z[:, :2])


def test_identity_glorot_uniform_init():
    """Lambda ~ U(+-sqrt(6 / M)) (fan_in + fan_out = (M - N) + N): fills the range, variance bound^2 / 3."""
    Lam = Identity(5, 40, seed=1).Lambda.detach()
    bound = (6 / 40) ** 0.5
    assert Lam.abs().max() <= bound and Lam.abs().max() > 0.95 * bound
    assert float(Lam.var()) == pytest.approx(bound ** 2 / 3, rel=0.2)


def test_identity_with_M_equal_N_starts_at_the_data():
    obs = Identity(3, 3, seed=0)
    x = torch.randn(5, 3)
    assert torch.equal(obs.initial_state(x), x) and torch.equal(obs.forcing_signal(x), x)
    assert torch.equal(obs.forced, torch.ones(3)) and obs.Lambda.numel() == 0
    model = build_model("plrnn", N=3, M=3)
    assert torch.equal(model.generate(x, 3)[:, 0], x)


def _affine(N, Mlat, *, bias, seed=0):
    obs = Affine(N, Mlat, bias=bias, seed=seed)
    if bias:
        with torch.no_grad():
            obs.b.copy_(torch.randn(N, generator=torch.Generator().manual_seed(seed)))
    return obs


@pytest.mark.parametrize("bias", [False, True], ids=["no-bias", "bias"])
@pytest.mark.parametrize(("N", "Mlat"), [(2, 5), (5, 3), (3, 3)])
def test_affine_pseudo_inverse_identities(N, Mlat, bias):
    obs = _affine(N, Mlat, bias=bias)
    B, b = obs.B.detach(), obs.b.detach()
    assert torch.linalg.matrix_rank(B) == min(N, Mlat)
    z = torch.randn(10, Mlat)
    torch.testing.assert_close(obs.decode(z), z @ B.T + b, rtol=0, atol=1e-14)
    pinv = torch.linalg.pinv(B)
    row = torch.randn(10, N) @ B  # in the row space of B
    torch.testing.assert_close(row @ (pinv @ B).T, row, rtol=0, atol=1e-12)
    z_back = obs.initial_state(obs.decode(z))
    if N >= Mlat:  # full column rank: B^+ B = I, the state comes back
        torch.testing.assert_close(z_back, z, rtol=0, atol=1e-12)
    else:  # the state's projection on the row space comes back
        torch.testing.assert_close(z_back, z @ (pinv @ B).T, rtol=0, atol=1e-12)
        x = torch.randn(10, N)  # full row rank: B B^+ = I, the data come back
        torch.testing.assert_close(obs.decode(obs.initial_state(x)), x, rtol=0, atol=1e-12)
    torch.testing.assert_close(obs.forcing_signal(obs.decode(z)), z_back, rtol=0, atol=1e-14)
    assert torch.equal(obs.forced, torch.ones(Mlat))
    assert isinstance(obs.b, torch.nn.Parameter) == bias
    assert obs.initial_state(torch.randn(2, 3, N)).shape == (2, 3, Mlat)


def test_affine_kaiming_normal_init():
    B = Affine(20, 50, seed=2).B.detach()
    assert float(B.std()) == pytest.approx((2 / 50) ** 0.5, rel=0.1)
    assert float(B.mean()) == pytest.approx(0.0, abs=0.03)


def test_affine_forcing_signal_has_no_gradient_but_the_initial_state_has():
    obs = Affine(3, 4, bias=True, seed=0)
    x = torch.randn(5, 3)
    forcing = obs.forcing_signal(x)
    assert not forcing.requires_grad and forcing.grad_fn is None
    start = obs.initial_state(x)
    assert start.requires_grad
    start.square().sum().backward()
    assert obs.B.grad.abs().sum() > 0 and obs.b.grad.abs().sum() > 0
    torch.testing.assert_close(forcing, start.detach(), rtol=0, atol=0)


@pytest.mark.parametrize("kind", ["identity", "affine"])
def test_numpy_twins_give_the_same_numbers(kind):
    obs = Identity(2, 4, seed=1) if kind == "identity" else _affine(3, 4, bias=True, seed=1)
    twin = obs.to_analysis()
    assert type(twin) is (IdentityObservation if kind == "identity" else AffineObservation)
    assert (twin.N, twin.M, twin.kind) == (obs.N, obs.M, kind)
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(2, 6, obs.N)), rng.normal(size=(2, 6, obs.M))
    for method, arg in [("decode", z), ("initial_state", x), ("forcing_signal", x)]:
        ours = getattr(obs, method)(torch.from_numpy(arg)).detach().numpy()
        np.testing.assert_allclose(getattr(twin, method)(arg), ours, rtol=1e-14, atol=1e-14)
    back = type(obs).from_analysis(twin)
    _assert_same_parameters(obs, back)


def test_numpy_affine_twin_by_hand():
    twin = AffineObservation(B=np.array([[2.0, 0.0], [0.0, 4.0], [0.0, 0.0]]), b=np.array([1.0, 0.0, 3.0]))
    assert twin.decode(np.array([1.0, 1.0])).tolist() == [3.0, 4.0, 3.0]
    assert twin.initial_state(np.array([3.0, 4.0, 7.0])).tolist() == [1.0, 1.0]  # least squares
    assert np.array_equal(AffineObservation(B=np.ones((1, 2))).b, np.zeros(1))
    assert IdentityObservation.zeros(2, 3).initial_state(np.array([1.0, 2.0])).tolist() == [1.0, 2.0, 0.0]


# ---------------------------------------------------------------- save and load


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("observation", ["identity", "affine", "affine-bias"])
@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip(kind, observation, dtype, tmp_path):
    latent = _randomise(_module(kind, dtype=dtype), seed=6)
    obs = (Identity(2, M, seed=2, dtype=dtype) if observation == "identity"
           else Affine(2, M, bias=observation == "affine-bias", seed=2, dtype=dtype))
    if observation == "affine-bias":
        with torch.no_grad():
            obs.b.copy_(torch.tensor([0.5, -1.25]))
    model = DSRModel(latent, obs)
    path = tmp_path / "model.npz"
    model.save(path)
    analysis = bw.load_model(path)
    assert analysis.kind == kind
    for name, value in analysis.parameters().items():
        assert np.array_equal(value, latent.arrays()[name])
    stored = load_observation(path)
    assert stored.kind == obs.kind
    for name, value in stored.parameters().items():
        assert np.array_equal(value, getattr(obs, name).detach().double().numpy())
    again = DSRModel.load(path, dtype=dtype)
    _assert_same_parameters(model, again)
    if observation != "identity":  # a nonzero stored b comes back as a learned bias
        assert isinstance(again.observation.b, torch.nn.Parameter) == (observation == "affine-bias")
    x = torch.randn(2, dtype=dtype)
    assert torch.equal(model.generate(x, 20), again.generate(x, 20))


def test_a_model_saved_without_observation_loads_with_the_identity(tmp_path):
    path = bw.save_model(_tent_embedded("plrnn"), tmp_path / "plain.npz")
    assert load_observation(path) is None
    model = DSRModel.load(path)
    assert isinstance(model.observation, Identity) and model.N == model.M == 3
    assert load_observation("example:tent") is None


# ---------------------------------------------------------------- regularisation and gradients


@pytest.mark.parametrize("kind", KINDS)
def test_regularisation_closed_form(kind):
    module = _randomise(_module(kind), seed=8)
    p = {k: v.detach().numpy() for k, v in module.named_parameters()}
    if kind in ("plrnn", "alrnn"):
        expected = np.sum((1 - p["A"]) ** 2) + np.sum(p["W"] ** 2) + np.sum(p["h"] ** 2)
    else:
        expected = (np.sum((1 - p["A"]) ** 2) + np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)
                    + np.sum(p["h1"] ** 2) + np.sum(p["h2"] ** 2))
    value = module.regularisation()
    assert value.shape == () and value.item() == pytest.approx(expected, rel=1e-14)
    value.backward()  # d/dA = -2 (1 - A), d/dX = 2 X for every other X
    torch.testing.assert_close(module.A.grad, -2 * (1 - module.A.detach()), rtol=1e-15, atol=0)
    for name, param in module.named_parameters():
        if name != "A":
            expected_grad = 2 * param.detach()
            if kind == "plrnn" and name == "W":
                expected_grad = expected_grad.clone().fill_diagonal_(0)
            torch.testing.assert_close(param.grad, expected_grad, rtol=1e-15, atol=0)


class _Generate(torch.nn.Module):
    def __init__(self, model, steps):
        super().__init__()
        self.model, self.steps = model, steps

    def forward(self, x):
        return self.model.generate(x, self.steps)


@pytest.mark.parametrize("observation", ["identity", "affine"])
@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_of_generate(kind, observation):
    model = build_model(kind, N=2, M=M, **WIDTH[kind], observation=observation, seed=2)
    _randomise(model.latent, seed=3)
    with torch.no_grad():
        model.latent.A.mul_(0.8)
    x1 = torch.tensor([0.7, -0.9])
    steps = 6
    # away from switching boundaries: every visited state is >= 1e-3 from every switching plane
    analysis = model.latent.to_analysis()
    z = analysis.trajectory(model.observation.initial_state(x1).detach().numpy(), steps - 1)
    assert np.abs(analysis.margins(z)).min() > 1e-3
    assert len({tuple(r) for r in analysis.region(z)}) >= 2
    wrapper = _Generate(model, steps)
    names = [n for n, _ in wrapper.named_parameters()]
    values = tuple(p.detach().clone().requires_grad_() for _, p in wrapper.named_parameters())

    def f(x, *params):
        return torch.func.functional_call(wrapper, dict(zip(names, params, strict=True)), (x,))

    assert torch.autograd.gradcheck(f, (x1.clone().requires_grad_(), *values), eps=1e-6, atol=1e-7)


# ---------------------------------------------------------------- error paths


def test_build_model_errors():
    with pytest.raises(ValueError, match=r"unknown model kind 'lstm'; expected one of \['alrnn'"):
        build_model("lstm", N=2, M=3)
    with pytest.raises(ValueError, match=r"unknown observation 'gaussian'; expected one of \['affine'"):
        build_model("plrnn", N=2, M=3, observation="gaussian")
    with pytest.raises(ValueError, match="`L` applies only to shallow PLRNNs; a plrnn has none"):
        build_model("plrnn", N=2, M=3, L=4)
    with pytest.raises(ValueError, match="`P` applies only to the ALRNN; a shplrnn has none"):
        build_model("shplrnn", N=2, M=3, L=4, P=1)
    with pytest.raises(ValueError, match="a shplrnn needs `L`"):
        build_model("shplrnn", N=2, M=3)
    with pytest.raises(ValueError, match="a clipped-shplrnn needs `L`"):
        build_model("clipped-shplrnn", N=2, M=3)
    with pytest.raises(ValueError, match=r"an? alrnn needs `P`"):
        build_model("alrnn", N=2, M=3)
    with pytest.raises(ValueError, match="`P` must be at most M = 3; got 4"):
        build_model("alrnn", N=2, M=3, P=4)
    with pytest.raises(ValueError, match="`P` must be an integer >= 0; got -1"):
        build_model("alrnn", N=2, M=3, P=-1)
    with pytest.raises(ValueError, match=r"needs M >= N .* got N = 4 observed dimensions and M = 3"):
        build_model("plrnn", N=4, M=3)
    build_model("plrnn", N=4, M=3, observation="affine")  # fine: B^+ maps 4 to 3
    for bad in (0, 2.5, "3", True, None):
        with pytest.raises(ValueError, match=r"`M` must be an integer >= 1; got"):
            build_model("plrnn", N=1, M=bad)
    with pytest.raises(ValueError, match="`L` must be an integer >= 1; got 0"):
        build_model("shplrnn", N=1, M=2, L=0)
    with pytest.raises(ValueError, match="`N` must be an integer >= 1; got 0"):
        build_model("plrnn", N=0, M=2, observation="affine")
    for bad in (-1, 1.5, True, "0", 2 ** 64):
        with pytest.raises(ValueError, match=r"`seed` must be an integer in \[0, 2\*\*64\); got"):
            build_model("plrnn", N=1, M=2, seed=bad)
    build_model("plrnn", N=1, M=2, seed=np.int64(3))


def test_module_constructor_errors():
    with pytest.raises(ValueError, match="`M` must be an integer >= 1; got 0"):
        PLRNN(0)
    with pytest.raises(ValueError, match=r"`seed` must be an integer in \[0, 2\*\*64\); got -2"):
        ShPLRNN(2, 3, seed=-2)
    with pytest.raises(TypeError, match=r"`generator` must be a torch\.Generator; got int"):
        ALRNN(2, 1, generator=3)
    with pytest.raises(ValueError, match="`P` must be at most M = 2; got 3"):
        ALRNN(2, 3)
    with pytest.raises(ValueError, match=r"`N` must be an integer >= 1; got 1\.0"):
        Identity(1.0, 2)
    with pytest.raises(ValueError, match="needs M >= N"):
        Identity(3, 2)


def test_from_analysis_errors():
    plrnn = bw.PLRNN(A=[0.5, 0.2], W=np.zeros((2, 2)), h=[0.0, 1.0])
    sh = bw.ShPLRNN(A=[0.5], W1=[[1.0]], W2=[[1.0]], h1=[0.0], h2=[0.0])
    with pytest.raises(TypeError, match="must be a bifwatch PLRNN to make a PLRNN module; got ShPLRNN"):
        PLRNN.from_analysis(sh)
    with pytest.raises(TypeError, match="must be a bifwatch ClippedShPLRNN to make a ClippedShPLRNN module; "
                                        "got ShPLRNN"):
        ClippedShPLRNN.from_analysis(sh)
    with pytest.raises(TypeError, match=r"must be a bifwatch ALRNN to make an? ALRNN module; got PLRNN"):
        ALRNN.from_analysis(plrnn)
    with pytest.raises(ValueError, match="PLRNN modules have phi = ReLU; `model` has a leaky slope"):
        PLRNN.from_analysis(bw.PLRNN(A=[0.5], W=[[1.0]], h=[0.0], slope=0.1))
    with pytest.raises(ValueError, match="ShPLRNN modules have phi = ReLU; `model` has a leaky slope"):
        DSRModel.from_analysis(bw.ShPLRNN(A=[0.5], W1=[[1.0]], W2=[[1.0]], h1=[0.0], h2=[0.0], slope=-0.2))
    full = bw.PLRNN(A=np.eye(2), W=np.zeros((2, 2)), h=[0.0, 0.0])
    with pytest.raises(ValueError, match=r"PLRNN modules have a diagonal A; `model` has a full \(M, M\) A"):
        PLRNN.from_analysis(full)
    with pytest.raises(ValueError, match=r"ALRNN modules have a diagonal A; `model` has a full"):
        ALRNN.from_analysis(bw.ALRNN(A=np.eye(2), W=np.zeros((2, 2)), h=[0.0, 0.0], P=1))
    relu_rnn = bw.ReLURNN(W=np.eye(2) * 0.5, b=np.zeros(2))
    with pytest.raises(ValueError, match=r"`model` must be one of the kinds \['alrnn', .*\]; got 'relu-rnn'"):
        DSRModel.from_analysis(relu_rnn)
    with pytest.raises(TypeError, match="`model` must be a bifwatch analysis model; got PLRNN"):
        DSRModel.from_analysis(PLRNN(2))  # the module, not its analysis twin
    with pytest.raises(TypeError, match="`observation` must be an IdentityObservation or AffineObservation; "
                                        "got Identity"):
        DSRModel.from_analysis(plrnn, Identity(2, 2))
    with pytest.raises(TypeError, match="must be an IdentityObservation; got AffineObservation"):
        Identity.from_analysis(AffineObservation(B=np.eye(2)))
    with pytest.raises(TypeError, match="must be an AffineObservation; got IdentityObservation"):
        Affine.from_analysis(IdentityObservation.zeros(2, 2))
    with pytest.raises(ValueError, match="maps to M = 3 latent units but `latent` has M = 2"):
        DSRModel.from_analysis(plrnn, IdentityObservation.zeros(1, 3))


def test_dsr_model_errors():
    with pytest.raises(ValueError, match="`observation` maps to M = 4 latent units but `latent` has M = 3"):
        DSRModel(PLRNN(3), Identity(2, 4))
    with pytest.raises(ValueError, match="maps to M = 2 latent units but `latent` has M = 3"):
        DSRModel(ShPLRNN(3, 2), Affine(5, 2))
    with pytest.raises(TypeError, match="`latent` must be a bifwatch latent module; got Linear"):
        DSRModel(torch.nn.Linear(3, 3), Identity(2, 3))
    with pytest.raises(TypeError, match="`observation` must be an Identity or Affine module; got PLRNN"):
        DSRModel(PLRNN(3), PLRNN(3))
    model = build_model("plrnn", N=2, M=3)
    for bad in (0, 1.5, -3):
        with pytest.raises(ValueError, match="`steps` must be an integer >= 1; got"):
            model.generate(torch.zeros(2), bad)


def _write(path, **members):
    np.savez(path, kind=np.array("plrnn"), A=np.array([0.5]), W=np.array([[0.0]]), h=np.array([1.0]),
             **{f"observation/{k}": v for k, v in members.items()})
    return path


def test_broken_stored_observations(tmp_path):
    cases = [
        ({"kind": np.array("gaussian"), "Lambda": np.zeros((0, 1))},
         r"stored observation kind must be one of \['affine', 'identity'\]; got 'gaussian'"),
        ({"Lambda": np.zeros((0, 1))}, r"stored observation kind must be one of .*; got ''"),
        ({"kind": np.array("affine")}, r"the stored affine observation has members \[\]"),
        ({"kind": np.array("affine"), "b": np.zeros(1)},
         r"the stored affine observation has members \['b'\]"),
        ({"kind": np.array("identity")}, r"the stored identity observation has members \[\]"),
        ({"kind": np.array("identity"), "Lambda": np.zeros((0, 1)), "B": np.eye(1)},
         r"the stored identity observation has members \['B', 'Lambda'\]"),
    ]
    for i, (members, message) in enumerate(cases):
        path = _write(tmp_path / f"broken{i}.npz", **members)
        assert bw.load_model(path).kind == "plrnn"  # the model itself is still readable
        with pytest.raises(ValueError, match=message) as info:
            load_observation(path)
        assert f"broken{i}.npz" in str(info.value)
        with pytest.raises(ValueError, match=message):
            DSRModel.load(path)
    path = _write(tmp_path / "wrong-M.npz", kind=np.array("identity"), Lambda=np.zeros((1, 1)))
    with pytest.raises(ValueError, match="maps to M = 2 latent units but `latent` has M = 1"):
        DSRModel.load(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_observation(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_observation(tmp_path)


def test_every_kind_has_a_module():
    assert set(LATENT_MODELS) == set(KINDS)
    for kind, cls in LATENT_MODELS.items():
        assert cls.kind == kind and cls.analysis.kind == kind
        assert cls.analysis is getattr(bw, cls.__name__)  # the twin has the same name
