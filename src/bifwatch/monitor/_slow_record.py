"""The monitor's record of a smooth model's run: slow points per checkpoint instead of cycles.

For a model without exact cycles (a tanh RNN, a GRU, the low-rank networks of the ghost study)
there is no cycle search and no exact continuation: the checkpoints' fixed and slow points are
compared instead, by the rule of the piecewise-linear monitor (:func:`new_ghosts`), and every
loss jump is explained by the same :func:`explain`. Written as the same ``events.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..ghosts import SlowPoints
from ..training import gradient_spikes, loss_jumps
from ._analysis import CheckpointCycles, Gap
from ._ghosts import DEEPENING, MATCH_TOL, Ghost, new_ghosts
from ._record import WINDOW, MonitorRecord, _curves, check_window, explain, ghost_links

#: What the settings say in place of a cycle search and a bifurcation search.
NOT_SEARCHED = {"cycles": "not searched (smooth model)",
                "bifurcations": "not searched (no exact continuation for smooth models)"}


def monitor_slow_points(slow_points: Sequence[SlowPoints], epochs: Sequence[float], *, loss=None,
                        loss_epochs=None, grad_norm=None, history: Mapping[str, Sequence] | None = None,
                        window: float = WINDOW, paths: Sequence[str] | None = None,
                        deepening: float = DEEPENING, tol: float = MATCH_TOL,
                        settings: Mapping | None = None) -> MonitorRecord:
    """The record of a run from each checkpoint's fixed and slow points and the loss curve.

    Parameters
    ----------
    slow_points : sequence of SlowPoints
        One per checkpoint, in epoch order, all of one dimension M and one ``time`` (e.g.
        :func:`bifwatch.find_slow_points` of each checkpoint, see Notes).
    epochs : sequence of float, shape (C,)
        Their epochs, finite and strictly increasing (not necessarily evenly spaced).
    loss, loss_epochs : arrays, shape (E,), optional
        The loss curve and its epochs (default: positions 0, 1, ...). No loss: no jumps.
    grad_norm : array, shape (E,), optional
        The gradient norm at the loss epochs: its spikes are recorded too.
    history : mapping of column -> array, optional
        Columns kept in the record (and drawn in the report); ``loss``, ``grad_norm`` and
        ``epoch`` are taken from it when not given.
    window : float, default 2
        In epochs: the ghosts seen at the checkpoints in [e - 1 - window, e + window] explain a
        jump at e (:func:`bifwatch.monitor.explain`). Widen it when checkpoints are sparse.
    paths : sequence of str, optional
        Where each checkpoint was read from (written into ``checkpoints``).
    deepening, tol : float
        The ghost rule's factor and matching tolerance (:func:`bifwatch.monitor.new_ghosts`).
    settings : mapping, optional
        More entries for the record's ``settings``.

    Returns
    -------
    MonitorRecord
        ``bifurcations`` empty and no cycles at any checkpoint (``settings`` says they were not
        searched, ``max_order`` is 0); ``ghosts`` every ghost between consecutive checkpoints;
        ``gaps`` every change in the number of fixed points (order 1), which no event accounts
        for; ``loss_jumps`` each with ``ghost`` (and the ghosts' indices), ``divergence`` or
        ``unexplained``.

    Raises
    ------
    TypeError
        An entry of ``slow_points`` that is not a SlowPoints.
    ValueError
        Lengths that differ (slow points, epochs, paths; loss, loss epochs, gradient norm),
        epochs not strictly increasing, slow points of different dimension or time, a negative
        window.

    Notes
    -----
    Between checkpoints i - 1 and i, :func:`new_ghosts` gives the slow points of i that
    appeared (unmatched, or matched to a fixed point: a saddle-node's remnant) or deepened (q
    fell by ``deepening``). Jumps come from :func:`bifwatch.training.loss_jumps`, spikes of the
    gradient norm from :func:`bifwatch.training.gradient_spikes`. Slow points are given, so
    every interval is compared, not only those around jumps.

    The slow points of a PyTorch module at each checkpoint: run it on the task, draw starts from
    its hidden states with :func:`bifwatch.sample_states` and search from them with
    :func:`bifwatch.find_slow_points` (seeding each search with the last checkpoint's points keeps
    a slowly moving ghost in view)::

        found = []
        for state in checkpoints:                        # e.g. saved state_dicts
            rnn.load_state_dict(state)
            hidden, _ = rnn(inputs)                      # (B, T, M) trajectories
            starts = bw.sample_states(hidden.detach(), 512, noise=0.01)
            if found:
                starts = np.vstack([found[-1].points, starts])
            found.append(bw.find_slow_points(rnn, starts, input=u))
        record = monitor_slow_points(found, epochs, loss=loss)

    Examples
    --------
    The ghost of dx/dt = r + x^2 at x = 0 (q = r^2 / 2) deepens as r falls from 0.4 to 0.05
    between epochs 100 and 150, and the loss drops at epoch 150:

    >>> from bifwatch.ghosts import SlowPoints
    >>> def ghost(r):
    ...     return SlowPoints.build(np.zeros((1, 1)), q=[r * r / 2], jacobians=np.zeros((1, 1, 1)),
    ...                             time="continuous")
    >>> loss = np.where(np.arange(300) < 150, 1.0, 0.1)
    >>> record = monitor_slow_points([ghost(r) for r in (0.4, 0.4, 0.4, 0.05, 0.05, 0.05)],
    ...                              [0, 50, 100, 150, 200, 250], loss=loss)
    >>> [(j.epoch, why) for j, (why, _) in zip(record.jumps, record.explanations)]
    [(150, 'ghost')]
    >>> [(g.since, g.epoch, g.kind, round(g.factor)) for g in record.ghosts]
    [(100.0, 150.0, 'deepened', 64)]
    """
    epochs = _check_checkpoints(slow_points, epochs, paths)
    window = check_window(window)
    loss, loss_epochs, grad_norm = _curves(loss, loss_epochs, grad_norm, history)
    _check_curves(loss, loss_epochs, grad_norm)
    ghosts = ghosts_between(slow_points, epochs, deepening=deepening, tol=tol)
    jumps = () if loss is None else loss_jumps(loss, epochs=loss_epochs)
    spikes = () if grad_norm is None else gradient_spikes(grad_norm, epochs=loss_epochs)
    settings = {"max_order": 0, **NOT_SEARCHED, "window": window, "ghosts": True,
                "slow_points": "given per checkpoint", "deepening": deepening, "match_tol": tol,
                **(settings or {})}
    return MonitorRecord(
        checkpoints=tuple(CheckpointCycles(e, None) for e in epochs),
        paths=tuple(paths) if paths is not None else (None,) * len(epochs),
        bifurcations=(), failures=(), gaps=tuple(fixed_point_gaps(slow_points, epochs)), jumps=tuple(jumps),
        explanations=tuple(explain(jumps, (), window=window, ghosts=ghosts)), settings=settings,
        jump_ghosts=tuple(ghost_links(jumps, (), ghosts, window=window)), ghosts=tuple(ghosts),
        gradient_spikes=tuple(spikes), history=None if history is None else dict(history))


def ghosts_between(slow_points: Sequence[SlowPoints], epochs: Sequence[float], *,
                   deepening: float = DEEPENING, tol: float = MATCH_TOL) -> list[Ghost]:
    """:func:`new_ghosts` of every pair of consecutive checkpoints, in epoch order."""
    return [g for i in range(1, len(slow_points))
            for g in new_ghosts(slow_points[i - 1], slow_points[i], epochs=(epochs[i - 1], epochs[i]),
                                deepening=deepening, tol=tol)]


def fixed_point_gaps(slow_points: Sequence[SlowPoints], epochs: Sequence[float]) -> list[Gap]:
    """A :class:`Gap` of order 1 wherever the number of fixed points changes between checkpoints:
    a bifurcation happened that no event accounts for (none were searched)."""
    counts = [int(np.count_nonzero(sp.kind == "fixed")) for sp in slow_points]
    return [Gap((epochs[i - 1], epochs[i]), 1, counts[i] - counts[i - 1], 0)
            for i in range(1, len(counts)) if counts[i] != counts[i - 1]]


def _check_checkpoints(slow_points, epochs, paths) -> list[float]:
    slow_points = list(slow_points)
    for i, sp in enumerate(slow_points):
        if not isinstance(sp, SlowPoints):
            raise TypeError(f"`slow_points[{i}]` must be a SlowPoints (e.g. from bifwatch.find_slow_points); "
                            f"got {type(sp).__name__}")
    epochs = np.asarray(epochs, dtype=float).reshape(-1).tolist()
    if len(slow_points) != len(epochs) or not slow_points:
        raise ValueError(f"`slow_points` and `epochs` must have the same length >= 1 (one per checkpoint); "
                         f"got {len(slow_points)} and {len(epochs)}")
    if not np.all(np.isfinite(epochs)) or np.any(np.diff(epochs) <= 0):
        raise ValueError(f"`epochs` must be finite and increase strictly; got {epochs}")
    if paths is not None and len(paths) != len(epochs):
        raise ValueError(f"`paths` must have one entry per checkpoint ({len(epochs)}); got {len(paths)}")
    first = slow_points[0]
    for i, sp in enumerate(slow_points):
        if (sp.M, sp.time) != (first.M, first.time):
            raise ValueError(f"all slow points must be of one model: dimension M = {first.M}, time "
                             f"{first.time!r} (those of checkpoint 0); checkpoint {i} has M = {sp.M}, "
                             f"time {sp.time!r}")
    return epochs


def _check_curves(loss, loss_epochs, grad_norm) -> None:
    if loss is None:
        return
    if loss_epochs is not None and np.shape(loss_epochs) != np.shape(loss):
        raise ValueError(f"`loss_epochs` must have the shape of `loss` {np.shape(loss)}; "
                         f"got {np.shape(loss_epochs)}")
    if grad_norm is not None and np.shape(grad_norm) != np.shape(loss):
        raise ValueError(f"`grad_norm` must have the shape of `loss` {np.shape(loss)}; "
                         f"got {np.shape(grad_norm)}")
