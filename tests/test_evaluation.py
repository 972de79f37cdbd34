"""PE(n) and the evaluation protocol against closed forms, a per-start oracle and known exponents."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.metrics import (
    Reconstruction,
    evaluate_reconstruction,
    power_spectra,
    power_spectrum_distance,
    prediction_error,
    state_space_divergence,
)
from bifwatch.models import AbstractPLRNN, AffineObservation, IdentityObservation

#: The tent map with slopes +-1.9 on [-0.9, 1]: chaotic in floating point too (lambda = log 1.9).
TENT19 = bw.PLRNN(A=[1.9], W=[[-3.8]], h=[1.0])
#: The full tent map (slopes +-2): lambda = log 2, but in floating point every orbit collapses
#: onto the fixed point -1 within about 60 steps (each step shifts out one bit).
TENT2 = bw.PLRNN(A=[2.0], W=[[-4.0]], h=[1.0])


def _oracle_pe(model, x, n, observation):
    """The definition, one start at a time with model.trajectory."""
    errors = [observation.decode(model.trajectory(observation.initial_state(x[t]), n)[-1]) - x[t + n]
              for t in range(len(x) - n)]
    return float(np.mean(np.square(errors)))


def _shallow(rng, M, L, clipped=False):
    cls = bw.ClippedShPLRNN if clipped else bw.ShPLRNN
    return cls(A=rng.uniform(0.3, 0.8, M), W1=0.3 * rng.standard_normal((M, L)) / np.sqrt(L),
               W2=rng.standard_normal((L, M)), h1=0.1 * rng.standard_normal(M), h2=rng.standard_normal(L))


class Recording(AbstractPLRNN):
    """A test double: another model whose ``step`` records the shapes it is called with."""

    kind = "recording"

    def __init__(self, inner):
        self.inner, self.shapes = inner, []

    M = property(lambda self: self.inner.M)
    n_bits = property(lambda self: self.inner.n_bits)

    def margins(self, z):
        return self.inner.margins(z)

    def switching_planes(self):
        return self.inner.switching_planes()

    def step(self, z):
        self.shapes.append(np.shape(z))
        return self.inner.step(z)

    def affine_map(self, d):
        return self.inner.affine_map(d)

    def parameters(self):
        return self.inner.parameters()


# --- PE(n) ----------------------------------------------------------------------------------


def test_a_linear_model_predicts_its_own_data_exactly():
    """A diagonal, W = 0: every unit is on its own, so even unobserved units starting at 0 do no harm."""
    model = bw.PLRNN(A=[0.9, -0.7, 0.5], W=np.zeros((3, 3)), h=[0.1, 0.2, -0.3])
    z = model.trajectory([1.0, -2.0, 3.0], 300)
    assert prediction_error(model, z, 20) == pytest.approx(0.0, abs=1e-28)
    assert prediction_error(model, z[:, :2], 20) == pytest.approx(0.0, abs=1e-28)  # N = 2 of M = 3


@pytest.mark.parametrize("n", [1, 5, 20])
def test_an_affine_map_has_the_closed_form_n_step_error(rng, n):
    """z' = a z + h has F^n(z) = a^n z + h (1 - a^n) / (1 - a)."""
    a, h = 0.8, 0.3
    x = rng.standard_normal(500)
    predicted = a**n * x[:-n] + h * (1 - a**n) / (1 - a)
    expected = np.mean((predicted - x[n:]) ** 2)
    assert prediction_error(bw.PLRNN(A=[a], W=[[0.0]], h=[h]), x, n) == pytest.approx(expected, rel=1e-12)


def test_noisy_data_give_the_closed_form_of_the_noise(rng):
    """x_t = z_t + e_t on an exact orbit: the error is a^n e_t - e_{t+n}, so E PE = sigma^2 (1 + a^2n)."""
    a, h, n, sigma = 0.9, 0.5, 3, 0.1
    model = bw.PLRNN(A=[a], W=[[0.0]], h=[h])
    clean = model.trajectory([0.0], 50_000)[:, 0]
    noise = sigma * rng.standard_normal(clean.shape)
    value = prediction_error(model, clean + noise, n)
    assert value == pytest.approx(np.mean((a**n * noise[:-n] - noise[n:]) ** 2), rel=1e-9)
    assert value == pytest.approx(sigma**2 * (1 + a ** (2 * n)), rel=0.03)  # sd of the estimate ~ 1 %


