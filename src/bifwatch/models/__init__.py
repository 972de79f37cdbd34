"""Models: maps that are affine on each region (PLRNN family and ReLU RNNs)."""

from ._base import AbstractPLRNN as AbstractPLRNN
from ._check import check_model as check_model
from ._io import list_examples as list_examples
from ._io import load_model as load_model
from ._io import load_observation as load_observation
from ._io import save_model as save_model
from ._observation import AffineObservation as AffineObservation
from ._observation import IdentityObservation as IdentityObservation
from ._plrnn import ALRNN as ALRNN
from ._plrnn import PLRNN as PLRNN
from ._relu_rnn import ReLURNN as ReLURNN
from ._shallow import ClippedShPLRNN as ClippedShPLRNN
from ._shallow import ShPLRNN as ShPLRNN
from ._torch import from_rnn_state_dict as from_rnn_state_dict
from ._torch import from_torch_rnn as from_torch_rnn
from ._torch import load_torch_rnn as load_torch_rnn

__all__ = [
    "ALRNN",
    "PLRNN",
    "AbstractPLRNN",
    "AffineObservation",
    "ClippedShPLRNN",
    "IdentityObservation",
    "ReLURNN",
    "ShPLRNN",
    "check_model",
    "from_rnn_state_dict",
    "from_torch_rnn",
    "list_examples",
    "load_model",
    "load_observation",
    "load_torch_rnn",
    "save_model",
]
