"""Metrics of dynamical-systems reconstruction: how well a model's generated series matches data.

- :func:`state_space_divergence`: D_stsp, the KL divergence between the state-space
  distributions (binned for N < 6, a Gaussian mixture for N >= 6);
- :func:`power_spectrum_distance`: D_H, the Hellinger distance between smoothed power spectra;
- :func:`max_lyapunov`: the largest Lyapunov exponent of a piecewise-linear model.

Definitions as in ../shared/notes/training-and-dsr.md, section 8.
"""

from ._lyapunov import max_lyapunov as max_lyapunov
from ._spectrum import power_spectrum_distance as power_spectrum_distance
from ._state_space import state_space_divergence as state_space_divergence

__all__ = ["max_lyapunov", "power_spectrum_distance", "state_space_divergence"]
