"""Experiment 4: more trainable rank keeps learning alive at higher learning rates (Fig. 6, reduced)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..._json import write_json
from ..._validation import check_int, check_positive_float
from ._lowrank import init_lowrank
from ._training import train_da

RANKS = (1, 2, 5, "full")
LEARNING_RATES = (0.01, 0.03, 0.1, 0.3, 1.0)


@dataclass(frozen=True, eq=False)
class RankEffect:
    """Experiment 4: fraction of networks that learned, per architecture and learning rate.

    Attributes
    ----------
    labels : tuple of str
        One per row: ``"rank K, trained readout"`` for each K, then the rank-one network with the
        fixed readout sigma(10 (kappa - 1)) of experiments 1-3.
    lrs : ndarray, shape (L,)
    fraction_learned : ndarray, shape (rows, L)
        Over the seeds; learned means final loss / initial loss < 1e-2 (the paper's criterion).
    fraction_nlz : ndarray, shape (rows, L)
        Over the seeds; in the no-learning zone at the end (:func:`no_learning_zone`: accuracy
        above 0.5 at some epoch, at most 0.5 over the last 50).
    median_ratio : ndarray, shape (rows, L)
        Median final / initial loss.
    """

    labels: tuple[str, ...]
    lrs: np.ndarray
    fraction_learned: np.ndarray
    fraction_nlz: np.ndarray
    median_ratio: np.ndarray
    seeds: int
    epochs: int
    units: int
    reduced: str

    def table(self) -> str:
        head = f"{'network':<32}" + "".join(f"{lr:>8.3g}" for lr in self.lrs)
        rows = []
        for title, values in (("fraction learned (final/initial loss < 1e-2)", self.fraction_learned),
                              ("fraction in the no-learning zone at the end", self.fraction_nlz)):
            rows += [f"{title}, per learning rate:", head, "-" * len(head)]
            rows += [f"{label:<32}" + "".join(f"{f:>8.2f}" for f in row)
                     for label, row in zip(self.labels, values, strict=True)]
        return "\n".join(rows)

    def summary(self) -> str:
        return f"{self.seeds} seeds, {self.epochs} epochs, N = {self.units}\n{self.table()}\n{self.reduced}"

    def to_dict(self) -> dict:
        return {"experiment": "ghost-rank", "labels": list(self.labels), "lrs": self.lrs.tolist(),
                "fraction_learned": self.fraction_learned.tolist(),
                "fraction_nlz": self.fraction_nlz.tolist(),
                "median_ratio": self.median_ratio.tolist(),
                "seeds": self.seeds, "epochs": self.epochs, "units": self.units, "reduced": self.reduced}

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path)

    def plot(self, *, fig=None):
        from ...plotting import plot_rank_experiment

        return plot_rank_experiment(self, fig=fig)


def rank_experiment(
    *, ranks=RANKS, lrs=LEARNING_RATES, seeds: int = 3, epochs: int = 5000, units: int = 100, seed: int = 0,
    baseline: bool = True, progress: bool = False,
) -> RankEffect:
    """Experiment 4: rank-K networks with the trained readout against the rank-one network.

    Every (rank, learning rate, seed) network is trained ``epochs`` epochs with plain SGD; all
    learning rates and seeds of one rank are trained together (the numpy BPTT, batched).

    Parameters
    ----------
    ranks : sequence of int or "full", default (1, 2, 5, "full")
    lrs : sequence of float, default (0.01, 0.03, 0.1, 0.3, 1)
    seeds : int, default 3
        Seeds ``seed, ..., seed + seeds - 1`` at every rank and learning rate.
    epochs : int, default 5000
    units : int, default 100
    seed : int, default 0
    baseline : bool, default True
        Add the rank-one network with the fixed confidence-10 readout (experiments 1-3).

    Notes
    -----
    Reduced from the paper's Fig. 6B (K in {1, 2, 3, 4, 5, 10, 30, 50, 100}, 10 learning rates in
    logspace(-3, 0), 10 seeds, 500k epochs) to minutes on two cores; the learned fraction after
    5000 epochs is a lower bound on the paper's.

    Examples
    --------
    >>> result = rank_experiment(ranks=(1,), lrs=(0.1,), seeds=1, epochs=20, units=10, baseline=False)
    >>> result.labels, result.fraction_learned.shape
    (('rank 1, trained readout',), (1, 1))
    """
    lrs = np.array([check_positive_float("lrs", lr) for lr in lrs])
    seeds, epochs = check_int("seeds", seeds, minimum=1), check_int("epochs", epochs, minimum=1)
    seed_list = range(check_int("seed", seed, minimum=0), seed + seeds)
    rows = [(f"rank {k}, trained readout", k, "trained") for k in ranks]
    if baseline:
        rows.append(("rank 1, c = 10 (fixed readout)", 1, "latent"))
    learned, nlz, medians = [], [], []
    for _, rank, readout in rows:
        nets = [init_lowrank(units, rank, seed=s, readout=readout) for _ in lrs for s in seed_list]
        run = train_da(nets, lr=np.repeat(lrs, seeds), epochs=epochs, analyse_every=0, progress=progress)
        ratio = (run.loss[:, -1] / run.loss[:, 0]).reshape(lrs.size, seeds)
        learned.append((ratio < 1e-2).mean(axis=1))
        nlz.append(run.nlz(window=min(50, epochs - 1)).in_nlz.reshape(lrs.size, seeds).mean(axis=1)
                   if epochs > 1 else np.zeros(lrs.size))
        medians.append(np.median(ratio, axis=1))
    reduced = ("Reduced from the paper's Fig. 6B (9 ranks, 10 learning rates, 10 seeds, 500k epochs) to "
               f"{len(ranks)} ranks x {lrs.size} learning rates x {seeds} seeds x {epochs} epochs.")
    return RankEffect(labels=tuple(label for label, *_ in rows), lrs=lrs,
                      fraction_learned=np.array(learned), fraction_nlz=np.array(nlz),
                      median_ratio=np.array(medians), seeds=seeds,
                      epochs=epochs, units=units, reduced=reduced)
