"""The PLRNN family as PyTorch modules: batched steps, closed-form Jacobians, exact conversion.

Each module is the trainable twin of an analysis model of :mod:`bifwatch.models` (same equation,
same parameter names): ``to_analysis()`` gives the float64 map that ``find_cycles``,
``bifurcation_diagram`` and ``exact_slow_points`` take, ``from_analysis(model)`` the module back.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from .. import ALRNN as _ALRNN
from .. import PLRNN as _PLRNN
from .. import AbstractPLRNN
from .. import ClippedShPLRNN as _ClippedShPLRNN
from .. import ShPLRNN as _ShPLRNN
from ._init import normal, talathi_vartak, uniform

Tensor = torch.Tensor


def _generator(seed: int | None, generator: torch.Generator | None) -> torch.Generator:
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"`generator` must be a torch.Generator; got {type(generator).__name__}")
        return generator
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or not 0 <= seed < 2 ** 64):
        raise ValueError(f"`seed` must be an integer in [0, 2**64); got {seed!r}")
    return torch.Generator().manual_seed(0 if seed is None else int(seed))


@torch.utils.hooks.unserializable_hook
def _zero_diagonal(grad: Tensor) -> Tensor:
    """The gradient with its diagonal set to 0 (same dtype and device as ``grad``)."""
    return grad.clone().fill_diagonal_(0)


def _count(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}")
    return int(value)


class LatentModel(nn.Module, abc.ABC):
    """A trainable piecewise-linear latent map z_t = F(z_{t-1}), batched over states (S, M).

    Subclasses are final; each names its analysis twin (``analysis``) and its parameters
    (``names``, as in the equation).
    """

    kind: ClassVar[str]
    analysis: ClassVar[type[AbstractPLRNN]]
    names: ClassVar[tuple[str, ...]]

    def _set(self, values: dict[str, Tensor], dtype: torch.dtype | None, device) -> None:
        for name in self.names:
            value = torch.as_tensor(values[name], dtype=dtype, device=device)
            self.register_parameter(name, nn.Parameter(value.clone()))

    @property
    def M(self) -> int:
        """Latent dimension."""
        return self.A.shape[0]

    #: Names of (W_out, h, W_in, b) in z' = A z + W_out r(z) + h, r = phi(W_in z + b); W_in and b are
    #: None where r acts on z itself (PLRNN, ALRNN).
    roles: ClassVar[tuple[str, str, str | None, str | None]]
    #: Whether ``step`` forms A z before r(z): autograd adds up z's gradients in the order of its uses,
    #: so each class keeps the order its step had (same gradient bits as before the rewrite).
    _diagonal_first: ClassVar[bool] = True

    def forward(self, z: Tensor) -> Tensor:
        return self.step(z)

    @abc.abstractmethod
    def layer(self, z: Tensor) -> Tensor:
        """The rectified layer r(z) = phi(W_in z + b), shape (..., M) -> (..., L) (L = M without W_in)."""

    @abc.abstractmethod
    def slopes(self, z: Tensor) -> tuple[Tensor, Tensor | None]:
        """(dr/du, dr/db) at each state, u = W_in z + b the pre-activation: shapes (..., L) each.

        dr/db is None where the layer has no bias b; it differs from dr/du only for the clipped layer.
        """

    def step(self, z: Tensor) -> Tensor:
        """One step z' = A z + W_out r(z) + h, shape (..., M) -> (..., M).

        Rows (S, M), the only shape the training loop passes, take one ``torch.addmm`` (the same sum as
        a matmul and an add, in one autograd node); ``+ h`` stays a separate add.
        """
        if self._diagonal_first:
            diagonal = self.A * z
            r = self.layer(z)
        else:
            r = self.layer(z)
            diagonal = self.A * z
        W_out, h = getattr(self, self.roles[0]), getattr(self, self.roles[1])
        if z.ndim == 2:
            return torch.addmm(diagonal, r, W_out.T) + h
        return diagonal + r @ W_out.T + h

    def pullback(self, params: dict[str, Tensor], e: Tensor, slope: Tensor) -> Tensor:
        """J(z)^T e = A e + W_in^T (slope * (W_out^T e)) for rows e (S, M) at states with ``slope``.

        ``params`` maps the names to the tensors to use (those the window Function was given), so a
        backward run after ``torch.func.functional_call`` has returned still uses the called values.
        """
        out, _, inner, _ = self.roles
        p = e @ params[out]
        if inner is None:
            return torch.addcmul(params["A"] * e, p, slope)
        return torch.addmm(params["A"] * e, p * slope, params[inner])

    def parameter_grads(self, params: dict[str, Tensor], Z: Tensor, E: Tensor, R: Tensor, slope: Tensor,
                        bias_slope: Tensor | None) -> tuple[Tensor, ...]:
        """Gradients of sum_k <E_k, F(Z_k)> in the order of ``names``, over all rows k at once.

        Parameters
        ----------
        Z, E : tensors, shape (K, M)
            States fed to F and the adjoints of its outputs.
        R, slope, bias_slope : tensors, shape (K, L)
            r(Z) and :meth:`slopes` at Z.

        Notes
        -----
        dA = sum_k E_k * Z_k, dW_out = E^T R, dh = sum_k E_k and, with Q = (E W_out) * slope,
        dW_in = Q^T Z, db = sum_k (E W_out)_k * bias_slope_k.
        """
        out, bias, inner, inner_bias = self.roles
        grads = {"A": (E * Z).sum(0), out: E.T @ R, bias: E.sum(0)}
        if inner is not None:
            P = E @ params[out]
            grads[inner] = (P * slope).T @ Z
            grads[inner_bias] = (P * bias_slope).sum(0)
        return tuple(grads[name] for name in self.names)

    @abc.abstractmethod
    def jacobian(self, z: Tensor) -> Tensor:
        """dF/dz at each state, closed form: shape (..., M) -> (..., M, M)."""

    @abc.abstractmethod
    def jacobian_bound(self) -> Tensor:
        """A bound on ||J(z)||_2 over all z from the parameters alone (for aGTF's cheapest estimate)."""

    def regularisation(self) -> Tensor:
        """Latent L2 of the GTF code: ||1 - A||^2 plus the squared norm of every other parameter.

        A is pulled toward 1 (slow, line-attractor-like units), everything else toward 0.
        """
        total = (1 - self.A).square().sum()
        for name in self.names[1:]:
            if name != "P":
                total = total + getattr(self, name).square().sum()
        return total

    def arrays(self) -> dict[str, np.ndarray]:
        """The parameters as float64 numpy arrays, named as in the equation."""
        return {n: getattr(self, n).detach().cpu().to(torch.float64).numpy().copy() for n in self.names}

    def to_analysis(self) -> AbstractPLRNN:
        """The analysis model with these parameters (float64, exactly the same map).

        Examples
        --------
        >>> from bifwatch.models.nn import ShPLRNN
        >>> ShPLRNN(3, 10, seed=1).to_analysis().kind
        'shplrnn'
        """
        return self.analysis(**self.arrays())

    @classmethod
    def from_analysis(cls, model: AbstractPLRNN, *, dtype: torch.dtype = torch.float64, device=None):
        """The module with the parameters of analysis ``model`` (the inverse of :meth:`to_analysis`)."""
        if not isinstance(model, cls.analysis):
            raise TypeError(f"`model` must be a bifwatch {cls.analysis.__name__} to make a "
                            f"{cls.__name__} module; got {type(model).__name__}")
        params = model.parameters()
        if float(params.pop("slope", 0.0)) != 0.0:
            raise ValueError(f"{cls.__name__} modules have phi = ReLU; `model` has a leaky slope")
        if params["A"].ndim != 1:
            raise ValueError(f"{cls.__name__} modules have a diagonal A; `model` has a full (M, M) A")
        module = cls.__new__(cls)
        nn.Module.__init__(module)
        module._build(params, dtype, device)
        return module

    def _build(self, params: dict, dtype, device) -> None:
        self._set(params, dtype, device)

    def extra_repr(self) -> str:
        return f"M={self.M}, dtype={self.A.dtype}"


class PLRNN(LatentModel):
    """z' = A z + W relu(z) + h, A diagonal, W off-diagonal (its diagonal gradient is zeroed).

    Parameters
    ----------
    M : int
        Latent dimension.
    seed : int, optional
        Seed of the initialisation (default 0), unless ``generator`` is given.
    generator : torch.Generator, optional
    dtype : torch.dtype, default float64
    device : optional

    Notes
    -----
    Initialisation (Talathi & Vartak): K = (R^T R / M + I) / max|eig K|, A = diag(K),
    W = K - diag(K), h = 0. Jacobian J(z) = diag(A) + W diag(1[z > 0]).

    Examples
    --------
    >>> import torch
    >>> m = PLRNN(2, seed=0)
    >>> z = torch.zeros(5, 2, dtype=torch.float64)
    >>> m.step(z).shape, m.jacobian(z).shape
    (torch.Size([5, 2]), torch.Size([5, 2, 2]))
    """

    kind = "plrnn"
    analysis = _PLRNN
    names = ("A", "W", "h")
    roles = ("W", "h", None, None)

    def __init__(self, M: int, *, seed: int | None = None, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64, device=None) -> None:
        super().__init__()
        M = _count("M", M)
        K = talathi_vartak(M, _generator(seed, generator), torch.float64)
        self._build({"A": K.diagonal(), "W": K - torch.diag(K.diagonal()), "h": torch.zeros(M)},
                    dtype, device)

    def _build(self, params, dtype, device) -> None:
        self._set(params, dtype, device)
        self._hook_W()

    def _hook_W(self) -> None:
        # The mask is taken from the gradient itself, so the hook keeps working after .to(dtype or
        # device); tensor hooks are not copied by deepcopy or pickle, so __setstate__ adds it again.
        self.W.register_hook(_zero_diagonal)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._hook_W()

    def layer(self, z: Tensor) -> Tensor:
        return torch.relu(z)

    def slopes(self, z: Tensor) -> tuple[Tensor, None]:
        return (z > 0).to(z.dtype), None

    def jacobian(self, z: Tensor) -> Tensor:
        return torch.diag(self.A) + self.W * self.slopes(z)[0][..., None, :]

    def jacobian_bound(self) -> Tensor:
        return self.A.abs().max() + torch.linalg.matrix_norm(self.W, 2)


class ALRNN(LatentModel):
    """z' = A z + W phi*(z) + h, phi* the identity on the first M - P units, ReLU on the last P.

    Parameters
    ----------
    M, P : int
        Latent dimension and number of rectified units (0 <= P <= M).
    seed, generator, dtype, device
        As for :class:`PLRNN`.

    Notes
    -----
    Initialisation: A = diag(K) (Talathi & Vartak), W ~ N(0, 0.01^2) full, h = 0. Jacobian
    J(z) = diag(A) + W diag(1, ..., 1, 1[z_{M-P+1:} > 0]).

    Examples
    --------
    >>> ALRNN(4, 2, seed=0).to_analysis().n_bits
    2
    """

    kind = "alrnn"
    analysis = _ALRNN
    names = ("A", "W", "h")
    roles = ("W", "h", None, None)
    _diagonal_first = False

    def __init__(self, M: int, P: int, *, seed: int | None = None, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64, device=None) -> None:
        super().__init__()
        M, P = _count("M", M), _count("P", P, minimum=0)
        if P > M:
            raise ValueError(f"`P` must be at most M = {M}; got {P}")
        gen = _generator(seed, generator)
        A = talathi_vartak(M, gen, torch.float64).diagonal()
        self._build({"A": A, "W": normal((M, M), 0.01, gen, torch.float64), "h": torch.zeros(M), "P": P},
                    dtype, device)

    def _build(self, params, dtype, device) -> None:
        params = dict(params)
        self.P = int(params.pop("P"))
        self._set(params, dtype, device)

    @property
    def _linear(self) -> int:
        return self.M - self.P

    def layer(self, z: Tensor) -> Tensor:
        # phi*(z): where over the units, two autograd nodes instead of four (two slices, relu, cat)
        linear = torch.arange(self.M, device=z.device) < self._linear
        return torch.where(linear, z, torch.relu(z))

    def slopes(self, z: Tensor) -> tuple[Tensor, None]:
        linear = torch.arange(self.M, device=z.device) < self._linear
        return (linear | (z > 0)).to(z.dtype), None

    def jacobian(self, z: Tensor) -> Tensor:
        return torch.diag(self.A) + self.W * self.slopes(z)[0][..., None, :]

    def jacobian_bound(self) -> Tensor:
        return self.A.abs().max() + torch.linalg.matrix_norm(self.W, 2)

    def arrays(self) -> dict[str, np.ndarray]:
        return {**super().arrays(), "P": np.array(self.P)}

    def to_analysis(self) -> AbstractPLRNN:
        arrays = self.arrays()
        return _ALRNN(A=arrays["A"], W=arrays["W"], h=arrays["h"], P=self.P)

    def extra_repr(self) -> str:
        return f"M={self.M}, P={self.P}, dtype={self.A.dtype}"


class _Shallow(LatentModel):
    names = ("A", "W1", "W2", "h1", "h2")
    roles = ("W1", "h1", "W2", "h2")
    clipped: ClassVar[bool]

    def __init__(self, M: int, L: int, *, seed: int | None = None, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64, device=None) -> None:
        super().__init__()
        M, L = _count("M", M), _count("L", L)
        gen = _generator(seed, generator)
        A = talathi_vartak(M, gen, torch.float64).diagonal()
        W1 = uniform((M, L), L ** -0.5, gen, torch.float64)
        W2 = uniform((L, M), M ** -0.5, gen, torch.float64)
        h2 = uniform((L,), L ** -0.5, gen, torch.float64) if self.clipped else torch.zeros(L)
        self._build({"A": A, "W1": W1, "W2": W2, "h1": torch.zeros(M), "h2": h2}, dtype, device)

    @property
    def L(self) -> int:
        """Hidden width."""
        return self.h2.shape[0]

    def jacobian_bound(self) -> Tensor:
        norm = torch.linalg.matrix_norm
        return self.A.abs().max() + norm(self.W1, 2) * norm(self.W2, 2)

    def extra_repr(self) -> str:
        return f"M={self.M}, L={self.L}, dtype={self.A.dtype}"


class ShPLRNN(_Shallow):
    """z' = A z + W1 relu(W2 z + h2) + h1 (A diagonal; W1 (M, L), W2 (L, M) full).

    Parameters
    ----------
    M, L : int
        Latent dimension and hidden width.
    seed, generator, dtype, device
        As for :class:`PLRNN`.

    Notes
    -----
    Initialisation (the GTF reference): A = diag(K) (Talathi & Vartak), W1 ~ U(+-1/sqrt(L)),
    W2 ~ U(+-1/sqrt(M)), h1 = h2 = 0. Jacobian J(z) = diag(A) + W1 diag(1[W2 z + h2 > 0]) W2.

    Examples
    --------
    >>> ShPLRNN(3, 20, seed=0).L
    20
    """

    kind = "shplrnn"
    analysis = _ShPLRNN
    clipped = False

    def layer(self, z: Tensor) -> Tensor:
        return torch.relu(z @ self.W2.T + self.h2)

    def slopes(self, z: Tensor) -> tuple[Tensor, Tensor]:
        gate = (z @ self.W2.T + self.h2 > 0).to(z.dtype)
        return gate, gate

    def jacobian(self, z: Tensor) -> Tensor:
        gate = self.slopes(z)[0]
        return torch.diag(self.A) + (self.W1 * gate[..., None, :]) @ self.W2


class ClippedShPLRNN(_Shallow):
    """z' = A z + W1 [relu(W2 z + h2) - relu(W2 z)] + h1: bounded orbits when max|A_i| < 1.

    Parameters
    ----------
    M, L : int
    seed, generator, dtype, device
        As for :class:`PLRNN`.

    Notes
    -----
    Initialisation as :class:`ShPLRNN` but h2 ~ U(+-1/sqrt(L)) (with h2 = 0 the bracket is 0).
    Jacobian J(z) = diag(A) + W1 diag(1[W2 z > -h2] - 1[W2 z > 0]) W2.

    Examples
    --------
    >>> ClippedShPLRNN(3, 20, seed=0).to_analysis().n_bits
    40
    """

    kind = "clipped-shplrnn"
    analysis = _ClippedShPLRNN
    clipped = True
    _diagonal_first = False

    def layer(self, z: Tensor) -> Tensor:
        u = z @ self.W2.T
        return torch.relu(u + self.h2) - torch.relu(u)

    def slopes(self, z: Tensor) -> tuple[Tensor, Tensor]:
        u = z @ self.W2.T
        upper = (u + self.h2 > 0).to(z.dtype)
        return upper - (u > 0).to(z.dtype), upper

    def jacobian(self, z: Tensor) -> Tensor:
        gate = self.slopes(z)[0]
        return torch.diag(self.A) + (self.W1 * gate[..., None, :]) @ self.W2


#: Module class of each model kind (the names files and the CLI use).
LATENT_MODELS: dict[str, type[LatentModel]] = {
    cls.kind: cls for cls in (PLRNN, ShPLRNN, ClippedShPLRNN, ALRNN)
}
