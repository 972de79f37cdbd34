"""Figures of low-rank RNNs trained on the DA task: curves, latent flows, ghosts, the experiments."""

from __future__ import annotations

import numpy as np


def _figure(fig, ncols: int, nrows: int = 1, size=(4.2, 3.4)):
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(size[0] * ncols, size[1] * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes.ravel()


def plot_curves(run, index: int = 0, ax=None, *, mark=()):
    """Loss and gradient norm of network ``index``, each divided by its maximum, on log axes.

    ``mark`` adds dotted vertical lines (e.g. the flow snapshots' epochs).
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.figure(figsize=(5, 3.4)).gca()
    epochs = np.arange(1, run.epochs + 1)
    for key, label, colour in (("loss", "loss", "C0"), ("grad_norm", "gradient norm", "C3")):
        curve = getattr(run, key)[index]
        ax.plot(epochs, curve / max(np.nanmax(curve), 1e-300), color=colour, lw=1, label=f"{label} / max")
    for e in mark:
        ax.axvline(e + 1, color="0.5", ls=":", lw=1)
    ax.set(xscale="log", yscale="log", ylim=(1e-6, 5), xlabel="epoch",
           title=f"training (lr = {run.lr[index]:g})")
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_latent_flow(curves, ax=None, *, labels=None, ylim=None):
    """The latent flow F(kappa) of rank-one snapshots, with kappa_0 (red dots), the threshold
    kappa = 1 and F = 0 (dashed); fixed points filled (stable) or open (unstable), ghosts as crosses.

    ``curves`` are :class:`bifwatch.studies.lowrank.FlowCurve` (from ``flow_curve``), one per network.
    """
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.figure(figsize=(5, 3.4)).gca()
    labels = labels if labels is not None else [None] * len(curves)
    for i, (curve, label) in enumerate(zip(curves, labels, strict=True)):
        colour = f"C{i}"
        ax.plot(curve.kappa, curve.F, color=colour, lw=1.3, label=label)
        ax.plot([curve.kappa0], [curve.F0], "o", color="red", ms=5, zorder=5)
        for k, stable in zip(curve.fixed, curve.stable, strict=True):
            ax.plot([k], [0.0], "o", ms=6, color=colour, mfc=colour if stable else "white", zorder=6)
        if len(curve.ghosts):
            ax.plot(curve.ghosts, curve.F_ghosts, "x", ms=7, mew=2, color=colour, zorder=6)
    ax.axhline(0, color="k", ls="--", lw=0.8)
    ax.axvline(1, color="k", ls="--", lw=0.8)
    span = (curves[0].kappa[0], curves[0].kappa[-1]) if len(curves) else (-1.0, 1.0)
    ax.set(xlim=span, ylim=ylim, xlabel=r"$\kappa$", ylabel=r"$F(\kappa) = \tau\,d\kappa/dt$",
           title="latent flow")
    if any(label is not None for label in labels):
        ax.legend(fontsize=8)
    return ax


def plot_tracks(run, index: int = 0, ax=None):
    """F_min (left axis) and the number of latent fixed points (right axis) over the epochs."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.figure(figsize=(5, 3.4)).gca()
    epochs = run.analysis_epochs
    ax.plot(epochs, run.f_min[index], color="C2", lw=1.2, label=r"$F_{\min}$ (ghost depth)")
    ax.axhline(0, color="k", ls="--", lw=0.8)
    ax.set(xlabel="epoch", ylabel=r"$F_{\min}$", title="ghost depth and fixed points")
    twin = ax.twinx()
    twin.step(epochs, run.n_fixed[index], where="post", color="C1", lw=1.2, label="# fixed points")
    twin.set(ylabel="# fixed points", ylim=(0, max(4, int(run.n_fixed[index].max(initial=0)) + 1)))
    lines = ax.get_lines()[:1] + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper left")
    return ax


def plot_da_training(run, index: int = 0, *, fig=None):
    """Curves and (for rank one) the ghost/fixed-point tracks of one network: a Figure."""
    tracked = run.analysis_epochs.size > 0
    fig, axes = _figure(fig, 2 if tracked else 1)
    plot_curves(run, index, axes[0])
    if tracked:
        plot_tracks(run, index, axes[1])
    fig.tight_layout()
    return fig


def plot_abrupt(result, curves, *, fig=None):
    """Experiment 1: curves, the flow at three epochs (``curves``, one FlowCurve per snapshot),
    F_min and the fixed-point count."""
    fig, axes = _figure(fig, 3)
    plot_curves(result.run, 0, axes[0], mark=result.snapshot_epochs)
    labels = [f"epoch {e}" for e in result.snapshot_epochs]
    plot_latent_flow(curves, axes[1], labels=labels, ylim=(-2, 3))
    plot_tracks(result.run, 0, axes[2])
    fig.tight_layout()
    return fig


def plot_collapse(result, *, fig=None):
    """Experiment 2: outcome fractions and F_min of the NLZ networks at the end."""
    fig, axes = _figure(fig, 2)
    counts = result.counts
    names = ["learned", "nlz", "never_learned", "still_perfect"]
    fractions = [counts[k] / counts["networks"] for k in names]
    axes[0].bar(range(len(names)), fractions, color=["C0", "C3", "0.6", "C2"])
    axes[0].set(xticks=range(len(names)), xticklabels=["learned", "NLZ", "never\nlearned", "perfect\nat end"],
                ylim=(0, 1), ylabel=f"fraction of {counts['networks']} seeds", title=f"lr = {result.lr:g}")
    f_end = result.final_f_min
    nlz = result.nlz.in_nlz
    axes[1].hist([f_end[nlz & np.isfinite(f_end)], f_end[~nlz & np.isfinite(f_end)]], bins=20,
                 label=["NLZ", "other"], color=["C3", "C0"], stacked=True)
    axes[1].axvline(0, color="k", ls="--", lw=0.8)
    axes[1].set(xlabel=r"final $F_{\min}$", ylabel="networks", title="ghost depth at the end")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_confidence(result, ax=None):
    """Experiment 3: mean accuracy (± SEM) of the NLZ networks after retraining at each confidence."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.figure(figsize=(5, 3.4)).gca()
    c = np.asarray(result.confidences)
    x = np.arange(c.size)
    ax.bar(x, result.mean_accuracy, yerr=result.sem_accuracy, color="C0", capsize=3)
    ax.axhline(0.5, color="k", ls="--", lw=0.8)
    ax.set(xticks=x, xticklabels=[f"{v:g}" for v in c], ylim=(0, 1.05), xlabel="confidence c",
           ylabel="mean accuracy", title=f"{result.n_networks} NLZ networks, {result.epochs} epochs")
    return ax


def plot_rank(result, ax=None, *, nlz: bool = False, legend: bool = True):
    """Experiment 4: fraction of networks that learned (or, ``nlz=True``, that ended in the
    no-learning zone) against the learning rate, one line per network type."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.figure(figsize=(5, 3.4)).gca()
    values = result.fraction_nlz if nlz else result.fraction_learned
    for i, label in enumerate(result.labels):
        ax.plot(result.lrs, values[i], "o-", label=label, color=f"C{i}")
    ylabel = "fraction in the NLZ" if nlz else "fraction learned (loss ratio < 1e-2)"
    ax.set(xscale="log", ylim=(-0.05, 1.05), xlabel="learning rate", ylabel=ylabel,
           title=f"{result.seeds} seeds, {result.epochs} epochs")
    if legend:
        ax.legend(fontsize=8)
    return ax


def plot_rank_experiment(result, *, fig=None):
    """Experiment 4 in two panels: fraction learned and fraction in the NLZ against the learning rate."""
    fig, axes = _figure(fig, 2)
    plot_rank(result, axes[0])
    plot_rank(result, axes[1], nlz=True, legend=False)
    fig.tight_layout()
    return fig


def plot_confidence_experiment(result, *, fig=None):
    """Experiment 3 as a figure of its own (see :func:`plot_confidence`)."""
    fig, axes = _figure(fig, 1)
    plot_confidence(result, axes[0])
    fig.tight_layout()
    return fig
