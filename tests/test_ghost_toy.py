"""The saddle-node toy model dx/dt = r + x² on the delayed-activation task (Dinc et al.).

Truth comes from closed forms (r* = π²/4T², the point of no return r*/4, the V-shaped minimum's
slope 2T³/π², α_c = 3π⁴/32T⁵, gradient-flow times), from the exact threshold-crossing time
arctan(x*/√r)/√r that the Euler simulation must converge to as dt → 0 and a → ∞, from finite
differences for the exact discrete gradient, and from the numbers of the reference notes
(shared/notes/ghost-mechanism.md §3–§5), which an independent re-implementation produced.
Learning rates always refer to the un-normalised loss L_u; losses are normalised (L_u/T).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from cli_run import ok, usage_error

import bifwatch.studies.toy as toy_study

TOY = toy_study.DelayedActivationToy(T=100.0, dt=0.1, threshold=10.0, confidence=1.0)
R_STAR = TOY.r_star


def crossing_loss(toy: toy_study.DelayedActivationToy, r: np.ndarray) -> np.ndarray:
    """Sharp-output loss with the exact threshold-crossing time t_c = arctan(x*/√r)/√r."""
    t_c = np.arctan(toy.threshold / np.sqrt(r)) / np.sqrt(r)
    return np.abs(t_c - toy.T) / toy.T


# ----------------------------------------------------------------------------------------------
# closed forms


def test_closed_forms_at_T100():
    assert R_STAR == pytest.approx(2.4674e-4, rel=1e-4)
    assert TOY.point_of_no_return == pytest.approx(6.1685e-5, rel=1e-4)
    assert TOY.gradient_at_minimum == pytest.approx(2.0264e5, rel=1e-4)
    assert TOY.critical_lr == pytest.approx(9.132e-10, rel=1e-3)
    assert toy_study.critical_learning_rate(100.0, normalised=True) == pytest.approx(9.132e-8, rel=1e-3)
    # α_c is the step that carries r from r* to the point of no return, by construction
    assert TOY.critical_lr * TOY.gradient_at_minimum == pytest.approx(R_STAR - TOY.point_of_no_return)
    assert toy_study.blowup_time(R_STAR) == pytest.approx(TOY.T)
    assert toy_study.blowup_time(TOY.point_of_no_return) == pytest.approx(2 * TOY.T)


@pytest.mark.parametrize(("T", "expected"), [(50.0, 2.92e-8), (100.0, 9.13e-10), (200.0, 2.85e-11)])
def test_critical_lr_table_and_T_to_the_minus_5(T, expected):
    toy = toy_study.DelayedActivationToy(T=T)
    assert toy.critical_lr == pytest.approx(expected, rel=3e-3)
    assert toy.critical_lr * T**5 == pytest.approx(3 * math.pi**4 / 32)
    assert toy.r_star * T**2 == pytest.approx(math.pi**2 / 4)


def test_analytic_loss_table_and_flat_zone():
    ratios = np.array([0.3, 0.5, 1.0, 2.0, 10.0])
    loss = toy_study.analytic_loss(TOY, ratios * R_STAR)
    np.testing.assert_allclose(loss, [0.826, 0.414, 0.0, 0.293, 0.684], atol=1e-3)
    flat = np.array([-1.0, -1e-3, 0.0, 0.1, 0.25]) * R_STAR
    np.testing.assert_array_equal(toy_study.analytic_loss(TOY, flat), 1.0)
    assert toy_study.analytic_loss(TOY, 0.2500001 * R_STAR) == pytest.approx(1.0, abs=1e-6)  # continuous
    np.testing.assert_allclose(toy_study.analytic_loss(TOY, ratios * R_STAR, normalised=False), loss * TOY.T)


def test_analytic_gradient_against_finite_differences_and_the_v_shape():
    r = np.array([0.3, 0.5, 0.9, 1.2, 3.0, 10.0]) * R_STAR
    h = 1e-6 * R_STAR
    fd = (toy_study.analytic_loss(TOY, r + h, normalised=False)
          - toy_study.analytic_loss(TOY, r - h, normalised=False)) / (2 * h)
    np.testing.assert_allclose(toy_study.analytic_gradient(TOY, r, normalised=False), fd, rtol=1e-6)
    np.testing.assert_allclose(toy_study.analytic_gradient(TOY, r), fd / TOY.T, rtol=1e-6)
    left, right = toy_study.analytic_gradient(TOY, R_STAR * np.array([1 - 1e-9, 1 + 1e-9]), normalised=False)
    assert left == pytest.approx(-TOY.gradient_at_minimum) and right == pytest.approx(TOY.gradient_at_minimum)
    # the cliff just right of the point of no return is 8 times steeper; left of it nothing
    cliff = toy_study.analytic_gradient(TOY, 0.25 * R_STAR * (1 + 1e-9), normalised=False)
    assert cliff == pytest.approx(-8 * TOY.gradient_at_minimum)
    np.testing.assert_array_equal(toy_study.analytic_gradient(TOY, np.array([-1, 0, 0.1, 0.25]) * R_STAR), 0)


def test_flow_time_to_the_optimum():
    assert toy_study.flow_epochs(TOY, 1e-10) == pytest.approx(1535, abs=1)
    assert toy_study.flow_epochs(TOY, 3e-10) == pytest.approx(512, abs=1)
    assert toy_study.flow_epochs(TOY, 1e-10, r0=0.2 * R_STAR) == math.inf


# ----------------------------------------------------------------------------------------------
# the Euler simulation


def test_simulated_loss_matches_the_notes_table():
    ratios = np.array([0.3, 0.5, 1.0, 2.0, 10.0])
    loss = toy_study.simulated_loss(TOY, ratios * R_STAR)
    np.testing.assert_allclose(loss, [0.831, 0.419, 0.0044, 0.288, 0.680], atol=1e-3)
    flat = toy_study.simulated_loss(TOY, np.array([-1.0, 0.0, 0.1, 0.2]) * R_STAR)
    np.testing.assert_allclose(flat, 0.9999, atol=2e-4)
    assert np.max(np.abs(loss - toy_study.analytic_loss(TOY, ratios * R_STAR))) < 0.005


def test_low_confidence_smooths_the_landscape():
    soft = toy_study.DelayedActivationToy(confidence=0.1)
    assert toy_study.simulated_loss(soft, R_STAR / 8) == pytest.approx(0.607, abs=2e-3)
    minimum = toy_study.simulated_loss(soft, R_STAR * np.linspace(0.5, 1.5, 101)).min()
    assert minimum == pytest.approx(0.075, abs=3e-3)


def test_simulation_converges_to_the_sharp_limit():
    """O(dt) convergence to the exact threshold-crossing loss; |t_c − t*| ≈ 1/x* is the only gap to
    the blow-up formula."""
    r = np.array([0.3, 0.5, 0.8, 1.5, 2.0, 5.0, 10.0]) * toy_study.DelayedActivationToy(T=10.0).r_star
    errors = []
    for dt, a in [(0.1, 1.0), (0.01, 10.0), (0.001, 100.0)]:
        toy = toy_study.DelayedActivationToy(T=10.0, dt=dt, confidence=a)
        simulated = toy_study.simulated_loss(toy, r)
        errors.append(np.max(np.abs(simulated - crossing_loss(toy, r))))
        gap = np.max(np.abs(simulated - toy_study.analytic_loss(toy, r)))
        assert gap < errors[-1] + 1.0 / (toy.threshold * toy.T) + 1e-3
    assert errors[0] > 5 * errors[1] > 25 * errors[2]
    assert errors[2] < 1e-3


@pytest.mark.parametrize("confidence", [0.1, 1.0])
def test_exact_gradient_against_finite_differences(confidence):
    toy = toy_study.DelayedActivationToy(confidence=confidence)
    r = np.array([-0.5, 0.125, 0.3, 0.5, 0.97, 2.0, 10.0]) * R_STAR
    loss, grad = toy_study.simulated_loss_and_gradient(toy, r, normalised=False)
    h = 1e-7 * R_STAR
    fd = (toy_study.simulated_loss(toy, r + h, normalised=False)
          - toy_study.simulated_loss(toy, r - h, normalised=False)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-3, atol=1e-9 * np.max(np.abs(fd)))
    loss_n, grad_n = toy_study.simulated_loss_and_gradient(toy, r)
    np.testing.assert_allclose((loss_n, grad_n), (loss / toy.T, grad / toy.T))


def test_gradient_inside_the_no_learning_zone_vanishes_with_confidence():
    confidences = (0.1, 0.5, 1.0, 2.0, 10.0)
    relative = toy_study.gradient_vs_confidence(TOY, R_STAR * np.array([0.125, 0.5]), confidences)[:, 0]
    np.testing.assert_allclose(relative[:2], [2.7e-3, 3.6e-4], rtol=0.1)  # the notes' §3 table
    assert np.all(np.diff(relative) < 0) and relative[-1] < 1e-30


# ----------------------------------------------------------------------------------------------
# gradient descent on r


def test_learning_curves_of_the_paper():
    good = toy_study.gradient_descent(TOY, 1e-10, epochs=3000, noise=0.0)
    fast = toy_study.gradient_descent(TOY, 3e-10, epochs=3000, noise=0.0)
    bad = toy_study.gradient_descent(TOY, 1e-9, epochs=3000, noise=0.0)
    assert good.epochs_to_optimum[0] == 1538 and fast.epochs_to_optimum[0] == 514
    assert good.r.shape == good.loss.shape == (3001, 1)
    assert not good.stuck[0] and good.final_loss[0] < 0.05
    assert bad.stuck[0] and bad.final_loss[0] == 1.0
    # after reaching r* the iterate keeps bouncing around the V-shaped minimum
    tail = good.r[2000:, 0]
    assert tail.min() < R_STAR < tail.max()
    assert good.loss[0, 0] == pytest.approx(0.684, abs=1e-3)


def test_simulated_gradient_descent_takes_the_exact_discrete_gradient():
    toy = toy_study.DelayedActivationToy(T=10.0, dt=0.1)
    lr = 0.5 * toy.critical_lr
    run = toy_study.gradient_descent(toy, lr, epochs=15, inits=2, seed=1, gradient="simulated")
    step = lr * toy_study.simulated_loss_and_gradient(toy, run.r[0], normalised=False)[1]
    np.testing.assert_allclose(run.r[1], run.r[0] - step)
    assert np.all(np.diff(run.r, axis=0) < 0) and np.all(np.diff(run.loss, axis=0) < 0)
    np.testing.assert_allclose(run.loss[-1], toy_study.simulated_loss(toy, run.r[-1]))


@pytest.mark.parametrize(("factor", "stuck"), [(0.5, 0.0), (0.9, 0.0), (0.99, 0.0), (1.03, 1.0), (2.0, 1.0)])
def test_stuck_fraction_around_the_critical_lr(factor, stuck):
    sweep = toy_study.learning_rate_sweep(TOY, [factor * TOY.critical_lr], epochs=10_000, inits=100, seed=3)
    assert sweep.stuck_fraction[0] == stuck


def test_sweep_final_losses_match_the_notes():
    rates = [1e-11, 2e-11, 1e-10, 3.2e-10, 7.9e-10, 1e-9]
    sweep = toy_study.learning_rate_sweep(TOY, rates, epochs=10_000, inits=20)
    np.testing.assert_allclose(sweep.loss_mean[-1], [0.61, 0.004, 0.022, 0.065, 0.135, 1.0], rtol=0.2)
    assert sweep.checkpoints == (1000, 2000, 3000, 5000, 10_000)
    assert sweep.loss.shape == (5, 6, 20) and sweep.loss_sem.shape == (5, 6)
    assert np.all(sweep.loss_mean[0, :3] > sweep.loss_mean[-1, :3])  # slow rates: still learning at 1000
    assert sweep.critical_rate == 1e-9


@pytest.mark.parametrize("T", [50.0, 100.0, 200.0])
def test_empirical_critical_lr_follows_the_formula(T):
    toy = toy_study.DelayedActivationToy(T=T)
    rate = toy_study.empirical_critical_lr(toy, inits=50, epochs=10_000)
    assert 1.0 <= rate / toy.critical_lr < 1.03  # nothing can get stuck below α_c


def test_same_seed_same_result():
    one = toy_study.learning_rate_sweep(TOY, [2e-10, 9.3e-10], epochs=2000, inits=5, seed=7)
    two = toy_study.learning_rate_sweep(TOY, [2e-10, 9.3e-10], epochs=2000, inits=5, seed=7)
    np.testing.assert_array_equal(one.final_r, two.final_r)
    np.testing.assert_array_equal(one.loss, two.loss)
    other = toy_study.initial_values(TOY, 5, seed=8)
    assert not np.array_equal(toy_study.initial_values(TOY, 5, seed=7), other)
    assert np.all(np.abs(other / R_STAR - 10) < 0.5)


def test_report_and_its_json(tmp_path):
    report = toy_study.report(TOY, epochs=2000, inits=3, n_rates=12, curve_epochs=200,
                                 critical_inits=10, confidences=(0.1, 1.0))
    data = json.loads(report.to_json(tmp_path / "toy.json"))
    assert data == json.loads((tmp_path / "toy.json").read_text())
    assert data["r_star"] == pytest.approx(R_STAR) and data["critical_lr"] == pytest.approx(TOY.critical_lr)
    assert data["point_of_no_return"] == pytest.approx(R_STAR / 4)
    assert 1.0 <= data["critical_lr_empirical"] / data["critical_lr"] < 1.1
    assert [c["lr"] for c in data["learning_curves"]] == pytest.approx([1e-10, 1e-9])
    assert len(data["sweep"]["rates"]) == 12 and len(data["loss_landscape"]["simulated"]) == 2
    axes = report.plot()
    assert axes.shape == (2, 3)
    import matplotlib.pyplot as plt

    plt.close(axes[0, 0].figure)


# ----------------------------------------------------------------------------------------------
# bad arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"T": -100.0}, ValueError, r"`T` must be a finite number > 0; got -100"),
        ({"T": math.inf}, ValueError, r"`T` must be a finite number > 0; got inf"),
        ({"T": "100"}, TypeError, r"`T` must be a real number; got '100'"),
        ({"dt": 200.0}, ValueError, r"`dt` must be smaller than `T` = 100; got dt = 200"),
        ({"dt": 100.0}, ValueError, r"`dt` must be smaller than `T`"),
        ({"dt": 0.0}, ValueError, r"`dt` must be a finite number > 0; got 0"),
        ({"dt": 0.3}, ValueError, r"`dt` must divide `T` into a whole number of steps; got T/dt = 333.333"),
        ({"threshold": 0.0}, ValueError, r"`threshold` must be a finite number > 0"),
        ({"confidence": -1.0}, ValueError, r"`confidence` must be a finite number > 0; got -1"),
        ({"confidence": True}, TypeError, r"`confidence` must be a real number"),
    ],
)
def test_toy_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        toy_study.DelayedActivationToy(**kwargs)


def test_functions_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"`r` must be finite"):
        toy_study.simulated_loss(TOY, [R_STAR, np.nan])
    with pytest.raises(TypeError, match=r"`r` must be a numeric array"):
        toy_study.analytic_loss(TOY, "r*")
    with pytest.raises(ValueError, match=r"`lr` must be finite and > 0"):
        toy_study.gradient_descent(TOY, -1e-10)
    with pytest.raises(ValueError, match=r"`epochs` must be >= 1; got 0"):
        toy_study.gradient_descent(TOY, 1e-10, epochs=0)
    with pytest.raises(ValueError, match=r"`inits` must be >= 1; got 0"):
        toy_study.gradient_descent(TOY, 1e-10, inits=0)
    with pytest.raises(ValueError, match=r"`seed` must be >= 0"):
        toy_study.initial_values(TOY, 3, seed=-1)
    with pytest.raises(ValueError, match=r"`noise` must be a finite number >= 0"):
        toy_study.initial_values(TOY, 3, noise=-0.1)
    with pytest.raises(ValueError, match=r"`gradient` must be one of \('analytic', 'simulated'\)"):
        toy_study.gradient_descent(TOY, 1e-10, epochs=2, gradient="numeric")
    with pytest.raises(ValueError, match=r"`r0` must be a non-empty 1-D array of finite values"):
        toy_study.gradient_descent(TOY, 1e-10, r0=[np.inf])
    with pytest.raises(ValueError, match=r"`rates` must be a non-empty 1-D array"):
        toy_study.learning_rate_sweep(TOY, [])
    with pytest.raises(ValueError, match=r"`checkpoints` must lie in \[0, epochs = 10\]; got 20"):
        toy_study.learning_rate_sweep(TOY, [1e-10], epochs=10, checkpoints=(5, 20))
    with pytest.raises(ValueError, match=r"`rates` must bracket the critical learning rate.*none"):
        toy_study.empirical_critical_lr(TOY, rates=[1e-11, 1e-10], epochs=100, inits=2)
    with pytest.raises(ValueError, match=r"`rates` must bracket the critical learning rate.*smallest"):
        toy_study.empirical_critical_lr(TOY, rates=[1e-8, 2e-8], epochs=100, inits=2)
    with pytest.raises(ValueError, match=r"`T` must be a finite number > 0"):
        toy_study.critical_learning_rate(0.0)
    with pytest.raises(ValueError, match=r"needs 2T/dt = 20000000 steps.*larger `dt`"):
        toy_study.simulated_loss(toy_study.DelayedActivationToy(T=1e6, dt=0.1), 1e-12)


# ----------------------------------------------------------------------------------------------
# the command line

SMALL = ("--epochs", "2000", "--inits", "3", "--rates", "12", "--critical-inits", "10",
         "--curve-epochs", "300")


def test_cli_json_and_figure(capsys, tmp_path):
    from matplotlib.image import imread

    out, png = tmp_path / "toy.json", tmp_path / "toy.png"
    printed = ok(capsys, "ghost", "toy", "--T", "100", "--dt", "0.1", "--threshold", "10", *SMALL,
                 "--json", str(out), "--plot", str(png))
    assert "critical lr (analytic)      9.1321e-10" in printed and f"wrote {out}" in printed
    assert "lr = 1e-09: reaches r* at epoch 156" in printed and "stuck in the no-learning zone" in printed
    data = json.loads(out.read_text())
    for key in ("r_star", "critical_lr", "critical_lr_empirical", "point_of_no_return", "loss_landscape",
                "learning_curves", "sweep", "gradient_vs_confidence"):
        assert key in data
    assert data["T"] == 100.0 and data["confidence"] == 1.0
    assert data["sweep"]["epochs"] == 2000 and data["sweep"]["inits"] == 3
    image = imread(png)
    assert image.shape[0] > 500 and image.shape[1] > 1000
    assert np.std(image[..., :3]) > 0.05  # not blank


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("--T", "-100"), r"`T` must be a finite number > 0; got -100"),
        (("--dt", "200"), r"`dt` must be smaller than `T` = 100; got dt = 200"),
        (("--dt", "0.3"), r"whole number of steps"),
        (("--T", "abc"), r"argument --T: invalid float value: 'abc'"),
        (("--confidence", "0"), r"`confidence` must be a finite number > 0"),
        (("--threshold", "nan"), r"`threshold` must be a finite number > 0; got nan"),
        (("--rates", "1"), r"argument --rates: expected an integer >= 2; got 1"),
        (("--inits", "0"), r"argument --inits: expected an integer >= 1; got 0"),
    ],
)
def test_cli_usage_errors(capsys, args, match):
    usage_error(capsys, "ghost", "toy", *args, match=match)


def test_cli_does_not_import_torch(tmp_path):
    code = (
        "import sys; from bifwatch.cli import main; "
        f"status = main(['ghost', 'toy', {', '.join(repr(a) for a in SMALL)}]); "
        "assert status == 0, status; assert 'torch' not in sys.modules, 'torch was imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_reproduce_ghost_toy_writes_figure_and_json(capsys, tmp_path):
    import matplotlib.image

    out = ok(capsys, "reproduce", "ghost-toy", "--quick", "--out", str(tmp_path), "--no-progress")
    assert "critical lr (analytic)" in out
    data = json.loads((tmp_path / "ghost-toy.json").read_text())
    assert data["r_star"] == pytest.approx(math.pi**2 / 4e4)
    assert data["critical_lr_empirical"] / data["critical_lr"] == pytest.approx(1.0, abs=0.1)
    image = matplotlib.image.imread(tmp_path / "ghost-toy.png")
    assert image.shape[0] > 300 and image[..., :3].std() > 0.05
