"""Training reconstruction models of the PLRNN family on dynamical systems (imports torch).

BPTT with no forcing, sparse teacher forcing, generalized teacher forcing (constant or adaptive
alpha), RAdam with an exponentially decaying learning rate, batches of random windows; every
random choice seeded. A run lives in a folder:

- ``RUN/config.toml``: every setting (:class:`TrainSettings`), so ``--config`` repeats the run;
- ``RUN/history.csv``: one row per finished epoch: ``epoch, loss, grad_norm, grad_norm_max,
  grad_norm/<parameter>..., lr, alpha, wall_time, epoch_time``;
- ``RUN/checkpoints/epoch_EEEEEE.npz``: the model after epoch E (0: the initialisation), every
  ``checkpoint_every`` epochs and the last; each is read by :func:`bifwatch.load_model` (and its
  observation by :func:`bifwatch.models.load_observation`); nothing else is in that folder;
- ``RUN/state/resume.pt``: what resuming needs (parameters, optimiser, generator, alpha);
- ``RUN/status.json``: ``running``, ``finished``, ``diverged`` (with the reason) or
  ``interrupted``.

See docs/training.md.
"""

from ._data import RunData as RunData
from ._data import Windows as Windows
from ._data import data_hash as data_hash
from ._data import load_run_data as load_run_data
from ._forcing import FORCINGS as FORCINGS
from ._forcing import jacobian_norm_estimate as jacobian_norm_estimate
from ._forcing import optimal_alpha as optimal_alpha
from ._forcing import unroll as unroll
from ._forcing import update_alpha as update_alpha
from ._run import RunFolder as RunFolder
from ._settings import TrainSettings as TrainSettings
from ._settings import read_settings as read_settings
from ._settings import write_settings as write_settings
from ._trainer import TrainResult as TrainResult
from ._trainer import train as train
from ._trainer import train_task as train_task

__all__ = [
    "FORCINGS", "RunData", "RunFolder", "TrainResult", "TrainSettings", "Windows", "data_hash",
    "jacobian_norm_estimate",
    "load_run_data", "optimal_alpha", "read_settings", "train", "train_task", "unroll",
    "update_alpha", "write_settings",
]
