"""Figures: state-space plots of cycles (more come with bifurcation diagrams)."""

from ._diagram import plot_diagram as plot_diagram
from ._state_space import plot_cycles as plot_cycles
