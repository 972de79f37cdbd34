"""Long stable cycles of 2-D vanilla PLRNNs (full A): the bundled examples ``example:cycleNN``.

Each fixture z' = A z + W relu(z) + h has a stable cycle of least period NN (21 to 71),
found by simulation and confirmed by bifwatch (benchmarks/make_long_cycle_fixtures.py, which
also checked that searches with 10x the default patience and other seeds find the same set of
NN-cycles). Here the default search at order NN must find the simulated attractor, and every
cycle it reports must be a true cycle with the right regions, multipliers and stability.
"""

from __future__ import annotations

import numpy as np
import pytest

import bifwatch as bw

#: The orbit of START reaches each fixture's stable cycle (the fixtures were selected so).
START = np.array([0.5, 0.5])
TRANSIENT = 4000
#: order NN -> (cycles the seeded default search finds at order NN, how many are stable).
#: Every fixture has its stable cycle and one saddle partner.
FIXTURES = {21: (2, 1), 39: (2, 1), 42: (2, 1), 59: (2, 1), 71: (2, 1)}
#: A fruitless order costs about patience * max_inner solves, ~k^3 in all (about 23 s for
#: orders 69 and 70 with the defaults), so the lower-order check runs with a smaller patience.
LOWER_PATIENCE = 200


def _coincide(a: np.ndarray, b: np.ndarray, atol: float = 1e-8) -> bool:
    """Same point sets, whatever the phase, within ``atol * (1 + max |z|)``."""
    if a.shape != b.shape:
        return False
    scale = atol * (1.0 + max(np.abs(a).max(), np.abs(b).max()))
    gap = np.abs(a[:, None, :] - b[None, :, :]).max(axis=2)
    return bool(gap.min(axis=1).max() <= scale and gap.min(axis=0).max() <= scale)


def _min_gap(points: np.ndarray) -> float:
    """Smallest max-norm distance between two distinct points of the orbit."""
    gaps = np.abs(points[:, None] - points[None]).max(axis=2)
    np.fill_diagonal(gaps, np.inf)
    return float(gaps.min())


def _monodromy(model, regions: np.ndarray) -> np.ndarray:
    """J(d_k) ... J(d_1) for the regions in orbit order."""
    J, _ = model.affine_map(regions)
    P = np.eye(model.M)
    for Jj in J:
        P = Jj @ P
    return P


@pytest.fixture(scope="module", params=sorted(FIXTURES), ids=lambda k: f"cycle{k}")
def case(request):
    """(order, model, simulated attractor, result of find_cycles at that order)."""
    k = request.param
    model = bw.load_model(f"example:cycle{k}")
    attractor = model.trajectory(START, TRANSIENT + k)[-k:]
    result = bw.find_cycles(model, orders=[k], seed=0)
    return k, model, attractor, result


def test_fixture_is_a_2d_plrnn_with_full_A(case):
    _, model, _, _ = case
    assert isinstance(model, bw.PLRNN)
    assert model.M == 2 and model.A.shape == (2, 2)
    assert np.abs(model.A - np.diag(np.diag(model.A))).max() > 0.1


def test_simulated_attractor_has_least_period_k(case):
    k, model, attractor, _ = case
    closing = model.trajectory(attractor[0], k)[-1]
    assert np.abs(closing - attractor[0]).max() < 1e-9
    assert _min_gap(attractor) > 1e-3  # no point repeated: least period k, not a divisor of k
    assert np.abs(attractor).min() > 1e-2  # clear of the switching lines z_i = 0


def test_default_search_finds_the_attractor_as_a_stable_cycle(case):
    k, model, attractor, result = case
    n_cycles, n_stable = FIXTURES[k]
    assert [c.order for c in result.cycles] == [k] * n_cycles
    assert sum(c.stable for c in result.cycles) == n_stable
    matches = [c for c in result.cycles if _coincide(c.points, attractor)]
    assert len(matches) == 1
    cycle = matches[0]
    assert cycle.stable and cycle.hyperbolic
    # de-phased, the simulated orbit is the found cycle point by point, regions included
    shift = int(np.argmin(np.abs(attractor - cycle.points[0]).max(axis=1)))
    np.testing.assert_allclose(np.roll(attractor, -shift, axis=0), cycle.points, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(model.region(np.roll(attractor, -shift, axis=0)), cycle.regions)
    assert result.stats[0].order == k and result.stats[0].n_cycles == n_cycles


def test_every_found_cycle_is_a_true_cycle_of_least_period_k(case):
    k, model, _, result = case
    for cycle in result.cycles:
        points = cycle.points
        assert points.shape == (k, 2)
        orbit = model.trajectory(points, k)  # (k, k + 1, 2): each point iterated k times
        np.testing.assert_allclose(orbit[:, -1], points, rtol=0, atol=1e-9 * (1 + np.abs(points).max()))
        np.testing.assert_allclose(orbit[0, 1:-1], points[1:], rtol=0, atol=1e-9 * (1 + np.abs(points).max()))
        assert _min_gap(points) > 1e-6
        assert cycle.residual < 1e-9


def test_regions_multipliers_and_stability_agree_with_the_model(case):
    _, model, _, result = case
    for cycle in result.cycles:
        np.testing.assert_array_equal(cycle.regions, model.region(cycle.points))
        P = _monodromy(model, cycle.regions)
        expected = np.sort_complex(np.linalg.eigvals(P))
        np.testing.assert_allclose(np.sort_complex(cycle.multipliers), expected, rtol=1e-9, atol=1e-12)
        assert cycle.stable == bool(np.all(np.abs(cycle.multipliers) < 1))


def test_no_lower_order_cycle_through_the_attractor(case):
    k, model, attractor, _ = case
    finder = bw.SCYFI(patience=LOWER_PATIENCE)
    lower = bw.find_cycles(model, orders=[k - 2, k - 1], seed=0, finder=finder)
    scale = 1e-6 * (1 + np.abs(attractor).max())
    for cycle in lower.cycles:
        assert cycle.order in (k - 2, k - 1)
        assert not cycle.stable
        gap = np.abs(cycle.points[:, None] - attractor[None]).max(axis=2)
        assert gap.min() > scale
