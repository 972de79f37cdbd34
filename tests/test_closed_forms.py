"""The cycle search on maps whose cycles are known in closed form.

Where the truth comes from (STYLE.md, point 9 (a), (d)):

- the skew tent map z' = a_l z + mu (z <= 0), a_r z + mu (z > 0): fixed points and 2-cycles
  solved by hand (notes/cycles-and-bifurcations.md, section 7), and the bifurcations at
  a_r = +-1 that bound where they exist;
- the full tent map z' = 1 - s|z| (s >= 2), conjugate on its invariant set to the full shift on two
  symbols: exactly one periodic point per periodic itinerary, so the cycles of least period k are
  in one-to-one correspondence with the Lyndon words of length k, with multiplier +-s^k;
- a swap-symmetric 2-D PLRNN with a full A whose 2-cycle {p, Sp} solves a 2x2 linear system by
  Cramer's rule and has multipliers mu^2 for the eigenvalues mu of S J(p) (in the spirit of the
  paper's Fig. S7);
- maps that are monotone increasing with no fixed point, which have no cycles at all;
- the least-period rule of note 2.5: a shorter cycle traversed several times is never a k-cycle.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bifwatch import PLRNN, SCYFI, Exhaustive, ReLURNN, find_cycles

FINDERS = {"exhaustive": Exhaustive, "scyfi": SCYFI}
BOTH = pytest.mark.parametrize("finder", list(FINDERS), ids=list(FINDERS))


def one_d(a_l: float, a_r: float, mu: float) -> PLRNN:
    """z' = a_l z + mu for z <= 0 and a_r z + mu for z > 0, as a 1-D PLRNN."""
    return PLRNN(A=[a_l], W=[[a_r - a_l]], h=[mu])


def sorted_points(cycle) -> np.ndarray:
    return np.sort(cycle.points.ravel())


# --------------------------------------------------------------------------------------------
# The skew tent map (a_l = 0.2, mu = 1), note section 7
# --------------------------------------------------------------------------------------------

A_L = 0.2
TENT_SLOPES = [-2.0, -1.5, -1.2, -0.5, 0.0, 0.5, 0.9, 1.0, 1.5, 2.0]


@BOTH
@pytest.mark.parametrize("a_r", TENT_SLOPES, ids=[f"a_r={a:g}" for a in TENT_SLOPES])
def test_skew_tent_map(a_r, finder):
    """Fixed point 1/(1 - a_r) with multiplier a_r for a_r < 1; the 2-cycle
    z_R = (1 + a_l)/(1 - a_l a_r), z_L = (1 + a_r)/(1 - a_l a_r) with multiplier a_l a_r for
    a_r < -1; no other cycle of order <= 10, and nothing at all for a_r >= 1."""
    result = find_cycles(one_d(A_L, a_r, 1.0), 10, finder=FINDERS[finder](), seed=0)
    assert result.orders == list(range(1, 11))
    fixed, two = result.by_order(1), result.by_order(2)
    assert len(result.cycles) == len(fixed) + len(two), "a cycle of order 3..10"
    if a_r < 1:
        assert len(fixed) == 1
        assert fixed[0].points[0, 0] == pytest.approx(1 / (1 - a_r), rel=1e-12)
        assert fixed[0].multipliers[0] == pytest.approx(a_r, abs=1e-12)
        assert fixed[0].stable == (abs(a_r) < 1)
    else:
        assert fixed == []
    if a_r < -1:
        assert len(two) == 1
        z_r, z_l = (1 + A_L) / (1 - A_L * a_r), (1 + a_r) / (1 - A_L * a_r)
        np.testing.assert_allclose(sorted_points(two[0]), [z_l, z_r], rtol=1e-12)
        assert two[0].multipliers[0] == pytest.approx(A_L * a_r, rel=1e-12)
        assert two[0].stable  # |a_l a_r| <= 0.4
    else:
        assert two == []
    if finder == "exhaustive":
        assert result.complete


