"""The monitor inside a training loop: ``update`` every epoch, the analysis in another process."""

from __future__ import annotations

import math
import os
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._validation import check_int
from ..models import AbstractPLRNN, save_model
from ..sweep import run_tasks
from ._convert import analysis_model
from ._ghosts import MAX_REGIONS
from ._record import (
    WINDOW,
    MonitorRecord,
    _choice_of_intervals,
    build_record,
    check_window,
    checkpoint_entry,
    interval_entry,
    run_task,
)
from ._worker import AnalysisProcess

#: The columns of the history the Monitor writes (empty cells where a value was not given).
COLUMNS = ("epoch", "loss", "grad_norm", "lr", "alpha")


class Monitor:
    """Watch a training run: every ``every``-th epoch's model is analysed while training goes on.

    Parameters
    ----------
    run : path
        The run folder (created). The Monitor writes ``RUN/history.csv`` (a row per update
        with a loss),
        ``RUN/checkpoints/epoch_EEEEEE.npz`` (each analysed model, readable by
        :func:`bifwatch.load_model`), and at :meth:`finish` ``RUN/events.json`` and
        ``RUN/report.html``. ``bifwatch monitor RUN`` reads the same folder after the fact, e.g.
        after an interrupted run.
    max_order : int, default 4
        Cycles of orders 1..max_order at each analysed checkpoint, and the bifurcations between.
    every : int, default 10
        Analyse the model of every epoch divisible by ``every`` (and the last one given).
    analysis : callable, optional
        For a module that is neither a bifwatch module nor a ReLU ``nn.RNN``:
        ``analysis(module)`` returns its piecewise-linear bifwatch model.
    input : array, optional
        The constant input of an ``nn.RNN`` (default zeros).
    window, ghosts, max_regions, intervals, seed, resolution
        As in :func:`monitor_checkpoints`. With ``intervals="jumps"`` only the checkpoint
        searches run during training; the intervals the jumps ask for follow at :meth:`finish`.
    background : bool, default True
        Run the analysis in a separate low-priority process (False: in this process at
        :meth:`finish`, e.g. for debugging).
    write_files : bool, default True
        Write the history and checkpoints (``bifwatch train --monitor`` writes its own).

    Examples
    --------
    A 1-D map whose fixed point crosses its switching point at epoch 20 (a border collision that
    gives birth to a stable 2-cycle), with the loss dropping just after:

    >>> import bifwatch as bw, tempfile
    >>> run = tempfile.mkdtemp()
    >>> monitor = bw.Monitor(run, max_order=2, every=5, report=False)
    >>> for epoch in range(41):       # in a real loop: a training step, then update
    ...     model = bw.PLRNN(A=[0.5], W=[[-1.7]], h=[-1 + epoch / 20])
    ...     monitor.update(epoch, model, loss=1.0 if epoch < 21 else 0.1)
    >>> record = monitor.finish()     # RUN/events.json (and RUN/report.html unless report=False)
    >>> [(round(t.epoch, 6), t.event.type, t.event.outcome) for t in record.bifurcations]
    [(20.0, 'border-collision', 'persists'), (20.0, 'border-collision', 'born')]
    >>> record.explanations
    (('bifurcation', (0, 1)),)
    """

    def __init__(self, run: str | os.PathLike, *, max_order: int = 4, every: int = 10,
                 analysis: Callable | None = None, input=None, window: float = WINDOW, ghosts: bool = True,
                 max_regions: int = MAX_REGIONS, seed: int = 0, resolution: int = 100,
                 intervals: str = "all", background: bool = True, write_files: bool = True,
                 report: bool = True) -> None:
        self.run = Path(run)
        self.max_order = check_int("max_order", max_order, minimum=1)
        self.every = check_int("every", every, minimum=1)
        window = check_window(window)
        _choice_of_intervals(intervals)
        self.intervals = intervals
        self._settings = {"window": window, "ghosts": bool(ghosts), "max_regions": max_regions,
                          "seed": seed, "resolution": resolution}
        self._analysis, self._input = analysis, input
        self._write, self._report = write_files, report
        try:
            (self.run / "checkpoints" if write_files else self.run).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ValueError(f"`run` {os.fspath(run)!r} cannot be made a folder: {err}") from None
        self._rows: list[dict] = []
        self._models: list[AbstractPLRNN] = []
        self._epochs: list[float] = []
        self._paths: list[str | None] = []
        self._last: tuple[float, AbstractPLRNN] | None = None
        self._queued: dict[str, tuple] = {}
        self._worker = AnalysisProcess() if background else None
        self._finished = False
        if self._worker is not None:
            weakref.finalize(self, self._worker.kill)  # also at interpreter exit
        if self._write:
            self._history = open(self.run / "history.csv", "w", buffering=1)
            self._history.write(",".join(COLUMNS) + "\n")

    # --- during training ---------------------------------------------------------------------

    def update(self, epoch: int, model, *, loss: float | None = None, grad_norm: float | None = None,
               lr: float | None = None, alpha: float | None = None, optimizer=None) -> None:
        """Record epoch ``epoch`` (its loss, gradient norm, learning rate, alpha) and, every
        ``every`` epochs, hand a copy of ``model`` to the analysis.

        ``grad_norm`` is read from the model's ``.grad`` when not given, ``lr`` from
        ``optimizer.param_groups[0]["lr"]`` when an optimizer is given.
        """
        if self._finished:
            raise RuntimeError("this Monitor has finished; make a new one for another run")
        epoch = check_int("epoch", epoch, minimum=0)
        loss = _loss_value(loss)
        if self._rows and epoch <= self._rows[-1]["epoch"]:
            raise ValueError(f"`epoch` must increase from one update to the next; got {epoch} after "
                             f"{self._rows[-1]['epoch']}")
        converted = analysis_model(model, self._analysis, input=self._input)
        self._check_same(epoch, converted)
        if grad_norm is None:
            grad_norm = _gradient_norm(model)
        if lr is None and optimizer is not None:
            lr = float(optimizer.param_groups[0]["lr"])
        row = {"epoch": epoch, "loss": loss, "grad_norm": grad_norm, "lr": lr, "alpha": alpha}
        self._rows.append(row)
        if self._write and loss is not None:  # the file is the loss curve: an update without one is no row
            self._history.write(",".join([str(epoch)] + [_cell(row[c]) for c in COLUMNS[1:]]) + "\n")
        self._last = (epoch, converted)
        if epoch % self.every == 0 and not (self._epochs and epoch <= self._epochs[-1]):
            self._analyse(epoch, converted)  # (not again when `checkpoint` handed this epoch over)

    def _check_same(self, epoch: int, model: AbstractPLRNN) -> None:
        first = self._models[0] if self._models else self._last[1] if self._last else None
        if first is not None and (model.kind, model.M) != (first.kind, first.M):
            raise ValueError(f"every model of a run must be of one kind and size; epoch {epoch} gives a "
                             f"{model.kind} with M = {model.M}, the first a {first.kind} with M = {first.M}")

    @property
    def pending(self) -> int:
        """Analysis tasks handed over and not finished yet."""
        return 0 if self._worker is None else self._worker.pending

    def checkpoint(self, epoch: int, model, *, path: str | os.PathLike | None = None) -> None:
        """Hand the model of epoch ``epoch`` to the analysis now (``update`` does this every
        ``every`` epochs). ``path``: where the caller saved it (the Monitor then writes no file)."""
        if self._finished:
            raise RuntimeError("this Monitor has finished; make a new one for another run")
        epoch = check_int("epoch", epoch, minimum=0)
        if self._epochs and epoch <= self._epochs[-1]:
            raise ValueError(f"checkpoint epochs must increase; got {epoch} after {self._epochs[-1]:g}")
        self._analyse(epoch, analysis_model(model, self._analysis, input=self._input),
                      None if path is None else os.fspath(path))

    def _analyse(self, epoch: int, model: AbstractPLRNN, path: str | None = None) -> None:
        self._check_same(epoch, model)
        i = len(self._models)
        self._models.append(model)
        self._epochs.append(float(epoch))
        if path is None and self._write:
            path = os.fspath(save_model(model, self.run / "checkpoints" / f"epoch_{epoch:06d}.npz"))
        self._paths.append(path)
        s = self._settings
        tasks = {f"checkpoint-{i:06d}": checkpoint_entry(model, float(epoch), max_order=self.max_order,
                                                          seed=s["seed"])}
        if i and self.intervals == "all":
            tasks[f"interval-{i - 1:06d}"] = interval_entry(
                self._models[i - 1], model, (self._epochs[i - 1], float(epoch)), max_order=self.max_order,
                seed=s["seed"], resolution=s["resolution"])
        self._queued.update(tasks)
        if self._worker is not None:
            for key, task in tasks.items():
                self._worker.submit(key, task)

    # --- at the end ----------------------------------------------------------------------------

    def finish(self, *, history: dict | None = None, progress: bool = False) -> MonitorRecord:
        """Wait for the analysis, then write ``RUN/events.json`` (and ``RUN/report.html``).

        ``history`` (columns -> arrays, with ``epoch`` and ``loss``) replaces what ``update``
        recorded, e.g. a trainer's own history.csv read by :func:`bifwatch.training.read_history`.

        Raises
        ------
        ValueError
            Nothing was handed to the analysis (no ``update`` or ``checkpoint``).
        """
        if self._finished:
            raise RuntimeError("this Monitor has already finished")
        if not self._rows and not self._models:
            self.abandon()
            raise ValueError("nothing to analyse: neither `update` nor `checkpoint` was called")
        if self._last is not None and (not self._epochs or self._last[0] > self._epochs[-1]):
            self._analyse(*self._last)
        if not self._models:
            self.abandon()
            raise ValueError("nothing to analyse: no model was handed over")
        done: dict = {}
        if self._worker is not None:
            try:
                done = dict(self._worker.wait())
            except RuntimeError as err:  # the process died: what it did not answer is done here
                warnings.warn(f"{err}; finishing its tasks in this process", RuntimeWarning, stacklevel=2)
                done = dict(self._worker.results)
        missing = {key: task for key, task in self._queued.items() if key not in done}
        if missing:
            done.update(run_tasks(run_task, missing, progress=progress,
                                  description="checkpoints and intervals"))
        self._close()

        def run(tasks):
            return run_tasks(run_task, tasks, progress=progress, description="slow points")

        if history is None:
            history = _history(self._rows)
        s = self._settings
        record = build_record(
            self._models, self._epochs, done, run, loss=None, loss_epochs=None, grad_norm=None,
            history=history,
            max_order=self.max_order, window=s["window"], ghosts=s["ghosts"], max_regions=s["max_regions"],
            seed=s["seed"], resolution=s["resolution"], paths=self._paths, intervals=self.intervals,
            extra_settings={"every": self.every, "kind": self._models[0].kind})
        record.to_json(self.run / "events.json")
        if self._report:
            record.plot_report(self.run / "report.html")
        return record

    def abandon(self) -> None:
        """Stop the analysis without a record (e.g. training was interrupted): the worker ends,
        the files written so far stay (``bifwatch monitor RUN`` can analyse them later)."""
        if not self._finished:
            self._close()
        if self._worker is not None:
            self._worker.kill()

    def _close(self) -> None:
        self._finished = True
        if self._write:
            self._history.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None and not self._finished:
            self.finish()
        else:
            self.abandon()


