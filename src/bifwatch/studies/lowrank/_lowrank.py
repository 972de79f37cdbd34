"""Low-rank leaky tanh RNNs of the delayed-activation task: a frozen snapshot and its initialisation."""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np

from ..._validation import as_float_array, check_int, check_positive_float, to_numpy, unwrap_scalar

READOUTS = ("latent", "trained")


@dataclass(frozen=True, eq=False)
class LowRankRNN:
    """A rank-R leaky tanh RNN without input, x_{t+1} = (1 - alpha) x_t + alpha tanh(m kappa_t + b).

    Parameters
    ----------
    m : array, shape (N, R) (or (N,) for R = 1)
        Left vectors of the recurrent matrix W = m n^T; with ``n=None`` the full matrix W (N, N).
    n : array, shape (N, R) (or (N,)), or None
        Right vectors; kappa = n^T x is the R-dimensional latent. None: a full-rank network,
        n = identity (not trained), kappa = x.
    b : array, shape (N,)
        Bias.
    confidence : float, default 10
        c of the latent readout o_t = sigma(c (kappa_{t,1} - 1)) (unused by the trained readout).
    w_out : array, shape (N,), optional
        Trained readout o_t = sigma(w_out^T x_t + b_out) (the paper's rank-K / full-rank variant).
    b_out : float, optional
        Its bias; given together with ``w_out``.
    alpha : float, default 0.5
        dt / tau of the Euler step, 0 < alpha <= 1 (5 ms / 10 ms in the paper).
    x0 : float, default -0.3
        Every unit starts at x0 on every trial: x_0 = x0 * 1, so kappa_0 = x0 * sum_i n_i.

    Raises
    ------
    ValueError, TypeError
        Wrong shapes, NaN/Inf entries, confidence <= 0, alpha outside (0, 1], or a readout given
        by half (``w_out`` without ``b_out``).

    Notes
    -----
    The latent recursion closes exactly (the leak is linear and x enters only through kappa):

        kappa_{t+1} = (1 - alpha) kappa_t + alpha n^T tanh(m kappa_t + b),

    so the continuous-time latent flow is tau dkappa/dt = F(kappa) = -kappa + n^T tanh(m kappa + b)
    (see :func:`latent_flow`). Outputs are read after each update, o_1, ..., o_2T.

    Examples
    --------
    >>> net = LowRankRNN(m=[1.0, 0.0], n=[0.5, 0.5], b=[0.0, 0.0])
    >>> net.N, net.R, net.readout, round(net.kappa0, 3)
    (2, 1, 'latent', -0.3)
    >>> net.latent(net.trajectory(2))[:, 0].round(4).tolist()
    [-0.3, -0.2228, -0.1662]
    """

    m: np.ndarray
    n: np.ndarray | None
    b: np.ndarray
    confidence: float = 10.0
    w_out: np.ndarray | None = None
    b_out: float | None = None
    alpha: float = 0.5
    x0: float = -0.3

    def __post_init__(self) -> None:
        b = as_float_array("b", self.b, ("N",))
        N = b.shape[0]
        if N == 0:
            raise ValueError("`b` must have at least one entry (N >= 1 units); got shape (0,)")
        m, n = _check_factors(self.m, self.n, N)
        set_ = object.__setattr__
        set_(self, "m", m)
        set_(self, "n", n)
        set_(self, "b", b)
        set_(self, "confidence", check_positive_float("confidence", self.confidence))
        set_(self, "alpha", check_positive_float("alpha", self.alpha))
        if self.alpha > 1:
            raise ValueError(f"`alpha` (dt / tau) must be in (0, 1]; got {self.alpha}")
        set_(self, "x0", _check_real("x0", self.x0))
        if (self.w_out is None) != (self.b_out is None):
            raise ValueError("give both `w_out` and `b_out` (the trained readout) or neither")
        if self.w_out is not None:
            set_(self, "w_out", as_float_array("w_out", self.w_out, (N,)))
            set_(self, "b_out", _check_real("b_out", self.b_out))

    @property
    def N(self) -> int:
        """Number of units."""
        return self.b.shape[0]

    @property
    def R(self) -> int:
        """Rank (the latent dimension); N for a full-rank network."""
        return self.m.shape[1]

    @property
    def full(self) -> bool:
        """True for a full-rank network (``n`` is None: W = m is trained directly)."""
        return self.n is None

    @property
    def readout(self) -> str:
        """``"latent"`` (sigma(c (kappa_1 - 1))) or ``"trained"`` (sigma(w_out^T x + b_out))."""
        return "latent" if self.w_out is None else "trained"

    @property
    def right(self) -> np.ndarray:
        """The right vectors n, shape (N, R) (the identity for a full-rank network)."""
        return np.eye(self.N) if self.n is None else self.n

    @property
    def kappa0(self) -> float:
        """First latent coordinate of the initial state, x0 * sum_i n_i1."""
        return float(self.x0 * self.right[:, 0].sum())

    def latent(self, x: np.ndarray) -> np.ndarray:
        """kappa = n^T x, shape (..., N) -> (..., R)."""
        return np.asarray(x, dtype=np.float64) @ self.right

    def step(self, x: np.ndarray) -> np.ndarray:
        """One Euler step, shape (..., N) -> (..., N)."""
        x = np.asarray(x, dtype=np.float64)
        return (1 - self.alpha) * x + self.alpha * np.tanh(self.latent(x) @ self.m.T + self.b)

    def trajectory(self, steps: int = 40) -> np.ndarray:
        """States x_0, ..., x_steps of the trial, shape (steps + 1, N)."""
        steps = check_int("steps", steps, minimum=0)
        xs = [np.full(self.N, self.x0)]
        for _ in range(steps):
            xs.append(self.step(xs[-1]))
        return np.array(xs)

    def outputs(self, steps: int = 40) -> np.ndarray:
        """Outputs o_1, ..., o_steps read after each update, shape (steps,)."""
        from scipy.special import expit

        x = self.trajectory(steps)[1:]
        if self.w_out is None:
            return expit(self.confidence * (self.latent(x)[:, 0] - 1.0))
        return expit(x @ self.w_out + self.b_out)

    def parameters(self) -> dict[str, np.ndarray]:
        """The trained arrays by name (m, n, b and the readout's w_out, b_out where present)."""
        out = {"m": self.m, "b": self.b}
        if self.n is not None:
            out["n"] = self.n
        if self.w_out is not None:
            out.update(w_out=self.w_out, b_out=np.array(self.b_out))
        return out

    def replace(self, **changes) -> LowRankRNN:
        """A copy with some fields changed (validated again), e.g. ``net.replace(confidence=1.0)``."""
        return dataclasses.replace(self, **changes)

    def allclose(self, other: LowRankRNN, *, rtol: float = 1e-10, atol: float = 1e-12) -> bool:
        """Same settings and numerically equal arrays."""
        mine, theirs = self.parameters(), other.parameters()
        settings = (self.confidence, self.alpha, self.x0) == (other.confidence, other.alpha, other.x0)
        return settings and mine.keys() == theirs.keys() and all(
            mine[k].shape == theirs[k].shape and np.allclose(mine[k], theirs[k], rtol=rtol, atol=atol)
            for k in mine
        )

    def to_dict(self) -> dict:
        """JSON-ready dict (arrays as lists); :func:`LowRankRNN.from_dict` reads it back."""
        out = {k: np.asarray(v).tolist() for k, v in self.parameters().items()}
        out.update(confidence=self.confidence, alpha=self.alpha, x0=self.x0, full=self.full)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> LowRankRNN:
        """Inverse of :meth:`to_dict`."""
        return cls(
            m=data["m"], n=None if data.get("full") else data["n"], b=data["b"],
            confidence=data["confidence"], w_out=data.get("w_out"), b_out=data.get("b_out"),
            alpha=data["alpha"], x0=data["x0"],
        )


