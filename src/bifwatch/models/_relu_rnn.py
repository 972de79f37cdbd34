"""The hidden-state map of a one-layer ``torch.nn.RNN(nonlinearity="relu")`` with constant input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validation import as_float_array
from ._base import AbstractPLRNN


@dataclass(frozen=True, eq=False, repr=False)
class ReLURNN(AbstractPLRNN):
    """Elman ReLU RNN in its own hidden coordinates: ``h' = relu(W h + b)``.

    Parameters
    ----------
    W : array, shape (M, M)
        Recurrent weights (``weight_hh_l0`` of ``torch.nn.RNN``).
    b : array, shape (M,)
        Total drive: ``weight_ih_l0 @ x + bias_ih_l0 + bias_hh_l0`` for a constant input x.

    Notes
    -----
    Regions are d = 1[W h + b > 0]; there J(d) = D W and c(d) = D b. The states are exactly the
    module's hidden states, so cycles found here are cycles of the module. (In pre-activation
    coordinates u = W h + b the same dynamics is the PLRNN u' = W relu(u) + b, with A = 0.)
    Use ``bifwatch.from_torch_rnn`` to build one from a module.

    Examples
    --------
    >>> from bifwatch import ReLURNN
    >>> ReLURNN(W=[[0.5]], b=[1.0]).step(np.array([0.0])).tolist()
    [1.0]
    """

    W: np.ndarray
    b: np.ndarray
    kind: ClassVar[str] = "relu-rnn"

    def __post_init__(self) -> None:
        b = as_float_array("b", self.b, ("M",))
        if b.shape[0] == 0:
            raise ValueError("`b` must have at least one entry (M >= 1); got shape (0,)")
        object.__setattr__(self, "W", as_float_array("W", self.W, (b.shape[0], b.shape[0])))
        object.__setattr__(self, "b", b)

    @property
    def M(self) -> int:
        return self.b.shape[0]

    @property
    def n_bits(self) -> int:
        return self.M

    def margins(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=np.float64) @ self.W.T + self.b

    def switching_planes(self) -> tuple[np.ndarray, np.ndarray]:
        return self.W, self.b

    def step(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(self.margins(z), 0.0)

    def affine_map(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gate = np.asarray(d, dtype=np.float64)
        return self.W * gate[..., :, None], gate * self.b

    def parameters(self) -> dict[str, np.ndarray]:
        return {"W": self.W, "b": self.b}
