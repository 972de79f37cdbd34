"""Figures: cycles in state space, bifurcation diagrams and maps, slow points, the studies' panels.

The top analysis floor: every function draws the result it is given and computes no analysis
(the caller, usually the result's own ``.plot()``, computes orbits, flows or slow points first).
Nothing here imports an analysis package; results are recognised by what they hold.
"""

from ._diagram import plot_diagram as plot_diagram
from ._loss_jumps import plot_gradient_theorem as plot_gradient_theorem
from ._loss_jumps import plot_gtf as plot_gtf
from ._loss_jumps import plot_loss_jumps as plot_loss_jumps
from ._lowrank import plot_abrupt as plot_abrupt
from ._lowrank import plot_collapse as plot_collapse
from ._lowrank import plot_confidence_experiment as plot_confidence_experiment
from ._lowrank import plot_da_training as plot_da_training
from ._lowrank import plot_latent_flow as plot_latent_flow
from ._lowrank import plot_rank_experiment as plot_rank_experiment
from ._map import plot_map as plot_map
from ._reconstruction import plot_reconstruction as plot_reconstruction
from ._report import write_report as write_report
from ._slow_points import plot_slow_points as plot_slow_points
from ._speed import plot_speed as plot_speed
from ._state_space import plot_cycles as plot_cycles
from ._toy import plot_ghost_toy as plot_ghost_toy

__all__ = [
    "plot_abrupt", "plot_collapse", "plot_confidence_experiment", "plot_cycles", "plot_da_training",
    "plot_diagram", "plot_ghost_toy", "plot_latent_flow", "plot_map", "plot_rank_experiment",
    "plot_reconstruction", "plot_slow_points", "plot_speed",
    "write_report",
]
__all__ += ["plot_gradient_theorem", "plot_gtf", "plot_loss_jumps"]
