"""The training monitor (issue 11): checkpoints of a run, read and analysed for bifurcations,
ghosts and loss jumps.

- :func:`read_checkpoint_folder`: a ``bifwatch train`` run, or any folder of one model file per
  epoch, checked and read into a :class:`CheckpointFolder` (epochs, model files, kind, history).
"""

from ._folder import CheckpointFolder as CheckpointFolder
from ._folder import read_checkpoint_folder as read_checkpoint_folder

__all__ = ["CheckpointFolder", "read_checkpoint_folder"]
