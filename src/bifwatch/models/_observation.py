"""Observation models of a reconstruction: how data x (N,) map to latent states z (M,) and back.

The latent map (a PLRNN, ...) runs in z; the data are x. A trained reconstruction needs both
directions: :meth:`initial_state` starts a free run from an observation, :meth:`forcing_signal`
is the state that teacher forcing pulls toward, and :meth:`decode` reads an observation off a
state. The PyTorch modules of :mod:`bifwatch.models.nn` convert to these exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validation import as_float_array, check_int


@dataclass(frozen=True, eq=False, repr=False)
class IdentityObservation:
    """The first N latent units are the data: x = z[:N].

    Parameters
    ----------
    Lambda : array, shape (M - N, N)
        The initial state of the unobserved units is Lambda x_1 (learned in training).

    Notes
    -----
    - decode: x = z_{1:N};
    - initial state: z_1 = [x_1; Lambda x_1];
    - forcing signal: [x_t; 0], of which only the first N units are forced (partial forcing).

    Examples
    --------
    >>> obs = IdentityObservation(Lambda=np.array([[2.0]]))
    >>> obs.initial_state(np.array([1.5])).tolist(), obs.decode(np.array([1.5, 3.0])).tolist()
    ([1.5, 3.0], [1.5])
    """

    Lambda: np.ndarray
    kind: ClassVar[str] = "identity"

    def __post_init__(self) -> None:
        Lambda = np.asarray(self.Lambda, dtype=np.float64)
        if Lambda.ndim != 2:
            raise ValueError(f"`Lambda` must have shape (M - N, N); got shape {Lambda.shape}")
        object.__setattr__(self, "Lambda", as_float_array("Lambda", Lambda, Lambda.shape))

    @classmethod
    def zeros(cls, N: int, M: int) -> IdentityObservation:
        """Observation of the first ``N`` of ``M`` units, unobserved units starting at 0."""
        N = check_int("N", N, minimum=1)
        M = check_int("M", M, minimum=N)
        return cls(Lambda=np.zeros((M - N, N)))

    @property
    def N(self) -> int:
        return self.Lambda.shape[1]

    @property
    def M(self) -> int:
        return self.N + self.Lambda.shape[0]

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Observations of states, shape (..., M) -> (..., N)."""
        return np.asarray(z, dtype=np.float64)[..., : self.N]

    def initial_state(self, x: np.ndarray) -> np.ndarray:
        """The state a free run starts from, shape (..., N) -> (..., M)."""
        x = np.asarray(x, dtype=np.float64)
        return np.concatenate([x, x @ self.Lambda.T], axis=-1)

    def forcing_signal(self, x: np.ndarray) -> np.ndarray:
        """The state teacher forcing pulls toward, shape (..., N) -> (..., M): [x; 0]."""
        x = np.asarray(x, dtype=np.float64)
        return np.concatenate([x, np.zeros((*x.shape[:-1], self.M - self.N))], axis=-1)

    def parameters(self) -> dict[str, np.ndarray]:
        return {"Lambda": self.Lambda}


@dataclass(frozen=True, eq=False, repr=False)
class AffineObservation:
    """x = B z + b, inverted by the pseudo-inverse: z = B^+ (x - b).

    Parameters
    ----------
    B : array, shape (N, M)
    b : array, shape (N,), optional
        Default zeros (the lab's default has no bias).

    Examples
    --------
    >>> obs = AffineObservation(B=np.array([[2.0, 0.0]]))
    >>> obs.decode(np.array([1.0, 5.0])).tolist(), obs.initial_state(np.array([4.0])).tolist()
    ([2.0], [2.0, 0.0])
    """

    B: np.ndarray
    b: np.ndarray | None = None
    kind: ClassVar[str] = "affine"

    def __post_init__(self) -> None:
        B = np.asarray(self.B, dtype=np.float64)
        if B.ndim != 2 or 0 in B.shape:
            raise ValueError(f"`B` must have shape (N, M) with N, M >= 1; got shape {B.shape}")
        B = as_float_array("B", B, B.shape)
        b = np.zeros(B.shape[0]) if self.b is None else as_float_array("b", self.b, (B.shape[0],))
        object.__setattr__(self, "B", B)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "_pinv", np.linalg.pinv(B))

    @property
    def N(self) -> int:
        return self.B.shape[0]

    @property
    def M(self) -> int:
        return self.B.shape[1]

    def decode(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=np.float64) @ self.B.T + self.b

    def initial_state(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.b) @ self._pinv.T

    def forcing_signal(self, x: np.ndarray) -> np.ndarray:
        return self.initial_state(x)

    def parameters(self) -> dict[str, np.ndarray]:
        return {"B": self.B, "b": self.b}


Observation = IdentityObservation | AffineObservation
OBSERVATIONS: dict[str, type] = {"identity": IdentityObservation, "affine": AffineObservation}

#: Prefix of the observation's members in a model's ``.npz`` (``load_model`` skips them).
PREFIX = "observation/"


def observation_arrays(observation: Observation) -> dict[str, np.ndarray]:
    """The ``.npz`` members that store ``observation`` beside a model's arrays."""
    arrays = {f"{PREFIX}{k}": v for k, v in observation.parameters().items()}
    return {f"{PREFIX}kind": np.array(observation.kind), **arrays}


def observation_from_arrays(arrays: dict[str, np.ndarray], where: str) -> Observation | None:
    """The observation stored by :func:`observation_arrays`, or None when there is none."""
    members = {k[len(PREFIX):]: v for k, v in arrays.items() if k.startswith(PREFIX)}
    if not members:
        return None
    kind = str(members.pop("kind", ""))
    if kind not in OBSERVATIONS:
        raise ValueError(f"{where}: stored observation kind must be one of {sorted(OBSERVATIONS)}; "
                         f"got {kind!r}")
    try:
        return OBSERVATIONS[kind](**members)
    except TypeError as err:
        raise ValueError(f"{where}: the stored {kind} observation has members {sorted(members)}; "
                         f"{err}") from err
