"""The cycle search against a brute-force oracle, plus invariants every returned cycle must keep.

Where the truth comes from (STYLE.md, point 9):

- (c) ``tests/oracle.py`` enumerates *all* region sequences of tiny models (every code at every
  step, one ``np.linalg.solve`` each) and keeps the self-consistent solutions. It uses only the
  model's ``step``/``region``/``affine_map``, never bifwatch's search code. Every search mode must
  return exactly the oracle's cycles: nothing missed, nothing extra, same orders, same stability,
  same multipliers (as a multiset), same region sequences.
- (b) invariants that need no ground truth: F^k(z_1) = z_1 with the true map, least period k,
  ``regions == model.region(points)``, orbit order, multipliers = eigenvalues of the product of
  region Jacobians (and of a finite-difference Jacobian of F^k), ``stable`` = all |m| < 1, the
  Lyapunov exponent, stable cycles attracting nearby orbits, determinism in the seed.
- Witt's necklace formula for the number of systems an exhaustive search solves.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import oracle  # a plain helper module next to this file
import pytest
from scipy.optimize import linear_sum_assignment

from bifwatch import (
    ALRNN,
    PLRNN,
    SCYFI,
    ClippedShPLRNN,
    Exhaustive,
    ReLURNN,
    ShPLRNN,
    find_cycles,
    region_pool,
    same_cycle,
)

#: Two points are the same when they differ by at most this, times 1 + |z|.
POINT_TOL = 1e-7


# --------------------------------------------------------------------------------------------
# The test set: seeded random models of every kind
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A seeded random model and the orders 1..K the oracle can afford for it.

    ``L`` is the number of hidden units (shallow models) or the number P of rectified units
    (ALRNN). Weights are scaled by ``scale`` so that the maps are expanding enough to have several
    cycles, unstable ones and cycles of order >= 2 among them.
    """

    kind: str
    M: int
    K: int
    seed: int
    L: int = 0
    scale: float = 3.0

    @property
    def id(self) -> str:
        hidden = {"shplrnn": f"L{self.L}", "clipped": f"L{self.L}", "alrnn": f"P{self.L}"}.get(self.kind, "")
        gain = "" if self.scale == 3.0 else f"-x{self.scale:g}"
        return f"{self.kind}-M{self.M}{hidden}-K{self.K}-s{self.seed}{gain}"


def build(case: Case):
    """The model of ``case``, drawn from ``np.random.default_rng(case.seed)``."""
    rng = np.random.default_rng(case.seed)
    M, L, s = case.M, case.L, case.scale
    if case.kind == "plrnn-diag":
        A, W = rng.uniform(-0.9, 0.9, M), s * rng.normal(size=(M, M)) / np.sqrt(M)
        return PLRNN(A=A, W=W, h=rng.normal(size=M))
    if case.kind == "plrnn-full":
        A = 0.9 * rng.normal(size=(M, M)) / np.sqrt(M)
        return PLRNN(A=A, W=s * rng.normal(size=(M, M)) / np.sqrt(M), h=rng.normal(size=M))
    if case.kind == "plrnn-leaky":
        A, W, h = rng.uniform(-0.9, 0.9, M), s * rng.normal(size=(M, M)) / np.sqrt(M), rng.normal(size=M)
        return PLRNN(A=A, W=W, h=h, slope=float(rng.uniform(-0.5, 0.5)))
    if case.kind in ("shplrnn", "clipped"):
        cls = ShPLRNN if case.kind == "shplrnn" else ClippedShPLRNN
        A, W1 = rng.uniform(-0.9, 0.9, M), s * rng.normal(size=(M, L)) / np.sqrt(L)
        return cls(A=A, W1=W1, W2=rng.normal(size=(L, M)), h1=rng.normal(size=M), h2=rng.normal(size=L))
    if case.kind == "alrnn":
        A, W = rng.uniform(-0.9, 0.9, M), s * rng.normal(size=(M, M)) / np.sqrt(M)
        return ALRNN(A=A, W=W, h=rng.normal(size=M), P=L)
    if case.kind == "relu-rnn":
        return ReLURNN(W=s * rng.normal(size=(M, M)) / np.sqrt(M), b=rng.normal(size=M))
    raise ValueError(case.kind)