@pytest.mark.parametrize("case", ["cycle6", "shplrnn", "clipped", "affine"])
def test_the_batched_error_equals_the_per_start_definition(rng, case):
    if case == "cycle6":
        model, observation = bw.load_model("example:cycle6"), IdentityObservation(Lambda=[[0.7]])
        x = rng.standard_normal((80, 1))
    else:
        model = _shallow(rng, 3, 12, clipped=case == "clipped")
        B = rng.standard_normal((2, 3))
        observation = (AffineObservation(B=B, b=[0.1, -0.2]) if case == "affine"
                       else IdentityObservation(Lambda=rng.standard_normal((1, 2))))
        x = rng.standard_normal((80, 2))
    value = prediction_error(model, x, 7, observation=observation)
    assert value == pytest.approx(_oracle_pe(model, x, 7, observation), rel=1e-12)


def test_chunks_do_not_change_the_value(rng, monkeypatch):
    import bifwatch.metrics._prediction as prediction  # the chunk size is an internal constant

    model, x = _shallow(rng, 2, 5), rng.standard_normal((101, 2))
    whole = prediction_error(model, x, 4)
    monkeypatch.setattr(prediction, "CHUNK_FLOATS", 7)  # chunks of one start (7 // 5)
    assert prediction_error(model, x, 4) == pytest.approx(whole, rel=1e-13)


def test_memory_stays_bounded_for_long_series_and_wide_models(rng):
    """T = 100,000 and L = 100: the starts run in chunks of at most 2^20 / L."""
    model = Recording(_shallow(rng, 3, 100))
    x = 0.1 * rng.standard_normal((100_000, 3))
    assert np.isfinite(prediction_error(model, x, 20))
    batches = {shape[0] for shape in model.shapes}
    assert max(batches) <= 2**20 // 100 and sum(s[0] for s in model.shapes) == 20 * (100_000 - 20)


def test_an_orthogonal_observation_leaves_the_error_unchanged(rng):
    """x = Q z + b with Q orthogonal: |Q e|^2 = |e|^2, so PE equals the latent one."""
    model = _shallow(rng, 3, 8)
    z = rng.standard_normal((60, 3))
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    b = np.array([1.0, -2.0, 0.5])
    latent = prediction_error(model, z, 5)
    observed = prediction_error(model, z @ Q.T + b, 5, observation=AffineObservation(B=Q, b=b))
    assert observed == pytest.approx(latent, rel=1e-10)


def test_scaling_data_and_offset_of_an_affine_map_scales_the_error_by_c_squared(rng):
    x = rng.standard_normal(200)
    base = prediction_error(bw.PLRNN(A=[0.6], W=[[0.0]], h=[0.2]), x, 4)
    scaled = prediction_error(bw.PLRNN(A=[0.6], W=[[0.0]], h=[0.2 * 3.0]), 3.0 * x, 4)
    assert scaled == pytest.approx(9.0 * base, rel=1e-12)


@pytest.mark.parametrize("model", [bw.PLRNN(A=[1e100], W=[[0.0]], h=[0.0]),
                                   bw.ShPLRNN(A=[1.0], W1=[[1e200, -1e200]], W2=[[1e200], [1e200]],
                                              h1=[0.0], h2=[0.0, 0.0])],
                         ids=["overflow", "inf-minus-inf"])
def test_an_overflowing_prediction_is_infinitely_wrong_without_a_warning(model):
    assert prediction_error(model, np.linspace(1.0, 2.0, 30), 5) == np.inf


# --- the spectra D_H compares ---------------------------------------------------------------


def test_power_spectra_are_what_d_h_compares(rng):
    x, y = rng.standard_normal((301, 3)), rng.standard_normal((301, 3)).cumsum(axis=0)
    p, q = power_spectra(x, smoothing=4.0), power_spectra(y, smoothing=4.0)
    assert p.shape == (3, 151) and np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0)
    hellinger = np.sqrt(np.clip(1 - np.sum(np.sqrt(p * q), axis=1), 0, 1))
    assert power_spectrum_distance(x, y, smoothing=4.0) == pytest.approx(hellinger.mean(), rel=1e-12)


