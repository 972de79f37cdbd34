"""Plain full-batch SGD on the DA task, with latent-flow records, checkpoints and resume."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._validation import check_int, to_numpy
from ...training import EpochRecord, open_checkpoint, run_epochs, save_checkpoint
from ._engines import make_engine
from ._latent_batch import MAX_POINTS, rank_one_summary
from ._lowrank import LowRankRNN
from ._lowrank_torch import stack_models, unstack_models
from ._task import DEFAULT_TASK, DATask
from ._training_run import DATrainingRun

BACKENDS = ("auto", "closed", "numpy", "autograd")
_CURVES = ("loss", "grad_norm", "accuracy")
_POINT_TRACKS = ("fixed_points", "ghosts", "fixed_slope", "ghost_flow")  # (S, A, MAX_POINTS) each
_TRACKS = ("n_fixed", "n_ghosts", "f_min", *_POINT_TRACKS)


@dataclass(frozen=True, eq=False)
class DAEpoch:
    """What a ``callback`` of :func:`train_da` sees at one epoch (before that epoch's update).

    ``models()`` builds snapshots of the S networks at this epoch (the parameters that gave
    ``loss``); building them costs O(S N R), so call it only at the epochs you need.
    """

    epoch: int
    loss: np.ndarray
    grad_norm: np.ndarray
    accuracy: np.ndarray
    models: Callable[[], tuple[LowRankRNN, ...]]


def train_da(
    models: LowRankRNN | Sequence[LowRankRNN], *, lr: float | Sequence[float], epochs: int,
    task: DATask = DEFAULT_TASK, analyse_every: int | None = None,
    checkpoint: str | os.PathLike | None = None, checkpoint_every: int = 1000, resume: bool = False,
    backend: str = "auto", progress: bool = False,
    callback: Callable[[DAEpoch], None] | None = None,
) -> DATrainingRun:
    """Train S networks on the DA task with plain gradient descent (one deterministic trial per epoch).

    Parameters
    ----------
    models : LowRankRNN or sequence of LowRankRNN
        S networks of one architecture (e.g. ``[init_lowrank(seed=s) for s in range(100)]``).
    lr : float or sequence of float, shape (S,)
        Learning rate(s), > 0; one per network allowed.
    epochs : int
        Number of updates E >= 1.
    task : DATask, default DATask()
    analyse_every : int, optional
        Record latent fixed points, ghosts and F_min every this many epochs (rank one only;
        default 100 for rank one, off otherwise; 0 turns it off).
    checkpoint : path, optional
        An .npz written every ``checkpoint_every`` epochs, on Ctrl-C and at the end (atomically).
    checkpoint_every : int, default 1000
    resume : bool, default False
        Continue from ``checkpoint`` if it exists (it must belong to the same models and settings;
        ``epochs`` may grow). Without it an existing checkpoint is an error.
    backend : {"auto", "closed", "numpy", "autograd"}, default "auto"
        ``"closed"``: the closed-kappa BPTT (rank one, latent readout; the default there);
        ``"numpy"``: exact BPTT for any rank and readout (the default otherwise); ``"autograd"``:
        torch autograd (the reference; slower). All three give the same gradients to rounding.
    progress : bool, default False
        A tqdm bar on stderr (only when stderr is a terminal).
    callback : callable, optional
        Called as ``callback(DAEpoch)`` at every epoch, before the update. Raising
        KeyboardInterrupt there stops training as Ctrl-C does.

    Returns
    -------
    DATrainingRun

    Raises
    ------
    ValueError, TypeError
        Bad models, learning rates, epochs or cadences; a checkpoint of another run.
    FileExistsError
        If ``checkpoint`` exists and ``resume`` is False.
    KeyboardInterrupt
        On Ctrl-C, after writing the checkpoint; ``resume=True`` continues from it and gives the
        same result as an uninterrupted run (training is deterministic).

    Notes
    -----
    Each epoch runs the trial, records loss L = sum_t (o_t - y_t)^2 / T, accuracy and the global
    gradient norm over all trained arrays, then updates p <- p - lr dL/dp (no momentum, no decay).

    Examples
    --------
    >>> from bifwatch.studies.lowrank import init_lowrank
    >>> run = train_da([init_lowrank(50, seed=s) for s in range(3)], lr=0.01, epochs=20)
    >>> run.loss.shape, bool(np.all(run.loss[:, -1] <= run.loss[:, 0]))
    ((3, 20), True)
    """
    models = _as_models(models)
    S = len(models)
    lrs = _check_lr(lr, S)
    epochs = check_int("epochs", epochs, minimum=1)
    checkpoint_every = check_int("checkpoint_every", checkpoint_every, minimum=1)
    backend = _resolve_backend(backend, models)
    cadence = _cadence(analyse_every, models[0])
    spec = _spec(models, lrs, task, backend, cadence)
    state = _State.new(stack_models(models), S, epochs, task, cadence)
    if checkpoint is not None:
        saved = open_checkpoint(checkpoint, spec, resume=resume)
        if saved is not None:
            state.load(saved, Path(checkpoint))
    engine = make_engine(backend, state.arrays, models[0], task)
    save = (lambda: save_checkpoint(checkpoint, spec, state.dump(engine))) if checkpoint is not None else None
    _loop(engine, state, lrs, callback, save, checkpoint_every, progress, models[0])
    if save is not None:
        save()
    return state.result(models, engine, lrs, task, backend, cadence)


def _loop(engine, state, lrs, callback, save, every, progress, template) -> None:
    run_epochs(lambda e: _epoch(engine, state, e, lrs, callback, template), start=state.epoch,
               epochs=state.epochs, save=save, every=every, progress=progress)


def _epoch(engine, state, e, lrs, callback, template) -> None:
    if state.cadence and e % state.cadence == 0:
        state.track(e // state.cadence, engine.rank_one())
    grad = engine.gradient()
    state.record(e, grad)
    if callback is not None:
        snapshot = lambda: unstack_models(engine.arrays(), template)  # noqa: E731
        callback(DAEpoch(epoch=e, loss=grad.loss, grad_norm=state.grad_norm[:, e],
                         accuracy=state.accuracy[:, e], models=snapshot))
    engine.update(grad, lrs)
    state.epoch = e + 1


@dataclass(eq=False)
class _State:
    """Mutable bookkeeping of one training run (the only mutable object here)."""

    epoch: int
    epochs: int
    cadence: int
    task: DATask
    arrays: dict
    curves: EpochRecord
    tracks: dict
    last_outputs: np.ndarray

    @classmethod
    def new(cls, arrays, S, epochs, task, cadence) -> _State:
        A = -(-epochs // cadence) if cadence else 0
        curves = EpochRecord.new(_CURVES, runs=S, epochs=epochs)
        tracks = {"n_fixed": np.zeros((S, A), int), "n_ghosts": np.zeros((S, A), int),
                  "f_min": np.full((S, A), np.nan)}
        tracks.update({k: np.full((S, A, MAX_POINTS), np.nan) for k in _POINT_TRACKS})
        return cls(0, epochs, cadence, task, arrays, curves, tracks, np.full((S, task.steps), np.nan))

    def track(self, a: int, rank_one) -> None:
        summary = rank_one_summary(*rank_one)
        for name in _TRACKS:
            self.tracks[name][:, a] = summary["fixed" if name == "fixed_points" else name]

    def record(self, e: int, grad) -> None:
        accuracy = np.mean((grad.outputs > 0.5) == (self.task.targets > 0.5), axis=1)
        self.curves.record(e, loss=grad.loss, grad_norm=grad.grad_norm, accuracy=accuracy)
        self.last_outputs = grad.outputs

    @property
    def grad_norm(self):
        return self.curves.curves["grad_norm"]

    @property
    def accuracy(self):
        return self.curves.curves["accuracy"]

    def n_tracked(self, epoch: int) -> int:
        return -(-epoch // self.cadence) if self.cadence else 0

    def dump(self, engine) -> dict:
        out = {"epoch": np.array(self.epoch), "last_outputs": self.last_outputs}
        out.update({f"param/{k}": v for k, v in engine.arrays().items()})
        out.update(self.curves.dump(self.epoch))
        out.update({f"track/{k}": v[:, :self.n_tracked(self.epoch)] for k, v in self.tracks.items()})
        return out

    def load(self, saved: dict, path: Path) -> None:
        epoch = int(saved["epoch"])
        if epoch > self.epochs:
            raise ValueError(f"checkpoint {str(path)!r} is at epoch {epoch}, past `epochs` = {self.epochs}; "
                             f"ask for at least {epoch} epochs")
        self.epoch, self.last_outputs = epoch, saved["last_outputs"]
        self.arrays = {k.split("/", 1)[1]: v for k, v in saved.items() if k.startswith("param/")}
        self.curves.load(saved, epoch)
        missing = [k for k in self.tracks if f"track/{k}" not in saved]
        if missing:
            raise ValueError(f"checkpoint {str(path)!r} was written by an older bifwatch without the tracks "
                             f"{', '.join(missing)}; remove it to start afresh")
        for k, v in self.tracks.items():
            v[:, :self.n_tracked(epoch)] = saved[f"track/{k}"]

    def result(self, models, engine, lrs, task, backend, cadence) -> DATrainingRun:
        analysis_epochs = np.arange(0, self.epochs, cadence) if cadence else np.zeros(0, int)
        return DATrainingRun(initial=tuple(models), final=unstack_models(engine.arrays(), models[0]), lr=lrs,
                             task=task, **self.curves.curves, last_outputs=self.last_outputs,
                             analysis_epochs=analysis_epochs, **self.tracks, backend=backend)


def _as_models(models) -> list[LowRankRNN]:
    if isinstance(models, LowRankRNN):
        return [models]
    try:
        out = list(models)
    except TypeError:
        raise TypeError("`models` must be a LowRankRNN or a sequence of them; "
                        f"got {type(models).__name__}") from None
    if not out or not all(isinstance(net, LowRankRNN) for net in out):
        raise TypeError("`models` must be a LowRankRNN or a non-empty sequence of LowRankRNN "
                        "(e.g. [init_lowrank(seed=s) for s in range(10)])")
    return out


def _check_lr(lr, S: int) -> np.ndarray:
    values = to_numpy("lr", lr)
    if values.ndim > 1 or (values.ndim == 1 and values.shape[0] != S):
        raise ValueError(f"`lr` must be a number or have shape (S,) = ({S},), one per network; "
                         f"got shape {values.shape}")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"`lr` must be finite and > 0; got {lr!r}")
    return np.broadcast_to(values, (S,)).astype(np.float64)


def _resolve_backend(backend: str, models: list[LowRankRNN]) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"`backend` must be one of {BACKENDS}; got {backend!r}")
    closed_ok = models[0].R == 1 and not models[0].full and models[0].readout == "latent"
    if backend == "closed" and not closed_ok:
        raise ValueError("backend 'closed' needs rank-one networks with the latent readout; "
                         f"got R = {models[0].R}, readout {models[0].readout!r}; use 'numpy' or 'autograd'")
    if backend == "auto":
        return "closed" if closed_ok else "numpy"
    return backend


def _cadence(analyse_every, model: LowRankRNN) -> int:
    rank_one = model.R == 1 and not model.full
    if analyse_every is None:
        return 100 if rank_one else 0
    cadence = check_int("analyse_every", analyse_every, minimum=0)
    if cadence and not rank_one:
        raise ValueError(f"tracking the latent flow during training needs rank one; got R = {model.R}. "
                         "Pass analyse_every=0 and call latent_slow_points on snapshots from a callback")
    return cadence


def _spec(models, lrs, task, backend, cadence) -> dict:
    digest = hashlib.sha256()
    for key, value in sorted(stack_models(models).items()):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    return {"models": digest.hexdigest(), "S": len(models), "lr": lrs.tolist(), "delay": task.delay,
            "backend": backend, "analyse_every": cadence, "alpha": models[0].alpha, "x0": models[0].x0}
