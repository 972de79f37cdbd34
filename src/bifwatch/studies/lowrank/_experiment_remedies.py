"""Experiments 3-4: the two remedies of the no-learning zone (lower confidence, more trainable rank).

Reduced relative to the paper (Dinc et al., arXiv 2501.02378, Figs 6 and 8B); each function's
docstring and result say how.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..._json import finite_or_none, write_json
from ..._validation import check_int, check_positive_float
from ._experiments import NLZCollapse, collapse_experiment
from ._training import train_da

CONFIDENCES = (10.0, 3.0, 1.0, 0.3, 0.1, 0.01)


@dataclass(frozen=True, eq=False)
class ConfidenceRecovery:
    """Experiment 3: NLZ networks retrained at a lower confidence c.

    Attributes
    ----------
    confidences : tuple of float
    mean_accuracy, sem_accuracy : ndarray, shape (C,)
        Accuracy after ``epochs`` more epochs, mean and standard error over the NLZ networks.
        (Accuracy does not depend on c: o > 0.5 iff kappa > 1, so it measures real movement.)
    recovered : ndarray, shape (C,)
        Fraction of NLZ networks whose accuracy went above 0.5.
    n_networks : int
        NLZ networks found by the collapse experiment.
    """

    confidences: tuple[float, ...]
    mean_accuracy: np.ndarray
    sem_accuracy: np.ndarray
    recovered: np.ndarray
    n_networks: int
    epochs: int
    lr: float
    collapse_counts: dict
    reduced: str

    def table(self) -> str:
        rows = [f"{'c':>8} {'mean accuracy':>14} {'sem':>7} {'recovered':>10}", "-" * 42]
        for c, acc, sem, rec in zip(self.confidences, self.mean_accuracy, self.sem_accuracy, self.recovered,
                                    strict=True):
            rows.append(f"{c:>8g} {acc:>14.3f} {sem:>7.3f} {rec:>10.2f}")
        return "\n".join(rows)

    def summary(self) -> str:
        head = (f"{self.n_networks} NLZ networks (of {self.collapse_counts['networks']}), "
                f"retrained {self.epochs} epochs at lr {self.lr:g}:")
        return f"{head}\n{self.table()}\n{self.reduced}"

    def to_dict(self) -> dict:
        return finite_or_none({
            "experiment": "ghost-confidence", "confidences": list(self.confidences),
            "mean_accuracy": self.mean_accuracy.tolist(), "sem_accuracy": self.sem_accuracy.tolist(),
            "recovered": self.recovered.tolist(), "n_networks": self.n_networks, "epochs": self.epochs,
            "lr": self.lr, "collapse_counts": self.collapse_counts, "reduced": self.reduced})

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path)

    def plot(self, *, fig=None):
        from ...plotting import plot_confidence_experiment

        return plot_confidence_experiment(self, fig=fig)


def confidence_experiment(
    collapsed: NLZCollapse | None = None, *, confidences=CONFIDENCES, epochs: int = 100,
    lr: float | None = None, seeds: int = 100, seed: int = 0, progress: bool = False,
) -> ConfidenceRecovery:
    """Experiment 3: train the NLZ networks ``epochs`` more epochs at each confidence c (§10).

    Parameters
    ----------
    collapsed : NLZCollapse, optional
        The result of :func:`collapse_experiment`; run with ``seeds`` and ``seed`` (6000 epochs,
        lr 0.02) if None.
    confidences : sequence of float, default (10, 3, 1, 0.3, 0.1, 0.01)
    epochs : int, default 100
    lr : float, optional
        Default: the collapse experiment's (0.02).
    seeds, seed : int
        Passed to :func:`collapse_experiment` when ``collapsed`` is None.

    Examples
    --------
    >>> collapsed = collapse_experiment(seeds=2, epochs=60, units=20)
    >>> result = confidence_experiment(collapsed, confidences=(10, 1), epochs=5)
    >>> result.confidences, result.n_networks
    ((10.0, 1.0), 0)
    """
    if collapsed is None:
        collapsed = collapse_experiment(seeds=seeds, seed=seed, progress=progress)
    confidences = tuple(check_positive_float("confidences", c) for c in confidences)
    epochs = check_int("epochs", epochs, minimum=1)
    lr = collapsed.lr if lr is None else check_positive_float("lr", lr)
    trapped = [net for net, flag in zip(collapsed.run.final, collapsed.nlz.in_nlz, strict=True) if flag]
    C, K = len(confidences), len(trapped)
    acc = np.full((C, K), np.nan)
    if K:
        models = [net.replace(confidence=c) for c in confidences for net in trapped]
        run = train_da(models, lr=lr, epochs=epochs, analyse_every=0, progress=progress)
        task = collapsed.run.task
        acc = np.array([task.accuracy(net.outputs(task.steps)) for net in run.final])
        acc = acc.reshape(C, K)
    mean = acc.mean(axis=1) if K else np.full(C, np.nan)
    sem = acc.std(axis=1, ddof=1) / np.sqrt(K) if K > 1 else np.full(C, np.nan)
    recovered = (acc > 0.5).mean(axis=1) if K else np.full(C, np.nan)
    reduced = (f"The paper scans 30 values c = logspace(-3, 1); here {C}. NLZ networks from "
               f"{collapsed.counts['networks']} numpy seeds.")
    return ConfidenceRecovery(confidences=confidences, mean_accuracy=mean, sem_accuracy=sem,
                              recovered=recovered, n_networks=K, epochs=epochs, lr=lr,
                              collapse_counts=collapsed.counts, reduced=reduced)
