"""Figures: cycles in state space, bifurcation diagrams and maps, slow points, ghost experiments."""

from ._diagram import plot_diagram as plot_diagram
from ._ghost_rnn import plot_abrupt as plot_abrupt
from ._ghost_rnn import plot_collapse as plot_collapse
from ._ghost_rnn import plot_confidence_experiment as plot_confidence_experiment
from ._ghost_rnn import plot_da_training as plot_da_training
from ._ghost_rnn import plot_latent_flow as plot_latent_flow
from ._ghost_rnn import plot_rank_experiment as plot_rank_experiment
from ._ghost_toy import plot_ghost_toy as plot_ghost_toy
from ._map import plot_map as plot_map
from ._slow_points import plot_slow_points as plot_slow_points
from ._speed import plot_speed as plot_speed
from ._state_space import plot_cycles as plot_cycles