def test_undefined_spectra_are_nan_rows_without_a_warning():
    wave = np.sin(np.arange(50.0))
    x = np.column_stack([wave, np.ones(50), np.full(50, np.inf), 1e200 * wave])
    p = power_spectra(x)
    assert np.all(np.isfinite(p[0])) and np.all(np.isnan(p[1:]))


# --- the evaluation protocol ----------------------------------------------------------------


def test_a_chaotic_map_on_its_own_long_run_is_close_to_zero():
    x = TENT19.trajectory([0.1234], 30_000)[10_000:]
    own = evaluate_reconstruction(TENT19, x)
    assert own.D_stsp < 0.005 and own.D_H < 0.05 and own.PE == 0.0 and not own.diverged
    other = evaluate_reconstruction(bw.PLRNN(A=[1.6], W=[[-3.2]], h=[1.0]), x)  # another tent
    assert other.D_stsp > 100 * own.D_stsp and other.D_H > 5 * own.D_H


def test_a_stable_cycle_against_itself_is_exactly_zero():
    """T = 612 = 102 periods, 153 steps dropped: the run is the cycle shifted by half a period."""
    model = bw.load_model("example:cycle6")
    x = model.trajectory([0.1, 0.2], 1811)[1200:]
    result = evaluate_reconstruction(model, x)
    assert result.discarded == 153 and result.generated.shape == (612, 2)
    np.testing.assert_allclose(result.generated, np.roll(x, -3, axis=0), atol=1e-9)
    assert result.D_stsp == 0.0 and result.D_H == pytest.approx(0.0, abs=1e-7)


def test_the_transient_is_dropped():
    """Observe only z1 of cycle6: z2 starts at 0, off the cycle, and needs ~100 steps to get there."""
    model = bw.load_model("example:cycle6")
    x = model.trajectory([0.1, 0.2], 1611)[1000:, :1]
    observation = IdentityObservation.zeros(1, 2)
    dropped = evaluate_reconstruction(model, x, observation=observation)
    kept = evaluate_reconstruction(model, x, observation=observation, transient=0.0)
    orbit = model.trajectory(observation.initial_state(x[0]), 153 + 612)[:, :1]
    np.testing.assert_array_equal(dropped.generated, orbit[153:153 + 612])
    np.testing.assert_array_equal(kept.generated, orbit[:612])  # starts at g(z_1) = x_1
    assert kept.generated[0, 0] == x[0, 0]
    assert dropped.D_stsp == 0.0 and kept.D_stsp > 0.01
    assert dropped.D_stsp == state_space_divergence(x, orbit[153:153 + 612])
    assert kept.D_H == pytest.approx(power_spectrum_distance(x, orbit[:612]), rel=1e-12)
    assert dropped.PE == kept.PE == pytest.approx(prediction_error(model, x, 20, observation=observation))


def test_a_divergent_model_is_reported_as_diverged():
    x = np.sin(0.3 * np.arange(2000))
    result = evaluate_reconstruction(bw.PLRNN(A=[1.5], W=[[0.0]], h=[1.0]), x, lyapunov_steps=100)
    assert result.diverged and result.D_stsp == np.inf and result.D_H == 1.0
    assert np.isfinite(result.PE) and result.lambda_max is None
    orbit = bw.PLRNN(A=[1.5], W=[[0.0]], h=[1.0]).trajectory([0.0], 1000)[:, 0]
    first = int(np.argmax(np.abs(orbit) > 1e150)) - 500  # where it left the range, in the compared part
    assert np.isfinite(result.generated[:first]).all() and np.isnan(result.generated[first:]).all()
    record = result.to_dict()
    assert record["D_stsp"] is None and record["D_H"] == 1.0 and record["diverged"] is True
    assert json.loads(result.to_json()) == record


def test_an_overflow_to_nan_is_diverged_too():
    model = bw.ShPLRNN(A=[1.0], W1=[[1e200, -1e200]], W2=[[1e200], [1e200]], h1=[0.0], h2=[0.0, 0.0])
    result = evaluate_reconstruction(model, np.linspace(1.0, 2.0, 100) ** 2)
    assert result.diverged and result.D_stsp == np.inf and result.D_H == 1.0 and result.PE == np.inf


