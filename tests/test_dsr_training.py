"""bifwatch.training.dsr: teacher forcing, the training loop and its run folder, checked against maths.

Where the truth comes from:

- Forcing (training-and-dsr.md, sections 3-4): every state fed to F is recorded and held against
  the recursion written out here: GTF's z~_t = (1 - alpha m) z_t + alpha m zhat_t (zhat = [x; 0]
  for the identity observation, B^+ x by numpy's pinv for the affine one), STF's replacement at
  exactly the steps (t - 1) mod tau = 0, units outside m carried over bit for bit. GTF with
  alpha = 1 is the one-step-ahead map F(x_t); no forcing is ``generate``; STF(tau = 1) is GTF(1).
- Gradients: for a linear model F(z) = C z + h, d prediction_T / d z_1 = (1 - alpha)^(T-1) C^T in
  closed form (autograd), so its norm is s (bounded) at alpha = 1 - 1/s and grows with log-slope
  ln s at alpha = 0 for C a rotation scaled by s; for a PLRNN sup ||J|| is the maximum over its 2^M
  region Jacobians, and the autograd norm obeys the bound prod (1 - alpha) ||J_k|| <= sup ||J||.
  ``gradcheck`` of the unroll in float64.
- aGTF: all three data estimators of a linear model are ||C||_2, bounded by the parameter bound;
  on a PLRNN they equal their definitions computed in numpy; alpha* = max(0, 1 - 1/N) is the least
  alpha with (1 - alpha) N <= 1; the relaxation alpha_k = e + decay^k (alpha_0 - e), also as the
  trainer records it for a model whose parameters a learning rate of 1e-300 cannot move.
- Training: a linear ALRNN (P = 0) under GTF(alpha = 1) on an exact trajectory of a known linear
  map (a rotation by 0.3 scaled by 0.999, plus a bias) recovers diag(A) + W and h to 1e-6.
- Windows: trials encoded in the values, so each window shows where it came from; the set of
  starts drawn equals the set of valid starts.
- Runs: the documented folder (checkpoints exactly {0, K, 2K, ..., E}, each equal to the module
  it saved; history columns; lr_e = lr0 (lr1 / lr0)^(e / E); config round trip; status), bitwise
  reproducibility, causality (with a constant lr the first epochs of a longer run are a shorter
  run), resume after Ctrl-C and after kill -9 ending bit for bit where the uninterrupted run ends,
  divergence kept as a result; every error path, and the CLI.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_run import ok, usage_error
from cli_run import run as cli

import bifwatch as bw
from bifwatch.models import load_observation
from bifwatch.training import read_history as history_table

torch = pytest.importorskip("torch")
from bifwatch.models.nn import build_model  # noqa: E402  (after importorskip)
from bifwatch.training.dsr import (  # noqa: E402
    TrainSettings,
    Windows,
    _trainer,  # its _Trainer is interrupted on purpose
    jacobian_norm_estimate,
    load_run_data,
    optimal_alpha,
    read_settings,
    train,
    unroll,
    update_alpha,
    write_settings,
)

TIMING = ("wall_time", "epoch_time")
#: Tiny settings: every run of this file takes a fraction of a second.
TINY = dict(model="clipped-shplrnn", hidden=8, epochs=4, batches_per_epoch=3, batch_size=4, seq_len=20,
            lr=(1e-2, 1e-3), checkpoint_every=2, forcing="gtf", alpha=0.2)

def read_history(path) -> dict[str, list[float]]:
    """``bifwatch.training.read_history`` as lists (the assertions below compare lists)."""
    return {name: column.tolist() for name, column in history_table(path).items()}

TINY_FLAGS = ["--model", "clipped-shplrnn", "--hidden", "8", "--epochs", "4", "--batches-per-epoch", "3",
              "--batch-size", "4", "--seq-len", "20", "--lr", "1e-3", "1e-2", "--checkpoint-every", "2",
              "--forcing", "gtf", "--alpha", "0.2", "--no-progress",
              "--no-monitor"]  # the monitor of a run: tests/test_monitor_online.py


# ----------------------------------------------------------------------------------------------
# helpers


def _series(T: int = 300, N: int = 2, seed: int = 0) -> np.ndarray:
    """A noisy, slowly modulated 2-D oscillation (or N copies of it, phase-shifted)."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None]
    x = np.sin(0.3 * t + np.arange(N)) * (1 + 0.3 * np.sin(0.05 * t))
    return x + 0.05 * rng.normal(size=(T, N))


def _save(path: Path, x: np.ndarray) -> Path:
    np.save(path, x)
    return path


@pytest.fixture
def data(tmp_path) -> Path:
    return _save(tmp_path / "x.npy", _series())


def _settings(data: Path, **changes) -> TrainSettings:
    return TrainSettings(system=None, data=str(data), **{**TINY, **changes})


def _checkpoints(run: Path) -> dict[str, dict[str, np.ndarray]]:
    out = {}
    for file in sorted((Path(run) / "checkpoints").iterdir()):
        with np.load(file) as archive:
            out[file.name] = {k: archive[k] for k in archive.files}
    return out


def _assert_same_checkpoints(a: Path, b: Path) -> None:
    """The same files, member for member, bit for bit."""
    A, B = _checkpoints(a), _checkpoints(b)
    assert A.keys() == B.keys()
    for name in A:
        assert A[name].keys() == B[name].keys(), name
        for k in A[name]:
            assert A[name][k].dtype == B[name][k].dtype and A[name][k].tobytes() == B[name][k].tobytes(), \
                (name, k)


def _history_rows(run: Path) -> list[dict[str, str]]:
    """history.csv as text, without the wall-clock columns (text equality is bitwise: repr floats)."""
    with open(Path(run) / "history.csv", newline="") as handle:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(handle)]


def _assert_same_runs(a: Path, b: Path) -> None:
    _assert_same_checkpoints(a, b)
    assert _history_rows(a) == _history_rows(b)


def _status(run: Path) -> dict:
    return json.loads((Path(run) / "status.json").read_text())


def _recorded(model):
    """Record every state fed to F and F's output, in call order (the instance shadows ``step``)."""
    fed, out = [], []
    step = model.latent.step

    def recording(z):
        fed.append(z.detach().clone())
        y = step(z)
        out.append(y.detach().clone())
        return y

    model.latent.step = recording
    return fed, out


def _linear(C: np.ndarray, h: np.ndarray, N: int | None = None, observation: str = "identity"):
    """The fully linear ALRNN (P = 0) z' = C z + h, written as diag(A) = 0 and W = C."""
    M = C.shape[0]
    model = build_model("alrnn", N=N or M, M=M, P=0, observation=observation, seed=0)
    with torch.no_grad():
        model.latent.A.zero_()
        model.latent.W.copy_(torch.as_tensor(C))
        model.latent.h.copy_(torch.as_tensor(h))
    return model


