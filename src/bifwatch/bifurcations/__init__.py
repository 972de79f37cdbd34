"""Bifurcations: exact continuation of cycles along parameter paths, diagrams and parameter maps."""

from ._branches import Branch as Branch
from ._diagram import BifurcationDiagram as BifurcationDiagram
from ._diagram import bifurcation_diagram as bifurcation_diagram
from ._events import EVENT_TYPES as EVENT_TYPES
from ._events import BifurcationEvent as BifurcationEvent
from ._map import ParameterMap as ParameterMap
from ._map import parameter_map as parameter_map
from ._orbits import orbit_tails as orbit_tails
from ._path import ModelPath as ModelPath
from ._path import ParameterPath as ParameterPath

__all__ = [
    "EVENT_TYPES",
    "BifurcationDiagram",
    "BifurcationEvent",
    "Branch",
    "ModelPath",
    "ParameterMap",
    "ParameterPath",
    "bifurcation_diagram",
    "orbit_tails",
    "parameter_map",
]
