"""PE(n): the n-step prediction error of a model started from each observation of a series."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..models import AbstractPLRNN, IdentityObservation
from ._series import true_series

#: Floats per intermediate array of one batched step: a chunk of starts holds at most this many
#: (chunk * max(M, n_bits)), so memory stays bounded (8 MiB) for any T and hidden width L.
CHUNK_FLOATS = 2**20


def prediction_error(model: AbstractPLRNN, x, n: int = 20, *, observation=None) -> float:
    """PE(n): the mean squared error of the model's n-step predictions of a series.

    Parameters
    ----------
    model : AbstractPLRNN
        The latent map F, shape (..., M) -> (..., M).
    x : array, shape (T, N) or (T,)
        The observed series (finite), with T > n.
    n : int, default 20
        The prediction horizon; only the error at step n counts.
    observation : IdentityObservation or AffineObservation, optional
        How observations map to latent states (``initial_state``) and back (``decode``). By
        default ``IdentityObservation.zeros(N, M)``: the first N units are the data and the
        others start at 0.

    Returns
    -------
    float
        >= 0; 0 when every prediction is exact. ``inf`` when a prediction overflows (leaves
        the finite range): never NaN.

    Raises
    ------
    ValueError, TypeError
        Not a model; ``x`` not finite or not (T, N); T <= n; ``n`` < 1; an observation whose
        N or M does not fit the data or the model (N > M for the default one).

    Notes
    -----
    With g the decoding and z_t = ``observation.initial_state(x_t)``,

        PE(n) = 1 / ((T - n) N) sum_{t=0}^{T-n-1} |g(F^n(z_t)) - x_{t+n}|^2,

    as in the GTF code (Hess et al., ICML 2023; ../shared/notes/training-and-dsr.md, 8.5).
    All T - n starts run at once through the batched ``model.step``, in chunks of at most
    ``CHUNK_FLOATS`` floats per intermediate array.

    Examples
    --------
    >>> from bifwatch import PLRNN
    >>> model = PLRNN(A=[0.5], W=[[0.0]], h=[1.0])       # z' = z / 2 + 1
    >>> x = model.trajectory([0.0], 30)                  # its own orbit: exact predictions
    >>> prediction_error(model, x, n=5)
    0.0
    >>> prediction_error(model, x + 1.0, n=1)            # 0.5 (x + 1) + 1 - (x' + 1) = -0.5
    0.25
    """
    model = check_model(model)
    n = check_int("n", n, minimum=1)
    x = true_series("x", x, min_steps=1)
    T, N = x.shape
    if T <= n:
        raise ValueError(f"`x` must have more time steps than `n` = {n} (T > n) to predict n steps ahead; "
                         f"got T = {T}: lower `n` or pass a longer series")
    observation = resolve_observation(model, N, observation)
    chunk = max(1, CHUNK_FLOATS // max(model.M, model.n_bits, N))
    total = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing prediction is inf, below
        for start in range(0, T - n, chunk):
            stop = min(start + chunk, T - n)
            z = observation.initial_state(x[start:stop])
            for _ in range(n):
                z = model.step(z)
            predicted = observation.decode(z)
            if not np.all(np.isfinite(predicted)):
                return float("inf")
            total += float(np.sum((predicted - x[start + n:stop + n]) ** 2))
    return total / ((T - n) * N)


def check_model(model) -> AbstractPLRNN:
    if not isinstance(model, AbstractPLRNN):
        raise TypeError(f"`model` must be a bifwatch model (e.g. PLRNN); got {type(model).__name__}")
    return model


def resolve_observation(model: AbstractPLRNN, N: int, observation):
    """The observation model for N-dimensional data and ``model``: checked, or the default one."""
    if observation is None:
        if N > model.M:
            raise ValueError(
                f"the data have N = {N} dimensions but the model has M = {model.M} latent units; the default "
                "observation reads the first N units, so it needs N <= M: pass an `observation` "
                f"(e.g. AffineObservation(B) with B of shape ({N}, {model.M}))")
        return IdentityObservation.zeros(N, model.M)
    if not all(hasattr(observation, name) for name in ("N", "M", "initial_state", "decode")):
        raise TypeError("`observation` must be an observation model (IdentityObservation or "
                        f"AffineObservation); got {type(observation).__name__}")
    if observation.M != model.M:
        raise ValueError(f"`observation` has M = {observation.M} latent units but the model has "
                         f"M = {model.M}; pass the observation trained with this model")
    if observation.N != N:
        raise ValueError(f"`observation` reads N = {observation.N} dimensions but the data have N = {N}; "
                         "pass data of the dimension the observation was trained on")
    return observation
