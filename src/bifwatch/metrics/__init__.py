"""Metrics of dynamical-systems reconstruction: how well a model's generated series matches data.

- :func:`state_space_divergence`: D_stsp, the KL divergence between the state-space
  distributions (binned for N < 6, a Gaussian mixture for N >= 6);
- :func:`power_spectrum_distance`: D_H, the Hellinger distance between smoothed power spectra;
- :func:`power_spectra`: the smoothed, normalised power spectra that D_H compares;
- :func:`prediction_error`: PE(n), the mean squared n-step prediction error;
- :func:`max_lyapunov`: the largest Lyapunov exponent of a piecewise-linear model;
- :func:`evaluate_reconstruction`: the evaluation protocol (one long free run from the first
  test point, the transient dropped), giving a :class:`Reconstruction`.

Definitions as in ../shared/notes/training-and-dsr.md, section 8.
"""

from ._evaluation import Reconstruction as Reconstruction
from ._evaluation import evaluate_reconstruction as evaluate_reconstruction
from ._lyapunov import max_lyapunov as max_lyapunov
from ._prediction import prediction_error as prediction_error
from ._spectrum import power_spectra as power_spectra
from ._spectrum import power_spectrum_distance as power_spectrum_distance
from ._state_space import state_space_divergence as state_space_divergence

__all__ = [
    "Reconstruction", "evaluate_reconstruction", "max_lyapunov", "power_spectra", "power_spectrum_distance",
    "prediction_error", "state_space_divergence",
]
