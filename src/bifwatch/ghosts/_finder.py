"""Fixed points and slow points (ghosts) of PyTorch recurrent models by minimising the speed q.

A modern FixedPointFinder (Golub & Sussillo 2018; Sussillo & Barak 2013): all starts in one
batch on the model's device, per-start stopping, Newton refinement to rounding level, an explicit
test that a slow point is a local minimum of q, and no side effects on the user's model or on
torch's global state. torch is imported inside functions only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import as_float_array, check_int, check_positive_float, to_numpy
from ._finder_classify import jacobians, message, refine, select
from ._finder_models import model_device, state_size, step_function
from ._finder_refine import adam_descent
from ._finder_refine import speed as _speed
from ._slow_points import TIMES, SlowPoints

#: Defaults of the precision-dependent tolerances: (q_fixed, tol_grad, tol_unique) per dtype.
PRECISION = {"float64": (1e-20, 1e-8, 1e-6), "float32": (1e-10, 1e-3, 1e-3)}


@dataclass(frozen=True, kw_only=True)
class SlowPointFinder:
    """Settings of :func:`find_slow_points`: the descent, the refinement and the classification.

    Parameters
    ----------
    max_iters : int, default 2000
        Adam iterations at most, per start.
    lr : float, default 0.1
        Adam's largest step size; each start's own step size halves when its q rises.
    tol_q : float, default 1e-12
        Adam stops a start once q < tol_q (refinement takes it the rest of the way).
    tol_dq : float, default 1e-3
        Adam stops a start whose lowest q fell by less than a fraction tol_dq over the last
        ``patience`` iterations (stalled: on a plateau, or creeping into a slow point).
    patience : int, default 50
        The window of that test.
    refine_iters : int, default 50
        Iterations of each refinement stage (Levenberg–Marquardt, then damped Newton).
    q_fixed : float, optional
        Points with q <= q_fixed are fixed points. Default 1e-20 (float64), 1e-10 (float32).
    tol_grad : float, optional
        A point with q > q_fixed is a slow point when it is a local minimum of q up to tol_grad:
        |grad q| <= tol_grad |H| (1 + |x|) (plus a rounding allowance) and lambda_min(H) >=
        -tol_grad |H|, with H the Hessian of q and |H| its largest |eigenvalue|. Default 1e-8
        (float64), 1e-3 (float32).
    tol_unique : float, optional
        Points closer than tol_unique * (1 + |x|) are one point (the lowest q is kept).
        Default 1e-6 (float64), 1e-3 (float32).
    exclude_outliers : float or None, default 10.0
        Drop points farther from the centroid of the starts than this many times the starts'
        mean distance from it, as FixedPointFinder does. Saturated gates (GRU z -> 1, LSTM f -> 1)
        make F(x) = x to rounding far out in state space: such points pass q <= q_fixed but are
        artefacts of floating point. None keeps all.
    device : str or torch.device, optional
        Where to compute; default the model's device (else that of ``initial_states``).
    dtype : {"float64", "float32"}, default "float64"
        Precision of the search; the model's weights are copied, never converted in place.

    Raises
    ------
    TypeError, ValueError
        A non-integer count, a non-positive tolerance, an unknown dtype.

    Examples
    --------
    >>> SlowPointFinder(max_iters=500).refine_iters
    50
    >>> SlowPointFinder(lr=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: `lr` must be a finite number > 0; got -1.0
    """

    max_iters: int = 2000
    lr: float = 0.1
    tol_q: float = 1e-12
    tol_dq: float = 1e-3
    patience: int = 50
    refine_iters: int = 50
    q_fixed: float | None = None
    tol_grad: float | None = None
    tol_unique: float | None = None
    exclude_outliers: float | None = 10.0
    device: object = None
    dtype: str = "float64"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "max_iters", check_int("max_iters", self.max_iters, minimum=1))
        set_(self, "refine_iters", check_int("refine_iters", self.refine_iters, minimum=1))
        set_(self, "patience", check_int("patience", self.patience, minimum=1))
        for name in ("lr", "tol_q", "tol_dq"):
            set_(self, name, check_positive_float(name, getattr(self, name)))
        for name in ("q_fixed", "tol_grad", "tol_unique", "exclude_outliers"):
            if getattr(self, name) is not None:
                set_(self, name, check_positive_float(name, getattr(self, name)))
        if self.tol_dq >= 1:
            raise ValueError(f"`tol_dq` must be a fraction in (0, 1); got {self.tol_dq}")
        if self.dtype not in PRECISION:
            raise ValueError(f"`dtype` must be one of {tuple(PRECISION)}; got {self.dtype!r}")
        device = self.device
        if device is not None and not isinstance(device, str) and type(device).__name__ != "device":
            raise TypeError(f"`device` must be None, a string like 'cuda' or a torch.device; got {device!r}")

    def tolerances(self) -> tuple[float, float, float]:
        """(q_fixed, tol_grad, tol_unique), with the dtype's defaults filled in."""
        defaults = PRECISION[self.dtype]
        given = (self.q_fixed, self.tol_grad, self.tol_unique)
        return tuple(d if g is None else g for g, d in zip(given, defaults, strict=True))


def find_slow_points(
    model, initial_states, *, input=None, time: str = "discrete", finder: SlowPointFinder | None = None
) -> SlowPoints:
    """Fixed points and slow points of a recurrent model, from many starts at once.

    Parameters
    ----------
    model : torch module or callable
        ``torch.nn.RNN`` (tanh or relu), ``nn.GRU``, ``nn.LSTM`` (one or more layers,
        unidirectional, ``batch_first`` either way), their ``Cell`` variants, an ``nn.Module``
        with a method ``step(x)``, or a plain callable; ``step``/the callable maps a batch (B, M)
        to (B, M), row by row.
    initial_states : array or tensor, shape (B, M)
        Starts, e.g. from :func:`sample_states`. For torch RNNs M = layers x hidden, the layers'
        hidden states side by side; for an LSTM the h's of all layers, then the c's.
    input : array, shape (input_size,), optional
        Constant input of a torch RNN (default zeros).
    time : {"discrete", "continuous"}, default "discrete"
        The model is a map F (q = 1/2 |F(x) - x|^2) or a vector field f (q = 1/2 |f(x)|^2);
        with ``"continuous"`` the ``step`` method or the callable is taken to return f(x).
    finder : SlowPointFinder, optional
        Settings (default ``SlowPointFinder()``).

    Returns
    -------
    SlowPoints
        Distinct fixed points (q <= q_fixed) then slow points (local minima of q above q_fixed),
        each with dF/dx (or df/dx) and its eigenvalues; ``message`` counts how the starts ended.

    Raises
    ------
    TypeError
        ``model`` has no one-step map (e.g. an ``nn.Module`` without ``step``); a bad ``finder``.
    ValueError
        ``initial_states`` of the wrong shape or not finite; a bad ``time`` or ``input``; a
        bidirectional RNN; a step that does not map (B, M) to (B, M) row by row; CUDA missing.

    Notes
    -----
    1. Adam minimises sum_b q(x_b) (the starts are independent), each start stopping on its own.
    2. Levenberg–Marquardt on r(x) = F(x) - x (or f(x)) takes fixed points to q ~ eps^2.
    3. Starts still above ``q_fixed`` go to damped Newton on grad q with the exact Hessian
       J^T J + sum_i r_i d2r_i/dx2; a slow point is kept when grad q vanishes (to ``tol_grad``)
       and the Hessian is positive semi-definite: a genuine local minimum of q, not a saddle.
    4. Points within ``tol_unique`` merge (lowest q kept); Jacobians come from ``torch.func``.

    At a slow point J_r^T r = 0 with r != 0, so J_r is singular: dF/dx has an eigenvalue 1 (map)
    and df/dx an eigenvalue 0 (flow), the slow direction of the ghost.

    The user's module is never modified: weights are copied (RNNs) or the module runs in eval
    mode and is restored; parameters keep ``requires_grad``; torch's defaults are untouched.
    So it can run on a live model at a training checkpoint. To follow points across checkpoints,
    seed the next search with the last points plus fresh samples and pair the results:
    ``after = find_slow_points(model, np.vstack([before.points, starts]))``, then
    ``before.match(after)`` (see :meth:`SlowPoints.match`).

    Performance notes: Adam costs one forward and backward pass of B states per iteration; each
    refinement iteration M reverse passes (Jacobian) or 2M (Hessian) and O(B M^3) linear algebra,
    with B M^2 numbers (times a small factor) in memory; chunks of rows keep B M^2 below 2^22.

    References
    ----------
    D. Sussillo, O. Barak, Neural Computation 25(3), 2013. M. D. Golub, D. Sussillo,
    "FixedPointFinder", JOSS 3(31):1003, 2018.

    Examples
    --------
    h' = tanh(2 h + 0.6) just past a saddle-node bifurcation: one stable fixed point, and a ghost
    where the annihilated pair was (a slow point with eigenvalue 1):

    >>> import numpy as np, torch
    >>> from bifwatch import find_slow_points
    >>> rnn = torch.nn.RNN(1, 1, dtype=torch.float64)
    >>> with torch.no_grad():
    ...     _ = rnn.weight_hh_l0.fill_(2.0), rnn.bias_hh_l0.fill_(0.6), rnn.bias_ih_l0.zero_()
    >>> found = find_slow_points(rnn, np.linspace(-1.5, 1.5, 16)[:, None])
    >>> found.kind.tolist(), np.round(found.points.ravel(), 4).tolist()
    (['fixed', 'slow'], [0.9885, -0.7407])
    >>> round(float(found.q[1]), 6), round(float(found.eigenvalues[1, 0].real), 6)
    (0.000564, 1.0)
    """
    import torch

    finder = _check_finder(finder)
    _check_time(time)
    device = _device(finder, model, initial_states)
    dtype = getattr(torch, finder.dtype)
    x0 = _initial_states(initial_states, state_size(model), device, dtype)
    with step_function(model, input=input, time=time, device=device, dtype=dtype) as step, torch.no_grad():
        _probe(step, x0)
        residual = _residual(step, time)
        x, q, status, iters = adam_descent(
            residual, x0, max_iters=finder.max_iters, lr=finder.lr, tol_q=finder.tol_q, tol_dq=finder.tol_dq,
            patience=finder.patience,
        )
        x, q, kind = refine(residual, x, q, finder)
        x, q, kind = (a.cpu().numpy() for a in (x, q, kind))
        keep, counts = select(x, q, kind, to_numpy("initial_states", x0), finder)
        J = jacobians(residual, torch.as_tensor(x[keep], device=device, dtype=dtype), time)
    text = message(status.cpu().numpy(), iters.cpu().numpy(), counts, finder)
    q_fixed = finder.tolerances()[0]
    return SlowPoints.build(x[keep], q=q[keep], jacobians=J, time=time, q_fixed=q_fixed, message=text)


def speed(model, states, *, input=None, time: str = "discrete"):
    """The speed q per state, differentiable in ``states``: 1/2 |F(x) - x|^2 or 1/2 |f(x)|^2.

    Parameters
    ----------
    model : torch module or callable
        As in :func:`find_slow_points`.
    states : torch.Tensor, shape (B, M)
        Evaluated in their own dtype and device; gradients flow back to them.
    input, time
        As in :func:`find_slow_points`.

    Returns
    -------
    torch.Tensor, shape (B,)

    Examples
    --------
    >>> import torch
    >>> from bifwatch import speed
    >>> speed(lambda x: 0.5 * x, torch.tensor([[2.0, 0.0]], dtype=torch.float64)).tolist()
    [0.5]
    """
    import torch

    _check_time(time)
    if not isinstance(states, torch.Tensor) or states.ndim != 2:
        raise ValueError(f"`states` must be a torch tensor of shape (B, M); got {_shape_of(states)}")
    M = state_size(model)
    if M is not None and states.shape[1] != M:
        raise ValueError(f"`states` must have shape (B, M) with M = {M}; got {tuple(states.shape)}")
    with step_function(model, input=input, time=time, device=states.device, dtype=states.dtype) as step:
        return _speed(_residual(step, time), states)


def _check_finder(finder) -> SlowPointFinder:
    if finder is None:
        return SlowPointFinder()
    if not isinstance(finder, SlowPointFinder):
        raise TypeError(f"`finder` must be a SlowPointFinder(...); got {type(finder).__name__}")
    return finder


def _check_time(time) -> None:
    if time not in TIMES:
        raise ValueError(f"`time` must be one of {TIMES}; got {time!r}")


def _device(finder, model, initial_states):
    import torch

    fallback = initial_states.device if isinstance(initial_states, torch.Tensor) else torch.device("cpu")
    if finder.device is None:
        return model_device(model, fallback)
    try:
        device = torch.device(finder.device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"`device` must name a torch device like 'cpu' or 'cuda'; got {finder.device!r}") \
            from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("`device` is 'cuda' but torch.cuda.is_available() is False; use device='cpu'")
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    if device.type == "cuda" and device.index >= torch.cuda.device_count():
        raise ValueError(f"`device` {finder.device!r}: only {torch.cuda.device_count()} CUDA devices exist")
    return device


def _initial_states(value, M: int | None, device, dtype):
    import torch

    array = as_float_array("initial_states", value, ("B", "M"))
    if M is not None and array.shape[1] != M:
        raise ValueError(
            f"`initial_states` must have shape (B, M) with M = {M} (the model's state size); "
            f"got {array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"`initial_states` must hold at least one state with M >= 1; got {array.shape}")
    return torch.as_tensor(array, device=device, dtype=dtype)


def _shape_of(value) -> str:
    shape = getattr(value, "shape", None)
    return f"shape {tuple(shape)}" if shape is not None else type(value).__name__


def _residual(step, time: str):
    return (lambda x: step(x) - x) if time == "discrete" else step


def _probe(step, x0) -> None:
    """The step must map (B, M) to (B, M), each row on its own (no coupling across the batch)."""
    import torch

    pair = x0[:2]
    out = step(pair)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != tuple(pair.shape):
        raise ValueError(
            f"the model's step must map a batch of shape {tuple(pair.shape)} to the same shape; "
            f"got {_shape_of(out)}"
        )
    if len(pair) == 2:
        tol = float(torch.finfo(x0.dtype).eps) ** 0.5
        alone = step(pair[:1])
        if not torch.allclose(alone, out[:1], rtol=tol, atol=tol, equal_nan=True):
            raise ValueError("the model's step must act on each row (state) of the batch independently")