def _rotation(theta: float, scale: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    return scale * np.array([[c, -s], [s, c]])


def _inputs(S: int, T: int, N: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(S, T, N, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


MODELS = [
    pytest.param("plrnn", {}, id="plrnn"),
    pytest.param("shplrnn", {"L": 6}, id="shplrnn"),
    pytest.param("clipped-shplrnn", {"L": 6}, id="clipped"),
    pytest.param("alrnn", {"P": 1}, id="alrnn"),
]
#: (N, M, observation): all units observed; partial forcing (M > N); the affine read-out.
SHAPES = [
    pytest.param(2, 2, "identity", id="M=N"),
    pytest.param(2, 4, "identity", id="partial"),
    pytest.param(2, 4, "affine", id="affine"),
]


def _model(kind, width, N, M, observation, seed=3):
    return build_model(kind, N=N, M=M, observation=observation, seed=seed, **width)


def _forced_target(model, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask of forced units, zhat) from the observation's definition, not from its methods."""
    N, M = model.N, model.M
    if model.observation.kind == "identity":
        mask = torch.arange(M) < N
        zhat = torch.cat([x, torch.zeros(*x.shape[:-1], M - N)], -1)
    else:
        mask = torch.ones(M, dtype=torch.bool)
        pinv = np.linalg.pinv(model.observation.B.detach().numpy())
        zhat = x @ torch.as_tensor(pinv).T
    return mask, zhat


# ----------------------------------------------------------------------------------------------
# forcing: the recursions, step by step


@pytest.mark.parametrize("N, M, observation", SHAPES)
@pytest.mark.parametrize("kind, width", MODELS)
@pytest.mark.parametrize("alpha", [0.3, 1.0])
def test_gtf_mixes_the_forced_units_and_carries_the_others(kind, width, N, M, observation, alpha):
    model = _model(kind, width, N, M, observation)
    x = _inputs(3, 9, N)
    fed, out = _recorded(model)
    predictions = unroll(model, x, forcing="gtf", alpha=alpha)
    assert len(fed) == 9 and predictions.shape == (3, 9, N)
    assert torch.equal(predictions, model.observation.decode(torch.stack(out, 1)))  # taken before forcing
    assert torch.equal(fed[0], model.observation.initial_state(x[:, 0]))
    mask, zhat = _forced_target(model, x)
    for t in range(1, 9):
        expected = (1 - alpha) * out[t - 1] + alpha * zhat[:, t]
        torch.testing.assert_close(fed[t][:, mask], expected[:, mask], rtol=0, atol=1e-12)
        assert torch.equal(fed[t][:, ~mask], out[t - 1][:, ~mask])  # unforced units evolve freely


@pytest.mark.parametrize("kind, width", MODELS)
def test_gtf_with_alpha_one_is_the_one_step_ahead_prediction(kind, width):
    model = _model(kind, width, 3, 3, "identity")
    x = _inputs(4, 15, 3)
    expected = model.latent.step(x)  # F(x_t) for every t at once
    torch.testing.assert_close(unroll(model, x, forcing="gtf", alpha=1.0), expected, rtol=0, atol=1e-14)


FORCING_ROUNDS = ("forcing is written z + a m (zhat - z), which at a m = 1 equals zhat only up to the "
                  "rounding of |z|; torch.lerp(z, zhat, a m) or torch.where(m, zhat, z) would be exact")


def test_full_forcing_is_the_one_step_map_bit_for_bit():
    model = _model("clipped-shplrnn", {"L": 6}, 3, 3, "identity")
    x = _inputs(4, 15, 3)
    # the step is applied to each time slice, (S, M) as in the loop: a matmul over (S, T, M) at
    # once may round differently (BLAS blocking), which says nothing about forcing
    one_step = torch.stack([model.latent.step(x[:, t]) for t in range(x.shape[1])], dim=1)
    assert torch.equal(unroll(model, x, forcing="gtf", alpha=1.0), one_step)


def test_forcing_restarts_a_far_state_from_the_data():
    far = _linear(np.eye(2) * 1e17, np.zeros(2))
    x = torch.tensor([[[1.0, 1.0], [0.5, -0.25], [0.0, 0.0]]])
    for forcing in (dict(forcing="stf", tau=1), dict(forcing="gtf", alpha=1.0)):
        fed, _ = _recorded(far)
        unroll(far, x, **forcing)
        del far.latent.step
        assert torch.equal(fed[1], x[:, 1]), forcing


@pytest.mark.parametrize("N, M, observation", SHAPES)
@pytest.mark.parametrize("tau", [1, 3, 5])
def test_stf_replaces_exactly_at_the_steps_t_minus_1_multiple_of_tau(N, M, observation, tau):
    model = _model("clipped-shplrnn", {"L": 6}, N, M, observation)
    T = 13
    x = _inputs(2, T, N, seed=1)
    fed, out = _recorded(model)
    predictions = unroll(model, x, forcing="stf", tau=tau)
    assert torch.equal(predictions, model.observation.decode(torch.stack(out, 1)))
    mask, zhat = _forced_target(model, x)
    forced = []
    for j in range(1, T):  # fed[j] is z~_t with t = j + 1 (1-based as in the note)
        t = j + 1
        if (t - 1) % tau == 0:
            forced.append(t)
            torch.testing.assert_close(fed[j][:, mask], zhat[:, j][:, mask], rtol=0, atol=1e-12)
            assert torch.equal(fed[j][:, ~mask], out[j - 1][:, ~mask])
        else:
            assert torch.equal(fed[j], out[j - 1])  # free steps: the prediction itself
    assert forced == [t for t in range(2, T + 1) if (t - 1) % tau == 0]
    assert len(forced) == (T - 1) // tau


@pytest.mark.parametrize("N, M, observation", SHAPES)
def test_forcing_schemes_that_coincide(N, M, observation):
    model = _model("shplrnn", {"L": 6}, N, M, observation)
    x = _inputs(3, 11, N, seed=2)
    none = unroll(model, x, forcing="none")
    # no forcing is the free run from z_1 = initial_state(x_1), whatever x_2.. are (bit for bit where
    # decoding is a slice; the affine read-out of a (S, T, M) stack may round apart from (S, M) rows)
    free = model.generate(x[:, 0], 12)[:, 1:]
    if observation == "identity":
        assert torch.equal(none, free)
    torch.testing.assert_close(none, free, rtol=0, atol=1e-14)
    assert torch.equal(none, unroll(model, torch.cat([x[:, :1], 5 * x[:, 1:]], 1), forcing="none"))
    assert torch.equal(none, unroll(model, x, forcing="gtf", alpha=0.0))
    assert torch.equal(none, unroll(model, x, forcing="stf", tau=11))  # forced only after the window
    assert torch.equal(unroll(model, x, forcing="stf", tau=1), unroll(model, x, forcing="gtf", alpha=1.0))
    gtf = unroll(model, x, forcing="gtf", alpha=0.4)
    assert torch.equal(unroll(model, x, forcing="agtf", alpha=0.4), gtf)


def test_partial_forcing_leaves_a_decoupled_hidden_unit_on_its_free_orbit():
    # z' = C z + h with the hidden unit decoupled: u' = a u + c, u_1 = Lambda x_1
    a, c, c11, c12, h1 = 0.9, 0.3, 0.5, -0.7, 0.1
    model = _linear(np.array([[c11, c12], [0.0, a]]), np.array([h1, c]), N=1)
    lam = model.observation.Lambda.detach()[0, 0].item()
    x = _inputs(2, 12, 1, seed=4)
    u1 = lam * x[:, 0, 0]
    k = torch.arange(12)
    u = a ** k * u1[:, None] + c * (1 - a ** k) / (1 - a)  # the free orbit of the hidden unit
    expected = c11 * x[..., 0] + c12 * u + h1  # the observed unit forced to x_t at every step
    got = unroll(model, x, forcing="gtf", alpha=1.0)[..., 0]
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-13)


class _Unroll(torch.nn.Module):
    def __init__(self, model, **forcing) -> None:
        super().__init__()
        self.model, self.forcing = model, forcing

    def forward(self, x):
        return unroll(self.model, x, **self.forcing)


@pytest.mark.parametrize("forcing", [dict(forcing="gtf", alpha=0.3), dict(forcing="stf", tau=2)],
                         ids=["gtf", "stf"])
def test_unroll_passes_gradcheck(forcing):
    module = _Unroll(_model("clipped-shplrnn", {"L": 6}, 2, 3, "identity"), **forcing)
    x = _inputs(2, 6, 2, seed=5).requires_grad_(True)
    assert torch.autograd.gradcheck(module, (x,))
    params = {name: p.detach().clone().requires_grad_(True) for name, p in module.named_parameters()}
    names = list(params)

    def by_parameters(*values):
        return torch.func.functional_call(module, dict(zip(names, values, strict=True)), (x.detach(),))

    assert torch.autograd.gradcheck(by_parameters, tuple(params.values()))


# ----------------------------------------------------------------------------------------------
# the GTF gradient bound


def _gradient_wrt_z1(model, x: torch.Tensor, alpha: float) -> torch.Tensor:
    """d prediction_T / d z_1 for one window (M = N, so z_1 = x_1)."""
    rest = x[:, 1:]

    def last(x1):
        return unroll(model, torch.cat([x1[None, None], rest], 1), forcing="gtf", alpha=alpha)[0, -1]

    return torch.autograd.functional.jacobian(last, x[0, 0])


@pytest.mark.parametrize("alpha", [0.0, 0.2, 1 - 1 / 1.5])
def test_gtf_gradient_of_a_linear_model_is_the_closed_form(alpha):
    C = _rotation(0.3, 1.5)
    model = _linear(C, np.array([0.1, -0.2]))
    x = _inputs(1, 12, 2, seed=6)
    for T in (1, 5, 12):
        got = _gradient_wrt_z1(model, x[:, :T], alpha).numpy()
        np.testing.assert_allclose(got, (1 - alpha) ** (T - 1) * np.linalg.matrix_power(C, T), rtol=1e-12)


def test_gtf_gradient_bounded_at_the_optimal_alpha_and_exploding_without_forcing():
    s = 1.5
    model = _linear(_rotation(0.3, s), np.zeros(2))
    x = _inputs(1, 60, 2, seed=7)
    Ts = np.arange(5, 61, 5)
    free = [np.linalg.norm(_gradient_wrt_z1(model, x[:, :T], 0.0).numpy(), 2) for T in Ts]
    slope = np.polyfit(Ts, np.log(free), 1)[0]
    assert slope == pytest.approx(math.log(s), rel=1e-10)  # grows like ||J||^T
    star = optimal_alpha(s)
    forced = [np.linalg.norm(_gradient_wrt_z1(model, x[:, :T], star).numpy(), 2) for T in Ts]
    np.testing.assert_allclose(forced, s, rtol=1e-10)  # (1 - alpha*)^(T-1) s^T = s for every T


def test_gtf_gradient_of_a_plrnn_obeys_the_jacobian_product_bound():
    model = build_model("plrnn", N=3, M=3, seed=11)
    with torch.no_grad():
        model.latent.W.mul_(4.0).fill_diagonal_(0.0)  # expanding in some regions
        model.latent.h.copy_(torch.tensor([0.2, -0.1, 0.05]))
    A, W = model.latent.A.detach().numpy(), model.latent.W.detach().numpy()
    regions = [np.diag(A) + W * np.array(d, float) for d in np.ndindex(2, 2, 2)]
    sup = max(np.linalg.norm(J, 2) for J in regions)  # J takes only these 2^M values
    assert sup > 1.5
    star = optimal_alpha(sup)
    x = _inputs(1, 80, 3, seed=8)
    for alpha in (0.0, 0.5 * star, star, 0.9):
        for T in (2, 10, 40, 80):
            fed, _ = _recorded(model)
            norm = np.linalg.norm(_gradient_wrt_z1(model, x[:, :T], alpha).numpy(), 2)
            del model.latent.step
            J = model.latent.jacobian(torch.cat(fed[:T]))  # at z~_1 .. z~_T
            product = (1 - alpha) ** (T - 1) * torch.linalg.matrix_norm(J, 2).prod().item()
            assert norm <= product * (1 + 1e-12) + 1e-300
            assert product <= (1 - alpha) ** (T - 1) * sup ** T * (1 + 1e-12)
            if alpha >= star:
                assert norm <= sup * (1 + 1e-12)  # bounded for every T


# ----------------------------------------------------------------------------------------------
# aGTF: the estimators and the alpha update


def test_estimators_of_a_linear_model_are_its_spectral_norm():
    rng = np.random.default_rng(0)
    C = rng.normal(size=(3, 3))  # not normal: ||C||_2 is the largest singular value
    model = build_model("alrnn", N=3, M=3, P=0, seed=0)
    with torch.no_grad():
        model.latent.A.copy_(torch.tensor([0.5, -0.3, 0.9]))
        model.latent.W.copy_(torch.as_tensor(C - np.diag([0.5, -0.3, 0.9])))
    norm = np.linalg.norm(C, 2)
    x = _inputs(5, 10, 3, seed=9)
    for method in ("product_upper_bound", "batch_maximum", "arithmetic_mean"):
        assert jacobian_norm_estimate(model, x, method) == pytest.approx(norm, rel=1e-13), method
    bound = jacobian_norm_estimate(model, x, "jacobian_upper_bound")
    assert bound == pytest.approx(0.9 + np.linalg.norm(C - np.diag([0.5, -0.3, 0.9]), 2), rel=1e-13)
    assert bound >= norm


@pytest.mark.parametrize("M", [3, 5])
def test_estimators_of_a_plrnn_are_their_definitions(M):
    model = build_model("plrnn", N=3, M=M, seed=2)
    with torch.no_grad():
        model.latent.W.mul_(3.0)
    A, W = model.latent.A.detach().numpy(), model.latent.W.detach().numpy()
    x = _inputs(4, 10, 3, seed=10)
    zhat = np.concatenate([x.numpy(), np.zeros((4, 10, M - 3))], -1)  # the identity's forcing signal
    J = np.diag(A) + W[None, None] * (zhat > 0)[..., None, :]
    norms = np.linalg.norm(J, 2, axis=(-2, -1))
    expected = {
        "batch_maximum": norms.max(),
        "product_upper_bound": np.exp(np.log(norms).mean(1)).max(),
        "arithmetic_mean": max(np.linalg.norm(J[s].mean(0), 2) for s in range(4)),
        "jacobian_upper_bound": np.abs(A).max() + np.linalg.norm(W, 2),
    }
    got = {method: jacobian_norm_estimate(model, x, method) for method in expected}
    for method in expected:
        assert got[method] == pytest.approx(expected[method], rel=1e-12), method
    assert got["jacobian_upper_bound"] >= got["batch_maximum"] >= got["product_upper_bound"]
    assert got["batch_maximum"] >= got["arithmetic_mean"]


@pytest.mark.parametrize("norm, alpha", [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (1.25, 0.2), (2.0, 0.5),
                                         (4.0, 0.75), (1e300, 1.0), (math.inf, 1.0)])
def test_optimal_alpha(norm, alpha):
    assert optimal_alpha(norm) == pytest.approx(alpha, abs=1e-15)


def test_optimal_alpha_is_the_least_alpha_that_bounds_the_product():
    for n in np.linspace(1.01, 20, 40):
        star = optimal_alpha(n)
        assert (1 - star) * n == pytest.approx(1.0, rel=1e-12)
        assert (1 - (star - 1e-3)) * n > 1


def test_update_alpha_jumps_up_at_once_and_relaxes_by_the_decay():
    assert update_alpha(0.2, 0.7, 0.999) == 0.7
    assert update_alpha(0.7, 0.7, 0.999) == pytest.approx(0.7, rel=1e-15)
    alpha, estimate, decay = 1.0, 0.3, 0.9
    for k in range(1, 60):
        alpha = update_alpha(alpha, estimate, decay)
        assert alpha == pytest.approx(estimate + decay ** k * (1.0 - estimate), rel=1e-12)
    assert update_alpha(alpha, 0.95, decay) == 0.95


def test_agtf_in_training_follows_the_relaxation(data):
    # lr = 1e-300 cannot move A or W (each update is below half an ulp), so the parameter bound
    # is the same at every step, and alpha after n steps is e + decay^k (1 - e), k = ceil(n / every)
    s = _settings(data, model="alrnn", P=0, forcing="agtf", alpha_method="jacobian_upper_bound",
                  alpha0=1.0, alpha_every=2, alpha_decay=0.8, lr=(1e-300, 1e-300), epochs=5,
                  batches_per_epoch=3, regularisation=0.0)
    train(s, data.parent / "run")
    first = bw.load_model(data.parent / "run" / "checkpoints" / "epoch_000000.npz").parameters()
    last = bw.load_model(data.parent / "run" / "checkpoints" / "epoch_000005.npz").parameters()
    assert np.array_equal(first["A"], last["A"]) and np.array_equal(first["W"], last["W"])
    e = optimal_alpha(np.abs(first["A"]).max() + np.linalg.norm(first["W"], 2))
    history = read_history(data.parent / "run" / "history.csv")
    for epoch, alpha in zip(history["epoch"], history["alpha"], strict=True):
        k = math.ceil(3 * epoch / 2)
        assert alpha == pytest.approx(e + 0.8 ** k * (1 - e), rel=1e-12)


# ----------------------------------------------------------------------------------------------
# a linear map, recovered


def test_a_linear_alrnn_recovers_a_known_linear_map(tmp_path):
    C, b = _rotation(0.3, 0.999), np.array([0.2, -0.1])  # eigenvalues 0.999 e^(+-0.3 i)
    x = np.zeros((2000, 2))
    x[0] = [2.0, 0.5]
    for t in range(1999):
        x[t + 1] = C @ x[t] + b
    # store the z-scored series: an exact orbit of the conjugate map y' = S^-1 C S y + S^-1 (C m + b - m),
    # which z-scoring again leaves alone (whether or not the loader z-scores)
    m, sd = x.mean(0), x.std(0)
    y = (x - m) / sd
    Cy, by = C * sd[None, :] / sd[:, None], (C @ m + b - m) / sd
    s = TrainSettings(system=None, data=str(_save(tmp_path / "y.npy", y)), model="alrnn", P=0,
                      forcing="gtf", alpha=1.0, regularisation=0.0, epochs=20, batches_per_epoch=25,
                      batch_size=4, seq_len=20, lr=(5e-2, 1e-3), checkpoint_every=20)
    result = train(s, tmp_path / "run")
    assert result.status == "finished" and result.loss < 1e-10
    p = bw.load_model(tmp_path / "run" / "checkpoints" / "epoch_000020.npz").parameters()
    np.testing.assert_allclose(np.diag(p["A"]) + p["W"], Cy, rtol=0, atol=1e-6)
    np.testing.assert_allclose(p["h"], by, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(np.diag(p["A"]) + p["W"])), 0.999, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# windows


def _encoded_trials(lengths):
    """Trial i, step t holds (i, t): each window says where it came from."""
    return tuple(np.stack([np.full(n, i, float), np.arange(n, dtype=float)], 1)
                 for i, n in enumerate(lengths))


def test_windows_are_contiguous_slices_of_one_trial_covering_every_valid_start():
    lengths, length = (7, 4, 9, 5), 4
    windows = Windows(_encoded_trials(lengths), length, dtype=torch.float64, device="cpu")
    batch = windows.draw(3000, torch.Generator().manual_seed(0)).numpy()
    assert batch.shape == (3000, length, 2)
    assert (batch[:, :, 0] == batch[:, :1, 0]).all()  # never straddling two trials
    assert (np.diff(batch[:, :, 1], axis=1) == 1).all()  # contiguous
    starts = {(int(w[0, 0]), int(w[0, 1])) for w in batch}
    valid = {(i, t) for i, n in enumerate(lengths) for t in range(n - length + 1)}
    assert starts == valid  # both directions: every start drawn is valid, every valid start drawn
    counts = np.unique([tuple(w[0]) for w in batch], axis=0, return_counts=True)[1]
    assert counts.min() > 0.5 * 3000 / len(valid) and counts.max() < 1.5 * 3000 / len(valid)  # uniform


def test_windows_are_a_function_of_the_generator_state():
    windows = Windows(_encoded_trials((30, 12)), 5, dtype=torch.float64, device="cpu")
    g1, g2 = torch.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    for noise in (0.0, 0.1, 0.0):
        a, b = windows.draw(8, g1, noise), windows.draw(8, g2, noise)
        assert torch.equal(a, b)
    state = g1.get_state()
    a = windows.draw(8, g1, 0.1)
    g1.set_state(state)
    assert torch.equal(a, windows.draw(8, g1, 0.1))
    assert not torch.equal(a, windows.draw(8, g1, 0.1))


def test_windows_noise_is_added_to_the_clean_windows():
    windows = Windows(_encoded_trials((40,)), 6, dtype=torch.float64, device="cpu")
    clean = windows.draw(2000, torch.Generator().manual_seed(1))
    noisy = windows.draw(2000, torch.Generator().manual_seed(1), 0.1)
    noise = (noisy - clean).numpy()  # the same starts: what differs is N(0, 0.1^2) on every entry
    assert abs(noise.mean()) < 0.005 and noise.std() == pytest.approx(0.1, rel=0.05)
    assert np.abs(noise).max() < 1


def test_a_trial_of_exactly_one_window_gives_one_start():
    windows = Windows(_encoded_trials((5, 8)), 5, dtype=torch.float64, device="cpu")
    batch = windows.draw(400, torch.Generator().manual_seed(2))
    first = batch[batch[:, 0, 0] == 0]
    assert len(first) > 0 and (first[:, 0, 1] == 0).all()  # trial 0: the one start 0
    assert set(batch[batch[:, 0, 0] == 1][:, 0, 1].tolist()) == {0, 1, 2, 3}


def test_multi_trial_data_files_train(tmp_path):
    trials = np.stack([_series(60, seed=k) for k in range(3)])  # (K, T, N)
    s = _settings(_save(tmp_path / "trials.npy", trials))
    assert len(load_run_data(s).trials) == 3
    assert train(s, tmp_path / "run").status == "finished"


# ----------------------------------------------------------------------------------------------
# the run folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One run of 7 epochs, checkpoints every 3, aGTF: (settings, folder)."""
    root = tmp_path_factory.mktemp("reference")
    s = _settings(_save(root / "x.npy", _series()), epochs=7, checkpoint_every=3, forcing="agtf",
                  alpha_every=2)
    result = train(s, root / "run")
    assert result.status == "finished" and result.epoch == 7
    return s, root / "run"


def test_the_checkpoint_folder_holds_epoch_0_every_kth_and_the_last(reference):
    _, run = reference
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "epoch_000000.npz", "epoch_000003.npz", "epoch_000006.npz", "epoch_000007.npz"]
    assert sorted(p.name for p in run.iterdir()) == [
        "checkpoints", "config.toml", "history.csv", "state", "status.json"]
    assert [p.name for p in (run / "state").iterdir()] == ["resume.pt"]


def test_checkpoints_are_the_modules_they_saved(reference):
    s, run = reference
    first = build_model(s.model, N=2, M=2, L=s.hidden, seed=s.seed)
    state = torch.load(run / "state" / "resume.pt", weights_only=True)["model"]
    last = {name.split(".", 1)[1]: value.numpy() for name, value in state.items()}
    for epoch, expected in ((0, {n: p.detach().numpy() for n, p in first.latent.named_parameters()}
                             | {"Lambda": first.observation.Lambda.detach().numpy()}), (7, last)):
        file = run / "checkpoints" / f"epoch_{epoch:06d}.npz"
        model, observation = bw.load_model(file), load_observation(file)
        assert model.kind == "clipped-shplrnn" and observation.kind == "identity"
        for name, value in model.parameters().items():
            assert np.array_equal(value, expected[name]), (epoch, name)
        assert observation.Lambda.shape == (0, 2) and np.array_equal(observation.Lambda, expected["Lambda"])


def test_history_has_one_row_per_epoch_with_the_documented_columns(reference):
    s, run = reference
    with open(run / "history.csv", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["epoch", "loss", "grad_norm", "grad_norm_max", "grad_norm/A", "grad_norm/W1",
                      "grad_norm/W2", "grad_norm/h1", "grad_norm/h2", "grad_norm/Lambda", "lr", "alpha",
                      "wall_time", "epoch_time"]
    h = read_history(run / "history.csv")
    assert h["epoch"] == list(range(1, 8))
    lr0, lr1 = s.lr
    for e, lr in enumerate(h["lr"]):
        assert lr == pytest.approx(lr0 * (lr1 / lr0) ** (e / 7), rel=1e-14)
    assert all(np.isfinite(h[c]).all() and min(h[c]) > 0 for c in ("loss", "grad_norm", "grad_norm_max"))
    assert all(mx >= mean for mx, mean in zip(h["grad_norm_max"], h["grad_norm"], strict=True))
    parts = np.array([h[f"grad_norm/{n}"] for n in ("A", "W1", "W2", "h1", "h2", "Lambda")])
    # Minkowski: the norm of the mean per-parameter norms is at most the mean of the norms
    assert (np.sqrt((parts ** 2).sum(0)) <= np.array(h["grad_norm"]) * (1 + 1e-12)).all()
    assert all(0 <= a <= 1 for a in h["alpha"])
    assert np.all(np.diff(h["wall_time"]) >= 0)


def test_one_batch_per_epoch_gives_one_gradient_norm(data):
    train(_settings(data, batches_per_epoch=1, epochs=3), data.parent / "run")
    h = read_history(data.parent / "run" / "history.csv")
    parts = np.array([h[f"grad_norm/{n}"] for n in ("A", "W1", "W2", "h1", "h2", "Lambda")])
    np.testing.assert_allclose(np.sqrt((parts ** 2).sum(0)), h["grad_norm"], rtol=1e-13)
    assert h["grad_norm"] == h["grad_norm_max"]
    assert h["alpha"] == [0.2] * 3  # constant GTF


def test_config_round_trips_and_status_says_finished(reference):
    s, run = reference
    saved = read_settings(run / "config.toml")
    assert saved.differences(s) == ["data_hash"]  # the run records the hash of its data file
    assert saved == s.replace(data_hash=saved.data_hash) and len(saved.data_hash) == 16
    assert _status(run) == {"status": "finished", "epoch": 7}


def test_settings_round_trip_through_toml(tmp_path):
    odd = tmp_path / 'we"ird\\ näme.npy'
    settings = [
        TrainSettings(),
        TrainSettings(system="roessler", steps=1234, noise=0.0, model="alrnn", latent=7, P=3, forcing="stf",
                      tau=5, epochs=3, lr=(0.1, 1e-7), regularisation=0.0, batch_noise=0.05, seed=12,
                      dtype="float32", alpha=1 / 3, alpha_decay=0.99),
        TrainSettings(system=None, data=str(odd), test_data=str(tmp_path / "t.csv"), observation="affine",
                      alpha_method="arithmetic_mean", forcing="none", data_hash="0123456789abcdef"),
    ]
    for s in settings:
        write_settings(s, tmp_path / "c.toml")
        assert read_settings(tmp_path / "c.toml") == s
    assert read_settings(tmp_path / "c.toml", epochs=9) == settings[-1].replace(epochs=9)


def test_same_seed_same_bits_another_seed_other_bits(reference, tmp_path):
    s, run = reference
    train(s, tmp_path / "again")
    _assert_same_runs(run, tmp_path / "again")
    train(s.replace(seed=1), tmp_path / "other")
    assert _checkpoints(run)["epoch_000000.npz"]["W1"].tobytes() != \
        _checkpoints(tmp_path / "other")["epoch_000000.npz"]["W1"].tobytes()
    assert _history_rows(run)[-1]["loss"] != _history_rows(tmp_path / "other")[-1]["loss"]


def test_training_is_causal_with_a_constant_learning_rate(data):
    s = _settings(data, lr=(5e-3, 5e-3), forcing="agtf", checkpoint_every=3)
    train(s.replace(epochs=7), data.parent / "long")
    train(s.replace(epochs=3), data.parent / "short")
    long, short = _checkpoints(data.parent / "long"), _checkpoints(data.parent / "short")
    for name in ("epoch_000000.npz", "epoch_000003.npz"):
        assert all(long[name][k].tobytes() == short[name][k].tobytes() for k in long[name])
    assert _history_rows(data.parent / "long")[:3] == _history_rows(data.parent / "short")


def test_a_plrnn_keeps_a_zero_diagonal_of_W_and_float32_runs_save_float64(data):
    train(_settings(data, model="plrnn", latent=3, dtype="float32", lr=(5e-2, 1e-2)), data.parent / "run")
    saved = _checkpoints(data.parent / "run")
    assert list(saved) == ["epoch_000000.npz", "epoch_000002.npz", "epoch_000004.npz"]
    for arrays in saved.values():
        assert arrays["W"].dtype == np.float64 and (np.diag(arrays["W"]) == 0).all()
    assert not np.array_equal(saved["epoch_000000.npz"]["W"], saved["epoch_000004.npz"]["W"])
    first = build_model("plrnn", N=2, M=3, seed=0, dtype=torch.float32)
    assert np.array_equal(saved["epoch_000000.npz"]["W"], first.latent.W.detach().double().numpy())


@pytest.mark.parametrize("forcing", ["none", "stf", "gtf", "agtf"])
@pytest.mark.parametrize("observation, latent", [("identity", 3), ("affine", 3)])
def test_every_forcing_and_observation_trains(data, forcing, observation, latent):
    s = _settings(data, forcing=forcing, observation=observation, latent=latent, tau=4, epochs=2)
    result = train(s, data.parent / "run")
    assert result.status == "finished" and math.isfinite(result.loss)
    names = read_history(data.parent / "run" / "history.csv").keys()
    assert ("grad_norm/Lambda" in names) == (observation == "identity")
    assert ("grad_norm/B" in names) == (observation == "affine")


def test_a_built_in_system_trains_and_round_trips(tmp_path, monkeypatch):
    monkeypatch.setenv("BIFWATCH_CACHE", str(tmp_path / "cache"))
    s = TrainSettings(system="plrnn-cycle", steps=400, **{**TINY, "epochs": 2})
    result = train(s, tmp_path / "run")
    assert result.status == "finished"
    assert read_settings(tmp_path / "run" / "config.toml") == s  # nothing hashed for a built-in system


# ----------------------------------------------------------------------------------------------
# resume


def _interrupt_epoch(monkeypatch, k: int) -> None:
    """Ctrl-C noticed between epochs: the loop leaves at the start of epoch k."""
    epoch = _trainer._Trainer._epoch

    def interrupted(self, e):
        if e == k:
            raise KeyboardInterrupt
        return epoch(self, e)

    monkeypatch.setattr(_trainer._Trainer, "_epoch", interrupted)


@pytest.mark.parametrize("k", [1, 4, 6])
def test_resume_after_ctrl_c_ends_where_the_uninterrupted_run_ends(reference, tmp_path, monkeypatch, k):
    s, run = reference
    with monkeypatch.context() as patch:
        _interrupt_epoch(patch, k)
        with pytest.raises(KeyboardInterrupt):
            train(s, tmp_path / "run")
    assert _status(tmp_path / "run") == {"status": "interrupted", "epoch": k}
    assert len(_history_rows(tmp_path / "run")) == k
    state = torch.load(tmp_path / "run" / "state" / "resume.pt", weights_only=True)
    assert state["progress"]["epoch"] == k and state["progress"]["step"] == 3 * k
    if k % 3 == 0:  # a checkpoint epoch: its file is the module the resume state holds
        saved = bw.load_model(tmp_path / "run" / "checkpoints" / f"epoch_{k:06d}.npz").parameters()
        for name, value in state["model"].items():
            if name.startswith("latent."):
                assert np.array_equal(saved[name.split(".", 1)[1]], value.numpy()), name
    result = train(s, tmp_path / "run", resume=True)
    assert result.status == "finished" and result.epoch == 7
    _assert_same_runs(run, tmp_path / "run")
    assert _status(tmp_path / "run")["status"] == "finished"


def _signal_inside_epoch(monkeypatch, number: int, at_step: int) -> None:
    """The process gets signal ``number`` in the middle of optimiser step ``at_step`` (counted from 1)."""
    step, calls = _trainer._Trainer._step, []

    def signalled(self):
        calls.append(1)
        if len(calls) == at_step:
            os.kill(os.getpid(), number)  # its Python handler runs before the next line
        return step(self)

    monkeypatch.setattr(_trainer._Trainer, "_step", signalled)


def _signal_then_resume(reference, tmp_path, monkeypatch, capsys, number: int) -> tuple[int, str]:
    s, _ = reference
    write_settings(s, tmp_path / "config.toml")
    args = ["train", "--config", str(tmp_path / "config.toml"), "--no-progress", "--out",
            str(tmp_path / "run")]
    with monkeypatch.context() as patch:
        _signal_inside_epoch(patch, number, 3 * 4 + 2)  # the second optimiser step of epoch 4
        status, _, err = cli(capsys, *args)
    ok(capsys, *args, "--resume")
    return status, err


def test_ctrl_c_inside_an_epoch_stops_after_it_and_resumes_identically(reference, tmp_path, monkeypatch,
                                                                       capsys):
    status, err = _signal_then_resume(reference, tmp_path, monkeypatch, capsys, signal.SIGINT)
    assert status == 130
    assert re.fullmatch(r"bifwatch: interrupted; the run is kept in '.*run'; to continue it, run the same "
                        r"command with --resume: bifwatch train .* --resume\n", err)
    _assert_same_runs(reference[1], tmp_path / "run")


def test_sigterm_inside_an_epoch_resumes_identically(reference, tmp_path, monkeypatch, capsys):
    status, err = _signal_then_resume(reference, tmp_path, monkeypatch, capsys, signal.SIGTERM)
    assert status == 143 and err.startswith("bifwatch: stopped by SIGTERM; the run is kept in")
    _assert_same_runs(reference[1], tmp_path / "run")


def _data_args(data: Path) -> list[str]:
    return ["--data", str(data)]


def _cli_env(tmp_path) -> dict:
    env = dict(os.environ, BIFWATCH_CACHE=str(tmp_path / "cache"))
    src = str(Path(bw.__file__).parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    return env


@pytest.mark.slow
def test_resume_after_kill_9_ends_where_the_uninterrupted_run_ends(tmp_path, capsys):
    x = _save(tmp_path / "x.npy", _series())
    flags = [*_data_args(x), *TINY_FLAGS, "--epochs", "60", "--batches-per-epoch", "4", "--checkpoint-every",
             "7", "--forcing", "agtf"]
    command = [sys.executable, "-m", "bifwatch", "train", *flags, "--out"]
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    quiet = dict(env=_cli_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    uninterrupted = subprocess.Popen([*command, str(reference)], **quiet)  # both run at once
    process = subprocess.Popen([*command, str(killed)], **quiet)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            history = killed / "history.csv"
            if history.exists() and len(history.read_text().splitlines()) > 1 + 10:
                break
            time.sleep(0.002)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.communicate(timeout=60)
        err = uninterrupted.communicate(timeout=120)[1]
    assert uninterrupted.returncode == 0, err
    assert process.returncode == -signal.SIGKILL
    assert _status(killed)["status"] == "running"  # killed mid-run, not finished
    assert 10 <= len(_history_rows(killed)) < 60
    assert ok(capsys, "train", *flags, "--out", str(killed), "--resume").startswith("trained 60 epochs;")
    _assert_same_runs(reference, killed)


def test_resume_refuses_other_settings_and_other_data(data):
    s = _settings(data)
    train(s, data.parent / "run")
    with pytest.raises(ValueError, match=r"other settings: epochs \(4 there, 5 now\)"):
        train(s.replace(epochs=5), data.parent / "run", resume=True)
    with pytest.raises(ValueError, match=r"other settings: .*alpha \(0\.2 there, 0\.3 now\)"):
        train(s.replace(alpha=0.3, seed=2), data.parent / "run", resume=True)
    np.save(data, _series(seed=1))  # the file changed under the run
    with pytest.raises(ValueError, match="other settings: data_hash"):
        train(s, data.parent / "run", resume=True)


def test_a_folder_is_refused_unless_it_is_new_empty_or_this_run(data):
    s = _settings(data, epochs=2)
    run = data.parent / "run"
    train(s, run)
    with pytest.raises(FileExistsError, match="already holds a training run: add --resume"):
        train(s, run)
    other = data.parent / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="is not empty and holds no training run"):
        train(s, other)
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    with pytest.raises(FileExistsError, match="is a file, not a folder"):
        train(s, other / "notes.txt")
    (data.parent / "empty").mkdir()
    assert train(s, data.parent / "empty").status == "finished"
    assert train(s, data.parent / "fresh", resume=True).status == "finished"  # nothing to resume: a start


def test_resume_of_a_finished_run_returns_at_once(data, monkeypatch):
    s = _settings(data)
    first = train(s, data.parent / "run")
    before = {p: p.stat().st_mtime_ns for p in (data.parent / "run").rglob("*")}
    rows = _history_rows(data.parent / "run")
    monkeypatch.setattr(_trainer._Trainer, "_epoch", lambda self, e: pytest.fail("trained again"))
    again = train(s, data.parent / "run", resume=True)
    assert (again.status, again.epoch, again.loss) == (first.status, first.epoch, first.loss)
    changed = [p for p, t in before.items() if p.exists() and p.stat().st_mtime_ns != t]
    assert [p.name for p in changed if p.name != "history.csv"] == []
    assert _history_rows(data.parent / "run") == rows


# ----------------------------------------------------------------------------------------------
# divergence


DIVERGES = dict(model="alrnn", P=1, forcing="none", lr=(1e4, 1e4))  # RAdam's first steps are SGD-like


def test_divergence_is_a_result_with_the_record_kept(data):
    result = train(_settings(data, **DIVERGES), data.parent / "run")
    assert result.status == "diverged" and result.epoch == 1
    assert re.search("state blow-up|loss became", result.reason)
    assert _status(data.parent / "run") == {"status": "diverged", "epoch": 1, "reason": result.reason}
    rows = _history_rows(data.parent / "run")
    assert [r["epoch"] for r in rows] == ["1"] and rows[0]["loss"] == "nan"
    assert sorted(p.name for p in (data.parent / "run" / "checkpoints").iterdir()) == [
        "epoch_000000.npz", "epoch_000001.npz"]
    last = bw.load_model(data.parent / "run" / "checkpoints" / "epoch_000001.npz")
    assert all(np.isfinite(v).all() for v in last.parameters().values())
    assert result.summary().startswith(f"diverged at epoch 1 of 4: {result.reason}; final loss nan")
    again = train(_settings(data, **DIVERGES), data.parent / "run", resume=True)
    assert (again.status, again.reason) == ("diverged", result.reason)


def test_divergence_by_an_overflowing_update_keeps_the_last_finite_parameters(data):
    result = train(_settings(data, forcing="none", lr=(1e308, 1e308)), data.parent / "run")
    assert result.status == "diverged"
    assert _status(data.parent / "run")["status"] == "diverged"
    for file in (data.parent / "run" / "checkpoints").iterdir():
        assert all(np.isfinite(v).all() for v in bw.load_model(file).parameters().values())


def test_cli_exits_1_with_the_summary_of_a_diverged_run(data, capsys):
    flags = [*TINY_FLAGS, "--model", "alrnn", "--P", "1", "--forcing", "none", "--lr", "1e4", "1e4"]
    status, out, err = cli(capsys, "train", *_data_args(data), *flags, "--out", str(data.parent / "run"))
    assert (status, err) == (1, "")
    assert len(out.splitlines()) == 1 and out.startswith("diverged at epoch 1 of 4: ")


# ----------------------------------------------------------------------------------------------
# every error path


@pytest.mark.parametrize("changes, match", [
    ({"system": "lorenz84"}, r"unknown system 'lorenz84'; expected one of \['lorenz63'"),
    ({"model": "lstm"}, r"unknown model 'lstm'; expected one of \['plrnn', 'shplrnn'"),
    ({"forcing": "tf"}, r"unknown forcing 'tf'; expected one of \['none', 'stf', 'gtf', 'agtf'\]"),
    ({"observation": "linear"}, r"unknown observation 'linear'; expected one of \['identity', 'affine'\]"),
    ({"alpha_method": "explog_approx"}, r"unknown alpha_method 'explog_approx'"),
    ({"dtype": "float16"}, r"unknown dtype 'float16'; expected one of \['float32', 'float64'\]"),
    ({"epochs": 0}, r"`epochs` must be an integer >= 1; got 0"),
    ({"batch_size": -3}, r"`batch_size` must be an integer >= 1; got -3"),
    ({"batches_per_epoch": 0}, r"`batches_per_epoch` must be an integer >= 1"),
    ({"seq_len": 0}, r"`seq_len` must be an integer >= 1"),
    ({"hidden": 0}, r"`hidden` must be an integer >= 1"),
    ({"tau": 0}, r"`tau` must be an integer >= 1"),
    ({"alpha_every": 0}, r"`alpha_every` must be an integer >= 1"),
    ({"checkpoint_every": -1}, r"`checkpoint_every` must be an integer >= 1"),
    ({"latent": 0}, r"`latent` must be an integer >= 1"),
    ({"P": -1}, r"`P` must be an integer >= 0"),
    ({"seed": -1}, r"`seed` must be an integer >= 0"),
    ({"steps": 1}, r"`steps` must be an integer >= 2; got 1"),
    ({"epochs": 2.0}, r"`epochs` must be an integer >= 1; got 2\.0"),
    ({"epochs": True}, r"`epochs` must be an integer >= 1; got True"),
    ({"lr": (1e-3,)}, r"`lr` must be two numbers \(start, end\); got \(0\.001,\)"),
    ({"lr": 1e-3}, r"`lr` must be two numbers"),
    ({"lr": (1e-3, 0.0)}, r"`lr` must be a finite number > 0\.0; got 0\.0"),
    ({"lr": (-1e-3, 1e-4)}, r"`lr` must be a finite number > 0\.0; got -0\.001"),
    ({"lr": (1e-3, math.nan)}, r"`lr` must be a finite number > 0\.0; got nan"),
    ({"lr": ("fast", 1e-4)}, r"`lr` must be a finite number > 0\.0; got 'fast'"),
    ({"alpha": 1.5}, r"`alpha` must be a finite number in \[0\.0, 1\.0\]; got 1\.5"),
    ({"alpha": -0.1}, r"`alpha` must be a finite number in \[0\.0, 1\.0\]; got -0\.1"),
    ({"alpha0": math.nan}, r"`alpha0` must be a finite number in \[0\.0, 1\.0\]; got nan"),
    ({"alpha_decay": 1.01}, r"`alpha_decay` must be a finite number in \[0\.0, 1\.0\]"),
    ({"regularisation": -1e-5}, r"`regularisation` must be a finite number >= 0\.0"),
    ({"batch_noise": math.inf}, r"`batch_noise` must be a finite number >= 0\.0; got inf"),
    ({"noise": -0.1}, r"`noise` must be a finite number >= 0\.0; got -0\.1"),
    ({"data": "x.npy"}, r"give exactly one of `system` .* and `data` .*; got both"),
    ({"system": None}, r"give exactly one of `system` .* and `data` .*; got neither"),
    ({"system": None, "data": "x.npy", "steps": 100}, r"`steps` and `noise` apply to a built-in `system`"),
    ({"system": None, "data": "x.npy", "noise": 0.0}, r"`steps` and `noise` apply to a built-in `system`"),
    ({"test_data": "t.npy"}, r"`test_data` goes with `data`"),
    ({"device": "gpu"}, r"`device` must be 'cpu' or 'cuda' \(or 'cuda:K'\); got 'gpu'"),
])
def test_settings_refuse(changes, match):
    with pytest.raises(ValueError, match=match):
        TrainSettings(**changes)


@pytest.mark.parametrize("device", ["cudax", "cuda:x"])
def test_settings_refuse_a_malformed_cuda_device(device):
    with pytest.raises(ValueError, match=r"`device` must be 'cpu' or 'cuda'"):
        TrainSettings(device=device)


def test_every_seed_the_settings_accept_trains(data):
    with pytest.raises(ValueError, match="`seed`"):
        TrainSettings(seed=2 ** 64)
    try:
        s = _settings(data, seed=2 ** 64 - 1, epochs=1)
    except ValueError as err:  # refused up front is as good as trained
        assert "`seed`" in str(err)
    else:
        assert train(s, data.parent / "run").status == "finished"


def test_settings_accept_their_boundaries():
    TrainSettings(alpha=0.0, alpha0=1.0, alpha_decay=0.0, P=0, seed=0, regularisation=0.0, steps=2,
                  device="cuda:1")
    assert TrainSettings(lr=[1e-2, 1e-4]).lr == (1e-2, 1e-4)
    cycle = TrainSettings(system="plrnn-cycle")
    assert cycle.steps == 2000 and cycle.noise == 0
    assert TrainSettings().steps == 100_000 and TrainSettings().noise == 0.05


def test_read_settings_refuses(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config file '.*missing\.toml' does not exist"):
        read_settings(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("epochs = = 3\n")
    with pytest.raises(ValueError, match=r"config file '.*bad\.toml' is not valid TOML"):
        read_settings(tmp_path / "bad.toml")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="is not valid TOML"):
        read_settings(tmp_path / "binary.toml")
    (tmp_path / "unknown.toml").write_text('epochs = 3\nlearning_rate = 0.1\nmodle = "plrnn"\n')
    with pytest.raises(ValueError, match=r"has unknown settings \['learning_rate', 'modle'\]; known are"):
        read_settings(tmp_path / "unknown.toml")
    (tmp_path / "value.toml").write_text("epochs = 0\n")
    with pytest.raises(ValueError, match="`epochs` must be an integer >= 1; got 0"):
        read_settings(tmp_path / "value.toml")


@pytest.mark.parametrize("array, match", [
    pytest.param(np.where(np.arange(600).reshape(300, 2) == 401, np.nan, _series()), r"NaN|finite", id="nan"),
    pytest.param(np.arange(300.0), r"shape \(300,\)", id="1-D"),
    pytest.param(_series(20), r"has 20 time steps, fewer than one window of `seq_len` \+ 1 = 21", id="short"),
])
def test_bad_data_are_refused(tmp_path, array, match):
    s = _settings(_save(tmp_path / "x.npy", array))
    with pytest.raises(ValueError, match=match):
        train(s, tmp_path / "run")
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


def test_data_that_do_not_fit_the_model_are_refused(tmp_path):
    x = _save(tmp_path / "x.npy", _series(N=3))
    with pytest.raises(ValueError, match=r"N = 3 observed dimensions, more than --latent 2: the identity"):
        train(_settings(x, latent=2), tmp_path / "run")
    affine = _settings(x, latent=2, observation="affine", epochs=1)
    assert train(affine, tmp_path / "affine").status == "finished"
    with pytest.raises(ValueError, match=r"--P 4 is more than the latent dimension 3"):
        train(_settings(x, model="alrnn", P=4), tmp_path / "run2")
    t = _save(tmp_path / "t.npy", _series(N=2))
    with pytest.raises(ValueError, match=r"`test` must have N = 3 columns like `path`; got shape \(300, 2\)"):
        train(_settings(x, test_data=str(t)), tmp_path / "run3")
    with pytest.raises(ValueError, match="fewer than one window"):
        load_run_data(_settings(x, seq_len=300))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_cuda_without_cuda_is_refused(data, capsys):
    with pytest.raises(ValueError, match=r"--device cuda: CUDA is not available .*--device cpu"):
        train(_settings(data, device="cuda"), data.parent / "run")
    usage_error(capsys, "train", *_data_args(data), *TINY_FLAGS, "--device", "cuda", "--out",
                str(data.parent / "run2"), match="CUDA is not available")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_run_on_cuda_matches_the_forcing_on_cpu(data):
    model = _model("clipped-shplrnn", {"L": 6}, 2, 3, "identity")
    x = _inputs(3, 10, 2, seed=12)
    cpu = unroll(model, x, forcing="gtf", alpha=0.3)
    gpu = unroll(model.to("cuda"), x.to("cuda"), forcing="gtf", alpha=0.3)
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-12)
    assert jacobian_norm_estimate(model, x.to("cuda"), "product_upper_bound") == pytest.approx(
        jacobian_norm_estimate(model.to("cpu"), x, "product_upper_bound"), rel=1e-12)
    result = train(_settings(data, device="cuda", forcing="agtf"), data.parent / "run")
    assert result.status == "finished"
    last = bw.load_model(data.parent / "run" / "checkpoints" / "epoch_000004.npz")
    assert all(np.isfinite(v).all() for v in last.parameters().values())


# ----------------------------------------------------------------------------------------------
# the command line


def test_cli_trains_and_prints_one_line(data, capsys):
    run = data.parent / "run"
    out = ok(capsys, "train", *_data_args(data), *TINY_FLAGS, "--out", str(run))
    assert len(out.splitlines()) == 1
    assert re.fullmatch(r"trained 4 epochs; final loss \S+, alpha 0\.2, \S+ s; 3 checkpoints in \S+\n", out)
    assert str(run / "checkpoints") in out
    # the flags are the settings: the same run as train() in-process (--lr LO HI decays from HI)
    train(_settings(data), data.parent / "direct")
    _assert_same_runs(run, data.parent / "direct")
    assert read_settings(run / "config.toml") == read_settings(data.parent / "direct" / "config.toml")


def test_cli_data_flag_names_the_data(data, capsys):
    out = ok(capsys, "train", "--data", str(data), *TINY_FLAGS, "--out", str(data.parent / "run"))
    assert out.startswith("trained 4 epochs;")
    ok(capsys, "train", *_data_args(data), *TINY_FLAGS, "--out", str(data.parent / "same"))
    _assert_same_runs(data.parent / "run", data.parent / "same")


def test_cli_system_flag_clears_the_data_of_a_config(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BIFWATCH_CACHE", str(tmp_path / "cache"))
    x = _save(tmp_path / "x.npy", _series())
    config = tmp_path / "data.toml"
    config.write_text(f"data = {json.dumps(str(x))}\n")
    out = ok(capsys, "train", "--config", str(config), "--system", "plrnn-cycle", "--steps", "400",
             *TINY_FLAGS,
             "--epochs", "1", "--out", str(tmp_path / "run"))
    assert out.startswith("trained 1 epochs;")
    saved = read_settings(tmp_path / "run" / "config.toml")
    assert (saved.system, saved.data, saved.steps) == ("plrnn-cycle", None, 400)


def test_cli_config_repeats_a_run(data, capsys):
    ok(capsys, "train", *_data_args(data), *TINY_FLAGS, "--forcing", "stf", "--tau", "3", "--out",
       str(data.parent / "a"))
    ok(capsys, "train", "--config", str(data.parent / "a" / "config.toml"), "--no-progress", "--out",
       str(data.parent / "b"))
    _assert_same_runs(data.parent / "a", data.parent / "b")
    # flags given after --config win
    ok(capsys, "train", "--config", str(data.parent / "a" / "config.toml"), "--epochs", "2", "--no-progress",
       "--out", str(data.parent / "c"))
    assert read_settings(data.parent / "c" / "config.toml").epochs == 2
    c, a = _history_rows(data.parent / "c"), _history_rows(data.parent / "a")
    assert c[0] == a[0] and c[1] != a[1]  # epoch 1 runs at lr0 in both; then the schedules part


def test_cli_resume_continues_and_a_finished_run_returns_at_once(data, capsys, monkeypatch):
    run = str(data.parent / "run")
    first = ok(capsys, "train", *_data_args(data), *TINY_FLAGS, "--out", run)
    usage_error(capsys, "train", *_data_args(data), *TINY_FLAGS, "--out", run,
                match="already holds a training run: add --resume")
    monkeypatch.setattr(_trainer._Trainer, "_epoch", lambda self, e: pytest.fail("trained again"))
    again = ok(capsys, "train", *_data_args(data), *TINY_FLAGS, "--out", run, "--resume")
    assert again == first
    usage_error(capsys, "train", *_data_args(data), *TINY_FLAGS, "--epochs", "5", "--out", run, "--resume",
                match=r"other settings: epochs \(4 there, 5 now\)")


@pytest.mark.parametrize("flags, match", [
    pytest.param(["--model", "lstm"], r"argument --model: invalid choice: 'lstm'", id="model"),
    pytest.param(["--epochs", "0"], r"argument --epochs: ", id="epochs"),
    pytest.param(["--alpha", "2"], r"argument --alpha: expected a number in \[0, 1\]; got 2", id="alpha"),
    pytest.param(["--latent", "1"], r"N = 2 observed dimensions, more than --latent 1", id="latent"),
    pytest.param(["--lr", "0", "1e-3"], r"argument --lr: expected a finite number > 0; got 0", id="lr"),
    pytest.param(["--workers", "2"], r"--workers and --scheduler go with --seeds", id="workers"),
    pytest.param(["--seeds", "3-1"], r"a seed range must go up", id="seeds"),
])
def test_cli_bad_input_is_one_line_and_exit_2(data, capsys, flags, match):
    usage_error(capsys, "train", *_data_args(data), *TINY_FLAGS, *flags, "--out", str(data.parent / "run"),
                match=match)


def test_cli_bad_data_is_one_line_and_exit_2(tmp_path, capsys):
    x = _series()
    x[17, 1] = np.nan
    bad = _save(tmp_path / "nan.npy", x)
    usage_error(capsys, "train", *_data_args(bad), *TINY_FLAGS, "--out", str(tmp_path / "run"),
                match=r"NaN|finite")
    usage_error(capsys, "train", "--config", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "run"),
                match="config file .* does not exist")


def test_cli_seeds_make_one_run_per_seed_and_resume_returns_at_once(data, capsys, monkeypatch):
    out = ok(capsys, "train", *_data_args(data), *TINY_FLAGS, "--seeds", "0-1", "--out",
             str(data.parent / "sweep"))
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["seed_0", "seed_1"]
    assert lines[2] == "2 of 2 runs finished"
    for seed in (0, 1):
        folder = data.parent / "sweep" / f"seed_{seed}"
        assert _status(folder)["status"] == "finished"
        assert read_settings(folder / "config.toml").seed == seed
        train(_settings(data, seed=seed), data.parent / f"direct_{seed}")
        _assert_same_runs(folder, data.parent / f"direct_{seed}")
    monkeypatch.setattr(_trainer, "train", lambda *a, **k: pytest.fail("a finished run was trained again"))
    assert ok(capsys, "train", *_data_args(data), *TINY_FLAGS, "--seeds", "0-1", "--out",
              str(data.parent / "sweep"), "--resume") == out


@pytest.mark.slow
def test_cli_seeds_on_a_dask_cluster_equal_the_runs_in_process(data, capsys):
    """--seeds --scheduler: the runs go to a real Dask cluster on loopback and come back equal."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster:
        out = ok(capsys, "train", "--data", str(data), *TINY_FLAGS, "--seeds", "0-1", "--scheduler",
                 cluster.scheduler_address, "--out", str(data.parent / "dask"))
    assert out.splitlines()[-1] == "2 of 2 runs finished"
    for seed in (0, 1):
        train(_settings(data, seed=seed), data.parent / f"here_{seed}")
        _assert_same_runs(data.parent / "dask" / f"seed_{seed}", data.parent / f"here_{seed}")


@pytest.mark.parametrize(
    ("out", "match"),
    [("missing/deeper/run", r"--out folder .* cannot be made: its parent .* does not exist"),
     ("afile", r"--out '.*afile' is a file, not a folder")],
    ids=["parent-missing", "a-file"],
)
def test_cli_an_out_that_cannot_be_a_run_folder(data, capsys, out, match):
    (data.parent / "afile").write_text("x")
    usage_error(capsys, "train", *_data_args(data), *TINY_FLAGS, "--out", str(data.parent / out), match=match)
    assert not (data.parent / "missing").exists()


def test_cli_unknown_system_and_model_are_one_line(data, capsys):
    usage_error(capsys, "train", "--system", "lorenz84", "--out", str(data.parent / "r"),
                match=r"argument --system: invalid choice: 'lorenz84'")
    usage_error(capsys, "train", *_data_args(data), "--model", "lstm", "--out", str(data.parent / "r"),
                match=r"argument --model: invalid choice: 'lstm'")


def test_cli_seed_and_seeds_together_are_refused(data, capsys):
    usage_error(capsys, "train", *_data_args(data), "--seed", "1", "--seeds", "0-1", "--out",
                str(data.parent / "r"), match=r"give --seed S for one run or --seeds LIST for several")


def test_runs_of_several_seeds_train_on_one_data_set(tmp_path, monkeypatch):
    """--seed changes the initialisation and the windows, not the system's series (data_seed does)."""
    monkeypatch.setenv("BIFWATCH_CACHE", str(tmp_path / "cache"))
    from bifwatch.training.dsr import load_run_data

    a, b = (load_run_data(TrainSettings(system="lorenz63", steps=1000, seed=s)) for s in (0, 1))
    assert np.array_equal(a.test, b.test) and np.array_equal(a.trials[0], b.trials[0])
    c = load_run_data(TrainSettings(system="lorenz63", steps=1000, data_seed=1))
    assert not np.array_equal(a.test, c.test) and not np.array_equal(a.trials[0], c.trials[0])


def test_a_path_setting_of_another_type_is_named():
    with pytest.raises(ValueError, match=r"`data` must be a path \(a string\); got 5"):
        TrainSettings(system=None, data=5)


def test_cli_an_out_below_a_file_says_so(data, capsys):
    (data.parent / "afile").write_text("x")
    usage_error(capsys, "train", *_data_args(data), *TINY_FLAGS, "--out", str(data.parent / "afile" / "sub"),
                match=r"cannot be made: '.*afile' is a file, not a folder")
