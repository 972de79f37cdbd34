"""The window Function of BPTT (``unroll(..., engine="window")``) against autograd through the loop.

Truth: the autograd loop (``engine="autograd"``), the reference recursion; ``gradcheck`` of the
Function itself in float64 (finite differences); the PLRNN's zero-diagonal W gradient; whole
training runs giving the same checkpoints with either engine.

- Predictions: the same ``step`` calls in the same order, so the same bits (float64 and float32).
- Gradients (parameters, the observation's Lambda or B through z_1, and the inputs through zhat):
  the adjoints are summed in another grouping (one addcmul, parameter gradients as matmuls over all
  steps at once), so they agree to rounding: 1e-12 relative to the largest entry in float64
  (seen: below 1e-15), 1e-5 in float32.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from bifwatch.models.nn import build_model
from bifwatch.training.dsr import (
    TrainSettings,
    _trainer,  # the trainer's own name for unroll, to swap the engine
    train,
    unroll,
)

MODELS = [
    pytest.param("plrnn", {}, id="plrnn"),
    pytest.param("alrnn", {"P": 2}, id="alrnn"),
    pytest.param("shplrnn", {"L": 7}, id="shplrnn"),
    pytest.param("clipped-shplrnn", {"L": 7}, id="clipped"),
]
FORCINGS = [
    pytest.param(dict(forcing="none"), id="none"),
    pytest.param(dict(forcing="stf", tau=3), id="stf3"),
    pytest.param(dict(forcing="gtf", alpha=0.3), id="gtf0.3"),
    pytest.param(dict(forcing="agtf", alpha=0.8731), id="agtf"),
]
OBSERVATIONS = [pytest.param(2, 4, "identity", id="identity-M>N"), pytest.param(2, 4, "affine", id="affine")]


def _model(kind, width, N, M, observation, dtype=torch.float64):
    model = build_model(kind, N=N, M=M, observation=observation, seed=3, dtype=dtype, **width)
    with torch.no_grad():  # the clipped layer starts with h2 != 0; give every bias some value
        for name, p in model.latent.named_parameters():
            if name.startswith("h"):
                p.copy_(torch.linspace(-0.3, 0.4, p.numel(), dtype=dtype))
    return model


def _inputs(S, T, N, dtype=torch.float64, seed=0):
    return torch.randn(S, T, N, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


def _run(model, x, engine, **forcing):
    """Predictions and the gradients of a loss with every entry of them, by parameter name."""
    x = x.clone().requires_grad_(True)
    predictions = unroll(model, x, engine=engine, **forcing)
    weights = torch.linspace(-1, 1, predictions.numel(), dtype=x.dtype).reshape(predictions.shape)
    loss = (predictions - 0.5).square().sum() + (weights * predictions).sum()
    names, params = zip(*model.named_parameters(), strict=True)
    grads = torch.autograd.grad(loss, [*params, x])
    return predictions.detach(), dict(zip([*names, "inputs"], grads, strict=True))


def _relative(a, b) -> float:
    scale = a.abs().max()
    return float((a - b).abs().max() / scale) if scale > 0 else float((a - b).abs().max())


@pytest.mark.parametrize("N, M, observation", OBSERVATIONS)
@pytest.mark.parametrize("forcing", FORCINGS)
@pytest.mark.parametrize("kind, width", MODELS)
def test_window_equals_autograd_in_float64(kind, width, forcing, N, M, observation):
    model = _model(kind, width, N, M, observation)
    x = _inputs(3, 13, N)
    p, g = _run(model, x, "autograd", **forcing)
    q, h = _run(model, x, "window", **forcing)
    assert torch.equal(p, q)  # the same step calls: the same bits
    assert g.keys() == h.keys() and {"observation.Lambda", "observation.B"} & g.keys()
    for name in g:
        assert _relative(g[name], h[name]) <= 1e-12, name


@pytest.mark.parametrize("forcing", FORCINGS)
@pytest.mark.parametrize("kind, width", MODELS)
def test_window_equals_autograd_in_float32(kind, width, forcing):
    model = _model(kind, width, 2, 4, "identity", dtype=torch.float32)
    x = _inputs(4, 20, 2, dtype=torch.float32)
    p, g = _run(model, x, "autograd", **forcing)
    q, h = _run(model, x, "window", **forcing)
    assert torch.equal(p, q)
    for name in g:
        assert _relative(g[name], h[name]) <= 1e-5, name


class _Window(torch.nn.Module):
    def __init__(self, model, **forcing) -> None:
        super().__init__()
        self.model, self.forcing = model, forcing

    def forward(self, x):
        return unroll(self.model, x, engine="window", **self.forcing)


@pytest.mark.parametrize("forcing", FORCINGS[1:3])
@pytest.mark.parametrize("kind, width", MODELS)
def test_window_passes_gradcheck(kind, width, forcing):
    module = _Window(_model(kind, {k: 3 for k in width} if "L" in width else width, 2, 3, "identity"),
                     **forcing)
    x = _inputs(2, 5, 2, seed=5).requires_grad_(True)
    assert torch.autograd.gradcheck(module, (x,))  # through z_1 and zhat
    params = {name: p.detach().clone().requires_grad_(True) for name, p in module.named_parameters()}
    names = list(params)

    def by_parameters(*values):
        return torch.func.functional_call(module, dict(zip(names, values, strict=True)), (x.detach(),))

    assert torch.autograd.gradcheck(by_parameters, tuple(params.values()))


class _Engine(torch.nn.Module):
    def __init__(self, model, engine) -> None:
        super().__init__()
        self.model, self.engine = model, engine

    def forward(self, x):
        return unroll(self.model, x, forcing="gtf", alpha=0.3, engine=self.engine)


def test_window_gradients_use_the_parameters_it_was_called_with():
    # backward runs after functional_call has put the module's own parameters back
    model = _model("clipped-shplrnn", {"L": 5}, 2, 3, "identity")
    x = _inputs(2, 6, 2)
    grads = []
    for engine in ("autograd", "window"):
        values = {f"model.{n}": 1.5 * p.detach() for n, p in model.named_parameters()}
        values = {n: v.requires_grad_(True) for n, v in values.items()}
        predictions = torch.func.functional_call(_Engine(model, engine), values, (x,))
        grads.append(torch.autograd.grad(predictions.square().sum(), list(values.values())))
    for a, b in zip(*grads, strict=True):
        assert _relative(a, b) <= 1e-12


@pytest.mark.parametrize("forcing", FORCINGS)
def test_plrnn_w_diagonal_gradient_is_zero(forcing):
    model = _model("plrnn", {}, 2, 4, "identity")
    x = _inputs(3, 9, 2)
    unroll(model, x, engine="window", **forcing).square().sum().backward()
    W = model.latent.W.grad
    assert torch.equal(W.diagonal(), torch.zeros(4)) and W.abs().sum() > 0
    assert model.latent.A.grad is not None and model.observation.Lambda.grad.abs().sum() > 0


def test_window_without_grad_and_a_one_step_window():
    model = _model("shplrnn", {"L": 4}, 2, 3, "affine")
    x = _inputs(2, 6, 2)
    with torch.no_grad():
        assert torch.equal(unroll(model, x, forcing="gtf", alpha=0.5),
                           unroll(model, x, forcing="gtf", alpha=0.5, engine="autograd"))
    p, g = _run(model, x[:, :1], "autograd", forcing="gtf", alpha=0.5)
    q, h = _run(model, x[:, :1], "window", forcing="gtf", alpha=0.5)
    assert torch.equal(p, q) and all(_relative(g[n], h[n]) <= 1e-12 for n in g)


def test_unknown_engine_is_refused():
    model = _model("plrnn", {}, 2, 2, "identity")
    with pytest.raises(ValueError, match=r"`engine` must be one of \('window', 'autograd'\); got 'jit'"):
        unroll(model, _inputs(1, 3, 2), forcing="none", engine="jit")


@pytest.mark.parametrize("model, forcing", [
    ("clipped-shplrnn", dict(forcing="gtf", alpha=0.2)),
    ("plrnn", dict(forcing="stf", tau=3)),
    ("alrnn", dict(forcing="agtf")),
    ("shplrnn", dict(forcing="none")),
])
def test_training_gives_the_same_checkpoints_with_either_engine(model, forcing, tmp_path, monkeypatch):
    t = np.arange(300)[:, None]
    np.save(tmp_path / "x.npy", np.sin(0.3 * t + np.arange(2)) + 0.05 * np.random.default_rng(0).normal(
        size=(300, 2)))
    settings = TrainSettings(system=None, data=str(tmp_path / "x.npy"), model=model, latent=3, hidden=8,
                             epochs=3, batches_per_epoch=3, batch_size=4, seq_len=20, lr=(1e-2, 1e-3),
                             checkpoint_every=1, **forcing)
    train(settings, tmp_path / "window")
    monkeypatch.setattr(_trainer, "unroll", functools.partial(unroll, engine="autograd"))
    train(settings, tmp_path / "autograd")
    files = sorted((tmp_path / "window" / "checkpoints").iterdir())
    other = tmp_path / "autograd" / "checkpoints"
    assert [f.name for f in files] == sorted(f.name for f in other.iterdir()) and len(files) == 4
    for file in files:
        with np.load(file) as a, np.load(other / file.name) as b:
            assert a.files == b.files
            for k in a.files:
                if a[k].dtype.kind == "f":
                    np.testing.assert_allclose(a[k], b[k], rtol=1e-10, atol=1e-12, err_msg=f"{file.name} {k}")
                else:
                    assert np.array_equal(a[k], b[k]), (file.name, k)
