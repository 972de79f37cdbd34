"""bifwatch.metrics against closed forms and a dense oracle: D_stsp, D_H, lambda_max."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.metrics import max_lyapunov, power_spectrum_distance, state_space_divergence

EPS = 1e-5


def _dense_kl(x, y, bins):
    """The definition written out over every one of the bins^N cells (small N only)."""
    sd = x.std(axis=0)
    low, high = x.min(axis=0) - 0.1 * sd, x.max(axis=0) + 0.1 * sd
    N = x.shape[1]

    def histogram(z):
        z = z[np.all(np.isfinite(z), axis=1)]
        h, _ = np.histogramdd(z, bins=bins, range=list(zip(low, high, strict=True)))
        return h

    h_true, h_gen = histogram(x), histogram(y)
    p = (h_true + EPS) / (h_true.sum() + EPS * bins**N)
    q = (h_gen + EPS) / (h_gen.sum() + EPS * bins**N)
    return float(np.sum(p * np.log(p / q)))


# --- D_stsp, binned -------------------------------------------------------------------------


def test_binned_by_hand():
    """Two bins on [-0.1, 1.1] (sd 0.5): true counts (1, 1), generated (2, 0)."""
    x, y = np.array([0.0, 1.0]), np.array([0.1, 0.2])
    p = np.array([1 + EPS, 1 + EPS]) / (2 + 2 * EPS)
    q = np.array([2 + EPS, EPS]) / (2 + 2 * EPS)
    assert state_space_divergence(x, y, bins=2) == pytest.approx(np.sum(p * np.log(p / q)), rel=1e-12)


@pytest.mark.parametrize(("N", "bins"), [(1, 30), (2, 30), (3, 8), (2, 5)])
def test_binned_equals_the_dense_definition(N, bins):
    rng = np.random.default_rng(N * 100 + bins)
    x = rng.standard_normal((3000, N))
    y = 1.3 * rng.standard_normal((2000, N)) + 0.4  # partly outside the true box: dropped
    y[::50] = np.nan  # a few diverged steps
    assert state_space_divergence(x, y, bins=bins) == pytest.approx(_dense_kl(x, y, bins), rel=1e-10)


def test_binned_is_zero_only_for_equal_histograms_and_never_negative():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 2))
    assert state_space_divergence(x, x) == 0.0
    assert state_space_divergence(x, x[::-1]) == 0.0  # order does not matter
    for seed in range(5):
        y = np.random.default_rng(seed + 1).standard_normal((500, 2))
        assert state_space_divergence(x, y) > 0.0


def test_a_generated_series_outside_the_data_gets_the_uniform_smoothed_histogram():
    """No generated point in the box: q = eps / (eps bins^N) = 1 / bins^N in every cell, exactly the
    formula (finite), the same for a series far away and for one that is all NaN."""
    x = np.random.default_rng(0).standard_normal((200, 2))
    expected = _dense_kl(x, x + 100.0, 30)
    p_h, _ = np.histogramdd(x, bins=30, range=[(lo - 0.1 * sd, hi + 0.1 * sd) for lo, hi, sd in
                                              zip(x.min(0), x.max(0), x.std(0), strict=True)])
    p = (p_h + EPS) / (p_h.sum() + EPS * 30**2)
    assert expected == pytest.approx(float(np.sum(p * np.log(p * 30**2))), rel=1e-12)
    assert state_space_divergence(x, x + 100.0) == pytest.approx(expected, rel=1e-12)
    assert state_space_divergence(x, np.full((50, 2), np.nan)) == pytest.approx(expected, rel=1e-12)
    assert np.isfinite(expected) and expected > 0


def test_auto_picks_the_mixture_from_six_dimensions():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((300, 6)), rng.standard_normal((300, 6))
    assert state_space_divergence(x, y) == state_space_divergence(x, y, method="gmm")
    five = x[:, :5], y[:, :5]
    assert state_space_divergence(*five) == state_space_divergence(*five, method="binned")


# --- D_stsp, Gaussian mixture ---------------------------------------------------------------


def test_gmm_of_two_single_gaussians_is_their_closed_form_kl():
    """p = N(a, s2 I), q = N(b, s2 I): KL = |a - b|^2 / (2 s2); the MC error has sd |a - b| / (s sqrt(n))."""
    a, b, s2 = np.zeros((2, 3)), np.tile([1.0, -0.5, 0.25], (2, 1)), 0.7  # one point, twice
    exact = float(np.sum((a[0] - b[0]) ** 2) / (2 * s2))
    sd = np.sqrt(np.sum((a[0] - b[0]) ** 2) / s2 / 1000)
    for seed in range(3):
        value = state_space_divergence(a, b, method="gmm", sigma2=s2, seed=seed)
        assert abs(value - exact) < 4 * sd


def test_gmm_is_zero_for_the_same_series_and_seeded():
    x = np.random.default_rng(2).standard_normal((400, 7))
    assert state_space_divergence(x, x) == 0.0
    y = x + 0.3
    assert state_space_divergence(x, y, seed=4) == state_space_divergence(x, y, seed=4)
    assert state_space_divergence(x, y, seed=4) != state_space_divergence(x, y, seed=5)


def test_gmm_log_sum_exp_survives_far_apart_mixtures():
    """Where exp underflows for every centre, the log-sum-exp still gives the closed form."""
    a, b = np.zeros((2, 6)), np.full((2, 6), 20.0)
    value = state_space_divergence(a, b, method="gmm", sigma2=1.0)
    assert np.isfinite(value) and value == pytest.approx(6 * 400 / 2, rel=0.05)


# --- D_H ------------------------------------------------------------------------------------

W = 2 * np.pi * np.arange(2000) / 2000


def test_spectra_of_whole_period_sines():
    same = power_spectrum_distance(np.sin(10 * W), 2 * np.cos(10 * W) + 5, smoothing=0)
    assert same == pytest.approx(0.0, abs=1e-7)
    assert power_spectrum_distance(np.sin(10 * W), np.sin(300 * W), smoothing=0) == pytest.approx(1.0)


def test_two_line_spectra_have_the_closed_form_hellinger_distance():
    """Lines at bins 10 and 50 with power shares p and q: H = sqrt(1 - sum sqrt(p q))."""
    x = np.sin(10 * W) + 0.5 * np.sin(50 * W)
    y = np.sin(10 * W) + 2.0 * np.sin(50 * W)
    p, q = np.array([1.0, 0.25]) / 1.25, np.array([1.0, 4.0]) / 5.0
    expected = np.sqrt(1 - np.sum(np.sqrt(p * q)))
    assert power_spectrum_distance(x, y, smoothing=0) == pytest.approx(expected, rel=1e-9)


def test_d_h_is_a_mean_over_dimensions_in_zero_one():
    x = np.column_stack([np.sin(10 * W), np.sin(20 * W)])
    y = np.column_stack([np.sin(10 * W), np.sin(400 * W)])
    assert power_spectrum_distance(x, y, smoothing=0) == pytest.approx(0.5)
    rng = np.random.default_rng(3)
    for _ in range(5):
        value = power_spectrum_distance(rng.standard_normal((500, 2)), rng.standard_normal((500, 2)))
        assert 0.0 <= value <= 1.0


def test_smoothing_brings_nearby_lines_together():
    apart = power_spectrum_distance(np.sin(100 * W), np.sin(104 * W), smoothing=0)
    smoothed = power_spectrum_distance(np.sin(100 * W), np.sin(104 * W), smoothing=20)
    assert apart == pytest.approx(1.0) and smoothed < 0.1


def test_a_dead_generated_series_has_no_spectrum():
    assert np.isnan(power_spectrum_distance(np.sin(10 * W), np.zeros_like(W)))


# --- lambda_max -----------------------------------------------------------------------------


def test_lyapunov_of_the_full_tent_map_is_log_2():
    tent = bw.PLRNN(A=[2.0], W=[[-4.0]], h=[1.0])
    assert max_lyapunov(tent, [0.3], transient=100, steps=5000) == pytest.approx(np.log(2), abs=1e-12)


def test_lyapunov_of_a_linear_contraction_is_its_largest_log_slope():
    model = bw.PLRNN(A=[0.5, -0.8], W=[[0.0, 0.0], [0.0, 0.0]], h=[0.1, 0.2])
    assert max_lyapunov(model, steps=2000) == pytest.approx(np.log(0.8), abs=1e-6)


def test_lyapunov_on_a_stable_cycle_is_the_cycles_exponent():
    """Orbits attracted to the stable 6-cycle of example:cycle6: log(rho) / 6, from find_cycles."""
    model = bw.load_model("example:cycle6")
    cycle = bw.find_cycles(model, max_order=6, seed=0).stable_cycles[0]
    value = max_lyapunov(model, cycle.points[0] + 0.01, transient=600, steps=6000)
    assert value == pytest.approx(cycle.lyapunov_exponent, abs=2e-3)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: state_space_divergence(np.zeros((1, 2)), np.zeros((5, 2))), ValueError,
         "at least 2 time steps"),
        (lambda: state_space_divergence(np.zeros((5, 2)), np.zeros((5, 3))), ValueError, "N = 2 columns"),
        (lambda: state_space_divergence([[np.nan], [1.0]], [[0.0]]), ValueError, "`x_true` must be finite"),
        (lambda: state_space_divergence(np.zeros((5, 1)), np.zeros((0, 1))), ValueError, "at least one"),
        (lambda: state_space_divergence(np.zeros((5, 2, 2)), np.zeros(5)), ValueError, r"shape \(T, N\)"),
        (lambda: state_space_divergence(np.zeros(5), np.zeros(5), bins=0), ValueError, "`bins` must be >= 1"),
        (lambda: state_space_divergence(np.zeros(5), np.zeros(5), method="kde"), ValueError, "`method`"),
        (lambda: state_space_divergence(np.zeros(5), np.zeros(5), method="gmm", sigma2=0), ValueError,
         "`sigma2`"),
        (lambda: state_space_divergence("x", np.zeros(5)), TypeError, "`x_true` must be a numeric array"),
        (lambda: power_spectrum_distance(np.sin(W), np.sin(W[:10])), ValueError, "as many time steps"),
        (lambda: power_spectrum_distance(np.sin(W), np.sin(W), smoothing=-1), ValueError, "`smoothing`"),
        (lambda: power_spectrum_distance(np.ones(10), np.ones(10)), ValueError, "constant dimension"),
        (lambda: max_lyapunov("model"), TypeError, "`model` must be a bifwatch model"),
        (lambda: max_lyapunov(bw.PLRNN(A=[0.5], W=[[0.0]], h=[0.0]), [0.0, 1.0]), ValueError, "`z0`"),
        (lambda: max_lyapunov(bw.PLRNN(A=[0.5], W=[[0.0]], h=[0.0]), steps=0), ValueError, "`steps`"),
        (lambda: max_lyapunov(bw.PLRNN(A=[1.5], W=[[0.0]], h=[1.0]), [1.0], transient=0, steps=3000),
         ValueError, "the orbit diverges"),
    ],
    ids=[f"case{i}" for i in range(16)],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_the_dense_oracle_agrees_on_the_empty_cells_too():
    """A case where most of the bins^N cells are empty in both series (the sparse sum's last term)."""
    x = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    y = x[:4]
    assert state_space_divergence(x, y, bins=6) == pytest.approx(_dense_kl(x, y, 6), rel=1e-12)
