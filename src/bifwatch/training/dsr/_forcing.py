"""Teacher forcing in BPTT: none, sparse (STF), generalized (GTF) and adaptive GTF (aGTF).

training-and-dsr.md, sections 3 and 4. One loop for all schemes: the prediction at each step is
the model's *unforced* step from the previous (forced) state, and the loss takes every step.
"""

from __future__ import annotations

import math

import torch

from ...models.nn import DSRModel
from ._window import window

Tensor = torch.Tensor

#: Forcing schemes, as ``--forcing`` names them.
FORCINGS = ("none", "stf", "gtf", "agtf")
#: How ``unroll`` runs a window: one autograd Function with a hand-written backward, or the loop.
ENGINES = ("window", "autograd")
#: Estimators of the Jacobian norm for aGTF (note section 4.3).
ALPHA_METHODS = ("product_upper_bound", "batch_maximum", "arithmetic_mean", "jacobian_upper_bound")


def unroll(model: DSRModel, inputs: Tensor, *, forcing: str, alpha: float = 0.0, tau: int = 1,
           engine: str = "window") -> Tensor:
    """Unforced one-step predictions along windows, the forced states fed back.

    Parameters
    ----------
    model : DSRModel
    inputs : tensor, shape (S, T, N)
        x_1 .. x_T of each window; the predictions are of x_2 .. x_{T+1}.
    forcing : {"none", "stf", "gtf", "agtf"}
        ``agtf`` forces as ``gtf`` with the current ``alpha``.
    alpha : float
        GTF: z~_t = z_t + alpha * m * (zhat_t - z_t), m the forced units of the observation
        (the first N for the identity observation, all M for the affine one).
    tau : int
        STF: the forced units of z_t are replaced by those of zhat_t where (t - 1) mod tau = 0
        (t counted from 1 at the window start, which is always fully forced).
    engine : {"window", "autograd"}, default "window"
        ``window``: the whole window as one autograd Function (``_window.window``) that runs the
        model's ``step`` without a graph and back-propagates by hand, the parameter gradients as a
        few large matmuls (about 1.2x of ``torch.nn.RNN`` per optimiser step, against about 2x);
        ``autograd``: the loop below, recorded step by step (the reference). Predictions are the
        same bits; gradients agree to rounding.

    Returns
    -------
    tensor, shape (S, T, N)
        g(z_2) .. g(z_{T+1}), each z_t = F(z~_{t-1}) taken before forcing.

    Notes
    -----
    z~_1 = z_1 = initial_state(x_1). Under GTF every factor of a BPTT product is
    (1 - alpha m) J, so gradients stay bounded when (1 - alpha) sup ||J|| <= 1.
    """
    if engine == "window":
        return _unroll_window(model, inputs, forcing=forcing, alpha=alpha, tau=tau)
    if engine != "autograd":
        raise ValueError(f"`engine` must be one of {ENGINES}; got {engine!r}")
    obs, latent = model.observation, model.latent
    T = inputs.shape[1]
    zhat = obs.forcing_signal(inputs).unbind(1)  # zhat_1 .. zhat_T, each (S, M): no indexing per step
    weight, replaced = alpha * obs.forced, obs.forced > 0
    z = obs.initial_state(inputs[:, 0])
    predictions = []
    for t in range(T):
        z = latent.step(z)
        predictions.append(z)
        if t + 1 == T:
            break
        # lerp and where are exact at the ends: weight 1 gives zhat, weight 0 leaves z
        if forcing in ("gtf", "agtf") and alpha > 0:
            z = torch.lerp(z, zhat[t + 1], weight)
        elif forcing == "stf" and (t + 1) % tau == 0:
            z = torch.where(replaced, zhat[t + 1], z)
    return obs.decode(torch.stack(predictions, dim=1))


def _unroll_window(model: DSRModel, inputs: Tensor, *, forcing: str, alpha: float, tau: int) -> Tensor:
    """``unroll`` through the window Function: the per-step forcing weights w_t, then one call."""
    obs = model.observation
    T = inputs.shape[1]
    if forcing in ("gtf", "agtf") and alpha > 0:
        weights = [alpha * obs.forced] * T  # (1 - w) and lerp are exact at the ends, as in the loop
    elif forcing == "stf":
        weights = [obs.forced if t % tau == 0 else None for t in range(T)]
    else:
        weights = [None] * T
    weights[0] = None  # z~_1 = z_1 = initial_state(x_1)
    z1 = obs.initial_state(inputs[:, 0])
    return obs.decode(window(model.latent, z1, obs.forcing_signal(inputs), weights))


def jacobian_norm_estimate(model: DSRModel, inputs: Tensor, method: str) -> float:
    """The Jacobian-norm estimate N of aGTF from the forcing signals zhat of a batch (no gradient).

    - ``product_upper_bound``: per window the geometric mean over t of ||J(zhat_t)||_2, then the
      maximum over the batch (the reference default);
    - ``batch_maximum``: the maximum over all ||J(zhat_t)||_2;
    - ``arithmetic_mean``: per window ||mean_t J(zhat_t)||_2, maximum over the batch;
    - ``jacobian_upper_bound``: the parameter bound of the latent model.
    """
    with torch.no_grad():
        latent = model.latent
        if method == "jacobian_upper_bound":
            return float(latent.jacobian_bound())
        J = latent.jacobian(model.observation.forcing_signal(inputs))  # (S, T, M, M)
        if method == "arithmetic_mean":
            return float(torch.linalg.matrix_norm(J.mean(dim=1), 2).max())
        norms = torch.linalg.matrix_norm(J, 2)  # (S, T)
        if method == "batch_maximum":
            return float(norms.max())
        return float(torch.log(norms.clamp_min(1e-300)).mean(dim=1).exp().max())


def optimal_alpha(norm: float) -> float:
    """alpha* = max(0, 1 - 1/N): the least forcing with (1 - alpha) N <= 1."""
    if not math.isfinite(norm):
        return 1.0
    return max(0.0, 1.0 - 1.0 / norm) if norm > 0 else 0.0


def update_alpha(alpha: float, estimate: float, decay: float) -> float:
    """aGTF's update: jump up to a larger estimate at once, relax toward a smaller one slowly."""
    if estimate > alpha:
        return estimate
    return decay * alpha + (1.0 - decay) * estimate
