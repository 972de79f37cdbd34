"""Low-rank RNNs on the delayed-activation (DA) task: training, latent flow, ghosts, the experiments.

Dinc et al., *A ghost mechanism: an analytical model of abrupt learning*, arXiv 2501.02378,
sections 4-5: the DA task, leaky tanh RNNs of rank one, R or full rank, exact BPTT (closed-kappa
for rank one, numpy for any rank, torch autograd as the reference), the latent flow with its fixed
points and ghosts, the no-learning zone, and the four experiments behind
``bifwatch reproduce ghost-*``.

Nothing here imports torch at import time; the PyTorch parts import it inside their functions.

>>> from bifwatch.studies import lowrank
>>> run = lowrank.train_da(lowrank.init_lowrank(20, seed=0), lr=0.02, epochs=30)
>>> run.loss.shape
(1, 30)
"""

from ._bptt import DAGradient as DAGradient
from ._bptt import autograd_gradient as autograd_gradient
from ._bptt import rank_one_gradient as rank_one_gradient
from ._bptt_lowrank import lowrank_gradient as lowrank_gradient
from ._experiment_rank import RankEffect as RankEffect
from ._experiment_rank import rank_experiment as rank_experiment
from ._experiment_remedies import ConfidenceRecovery as ConfidenceRecovery
from ._experiment_remedies import confidence_experiment as confidence_experiment
from ._experiments import AbruptLearning as AbruptLearning
from ._experiments import CollapseSpread as CollapseSpread
from ._experiments import NLZCollapse as NLZCollapse
from ._experiments import abrupt_learning_experiment as abrupt_learning_experiment
from ._experiments import collapse_experiment as collapse_experiment
from ._experiments import collapse_spread as collapse_spread
from ._latent import FlowCurve as FlowCurve
from ._latent import flow_curve as flow_curve
from ._latent import latent_flow as latent_flow
from ._latent import latent_slow_points as latent_slow_points
from ._lowrank import LowRankRNN as LowRankRNN
from ._lowrank import init_lowrank as init_lowrank
from ._lowrank_torch import lowrank_torch_module as lowrank_torch_module
from ._monitor import da_slow_points as da_slow_points
from ._monitor import monitor_da as monitor_da
from ._nlz import NLZResult as NLZResult
from ._nlz import no_learning_zone as no_learning_zone
from ._task import DATask as DATask
from ._training import DAEpoch as DAEpoch
from ._training import train_da as train_da
from ._training_run import DATrainingRun as DATrainingRun

__all__ = [
    "AbruptLearning", "CollapseSpread", "ConfidenceRecovery", "DAEpoch", "DAGradient", "DATask",
    "DATrainingRun", "FlowCurve", "LowRankRNN", "NLZCollapse", "NLZResult", "RankEffect",
    "abrupt_learning_experiment",
    "autograd_gradient", "collapse_experiment", "collapse_spread", "confidence_experiment", "da_slow_points",
    "flow_curve", "init_lowrank", "latent_flow", "latent_slow_points", "lowrank_gradient",
    "lowrank_torch_module", "monitor_da", "no_learning_zone", "rank_experiment", "rank_one_gradient",
    "train_da",
]
