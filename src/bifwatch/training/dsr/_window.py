"""A whole BPTT window as one autograd Function: forward without a graph, backward by hand.

The forward is the latent model's own ``step`` (no copy of the equations); the backward runs the
adjoints back through the window with the model's ``pullback`` and forms every parameter gradient
as a few matmuls over all (step, window) rows at once (the model's ``parameter_grads``).
"""

from __future__ import annotations

import torch

from ...models.nn import LatentModel

Tensor = torch.Tensor


class _Window(torch.autograd.Function):
    """Predictions z_2 .. z_{T+1} of a window: z_{t+1} = F(z~_t), z~_t = lerp(z_t, zhat_t, w_t).

    Forward arguments: ``latent`` (the module), ``weights`` (a list of T entries, w_t of shape (M,) or
    None where step t is not forced; entry 0 is unused, z~_1 = z_1), ``z1`` (S, M), ``zhat``
    (S, T, M), then the latent parameters in the order of ``latent.names``.
    """

    @staticmethod
    def forward(ctx, latent: LatentModel, weights: list, z1: Tensor, zhat: Tensor, *params: Tensor):
        signals = zhat.unbind(1)
        fed, outs, z = [], [], z1
        for t, w in enumerate(weights):
            if t > 0 and w is not None:
                z = torch.lerp(z, signals[t], w)  # exact at w = 0 and 1: STF's replacement
            fed.append(z)
            z = latent.step(z)
            outs.append(z)
        Z = torch.stack(fed)  # (T, S, M): the states fed to F
        if any(ctx.needs_input_grad):
            # r and the slopes at the fed states, now, while the module holds the called parameters
            slope, bias_slope = latent.slopes(Z)
            ctx.latent, ctx.weights = latent, weights
            ctx.save_for_backward(Z, latent.layer(Z), slope,
                                  slope if bias_slope is None else bias_slope, *params)
            ctx.has_bias_slope = bias_slope is not None
        return torch.stack(outs, dim=1)

    @staticmethod
    def backward(ctx, grad: Tensor):
        Z, R, slope, bias_slope, *params = ctx.saved_tensors
        latent, weights = ctx.latent, ctx.weights
        named = dict(zip(latent.names, params, strict=True))
        T = Z.shape[0]
        g = grad.unbind(1)
        adjoints, grad_zhat = [None] * T, [torch.zeros_like(g[0])] * T
        back = None  # adjoint of z~_{t+1}, the state fed at step t + 1
        for t in range(T - 1, -1, -1):
            w = weights[t + 1] if t + 1 < T else None
            if back is None:
                e = g[t]
            elif w is None:
                e = g[t] + back
            else:
                e = torch.addcmul(g[t], 1 - w, back)
                grad_zhat[t + 1] = w * back
            adjoints[t] = e
            back = latent.pullback(named, e, slope[t])
        E = torch.stack(adjoints)
        flat = lambda x: x.reshape(-1, x.shape[-1])  # noqa: E731
        grads = latent.parameter_grads(named, flat(Z), flat(E), flat(R), flat(slope),
                                       flat(bias_slope) if ctx.has_bias_slope else None)
        dzhat = torch.stack(grad_zhat, dim=1) if ctx.needs_input_grad[3] else None
        return None, None, back, dzhat, *grads


def window(latent: LatentModel, z1: Tensor, zhat: Tensor, weights: list) -> Tensor:
    """The unforced predictions z_2 .. z_{T+1} of each window, the forced states fed back.

    Parameters
    ----------
    latent : LatentModel
    z1 : tensor, shape (S, M)
        z~_1 = z_1 (it carries gradient, e.g. into the observation's Lambda or B).
    zhat : tensor, shape (S, T, M)
        The forcing signals zhat_1 .. zhat_T.
    weights : list of T entries
        w_t, shape (M,), the forcing weight of step t (0-based), or None for no forcing there:
        GTF alpha m at every t >= 1, STF m at the forced steps; entry 0 is unused.

    Returns
    -------
    tensor, shape (S, T, M)
        z_{t+1} = F(z~_t), z~_t = lerp(z_t, zhat_t, w_t) = z_t + w_t (zhat_t - z_t).

    Notes
    -----
    Backward: with g_t = dL/dz_{t+1} and a_t = dL/dz~_t, from t = T back to 1,
    e_t = g_t + (1 - w_{t+1}) a_{t+1} (just g_T at the end), a_t = J(z~_t)^T e_t, dL/dzhat_t = w_t a_t,
    dL/dz_1 = a_1; then the parameter gradients of sum_t <e_t, F(z~_t)> over all (t, window) rows at
    once. Predictions equal the autograd loop's bit for bit (the same ``step`` calls); gradients to
    rounding (the sums are grouped differently).

    Performance notes
    -----------------
    One small graph-free step per t forward, one pullback (two matmuls) per t backward, and the
    gradients as a handful of (T S, M) x (T S, L) matmuls: about 1.2x a ``torch.nn.RNN`` step on the
    benchmark sizes, against about 2x for autograd through the loop. Memory: Z, r(Z) and the slopes,
    O(T S L).
    """
    params = [getattr(latent, name) for name in latent.names]
    return _Window.apply(latent, weights, z1, zhat, *params)
