"""Loss jumps and bifurcations in RNN training: Eisenmann et al., NeurIPS 2023 (arXiv 2310.17561).

2-D PLRNN students trained toward the teacher with a stable 16-cycle
(:func:`bifwatch.datasets.plrnn_cycle_teacher`) by full-batch gradient descent on the generalized
teacher forcing (GTF) loss, batched over seeds in numpy with the exact BPTT gradient:

- :func:`loss_jumps_experiment`: Fig. 3, the loss and gradient-norm landscape over
  (Δa11, Δa22) with the exact bifurcation curves of :func:`bifwatch.parameter_map`, training
  paths, and the share of loss jumps with a bifurcation in the window before them (against
  random control epochs);
- :func:`gtf_experiment`: Fig. 5, the same training at α = 0 and α = 0.1, every run monitored;
- :func:`gradient_theorem_experiment`: |dL/da| at a degenerate transcritical bifurcation
  (slope -3 against 1 - a) and the gradients across a border collision.

>>> from bifwatch.studies import loss_jumps
>>> from bifwatch.datasets import plrnn_cycle, plrnn_cycle_teacher
>>> theta = loss_jumps.student_vector(plrnn_cycle_teacher())[None]
>>> loss, _ = loss_jumps.gtf_loss_and_gradient(theta, plrnn_cycle(steps=100).train, alpha=0.1)
>>> bool(loss[0] < 1e-28)     # the teacher fits its own series
True
"""

from ._experiment_gtf import GTFResult as GTFResult
from ._experiment_gtf import GTFRun as GTFRun
from ._experiment_gtf import gtf_experiment as gtf_experiment
from ._experiment_jumps import LossJumpsResult as LossJumpsResult
from ._experiment_jumps import Zoom as Zoom
from ._experiment_jumps import loss_jumps_experiment as loss_jumps_experiment
from ._experiment_jumps import zoom_on as zoom_on
from ._gradient import GradientTheoremResult as GradientTheoremResult
from ._gradient import fixed_point_gradient as fixed_point_gradient
from ._gradient import gradient_theorem_experiment as gradient_theorem_experiment
from ._gradient import log_slope as log_slope
from ._gradient import trajectory_gradient_a as trajectory_gradient_a
from ._gradient import trajectory_gradient_h as trajectory_gradient_h
from ._jumps import RunJumps as RunJumps
from ._jumps import analyse_jumps as analyse_jumps
from ._jumps import spread_sample as spread_sample
from ._landscape import Landscape as Landscape
from ._landscape import loss_landscape as loss_landscape
from ._student import PARAMETERS as PARAMETERS
from ._student import StudentRuns as StudentRuns
from ._student import gtf_loss_and_gradient as gtf_loss_and_gradient
from ._student import initial_students as initial_students
from ._student import student_model as student_model
from ._student import student_vector as student_vector
from ._student import train_students as train_students
from ._windows import WindowEvents as WindowEvents
from ._windows import explained as explained
from ._windows import is_signature as is_signature
from ._windows import segments as segments
from ._windows import window_events as window_events

__all__ = [
    "PARAMETERS",
    "GTFResult",
    "GTFRun",
    "GradientTheoremResult",
    "Landscape",
    "LossJumpsResult",
    "RunJumps",
    "StudentRuns",
    "WindowEvents",
    "Zoom",
    "analyse_jumps",
    "explained",
    "fixed_point_gradient",
    "gradient_theorem_experiment",
    "gtf_experiment",
    "gtf_loss_and_gradient",
    "initial_students",
    "is_signature",
    "log_slope",
    "loss_jumps_experiment",
    "loss_landscape",
    "segments",
    "spread_sample",
    "student_model",
    "student_vector",
    "train_students",
    "trajectory_gradient_a",
    "trajectory_gradient_h",
    "window_events",
    "zoom_on",
]
