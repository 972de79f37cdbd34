"""Shallow PLRNNs: the ReLU acts on L hidden units, so regions live in hidden space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validation import as_float_array
from ._base import AbstractPLRNN, leaky_gate, leaky_relu
from ._plrnn import _check_slope


def _check_shallow(A, W1, W2, h1, h2) -> dict[str, np.ndarray]:
    h1 = as_float_array("h1", h1, ("M",))
    h2 = as_float_array("h2", h2, ("L",))
    M, L = h1.shape[0], h2.shape[0]
    if M == 0 or L == 0:
        raise ValueError(f"`h1` and `h2` must be non-empty (M, L >= 1); got M = {M}, L = {L}")
    return {
        "A": as_float_array("A", A, (M,)),
        "W1": as_float_array("W1", W1, (M, L)),
        "W2": as_float_array("W2", W2, (L, M)),
        "h1": h1,
        "h2": h2,
    }


class _ShallowBase(AbstractPLRNN):
    A: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    h1: np.ndarray
    h2: np.ndarray

    def _validate(self) -> None:
        for name, value in _check_shallow(self.A, self.W1, self.W2, self.h1, self.h2).items():
            object.__setattr__(self, name, value)

    @property
    def M(self) -> int:
        return self.h1.shape[0]

    @property
    def L(self) -> int:
        """Number of hidden units."""
        return self.h2.shape[0]

    def hidden(self, z: np.ndarray) -> np.ndarray:
        """Hidden pre-activations W2 z + h2, shape (..., L)."""
        return np.asarray(z, dtype=np.float64) @ self.W2.T + self.h2

    def parameters(self) -> dict[str, np.ndarray]:
        return {"A": self.A, "W1": self.W1, "W2": self.W2, "h1": self.h1, "h2": self.h2}


@dataclass(frozen=True, eq=False, repr=False)
class ShPLRNN(_ShallowBase):
    """Shallow PLRNN ``z' = diag(A) z + W1 phi(W2 z + h2) + h1``.

    Parameters
    ----------
    A : array, shape (M,)
        Diagonal of the linear part.
    W1 : array, shape (M, L)
    W2 : array, shape (L, M)
    h1 : array, shape (M,)
    h2 : array, shape (L,)
    slope : float, default 0
        Leak of phi (0 gives the ReLU).

    Notes
    -----
    Regions are cells of the arrangement of the L hyperplanes W2 z + h2 = 0:
    d = 1[W2 z + h2 > 0]. With D = diag(d + slope (1 - d)), J(d) = diag(A) + W1 D W2 and
    c(d) = W1 D h2 + h1. At most sum_{i<=M} C(L, i) of the 2^L codes are non-empty.

    Examples
    --------
    >>> from bifwatch import ShPLRNN
    >>> m = ShPLRNN(A=[0.5], W1=[[1.0, -1.0]], W2=[[1.0], [-1.0]], h1=[0.0], h2=[0.0, 0.0])
    >>> m.region(np.array([2.0])).tolist()
    [True, False]
    """

    A: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    h1: np.ndarray
    h2: np.ndarray
    slope: float = 0.0
    kind: ClassVar[str] = "shplrnn"

    def __post_init__(self) -> None:
        self._validate()
        object.__setattr__(self, "slope", _check_slope(self.slope))

    @property
    def n_bits(self) -> int:
        return self.L

    def margins(self, z: np.ndarray) -> np.ndarray:
        return self.hidden(z)

    def switching_planes(self) -> tuple[np.ndarray, np.ndarray]:
        return self.W2, self.h2

    def step(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        return self.A * z + leaky_relu(self.hidden(z), self.slope) @ self.W1.T + self.h1

    def affine_map(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gate = leaky_gate(np.asarray(d), self.slope)
        W1D = self.W1 * gate[..., None, :]
        return np.diag(self.A) + W1D @ self.W2, W1D @ self.h2 + self.h1

    def parameters(self) -> dict[str, np.ndarray]:
        out = super().parameters()
        if self.slope != 0.0:
            out["slope"] = np.array(self.slope)
        return out


@dataclass(frozen=True, eq=False, repr=False)
class ClippedShPLRNN(_ShallowBase):
    """Clipped shallow PLRNN ``z' = diag(A) z + W1 [relu(W2 z + h2) - relu(W2 z)] + h1``.

    Parameters
    ----------
    A : array, shape (M,)
    W1 : array, shape (M, L)
    W2 : array, shape (L, M)
    h1 : array, shape (M,)
    h2 : array, shape (L,)

    Notes
    -----
    A region is a pair of hidden codes, stored as one code of length 2L:
    d = (d1, d2) = (1[W2 z + h2 > 0], 1[W2 z > 0]). Then J(d) = diag(A) + W1 (D1 - D2) W2 and
    c(d) = W1 D1 h2 + h1. The bracket lies between 0 and h2 elementwise, so orbits stay
    bounded when max |A_i| < 1.

    Examples
    --------
    >>> from bifwatch import ClippedShPLRNN
    >>> m = ClippedShPLRNN(A=[0.5], W1=[[1.0]], W2=[[1.0]], h1=[0.0], h2=[1.0])
    >>> m.n_bits
    2
    """

    A: np.ndarray
    W1: np.ndarray
    W2: np.ndarray
    h1: np.ndarray
    h2: np.ndarray
    kind: ClassVar[str] = "clipped-shplrnn"

    def __post_init__(self) -> None:
        self._validate()

    @property
    def n_bits(self) -> int:
        return 2 * self.L

    def margins(self, z: np.ndarray) -> np.ndarray:
        u = np.asarray(z, dtype=np.float64) @ self.W2.T
        return np.concatenate([u + self.h2, u], axis=-1)

    def switching_planes(self) -> tuple[np.ndarray, np.ndarray]:
        return np.vstack([self.W2, self.W2]), np.concatenate([self.h2, np.zeros(self.L)])

    def step(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        u = z @ self.W2.T
        bracket = np.maximum(u + self.h2, 0.0) - np.maximum(u, 0.0)
        return self.A * z + bracket @ self.W1.T + self.h1

    def affine_map(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.asarray(d, dtype=np.float64)
        d1, d2 = d[..., : self.L], d[..., self.L :]
        J = np.diag(self.A) + (self.W1 * (d1 - d2)[..., None, :]) @ self.W2
        return J, (self.W1 * d1[..., None, :]) @ self.h2 + self.h1
