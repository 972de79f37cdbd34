"""Training, the generic parts: checkpoints with atomic writes and resume, Ctrl-C between epochs,
loss-jump detection.

What every trainer here shares, whatever it trains; a study (e.g. :mod:`bifwatch.studies.lowrank`)
uses these pieces and adds only its own model, loss and records.
"""

from ._checkpoint import deferred_sigint as deferred_sigint
from ._checkpoint import load_checkpoint as load_checkpoint
from ._checkpoint import save_checkpoint as save_checkpoint
from ._jumps import loss_drops as loss_drops

__all__ = ["deferred_sigint", "load_checkpoint", "loss_drops", "save_checkpoint"]