def test_skew_tent_example_point():
    """The note's example: a_r = -1.5 gives the 2-cycle {0.923, -0.385}."""
    (two,) = find_cycles(one_d(A_L, -1.5, 1.0), orders=[2]).cycles
    np.testing.assert_allclose(sorted_points(two), [-0.385, 0.923], atol=5e-4)


# --------------------------------------------------------------------------------------------
# General 1-D PLRNN: every fixed point and 2-cycle by hand
# --------------------------------------------------------------------------------------------


def closed_form_1d(a_l: float, a_r: float, mu: float) -> dict[int, list[tuple[np.ndarray, float]]]:
    """Cycles of order 1 and 2 of the 1-D map, as (sorted points, multiplier).

    Fixed points: mu / (1 - a) on a side, real when it lies on that side (z <= 0 left, z > 0
    right). A 2-cycle inside one side solves z = a (a z + mu) + mu, i.e. z = mu / (1 - a): the
    fixed point again. So every 2-cycle has one point per side: z_R = mu (1 + a_l) / (1 - a_l a_r),
    z_L = mu (1 + a_r) / (1 - a_l a_r), real when z_R > 0 and z_L <= 0, multiplier a_l a_r.
    """
    out: dict[int, list] = {1: [], 2: []}
    left, right = mu / (1 - a_l), mu / (1 - a_r)
    if left <= 0:
        out[1].append((np.array([left]), a_l))
    if right > 0:
        out[1].append((np.array([right]), a_r))
    z_r, z_l = mu * (1 + a_l) / (1 - a_l * a_r), mu * (1 + a_r) / (1 - a_l * a_r)
    if z_r > 0 and z_l <= 0:
        out[2].append((np.array([z_l, z_r]), a_l * a_r))
    return out


def random_1d_maps(n: int, seed: int = 0) -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(seed)
    slopes = rng.uniform(-3.0, 3.0, size=(n, 2))
    mus = rng.uniform(0.2, 2.0, size=n) * rng.choice([-1.0, 1.0], size=n)
    return [(float(a), float(b), float(m)) for (a, b), m in zip(slopes, mus, strict=True)]


ONE_D = random_1d_maps(60)


@BOTH
def test_random_1d_plrnn_fixed_points_and_two_cycles(finder):
    kinds = set()
    for a_l, a_r, mu in ONE_D:
        expected = closed_form_1d(a_l, a_r, mu)
        result = find_cycles(one_d(a_l, a_r, mu), 2, finder=FINDERS[finder](), seed=0)
        label = f"a_l={a_l}, a_r={a_r}, mu={mu}"
        for k in (1, 2):
            got = sorted(result.by_order(k), key=lambda c: c.points.min())
            want = sorted(expected[k], key=lambda e: e[0].min())
            assert len(got) == len(want), f"{label}: order {k}: {len(got)} cycles, expected {len(want)}"
            for cycle, (points, multiplier) in zip(got, want, strict=True):
                np.testing.assert_allclose(sorted_points(cycle), points, rtol=1e-10, err_msg=label)
                assert cycle.multipliers[0] == pytest.approx(multiplier, rel=1e-10), label
                assert cycle.stable == (abs(multiplier) < 1), label
        kinds.add((len(expected[1]), len(expected[2])))
    # the draws cover no cycles, one and two fixed points (one per side), with and without 2-cycles
    assert {(0, 0), (1, 0), (2, 0), (1, 1)} <= kinds


# --------------------------------------------------------------------------------------------
# Full tent map: the cycles are the Lyndon words
# --------------------------------------------------------------------------------------------


def lyndon_words(k: int) -> set[tuple[bool, ...]]:
    """Binary words of length k strictly smaller than all their proper rotations (by definition)."""
    words = set()
    for word in itertools.product([False, True], repeat=k):
        if all(word < word[r:] + word[:r] for r in range(1, k)):
            words.add(word)
    return words


def canonical_itinerary(cycle) -> tuple[bool, ...]:
    word = tuple(bool(b) for b in cycle.regions[:, 0])
    return min(word[r:] + word[:r] for r in range(len(word)))