def init_lowrank(
    units: int = 100, rank: int | str = 1, *, seed: int = 0, readout: str = "latent", confidence: float = 10.0
) -> LowRankRNN:
    """The paper's initialisation: m, n ~ N(0, 1/N) entrywise, b = 0 (seeded).

    Parameters
    ----------
    units : int, default 100
        N.
    rank : int or "full", default 1
        R, 1 <= R <= N; ``"full"`` trains W (N, N) ~ N(0, 1/N) directly.
    seed : int, default 0
        Seed of numpy's default generator.
    readout : {"latent", "trained"}, default "latent"
        ``"trained"`` adds w_out, b_out ~ N(0, 1/N) (the paper's rank-K and full-rank variant).
    confidence : float, default 10
        c of the latent readout.

    Examples
    --------
    >>> net = init_lowrank(100, seed=0)
    >>> net.m.shape, net.n.shape, float(abs(net.b).max()), net.confidence
    ((100, 1), (100, 1), 0.0, 10.0)
    """
    N = check_int("units", units, minimum=1)
    full = isinstance(rank, str) and rank == "full"
    R = N if full else check_int("rank", rank, minimum=1)
    if R > N:
        raise ValueError(f"`rank` must be <= units = {N} (or 'full'); got {R}")
    if readout not in READOUTS:
        raise ValueError(f"`readout` must be one of {READOUTS}; got {readout!r}")
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    scale = 1.0 / np.sqrt(N)
    m = rng.normal(0.0, scale, (N, R))
    n = None if full else rng.normal(0.0, scale, (N, R))
    w_out = b_out = None
    if readout == "trained":
        w_out, b_out = rng.normal(0.0, scale, N), float(rng.normal(0.0, scale))
    return LowRankRNN(m=m, n=n, b=np.zeros(N), confidence=confidence, w_out=w_out, b_out=b_out)


def _check_factors(m: object, n: object, N: int) -> tuple[np.ndarray, np.ndarray | None]:
    m = to_numpy("m", m)
    if n is None:
        return as_float_array("m", m, (N, N)), None
    m2 = as_float_array("m", m, (N,) if np.ndim(m) == 1 else (N, "R")).reshape(N, -1)
    n = to_numpy("n", n)
    n2 = as_float_array("n", n, (N,) if n.ndim == 1 else (N, "R")).reshape(N, -1)
    if m2.shape[0] != N or n2.shape != m2.shape or m2.shape[1] == 0:
        raise ValueError(
            f"`m` and `n` must both have shape (N, R) with N = {N} (the length of `b`) and R >= 1; "
            f"got {m2.shape} and {n2.shape}"
        )
    return m2, n2


def _check_real(name: str, value: object) -> float:
    value = unwrap_scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"`{name}` must be finite; got {value}")
    return float(value)
