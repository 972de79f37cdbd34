"""Exact slow points of piecewise-linear models (``exact_slow_points``), ``plot_speed`` and
``bifwatch ghost points``.

Where the truth comes from:

- closed forms: 1-D maps z -> a z + w relu(z) + h (and a two-kink shallow PLRNN) whose speed
  q = 1/2 (F(z) - z)^2 is written piece by piece by hand, so its local minima are known;
- a dense-sampling oracle that uses nothing but ``model.step``: q on a grid over a box holding
  every result, the grid's local minima refined by a derivative-free local minimiser (scipy's
  Nelder-Mead, then a pattern search on 2048 directions). The exact points are added as seeds too
  (with a tiny first step), so a reported point that is not a local minimum slides away and
  counts as extra. Oracle and exact sets must match one to one, on 40 seeded random 1-D and
  2-D models (PLRNN, ShPLRNN, ClippedShPLRNN, ReLURNN): nothing missed, nothing extra;
- ``find_cycles``: its order-1 cycles are the fixed points, found by a different method;
- invariants on every point: q from ``model.step``, the point in its region's closure, the
  Jacobian equal to ``affine_map`` of the region, and no lower q on small spheres around it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from cli_run import ok, usage_error

import bifwatch as bw
from bifwatch.plotting import plot_speed

# ----------------------------------------------------------------------------------------------
# helpers: the speed, random models, the sampling oracle


def speed(model, z) -> np.ndarray:
    """q(z) = 1/2 |F(z) - z|^2 with the true map, shape (..., M) -> (...)."""
    z = np.asarray(z, dtype=np.float64)
    return 0.5 * np.sum((model.step(z) - z) ** 2, axis=-1)


def random_model(family: str, M: int, seed: int):
    rng = np.random.default_rng([M, seed])
    A = rng.uniform(0.2, 1.0, M)
    if family == "plrnn":
        return bw.PLRNN(A=A, W=rng.normal(0, 0.8, (M, M)), h=rng.normal(0, 0.5, M))
    L = M + 2
    arrays = dict(A=A, W1=rng.normal(0, 0.8, (M, L)), W2=rng.normal(0, 1, (L, M)), h1=rng.normal(0, 0.5, M),
                  h2=rng.normal(0, 0.5, L))
    if family == "shplrnn":
        return bw.ShPLRNN(**arrays)
    if family == "clipped":
        return bw.ClippedShPLRNN(**arrays)
    return bw.ReLURNN(W=rng.normal(0, 0.9, (M, M)), b=rng.normal(0, 0.5, M))


ORACLE_MODELS = (
    [("plrnn", 1, s) for s in range(8)] + [("shplrnn", 1, s) for s in range(6)]
    + [("plrnn", 2, s) for s in range(10)] + [("shplrnn", 2, s) for s in range(10)]
    + [("clipped", 2, s) for s in range(3)] + [("relu", 2, s) for s in range(3)]
)
_ANGLES = np.linspace(0.0, 2 * np.pi, 2048, endpoint=False)
_DIRECTIONS = {1: np.array([[1.0], [-1.0]]), 2: np.c_[np.cos(_ANGLES), np.sin(_ANGLES)]}


def pattern_search(model, x: np.ndarray, step: float, *, floor: float, max_moves: int = 2000) -> np.ndarray:
    """Move to the lowest of x + step u (u on 2048 directions) while that lowers q, else halve the
    step, down to floor (1 + |x|)."""
    directions = _DIRECTIONS[x.size]
    fx = speed(model, x)
    for _ in range(max_moves):
        if step <= floor * (1 + np.abs(x).max()):
            break
        trial = x + step * directions
        ft = speed(model, trial)
        k = int(np.argmin(ft))
        if ft[k] < fx:
            x, fx, step = trial[k], ft[k], 2 * step
        else:
            step /= 2
    return x


def refine(model, x: np.ndarray, step: float, *, floor: float = 1e-13, scales=(1.0, 1e-3, 1e-6)):
    """Nelder-Mead (scipy) with shrinking simplices, each followed by the pattern search."""
    from scipy.optimize import minimize

    if x.size == 1:
        return pattern_search(model, x, step, floor=floor)
    for scale in scales:
        simplex = [x, x + np.array([scale * step, 0.0]), x + np.array([0.0, scale * step])]
        res = minimize(lambda y: float(speed(model, y)), x, method="Nelder-Mead",
                       options={"xatol": 1e-13, "fatol": 1e-26, "maxiter": 400, "initial_simplex": simplex})
        x = pattern_search(model, res.x, scale * step, floor=floor)
    return x


def grid_minima(model, R: float) -> tuple[np.ndarray, float]:
    """Local minima of q on a grid over [-R, R]^M (interior nodes not above any neighbour)."""
    n = 20001 if model.M == 1 else 241
    g = np.linspace(-R, R, n)
    if model.M == 1:
        q = speed(model, g[:, None])
        core = (q[1:-1] <= q[:-2]) & (q[1:-1] <= q[2:])
        return g[1:-1][core][:, None], g[1] - g[0]
    X, Y = np.meshgrid(g, g, indexing="ij")
    Q = speed(model, np.stack([X, Y], axis=-1))
    core = np.ones((n - 2, n - 2), dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                core &= Q[1:-1, 1:-1] <= Q[1 + di : n - 1 + di, 1 + dj : n - 1 + dj]
    i, j = np.nonzero(core)
    return np.c_[g[i + 1], g[j + 1]], g[1] - g[0]


def _distinct(points, rtol: float = 1e-3) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for x in points:
        if not any(np.linalg.norm(x - y) <= rtol * (1 + np.linalg.norm(y)) for y in out):
            out.append(x)
    return out


def sampling_oracle(model, R: float, seeds: np.ndarray) -> np.ndarray:
    """Distinct local minima of q reached from the grid minima and from ``seeds`` (tiny first step).

    Grid minima first descend roughly (pattern search to 1e-7), the distinct ends are then
    polished (Nelder-Mead and pattern search, to 1e-13)."""
    starts, h = grid_minima(model, R)
    rough = _distinct(pattern_search(model, x, h, floor=1e-7) for x in starts)
    polished = [refine(model, x, h) for x in rough]
    polished += [refine(model, x, 1e-6 * (1 + np.linalg.norm(x))) for x in seeds]
    return np.array(_distinct(polished)).reshape(-1, model.M)


def one_to_one(a: np.ndarray, b: np.ndarray, rtol: float) -> tuple[list[int], list[int]]:
    """Indices of a without a partner in b, and of b without one in a (greedy, distance rtol (1 + |x|))."""
    free_b = list(range(len(b)))
    missing = []
    for i, x in enumerate(a):
        near = [j for j in free_b if np.linalg.norm(b[j] - x) <= rtol * (1 + np.linalg.norm(x))]
        if near:
            free_b.remove(min(near, key=lambda j: np.linalg.norm(b[j] - x)))
        else:
            missing.append(i)
    return missing, free_b


# ----------------------------------------------------------------------------------------------
# closed forms in 1-D: F(z) - z = (a - 1) z + h for z <= 0 and (a + w - 1) z + h for z >= 0


@pytest.mark.parametrize(
    ("a", "w", "h"),
    [(0.5, 1.0, 0.1), (0.2, 1.5, 0.3), (1.5, -1.0, -0.2)],
    ids=["V-above", "V-above-steep", "Lambda-below"],
)
def test_ghost_at_the_kink(a, w, h):
    """F - z keeps one sign and |F - z| has its minimum |h| at the kink: one slow point, q = h^2/2."""
    sp = bw.exact_slow_points(bw.PLRNN(A=[a], W=[[w]], h=[h]))
    assert sp.kind.tolist() == ["slow"]
    assert sp.points[0, 0] == 0.0
    assert sp.q[0] == pytest.approx(h**2 / 2, rel=1e-14)
    # on the switching point the region is "off" (model.region's convention): J is the left slope a
    assert sp.regions.tolist() == [[False]] and sp.jacobians[0, 0, 0] == pytest.approx(a)
    assert "1 local minima" in sp.message and "not isolated" not in sp.message


def test_two_fixed_points_and_no_slow_point():
    """h < 0: zeros z = h / (1 - a) on the left and -h / (a + w - 1) on the right; the kink is a
    local maximum of q."""
    a, w, h = 0.5, 1.0, -0.1
    sp = bw.exact_slow_points(bw.PLRNN(A=[a], W=[[w]], h=[h]))
    assert sp.kind.tolist() == ["fixed", "fixed"]
    np.testing.assert_allclose(np.sort(sp.points[:, 0]), [h / (1 - a), -h / (a + w - 1)], rtol=1e-14)
    by_z = np.argsort(sp.points[:, 0])
    assert sp.stable[by_z].tolist() == [True, False]  # slopes 0.5 and 1.5
    assert np.all(sp.q < 1e-30)


def test_only_the_fixed_point():
    """F - z decreasing on both pieces: one zero, z = -h / (a + w - 1) = 1.25, and nothing else."""
    sp = bw.exact_slow_points(bw.PLRNN(A=[0.5], W=[[-0.3]], h=[1.0]))
    assert sp.kind.tolist() == ["fixed"]
    assert sp.points[0, 0] == pytest.approx(1.25, rel=1e-15)


def test_slow_point_and_fixed_point_with_two_kinks():
    """F(z) = 0.5 z + relu(z) - 1.5 relu(z - 1) + 0.2: F - z = -0.5 z + 0.2 (z <= 0),
    0.5 z + 0.2 (0 <= z <= 1), -(z - 1) + 0.7 (z >= 1). Minima: the kink 0 (q = 0.02) and the
    zero z = 1.7; the kink z = 1 is a local maximum."""
    model = bw.ShPLRNN(A=[0.5], W1=[[1.0, -1.5]], W2=[[1.0], [1.0]], h1=[0.2], h2=[0.0, -1.0])
    sp = bw.exact_slow_points(model)
    assert sp.kind.tolist() == ["fixed", "slow"]
    np.testing.assert_allclose(sp.points[:, 0], [1.7, 0.0], atol=1e-15)
    assert sp.q[1] == pytest.approx(0.02, rel=1e-14)
    assert sp.jacobians[0, 0, 0] == pytest.approx(0.0, abs=1e-15)  # slope 0.5 + 1 - 1.5: stable


def test_clipped_model_closed_form():
    """F(z) = 0.5 z + relu(z + 1) - relu(z): F - z = -0.5 z (z <= -1), 0.5 z + 1 (-1 <= z <= 0),
    1 - 0.5 z (z >= 0). Minima: the kink -1 (q = 1/8) and the zero 2."""
    model = bw.ClippedShPLRNN(A=[0.5], W1=[[1.0]], W2=[[1.0]], h1=[0.0], h2=[1.0])
    sp = bw.exact_slow_points(model)
    assert sp.kind.tolist() == ["fixed", "slow"]
    np.testing.assert_allclose(sp.points[:, 0], [2.0, -1.0], rtol=1e-15)
    assert sp.q[1] == pytest.approx(0.125, rel=1e-14)


# ----------------------------------------------------------------------------------------------
# the sampling oracle, both directions


def test_matches_the_dense_sampling_oracle():
    """On 40 seeded random 1-D and 2-D models: the oracle's local minima and the exact points
    match one to one (within 1e-3 relative; the exact q never above the oracle's)."""
    counts = {"fixed": 0, "slow": 0}
    for family, M, seed in ORACLE_MODELS:
        model = random_model(family, M, seed)
        sp = bw.exact_slow_points(model)
        fixed_cycles = [c.points[0] for c in bw.find_cycles(model, 1).cycles]
        extent = np.abs(np.vstack([sp.points, *fixed_cycles, np.zeros((1, M))])).max()
        oracle = sampling_oracle(model, 2.0 + 1.5 * extent, sp.points)
        missed, extra = one_to_one(oracle, sp.points, 1e-3)
        case = f"{family} M={M} seed={seed}: exact {sp.points.tolist()}, oracle {oracle.tolist()}"
        assert not missed and not extra, case
        for z, q in zip(sp.points, sp.q, strict=True):
            q_oracle = speed(model, oracle[np.argmin(np.linalg.norm(oracle - z, axis=1))])
            assert q <= q_oracle * (1 + 1e-9) + 1e-15 and q_oracle - q <= 1e-6 * (1 + q), case
        for kind in counts:
            counts[kind] += int(np.sum(sp.kind == kind))
    assert counts["slow"] >= 20 and counts["fixed"] >= 20, counts  # the test is not vacuous


@pytest.mark.parametrize(("family", "M"), [("plrnn", 3), ("plrnn", 4), ("shplrnn", 3), ("clipped", 3),
                                           ("relu", 3)])
def test_fixed_points_are_the_order_one_cycles(family, M):
    for seed in range(4):
        model = random_model(family, M, seed)
        sp = bw.exact_slow_points(model)
        cycles = bw.find_cycles(model, 1).cycles
        oracle = np.array([c.points[0] for c in cycles]).reshape(-1, M)
        missed, extra = one_to_one(oracle, sp.fixed.points, 1e-9)
        assert not missed and not extra, (seed, oracle, sp.fixed.points)
        for c in cycles:
            i = np.argmin(np.linalg.norm(sp.fixed.points - c.points[0], axis=1))
            assert np.array_equal(sp.fixed.regions[i], c.regions[0])


# ----------------------------------------------------------------------------------------------
# invariants


@pytest.mark.parametrize(("family", "M"), [("plrnn", 2), ("plrnn", 4), ("shplrnn", 3), ("clipped", 2),
                                           ("relu", 3)])
def test_invariants_of_every_point(family, M):
    rng = np.random.default_rng(7)
    u = rng.normal(size=(4000, M))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    for seed in range(3):
        model = random_model(family, M, seed)
        sp = bw.exact_slow_points(model)
        assert len(sp) and np.all(np.diff(sp.q) >= 0)
        np.testing.assert_allclose(sp.q, speed(model, sp.points), rtol=1e-12, atol=1e-28)
        assert np.array_equal(sp.kind == "fixed", sp.q <= sp.q_fixed)
        margins = model.margins(sp.points)
        scale = 1e-9 * (1 + np.linalg.norm(sp.points, axis=1, keepdims=True))
        assert np.all(np.where(sp.regions, margins >= -scale, margins <= scale))
        np.testing.assert_array_equal(sp.jacobians, model.affine_map(sp.regions)[0])
        for z, q in zip(sp.points, sp.q, strict=True):  # a local minimum: nothing lower nearby
            for radius in (1e-7, 1e-4):
                ring = speed(model, z + radius * (1 + np.linalg.norm(z)) * u)
                assert ring.min() >= q - 1e-12 * (1 + q), (seed, z, radius)


def test_alrnn_and_explicit_pool():
    model = bw.ALRNN(A=[0.5, 0.9], W=[[0.0, 1.0], [0.2, 0.1]], h=[0.3, -0.2], P=1)
    sp = bw.exact_slow_points(model, pool=bw.region_pool(model))
    cycles = bw.find_cycles(model, 1).cycles
    assert len(sp.fixed) == len(cycles)
    np.testing.assert_allclose(sp.q, speed(model, sp.points), atol=1e-28)


def test_sampled_pool_is_reported():
    model = random_model("shplrnn", 2, 0)
    pool = bw.region_pool(model)
    sampled = bw.RegionPool(pool.n_bits, pool.codes, False, "sampled")
    assert "sampled, not exact" in bw.exact_slow_points(model, pool=sampled).message


# ----------------------------------------------------------------------------------------------
# degenerate cases: J - I singular


@pytest.mark.parametrize(
    ("model", "q", "point"),
    [
        (bw.PLRNN(A=[1.0], W=[[0.0]], h=[0.0]), 0.0, [0.0]),  # the identity: every point fixed
        (bw.PLRNN(A=[1.0], W=[[0.0]], h=[1.0]), 0.5, [0.0]),  # F(z) = z + 1: q = 1/2 everywhere
        (bw.PLRNN(A=[1.0], W=[[0.5]], h=[1.0]), 0.5, [0.0]),  # q = 1/2 on z <= 0, rising for z > 0
        (bw.PLRNN(A=[1.0, 0.5], W=np.zeros((2, 2)), h=[0.0, 0.3]), 0.0, [0.0, 0.6]),  # line attractor
        (bw.PLRNN(A=[1.0, 0.5], W=np.zeros((2, 2)), h=[0.2, 0.3]), 0.02, [0.0, 0.6]),  # a line of slow points
        (bw.PLRNN(A=[0.0, 0.0], W=np.eye(2), h=[0.0, 0.0]), 0.0, [0.0, 0.0]),  # relu: fixed on a quadrant
    ],
    ids=["identity", "shift", "half-flat", "line-attractor", "slow-line", "fixed-quadrant"],
)
def test_flat_minima_give_the_least_norm_point_and_say_so(model, q, point):
    sp = bw.exact_slow_points(model)
    assert len(sp) == 1
    np.testing.assert_allclose(sp.points[0], point, atol=1e-14)
    assert sp.q[0] == pytest.approx(q, rel=1e-14, abs=1e-28)
    assert "1 not isolated" in sp.message


def test_flat_half_line_on_the_right():
    """F - z = 1 - 0.5 z > 1 on z < 0 and F - z = 1 on z >= 0 (slope exactly 1): q = 1/2 is the
    minimum on the whole half-line z >= 0, reported by its least-norm point 0."""
    sp = bw.exact_slow_points(bw.PLRNN(A=[0.5], W=[[0.5]], h=[1.0]))
    assert sp.points.tolist() == [[0.0]] and sp.q[0] == pytest.approx(0.5)
    assert "not isolated" in sp.message


def test_flat_half_line_next_to_lower_speed():
    """F - z = -0.5 z - 1 on z <= 0 (a fixed point at -2, and q < 1/2 just left of 0) and F - z = -1
    on z >= 0: every z > 0 is a (non-strict) local minimum with q = 1/2, but z = 0 is not. The
    point reported for the plateau is inside it (the least-norm point at distance 1/2 from 0)."""
    sp = bw.exact_slow_points(bw.PLRNN(A=[0.5], W=[[0.5]], h=[-1.0]))
    assert sp.kind.tolist() == ["fixed", "slow"]
    assert sp.points[0, 0] == pytest.approx(-2.0, rel=1e-15)
    assert sp.points[1, 0] == pytest.approx(0.5) and sp.q[1] == pytest.approx(0.5)
    assert "1 not isolated" in sp.message


# ----------------------------------------------------------------------------------------------
# bad input


class _NotAModel:
    M = 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"q_fixed": 0.0}, ValueError, r"`q_fixed` must be a finite number > 0; got 0.0"),
        ({"tol": float("nan")}, ValueError, r"`tol` must be a finite number > 0"),
        ({"atol": "1e-8"}, TypeError, r"`atol` must be a real number"),
        ({"max_regions": 0}, ValueError, r"max_regions"),
        ({"max_regions": 3}, ValueError, r"4 regions to search, more than `max_regions` = 3"),
        ({"pool": "all"}, TypeError, r"`pool` must be a RegionPool"),
        ({"pool": bw.RegionPool(3, None, True, "all")}, ValueError, r"length n_bits = 2; got 3"),
    ],
)
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        bw.exact_slow_points(random_model("plrnn", 2, 0), **kwargs)