# Seeds were picked among the first 30 draws of each configuration for having cycles of order
# >= 2 (plus a few plain draws); test_the_test_set_is_not_vacuous re-checks what that buys.
CASES = [
    Case("plrnn-diag", M=1, K=8, seed=13),
    Case("plrnn-diag", M=2, K=5, seed=19),
    Case("plrnn-diag", M=2, K=4, seed=0),
    Case("plrnn-diag", M=3, K=3, seed=2),
    Case("plrnn-diag", M=4, K=3, seed=4),
    Case("plrnn-diag", M=4, K=2, seed=1),
    Case("plrnn-full", M=2, K=5, seed=22),
    Case("plrnn-full", M=2, K=4, seed=3),
    Case("plrnn-full", M=3, K=5, seed=17),  # order 5 is too big for the auto mode's exhaustive search
    Case("plrnn-leaky", M=2, K=4, seed=22),
    Case("plrnn-leaky", M=2, K=4, seed=9),
    Case("plrnn-leaky", M=3, K=3, seed=12),
    Case("shplrnn", M=1, L=3, K=4, seed=13),
    Case("shplrnn", M=2, L=3, K=3, seed=23),
    Case("shplrnn", M=2, L=5, K=2, seed=19),
    Case("shplrnn", M=3, L=4, K=2, seed=0),
    Case("clipped", M=1, L=2, K=3, seed=4),
    Case("clipped", M=2, L=2, K=3, seed=13),
    Case("clipped", M=3, L=3, K=2, seed=4),
    Case("alrnn", M=2, L=1, K=5, seed=23),
    Case("alrnn", M=3, L=2, K=3, seed=19),
    Case("alrnn", M=4, L=2, K=3, seed=0),
    Case("relu-rnn", M=2, K=4, seed=5),
    Case("relu-rnn", M=2, K=4, seed=18),
    Case("relu-rnn", M=3, K=3, seed=4),
    Case("relu-rnn", M=3, K=3, seed=8),
    # weaker coupling: stable cycles of order >= 2
    Case("plrnn-diag", M=2, K=4, seed=9, scale=1.5),
    Case("plrnn-full", M=2, K=4, seed=11, scale=1.5),
    Case("plrnn-leaky", M=2, K=4, seed=25, scale=1.5),
    Case("shplrnn", M=2, L=3, K=3, seed=31, scale=1.5),
    Case("shplrnn", M=2, L=3, K=3, seed=32, scale=1.5),
    Case("clipped", M=2, L=2, K=2, seed=12, scale=2.0),
    Case("alrnn", M=3, L=2, K=3, seed=1, scale=1.5),
    Case("relu-rnn", M=2, K=4, seed=17, scale=1.5),
]
IDS = [case.id for case in CASES]


@functools.cache
def model_of(case: Case):
    return build(case)


@functools.cache
def truth(case: Case) -> dict[int, list[oracle.OracleCycle]]:
    """The oracle's cycles of least period 1..K."""
    return oracle.oracle_search(model_of(case), range(1, case.K + 1))


FINDERS = {"exhaustive": Exhaustive, "scyfi": SCYFI, "auto": lambda: None}


@functools.cache
def search(case: Case, mode: str, seed: int = 0):
    return find_cycles(model_of(case), case.K, finder=FINDERS[mode](), seed=seed)


# --------------------------------------------------------------------------------------------
# Comparison helpers
# --------------------------------------------------------------------------------------------


def tol(*arrays: np.ndarray) -> float:
    return POINT_TOL * (1.0 + max(float(np.max(np.abs(a))) for a in arrays))


def phase(a: np.ndarray, b: np.ndarray) -> int | None:
    """The r with roll(a, -r) == b (same cycle in another phase), or None."""
    if a.shape != b.shape:
        return None
    for r in range(a.shape[0]):
        if np.max(np.abs(np.roll(a, -r, axis=0) - b)) <= tol(a, b):
            return r
    return None


def same_multiset(a: np.ndarray, b: np.ndarray, rtol: float = 1e-7) -> bool:
    """Whether two lists of complex numbers are equal up to ordering (optimal matching)."""
    if len(a) != len(b):
        return False
    cost = np.abs(np.asarray(a)[:, None] - np.asarray(b)[None, :])
    rows, cols = linear_sum_assignment(cost)
    return bool(np.all(cost[rows, cols] <= rtol * (1.0 + np.abs(np.asarray(a)[rows]))))


