"""Experiments 1-2 of the rank-one DA study: abrupt learning through a ghost, collapse into the NLZ.

Reduced relative to the paper (Dinc et al., arXiv 2501.02378, Fig. 3 and §9): our own numpy seeds
(not the authors' torch seeds), so counts match in size, not exactly; the abrupt run is shorter
than the paper's 500k epochs (see ``abrupt_learning_experiment``). One seed set of the collapse
experiment is one draw: ``collapse_spread`` measures the counts over several seed sets, and
``MEASURED_SPREAD`` stores that measurement for the default settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..._json import finite_or_none, write_json
from ..._validation import check_int, check_positive_float
from ._latent import flow_curve
from ._latent_batch import rank_one_summary
from ._lowrank import LowRankRNN, init_lowrank
from ._nlz import NLZResult
from ._training import train_da
from ._training_run import DATrainingRun


@dataclass(frozen=True, eq=False)
class AbruptLearning:
    """Experiment 1: one rank-one network learning the DA task at a low learning rate.

    Attributes
    ----------
    run : DATrainingRun
    drops : ndarray of int
        Epochs of the abrupt loss drops.
    snapshot_epochs : tuple of int
        Start, just after the first drop (the first tracked epoch with a ghost), and the end.
    snapshots : tuple of LowRankRNN
        The network at those epochs.
    reduced : str
        What differs from the paper.
    """

    run: DATrainingRun
    drops: np.ndarray
    snapshot_epochs: tuple[int, ...]
    snapshots: tuple[LowRankRNN, ...]
    seed: int
    reduced: str

    @property
    def max_fixed(self) -> int:
        """Largest number of latent fixed points at any tracked epoch (1: no bifurcation)."""
        return int(self.run.max_fixed()[0])

    @property
    def first_ghost(self) -> int:
        """First tracked epoch with a ghost (-1: none)."""
        return int(self.run.first_ghost()[0])

    def key_numbers(self) -> dict:
        f_min = self.run.f_min[0]
        ghosts = self.run.n_ghosts[0] > 0
        depth = [float(f_min[ghosts].min()), float(f_min[ghosts].max())] if ghosts.any() else None
        return {"seed": self.seed, "lr": float(self.run.lr[0]), "epochs": self.run.epochs,
                "drops": self.drops.tolist(), "max_fixed_points": self.max_fixed,
                "first_ghost_epoch": self.first_ghost, "ghost_depth_range": depth,
                "final_loss": float(self.run.loss[0, -1]), "final_accuracy": float(self.run.accuracy[0, -1])}

    def summary(self) -> str:
        k = self.key_numbers()
        span = k["ghost_depth_range"]
        depth = "none" if span is None else f"F_min in [{span[0]:.3g}, {span[1]:.3g}]"
        return (f"rank-one RNN, seed {k['seed']}, lr {k['lr']:g}, {k['epochs']} epochs\n"
                f"abrupt loss drops at epochs: {', '.join(map(str, k['drops'])) or 'none'}\n"
                f"max number of latent fixed points: {k['max_fixed_points']} (1 = no bifurcation)\n"
                f"first ghost at epoch {k['first_ghost_epoch']}; ghost depth {depth}\n"
                f"final loss {k['final_loss']:.3e}, accuracy {k['final_accuracy']:.3f}\n{self.reduced}")

    def to_dict(self) -> dict:
        return {"experiment": "ghost-abrupt", **self.key_numbers(), "reduced": self.reduced,
                "snapshot_epochs": list(self.snapshot_epochs),
                "run": self.run.to_dict(every=max(1, self.run.epochs // 5000))}

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path)

    def plot(self, *, fig=None):
        from ...plotting import plot_abrupt

        return plot_abrupt(self, [flow_curve(net) for net in self.snapshots], fig=fig)


def abrupt_learning_experiment(
    *, seed: int = 13, lr: float = 0.003, epochs: int = 180_000, units: int = 100, analyse_every: int = 200,
    progress: bool = False,
) -> AbruptLearning:
    """Experiment 1: abrupt learning with a ghost and no bifurcation (the paper's Fig. 3A, reduced).

    Parameters
    ----------
    seed : int, default 13
        Initialisation seed. With numpy's generator seed 13 drops early: the first drop near
        epoch 23.4k (20 seeds: 23k-55k), the ghost right after it, the second drop near 165k.
    lr : float, default 0.003
    epochs : int, default 180000
        The paper runs 500k epochs; 180k cover the plateau, both abrupt drops and the ghost
        (about 2 minutes on one core: 0.6 ms per epoch).
    units : int, default 100
    analyse_every : int, default 200
        Cadence of the fixed-point count and ghost depth (the paper checks every epoch).
    progress : bool, default False

    Returns
    -------
    AbruptLearning

    Examples
    --------
    >>> result = abrupt_learning_experiment(lr=0.03, epochs=400, units=20, analyse_every=50)
    >>> result.max_fixed, len(result.snapshots)
    (1, 3)
    """
    lr = check_positive_float("lr", lr)
    epochs = check_int("epochs", epochs, minimum=2)
    cadence = check_int("analyse_every", analyse_every, minimum=1)
    kept: dict[int, LowRankRNN] = {}

    def keep(state) -> None:
        if state.epoch % cadence == 0:
            kept[state.epoch] = state.models()[0]

    net = init_lowrank(units, seed=seed)
    run = train_da(net, lr=lr, epochs=epochs, analyse_every=cadence, progress=progress, callback=keep)
    drops = run.drops(0)
    middle = _after_first_drop(run, drops)
    snapshots = (kept[0], kept[middle], run.final[0])
    reduced = (f"Reduced from the paper: {epochs} epochs (paper 500k), fixed points tracked every {cadence} "
               "epochs (paper: every epoch), numpy seeds (paper: torch seed 40).")
    return AbruptLearning(run=run, drops=drops, snapshot_epochs=(0, middle, epochs), snapshots=snapshots,
                          seed=seed, reduced=reduced)


def _after_first_drop(run: DATrainingRun, drops: np.ndarray) -> int:
    """The first tracked epoch with a ghost after the first drop (else the one after the drop)."""
    epochs = run.analysis_epochs
    if drops.size == 0:
        return int(epochs[len(epochs) // 2])
    later = epochs > drops[0]
    with_ghost = later & (run.n_ghosts[0] > 0)
    pick = with_ghost if with_ghost.any() else later
    return int(epochs[np.argmax(pick)]) if pick.any() else int(epochs[-1])


@dataclass(frozen=True, eq=False)
class NLZCollapse:
    """Experiment 2: many seeds at a high learning rate; who learned, who fell into the NLZ.

    Attributes
    ----------
    run : DATrainingRun
    nlz : NLZResult
    final_n_fixed, final_f_min : ndarray, shape (S,)
        Latent fixed points and F_min of each final network.
    counts : dict
        networks, learned, nlz, never_learned, reached_perfect, still_perfect, and for the NLZ
        networks: nlz_three_fixed, nlz_negative_f_min, nlz_saturated.
    spread : CollapseSpread or None
        The counts over several seed sets of the same settings: recomputed by
        :func:`collapse_spread`, or the stored ``MEASURED_SPREAD`` for the default settings
        (``spread.source`` says which); None when neither applies.
    """

    run: DATrainingRun
    nlz: NLZResult
    final_n_fixed: np.ndarray
    final_f_min: np.ndarray
    counts: dict
    lr: float
    seeds: tuple[int, ...]
    reduced: str
    spread: CollapseSpread | None = None

    def summary(self) -> str:
        c = self.counts
        n = c["networks"]
        this = f" (this seed set: seeds {self.seeds[0]}-{self.seeds[-1]})"
        spread, paper = self.spread, PAPER_COUNTS

        def beside(key: str) -> str:
            tag = "stored" if spread is not None and spread.source.startswith("stored") else "this run"
            over = "" if spread is None else f"; over {spread.sets} seed sets ({tag}): {spread.mean_sd(key)}"
            return f"{c[key]}/{n}{this}{over}; paper: {paper[key]}/100"

        lines = [f"{n} rank-one networks, lr {self.lr:g}, {self.run.epochs} epochs",
                 f"learned (accuracy > 0.5 at some epoch): {beside('learned')}",
                 f"in the no-learning zone: {beside('nlz')}",
                 f"  NLZ networks with 3 fixed points: {c['nlz_three_fixed']}, F_min < 0: "
                 f"{c['nlz_negative_f_min']}, saturated with gradient < 1e-10: {c['nlz_saturated']}",
                 f"never learned: {c['never_learned']}; reached accuracy 1: {c['reached_perfect']}; "
                 f"perfect at the end: {c['still_perfect']}"]
        if spread is not None:
            lines.append("spread " + spread.line())
        else:
            lines.append("spread over seed sets: not measured at these settings (bifwatch reproduce "
                         "ghost-collapse --seed-sets K measures it)")
        other = REIMPLEMENTATION_COUNTS
        lines.append(f"paper: learned {paper['learned']}, NLZ {paper['nlz']} of 100, quoted for the authors' "
                     f"torch seeds (unconfirmed); an independent re-implementation: "
                     f"{other['learned']} / {other['nlz']}")
        return "\n".join([*lines, self.reduced])

    def to_dict(self) -> dict:
        return {"experiment": "ghost-collapse", "lr": self.lr, "epochs": self.run.epochs,
                "seeds": list(self.seeds),
                "counts": self.counts, "final_n_fixed": self.final_n_fixed.tolist(),
                "final_f_min": finite_or_none(self.final_f_min.tolist()),
                "spread": None if self.spread is None else self.spread.to_dict(),
                "paper": {**PAPER_COUNTS, "networks": 100,
                          "note": "quoted for the authors' torch seeds, unconfirmed"},
                "reimplementation": {**REIMPLEMENTATION_COUNTS, "networks": 100},
                "nlz": self.nlz.to_dict(), "reduced": self.reduced, "run": self.run.to_dict(curves=False)}

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path)

    def plot(self, *, fig=None):
        from ...plotting import plot_collapse

        return plot_collapse(self, fig=fig)


def collapse_experiment(
    *, seeds: int = 100, epochs: int = 6000, lr: float = 0.02, units: int = 100, seed: int = 0,
    analyse_every: int = 100, progress: bool = False,
) -> NLZCollapse:
    """Experiment 2: collapse into the no-learning zone at lr 0.02 (the paper's §9.2 protocol).

    Trains networks with seeds ``seed, ..., seed + seeds - 1`` for ``epochs`` epochs and applies the
    NLZ criterion (max accuracy over the last 50 epochs <= 0.5 after > 0.5 earlier). Expect about
    3/4 to learn and about half to end in the zone (one seed set is one draw: over 20 sets of 100,
    learned 76.2 ± 5.2 and NLZ 53.0 ± 6.0, mean ± sd), almost all of those (1044 of 1059, 99 %;
    all of a set's in only 9 of the 20 sets, 50 of 53 in the worst) with F_min < 0 and 3 latent
    fixed points. At the default settings the result carries the stored ``MEASURED_SPREAD``;
    :func:`collapse_spread` recomputes it.

    Examples
    --------
    >>> result = collapse_experiment(seeds=2, epochs=100, units=20)
    >>> sorted(result.counts)[:3], result.counts["networks"]
    (['learned', 'networks', 'never_learned'], 2)
    """
    seeds = check_int("seeds", seeds, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    seed_list = tuple(range(seed, seed + seeds))
    nets = [init_lowrank(units, seed=s) for s in seed_list]
    run = train_da(nets, lr=lr, epochs=epochs, analyse_every=analyse_every, progress=progress)
    nlz = run.nlz(window=min(50, run.epochs - 1))
    final = rank_one_summary(*_rank_one_arrays(run.final))
    perfect = run.accuracy >= 1.0
    in_nlz = nlz.in_nlz
    counts = {**nlz.counts(), "reached_perfect": int(perfect.any(axis=1).sum()),
              "still_perfect": int(perfect[:, -1].sum()),
              "nlz_three_fixed": int((final["n_fixed"][in_nlz] == 3).sum()),
              "nlz_negative_f_min": int((final["f_min"][in_nlz] < 0).sum()),
              "nlz_saturated": int((nlz.saturated & in_nlz).sum())}
    reduced = (f"{seeds} seeds x {epochs} epochs (paper: 100 x 6000); numpy seeds (paper: torch seeds), so "
               "counts compare in size, not exactly: one seed set is one draw.")
    settings = (seeds, epochs, float(run.lr[0]), units)
    spread = MEASURED_SPREAD if settings == MEASURED_SPREAD.settings else None
    return NLZCollapse(run=run, nlz=nlz, final_n_fixed=final["n_fixed"], final_f_min=final["f_min"],
                    counts=counts, lr=float(run.lr[0]), seeds=seed_list, reduced=reduced, spread=spread)


#: The counts quoted for the paper's own seeds (100 networks; unconfirmed against the paper) and
#: those of an independent re-implementation with another RNG.
PAPER_COUNTS = {"learned": 74, "nlz": 54}
REIMPLEMENTATION_COUNTS = {"learned": 78, "nlz": 51}


@dataclass(frozen=True)
class CollapseSpread:
    """Learned and NLZ counts of the collapse experiment over several seed sets.

    Set k trains the networks with seeds ``first_seeds[k], ..., first_seeds[k] + networks - 1``.

    Attributes
    ----------
    first_seeds : tuple of int
        The first network seed of each set.
    learned, nlz, nlz_three_fixed : tuple of int
        Per set: networks that learned, that ended in the NLZ, NLZ networks with 3 fixed points.
    networks, epochs, lr, units :
        The settings of every set.
    source : str
        ``"computed in this run"`` or where a stored measurement comes from (date, machine, command).
    """

    first_seeds: tuple[int, ...]
    learned: tuple[int, ...]
    nlz: tuple[int, ...]
    nlz_three_fixed: tuple[int, ...]
    networks: int
    epochs: int
    lr: float
    units: int
    source: str = "computed in this run"

    @property
    def sets(self) -> int:
        return len(self.first_seeds)

    @property
    def settings(self) -> tuple[int, int, float, int]:
        return (self.networks, self.epochs, self.lr, self.units)

    def mean(self, key: str) -> float:
        """Mean over the sets of ``"learned"``, ``"nlz"`` or ``"nlz_three_fixed"``."""
        return float(np.mean(getattr(self, key)))

    def sd(self, key: str) -> float:
        """Sample standard deviation (ddof 1) over the sets; NaN for one set."""
        values = np.asarray(getattr(self, key), dtype=float)
        return float(values.std(ddof=1)) if values.size > 1 else float("nan")

    def mean_sd(self, key: str) -> str:
        """``"mean ± sd"`` of ``key`` over the sets (just the mean for one set)."""
        return _pm(self.mean(key), self.sd(key))

    def line(self) -> str:
        """One line: mean ± sd of learned and NLZ, and the share of NLZ networks with 3 fixed points."""
        three, nlz = sum(self.nlz_three_fixed), sum(self.nlz)
        share = f" ({100 * three / nlz:.0f} %)" if nlz else ""
        return (f"over {self.sets} seed sets of {self.networks} networks ({self.source}): "
                f"learned {self.mean_sd('learned')}, NLZ {self.mean_sd('nlz')} (mean ± sd); "
                f"3 fixed points in {three} of {nlz} NLZ networks{share}")

    def summary(self) -> str:
        per_set = zip(self.first_seeds, self.learned, self.nlz, self.nlz_three_fixed, strict=True)
        rows = "\n".join(f"  seeds {s}-{s + self.networks - 1}: learned {a}, NLZ {b} "
                         f"({c} with 3 fixed points)" for s, a, b, c in per_set)
        return (f"collapse experiment, lr {self.lr:g}, {self.epochs} epochs, {self.units} units\n{rows}\n"
                f"{self.line()}")

    def to_dict(self) -> dict:
        out = {"sets": self.sets, "first_seeds": list(self.first_seeds), "learned": list(self.learned),
               "nlz": list(self.nlz), "nlz_three_fixed": list(self.nlz_three_fixed),
               "networks": self.networks, "epochs": self.epochs, "lr": self.lr, "units": self.units,
               "source": self.source}
        for key in ("learned", "nlz"):
            sd = self.sd(key)
            out[f"{key}_mean"] = self.mean(key)
            out[f"{key}_sd"] = None if np.isnan(sd) else sd
        return out

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        return write_json(self.to_dict(), path)


def _pm(mean: float, sd: float) -> str:
    return f"{mean:.1f}" if np.isnan(sd) else f"{mean:.1f} ± {sd:.1f}"


def collapse_spread(
    seed_sets: int = 5, *, seeds: int = 100, epochs: int = 6000, lr: float = 0.02, units: int = 100,
    seed: int = 0, first: NLZCollapse | None = None, progress: bool = False,
) -> CollapseSpread:
    """The collapse experiment over ``seed_sets`` disjoint seed sets: how much one draw moves.

    Set k runs :func:`collapse_experiment` with ``seed = seed + k * seeds``. About 18 s per set of
    100 networks x 6000 epochs on one core of a 2-core CPU.

    Parameters
    ----------
    seed_sets : int, default 5
    seeds, epochs, lr, units, seed :
        As in :func:`collapse_experiment`.
    first : NLZCollapse, optional
        An already computed result for the first set (same settings and ``seed``): reused.
    progress : bool, default False

    Examples
    --------
    >>> spread = collapse_spread(2, seeds=2, epochs=60, units=20)
    >>> spread.sets, spread.first_seeds, spread.networks
    (2, (0, 2), 2)
    """
    seed_sets = check_int("seed_sets", seed_sets, minimum=1)
    seeds = check_int("seeds", seeds, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if first is not None:
        given = (first.seeds[0], first.counts["networks"], first.run.epochs, first.lr, first.run.initial[0].N)
        if given != (seed, seeds, epochs, lr, units):
            raise ValueError("`first` must be a collapse_experiment result with the same seed, seeds, "
                             f"epochs, lr and units as asked, {seed, seeds, epochs, lr, units}; got {given}")
    results = []
    for k in range(seed_sets):
        if k == 0 and first is not None:
            results.append(first)
            continue
        results.append(collapse_experiment(seeds=seeds, epochs=epochs, lr=lr, units=units,
                                           seed=seed + k * seeds, progress=progress))
    counts = [r.counts for r in results]
    return CollapseSpread(first_seeds=tuple(r.seeds[0] for r in results),
                          learned=tuple(c["learned"] for c in counts), nlz=tuple(c["nlz"] for c in counts),
                          nlz_three_fixed=tuple(c["nlz_three_fixed"] for c in counts), networks=seeds,
                          epochs=epochs, lr=float(results[0].lr), units=units)


#: The spread of the default collapse experiment (100 networks, lr 0.02, 6000 epochs, 100 units),
#: measured once because recomputing it takes minutes; ``collapse_spread(20)`` reproduces it.
MEASURED_SPREAD = CollapseSpread(
    first_seeds=tuple(range(0, 2000, 100)),
    learned=(74, 75, 78, 68, 75, 77, 83, 77, 78, 81, 88, 73, 83, 73, 66, 77, 76, 72, 71, 78),
    nlz=(54, 55, 53, 49, 50, 54, 61, 52, 49, 60, 64, 40, 62, 56, 49, 52, 53, 45, 45, 56),
    nlz_three_fixed=(54, 55, 50, 48, 49, 54, 61, 52, 47, 60, 63, 39, 62, 55, 49, 51, 52, 45, 43, 55),
    networks=100, epochs=6000, lr=0.02, units=100,
    source="stored: measured 2026-12-01 on a 2-core Intel Xeon CPU with "
           "`bifwatch reproduce ghost-collapse --seed-sets 20`",
)


def _rank_one_arrays(models) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.stack([net.m[:, 0] for net in models]), np.stack([net.right[:, 0] for net in models]),
            np.stack([net.b for net in models]))