def test_a_dead_dimension_counts_one_in_d_h():
    """z1' = z1 / 2 decays to 0 (dead; power_spectrum_distance would see its decay); z2' = -z2 lives."""
    t = np.arange(2000)
    x = np.column_stack([np.sin(0.3 * t + 1.0), (-1.0) ** t])
    model = bw.PLRNN(A=[0.5, -1.0], W=np.zeros((2, 2)), h=[0.0, 0.0])
    result = evaluate_reconstruction(model, x)
    assert result.D_H == pytest.approx(0.5, abs=1e-7) and not result.diverged  # sqrt(1 - overlap): 1e-8
    one = evaluate_reconstruction(bw.PLRNN(A=[0.5], W=[[0.0]], h=[0.0]), x[:, :1])
    assert one.D_H == 1.0 and np.isfinite(one.D_stsp)
    assert power_spectrum_distance(x[:, :1], one.generated) < 1.0  # the raw metric: rounding-level decay


def test_a_floating_point_collapse_is_a_dead_run_with_the_right_exponent():
    """The full tent map collapses onto -1 in floating point; its exponent is still log 2 (slopes +-2)."""
    x = TENT19.trajectory([0.1234], 4000)
    result = evaluate_reconstruction(TENT2, x, lyapunov_steps=1000, dt=0.5)
    assert np.all(result.generated == -1.0) and result.D_H == 1.0 and not result.diverged
    assert result.lambda_max == pytest.approx(np.log(2), abs=1e-12)
    assert result.lambda_max_per_time == pytest.approx(2 * np.log(2), abs=1e-12)


def test_lyapunov_exponents_of_the_tent_maps():
    x = TENT19.trajectory([0.1234], 3000)
    chaotic = evaluate_reconstruction(TENT19, x, lyapunov_steps=5000)
    assert chaotic.lambda_max == pytest.approx(np.log(1.9), abs=1e-12) and chaotic.lambda_max_per_time is None
    example = bw.load_model("example:tent")  # slopes 0.2 and -1.5: a stable 2-cycle, log(0.3) / 2
    cycle = bw.find_cycles(example, max_order=2, seed=0).stable_cycles[0]
    value = evaluate_reconstruction(example, x, lyapunov_steps=2000).lambda_max
    assert value == pytest.approx(cycle.lyapunov_exponent, abs=1e-9)
    assert value == pytest.approx(np.log(0.3) / 2, abs=1e-9)


def test_the_result_is_a_frozen_record_with_a_json_dict():
    model = bw.load_model("example:cycle6")
    result = evaluate_reconstruction(model, model.trajectory([0.1, 0.2], 1811)[1200:], n=5)
    assert isinstance(result, Reconstruction) and result.n == 5
    with pytest.raises(AttributeError):
        result.D_H = 1.0
    assert set(result.to_dict()) == {"D_stsp", "D_H", "PE", "n", "lambda_max", "lambda_max_per_time",
                                     "diverged", "T", "N", "discarded", "smoothing"}
    assert "Reconstruction(D_stsp=0" in repr(result)


def test_options_are_passed_to_the_metrics(rng):
    x = TENT19.trajectory([0.3], 3000)
    model = bw.PLRNN(A=[1.7], W=[[-3.4]], h=[1.0])
    result = evaluate_reconstruction(model, x, bins=8, smoothing=3.0, n=2, transient=0.5)
    generated = result.generated
    assert result.discarded == 1500 and generated.shape == x.shape
    assert result.D_stsp == state_space_divergence(x, generated, bins=8)
    assert result.D_H == pytest.approx(power_spectrum_distance(x, generated, smoothing=3.0), rel=1e-12)
    assert result.PE == prediction_error(model, x, 2)
    gmm = evaluate_reconstruction(model, x, method="gmm", sigma2=0.3, seed=3)
    assert gmm.D_stsp == state_space_divergence(x, gmm.generated, method="gmm", sigma2=0.3, seed=3)


class Exploding(Recording):
    """A test double whose ``step`` must not be reached."""

    def step(self, z):
        raise AssertionError("the free run started before the options were checked")


# --- bad input ------------------------------------------------------------------------------

