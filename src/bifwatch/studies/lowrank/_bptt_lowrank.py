"""Exact BPTT in numpy for rank-R (or full-rank) DA networks with either readout, batched over S."""

from __future__ import annotations

import numpy as np

from ._bptt import DAGradient
from ._task import DEFAULT_TASK, DATask


def lowrank_gradient(
    arrays: dict, *, task: DATask = DEFAULT_TASK, alpha: float = 0.5, x0: float = -0.3
) -> DAGradient:
    """Loss and exact gradient of S networks of any rank and readout by hand-written BPTT.

    Parameters
    ----------
    arrays : dict
        Stacked parameters as from ``stack_models``: m (S, N, R), n (S, N, R) (absent for a
        full-rank network, whose m is W (S, N, N)), b (S, N), confidence (S,), and w_out (S, N),
        b_out (S,) for the trained readout.
    task : DATask, default DATask()
    alpha, x0 : float

    Returns
    -------
    DAGradient
        ``grads`` has the keys of the trained arrays, in the stacked layout.

    Notes
    -----
    With u_t = m kappa_t + b, kappa_t = n^T x_t, D_t = 1 - tanh(u_t)^2 and delta_t = dL/dx_t:

        g_u,t = alpha delta_{t+1} * D_t,       g_kappa,t = m^T g_u,t,
        delta_t = (1 - alpha) delta_{t+1} + n g_kappa,t + dL/do_t do_t/dx_t,
        dL/db = sum_t g_u,t,   dL/dm = sum_t g_u,t kappa_t^T,   dL/dn = sum_t x_t g_kappa,t^T,

    plus the readout's direct terms. The reference is torch autograd (see the tests).

    Examples
    --------
    >>> from bifwatch.studies.lowrank import init_lowrank
    >>> from bifwatch.studies.lowrank._lowrank_torch import stack_models
    >>> out = lowrank_gradient(stack_models([init_lowrank(30, 3, seed=0, readout="trained")]))
    >>> out.grads["n"].shape, sorted(out.grads)
    ((1, 30, 3), ['b', 'b_out', 'm', 'n', 'w_out'])
    """
    from scipy.special import expit

    full, trained = "n" not in arrays, "w_out" in arrays
    m, b = arrays["m"], arrays["b"]
    n = None if full else arrays["n"]
    x, kappa, h = _forward(m, n, b, alpha, x0, task.steps)
    if trained:
        z = np.einsum("tsn,sn->ts", x[1:], arrays["w_out"]) + arrays["b_out"]
        slope, readout = 1.0, arrays["w_out"]
    else:
        c = arrays["confidence"]
        z, slope = c * (kappa[1:, :, 0] - 1.0), c
        readout = np.broadcast_to(np.eye(b.shape[1])[0], b.shape) if full else n[:, :, 0]  # dkappa_1/dx
    o = expit(z)
    err = o - task.targets[:, None]
    e = 2.0 * err * slope * o * (1.0 - o) / task.delay  # dL/dz_t, shape (2T, S)
    g_u, g_kappa = _backward(m, n, h, e, readout, alpha)
    grads = {"b": g_u.sum(axis=0)}
    if full:
        grads["m"] = np.matmul(g_u.transpose(1, 2, 0), x[:-1].transpose(1, 0, 2))
    else:
        grads["m"] = np.matmul(g_u.transpose(1, 2, 0), kappa[:-1].transpose(1, 0, 2))
        grads["n"] = np.matmul(x[:-1].transpose(1, 2, 0), g_kappa.transpose(1, 0, 2))
        if not trained:
            grads["n"][:, :, 0] += np.einsum("ts,tsn->sn", e, x[1:])
    if trained:
        grads["w_out"] = np.einsum("ts,tsn->sn", e, x[1:])
        grads["b_out"] = e.sum(axis=0)
    return DAGradient(loss=np.sum(err * err, axis=0) / task.delay, outputs=o.T.copy(), grads=grads)


def _forward(m, n, b, alpha, x0, steps):
    S, N = b.shape
    R = m.shape[2]
    x = np.empty((steps + 1, S, N))
    kappa = np.empty((steps + 1, S, R))
    h = np.empty((steps, S, N))
    x[0] = x0
    for t in range(steps + 1):
        kappa[t] = x[t] if n is None else np.matmul(x[t][:, None, :], n)[:, 0, :]
        if t == steps:
            break
        np.tanh(np.matmul(m, kappa[t][:, :, None])[:, :, 0] + b, out=h[t])
        x[t + 1] = (1 - alpha) * x[t] + alpha * h[t]
    return x, kappa, h


def _backward(m, n, h, e, readout, alpha):
    """g_u (2T, S, N) and g_kappa (2T, S, R) of every transition t -> t+1."""
    steps = h.shape[0]
    D = 1.0 - h * h
    g_u = np.empty_like(h)
    g_kappa = np.empty((steps, h.shape[1], m.shape[2]))
    delta = e[steps - 1][:, None] * readout
    for t in range(steps - 1, -1, -1):
        g_u[t] = alpha * delta * D[t]
        g_kappa[t] = np.matmul(g_u[t][:, None, :], m)[:, 0, :]
        through = g_kappa[t] if n is None else np.matmul(n, g_kappa[t][:, :, None])[:, :, 0]
        delta = (1 - alpha) * delta + through
        if t > 0:
            delta += e[t - 1][:, None] * readout
    return g_u, g_kappa