def test_a_smooth_model_is_refused_with_a_pointer():
    accepted = r"PLRNN, ALRNN, ShPLRNN, ClippedShPLRNN, ReLURNN"
    pointer = r".*got _NotAModel.*PyTorch slow-point finder bifwatch.find_slow_points"
    with pytest.raises(TypeError, match=accepted + pointer):
        bw.exact_slow_points(_NotAModel())


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        bw.exact_slow_points(random_model("plrnn", 2, 0), 1e-20)


# ----------------------------------------------------------------------------------------------
# plot_speed


def _not_blank(path) -> bool:
    import matplotlib.image as mpimg

    image = mpimg.imread(path)[..., :3]
    return image.std() > 0.05 and len(np.unique(image.reshape(-1, 3), axis=0)) > 50


@pytest.mark.parametrize("M", [1, 2])
def test_plot_speed_draws_the_points(tmp_path, M):
    import matplotlib.pyplot as plt

    model = random_model("shplrnn", M, 1)
    sp = bw.exact_slow_points(model)
    ax = plot_speed(model, sp, resolution=60)
    assert sp.slow.q.size and all(f"q={q:.2g}" in [t.get_text() for t in ax.texts] for q in sp.slow.q)
    marked = np.concatenate([line.get_xdata() for line in ax.lines if line.get_linestyle() == "None"])
    np.testing.assert_allclose(np.sort(marked), np.sort(sp.points[:, 0]))
    ax.figure.savefig(tmp_path / "speed.png")
    plt.close(ax.figure)
    assert _not_blank(tmp_path / "speed.png")


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((random_model("plrnn", 3, 0),), {}, ValueError, r"M = 1 or 2; got M = 3.*table"),
        (("model",), {}, TypeError, r"`model` must be a bifwatch model"),
        ((random_model("plrnn", 2, 0), "points"), {}, TypeError, r"`points` must be a SlowPoints"),
        ((random_model("plrnn", 1, 0), bw.exact_slow_points(random_model("plrnn", 2, 0))), {}, ValueError,
         r"dimension M = 1"),
        ((random_model("plrnn", 2, 0),), {"bounds": (0, 1)}, ValueError, r"\(\(x_low, x_high\), \(y_low"),
        ((random_model("plrnn", 1, 0),), {"bounds": (1, 0)}, ValueError, r"low < high"),
        ((random_model("plrnn", 1, 0),), {"resolution": 2}, ValueError, r"`resolution` must be an integer"),
    ],
)
def test_plot_speed_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_speed(*args, **kwargs)


