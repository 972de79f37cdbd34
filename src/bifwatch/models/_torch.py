"""Conversion of ``torch.nn.RNN(nonlinearity="relu")`` to its exact piecewise-linear map.

torch is imported inside the functions only, so the ``.npz`` path never loads it.
"""

from __future__ import annotations

import os

import numpy as np

from ._relu_rnn import ReLURNN


def from_torch_rnn(module, input=None) -> ReLURNN:
    """The piecewise-linear map of a one-layer ReLU ``torch.nn.RNN`` driven by a constant input.

    Parameters
    ----------
    module : torch.nn.RNN
        ``nonlinearity="relu"``, ``num_layers=1``, unidirectional, no projection.
    input : array or tensor, shape (input_size,), optional
        The constant input x fed at every step (default zeros).

    Returns
    -------
    ReLURNN
        ``h' = relu(W_hh h + W_ih x + b_ih + b_hh)`` in float64; its trajectories are the
        module's hidden states.

    Raises
    ------
    TypeError
        ``module`` is not a ``torch.nn.RNN``.
    ValueError
        A tanh, multi-layer or bidirectional RNN, or an input of the wrong size.

    Examples
    --------
    >>> import torch
    >>> from bifwatch import from_torch_rnn
    >>> rnn = torch.nn.RNN(3, 4, nonlinearity="relu")
    >>> from_torch_rnn(rnn, input=[1.0, 0.0, 0.0]).M
    4
    """
    import torch

    if not isinstance(module, torch.nn.RNN):
        raise TypeError(f"`module` must be a torch.nn.RNN; got {type(module).__name__}")
    if module.nonlinearity != "relu":
        raise ValueError(f"`module` must have nonlinearity='relu'; got {module.nonlinearity!r}")
    if module.num_layers != 1 or module.bidirectional or getattr(module, "proj_size", 0):
        raise ValueError(
            "`module` must be a one-layer unidirectional nn.RNN; got "
            f"num_layers={module.num_layers}, bidirectional={module.bidirectional}"
        )
    return from_rnn_state_dict(module.state_dict(), input)


def from_rnn_state_dict(state: dict, input=None) -> ReLURNN:
    """Like :func:`from_torch_rnn`, from a one-layer ``nn.RNN`` state dict (ReLU assumed)."""
    weights = {k: _numpy(v) for k, v in state.items() if k.endswith("_l0")}
    if "weight_hh_l0" not in weights or "weight_ih_l0" not in weights:
        raise ValueError(
            "state dict must hold 'weight_ih_l0' and 'weight_hh_l0' of a one-layer nn.RNN; "
            f"got keys {sorted(state)}"
        )
    extra = [k for k in state if k.endswith(("_l1", "_reverse"))]
    if extra:
        raise ValueError(f"state dict must be of a one-layer unidirectional nn.RNN; got keys {extra}")
    W_ih, W_hh = weights["weight_ih_l0"], weights["weight_hh_l0"]
    x = np.zeros(W_ih.shape[1]) if input is None else _numpy(input).reshape(-1)
    if x.shape != (W_ih.shape[1],):
        raise ValueError(f"`input` must have shape (input_size,) = ({W_ih.shape[1]},); got {x.shape}")
    b = W_ih @ x
    for key in ("bias_ih_l0", "bias_hh_l0"):
        if key in weights:
            b = b + weights[key]
    return ReLURNN(W=W_hh, b=b)


def load_torch_rnn(path: str | os.PathLike) -> ReLURNN:
    """Read a file written by ``torch.save({"state_dict": rnn.state_dict(), "input": x}, path)``.

    A flat state dict with an extra ``"input"`` entry is accepted too; without an input the
    drive is zero. A ``"nonlinearity"`` entry, if present, must be ``"relu"``.
    """
    import torch

    try:
        blob = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for unreadable files
        raise ValueError(f"could not read {os.fspath(path)!r} as a PyTorch file: {err}") from err
    if not isinstance(blob, dict):
        raise ValueError(f"{os.fspath(path)!r} must hold a dict (a state dict); got {type(blob).__name__}")
    blob = dict(blob)
    nonlinearity = blob.pop("nonlinearity", "relu")
    if nonlinearity != "relu":
        raise ValueError(f"{os.fspath(path)!r}: only ReLU RNNs are piecewise linear; got {nonlinearity!r}")
    x = blob.pop("input", None)
    state = blob.pop("state_dict", blob)
    return from_rnn_state_dict(state, x)


def _numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)
