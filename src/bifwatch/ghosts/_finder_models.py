"""The one-step map of a PyTorch recurrent model, as a pure function of a batch of states.

``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` (and their ``Cell`` variants) are rewritten from their
weights in plain tensor algebra: the fused kernels are neither vmap-able nor twice
differentiable (cuDNN), and a copy of the weights lets the search run on any device and dtype
without touching the user's module. Anything else must bring its own ``step(x)`` (a module) or
be a plain callable. torch is imported inside functions only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from .._validation import as_float_array
from ..models import AbstractPLRNN

ACCEPTED = (
    "torch.nn.RNN / GRU / LSTM (one or more layers, unidirectional), their Cell variants, "
    "an nn.Module with a `step(x)` method, or a plain callable x -> F(x) on a batch (B, M)"
)


def rnn_kind(model) -> str | None:
    """``"rnn"``, ``"gru"`` or ``"lstm"`` for a torch recurrent module (or its cell); None otherwise."""
    import torch.nn as nn

    kinds = {nn.RNN: "rnn", nn.RNNCell: "rnn", nn.GRU: "gru", nn.GRUCell: "gru", nn.LSTM: "lstm",
             nn.LSTMCell: "lstm"}
    return next((kind for cls, kind in kinds.items() if isinstance(model, cls)), None)


def state_size(model) -> int | None:
    """M of a torch recurrent module: layers x hidden (LSTM: layers x (proj or hidden + hidden))."""
    kind = rnn_kind(model)
    if kind is None:
        return None
    if getattr(model, "bidirectional", False):
        raise ValueError(
            f"`model` must be unidirectional: a bidirectional {type(model).__name__} has no one-step map"
        )
    layers = getattr(model, "num_layers", 1)
    hidden = model.hidden_size
    if kind == "lstm":
        return layers * ((getattr(model, "proj_size", 0) or hidden) + hidden)
    return layers * hidden


def model_device(model, fallback):
    """The device of the model's first parameter or buffer, else ``fallback``."""
    import torch

    if isinstance(model, torch.nn.Module):
        for tensor in [*model.parameters(), *model.buffers()]:
            return tensor.device
    return fallback


@contextmanager
def step_function(model, *, input, time: str, device, dtype):
    """Yield F: (B, M) -> (B, M), the map (``time="discrete"``) or vector field (``"continuous"``).

    Modules with ``step`` run in eval mode (restored on exit); if their device or dtype differs
    from the requested one, a converted deep copy runs instead, so the user's module never changes.
    """
    import torch

    kind = rnn_kind(model)
    if kind is not None:
        if time == "continuous":
            raise ValueError(
                f"`time='continuous'` needs a vector field f(x); a torch {type(model).__name__} is a map: "
                "use time='discrete' (the flow dx/dt = F(x) - x has the same q and points; its Jacobian "
                "is dF/dx - I)"
            )
        yield _rnn_map(model, kind, input, device, dtype)
        return
    if input is not None:
        raise ValueError(
            "`input` applies to torch RNN modules only; for a `step` module or a callable, "
            "close over the input inside the step"
        )
    if isinstance(model, torch.nn.Module):
        if not callable(getattr(model, "step", None)):
            raise TypeError(
                f"`model` has no one-step map: {type(model).__name__} is an nn.Module without a `step(x)` "
                f"method. Accepted: {ACCEPTED}. Wrap it, e.g. `lambda x: module(x)`, if forward is the map"
            )
        with _eval_copy(model, device, dtype) as module:
            yield module.step
        return
    if isinstance(model, AbstractPLRNN):
        raise TypeError(
            f"`model` is a bifwatch {type(model).__name__} (numpy, piecewise linear): its slow points "
            "are exact, use exact_slow_points(model)"
        )
    if not callable(model):
        raise TypeError(f"`model` must be one of: {ACCEPTED}; got {type(model).__name__}")
    yield model


@contextmanager
def _eval_copy(module, device, dtype):
    tensors = [*module.parameters(), *module.buffers()]
    if any(t.device != device or (t.is_floating_point() and t.dtype != dtype) for t in tensors):
        yield copy.deepcopy(module).to(device=device, dtype=dtype).eval()
        return
    modes = [(m, m.training) for m in module.modules()]
    try:
        yield module.eval()
    finally:
        for m, training in modes:
            m.training = training


def _rnn_map(model, kind: str, input, device, dtype) -> Callable:
    """The one-step map of a torch RNN/GRU/LSTM from copies of its weights (no dropout: eval semantics)."""
    import torch

    state_size(model)  # rejects bidirectional RNNs
    u = np.zeros(model.input_size) if input is None else as_float_array("input", input, (model.input_size,))
    layers = [_weights(model, k, device, dtype) for k in range(getattr(model, "num_layers", 1))]
    drive = torch.as_tensor(u, device=device, dtype=dtype) @ layers[0]["w_ih"].T + layers[0]["b_ih"]
    hidden = model.hidden_size
    out_size = (getattr(model, "proj_size", 0) or hidden) if kind == "lstm" else hidden
    act = torch.relu if getattr(model, "nonlinearity", "tanh") == "relu" else torch.tanh
    n = len(layers)

    def step(x):
        h = list(x[..., : n * out_size].split(out_size, dim=-1))
        c = list(x[..., n * out_size :].split(hidden, dim=-1)) if kind == "lstm" else []
        new_h, new_c, gi = [], [], drive
        for k, w in enumerate(layers):
            if k:
                gi = new_h[-1] @ w["w_ih"].T + w["b_ih"]
            gh = h[k] @ w["w_hh"].T + w["b_hh"]
            if kind == "rnn":
                new_h.append(act(gi + gh))
            elif kind == "gru":
                new_h.append(_gru(gi, gh, h[k]))
            else:
                hk, ck = _lstm(gi + gh, c[k], w["w_hr"])
                new_h.append(hk)
                new_c.append(ck)
        return torch.cat(new_h + new_c, dim=-1)

    return step


def _gru(gi, gh, h):
    import torch

    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


def _lstm(gates, c, w_hr):
    import torch

    i, f, g, o = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return (h if w_hr is None else h @ w_hr.T), c


def _weights(model, layer: int, device, dtype) -> dict:
    """Detached copies of one layer's weights; missing biases become zeros."""
    import torch

    suffix = f"_l{layer}" if hasattr(model, "num_layers") else ""
    params = {name: p.detach().to(device=device, dtype=dtype) for name, p in model.named_parameters()}
    w_hh = params["weight_hh" + suffix]
    zeros = torch.zeros(w_hh.shape[0], device=device, dtype=dtype)
    return {
        "w_ih": params["weight_ih" + suffix],
        "w_hh": w_hh,
        "b_ih": params.get("bias_ih" + suffix, zeros),
        "b_hh": params.get("bias_hh" + suffix, zeros),
        "w_hr": params.get("weight_hr" + suffix),
    }
