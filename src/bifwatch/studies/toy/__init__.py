"""The saddle-node toy model of abrupt learning: dx/dt = r + x² on the delayed-activation task.

Dinc et al., *A ghost mechanism: an analytical model of abrupt learning*, arXiv 2501.02378: the
analytic loss and its gradient, the Euler simulation with its exact gradient, gradient descent on
r, learning-rate sweeps, the critical learning rate 3π⁴/32T⁵ and the paper's figure panels.

>>> from bifwatch.studies import toy
>>> model = toy.DelayedActivationToy(T=100)
>>> f"{model.critical_lr:.3g}"
'9.13e-10'
"""

from ._descent import ToyDescent as ToyDescent
from ._descent import gradient_descent as gradient_descent
from ._descent import initial_values as initial_values
from ._model import DelayedActivationToy as DelayedActivationToy
from ._model import analytic_gradient as analytic_gradient
from ._model import analytic_loss as analytic_loss
from ._model import blowup_time as blowup_time
from ._model import critical_learning_rate as critical_learning_rate
from ._model import flow_epochs as flow_epochs
from ._model import simulated_loss as simulated_loss
from ._model import simulated_loss_and_gradient as simulated_loss_and_gradient
from ._report import ToyReport as ToyReport
from ._report import gradient_vs_confidence as gradient_vs_confidence
from ._report import report as report
from ._sweep import ToyLearningRateSweep as ToyLearningRateSweep
from ._sweep import default_rates as default_rates
from ._sweep import empirical_critical_lr as empirical_critical_lr
from ._sweep import learning_rate_sweep as learning_rate_sweep

__all__ = [
    "DelayedActivationToy", "ToyDescent", "ToyLearningRateSweep", "ToyReport", "analytic_gradient",
    "analytic_loss", "blowup_time", "critical_learning_rate", "default_rates", "empirical_critical_lr",
    "flow_epochs", "gradient_descent", "gradient_vs_confidence", "initial_values", "learning_rate_sweep",
    "report", "simulated_loss", "simulated_loss_and_gradient",
]
