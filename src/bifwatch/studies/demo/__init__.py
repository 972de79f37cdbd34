"""The demo: a small model trained through bifurcations, watched by the monitor (``bifwatch demo``).

- :func:`run_demo`: train a 2-D PLRNN student toward the loss-jumps paper's 16-cycle teacher with
  bifwatch's trainer, hand every checkpoint to a :class:`bifwatch.Monitor`, and write
  ``events.json`` and ``report.html``; :data:`DEMO` holds its settings.
"""

from ._demo import DEMO as DEMO
from ._demo import DemoResult as DemoResult
from ._demo import DemoSettings as DemoSettings
from ._demo import perturbed_teacher as perturbed_teacher
from ._demo import run_demo as run_demo

__all__ = ["DEMO", "DemoResult", "DemoSettings", "perturbed_teacher", "run_demo"]
