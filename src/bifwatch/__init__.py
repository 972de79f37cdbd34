"""bifwatch: exact fixed points, cycles and bifurcations of piecewise-linear RNNs; slow points and
ghosts of any recurrent model.

Public API (everything else is private):
"""

from .bifurcations import EVENT_TYPES as EVENT_TYPES
from .bifurcations import BifurcationDiagram as BifurcationDiagram
from .bifurcations import BifurcationEvent as BifurcationEvent
from .bifurcations import Branch as Branch
from .bifurcations import ModelPath as ModelPath
from .bifurcations import ParameterMap as ParameterMap
from .bifurcations import ParameterPath as ParameterPath
from .bifurcations import bifurcation_diagram as bifurcation_diagram
from .bifurcations import parameter_map as parameter_map
from .ghosts import Matching as Matching
from .ghosts import SlowPointFinder as SlowPointFinder
from .ghosts import SlowPoints as SlowPoints
from .ghosts import exact_slow_points as exact_slow_points
from .ghosts import find_slow_points as find_slow_points
from .ghosts import sample_states as sample_states
from .ghosts import speed as speed
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
from .plotting import plot_cycles as plot_cycles
from .plotting import plot_slow_points as plot_slow_points
from .plotting import plot_speed as plot_speed
from .search import SCYFI as SCYFI
from .search import Cycle as Cycle
from .search import CycleSearchResult as CycleSearchResult
from .search import Exhaustive as Exhaustive
from .search import OrderStats as OrderStats
from .search import RegionPool as RegionPool
from .search import find_cycles as find_cycles
from .search import parse_orders as parse_orders
from .search import region_pool as region_pool
from .search import same_cycle as same_cycle
from .sweep import SweepStore as SweepStore
from .sweep import run_tasks as run_tasks

__version__ = "0.1.0"