def _loss_value(loss) -> float | None:
    """A loss as a float: > 0, or NaN/+inf (a divergence); anything else is refused at once."""
    if loss is None:
        return None
    try:
        value = float(loss)
    except (TypeError, ValueError):
        raise TypeError(f"`loss` must be a number; got {type(loss).__name__}") from None
    if not value > 0 and not math.isnan(value):
        raise ValueError(f"`loss` must be > 0 (jumps are found on its log; NaN or inf marks a divergence); "
                         f"got {value}: shift a loss bounded below by its bound")
    return value


def _history(rows: list[dict]) -> dict[str, np.ndarray] | None:
    """The updates that gave a loss, with each column every one of them gave (None: no loss at all).

    An update without a loss (e.g. the initial model at epoch 0) is a checkpoint, not a point of
    the loss curve; a NaN loss that was given is one, a divergence."""
    rows = [r for r in rows if r["loss"] is not None]
    if not rows:
        return None
    return {c: np.array([float(r[c]) for r in rows]) for c in COLUMNS if all(r[c] is not None for r in rows)}


def _gradient_norm(model) -> float | None:
    """The 2-norm of all ``.grad`` of a torch module (None without gradients)."""
    norm = gradient_norm_tensor(model) if callable(getattr(model, "parameters", None)) else None
    return None if norm is None else float(norm)


def gradient_norm_tensor(module):
    """The 2-norm of all gradients of a torch module as a tensor (no device sync; None without
    gradients), so a callback can take it every step and read it as a float once an epoch."""
    grads = [p.grad.detach() for p in module.parameters() if getattr(p, "grad", None) is not None]
    if not grads:
        return None
    import torch

    device = grads[0].device
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g).to(device) for g in grads]))


def _cell(value) -> str:
    return "" if value is None else repr(float(value))
