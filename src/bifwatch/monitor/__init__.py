"""The training monitor (issue 11): checkpoints of a run, read and analysed for bifurcations,
ghosts and loss jumps (docs/monitor.md).

- :func:`read_checkpoint_folder`: a ``bifwatch train`` run, or any folder of one model file per
  epoch, checked and read into a :class:`CheckpointFolder` (epochs, model files, kind, history);
- :func:`monitor_checkpoints`: the cycles at every checkpoint, the bifurcations between them
  (exact continuation along ``ModelPath``), the loss jumps and their explanation, and the gaps,
  as a :class:`MonitorRecord` (``.to_json`` writes ``events.json``);
- :func:`monitor_slow_points`: the same record for a smooth model (a tanh RNN): the fixed and
  slow points of each checkpoint in place of cycles, ghosts between them, no bifurcation search;
- :class:`Monitor`: the same inside a training loop (``update`` each epoch, ``finish`` at the end),
  the analysis in a separate low-priority process.
"""

from ._afford import affordable_intervals as affordable_intervals
from ._afford import affordable_order as affordable_order
from ._analysis import CheckpointCycles as CheckpointCycles
from ._analysis import Gap as Gap
from ._analysis import TrainingEvent as TrainingEvent
from ._folder import CheckpointFolder as CheckpointFolder
from ._folder import read_checkpoint_folder as read_checkpoint_folder
from ._ghosts import Ghost as Ghost
from ._ghosts import new_ghosts as new_ghosts
from ._online import Monitor as Monitor
from ._record import EXPLANATIONS as EXPLANATIONS
from ._record import WINDOW as WINDOW
from ._record import MonitorRecord as MonitorRecord
from ._record import explain as explain
from ._record import jump_intervals as jump_intervals
from ._record import monitor_checkpoints as monitor_checkpoints
from ._slow_record import monitor_slow_points as monitor_slow_points
from ._tracks import Track as Track
from ._tracks import region_key as region_key
from ._tracks import track_cycles as track_cycles

__all__ = [
    "EXPLANATIONS", "WINDOW", "CheckpointCycles", "CheckpointFolder", "Gap", "Ghost", "Monitor",
    "MonitorRecord", "Track", "TrainingEvent", "affordable_intervals", "affordable_order", "explain",
    "jump_intervals", "monitor_checkpoints", "monitor_slow_points", "new_ghosts", "read_checkpoint_folder",
    "region_key", "track_cycles",
]
