"""A DA training run as the monitor's record: the exact latent slow points of every analysed epoch,
the ghosts between them, the loss jumps and their explanation (:mod:`bifwatch.monitor`)."""

from __future__ import annotations

import numpy as np

from ...ghosts import SlowPoints
from ...monitor import MonitorRecord, monitor_slow_points
from ._latent import Q_FIXED
from ._training_run import DATrainingRun

#: The record's default window, in epochs: from the first-drop jump to the analysed epoch before
#: the ghost is first seen took 0-500 epochs at lr 0.003 (seeds 0-9, N = 100, every 100 epochs)
#: and 100-800 at lr 0.006 (the 8 of seeds 0-19 that learned within 16k epochs, every 50).
WINDOW_EPOCHS = 1000.0


def da_slow_points(run: DATrainingRun, index: int = 0) -> list[SlowPoints]:
    """The latent fixed points and ghosts of network ``index`` at each analysed epoch.

    Parameters
    ----------
    run : DATrainingRun
        A rank-one run with latent-flow records (``analyse_every`` > 0).
    index : int, default 0
        Which network.

    Returns
    -------
    list of SlowPoints, one per ``run.analysis_epochs``
        ``time="continuous"``, points kappa (n, 1): the zeros of F (q = 0, Jacobian F') and the
        ghosts (q = F^2 / 2, Jacobian 0: F is extremal there), as :func:`latent_slow_points`
        finds them (at most 8 of each kind per epoch are stored).

    Raises
    ------
    ValueError
        A run without latent-flow records, or ``index`` out of range.

    Examples
    --------
    >>> from bifwatch.studies.lowrank import init_lowrank, train_da
    >>> run = train_da(init_lowrank(20, seed=0), lr=0.02, epochs=30, analyse_every=10)
    >>> [sp.kind.tolist() for sp in da_slow_points(run)]
    [['fixed'], ['fixed'], ['fixed']]
    """
    i = _checked(run, index)
    return [_slow_points(run, i, a) for a in range(run.analysis_epochs.size)]


def monitor_da(run: DATrainingRun, index: int = 0, *, window: float | None = None) -> MonitorRecord:
    """The monitor's record of network ``index`` of a DA run (``bifwatch ghost rnn --events``).

    Parameters
    ----------
    run : DATrainingRun
        A rank-one run with latent-flow records (``analyse_every`` > 0).
    index : int, default 0
        Which network.
    window : float, optional
        In epochs (see :func:`bifwatch.monitor.explain`): the ghosts seen at the analysed epochs in
        [e - 1 - window, e + window] explain a jump at e. Default ``WINDOW_EPOCHS`` = 1000,
        and at least one analysis interval.

    Returns
    -------
    MonitorRecord
        From :func:`bifwatch.monitor.monitor_slow_points`: the checkpoints are the analysed
        epochs; ``history`` holds loss, gradient norm, accuracy, fixed-point count, ghost count
        and F_min there.

    Raises
    ------
    ValueError
        A run without latent-flow records, ``index`` out of range, a negative window.

    Notes
    -----
    The jumps are those of the loss *at the analysed epochs* (one value per interval of K
    epochs), by :func:`bifwatch.training.loss_jumps`. The first abrupt drop (0.99 to 0.4) takes
    five to ten epochs, none of which falls by the rule's factor 1.5; over one interval it is a
    single fall by a factor 2.5-3 and a jump at the end of that interval, as the loss changes
    from one checkpoint to the next in the rest of the monitor.

    The ghost forms *after* the first drop (ghost note, §9.1): the fixed point jumps past the
    threshold first, and within about 500 epochs a local minimum of F above zero appears near
    kappa = -1.5 and pulls kappa_0 onto it, the loss falling on to about 0.02. The window
    reaches that far forward so that the drop and the ghost it leads to are linked; the record
    keeps the order visible (each ghost's ``since`` and ``epoch`` against the jump's epoch). The
    fall onto the ghost comes at its appearance and is a ``ghost`` jump at any window. At higher
    learning rates networks learn with no ghost near the drop (lr 0.008 and 0.01, N = 100: none
    of 16 learners had one within 1000 epochs of it): those jumps are ``unexplained``. There is
    no bifurcation in successful learning (one fixed point throughout); where the number of fixed
    points changes (a saddle-node, e.g. the collapse into the no-learning zone) the record has an
    order-1 gap, since no bifurcation search is run.

    Examples
    --------
    >>> from bifwatch.studies.lowrank import init_lowrank, train_da
    >>> run = train_da(init_lowrank(20, seed=0), lr=0.02, epochs=30, analyse_every=10)
    >>> record = monitor_da(run)
    >>> record.epochs, record.settings["window"]
    ([0.0, 10.0, 20.0], 1000.0)
    """
    i = _checked(run, index)
    epochs = run.analysis_epochs
    cadence = int(epochs[1] - epochs[0]) if epochs.size > 1 else run.epochs
    window = max(WINDOW_EPOCHS, cadence) if window is None else window
    history = {"epoch": epochs, "loss": run.loss[i, epochs], "grad_norm": run.grad_norm[i, epochs],
               "accuracy": run.accuracy[i, epochs], "n_fixed": run.n_fixed[i], "n_ghosts": run.n_ghosts[i],
               "f_min": run.f_min[i]}
    settings = {"model": f"rank-one RNN on the DA task, network {i} of {run.S}, lr {run.lr[i]:g}",
                "slow_points": "exact zeros and ghosts of the latent flow F(kappa) at each analysed epoch",
                "analyse_every": cadence, "loss_epochs": f"the analysed epochs (every {cadence})"}
    return monitor_slow_points(da_slow_points(run, i), epochs, history=history, window=window,
                               settings=settings)


def _checked(run: DATrainingRun, index: int) -> int:
    if not isinstance(run, DATrainingRun):
        raise TypeError(f"`run` must be a DATrainingRun (from train_da); got {type(run).__name__}")
    if run.analysis_epochs.size == 0:
        raise ValueError("`run` has no latent-flow records: train rank-one networks with analyse_every > 0 "
                         "(the default, 100)")
    return run._index(index)


def _slow_points(run: DATrainingRun, i: int, a: int) -> SlowPoints:
    fixed, slopes = run.fixed_points[i, a], run.fixed_slope[i, a]
    ghosts, depths = run.ghosts[i, a], run.ghost_flow[i, a]
    fixed, slopes = fixed[~np.isnan(fixed)], slopes[~np.isnan(fixed)]
    ghosts, depths = ghosts[~np.isnan(ghosts)], depths[~np.isnan(ghosts)]
    message = (f"epoch {int(run.analysis_epochs[a])}: {run.n_fixed[i, a]} zeros and {run.n_ghosts[i, a]} "
               "ghosts of the latent flow (at most 8 of each kept)")
    return SlowPoints.build(np.r_[fixed, ghosts], q=np.r_[np.zeros(fixed.size), 0.5 * depths**2],
                            jacobians=np.r_[slopes, np.zeros(ghosts.size)], time="continuous",
                            q_fixed=Q_FIXED, message=message)
