"""The loss and gradient-norm landscape over (Δa11, Δa22) around the teacher (the paper's Fig. 3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._validation import check_int, check_positive_float
from ...models import PLRNN
from ._student import gtf_loss_and_gradient, student_vector

#: Cells per batch of the landscape's forward and backward pass (memory ~ CHUNK * T * 16 bytes).
CHUNK = 4096


@dataclass(frozen=True, eq=False)
class Landscape:
    """The GTF loss and |∇L| on a grid of (Δa11, Δa22), the other four parameters the teacher's.

    Attributes
    ----------
    deltas : array, shape (N,)
        Grid of Δa11 and of Δa22 (the same values; 0 included when N is odd).
    alphas : tuple of float
    loss, grad_norm : arrays, shape (len(alphas), N, N)
        ``[k, i, j]`` at α = alphas[k], Δa11 = deltas[i], Δa22 = deltas[j]; NaN where the
        trajectory overflowed. |∇L| is over all six parameters.
    centre : array, shape (2,)
        The teacher's (a11, a22).
    """

    deltas: np.ndarray
    alphas: tuple[float, ...]
    loss: np.ndarray
    grad_norm: np.ndarray
    centre: np.ndarray

    def to_dict(self) -> dict:
        return {"delta": self.deltas.tolist(), "alphas": list(self.alphas), "centre": self.centre.tolist(),
                "loss": _rounded(self.loss), "grad_norm": _rounded(self.grad_norm),
                "layout": "loss[k][i][j]: alpha = alphas[k], delta a11 = delta[i], delta a22 = delta[j]; "
                          "null where the trajectory overflowed"}


def _rounded(values: np.ndarray) -> list:
    """6 significant digits, NaN and overflow as None (the figure's data, not a high-precision record)."""
    flat = [None if not np.isfinite(v) or abs(v) > 1e300 else float(f"{v:.6g}") for v in values.ravel()]
    return np.array(flat, dtype=object).reshape(values.shape).tolist()


def loss_landscape(teacher: PLRNN, data, *, alphas=(0.0, 0.1), radius: float = 1.0, grid: int = 201
                   ) -> Landscape:
    """The GTF loss landscape of ``teacher``'s students over (Δa11, Δa22) ∈ [-radius, radius]².

    Parameters
    ----------
    teacher : PLRNN
        2-D, diagonal A, zero diagonal W (see :func:`student_vector`).
    data : array, shape (T, 2)
        The series the loss is taken on (the teacher's own: the loss is 0 at Δ = 0).
    alphas : sequence of float in [0, 1], default (0, 0.1)
        GTF forcing of each landscape (0: free running).
    radius : float, default 1
        Half-width of the square (the paper's Fig. 3 uses 1).
    grid : int, default 201
        Grid values per axis (>= 2; odd puts Δ = 0 on the grid).

    Notes
    -----
    Every cell is one student of :func:`gtf_loss_and_gradient`, batched :data:`CHUNK` cells at a
    time. Performance notes: 201² cells at T = 500 take about 3 s per α.
    """
    radius, grid = check_positive_float("radius", radius), check_int("grid", grid, minimum=2)
    deltas = np.linspace(-radius, radius, grid)
    if grid % 2:
        deltas[grid // 2] = 0.0
    base = student_vector(teacher)
    theta = np.tile(base, (grid * grid, 1))
    d11, d22 = np.meshgrid(deltas, deltas, indexing="ij")
    theta[:, 0] += d11.ravel()
    theta[:, 1] += d22.ravel()
    alphas = tuple(float(a) for a in alphas)
    loss = np.empty((len(alphas), grid * grid))
    norm = np.empty_like(loss)
    for k, alpha in enumerate(alphas):
        for start in range(0, grid * grid, CHUNK):
            part = slice(start, start + CHUNK)
            loss[k, part], g = gtf_loss_and_gradient(theta[part], data, alpha=alpha)
            with np.errstate(all="ignore"):
                norm[k, part] = np.sqrt(np.sum(g * g, axis=1))
    bad = ~(np.isfinite(loss) & np.isfinite(norm))
    loss[bad], norm[bad] = np.nan, np.nan
    shape = (len(alphas), grid, grid)
    return Landscape(deltas=deltas, alphas=alphas, loss=loss.reshape(shape), grad_norm=norm.reshape(shape),
                     centre=base[:2].copy())
