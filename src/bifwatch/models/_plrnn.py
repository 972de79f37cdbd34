"""Latent-space PLRNNs: the vanilla PLRNN and the ALRNN (regions are orthants of z)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .._validation import as_float_array, check_int, to_numpy, unwrap_scalar
from ._base import AbstractPLRNN, leaky_gate, leaky_relu


def _check_latent(A: object, W: object, h: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = as_float_array("h", h, ("M",))
    M = h.shape[0]
    if M == 0:
        raise ValueError("`h` must have at least one entry (M >= 1); got shape (0,)")
    A = to_numpy("A", A)
    A = as_float_array("A", A, (M,) if A.ndim == 1 else (M, M))
    W = as_float_array("W", W, (M, M))
    return A, W, h


def _check_slope(slope: object) -> float:
    slope = unwrap_scalar(slope)
    if isinstance(slope, bool) or not isinstance(slope, (int, float)):
        raise TypeError(f"`slope` must be a real number; got {slope!r}")
    if not np.isfinite(slope):
        raise ValueError(f"`slope` must be finite; got {slope}")
    return float(slope)


def _A_matrix(A: np.ndarray) -> np.ndarray:
    return np.diag(A) if A.ndim == 1 else A


def _A_times(A: np.ndarray, z: np.ndarray) -> np.ndarray:
    return A * z if A.ndim == 1 else z @ A.T


@dataclass(frozen=True, eq=False, repr=False)
class PLRNN(AbstractPLRNN):
    """Vanilla piecewise-linear RNN ``z' = A z + W phi(z) + h``.

    Parameters
    ----------
    A : array, shape (M,) or (M, M)
        Diagonal (as a vector) or full linear part.
    W : array, shape (M, M)
        Weights of the rectified units.
    h : array, shape (M,)
        Bias.
    slope : float, default 0
        Leak of phi: phi(x) = x for x > 0, ``slope * x`` otherwise (0 gives the ReLU).

    Raises
    ------
    ValueError
        Wrong shapes or NaN/Inf entries, naming the array, the expected and the received shape.

    Notes
    -----
    Regions are the 2^M orthants, d = 1[z > 0]. In region d, with D = diag(d + slope (1 - d)),
    J(d) = A + W D and c(d) = h.

    Examples
    --------
    >>> from bifwatch import PLRNN
    >>> m = PLRNN(A=[0.2], W=[[-1.7]], h=[1.0])   # the skew tent map with right slope -1.5
    >>> m.step(np.array([1.0])).tolist()
    [-0.5]
    """

    A: np.ndarray
    W: np.ndarray
    h: np.ndarray
    slope: float = 0.0
    kind: ClassVar[str] = "plrnn"

    def __post_init__(self) -> None:
        A, W, h = _check_latent(self.A, self.W, self.h)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "h", h)
        object.__setattr__(self, "slope", _check_slope(self.slope))

    @property
    def M(self) -> int:
        return self.h.shape[0]

    @property
    def n_bits(self) -> int:
        return self.M

    def margins(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=np.float64)

    def switching_planes(self) -> tuple[np.ndarray, np.ndarray]:
        return np.eye(self.M), np.zeros(self.M)

    def step(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        return _A_times(self.A, z) + leaky_relu(z, self.slope) @ self.W.T + self.h

    def affine_map(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gate = leaky_gate(np.asarray(d), self.slope)
        J = np.multiply(self.W, gate[..., None, :])
        J += _A_matrix(self.A)
        return J, np.broadcast_to(self.h, (*gate.shape[:-1], self.M))

    def parameters(self) -> dict[str, np.ndarray]:
        out = {"A": self.A, "W": self.W, "h": self.h}
        if self.slope != 0.0:
            out["slope"] = np.array(self.slope)
        return out


@dataclass(frozen=True, eq=False, repr=False)
class ALRNN(AbstractPLRNN):
    """Almost-linear RNN: ``z' = A z + W phi(z) + h``, phi the identity on the first M - P units
    and a ReLU on the last P.

    Parameters
    ----------
    A : array, shape (M,) or (M, M)
    W : array, shape (M, M)
    h : array, shape (M,)
    P : int
        Number of rectified units, 0 <= P <= M.

    Notes
    -----
    Regions are the 2^P orthants of the last P coordinates, d = 1[z_{M-P:} > 0]. With
    D = diag(1, ..., 1, d), J(d) = A + W D and c(d) = h.

    Examples
    --------
    >>> from bifwatch import ALRNN
    >>> ALRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[1.0, 1.0], P=1).n_bits
    1
    """

    A: np.ndarray
    W: np.ndarray
    h: np.ndarray
    P: int
    kind: ClassVar[str] = "alrnn"
    _linear: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        A, W, h = _check_latent(self.A, self.W, self.h)
        P = check_int("P", self.P, minimum=0)
        if P > h.shape[0]:
            raise ValueError(f"`P` must be at most M = {h.shape[0]}; got {P}")
        for name, value in (("A", A), ("W", W), ("h", h), ("P", P)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_linear", np.ones(h.shape[0] - P))

    @property
    def M(self) -> int:
        return self.h.shape[0]

    @property
    def n_bits(self) -> int:
        return self.P

    def margins(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=np.float64)[..., self.M - self.P :]

    def switching_planes(self) -> tuple[np.ndarray, np.ndarray]:
        return np.eye(self.M)[self.M - self.P :], np.zeros(self.P)

    def step(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        phi = np.concatenate([z[..., : self.M - self.P], np.maximum(z[..., self.M - self.P :], 0.0)], -1)
        return _A_times(self.A, z) + phi @ self.W.T + self.h

    def affine_map(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.asarray(d, dtype=np.float64)
        gate = np.concatenate([np.broadcast_to(self._linear, d.shape[:-1] + self._linear.shape), d], -1)
        J = _A_matrix(self.A) + self.W * gate[..., None, :]
        return J, np.broadcast_to(self.h, (*d.shape[:-1], self.M))

    def parameters(self) -> dict[str, np.ndarray]:
        return {"A": self.A, "W": self.W, "h": self.h, "P": np.array(self.P)}
