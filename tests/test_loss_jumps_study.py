"""The loss-jumps study (Eisenmann et al. 2023): closed forms, gradients, invariants, the three commands.

Truth comes from: the closed forms of z' = a z + h at its degenerate transcritical bifurcation and
of z' = a z + w relu(z) + h across its border collision; the teacher fitting its own series
(loss 0); finite differences and torch.autograd for the students' BPTT gradient; the monitor's own
rule for what "a bifurcation in the window" means.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_run import ok, usage_error

from bifwatch import PLRNN
from bifwatch.datasets import plrnn_cycle, plrnn_cycle_teacher
from bifwatch.monitor import TrainingEvent, explain
from bifwatch.studies import loss_jumps as lj
from bifwatch.training import Jump

TEACHER = plrnn_cycle_teacher()


@pytest.fixture(scope="module")
def series():
    return plrnn_cycle(steps=80).train


# --- the gradient theorem: closed forms ------------------------------------------------------------


def test_dtb_gradient_slope_is_minus_three():
    result = lj.gradient_theorem_experiment(points=41, bcb_points=20, steps=(200,))
    assert result.slopes()["fixed_point"] == pytest.approx(-3.0, abs=0.05)
    assert result.events["dtb"] == pytest.approx(1.0, abs=1e-12)
    assert result.events["dtb_type"] == "degenerate-transcritical"


@pytest.mark.parametrize("distance", [1e-4, 3e-4, 1e-3, 1e-2])
def test_dtb_gradient_matches_the_closed_form_pointwise(distance):
    h, y, a = 0.5, 1.0, 1.0 - distance
    z = h / (1 - a)
    g = lj.fixed_point_gradient(PLRNN(A=[a], W=[[0.0]], h=[h]), [z], [y])["A"][0]
    exact = 2 * (z - y) * h / (1 - a) ** 2
    assert g == pytest.approx(exact, rel=1e-10)
    # 2h²/(1-a)³ is the leading term: they differ by the factor 1 - (1 - a)/h
    assert g == pytest.approx(2 * h**2 / (1 - a) ** 3, rel=1.01 * distance / h)


def test_trajectory_gradient_equals_finite_differences():
    a = np.array([0.5, 0.9, 0.999])
    g = lj.trajectory_gradient_a(a, h=0.5, target=1.0, steps=300)
    eps = 1e-7

    def loss(values):
        z, total = np.zeros_like(values), np.zeros_like(values)
        for _ in range(300):
            z = values * z + 0.5
            total += (z - 1.0) ** 2
        return total / 300

    assert g == pytest.approx((loss(a + eps) - loss(a - eps)) / (2 * eps), rel=1e-5)


def test_trajectory_gradient_saturates_below_one_over_t():
    result = lj.gradient_theorem_experiment(points=61, bcb_points=20, steps=(500,))
    slopes = result.slopes()
    assert slopes["trajectory_T500_far"] == pytest.approx(-3.0, abs=0.2)
    assert abs(slopes["trajectory_T500_below_1/T"]) < 0.3


def test_border_collision_gradient_jumps_finitely():
    a, w, y = 0.5, -0.3, 1.0
    result = lj.gradient_theorem_experiment(points=11, bcb_points=40, bcb_a=a, bcb_w=w, steps=(100,))
    jump = result.bcb_jump()
    assert jump["left"] == pytest.approx(-2 * y / (1 - a), rel=1e-6)
    assert jump["right"] == pytest.approx(-2 * y / (1 - a - w), rel=1e-6)
    off = result.h_values < 0
    assert np.all(result.bcb_gradient["W"][off] == 0.0)  # the unit is off: W does not enter
    assert np.all(np.isfinite(result.bcb_gradient["h"]))
    assert result.events["bcb_type"] == "border-collision" and abs(result.events["bcb"]) < 1e-12
    # the T-step trajectory from z0 = 0 stays on one side: its dL/dh jumps at the same place
    assert result.bcb_trajectory[~off][0] - result.bcb_trajectory[off][-1] > 1.0


def test_fixed_point_gradient_is_the_derivative_of_the_fixed_point(rng):
    model = PLRNN(A=[0.3, 0.2], W=[[0.0, -0.4], [0.5, 0.1]], h=[0.6, 0.2])
    (cycle,) = [c for c in __import__("bifwatch").find_cycles(model, max_order=1).cycles]
    target = np.array([0.1, -0.2])
    g = lj.fixed_point_gradient(model, cycle.points[0], target)

    def loss(W01):
        W = model.W.copy()
        W[0, 1] = W01
        m = PLRNN(A=model.A, W=W, h=model.h)
        z = np.linalg.solve(np.eye(2) - m.affine_map(m.region(cycle.points[0]))[0], m.h)
        return np.sum((z - target) ** 2)

    eps = 1e-7
    fd = (loss(model.W[0, 1] + eps) - loss(model.W[0, 1] - eps)) / (2 * eps)
    assert g["W"][0, 1] == pytest.approx(fd, rel=1e-6)


# --- the students: loss, gradient, training -------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0])
def test_teacher_has_zero_loss_on_its_own_series(series, alpha):
    loss, grad = lj.gtf_loss_and_gradient(lj.student_vector(TEACHER)[None], series, alpha=alpha)
    assert loss[0] < 1e-28
    assert np.max(np.abs(grad)) < 1e-12


def test_landscape_at_zero_is_the_teacher(series):
    land = lj.loss_landscape(TEACHER, series, alphas=(0.0, 0.1), radius=0.5, grid=11)
    assert land.deltas[5] == 0.0
    assert np.all(land.loss[:, 5, 5] < 1e-28)
    assert np.all(land.loss[:, 5, 5] <= np.nanmin(land.loss, axis=(1, 2)))
    assert land.loss.shape == land.grad_norm.shape == (2, 11, 11)
    # a22 >= 1 blows the free-running trajectory up: NaN there (never inf, never a warning)
    assert np.isnan(land.loss[0, 5, -1]) or land.loss[0, 5, -1] > 1e3


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_bptt_gradient_equals_finite_differences(rng, alpha):
    data = plrnn_cycle(steps=40).train
    theta = lj.student_vector(TEACHER) + 0.05 * rng.standard_normal((3, 6))
    _, grad = lj.gtf_loss_and_gradient(theta, data, alpha=alpha)
    eps, fd = 1e-6, np.zeros_like(grad)
    for i in range(6):
        step = np.zeros(6)
        step[i] = eps
        fd[:, i] = (lj.gtf_loss_and_gradient(theta + step, data, alpha=alpha)[0]
                    - lj.gtf_loss_and_gradient(theta - step, data, alpha=alpha)[0]) / (2 * eps)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-9)


def test_bptt_gradient_equals_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    data = plrnn_cycle(steps=60).train
    theta = lj.student_vector(TEACHER) + 0.1 * rng.standard_normal((2, 6))
    alpha = 0.2
    loss, grad = lj.gtf_loss_and_gradient(theta, data, alpha=alpha)
    x = torch.tensor(data)
    for b in range(2):
        p = torch.tensor(theta[b], requires_grad=True)
        z, total = x[0], 0.0
        for t in range(len(data) - 1):
            zt = (1 - alpha) * z + alpha * x[t]
            r = torch.relu(zt)
            z = torch.stack([p[0] * zt[0] + p[2] * r[1] + p[4], p[1] * zt[1] + p[3] * r[0] + p[5]])
            total = total + torch.sum((z - x[t + 1]) ** 2)
        total = total / (2 * (len(data) - 1))
        total.backward()
        assert float(total.detach()) == pytest.approx(loss[b], rel=1e-12)
        np.testing.assert_allclose(p.grad.numpy(), grad[b], rtol=1e-10, atol=1e-14)


def test_one_epoch_is_one_gradient_step_on_the_trained_entries(series, rng):
    theta0 = lj.student_vector(TEACHER) + 0.05 * rng.standard_normal((2, 6))
    runs = lj.train_students(theta0, series, alpha=0.1, lr=0.01, epochs=1, trainable=("A[0]", "A[1]"))
    _, grad = lj.gtf_loss_and_gradient(theta0, series, alpha=0.1)
    expected = theta0.copy()
    expected[:, :2] -= 0.01 * grad[:, :2]
    np.testing.assert_allclose(runs.theta[1], expected, rtol=0, atol=1e-15)
    assert runs.grad_norm[0] == pytest.approx(np.linalg.norm(grad[:, :2], axis=1))


def test_a_diverging_run_is_frozen_and_marked(series):
    good = lj.student_vector(TEACHER)
    bad = good.copy()
    bad[1] = 1.6  # |a22| > 1: the free-running orbit overflows, and so does the gradient step after it
    runs = lj.train_students(np.stack([good, bad]), series, alpha=0.0, lr=0.01, epochs=5)
    assert runs.diverged[0] == -1 and 0 <= runs.diverged[1] <= 2
    e = runs.diverged[1]
    assert np.all(np.isnan(runs.loss[e:, 1])) and np.all(runs.theta[e:, 1] == runs.theta[e, 1])
    assert runs.last_epoch(1) == e - 1 and runs.last_epoch(0) == 5


def test_training_is_seeded(series):
    first = lj.initial_students(TEACHER, runs=3, seed=4)
    again = lj.initial_students(TEACHER, runs=3, seed=4)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], [4, 5, 6])
    # run i depends on its own seed only, not on how many runs are drawn
    np.testing.assert_array_equal(lj.initial_students(TEACHER, runs=1, seed=5)[0][0], first[0][1])
    a = lj.train_students(first[0], series, alpha=0.1, epochs=5)
    b = lj.train_students(again[0], series, alpha=0.1, epochs=5)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_student_model_round_trip():
    theta = lj.student_vector(TEACHER)
    model = lj.student_model(theta)
    np.testing.assert_array_equal(lj.student_vector(model), theta)
    np.testing.assert_array_equal(model.W, TEACHER.W)


# --- windows: the monitor's rule -------------------------------------------------------------------


def test_segments_cover_every_window_and_merge():
    assert lj.segments([5, 7, 20], window=2.0, last=30) == [(2, 7), (17, 20)]
    assert lj.segments([1, 40], window=2.0, last=30) == [(0, 1)]  # clipped at 0, past the run dropped
    assert lj.segments([6, 10], window=2.0, last=30) == [(3, 6), (7, 10)]  # interval 6 -> 7 not needed
    assert lj.segments([6, 9], window=2.0, last=30) == [(3, 9)]  # share checkpoint 6


def _event(epoch: float, outcome: str = "born", before=None, after="stable node") -> TrainingEvent:
    from bifwatch.bifurcations import BifurcationEvent

    e = BifurcationEvent(value=0.5, type="border-collision", order=3, points=None, multipliers=np.zeros(2),
                         stability_before=before, stability_after=after, outcome=outcome)
    return TrainingEvent(epoch, (np.floor(epoch), np.floor(epoch) + 1), 0.5, e)


def test_explained_is_the_monitors_rule():
    events = [_event(9.5), _event(20.0)]
    epochs = [10, 12, 13, 20, 30]
    flags = lj.explained(epochs, events, window=2.0)
    jumps = [Jump(e, e, "drop", 2.0, 9.0) for e in epochs]
    assert flags.tolist() == [why == "bifurcation" for why, _ in explain(jumps, events, window=2.0)]
    assert flags.tolist() == [True, True, False, True, False]  # 12: 9.5 in [9, 12]; 13: [10, 13]


def test_signature_events():
    assert lj.is_signature(_event(1.0, "born", None, "stable node"))
    assert lj.is_signature(_event(1.0, "persists", "stable node", "unstable focus"))
    assert not lj.is_signature(_event(1.0, "persists", "stable node", "stable node"))


# --- error paths ------------------------------------------------------------------------------------


def test_bad_input_is_refused(series):
    with pytest.raises(ValueError, match="a student is a 2-D PLRNN"):
        lj.student_vector(PLRNN(A=[0.5], W=[[0.0]], h=[0.1]))
    with pytest.raises(ValueError, match="zero diagonal W"):
        lj.student_vector(PLRNN(A=[0.5, 0.5], W=[[0.1, 0.0], [0.0, 0.0]], h=[0.1, 0.1]))
    with pytest.raises(ValueError, match=r"`alpha` must be in \[0, 1\]"):
        lj.train_students(lj.student_vector(TEACHER), series, alpha=1.5)
    with pytest.raises(ValueError, match=r"shape \(B, 6\)"):
        lj.train_students(np.zeros((2, 5)), series, alpha=0.1)
    with pytest.raises(ValueError, match="`trainable` must be a non-empty subset"):
        lj.initial_students(TEACHER, runs=2, seed=0, trainable=("A[2]",))
    with pytest.raises(ValueError, match="`epochs` must be >= 1"):
        lj.train_students(lj.student_vector(TEACHER), series, alpha=0.1, epochs=0)


@pytest.mark.parametrize("name", ["loss-jumps", "gtf", "gradient-theorem"])
def test_seed_sets_are_refused(capsys, tmp_path, name):
    usage_error(capsys, "reproduce", name, "--quick", "--seed-sets", "2", "--out", str(tmp_path),
                match=f"--seed-sets applies to ghost-collapse only, not {name}")


# --- the three commands -----------------------------------------------------------------------------

KEYS = {
    "loss-jumps": {"experiment", "settings", "paper", "teacher", "landscape", "bifurcation_curves",
                   "fractions", "runs", "paths", "zoom"},
    "gtf": {"experiment", "settings", "paper", "statistics", "runs", "loss"},
    "gradient-theorem": {"experiment", "settings", "slopes", "events", "bcb_jump", "dtb", "bcb"},
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_quick_command_writes_json_and_png(capsys, tmp_path, name):
    import matplotlib.image

    out = ok(capsys, "reproduce", name, "--quick", "--out", str(tmp_path), "--no-progress")
    assert f"wrote {tmp_path / name}.json and {tmp_path / name}.png" in out
    assert "reduced against the paper" in out or name == "gradient-theorem"
    data = json.loads((tmp_path / f"{name}.json").read_text())
    assert set(data) == KEYS[name] and data["experiment"] == name
    image = matplotlib.image.imread(tmp_path / f"{name}.png")
    assert image.shape[0] > 400 and image[..., :3].std() > 0.05


def test_loss_jumps_json_contents(capsys, tmp_path):
    ok(capsys, "reproduce", "loss-jumps", "--quick", "--seed", "3", "--out", str(tmp_path), "--no-progress")
    data = json.loads((tmp_path / "loss-jumps.json").read_text())
    assert data["settings"]["seed"] == 3 and [r["seed"] for r in data["runs"]] == [3, 4, 5]
    assert set(data["fractions"]) == {"jumps_any", "jumps_signature", "control_any", "control_signature"}
    land = data["landscape"]
    mid = len(land["delta"]) // 2
    assert land["delta"][mid] == 0.0 and all(grid[mid][mid] < 1e-28 for grid in land["loss"])
    run = data["runs"][0]
    assert {"loss_jumps", "control_epochs", "bifurcations", "segments", "intervals_continued"} <= set(run)


def test_same_seed_same_result(capsys, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        ok(capsys, "reproduce", "gtf", "--quick", "--out", str(tmp_path / folder), "--no-progress")
    assert (tmp_path / "a" / "gtf.json").read_text() == (tmp_path / "b" / "gtf.json").read_text()


# --- figures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_jumps():
    return lj.loss_jumps_experiment(runs=3, epochs=60, steps=100, controls=4, max_order=2, map_order=2,
                                    map_grid=5, landscape_grid=21, seed=0)


def test_loss_jumps_figure_axes(small_jumps):
    import matplotlib.pyplot as plt

    axes = small_jumps.plot()
    assert axes.shape == (2, 3)
    titles = [ax.get_title() for ax in axes.ravel()]
    assert titles[0].startswith("(a) loss, GTF α = 0.1") and titles[2].startswith("(c) loss, α = 0")
    assert [ax.get_xlabel() for ax in axes[0]] == ["Δa11"] * 3 and axes[1, 0].get_xlabel() == "epoch"
    plt.close(axes.ravel()[0].figure)


def test_gradient_and_gtf_figure_axes():
    import matplotlib.pyplot as plt

    axes = lj.gradient_theorem_experiment(points=11, bcb_points=20, steps=(100,)).plot()
    assert axes.shape == (2,) and axes[0].get_xscale() == "log" and axes[1].get_xlabel() == "h"
    plt.close(axes[0].figure)
    axes = lj.gtf_experiment(runs=2, epochs=20, steps=60, max_order=1).plot()
    assert axes.shape == (2, 2) and axes[0, 0].get_title().startswith("(a) α = 0")
    plt.close(axes[0, 0].figure)


def test_figures_refuse_other_objects():
    from bifwatch.plotting import plot_gradient_theorem, plot_gtf, plot_loss_jumps

    for draw in (plot_loss_jumps, plot_gtf, plot_gradient_theorem):
        with pytest.raises(TypeError, match="`result` must be a"):
            draw(object())
