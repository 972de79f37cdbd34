"""2-D PLRNN students trained toward the cycle teacher: the GTF loss, its exact gradient, plain GD.

A student is the 6-vector θ = (a1, a2, w12, w21, h1, h2) of the 2-D PLRNN
z' = diag(a) z + W relu(z) + h with W = [[0, w12], [w21, 0]], the teacher's own structure.
Everything is batched over B students in numpy: one step of the map for all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._validation import check_int, check_positive_float
from ...models import PLRNN

#: The student's parameters, named as :func:`bifwatch.parameter_map` and ``ModelPath`` name them.
PARAMETERS = ("A[0]", "A[1]", "W[0,1]", "W[1,0]", "h[0]", "h[1]")


def student_vector(model: PLRNN) -> np.ndarray:
    """θ of a 2-D PLRNN with diagonal A and zero diagonal W, shape (6,) (see :data:`PARAMETERS`)."""
    A, W = np.asarray(model.A), np.asarray(model.W)
    if model.M != 2 or A.ndim != 1 or np.any(np.diag(W) != 0):
        raise ValueError("a student is a 2-D PLRNN with diagonal A (shape (2,)) and zero diagonal W; got "
                         f"M = {model.M}, A of shape {A.shape}, diag(W) = {np.diag(W).tolist()}")
    return np.array([A[0], A[1], W[0, 1], W[1, 0], model.h[0], model.h[1]])


def student_model(theta) -> PLRNN:
    """The analysis model :class:`bifwatch.PLRNN` of one student θ, shape (6,)."""
    a1, a2, w12, w21, h1, h2 = np.asarray(theta, dtype=np.float64)
    return PLRNN(A=[a1, a2], W=[[0.0, w12], [w21, 0.0]], h=[h1, h2])


def _unpack(theta: np.ndarray):
    a, h = theta[:, 0:2], theta[:, 4:6]
    return a, theta[:, 2], theta[:, 3], h


def _step(z, a, w12, w21, h):
    r = np.maximum(z, 0.0)
    out = a * z + h
    out[:, 0] += w12 * r[:, 1]
    out[:, 1] += w21 * r[:, 0]
    return out


def gtf_loss_and_gradient(theta, data, *, alpha: float, gradient: bool = True
                          ) -> tuple[np.ndarray, np.ndarray | None]:
    r"""The GTF loss of B students on one series, and its exact gradient (backpropagation through time).

    Parameters
    ----------
    theta : array, shape (B, 6)
        The students (see :data:`PARAMETERS`).
    data : array, shape (T, 2)
        The series x_0 .. x_{T-1}, T >= 2.
    alpha : float in [0, 1]
        Forcing: 0 runs free from x_0, 1 is one-step teacher forcing.
    gradient : bool, default True
        False skips the backward pass (returns None for the gradient).

    Returns
    -------
    loss : array, shape (B,)
        Non-finite where a trajectory overflowed.
    grad : array, shape (B, 6), or None

    Notes
    -----
    With z_0 = x_0, the forced state :math:`\tilde z_t = (1 - \alpha) z_t + \alpha x_t` and
    :math:`z_{t+1} = F_\theta(\tilde z_t)`,

    .. math:: L(\theta) = \frac{1}{2 (T - 1)} \sum_{t=1}^{T-1} \lVert z_t - x_t \rVert^2 .

    On the teacher's own series the teacher has L = 0 for every α. The adjoint
    :math:`g_t = \partial L / \partial z_t` obeys
    :math:`g_t = e_t + (1 - \alpha) J_t^\top g_{t+1}`, with e_t the direct term and J_t the
    Jacobian diag(a) + W diag(1[z̃_t > 0]); then ∂L/∂a = Σ g_{t+1} ⊙ z̃_t,
    ∂L/∂w12 = Σ g_{t+1,1} relu(z̃_{t,2}), ∂L/∂w21 = Σ g_{t+1,2} relu(z̃_{t,1}), ∂L/∂h = Σ g_{t+1}.

    Performance notes: O(B T) work in T vectorised steps; 20 students on T = 500 take about 10 ms.
    """
    theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    x = np.asarray(data, dtype=np.float64)
    a, w12, w21, h = _unpack(theta)
    T, B = x.shape[0], theta.shape[0]
    forced = np.empty((T - 1, B, 2))
    with np.errstate(all="ignore"):
        z = np.broadcast_to(x[0], (B, 2)).copy()
        loss = np.zeros(B)
        for t in range(T - 1):
            forced[t] = (1.0 - alpha) * z + alpha * x[t]
            z = _step(forced[t], a, w12, w21, h)
            loss += np.sum((z - x[t + 1]) ** 2, axis=1)
        scale = 1.0 / (2 * (T - 1))
        if not gradient:
            return loss * scale, None
        return loss * scale, _backward(theta, x, forced, scale, alpha)


def _backward(theta, x, forced, scale, alpha) -> np.ndarray:
    a, w12, w21, h = _unpack(theta)
    grad = np.zeros_like(theta)
    g = np.zeros((theta.shape[0], 2))
    for t in range(forced.shape[0] - 1, -1, -1):  # g holds dL/dz_{t+1} once its direct term is added
        z_next = _step(forced[t], a, w12, w21, h)
        g = g + 2.0 * scale * (z_next - x[t + 1])
        r = np.maximum(forced[t], 0.0)
        grad[:, 0:2] += g * forced[t]
        grad[:, 2] += g[:, 0] * r[:, 1]
        grad[:, 3] += g[:, 1] * r[:, 0]
        grad[:, 4:6] += g
        on = forced[t] > 0
        back = a * g  # J^T g with J = diag(a) + W diag(on)
        back[:, 1] += w12 * g[:, 0] * on[:, 1]
        back[:, 0] += w21 * g[:, 1] * on[:, 0]
        g = (1.0 - alpha) * back
    return grad


@dataclass(frozen=True, eq=False)
class StudentRuns:
    """B students trained by full-batch gradient descent, every epoch kept.

    Attributes
    ----------
    theta : array, shape (E + 1, B, 6)
        θ_e of every run at epochs 0 .. E (θ_0 the initialisation); frozen after a divergence.
    loss, grad_norm : arrays, shape (E + 1, B)
        L(θ_e) and |∇L(θ_e)| over the trained entries; NaN from a run's divergence on.
    diverged : int array, shape (B,)
        The first epoch with a non-finite loss or gradient, -1 for none.
    alpha, lr : float
    trainable : bool array, shape (6,)
    seeds : int array, shape (B,)
        The seed of each run's initialisation.
    """

    theta: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    diverged: np.ndarray
    alpha: float
    lr: float
    trainable: np.ndarray
    seeds: np.ndarray

    @property
    def epochs(self) -> int:
        return self.theta.shape[0] - 1

    def last_epoch(self, run: int) -> int:
        """The last epoch of ``run`` with a finite loss (its run before any divergence)."""
        stop = int(self.diverged[run])
        return self.epochs if stop < 0 else stop - 1

    def model(self, epoch: int, run: int) -> PLRNN:
        """The analysis model of ``run`` at ``epoch``."""
        return student_model(self.theta[epoch, run])


def initial_students(teacher: PLRNN, *, runs: int, seed: int, scale: float = 0.3, trainable=None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """θ_0 = teacher + ``scale`` N(0, 1) on the trainable entries; run i is drawn from seed + i.

    Returns
    -------
    theta : array, shape (runs, 6)
    seeds : int array, shape (runs,)
    """
    runs = check_int("runs", runs, minimum=1)
    mask = _mask(trainable)
    base = student_vector(teacher)
    seeds = check_int("seed", seed, minimum=0) + np.arange(runs)
    noise = np.stack([np.random.default_rng(int(s)).standard_normal(6) for s in seeds])
    return base + float(scale) * noise * mask, seeds


def _mask(trainable) -> np.ndarray:
    if trainable is None:
        return np.ones(6, dtype=bool)
    unknown = set(trainable) - set(PARAMETERS)
    if unknown or not trainable:
        raise ValueError(f"`trainable` must be a non-empty subset of {PARAMETERS}; got {trainable!r}")
    return np.array([p in trainable for p in PARAMETERS])


def train_students(theta0, data, *, alpha: float, lr: float = 0.01, epochs: int = 1000, trainable=None,
                   seeds=None) -> StudentRuns:
    """Plain full-batch gradient descent θ_{e+1} = θ_e - lr ∇L(θ_e) of B students at once.

    Parameters
    ----------
    theta0 : array, shape (B, 6)
    data : array, shape (T, 2)
    alpha : float in [0, 1]
        GTF forcing of :func:`gtf_loss_and_gradient`.
    lr : float, default 0.01
    epochs : int, default 1000
    trainable : sequence of str, optional
        The entries of :data:`PARAMETERS` that are trained (default all six); the others stay.
    seeds : int array, shape (B,), optional
        Stored with the runs (their initialisation seeds).

    Notes
    -----
    No clipping, no momentum: the paper's plain gradient descent. A run whose loss or gradient is
    not finite at epoch e has diverged: its θ stays at θ_e and its loss is NaN from e on.
    """
    theta = np.array(theta0, dtype=np.float64, ndmin=2)
    x = np.asarray(data, dtype=np.float64)
    if theta.shape[1:] != (6,) or x.ndim != 2 or x.shape[1] != 2 or x.shape[0] < 2:
        raise ValueError(f"`theta0` must have shape (B, 6) and `data` shape (T, 2) with T >= 2; got "
                         f"{theta.shape} and {x.shape}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1]; got {alpha}")
    lr, epochs = check_positive_float("lr", lr), check_int("epochs", epochs, minimum=1)
    mask, B = _mask(trainable), theta.shape[0]
    thetas = np.empty((epochs + 1, B, 6))
    losses, norms = np.full((epochs + 1, B), np.nan), np.full((epochs + 1, B), np.nan)
    diverged = np.full(B, -1)
    for e in range(epochs + 1):
        thetas[e] = theta
        live = diverged < 0
        loss, grad = gtf_loss_and_gradient(theta[live], x, alpha=float(alpha))
        grad = grad * mask
        with np.errstate(all="ignore"):
            norm = np.sqrt(np.sum(grad * grad, axis=1))
        finite = np.isfinite(loss) & np.isfinite(norm)
        index = np.flatnonzero(live)
        diverged[index[~finite]] = e
        losses[e, index[finite]] = loss[finite]
        norms[e, index[finite]] = norm[finite]
        theta[index[finite]] -= lr * grad[finite]
        if not np.any(diverged < 0):
            thetas[e + 1:] = theta
            break
    return StudentRuns(theta=thetas, loss=losses, grad_norm=norms, diverged=diverged, alpha=float(alpha),
                       lr=lr, trainable=mask,
                       seeds=np.arange(B) if seeds is None else np.asarray(seeds, dtype=int))