# ----------------------------------------------------------------------------------------------
# the command line


@pytest.fixture
def ghost_npz(tmp_path) -> str:
    path = tmp_path / "ghost.npz"
    np.savez(path, A=[0.5], W=[[1.0]], h=[0.1])
    return str(path)


def test_cli_table_and_json(capsys, tmp_path, ghost_npz):
    out_json = tmp_path / "points.json"
    out = ok(capsys, "ghost", "points", ghost_npz, "--json", str(out_json))
    lines = out.splitlines()
    assert lines[0] == f"{ghost_npz}: plrnn, M = 1, 1 switching units"
    assert lines[1].split()[:3] == ["#", "kind", "q"]
    assert lines[3].split()[:4] == ["0", "slow", "5.000e-03", "yes"]
    assert "1 local minima of q" in out and f"wrote {out_json}" in out
    data = json.loads(out_json.read_text())
    assert data["time"] == "discrete" and len(data["points"]) == 1
    assert data["points"][0]["point"] == [0.0] and data["points"][0]["q"] == pytest.approx(0.005)
    assert data["points"][0]["region"] == [0]


def test_cli_json_equals_the_library(capsys, tmp_path):
    path = tmp_path / "m.npz"
    model = random_model("shplrnn", 2, 3)
    np.savez(path, **model.parameters())
    out_json = tmp_path / "points.json"
    ok(capsys, "ghost", "points", str(path), "--json", str(out_json), "--max-rows", "1")
    assert json.loads(out_json.read_text()) == bw.exact_slow_points(model).to_dict()


