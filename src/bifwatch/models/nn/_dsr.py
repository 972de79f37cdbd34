"""A reconstruction model: a latent PLRNN-family map together with its observation model."""

from __future__ import annotations

import os

import torch
from torch import nn

from .. import AbstractPLRNN, AffineObservation, IdentityObservation, load_model, load_observation, save_model
from ._latent import LATENT_MODELS, LatentModel, _count, _generator
from ._observation import OBSERVATION_MODULES, Affine, Identity

Tensor = torch.Tensor


class DSRModel(nn.Module):
    """Latent map F and observation g: z_1 = g^-1(x_1), z_t = F(z_{t-1}), x_t ~ g(z_t).

    Parameters
    ----------
    latent : LatentModel
        A :class:`PLRNN`, :class:`ShPLRNN`, :class:`ClippedShPLRNN` or :class:`ALRNN` module.
    observation : Identity or Affine
        With ``observation.M == latent.M``.

    Examples
    --------
    >>> import torch
    >>> model = build_model("clipped-shplrnn", N=3, M=3, L=20, seed=0)
    >>> model.generate(torch.zeros(3), 10).shape
    torch.Size([10, 3])
    """

    def __init__(self, latent: LatentModel, observation: Identity | Affine) -> None:
        super().__init__()
        if not isinstance(latent, LatentModel):
            raise TypeError(f"`latent` must be a bifwatch latent module; got {type(latent).__name__}")
        if not isinstance(observation, Identity | Affine):
            raise TypeError("`observation` must be an Identity or Affine module; "
                            f"got {type(observation).__name__}")
        if observation.M != latent.M:
            raise ValueError(f"`observation` maps to M = {observation.M} latent units but `latent` has "
                             f"M = {latent.M}")
        self.latent, self.observation = latent, observation

    @property
    def N(self) -> int:
        return self.observation.N

    @property
    def M(self) -> int:
        return self.latent.M

    def forward(self, z: Tensor) -> Tensor:
        return self.latent.step(z)

    def generate(self, x1: Tensor, steps: int) -> Tensor:
        """Free run of ``steps`` observations from z_1 = initial_state(x1): shape (..., N) -> (..., steps, N).

        The first generated observation is decode(z_1).

        Raises
        ------
        ValueError
            ``steps`` is not an integer >= 1.
        """
        steps = _count("steps", steps)
        z = self.observation.initial_state(torch.as_tensor(x1, dtype=self.latent.A.dtype,
                                                           device=self.latent.A.device))
        out = []
        for _ in range(steps):
            out.append(self.observation.decode(z))
            z = self.latent.step(z)
        return torch.stack(out, dim=-2)

    def to_analysis(self):
        """(analysis model, analysis observation): float64 twins for the analysis functions."""
        return self.latent.to_analysis(), self.observation.to_analysis()

    def save(self, path: str | os.PathLike) -> None:
        """An ``.npz`` readable by :func:`bifwatch.load_model` (the observation by ``load_observation``)."""
        model, observation = self.to_analysis()
        save_model(model, path, observation=observation)

    @classmethod
    def from_analysis(cls, model: AbstractPLRNN, observation=None, *, dtype: torch.dtype = torch.float64,
                      device=None) -> DSRModel:
        """Modules with the parameters of analysis ``model`` and ``observation`` (default: identity,
        all M units observed)."""
        if not isinstance(model, AbstractPLRNN):
            raise TypeError(f"`model` must be a bifwatch analysis model; got {type(model).__name__}")
        if observation is not None and not isinstance(observation, IdentityObservation | AffineObservation):
            raise TypeError("`observation` must be an IdentityObservation or AffineObservation; "
                            f"got {type(observation).__name__}")
        if model.kind not in LATENT_MODELS:
            raise ValueError(f"`model` must be one of the kinds {sorted(LATENT_MODELS)}; got {model.kind!r}")
        latent = LATENT_MODELS[model.kind].from_analysis(model, dtype=dtype, device=device)
        if observation is None:
            module = Identity(model.M, model.M, dtype=dtype, device=device)
        else:
            kind = OBSERVATION_MODULES[observation.kind]
            module = kind.from_analysis(observation, dtype=dtype, device=device)
        return cls(latent, module)

    @classmethod
    def load(cls, path: str | os.PathLike, *, dtype: torch.dtype = torch.float64, device=None) -> DSRModel:
        """The model saved by :meth:`save` (a checkpoint of ``bifwatch train``)."""
        return cls.from_analysis(load_model(path), load_observation(path), dtype=dtype, device=device)


def build_model(kind: str, *, N: int, M: int, L: int | None = None, P: int | None = None,
                observation: str = "identity", seed: int = 0, dtype: torch.dtype = torch.float64,
                device=None) -> DSRModel:
    """A freshly initialised reconstruction model (one seeded generator draws every parameter).

    Parameters
    ----------
    kind : {"plrnn", "shplrnn", "clipped-shplrnn", "alrnn"}
    N, M : int
        Observed and latent dimension.
    L : int
        Hidden width (shallow kinds only).
    P : int
        Rectified units (ALRNN only).
    observation : {"identity", "affine"}
    seed : int
        In [0, 2**64).

    Raises
    ------
    ValueError
        Unknown kind or observation, a width given to a kind that has none (or missing), or N > M
        with the identity observation, or a seed that is not an integer in [0, 2**64).
    """
    if kind not in LATENT_MODELS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {sorted(LATENT_MODELS)}")
    if observation not in OBSERVATION_MODULES:
        raise ValueError(f"unknown observation {observation!r}; "
                         f"expected one of {sorted(OBSERVATION_MODULES)}")
    generator = _generator(seed, None)
    shallow, alrnn = kind in ("shplrnn", "clipped-shplrnn"), kind == "alrnn"
    for name, value, needed in (("L", L, shallow), ("P", P, alrnn)):
        if needed and value is None:
            raise ValueError(f"a {kind} needs `{name}`")
        if not needed and value is not None:
            raise ValueError(f"`{name}` applies only to {'shallow PLRNNs' if name == 'L' else 'the ALRNN'}; "
                             f"a {kind} has none (got {name} = {value})")
    width = (L,) if shallow else (P,) if alrnn else ()
    latent = LATENT_MODELS[kind](M, *width, generator=generator, dtype=dtype, device=device)
    obs = OBSERVATION_MODULES[observation](N, M, generator=generator, dtype=dtype, device=device)
    return DSRModel(latent, obs)
