"""Minimising the speed q from many starts at once: Adam, then Levenberg–Marquardt and damped Newton.

Every function acts on a batch of states x of shape (B, M) whose rows are independent: the
residual r maps row b to row b, so gradients of sum_b q_b are the per-row gradients, and the
Jacobian of sum_b r_b (one reverse pass per output coordinate, vmapped by ``torch.func``) holds
the B per-row Jacobians side by side. torch is imported inside functions only.
"""

from __future__ import annotations

#: Adam stopping codes (0 while running).
RUNNING, CONVERGED, STALLED, MAX_ITERS, DIVERGED = range(5)


def speed(residual, x):
    """q = 1/2 |r(x)|^2 per row, shape (B,)."""
    r = residual(x)
    return 0.5 * (r * r).sum(-1)


def speed_and_grad(residual, x):
    """q (B,) and dq/dx (B, M), detached; works inside ``torch.no_grad``."""
    import torch

    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        q = speed(residual, x)
        (g,) = torch.autograd.grad(q.sum(), x, allow_unused=True)
    return q.detach(), (torch.zeros_like(x) if g is None else g).detach()


def residual_jacobian(residual, x):
    """r (B, M) and its per-row Jacobian dr/dx (B, M, M)."""
    import torch

    def summed(y):
        r = residual(y)
        return r.sum(0), r

    J, r = torch.func.jacrev(summed, has_aux=True)(x.detach())
    return r.detach(), J.transpose(0, 1).detach()


def speed_hessian(residual, x):
    """q (B,), dq/dx (B, M) and the full Hessian d2q/dx2 (B, M, M) = J^T J + sum_i r_i d2r_i/dx2."""
    import torch

    def q_sum(y):
        q = speed(residual, y)
        return q.sum(), q

    def grad_rows(y):
        g, q = torch.func.grad(q_sum, has_aux=True)(y)
        return g.sum(0), (g, q)

    H, (g, q) = torch.func.jacrev(grad_rows, has_aux=True)(x.detach())
    H = H.transpose(0, 1)
    return q.detach(), g.detach(), (0.5 * (H + H.mT)).detach()


def adam_descent(residual, x0, *, max_iters: int, lr: float, tol_q: float, tol_dq: float, patience: int):
    """Adam on sum_b q_b with a per-start step size and per-start stopping.

    A start stops when q < tol_q (CONVERGED); when its lowest q fell by less than a fraction
    tol_dq over the last ``patience`` iterations (STALLED: on a plateau, or creeping into a slow
    point); when q or its gradient is not finite (DIVERGED); or after max_iters (MAX_ITERS).
    Its step size halves whenever its q rose and grows by 5 % (up to ``lr``) otherwise. Stopped
    starts leave the batch. Returns x (B, M), q (B,), status (B,) and the iterations run (B,).
    """
    import torch

    x = x0.detach().clone()
    B = x.shape[0]
    q = torch.full((B,), float("inf"), dtype=x.dtype, device=x.device)
    status = torch.full((B,), MAX_ITERS, dtype=torch.long, device=x.device)
    iters = torch.full((B,), max_iters, dtype=torch.long, device=x.device)
    run = {  # the running starts only
        "idx": torch.arange(B, device=x.device), "x": x.clone(), "q": q.clone(), "best": q.clone(),
        "ref": q.clone(), "m": torch.zeros_like(x), "v": torch.zeros_like(x), "rate": torch.full_like(q, lr),
    }
    for t in range(1, max_iters + 1):
        q_new, g = speed_and_grad(residual, run["x"])
        run["rate"] = torch.where(q_new > run["q"], 0.5 * run["rate"], (1.05 * run["rate"]).clamp(max=lr))
        run["q"], run["best"] = q_new, torch.minimum(run["best"], q_new)
        code = _stop_code(run, g, tol_q, tol_dq if t % patience == 0 else None)
        if t % patience == 0:
            run["ref"] = run["best"].clone()
        stop = code != RUNNING
        if bool(stop.any()):
            out = run["idx"][stop]
            x[out], q[out], status[out], iters[out] = run["x"][stop], run["q"][stop], code[stop], t
            run, g = {k: v[~stop] for k, v in run.items()}, g[~stop]
            if run["idx"].numel() == 0:
                break
        _adam_step(run, g, t)
    if run["idx"].numel():  # still running at max_iters
        x[run["idx"]], q[run["idx"]] = run["x"], speed(residual, run["x"]).detach()
    return x, q, status, iters


def _stop_code(run, g, tol_q: float, tol_dq: float | None):
    import torch

    q = run["q"]
    code = torch.full_like(q, RUNNING, dtype=torch.long)
    if tol_dq is not None:  # a window of `patience` iterations has passed
        code[run["best"] > (1 - tol_dq) * run["ref"]] = STALLED
    code[q < tol_q] = CONVERGED
    code[~(torch.isfinite(q) & torch.isfinite(g).all(-1))] = DIVERGED
    return code


