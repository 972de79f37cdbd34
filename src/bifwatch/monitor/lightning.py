"""The training monitor as a PyTorch Lightning callback: :class:`MonitorCallback`.

Importing this module imports torch and Lightning (the ``lightning`` package, ``pytorch_lightning``,
or both where both are installed: the callback is then a ``Callback`` of each, so either package's
``Trainer`` takes it). :mod:`bifwatch.monitor` itself imports neither.
"""

from __future__ import annotations

import importlib
import operator
import os
import warnings
from collections.abc import Callable

import torch

from .._validation import check_int
from ._convert import analysis_model
from ._ghosts import MAX_REGIONS
from ._online import Monitor, gradient_norm_tensor
from ._record import WINDOW, MonitorRecord

__all__ = ["MonitorCallback"]


def _callback_bases() -> tuple[type, ...]:
    bases = []
    for package in ("lightning.pytorch", "pytorch_lightning"):
        try:
            bases.append(importlib.import_module(package).Callback)
        except ImportError:
            continue
    if not bases:
        raise ImportError("bifwatch.monitor.lightning needs PyTorch Lightning: `pip install lightning` (or "
                          "`pip install pytorch_lightning`)")
    return tuple(bases)


class MonitorCallback(*_callback_bases()):
    """A Lightning ``Callback`` that runs :class:`bifwatch.Monitor` on a ``Trainer.fit``.

    At the end of every training epoch it calls ``Monitor.update`` with the epoch
    (``trainer.current_epoch``, Lightning's count from 0), the model to analyse, the logged loss,
    the learning rate and the gradient norm; every ``every``-th epoch's model (and the last one)
    is analysed in a separate low-priority process while training goes on. At the end of
    training it calls ``Monitor.finish``, which writes ``RUN/events.json`` (and ``RUN/report.html``),
    and keeps the result in :attr:`record`.

    Parameters
    ----------
    run : path
        The run folder, as for :class:`bifwatch.Monitor` (``history.csv``, ``checkpoints/``,
        ``events.json``, ``report.html``).
    max_order : int, default 4
        Cycles of orders 1..max_order at each analysed checkpoint, and the bifurcations between.
    every : int, default 10
        Analyse the model of every epoch divisible by ``every``, and of the last epoch.
    analysis : callable, optional
        ``analysis(module)`` returns the piecewise-linear bifwatch model of what ``model`` gives,
        for a module that is neither a bifwatch module nor a ReLU ``torch.nn.RNN``.
    input : array, optional
        The constant input of an ``nn.RNN`` (default zeros).
    model : None, str or callable, default None
        What to analyse: None, the LightningModule itself (one with ``to_analysis()``, like
        bifwatch's modules); a str, that attribute of it (dots allowed, e.g. ``"net.rnn"``); a
        callable, ``model(pl_module)``, e.g. ``lambda m: m.rnn``.
    loss_key : str or None, default "train_loss"
        The loss is ``trainer.callback_metrics[loss_key]`` at the epoch's end: log it in
        ``training_step`` with ``self.log("train_loss", loss, on_epoch=True)`` for the epoch's mean
        (``on_epoch=False``: the last step's value). None: record no loss (no loss jumps).
    alpha : None, str or callable, default None
        The GTF alpha to record each epoch: an attribute name of the LightningModule or
        ``alpha(pl_module)``.
    window, ghosts, max_regions, seed, resolution, intervals, background, report
        As for :class:`bifwatch.Monitor` (``intervals="jumps"``: only the intervals around loss
        jumps are followed, at the end; ``report=False``: no ``report.html``).

    Attributes
    ----------
    record : MonitorRecord or None
        What the monitor found, once training has ended (None before, and when no epoch ended).
    monitor : Monitor or None
        The Monitor, from the end of the first epoch on.

    Raises
    ------
    TypeError
        At the start of ``fit``: the LightningModule (or what ``model`` gives) is not a model
        bifwatch can analyse; the message names the fix (``model=`` or ``analysis=``).
    ValueError
        At an epoch's end: ``loss_key`` is not among the logged metrics (the message lists them).

    Notes
    -----
    - Epochs: the model at the end of Lightning epoch e is checkpoint e, and the loss of epoch e
      (the training that led from checkpoint e - 1 to e) is its row in ``history.csv``, as the
      monitor's jump rule expects. The initialisation is not analysed.
    - Gradient norm: the 2-norm of all gradients of the LightningModule at its epoch's last
      optimiser step, taken in ``on_before_optimizer_step`` (after AMP unscaling, before
      clipping); learning rate: ``param_groups[0]["lr"]`` of the first optimiser.
    - Only the global-zero process monitors under a distributed strategy.
    - When ``fit`` fails or is interrupted, the analysis process is stopped (``on_exception``);
      the checkpoints written so far stay in ``RUN/checkpoints``, so ``bifwatch monitor RUN``
      can analyse them afterwards.

    Examples
    --------
    A LightningModule training a bifwatch shPLRNN on one-step predictions:

    >>> import lightning.pytorch as L
    >>> import torch
    >>> from bifwatch.models.nn import ShPLRNN
    >>> from bifwatch.monitor.lightning import MonitorCallback
    >>> class OneStep(L.LightningModule):                                      # doctest: +SKIP
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.rnn = ShPLRNN(3, 10, seed=0)
    ...     def training_step(self, batch, index):
    ...         x, y = batch
    ...         loss = (self.rnn(x) - y).square().mean()
    ...         self.log("train_loss", loss, on_epoch=True)
    ...         return loss
    ...     def configure_optimizers(self):
    ...         return torch.optim.RAdam(self.parameters(), lr=1e-3)
    >>> callback = MonitorCallback("RUN", max_order=4, every=10, model="rnn")  # doctest: +SKIP
    >>> L.Trainer(max_epochs=50, callbacks=[callback]).fit(OneStep(), loader)  # doctest: +SKIP
    >>> record = callback.record     # what RUN/events.json holds                # doctest: +SKIP
    """

    def __init__(self, run: str | os.PathLike, *, max_order: int = 4, every: int = 10,
                 analysis: Callable | None = None, input=None, model: str | Callable | None = None,
                 loss_key: str | None = "train_loss", alpha: str | Callable | None = None,
                 window: float = WINDOW, ghosts: bool = True, max_regions: int = MAX_REGIONS, seed: int = 0,
                 resolution: int = 100, intervals: str = "all", background: bool = True,
                 report: bool = True) -> None:
        super().__init__()
        if analysis is not None and not callable(analysis):
            raise TypeError(f"`analysis` must be a function of the module or None; got "
                            f"{type(analysis).__name__}")
        if loss_key is not None and not isinstance(loss_key, str):
            raise TypeError(f"`loss_key` must be the name of a logged metric (a str) or None; got "
                            f"{type(loss_key).__name__}")
        self.run = run
        self._model = _getter("model", model)
        self._alpha = _getter("alpha", alpha)
        self._loss_key = loss_key
        self._options = {"max_order": check_int("max_order", max_order, minimum=1),
                         "every": check_int("every", every, minimum=1), "analysis": analysis, "input": input,
                         "window": window, "ghosts": ghosts, "max_regions": max_regions, "seed": seed,
                         "resolution": resolution, "intervals": intervals, "background": background,
                         "report": report}
        self.monitor: Monitor | None = None
        self.record: MonitorRecord | None = None
        self._started = False
        self._grad_norm: torch.Tensor | None = None

    # --- Lightning hooks ---------------------------------------------------------------------

    def on_fit_start(self, trainer, pl_module) -> None:
        if not trainer.is_global_zero:
            return
        if self._started:
            raise RuntimeError(f"this MonitorCallback has watched a run already (into "
                               f"{os.fspath(self.run)!r}); make a new one for another fit")
        self._started = True
        self._check_analysable(pl_module)

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        if self._started:
            self._grad_norm = gradient_norm_tensor(pl_module)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if not self._started:
            return
        if self.monitor is None:  # made here, so a fit that ends before an epoch starts no process
            self.monitor = Monitor(self.run, **self._options)
        grad_norm = None if self._grad_norm is None else float(self._grad_norm)
        self._grad_norm = None
        alpha = None if self._alpha is None else float(self._alpha(pl_module))
        self.monitor.update(trainer.current_epoch, self._target(pl_module), loss=self._loss(trainer),
                            grad_norm=grad_norm, lr=_learning_rate(trainer), alpha=alpha)

    def on_train_end(self, trainer, pl_module) -> None:
        if not self._started:
            return
        if self.monitor is None:
            warnings.warn("MonitorCallback: training ended before the first epoch did; nothing was analysed",
                          stacklevel=2)
            return
        self.record = self.monitor.finish()

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        if self.monitor is not None:  # the analysis process ends; the files written so far stay
            self.monitor.abandon()

    # --- helpers -----------------------------------------------------------------------------

    def _target(self, pl_module):
        return pl_module if self._model is None else self._model(pl_module)

    def _check_analysable(self, pl_module) -> None:
        """Probe once, at the start, that what ``model=`` gives converts (else say how to fix it)."""
        target = self._target(pl_module)
        try:
            analysis_model(target, self._options["analysis"], input=self._options["input"])
        except TypeError as err:
            if self._options["analysis"] is not None:
                raise
            what = (f"the LightningModule {type(pl_module).__name__}" if self._model is None
                    else f"what `model=` gives ({type(target).__name__})")
            raise TypeError(f"MonitorCallback cannot analyse {what}: it is neither a bifwatch module (a "
                            "`to_analysis()` method) nor a one-layer ReLU torch.nn.RNN. Pass `model=` the "
                            "attribute holding one or a function returning it (e.g. model='rnn' or "
                            "model=lambda m: m.rnn), or `analysis=` a function returning the module's "
                            f"piecewise-linear bifwatch model{_hint(pl_module)}") from err

    def _loss(self, trainer) -> float | None:
        if self._loss_key is None:
            return None
        metrics = trainer.callback_metrics
        if self._loss_key not in metrics:
            key = self._loss_key
            raise ValueError(f"`loss_key` {key!r} is not among the logged metrics at the end of epoch "
                             f"{trainer.current_epoch} (trainer.callback_metrics has {sorted(metrics)}); log "
                             f"it in training_step with self.log({key!r}, loss, on_epoch=True), pass "
                             "loss_key= the name you log, or loss_key=None to record no loss")
        return float(metrics[self._loss_key])


def _getter(name: str, value) -> Callable | None:
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        return operator.attrgetter(value)
    raise TypeError(f"`{name}` must be None, an attribute name (str) or a function of the LightningModule; "
                    f"got {type(value).__name__}")


def _hint(pl_module) -> str:
    """'; its attribute 'rnn' is ...' for the submodules the monitor could analyse."""
    found = [name for name, module in pl_module.named_modules()
             if name and (callable(getattr(module, "to_analysis", None)) or isinstance(module, torch.nn.RNN))]
    if not found:
        return ""
    kind = type(pl_module.get_submodule(found[0])).__name__
    return f"; its submodule {found[0]!r} is a {kind}, so model={found[0]!r} would do"


def _learning_rate(trainer) -> float | None:
    optimizers = trainer.optimizers
    return float(optimizers[0].param_groups[0]["lr"]) if optimizers else None
