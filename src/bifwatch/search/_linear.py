"""The batched core of SCYFI: compose the k affine pieces, solve (I - P) z = q, check consistency.

For a region sequence d_1..d_k, F^k(z) = P z + q inside the sequence, with
P = J_k ... J_1 and q built by one left-to-right pass (P <- J_j P, q <- J_j q + c_j).
A k-cycle through the sequence solves (I - P) z_1 = q and is *real* when the true map
visits exactly d_1..d_k from z_1 (exact boolean comparison; no tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import AbstractPLRNN


@dataclass(frozen=True, eq=False)
class Candidates:
    """Outcome of solving a batch of B region sequences of length k.

    Attributes
    ----------
    z1 : array, shape (B, M)
        Solutions (rows where ``solved`` is False hold zeros).
    visited : bool array, shape (B, k, n_bits)
        Regions the true map visits from z1 (meaningless where not ``solved``).
    solved : bool array, shape (B,)
        The system was non-singular and the solution finite.
    real : bool array, shape (B,)
        Solved and self-consistent.
    """

    z1: np.ndarray
    visited: np.ndarray
    solved: np.ndarray
    real: np.ndarray


def compose(J: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monodromy P = J_k ... J_1 and offset q of F^k, shapes (B, k, M, M), (B, k, M) -> (B, M, M), (B, M)."""
    P, q = J[:, 0], c[:, 0]
    for j in range(1, J.shape[1]):
        P = J[:, j] @ P
        q = (J[:, j] @ q[..., None])[..., 0] + c[:, j]
    return P, q


def solve_cycles(P: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve (I - P) z = q for each item; singular items get z = 0 and ``ok = False``."""
    B, M = q.shape
    lhs = np.eye(M) - P
    try:
        z = np.linalg.solve(lhs, q[..., None])[..., 0]
        ok = np.ones(B, dtype=bool)
    except np.linalg.LinAlgError:
        z, ok = _solve_skipping_singular(lhs, q)
    ok &= np.isfinite(z).all(axis=-1)
    z[~ok] = 0.0
    return z, ok


def _solve_skipping_singular(lhs: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sign, _ = np.linalg.slogdet(lhs)
    ok = sign != 0
    lhs = lhs.copy()
    lhs[~ok] = np.eye(lhs.shape[-1])
    try:
        return np.linalg.solve(lhs, q[..., None])[..., 0], ok
    except np.linalg.LinAlgError:  # LU pivots exactly zero where slogdet was not: go one by one
        z = np.zeros_like(q)
        for i in np.flatnonzero(ok):
            try:
                z[i] = np.linalg.solve(lhs[i], q[i])
            except np.linalg.LinAlgError:
                ok[i] = False
        return z, ok


def visited_regions(model: AbstractPLRNN, z1: np.ndarray, k: int) -> np.ndarray:
    """Regions d(z_1), ..., d(z_k) of the true orbit from each z1: shape (B, k, n_bits)."""
    B = z1.shape[0]
    margins = np.empty((B, k, model.n_bits))
    z = z1
    margins[:, 0] = model.margins(z)
    for j in range(1, k):
        z = model.step(z)
        margins[:, j] = model.margins(z)
    return margins > 0


def solve_sequences(model: AbstractPLRNN, sequences: np.ndarray) -> Candidates:
    """Solve the k-cycle system for every region sequence in ``sequences`` (bool, (B, k, n_bits))."""
    k = sequences.shape[1]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        J, c = model.affine_map(sequences)
        P, q = compose(J, c)
        z1, solved = solve_cycles(P, q)
        visited = visited_regions(model, z1, k)
    real = solved & (visited == sequences).all(axis=(1, 2))
    return Candidates(z1=z1, visited=visited, solved=solved, real=real)