def test_cli_max_rows(capsys):
    out = ok(capsys, "ghost", "points", "example:cycle39", "--max-rows", "1")
    assert "... 1 more (all of them in --json)" in out


@pytest.mark.parametrize("model", ["example:tent", "example:cycle42"])
def test_cli_plot(capsys, tmp_path, model):
    png = tmp_path / "speed.png"
    out = ok(capsys, "ghost", "points", model, "--plot", str(png))
    assert f"wrote {png}" in out and _not_blank(png)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("ghost", "points", "example:plrnn10", "--plot", "x.png"), r"--plot draws .* M = 1 or 2; .* M = 10"),
        (("ghost", "points", "missing.npz"), r"model file 'missing.npz' does not exist"),
        (("ghost", "points", "example:nope"), r"nope"),
        (("ghost", "points", "example:tent", "--max-rows", "0"), r"--max-rows: expected an integer >= 1"),
        (("ghost", "points", "example:tent", "--kind", "lstm"), r"--kind: invalid choice"),
        (("ghost", "points", "example:plrnn10", "--max-regions", "8"), r"1024 regions .* --max-regions"),
        (("ghost", "points"), r"required: MODEL"),
        (("ghost",), r"required"),
    ],
)
def test_cli_usage_errors(capsys, args, match):
    usage_error(capsys, *args, match=match)


def test_cli_does_not_import_torch(tmp_path):
    code = (
        "import sys\n"
        "from bifwatch.cli import main\n"
        f"status = main(['ghost', 'points', 'example:cycle42', '--plot', {str(tmp_path / 'a.png')!r}])\n"
        "assert status == 0\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr


def test_cli_examples_lists_the_bundled_models(capsys):
    out = ok(capsys, "examples")
    names = [line.split()[0] for line in out.splitlines()]
    assert names == [f"example:{name}" for name in bw.list_examples()] and "example:tent" in names
