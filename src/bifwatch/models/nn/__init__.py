"""PyTorch modules of the PLRNN family and their observation models, for training.

Each latent module is the trainable twin of an analysis model of :mod:`bifwatch.models`: the same
equation and parameter names, a closed-form batched Jacobian, and exact conversion both ways
(``to_analysis()``, ``from_analysis(model)``). This package imports torch; ``bifwatch.models``
itself does not.
"""

from ._dsr import DSRModel as DSRModel
from ._dsr import build_model as build_model
from ._latent import ALRNN as ALRNN
from ._latent import LATENT_MODELS as LATENT_MODELS
from ._latent import PLRNN as PLRNN
from ._latent import ClippedShPLRNN as ClippedShPLRNN
from ._latent import LatentModel as LatentModel
from ._latent import ShPLRNN as ShPLRNN
from ._observation import Affine as Affine
from ._observation import Identity as Identity

__all__ = [
    "ALRNN", "LATENT_MODELS", "PLRNN", "Affine", "ClippedShPLRNN", "DSRModel", "Identity", "LatentModel",
    "ShPLRNN", "build_model",
]
