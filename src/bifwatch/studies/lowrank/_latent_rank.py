"""Speed minima of the R-dimensional latent flow of a rank-R RNN (R >= 2), refined by Newton."""

from __future__ import annotations

import numpy as np

from ..._validation import check_int, check_positive_float
from ...ghosts import SlowPoints
from ._lowrank import LowRankRNN

_DEFAULT_GRID = {2: 200, 3: 60}
_MAX_ITERS = 100
_DAMPING = 1e-6


def speed_minima(model: LowRankRNN, *, bounds: float | None, grid: int | None, q_fixed: float) -> SlowPoints:
    """Fixed and slow points of F(kappa) = -kappa + n^T tanh(m kappa + b), kappa in R^R.

    Candidates are the interior local minima of |F| on a grid (3^R minimum filter; R <= 3) or,
    for R > 3, the latent states of the trial; each is refined by :func:`newton_speed` and
    duplicates (closer than 1e-6 (1 + |kappa|)) are merged, keeping the lowest q.
    """
    R = model.R
    B = 7.5 if bounds is None else check_positive_float("bounds", bounds)
    if R <= 3:
        G = _DEFAULT_GRID[R] if grid is None else check_int("grid", grid, minimum=3)
        starts, how = _grid_minima(model, B, G), f"grid minima of |F| ({G}^{R} points on [-{B:g}, {B:g}]^{R})"
    else:
        starts, how = model.latent(model.trajectory(80)), "81 latent states of the trial (R > 3: no grid)"
    refined = [newton_speed(model, k0) for k0 in starts]
    kept = _unique([(k, q) for k, q, ok in refined if ok])
    points = np.array([k for k, _ in kept]).reshape(len(kept), R)
    F, J = _flow_jacobian(model, points)
    message = (f"rank {R}: {len(starts)} starts from {how}; {sum(ok for *_, ok in refined)} converged, "
               f"{len(kept)} distinct")
    return SlowPoints.build(points, q=0.5 * np.sum(F**2, axis=-1), jacobians=J, time="continuous",
                            q_fixed=q_fixed, message=message)


def newton_speed(model: LowRankRNN, kappa0: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Minimise E = |F|^2 / 2 from kappa0 by damped (Levenberg-Marquardt) Newton steps.

    The Hessian is exact: H = J^T J + sum_j w_j m_j m_j^T with w_j = -2 h_j (1 - h_j^2) (n_j . F),
    h = tanh(m kappa + b). The damping starts at 1e-6 and grows tenfold while a step fails to
    lower E. Returns (kappa, E, converged), converged meaning |grad E| <= 1e-12 (1 + |kappa|) or E
    below 1e-28, within 100 iterations.
    """
    k = np.array(kappa0, dtype=np.float64)
    damping = _DAMPING
    E = _energy(model, k)
    for _ in range(_MAX_ITERS):
        grad, H = _gradient_hessian(model, k)
        if np.linalg.norm(grad) <= 1e-12 * (1 + np.linalg.norm(k)) or E < 1e-28:
            return k, E, True
        while damping < 1e12:
            step = np.linalg.solve(H + damping * np.eye(len(k)), -grad)
            E_new = _energy(model, k + step)
            if E_new <= E:
                k, E, damping = k + step, E_new, max(damping / 10, 1e-12)
                break
            damping *= 10
        else:
            break
    grad, _ = _gradient_hessian(model, k)
    return k, E, bool(np.linalg.norm(grad) <= 1e-9 * (1 + np.linalg.norm(k)) or E < 1e-28)


def _energy(model: LowRankRNN, k: np.ndarray) -> float:
    F = -k + np.tanh(model.m @ k + model.b) @ model.right
    return 0.5 * float(F @ F)


def _gradient_hessian(model: LowRankRNN, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, m = model.right, model.m
    h = np.tanh(m @ k + model.b)
    d = 1.0 - h * h
    F = -k + h @ n
    J = -np.eye(len(k)) + (n * d[:, None]).T @ m
    w = -2.0 * h * d * (n @ F)
    return J.T @ F, J.T @ J + (m * w[:, None]).T @ m


def _flow_jacobian(model: LowRankRNN, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F (n, R) and J = -I + n^T diag(1 - h^2) m (n, R, R) at each point."""
    h = np.tanh(points @ model.m.T + model.b)
    F = -points + h @ model.right
    J = np.einsum("ir,pi,is->prs", model.right, 1.0 - h * h, model.m) - np.eye(model.R)
    return F, J


def _grid_minima(model: LowRankRNN, B: float, G: int) -> np.ndarray:
    from scipy.ndimage import minimum_filter

    axes = np.linspace(-B, B, G)
    mesh = np.stack(np.meshgrid(*([axes] * model.R), indexing="ij"), axis=-1)
    speed = np.empty(mesh.shape[:-1])
    flat = mesh.reshape(-1, model.R)
    for start in range(0, flat.shape[0], 4096):  # chunks keep the (chunk, N) tanh small
        chunk = flat[start:start + 4096]
        F = -chunk + np.tanh(chunk @ model.m.T + model.b) @ model.right
        speed.reshape(-1)[start:start + 4096] = np.linalg.norm(F, axis=-1)
    is_min = speed == minimum_filter(speed, size=3, mode="nearest")
    interior = tuple(slice(1, -1) for _ in range(model.R))
    inner = np.zeros_like(is_min)
    inner[interior] = is_min[interior]
    return mesh[inner]


def _unique(found: list[tuple[np.ndarray, float]]) -> list[tuple[np.ndarray, float]]:
    kept: list[tuple[np.ndarray, float]] = []
    for k, q in sorted(found, key=lambda item: item[1]):
        if all(np.linalg.norm(k - other) > 1e-6 * (1 + np.linalg.norm(k)) for other, _ in kept):
            kept.append((k, q))
    return kept