@pytest.mark.parametrize("s", [2.0, 3.0, 4.0], ids=["s=2", "s=3", "s=4"])
def test_full_tent_map_has_one_cycle_per_lyndon_word(s):
    """z' = 1 - s|z|: for every order k <= 8 the itineraries of the cycles found are exactly the
    Lyndon words of length k (1 + (-1)... : 2, 1, 2, 3, 6, 9, 18, 30 cycles), each with multiplier
    s^k times (-1)^(number of right-branch points), so all unstable.

    With s = 4 the multipliers reach 4^8 = 65536: the cycles are strongly repelling but perfectly
    well-conditioned (I - P is a nonzero scalar far from 0)."""
    result = find_cycles(one_d(s, -s, 1.0), 8, finder=Exhaustive())
    for k in range(1, 9):
        cycles = result.by_order(k)
        words = [canonical_itinerary(c) for c in cycles]
        assert len(set(words)) == len(words)
        missing = lyndon_words(k) - set(words)
        rejected = result.stats[k - 1].rejected
        assert not missing, f"order {k}: {len(missing)} of {len(lyndon_words(k))} cycles missing ({rejected})"
        assert set(words) == lyndon_words(k)
        for c in cycles:
            right = int(c.regions[:, 0].sum())
            assert c.multipliers[0].real == pytest.approx((-1) ** right * s**k, rel=1e-9)
            assert not c.stable


# --------------------------------------------------------------------------------------------
# A 2-D PLRNN with a full A and a closed-form 2-cycle (cf. the paper's Fig. S7)
# --------------------------------------------------------------------------------------------

B, W_SELF, W_CROSS, C = 0.3, -2.0, 0.5, 1.0
SWEEP = np.linspace(0.0, 1.0, 25)  # the cycle exists for a > 1 - sqrt(1.14) = -0.068


def swap_model(a: float) -> PLRNN:
    """A = [[a, b], [b, a]], W = [[w, x], [x, w]], h = (c, c): the map commutes with the swap S."""
    return PLRNN(A=[[a, B], [B, a]], W=[[W_SELF, W_CROSS], [W_CROSS, W_SELF]], h=[C, C])


def swap_cycle(a: float) -> tuple[np.ndarray, np.ndarray]:
    """The 2-cycle {p, S p} with p = (r, -s), r, s > 0, and its multipliers.

    With relu(p) = (r, 0), F(p) = S p = (-s, r) reads
        (a + w) r + (1 - b) s = -c,    (b + x - 1) r - a s = -c,
    so by Cramer's rule, with Delta = -(a + w) a - (1 - b)(b + x - 1),
        r = c (a + 1 - b) / Delta,     s = c (b + x - 1 - a - w) / Delta.
    F(S p) = S F(p) = p closes the cycle. With J(p) = [[a + w, b], [b + x, a]] and
    J(S p) = S J(p) S, the monodromy is (S J(p))^2, so the multipliers are mu^2 for the roots mu of
    mu^2 - (2b + x) mu + b (b + x) - a (a + w) = 0.
    """
    b, w, x, c = B, W_SELF, W_CROSS, C
    delta = -(a + w) * a - (1 - b) * (b + x - 1)
    r, s = c * (a + 1 - b) / delta, c * (b + x - 1 - a - w) / delta
    assert r > 0 and s > 0, "the sweep must stay where the cycle exists"
    mu = np.roots([1.0, -(2 * b + x), b * (b + x) - a * (a + w)])
    return np.array([[r, -s], [-s, r]]), mu.astype(complex) ** 2


@BOTH
def test_two_d_closed_form_two_cycle(finder):
    stable = []
    for a in SWEEP:
        points, multipliers = swap_cycle(a)
        result = find_cycles(swap_model(a), 2, finder=FINDERS[finder](), seed=0)
        matches = [
            c
            for c in result.by_order(2)
            if any(
                np.allclose(np.roll(c.points, r, axis=0), points, rtol=1e-10, atol=1e-12) for r in range(2)
            )
        ]
        assert len(matches) == 1, f"a = {a}: the closed-form 2-cycle {points.tolist()} was not found once"
        (cycle,) = matches
        got, want = np.sort_complex(cycle.multipliers), np.sort_complex(multipliers)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"a = {a}")
        assert cycle.stable == bool(np.all(np.abs(multipliers) < 1))
        stable.append(cycle.stable)
        assert [list(map(bool, d)) for d in cycle.regions] in (
            [[True, False], [False, True]],
            [[False, True], [True, False]],
        )
    assert any(stable) and not all(stable), "the sweep crosses the stability boundary"


