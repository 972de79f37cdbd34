"""After the descent: refine every start, classify it (fixed, slow, neither), drop duplicates.

torch is imported inside functions only.
"""

from __future__ import annotations

import numpy as np

from ._finder_refine import (
    CONVERGED,
    DIVERGED,
    MAX_ITERS,
    STALLED,
    damped_newton,
    levenberg_marquardt,
    residual_jacobian,
)


def refine(residual, x, q, finder):
    """Levenberg–Marquardt for every start, then damped Newton for those still above q_fixed.

    Returns x, q and kind (B,): 0 fixed point, 1 slow point, 2 neither (not at a local minimum
    of q), 3 diverged. Rows go in chunks of about 2^22 / M^2 so that B M^2 stays bounded.
    """
    import torch

    q_fixed, tol_grad, _ = finder.tolerances()
    kind = torch.where(torch.isfinite(q), 2, 3)
    chunk = max(1, 2**22 // (x.shape[1] ** 2))
    for rows in torch.arange(len(x), device=x.device).split(chunk):
        rows = rows[kind[rows] != 3]
        if rows.numel() == 0:
            continue
        x[rows], q[rows] = levenberg_marquardt(residual, x[rows], iters=finder.refine_iters)
        above = rows[q[rows] > q_fixed]
        if above.numel():
            x[above], q[above], g, _, lam = damped_newton(residual, x[above], iters=finder.refine_iters)
            kind[above[is_minimum(residual, x[above], q[above], g, lam, tol_grad)]] = 1
        kind[rows[q[rows] <= q_fixed]] = 0
    kind[~torch.isfinite(q)] = 3
    return x, q, kind


def is_minimum(residual, x, q, g, lam, tol_grad: float):
    """Stationary, |grad q| <= tol_grad |H| (1 + |x|) plus rounding, and H = Hessian of q positive
    semi-definite, lambda_min(H) >= -tol_grad |H|: a local minimum of q up to the tolerance."""
    import torch

    eps = float(torch.finfo(x.dtype).eps)
    r, J = residual_jacobian(residual, x)
    size = 1 + x.norm(dim=-1)
    norm_H = lam.abs().amax(-1)
    rounding = 64 * eps * J.flatten(1).norm(dim=-1) * (size + r.norm(dim=-1))
    stationary = g.norm(dim=-1) <= tol_grad * norm_H * size + rounding
    psd = lam[:, 0] >= -tol_grad * norm_H
    return stationary & psd & (q > 0)


def select(x, q, kind, x0, finder):
    """Indices of the distinct fixed and slow points (lowest q first), and counts of what was dropped."""
    counts = {"fixed": int(np.sum(kind == 0)), "slow": int(np.sum(kind == 1)),
              "not a minimum": int(np.sum(kind == 2)), "diverged": int(np.sum(kind == 3)), "outliers": 0}
    candidates = np.flatnonzero(kind <= 1)
    centre = x0.mean(axis=0)
    scale = np.linalg.norm(x0 - centre, axis=1).mean()
    if finder.exclude_outliers is not None and scale > 0:  # needs two distinct starts
        far = np.linalg.norm(x[candidates] - centre, axis=1) > finder.exclude_outliers * scale
        counts["outliers"] = int(far.sum())
        candidates = candidates[~far]
    keep = unique(x, q, candidates, finder.tolerances()[2])
    counts["distinct"] = len(keep)
    return keep, counts


def unique(x, q, candidates, tol: float) -> np.ndarray:
    """Greedy de-duplication in order of q: a point within tol (1 + |x|) of a kept one is dropped."""
    kept: list[int] = []
    norms = np.linalg.norm(x, axis=1)
    for i in candidates[np.argsort(q[candidates], kind="stable")]:
        if kept:
            d = np.linalg.norm(x[kept] - x[i], axis=1)
            if np.any(d <= tol * (1 + np.maximum(norms[kept], norms[i]))):
                continue
        kept.append(int(i))
    return np.array(kept, dtype=int)


def jacobians(residual, x, time: str) -> np.ndarray:
    import torch

    if len(x) == 0:
        return np.zeros((0, x.shape[1], x.shape[1]))
    _, J = residual_jacobian(residual, x)
    if time == "discrete":
        J = J + torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    return J.cpu().numpy()


def message(status, iters, counts, finder) -> str:
    n = len(status)
    adam = (
        f"{n} starts; Adam: {np.sum(status == CONVERGED)} reached q < tol_q={finder.tol_q:g}, "
        f"{np.sum(status == STALLED)} stalled (q fell < tol_dq={finder.tol_dq:g} in {finder.patience}), "
        f"{np.sum(status == MAX_ITERS)} stopped at max_iters={finder.max_iters}, "
        f"{np.sum(status == DIVERGED)} diverged; median {int(np.median(iters))} iterations"
    )
    refined = (
        f"after refinement: {counts['fixed']} at fixed points, {counts['slow']} at slow points; dropped "
        f"{counts['not a minimum']} not at a local minimum of q, {counts['diverged']} diverged, "
        f"{counts['outliers']} outliers; {counts['distinct']} distinct points"
    )
    return f"{adam}; {refined}"
