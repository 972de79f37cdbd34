"""bifwatch: exact fixed points, cycles and bifurcations of piecewise-linear RNNs; slow points and
ghosts of any recurrent model.

The core nouns and verbs live here; the rest under their own namespaces:

- :mod:`bifwatch.plotting`: the figures (results also draw themselves with ``.plot()``);
- :mod:`bifwatch.sweep`: running tasks on worker processes or a Dask cluster, resumable;
- :mod:`bifwatch.training`: checkpoints, resume, loss-jump detection;
- :mod:`bifwatch.studies`: the paper studies (``studies.toy``, ``studies.lowrank``).

Everything not listed in a package's ``__all__`` is private.
"""

# models
from .models import ALRNN as ALRNN
from .models import PLRNN as PLRNN
from .models import AbstractPLRNN as AbstractPLRNN
from .models import ClippedShPLRNN as ClippedShPLRNN
from .models import ReLURNN as ReLURNN
from .models import ShPLRNN as ShPLRNN
from .models import check_model as check_model
from .models import from_rnn_state_dict as from_rnn_state_dict
from .models import from_torch_rnn as from_torch_rnn
from .models import list_examples as list_examples
from .models import load_model as load_model
from .models import load_torch_rnn as load_torch_rnn
from .models import save_model as save_model

# isort: split
# search
from .search import SCYFI as SCYFI
from .search import Cycle as Cycle
from .search import CycleSearchResult as CycleSearchResult
from .search import Exhaustive as Exhaustive
from .search import OrderStats as OrderStats
from .search import RegionPool as RegionPool
from .search import find_cycles as find_cycles
from .search import region_pool as region_pool
from .search import same_cycle as same_cycle

# isort: split
# bifurcations
from .bifurcations import EVENT_TYPES as EVENT_TYPES
from .bifurcations import BifurcationDiagram as BifurcationDiagram
from .bifurcations import BifurcationEvent as BifurcationEvent
from .bifurcations import Branch as Branch
from .bifurcations import ModelPath as ModelPath
from .bifurcations import ParameterMap as ParameterMap
from .bifurcations import ParameterPath as ParameterPath
from .bifurcations import bifurcation_diagram as bifurcation_diagram
from .bifurcations import parameter_map as parameter_map

# isort: split
# slow points and ghosts
from .ghosts import Matching as Matching
from .ghosts import SlowPointFinder as SlowPointFinder
from .ghosts import SlowPoints as SlowPoints
from .ghosts import exact_slow_points as exact_slow_points
from .ghosts import find_slow_points as find_slow_points
from .ghosts import sample_states as sample_states
from .ghosts import speed as speed

# --- the training monitor ---
# isort: split
from .monitor import Monitor as Monitor

__version__ = "0.1.0"

__all__ = [  # noqa: RUF022 (grouped by floor, as above)
    # models
    "ALRNN", "PLRNN", "AbstractPLRNN", "ClippedShPLRNN", "ReLURNN", "ShPLRNN", "check_model",
    "from_rnn_state_dict", "from_torch_rnn", "list_examples", "load_model", "load_torch_rnn", "save_model",
    # search
    "SCYFI", "Cycle", "CycleSearchResult", "Exhaustive", "OrderStats", "RegionPool", "find_cycles",
    "region_pool", "same_cycle",
    # bifurcations
    "EVENT_TYPES", "BifurcationDiagram", "BifurcationEvent", "Branch", "ModelPath", "ParameterMap",
    "ParameterPath", "bifurcation_diagram", "parameter_map",
    # slow points and ghosts
    "Matching", "SlowPointFinder", "SlowPoints", "exact_slow_points", "find_slow_points", "sample_states",
    "speed",
    # the training monitor
    "Monitor",
]