# --------------------------------------------------------------------------------------------
# Least period (note 2.5): a 2-cycle traversed twice is never a 4-cycle
# --------------------------------------------------------------------------------------------

PITFALL_MODELS = {
    "skew-tent": one_d(A_L, -1.5, 1.0),  # fixed point + 2-cycle, nothing of order 4
    "full-tent": one_d(2.0, -2.0, 1.0),  # 2 fixed points, 1 two-cycle, 3 four-cycles
    "swap-2d": swap_model(0.5),  # has the closed-form 2-cycle
}
FOUR_CYCLES = {"skew-tent": 0, "full-tent": 3}


@pytest.mark.parametrize("finder", ["exhaustive", "scyfi", "auto"])
@pytest.mark.parametrize("name", list(PITFALL_MODELS))
def test_order_four_alone_never_reports_a_two_cycle_twice(name, finder):
    model = PITFALL_MODELS[name]
    make = FINDERS.get(finder, lambda: None)
    only4 = find_cycles(model, orders=[4], finder=make(), seed=0)
    assert only4.orders == [4]
    for cycle in only4.cycles:
        assert cycle.order == 4
        z = cycle.points
        assert np.abs(z[2] - z[0]).max() > 1e-6 and np.abs(z[1] - z[0]).max() > 1e-6, "least period < 4"
    if name in FOUR_CYCLES:
        assert len(only4.cycles) == FOUR_CYCLES[name]
    with_two = find_cycles(model, orders=[2, 4], finder=make(), seed=0)
    assert with_two.orders == [2, 4]
    assert len(with_two.by_order(4)) == len(only4.cycles)
    two = with_two.by_order(2)
    assert len(two) >= 1 and all(c.order == 2 and np.abs(c.points[1] - c.points[0]).max() > 1e-6 for c in two)
    if name == "skew-tent":
        np.testing.assert_allclose(sorted_points(two[0]), [-0.5 / 1.3, 1.2 / 1.3], rtol=1e-12)
        assert with_two.by_order(1) == []  # order 1 was not asked for, though a fixed point exists


# --------------------------------------------------------------------------------------------
# Maps without any cycle
# --------------------------------------------------------------------------------------------

NO_CYCLES = {
    # decoupled, each coordinate z' = 0.5 z + h (z <= 0), 1.5 z + h (z > 0) with h > 0: increasing,
    # and its fixed points 2h > 0 and -2h < 0 lie on the wrong sides
    "plrnn-2d": PLRNN(A=[0.5, 0.5], W=[[1.0, 0.0], [0.0, 1.0]], h=[1.0, 0.5]),
    # z' = relu(2 z + 1) is nondecreasing and z' > z everywhere
    "relu-rnn-1d": ReLURNN(W=[[2.0]], b=[1.0]),
    # the skew tent map beyond its border-collision at a_r = 1: orbits diverge
    "tent-a_r=1.5": one_d(A_L, 1.5, 1.0),
}


@pytest.mark.parametrize("finder", ["exhaustive", "scyfi", "auto"])
@pytest.mark.parametrize("name", list(NO_CYCLES))
def test_map_without_cycles(name, finder):
    """A nondecreasing 1-D map has no cycle other than its fixed points (an orbit of one can only
    be monotone), and it has none; products of such maps inherit this coordinatewise."""
    result = find_cycles(NO_CYCLES[name], 6, finder=FINDERS.get(finder, lambda: None)(), seed=0)
    assert len(result.cycles) == 0
    assert [s.n_cycles for s in result.stats] == [0] * 6
    assert all(s.solves > 0 and s.message for s in result.stats)
    if finder == "exhaustive":
        assert result.complete
