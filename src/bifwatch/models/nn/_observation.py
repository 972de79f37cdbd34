"""Observation models as PyTorch modules, twins of :class:`bifwatch.models.IdentityObservation`
and :class:`bifwatch.models.AffineObservation` (training-and-dsr.md, section 1.7)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from torch import nn

from .. import AffineObservation, IdentityObservation
from ._init import glorot_uniform, kaiming_normal
from ._latent import _count, _generator

Tensor = torch.Tensor


class Identity(nn.Module):
    """The first N latent units are the data; the other M - N start at Lambda x_1 (Lambda learned).

    Parameters
    ----------
    N, M : int
        Observed and latent dimension, N <= M.
    seed, generator, dtype, device
        Lambda ~ Glorot-uniform from ``generator`` (or a generator seeded with ``seed``).

    Notes
    -----
    decode z -> z_{1:N}; initial state [x_1; Lambda x_1]; forcing signal [x_t; 0], forcing only the
    first N units (``forced`` is 1 there, 0 elsewhere: partial forcing).

    Examples
    --------
    >>> import torch
    >>> Identity(2, 3, seed=0).initial_state(torch.ones(4, 2, dtype=torch.float64)).shape
    torch.Size([4, 3])
    """

    kind: ClassVar[str] = "identity"

    def __init__(self, N: int, M: int, *, seed: int | None = None, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64, device=None) -> None:
        super().__init__()
        N = _count("N", N)
        M = _count("M", M)
        if M < N:
            raise ValueError("the identity observation needs M >= N (the first N latent units are the data); "
                             f"got N = {N} observed dimensions and M = {M} latent units")
        Lambda = glorot_uniform((M - N, N), _generator(seed, generator), torch.float64)
        self.Lambda = nn.Parameter(Lambda.to(dtype=dtype, device=device))
        forced = torch.cat([torch.ones(N), torch.zeros(M - N)]).to(dtype=dtype, device=device)
        self.register_buffer("forced", forced, persistent=False)

    @property
    def N(self) -> int:
        return self.Lambda.shape[1]

    @property
    def M(self) -> int:
        return self.N + self.Lambda.shape[0]

    def decode(self, z: Tensor) -> Tensor:
        return z[..., : self.N]

    def initial_state(self, x: Tensor) -> Tensor:
        return torch.cat([x, x @ self.Lambda.T], dim=-1)

    def forcing_signal(self, x: Tensor) -> Tensor:
        return torch.cat([x, x.new_zeros((*x.shape[:-1], self.M - self.N))], dim=-1)

    def to_analysis(self) -> IdentityObservation:
        return IdentityObservation(Lambda=self.Lambda.detach().cpu().to(torch.float64).numpy().copy())

    @classmethod
    def from_analysis(cls, observation: IdentityObservation, *, dtype: torch.dtype = torch.float64,
                      device=None) -> Identity:
        if not isinstance(observation, IdentityObservation):
            raise TypeError(f"`observation` must be an IdentityObservation; got {type(observation).__name__}")
        module = cls(observation.N, observation.M, dtype=dtype, device=device)
        with torch.no_grad():
            module.Lambda.copy_(torch.as_tensor(observation.Lambda))
        return module

    def extra_repr(self) -> str:
        return f"N={self.N}, M={self.M}"


class Affine(nn.Module):
    """x = B z + b; forcing signals and the initial state through the pseudo-inverse B^+ (x - b).

    Parameters
    ----------
    N, M : int
    bias : bool, default False
        Learn b (the lab's default has none).
    seed, generator, dtype, device
        B ~ Kaiming-normal.

    Notes
    -----
    All M units are forced. The forcing signals are computed without gradient (constants, as in
    the reference code); the initial state B^+ (x_1 - b) carries gradient into B.

    Examples
    --------
    >>> import torch
    >>> Affine(2, 5, seed=0).decode(torch.zeros(3, 5, dtype=torch.float64)).shape
    torch.Size([3, 2])
    """

    kind: ClassVar[str] = "affine"

    def __init__(self, N: int, M: int, *, bias: bool = False, seed: int | None = None,
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64, device=None
                 ) -> None:
        super().__init__()
        N, M = _count("N", N), _count("M", M)
        B = kaiming_normal((N, M), _generator(seed, generator), torch.float64)
        self.B = nn.Parameter(B.to(dtype=dtype, device=device))
        b = torch.zeros(N, dtype=dtype, device=device)
        if bias:
            self.b = nn.Parameter(b)
        else:
            self.register_buffer("b", b)
        self.register_buffer("forced", torch.ones(M, dtype=dtype, device=device), persistent=False)

    @property
    def N(self) -> int:
        return self.B.shape[0]

    @property
    def M(self) -> int:
        return self.B.shape[1]

    def decode(self, z: Tensor) -> Tensor:
        return z @ self.B.T + self.b

    def initial_state(self, x: Tensor) -> Tensor:
        return (x - self.b) @ torch.linalg.pinv(self.B).T

    def forcing_signal(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            return self.initial_state(x)

    def to_analysis(self) -> AffineObservation:
        as_np = lambda t: t.detach().cpu().to(torch.float64).numpy().copy()  # noqa: E731
        return AffineObservation(B=as_np(self.B), b=as_np(self.b))

    @classmethod
    def from_analysis(cls, observation: AffineObservation, *, bias: bool = False,
                      dtype: torch.dtype = torch.float64, device=None) -> Affine:
        if not isinstance(observation, AffineObservation):
            raise TypeError(f"`observation` must be an AffineObservation; got {type(observation).__name__}")
        bias = bias or bool(np.any(observation.b != 0))
        module = cls(observation.N, observation.M, bias=bias, dtype=dtype, device=device)
        with torch.no_grad():
            module.B.copy_(torch.as_tensor(observation.B))
            module.b.copy_(torch.as_tensor(observation.b))
        return module

    def extra_repr(self) -> str:
        return f"N={self.N}, M={self.M}, bias={isinstance(self.b, nn.Parameter)}"


OBSERVATION_MODULES = {"identity": Identity, "affine": Affine}