def _adam_step(run, g, t: int) -> None:
    run["m"].mul_(0.9).add_(g, alpha=0.1)
    run["v"].mul_(0.999).addcmul_(g, g, value=0.001)
    step = (run["m"] / (1 - 0.9**t)) / ((run["v"] / (1 - 0.999**t)).sqrt() + 1e-12)
    run["x"] = run["x"] - run["rate"][:, None] * step


def levenberg_marquardt(residual, x, *, iters: int):
    """Gauss–Newton on r(x) = 0 with Levenberg damping, per row: quadratic convergence to fixed points.

    Step: (J^T J + mu I) delta = -J^T r; accepted when q falls (then mu /= 10), else mu *= 4.
    A row stops when its step or its residual is below 4 eps (1 + |x|). Returns x (B, M) and q (B,).
    """
    import torch

    eps = torch.finfo(x.dtype).eps
    x = x.detach().clone()
    r, J = residual_jacobian(residual, x)
    q = 0.5 * (r * r).sum(-1)
    scale = (J * J).sum(1).amax(-1).clamp_min(eps)  # the largest diagonal entry of J^T J
    floor, mu = eps * scale, 1e-6 * scale
    done = ~torch.isfinite(q)
    eye = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    for _ in range(iters):
        idx = (~done).nonzero().squeeze(1)
        if idx.numel() == 0:
            break
        Ji, ri = J[idx], r[idx]
        delta, info = torch.linalg.solve_ex(Ji.mT @ Ji + mu[idx, None, None] * eye, -(Ji.mT @ ri[..., None]))
        delta = delta[..., 0]
        trial = x[idx] + delta
        q_trial = speed(residual, trial).detach()
        accept = (info == 0) & torch.isfinite(q_trial) & (q_trial < q[idx])
        size = 4 * eps * (1 + x[idx].norm(dim=-1))
        done[idx] = (delta.norm(dim=-1) <= size) | (ri.norm(dim=-1) <= size)
        mu[idx] = torch.where(accept, torch.maximum(mu[idx] / 10, floor[idx]), 4 * mu[idx])
        done[idx] |= ~torch.isfinite(mu[idx])
        ok = idx[accept]
        if ok.numel():
            x[ok] = trial[accept]
            r[ok], J[ok] = residual_jacobian(residual, x[ok])
            q[ok] = 0.5 * (r[ok] * r[ok]).sum(-1)
    return x, q


def damped_newton(residual, x, *, iters: int):
    """Newton on grad q = 0 with the full Hessian H, shifted to be positive definite, per row.

    Step: (H + s I) delta = -grad q with s = mu + 2 max(0, -lambda_min(H)); accepted when q falls,
    or stays within rounding while |grad q| falls (then mu /= 3), else mu *= 4. Quadratic
    convergence to non-degenerate local minima of q; never towards maxima or saddles of q.
    Returns x (B, M), q (B,), grad q (B, M), H (B, M, M) and the eigenvalues of H (B, M).
    """
    import torch

    eps = torch.finfo(x.dtype).eps
    x = x.detach().clone()
    q, g, H, lam = _curvature(residual, x)
    floor = 16 * eps * lam.abs().amax(-1).nan_to_num(1.0).clamp_min(eps)
    mu = floor.clone()
    done = ~torch.isfinite(q) | lam.isnan().any(-1)
    eye = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    for _ in range(iters):
        idx = (~done).nonzero().squeeze(1)
        if idx.numel() == 0:
            break
        shift = mu[idx] + 2 * (-lam[idx, 0]).clamp_min(0)
        delta, info = torch.linalg.solve_ex(H[idx] + shift[:, None, None] * eye, -g[idx, :, None])
        delta = delta[..., 0]
        trial = x[idx] + delta
        q_t, g_t = speed_and_grad(residual, trial)
        level = (q_t < q[idx]) | ((q_t <= q[idx] * (1 + 8 * eps)) & (g_t.norm(dim=-1) < g[idx].norm(dim=-1)))
        accept = (info == 0) & torch.isfinite(q_t) & level
        done[idx] = (delta.norm(dim=-1) <= 4 * eps * (1 + x[idx].norm(dim=-1))) | (g[idx] == 0).all(-1)
        mu[idx] = torch.where(accept, torch.maximum(mu[idx] / 3, floor[idx]), 4 * mu[idx])
        done[idx] |= ~torch.isfinite(mu[idx])
        ok = idx[accept]
        if ok.numel():
            x[ok] = trial[accept]
            q[ok], g[ok], H[ok], lam[ok] = _curvature(residual, x[ok])
            done[ok] |= lam[ok].isnan().any(-1)
    return x, q, g, H, lam


def _curvature(residual, x):
    """q, grad q, the Hessian H and its eigenvalues (ascending; NaN where H is not finite)."""
    import torch

    q, g, H = speed_hessian(residual, x)
    bad = ~torch.isfinite(H).all(-1).all(-1)
    lam = torch.linalg.eigvalsh(torch.where(bad[:, None, None], 0.0, H))
    lam[bad] = float("nan")
    return q, g, H, lam
