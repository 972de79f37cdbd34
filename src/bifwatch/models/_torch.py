"""Conversion of ``torch.nn.RNN(nonlinearity="relu")`` to its exact piecewise-linear map.

torch is imported inside the functions only, so the ``.npz`` path never loads it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

import numpy as np

from .._validation import to_numpy
from ._files import check_begins, user_stacklevel
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
    if not isinstance(state, Mapping):
        raise TypeError(f"`state` must be a state dict (a mapping); got {type(state).__name__}")
    weights = {k: _numpy(k, v) for k, v in state.items() if k.endswith("_l0")}
    if "weight_hh_l0" not in weights or "weight_ih_l0" not in weights:
        raise ValueError(
            "state dict must hold 'weight_ih_l0' and 'weight_hh_l0' of a one-layer nn.RNN; "
            f"got keys {sorted(state)}"
        )
    extra = [k for k in state if k.endswith(("_l1", "_reverse"))]
    if extra:
        raise ValueError(f"state dict must be of a one-layer unidirectional nn.RNN; got keys {extra}")
    W_ih, W_hh = weights["weight_ih_l0"], weights["weight_hh_l0"]
    _check_rnn_shapes(W_ih, W_hh)
    x = np.zeros(W_ih.shape[1]) if input is None else _numpy("input", input)
    if x.size != W_ih.shape[1]:
        raise ValueError(f"`input` must have shape (input_size,) = ({W_ih.shape[1]},); got {x.shape}")
    x = x.reshape(-1)
    b = W_ih @ x
    for key in ("bias_ih_l0", "bias_hh_l0"):
        if key in weights:
            b = b + weights[key]
    return ReLURNN(W=W_hh, b=b)


def load_torch_rnn(path: str | os.PathLike) -> ReLURNN:
    """Read a file written by ``torch.save({"state_dict": rnn.state_dict(), "input": x,
    "nonlinearity": rnn.nonlinearity}, path)``.

    A flat state dict with extra ``"input"`` and ``"nonlinearity"`` entries is accepted too.

    Raises
    ------
    ValueError
        The file is not a PyTorch checkpoint, holds no one-layer ``nn.RNN`` state dict, or holds
        an RNN whose nonlinearity is not ``"relu"`` (a ``"nonlinearity"`` entry, or a saved
        ``nn.RNN`` module).

    Warns
    -----
    UserWarning
        Without ``"input"`` the drive is zero, and without ``"nonlinearity"`` the RNN is taken to
        be ReLU (a state dict does not record it, and ``nn.RNN``'s default is tanh): one warning
        says what was assumed.
    """
    import torch

    name = os.fspath(path)
    _check_torch_file(name)
    try:
        blob = torch.load(name, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for unreadable files
        _reject_non_relu(name, _saved_module_nonlinearity(name))
        raise ValueError(f"could not read {name!r} as a PyTorch file: {_brief(err)}") from err
    if not isinstance(blob, dict):
        raise ValueError(f"{name!r} must hold a dict (a state dict); got {type(blob).__name__}")
    blob = dict(blob)
    nonlinearity = blob.pop("nonlinearity", None)
    _reject_non_relu(name, nonlinearity)
    x = blob.pop("input", None)
    state = blob.pop("state_dict", blob)
    if not isinstance(state, Mapping):
        raise ValueError(f"{name!r}: 'state_dict' must be a dict; got {type(state).__name__}")
    model = from_rnn_state_dict(state, x)
    _warn_assumptions(name, x is None, nonlinearity is None, tuple(state["weight_ih_l0"].shape)[1])
    return model


def _check_torch_file(name: str) -> None:
    """Refuse a file that is neither a zip archive (torch.save) nor a pickle (its legacy format)."""
    check_begins(  # empty: torch's own EOFError says it
        name, (b"PK", b"\x80"), f"could not read {name!r} as a PyTorch file", "a PyTorch checkpoint",
        "torch.save writes a zip archive",
    )


def _reject_non_relu(name: str, nonlinearity) -> None:
    if nonlinearity is not None and nonlinearity != "relu":
        raise ValueError(
            f"{name!r}: only a ReLU nn.RNN can be analysed exactly, since only ReLU RNNs are piecewise "
            f"linear; got {nonlinearity!r}"
        )


def _saved_module_nonlinearity(name: str) -> str | None:
    """The nonlinearity of an ``nn.RNN`` module saved whole (alone or in a dict), else None.

    Read with the weights-only unpickler, trusting the ``nn.RNN`` class only.
    """
    import torch

    trusted = getattr(torch.serialization, "safe_globals", None)
    if trusted is None:  # torch < 2.5
        return None
    try:
        with trusted([torch.nn.RNN]):
            blob = torch.load(name, map_location="cpu", weights_only=True)
    except Exception:
        return None
    found = [blob] if isinstance(blob, torch.nn.RNN) else []
    if isinstance(blob, dict):
        found += [v for v in blob.values() if isinstance(v, torch.nn.RNN)]
    return found[0].nonlinearity if found else None


def _warn_assumptions(name: str, no_input: bool, no_nonlinearity: bool, input_size: int) -> None:
    assumed = []
    if no_input:
        assumed.append(f"the constant input x = 0 (no \"input\" entry; input_size = {input_size})")
    if no_nonlinearity:
        assumed.append("nonlinearity 'relu' (no \"nonlinearity\" entry; nn.RNN's default is 'tanh', "
                       "which cannot be analysed exactly)")
    if assumed:
        warnings.warn(
            f"{name!r}: assumed {' and '.join(assumed)}; to say so, write the file with torch.save("
            '{"state_dict": rnn.state_dict(), "input": x, "nonlinearity": rnn.nonlinearity}, path)',
            UserWarning, stacklevel=user_stacklevel(),
        )


def _check_rnn_shapes(W_ih: np.ndarray, W_hh: np.ndarray) -> None:
    # A GRU or LSTM state dict has the same key names, with 3 or 4 stacked gates (3H or 4H rows).
    if W_hh.ndim != 2 or W_ih.ndim != 2 or W_hh.shape[0] != W_ih.shape[0]:
        raise ValueError(
            "'weight_ih_l0' must have shape (hidden, input_size) and 'weight_hh_l0' (hidden, hidden); "
            f"got {W_ih.shape} and {W_hh.shape}"
        )
    H = W_hh.shape[1]
    if W_hh.shape[0] != H:
        gates = {3 * H: " (3 stacked gates: a GRU?)", 4 * H: " (4 stacked gates: an LSTM?)"}
        raise ValueError(
            f"'weight_hh_l0' must be square (hidden, hidden) as in nn.RNN; got {W_hh.shape}"
            + gates.get(W_hh.shape[0], "")
        )


def _brief(err: Exception) -> str:
    """One line out of a (long, multi-line) torch.load error, with a hint where one helps."""
    text = str(err)
    if "WeightsUnpickler error:" in text:  # torch's own reason follows this marker
        text = text.split("WeightsUnpickler error:", 1)[1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    brief = f"{type(err).__name__}: {lines[0].split('. ')[0]}" if lines else type(err).__name__
    if "Unsupported global" in text:
        brief += " (only tensors and plain containers are read: save rnn.state_dict(), not the module)"
    return brief


def _numpy(name: str, value) -> np.ndarray:
    if hasattr(value, "detach"):  # a tensor: to float64 (numpy has no bfloat16), keeping complex
        value = value.detach().cpu()
        value = value if value.is_complex() else value.double()
    return to_numpy(name, value)
