"""Slow points and ghosts of recurrent models: where the speed q = |F(z) - z|²/2 has a local minimum.

Fixed points (q = 0) and slow points, ghosts (q > 0), of any PyTorch recurrent model by a batched
finder, and exactly for piecewise-linear models; matched across checkpoints (Dinc et al., arXiv
2501.02378).

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

__all__ = [
    "Matching", "SlowPointFinder", "SlowPoints", "exact_slow_points", "find_slow_points", "sample_states",
    "speed",
]