def describe(cycles) -> str:
    text = [f"k={c.points.shape[0]} z1={np.round(c.points[0], 6).tolist()}" for c in cycles]
    return "; ".join(text) or "none"


def assert_matches_oracle(expected: dict[int, list], result, orders) -> None:
    """Two-way equality of the result's cycles and the oracle's, order by order."""
    assert result.orders == sorted(orders)
    assert {c.order for c in result.cycles} <= set(orders), "a cycle filed under an order not searched"
    for k in orders:
        want, got = expected[k], result.by_order(k)
        unmatched = list(got)
        missed = []
        for w in want:
            match = next((g for g in unmatched if phase(w.points, g.points) is not None), None)
            if match is None:
                missed.append(w)
                continue
            unmatched.remove(match)
            r = phase(w.points, match.points)
            assert np.array_equal(np.roll(w.regions, -r, axis=0), match.regions), f"order {k}: regions differ"
            assert match.stable == w.stable, f"order {k}: stability differs at z1={match.points[0]}"
            assert same_multiset(w.multipliers, match.multipliers), (
                f"order {k}: multipliers {np.sort_complex(match.multipliers)} "
                f"!= {np.sort_complex(w.multipliers)}"
            )
        assert not missed, f"order {k}: missed {describe(missed)}"
        assert not unmatched, f"order {k}: extra (not in the oracle) {describe(unmatched)}"
        assert len(got) == len(want)


def assert_cycle_invariants(model, cycle) -> None:
    """Invariants of one returned cycle that follow from the definitions alone."""
    k, z = cycle.order, cycle.points
    assert z.shape == (k, model.M) and cycle.regions.shape == (k, model.n_bits)
    P = oracle.monodromy(model, cycle.regions)
    # Iterating the map amplifies the rounding error of z_1 by up to |P|: allow for it.
    closing_tol = 1e-10 * (1.0 + np.max(np.abs(z))) * max(1.0, np.linalg.norm(P, 2) / 100)
    closing = model.trajectory(z[0], k)[-1]
    assert np.max(np.abs(closing - z[0])) <= closing_tol, "F^k(z_1) != z_1"
    assert np.allclose(model.step(z[:-1]), z[1:], rtol=0, atol=1e-10 * (1.0 + np.max(np.abs(z)))), (
        "points are not in orbit order"
    )
    for j in range(1, k):
        if k % j == 0:
            assert np.max(np.abs(z[j] - z[0])) > tol(z), f"least period is {j}, not {k}"
    assert np.array_equal(cycle.regions, model.region(z)), "regions != model.region(points)"
    assert same_multiset(np.linalg.eigvals(P), cycle.multipliers), "multipliers != eig(J_k ... J_1)"
    moduli = np.abs(cycle.multipliers)
    assert cycle.stable == bool(np.all(moduli < 1.0))
    assert cycle.hyperbolic  # generic random models sit at no bifurcation
    expected_kind = "stable" if np.all(moduli < 1) else "unstable" if np.all(moduli > 1) else "saddle"
    assert cycle.classification.split()[0] == expected_kind
    if moduli.max() > 0:
        assert math.isclose(cycle.lyapunov_exponent, np.log(moduli.max()) / k, rel_tol=1e-12, abs_tol=1e-12)
    else:  # superstable: every multiplier is 0 (e.g. a ReLU RNN with all units off)
        assert cycle.lyapunov_exponent == -np.inf
    assert cycle.residual <= closing_tol


def assert_result_invariants(result) -> None:
    model = result.model
    for cycle in result.cycles:
        assert_cycle_invariants(model, cycle)
    for k in result.orders:
        cycles = result.by_order(k)
        for i, a in enumerate(cycles):
            for b in cycles[i + 1 :]:
                assert not same_cycle(a, b), f"order {k}: a cycle is listed twice"


# --------------------------------------------------------------------------------------------
# The oracle against each search mode
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_exhaustive_equals_oracle(case):
    result = search(case, "exhaustive")
    assert [s.method for s in result.stats] == ["exhaustive"] * case.K
    assert result.complete and all(s.complete for s in result.stats)
    assert_result_invariants(result)
    assert_matches_oracle(truth(case), result, range(1, case.K + 1))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_scyfi_equals_oracle(case):
    result = search(case, "scyfi")
    assert [s.method for s in result.stats] == ["heuristic"] * case.K
    assert not result.complete and not any(s.complete for s in result.stats)
    assert all(s.solves > 0 and s.chains > 0 and s.message for s in result.stats)
    assert_result_invariants(result)
    assert_matches_oracle(truth(case), result, range(1, case.K + 1))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_auto_equals_oracle(case):
    result = search(case, "auto")
    for s in result.stats:
        assert s.method in ("exhaustive", "heuristic")
        assert s.complete == (s.method == "exhaustive")
    assert result.complete == all(s.method == "exhaustive" for s in result.stats)
    assert_result_invariants(result)
    assert_matches_oracle(truth(case), result, range(1, case.K + 1))