LIN = bw.PLRNN(A=[0.5], W=[[0.0]], h=[0.0])
CYCLE6 = bw.load_model("example:cycle6")
X = np.sin(np.arange(100) * 0.4)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: prediction_error("model", X), TypeError, "`model` must be a bifwatch model"),
        (lambda: prediction_error(LIN, X, 0), ValueError, "`n` must be >= 1"),
        (lambda: prediction_error(LIN, X, 2.5), TypeError, "`n` must be an integer"),
        (lambda: prediction_error(LIN, [np.nan, 1.0, 2.0], 1), ValueError, "`x` must be finite"),
        (lambda: prediction_error(LIN, np.zeros((5, 1, 1))), ValueError, r"`x` must have shape \(T, N\)"),
        (lambda: prediction_error(LIN, "x"), TypeError, "`x` must be a numeric array"),
        (lambda: prediction_error(LIN, X[:20], 20), ValueError, r"than `n` = 20 .*got T = 20"),
        (lambda: prediction_error(LIN, np.zeros((30, 2)), 1), ValueError, "N = 2 dimensions .* M = 1"),
        (lambda: prediction_error(LIN, X, observation=IdentityObservation.zeros(1, 2)), ValueError,
         "`observation` has M = 2 .* M = 1"),
        (lambda: prediction_error(CYCLE6, X, observation=IdentityObservation.zeros(2, 2)), ValueError,
         "`observation` reads N = 2 .* N = 1"),
        (lambda: prediction_error(LIN, X, observation="identity"), TypeError, "`observation` must be"),
        (lambda: evaluate_reconstruction("model", X), TypeError, "`model` must be a bifwatch model"),
        (lambda: evaluate_reconstruction(LIN, [1.0, np.inf, 2.0], n=1), ValueError, "`x_test` must be fin"),
        (lambda: evaluate_reconstruction(LIN, X[:10]), ValueError, r"`x_test` must have more .*T = 10"),
        (lambda: evaluate_reconstruction(LIN, np.ones(50), n=2), ValueError,
         r"`x_test` has a constant dimension \(0\)"),
        (lambda: evaluate_reconstruction(LIN, np.c_[X, X], n=2), ValueError, "N = 2 dimensions"),
        (lambda: evaluate_reconstruction(LIN, X, transient=-0.1), ValueError, "`transient`"),
        (lambda: evaluate_reconstruction(LIN, X, transient=True), ValueError, "`transient`"),
        (lambda: evaluate_reconstruction(LIN, X, transient=float("nan")), ValueError, "`transient`"),
        (lambda: evaluate_reconstruction(LIN, X, bins=0), ValueError, "`bins` must be >= 1"),
        (lambda: evaluate_reconstruction(LIN, X, method="kde"), ValueError, "`method`"),
        (lambda: evaluate_reconstruction(LIN, X, sigma2=0.0), ValueError, "`sigma2`"),
        (lambda: evaluate_reconstruction(LIN, X, smoothing=-1), ValueError, "`smoothing`"),
        (lambda: evaluate_reconstruction(LIN, X, lyapunov_steps=-1), ValueError, "`lyapunov_steps`"),
        (lambda: evaluate_reconstruction(LIN, X, dt=0.01), ValueError, "`dt` .* lyapunov_steps > 0"),
        (lambda: evaluate_reconstruction(LIN, X, lyapunov_steps=10, dt=0.0), ValueError, "`dt`"),
        (lambda: evaluate_reconstruction(LIN, X, observation=IdentityObservation.zeros(1, 3)), ValueError,
         "`observation` has M = 3"),
        (lambda: evaluate_reconstruction(Exploding(LIN), X, method="kde"), ValueError, "`method`"),
        (lambda: evaluate_reconstruction(Exploding(LIN), X, smoothing="wide"), ValueError, "`smoothing`"),
        (lambda: power_spectra([1.0]), ValueError, "`x` must have at least 2 time steps"),
        (lambda: power_spectra(np.zeros((4, 2, 2))), ValueError, r"`x` must have shape \(T, N\)"),
        (lambda: power_spectra(X, smoothing=np.inf), ValueError, "`smoothing`"),
    ],
    ids=[f"case{i}" for i in range(32)],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
