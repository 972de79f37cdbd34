"""The record of a DA training run: per-epoch curves, latent fixed points and ghosts, drops, NLZ."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..._json import finite_or_none, write_json
from ..._validation import check_int
from ...training import loss_drops
from ._lowrank import LowRankRNN
from ._nlz import NLZResult, no_learning_zone
from ._task import DATask


@dataclass(frozen=True, eq=False)
class DATrainingRun:
    """S networks trained together on the DA task, epoch by epoch.

    Attributes
    ----------
    initial, final : tuple of LowRankRNN, length S
        Snapshots before the first and after the last update.
    lr : ndarray, shape (S,)
    task : DATask
    loss, grad_norm, accuracy : ndarray, shape (S, E)
        At epoch e: of the parameters before update e (as logged by the paper's code).
    last_outputs : ndarray, shape (S, 2T)
        The outputs of the last epoch's forward pass.
    analysis_epochs : ndarray of int, shape (A,)
        Epochs at which the latent flow was analysed (empty unless rank one).
    n_fixed, n_ghosts : ndarray of int, shape (S, A)
        Number of latent fixed points and ghosts (see :func:`latent_slow_points`).
    f_min : ndarray, shape (S, A)
        F at its lowest local minimum: > 0 a ghost of that depth, < 0 a saddle-node pair exists,
        NaN no local minimum.
    fixed_points, ghosts : ndarray, shape (S, A, P)
        Their positions kappa in increasing order, NaN-padded (at most P = 8 kept; the counts
        are exact).
    fixed_slope, ghost_flow : ndarray, shape (S, A, P)
        F' at each fixed point (< 0: stable) and F at each ghost (its depth), in the same order:
        with the positions, the exact latent slow points of every analysed epoch
        (:func:`da_slow_points`).
    backend : str
        ``"closed"`` (closed-kappa BPTT), ``"numpy"`` (BPTT of any rank) or ``"autograd"`` (torch).

    Examples
    --------
    >>> from bifwatch.studies.lowrank import init_lowrank, train_da
    >>> run = train_da(init_lowrank(20, seed=0), lr=0.02, epochs=30, analyse_every=10)
    >>> run.S, run.epochs, run.loss.shape, run.n_fixed.tolist()
    (1, 30, (1, 30), [[1, 1, 1]])
    """

    initial: tuple[LowRankRNN, ...]
    final: tuple[LowRankRNN, ...]
    lr: np.ndarray
    task: DATask
    loss: np.ndarray
    grad_norm: np.ndarray
    accuracy: np.ndarray
    last_outputs: np.ndarray
    analysis_epochs: np.ndarray
    n_fixed: np.ndarray
    n_ghosts: np.ndarray
    f_min: np.ndarray
    fixed_points: np.ndarray
    ghosts: np.ndarray
    fixed_slope: np.ndarray
    ghost_flow: np.ndarray
    backend: str

    @property
    def S(self) -> int:
        """Number of networks."""
        return self.loss.shape[0]

    @property
    def epochs(self) -> int:
        return self.loss.shape[1]

    def nlz(self, *, window: int = 50, grad_tol: float = 1e-10) -> NLZResult:
        """The no-learning-zone verdict of every network (:func:`no_learning_zone`)."""
        return no_learning_zone(self.accuracy, window=window, outputs=self.last_outputs,
                                grad_norm=self.grad_norm, grad_tol=grad_tol)

    def drops(self, index: int = 0, *, factor: float = 2.5, window: int | None = None) -> np.ndarray:
        """Epochs of the abrupt loss drops of network ``index`` (:func:`loss_drops`)."""
        return loss_drops(self.loss[self._index(index)], factor=factor, window=window)

    def max_fixed(self) -> np.ndarray:
        """Largest number of latent fixed points seen by each network, shape (S,) (-1: not tracked)."""
        return self.n_fixed.max(axis=1) if self.n_fixed.shape[1] else np.full(self.S, -1)

    def first_ghost(self) -> np.ndarray:
        """First analysed epoch with a ghost, per network (-1: none), shape (S,)."""
        seen = self.n_ghosts > 0
        first = self.analysis_epochs[np.argmax(seen, axis=1)] if seen.shape[1] else np.zeros(self.S, int)
        return np.where(seen.any(axis=1), first, -1)

    def select(self, indices) -> DATrainingRun:
        """The networks at ``indices`` (ints or a bool mask of length S) as a run of their own."""
        idx = np.arange(self.S)[indices]
        if idx.ndim == 0:
            idx = idx[None]
        fields = {k: getattr(self, k)[idx] for k in _PER_NETWORK}
        fields.update(initial=tuple(self.initial[i] for i in idx), final=tuple(self.final[i] for i in idx))
        return DATrainingRun(**fields, task=self.task, analysis_epochs=self.analysis_epochs,
                             backend=self.backend)

    def summary(self, *, max_rows: int = 20) -> str:
        """One row per network: final loss and accuracy, drops, fixed points, ghosts, NLZ flag."""
        nlz = self.nlz(window=min(50, self.epochs - 1)).in_nlz if self.epochs > 1 else np.zeros(self.S, bool)
        head = (f"{'#':>3} {'lr':>8} {'final loss':>11} {'acc':>5} {'max fp':>6} {'ghost at':>9} "
                f"{'NLZ':<4} drops")
        rows = [head, "-" * len(head)]
        max_fixed, ghost_at = self.max_fixed(), self.first_ghost()
        for i in range(min(self.S, max_rows)):
            drops = ", ".join(str(int(d)) for d in self.drops(i)[:6]) or "-"
            rows.append(f"{i:>3} {self.lr[i]:>8.3g} {self.loss[i, -1]:>11.3e} {self.accuracy[i, -1]:>5.3f} "
                        f"{_count(max_fixed[i]):>6} {_count(ghost_at[i]):>9} {'yes' if nlz[i] else 'no':<4} "
                        f"{drops}")
        if self.S > max_rows:
            rows.append(f"... {self.S - max_rows} more networks")
        return "\n".join(rows)

    def to_dict(self, *, curves: bool = True, every: int = 1) -> dict:
        """JSON-ready dict; ``curves=False`` leaves out the per-epoch curves, ``every`` thins them."""
        every = check_int("every", every, minimum=1)
        out = {"backend": self.backend, "delay": self.task.delay, "epochs": self.epochs,
               "lr": self.lr.tolist(), "final_loss": self.loss[:, -1].tolist(),
               "final_accuracy": self.accuracy[:, -1].tolist(), "max_fixed": self.max_fixed().tolist(),
               "first_ghost": self.first_ghost().tolist(),
               "drops": [self.drops(i).tolist() for i in range(self.S)],
               "initial": [net.to_dict() for net in self.initial],
               "final": [net.to_dict() for net in self.final]}
        if self.epochs > 1:
            out["nlz"] = self.nlz(window=min(50, self.epochs - 1)).to_dict()
        if curves:
            out["curve_epochs"] = list(range(0, self.epochs, every))
            out.update({k: finite_or_none(getattr(self, k)[:, ::every].tolist()) for k in _CURVES})
            out["analysis_epochs"] = self.analysis_epochs.tolist()
            tracks = ("n_fixed", "n_ghosts", "f_min", "fixed_points", "ghosts", "fixed_slope",
                      "ghost_flow")
            out.update({k: finite_or_none(getattr(self, k).tolist()) for k in tracks})
        return out

    def to_json(self, path: str | os.PathLike | None = None, *, curves: bool = True, every: int = 1) -> str:
        """The JSON text of :meth:`to_dict` (NaN written as null); also written to ``path`` when given."""
        return write_json(self.to_dict(curves=curves, every=every), path)

    def plot(self, index: int = 0, *, fig=None):
        """Loss and gradient norm, F_min and fixed-point count of network ``index`` (a Figure)."""
        from ...plotting import plot_da_training

        return plot_da_training(self, self._index(index), fig=fig)

    def _index(self, index: int) -> int:
        index = check_int("index", index, minimum=0)
        if index >= self.S:
            raise ValueError(f"`index` must be < S = {self.S} (the number of networks); got {index}")
        return index


_CURVES = ("loss", "grad_norm", "accuracy")
_PER_NETWORK = ("lr", "loss", "grad_norm", "accuracy", "last_outputs", "n_fixed", "n_ghosts", "f_min",
                "fixed_points", "ghosts", "fixed_slope", "ghost_flow")


def _count(value: int) -> str:
    return "-" if value < 0 else str(int(value))
