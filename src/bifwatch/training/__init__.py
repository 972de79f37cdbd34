"""Training, the generic parts: the epoch loop, checkpoints with atomic writes and resume, Ctrl-C
between epochs, the per-epoch record, loss-jump detection.

What every trainer here shares, whatever it trains; a study (e.g. :mod:`bifwatch.studies.lowrank`)
uses these pieces and adds only its own model, loss and records.
"""

from ._checkpoint import StopRequested as StopRequested
from ._checkpoint import deferred_sigint as deferred_sigint
from ._checkpoint import load_checkpoint as load_checkpoint
from ._checkpoint import open_checkpoint as open_checkpoint
from ._checkpoint import save_checkpoint as save_checkpoint
from ._history import read_history as read_history
from ._jumps import loss_drops as loss_drops
from ._loop import run_epochs as run_epochs
from ._loss_jumps import Jump as Jump
from ._loss_jumps import gradient_spikes as gradient_spikes
from ._loss_jumps import loss_jumps as loss_jumps
from ._record import EpochRecord as EpochRecord

__all__ = [
    "EpochRecord", "Jump", "StopRequested", "deferred_sigint", "gradient_spikes", "load_checkpoint",
    "loss_drops", "loss_jumps", "open_checkpoint", "read_history", "run_epochs", "save_checkpoint",
]
