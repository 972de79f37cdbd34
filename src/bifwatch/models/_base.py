"""The interface every piecewise-linear model gives: regions, their affine pieces, the map itself."""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np

from .._validation import as_points, check_int


class AbstractPLRNN(abc.ABC):
    """A map F: R^M -> R^M that is affine on each of finitely many regions.

    A region is named by a boolean code ``d`` of length ``n_bits``: bit i is ``margins(z)[i] > 0``
    (the threshold is strict, so a point exactly on a switching boundary counts as "off").
    Inside region ``d`` the map is ``F(z) = J(d) z + c(d)``.

    Concrete classes are final (never subclassed further) and implement:

    - ``M`` and ``n_bits`` (dimensions), ``kind`` (the short name used by files and the CLI);
    - ``margins(z)``: shape (..., M) -> (..., n_bits), affine in z, and ``switching_planes()``
      giving that affine map as (N, o) with margins = N z + o;
    - ``step(z)``: shape (..., M) -> (..., M), the true nonlinear map;
    - ``affine_map(d)``: shape (..., n_bits) bool -> J (..., M, M), c (..., M);
    - ``parameters()``: the arrays named as in the model's equation.

    ``bifwatch.check_model`` verifies any implementation against these rules.
    """

    kind: ClassVar[str]

    @property
    @abc.abstractmethod
    def M(self) -> int:
        """Latent (state) dimension."""

    @property
    @abc.abstractmethod
    def n_bits(self) -> int:
        """Length of a region code."""

    @abc.abstractmethod
    def margins(self, z: np.ndarray) -> np.ndarray:
        """Switching quantities, shape (..., n_bits); region bit i is ``margins[..., i] > 0``."""

    @abc.abstractmethod
    def switching_planes(self) -> tuple[np.ndarray, np.ndarray]:
        """Normals N (n_bits, M) and offsets o (n_bits,) with ``margins(z) == z @ N.T + o``."""

    @abc.abstractmethod
    def step(self, z: np.ndarray) -> np.ndarray:
        """One step of the map, shape (..., M) -> (..., M)."""

    @abc.abstractmethod
    def affine_map(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Jacobian J (..., M, M) and offset c (..., M) of the affine piece of region ``d``."""

    @abc.abstractmethod
    def parameters(self) -> dict[str, np.ndarray]:
        """The model's arrays, named as in its equation (the names an ``.npz`` file uses)."""

    def region(self, z: np.ndarray) -> np.ndarray:
        """Region code of each point: shape (..., M) -> bool (..., n_bits)."""
        return self.margins(z) > 0

    def trajectory(self, z0: np.ndarray, steps: int) -> np.ndarray:
        """Iterate the map: shape (..., M) -> (..., steps + 1, M), starting with ``z0``.

        Examples
        --------
        >>> from bifwatch import PLRNN
        >>> PLRNN(A=[0.5], W=[[0.0]], h=[1.0]).trajectory([0.0], 2).ravel().tolist()
        [0.0, 1.0, 1.5]
        """
        steps = check_int("steps", steps, minimum=0)
        z = as_points("z0", z0, self.M)
        out = np.empty((*z.shape[:-1], steps + 1, self.M))
        out[..., 0, :] = z
        for t in range(steps):
            z = self.step(z)
            out[..., t + 1, :] = z
        return out

    def __repr__(self) -> str:
        dims = f"M={self.M}, n_bits={self.n_bits}"
        return f"{type(self).__name__}({dims})"


def leaky_gate(d: np.ndarray, slope: float) -> np.ndarray:
    """Diagonal of D for a (leaky) ReLU: 1 where ``d`` is on, ``slope`` where off."""
    gate = d.astype(np.float64)
    if slope != 0.0:
        gate = gate + slope * (1.0 - gate)
    return gate


def leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    """relu(x) for ``slope == 0``; x for x > 0 and ``slope * x`` otherwise."""
    if slope == 0.0:
        return np.maximum(x, 0.0)
    return np.where(x > 0, x, slope * x)