RICH = [  # the cases with the most cycles
    Case("plrnn-leaky", M=2, K=4, seed=22),
    Case("plrnn-full", M=2, K=5, seed=22),
    Case("shplrnn", M=1, L=3, K=4, seed=13),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("case", RICH, ids=[c.id for c in RICH])
def test_scyfi_finds_everything_for_other_seeds_too(case, seed):
    """The default budgets are not tuned to seed 0: other seeds find the same complete set."""
    result = find_cycles(model_of(case), case.K, finder=SCYFI(), seed=seed)
    assert_matches_oracle(truth(case), result, range(1, case.K + 1))


def test_auto_mode_uses_both_methods():
    """The default picks the exhaustive search where it is cheap and SCYFI where it is not.

    Tiny oracle models are all cheap to enumerate; a 10-D PLRNN has 2^10 fixed-point regions
    (cheap) but 2^20 / 2 order-2 necklaces (dearer than the heuristic's budget).
    """
    import bifwatch as bw

    assert {s.method for case in CASES for s in search(case, "auto").stats} == {"exhaustive"}
    stats = find_cycles(bw.load_model("example:plrnn10"), 2, seed=0).stats
    assert [(s.method, s.complete) for s in stats] == [("exhaustive", True), ("heuristic", False)]


def test_auto_choice_is_the_old_float_formula():
    """The choice between the searches is exactly the one made before the cost checks existed
    (commit 46d2a14: ``float(N) ** k / k <= heuristic_cost(patience, k)``), now in exact integers.

    Truth: the old formula, written here; where it overflowed a float the old code failed, so
    there is nothing to keep. Also, at the boundary itself: the exact count compared with an
    integer limit H gives N^k / k <= H (a floor, N^k // k, said "yes" for H < N^k / k < H + 1).
    """
    from types import SimpleNamespace

    from bifwatch.search._cost import necklace_count
    from bifwatch.search._find import _choose, heuristic_cost

    def old_choice(N, k, M):
        patience = SCYFI().budget(M, k, N)[0]
        return "exhaustive" if float(N) ** k / k <= heuristic_cost(patience, k) else "heuristic"

    checked = set()
    for N in [*range(1, 70), 100, 255, 256, 1000, 1024, 4096, 65536, 10**6]:
        for k in range(1, 41):
            for M in (1, 2, 5, 10, 64):
                try:
                    expected = old_choice(N, k, M)
                except OverflowError:
                    continue
                pool = SimpleNamespace(exact=True, size=N)
                assert _choose(SimpleNamespace(M=M), k, None, pool) == expected, (N, k, M)
                checked.add(expected)
    assert checked == {"exhaustive", "heuristic"}
    for N in range(1, 40):
        for k in range(1, 12):
            exact = N**k / k if N**k < 2**53 else None
            for H in {N**k // k - 1, N**k // k, N**k // k + 1}:
                assert (necklace_count(N, k) <= H) == (N**k <= H * k), (N, k, H)
                if exact is not None:
                    assert (necklace_count(N, k) <= H) == (exact <= H)


def test_finder_reprs_are_the_store_specs_of_before():
    """A diagram or map store records ``repr(finder)`` in its spec: the defaults must keep the
    reprs they had before ``max_solves`` was added (commit 46d2a14), or old stores stop resuming."""
    assert repr(Exhaustive()) == "Exhaustive(chunk=16384)"
    assert repr(Exhaustive(max_solves=None)) == "Exhaustive(chunk=16384)"  # it never changes a result
    assert repr(Exhaustive(chunk=8)) == "Exhaustive(chunk=8)"
    assert repr(SCYFI()) == "SCYFI(patience=None, max_inner=None, max_solves=None, batch=None)"


SUBSET_CASES = [c for c in CASES if c.K >= 3][::2]


@pytest.mark.parametrize("mode", ["exhaustive", "scyfi"])
@pytest.mark.parametrize("case", SUBSET_CASES, ids=[c.id for c in SUBSET_CASES])
def test_order_subset_equals_oracle(case, mode):
    """Searching only the top order (its divisors skipped) still gives exactly its least-period
    cycles: a fixed point or shorter cycle is never reported as a K-cycle."""
    result = find_cycles(model_of(case), orders=[case.K], finder=FINDERS[mode](), seed=0)
    assert_result_invariants(result)
    assert_matches_oracle(truth(case), result, [case.K])


def lyndon_count(N: int, k: int) -> int:
    """Aperiodic necklaces of length k over N letters (Witt): (1/k) sum_{d | k} mu(d) N^(k/d)."""

    def mobius(n: int) -> int:
        result, p = 1, 2
        while p * p <= n:
            if n % p == 0:
                n //= p
                if n % p == 0:
                    return 0
                result = -result
            p += 1
        return -result if n > 1 else result

    return sum(mobius(d) * N ** (k // d) for d in range(1, k + 1) if k % d == 0) // k


@pytest.mark.parametrize("case", CASES[::3], ids=IDS[::3])
def test_exhaustive_solves_one_system_per_aperiodic_necklace(case):
    """Rotations give the same cycle and periodic sequences only shorter ones, so an exhaustive
    search solves exactly the Lyndon words over its region pool (Witt's formula)."""
    N = region_pool(model_of(case)).size
    result = search(case, "exhaustive")
    assert [s.solves for s in result.stats] == [lyndon_count(N, k) for k in range(1, case.K + 1)]


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------


def assert_identical(a, b, *, stats: bool) -> None:
    assert len(a.cycles) == len(b.cycles)
    for x, y in zip(a.cycles, b.cycles, strict=True):
        assert np.array_equal(x.points, y.points)
        assert np.array_equal(x.regions, y.regions)
        assert np.array_equal(x.multipliers, y.multipliers)
    if stats:
        strip = [(s.order, s.method, s.n_cycles, s.solves, s.chains, s.rejected) for s in a.stats]
        assert strip == [(s.order, s.method, s.n_cycles, s.solves, s.chains, s.rejected) for s in b.stats]


@pytest.mark.parametrize("case", CASES[::4], ids=IDS[::4])
def test_exhaustive_does_not_depend_on_the_seed(case):
    assert_identical(search(case, "exhaustive", 0), search(case, "exhaustive", 12345), stats=True)


@pytest.mark.parametrize("mode", ["scyfi", "auto"])
@pytest.mark.parametrize("case", CASES[1::4], ids=IDS[1::4])
def test_same_seed_same_result(case, mode):
    fresh = find_cycles(model_of(case), case.K, finder=FINDERS[mode](), seed=0)
    assert_identical(search(case, mode, 0), fresh, stats=True)


# --------------------------------------------------------------------------------------------
# Dynamics checks that do not use the region Jacobians
# --------------------------------------------------------------------------------------------


def boundary_distance(model, points: np.ndarray) -> float:
    """Smallest |margin| over the cycle, in state units (margin / |normal|)."""
    N, _ = model.switching_planes()
    norms = np.linalg.norm(N, axis=1)
    live = norms > 0
    return float(np.min(np.abs(model.margins(points)[:, live]) / norms[live]))


def all_cycles():
    return [(case, c) for case in CASES for c in search(case, "exhaustive").cycles]


def test_multipliers_match_a_finite_difference_jacobian():
    """Central differences of F^k (the true map, iterated) at z_1 have the cycle's multipliers.

    F^k is affine near z_1 as long as the perturbed orbit stays in the cycle's regions, so with a
    step well inside the regions the difference quotient is exact up to rounding.
    """
    checked = 0
    for case, cycle in all_cycles():
        model, k, z1 = model_of(case), cycle.order, cycle.points[0]
        room = boundary_distance(model, cycle.points)
        P = oracle.monodromy(model, cycle.regions)
        gain = (
            max(1.0, np.linalg.norm(P, 2))
            * max(1.0, max(np.linalg.norm(model.affine_map(d)[0], 2) for d in cycle.regions)) ** k
        )
        eps = 1e-3 * room / gain
        if eps < 1e-7:
            continue  # too close to a switching boundary for a clean difference quotient
        jac = np.empty((model.M, model.M))
        for i in range(model.M):
            e = np.zeros(model.M)
            e[i] = eps
            jac[:, i] = (model.trajectory(z1 + e, k)[-1] - model.trajectory(z1 - e, k)[-1]) / (2 * eps)
        scale = 1.0 + np.abs(P).max()
        assert np.allclose(jac, P, rtol=0, atol=1e-5 * scale), f"{case.id}: DF^k != J_k ... J_1"
        assert same_multiset(np.linalg.eigvals(jac), cycle.multipliers, rtol=1e-4)
        checked += 1
    assert checked >= 50


def test_stable_cycles_attract_nearby_orbits():
    """An orbit started near a stable cycle converges to it, in phase (a simulation, no algebra)."""
    rng = np.random.default_rng(0)
    checked = 0
    for case, cycle in all_cycles():
        if not cycle.stable:
            continue
        model, k = model_of(case), cycle.order
        rho = cycle.spectral_radius
        periods = min(4000, int(np.ceil(np.log(1e-9) / np.log(max(rho, 1e-3)))) + 20)
        kick = rng.normal(size=model.M)
        start = cycle.points[0] + 1e-3 * boundary_distance(model, cycle.points) * kick / np.linalg.norm(kick)
        end = model.trajectory(start, periods * k)[-1]
        assert np.max(np.abs(end - cycle.points[0])) <= 1e-8 * (1.0 + np.abs(cycle.points).max()), case.id
        checked += 1
    assert checked >= 15


def test_oracle_reproduces_closed_forms():
    """The oracle itself against hand-derived truth (test_closed_forms.py derives both):
    the skew tent map with a_r = -1.5 has one fixed point 1/2.5 and one 2-cycle
    {-0.5/1.3, 1.2/1.3}; the full tent map z' = 1 - 2|z| has one cycle per binary Lyndon word
    (2, 1, 2, 3, 6, 9 cycles of least period 1..6)."""
    skew = oracle.oracle_search(PLRNN(A=[0.2], W=[[-1.7]], h=[1.0]), range(1, 7))
    assert [len(skew[k]) for k in range(1, 7)] == [1, 1, 0, 0, 0, 0]
    np.testing.assert_allclose(skew[1][0].points.ravel(), [1 / 2.5], rtol=1e-12)
    np.testing.assert_allclose(np.sort(skew[2][0].points.ravel()), [-0.5 / 1.3, 1.2 / 1.3], rtol=1e-12)
    assert skew[1][0].multipliers[0] == pytest.approx(-1.5) and skew[2][0].stable
    full = oracle.oracle_search(PLRNN(A=[2.0], W=[[-4.0]], h=[1.0]), range(1, 7))
    assert [len(full[k]) for k in range(1, 7)] == [2, 1, 2, 3, 6, 9]


# --------------------------------------------------------------------------------------------
# The test set is not vacuous
# --------------------------------------------------------------------------------------------


def test_the_test_set_is_not_vacuous():
    """The oracle comparisons above mean something only if the models have cycles to miss."""
    cycles = [c for case in CASES for k in truth(case) for c in truth(case)[k]]
    orders = [c.order for c in cycles]
    assert len(cycles) >= 120
    assert sum(not c.stable for c in cycles) >= 60
    assert sum(c.stable for c in cycles) >= 15
    assert sum(k >= 2 for k in orders) >= 60
    assert sum(k >= 3 for k in orders) >= 25
    assert sum(k >= 4 for k in orders) >= 8
    for kind in {case.kind for case in CASES}:
        orders_of_kind = [
            c.order for case in CASES if case.kind == kind for k in truth(case) for c in truth(case)[k]
        ]
        assert max(orders_of_kind, default=0) >= 2, f"no {kind} model has a cycle of order >= 2"


def test_default_budget_works_for_large_dimensions():
    """Regression: the default patience took log2 of the Python int 2**M, which failed for M >= 64.

    Truth: z' = 0.5 z + W relu(z) + 1 with W = 0 has the single fixed point z = 2 (all units on).
    """
    import numpy as np

    import bifwatch as bw

    model = bw.PLRNN(A=np.full(64, 0.5), W=np.zeros((64, 64)), h=np.ones(64))
    result = bw.find_cycles(model, 1)
    assert result.stats[0].method == "heuristic"
    assert len(result.cycles) == 1 and np.allclose(result.cycles[0].points, 2.0)
