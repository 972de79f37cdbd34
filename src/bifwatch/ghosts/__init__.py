"""Ghosts: slow points, and low-rank RNNs on the
delayed-activation task (Dinc et al., arXiv 2501.02378).

Nothing here imports torch at import time; the PyTorch parts import it inside their functions.
"""

from ._slow_points import Matching as Matching
from ._slow_points import SlowPoints as SlowPoints

# --- slow-point finder for PyTorch models (_finder*.py) ---
# isort: split
from ._finder import SlowPointFinder as SlowPointFinder
from ._finder import find_slow_points as find_slow_points
from ._finder import speed as speed
from ._finder_states import sample_states as sample_states

# --- exact slow points of piecewise-linear models (_exact*.py) ---
# isort: split
from ._exact import exact_slow_points as exact_slow_points

# --- low-rank RNNs on the delayed-activation task (_lowrank*.py, _task*.py, _latent*.py) ---
# isort: split
from ._bptt import DAGradient as DAGradient
from ._bptt import autograd_gradient as autograd_gradient
from ._bptt import rank_one_gradient as rank_one_gradient
from ._bptt_lowrank import lowrank_gradient as lowrank_gradient
from ._experiment_rank import RankEffect as RankEffect
from ._experiment_rank import rank_experiment as rank_experiment
from ._experiment_remedies import ConfidenceRecovery as ConfidenceRecovery
from ._experiment_remedies import confidence_experiment as confidence_experiment
from ._experiments import AbruptLearning as AbruptLearning
from ._experiments import NLZCollapse as NLZCollapse
from ._experiments import abrupt_learning_experiment as abrupt_learning_experiment
from ._experiments import collapse_experiment as collapse_experiment
from ._latent import latent_flow as latent_flow
from ._latent import latent_slow_points as latent_slow_points
from ._lowrank import LowRankRNN as LowRankRNN
from ._lowrank import init_lowrank as init_lowrank
from ._lowrank_torch import lowrank_torch_module as lowrank_torch_module
from ._nlz import NLZResult as NLZResult
from ._nlz import no_learning_zone as no_learning_zone
from ._task import DATask as DATask
from ._training import DAEpoch as DAEpoch
from ._training import train_da as train_da
from ._training_run import DATrainingRun as DATrainingRun
from ._training_run import loss_drops as loss_drops
