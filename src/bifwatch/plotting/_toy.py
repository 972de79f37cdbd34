"""Figure of the saddle-node toy model (the paper's Fig. 2 panels and Fig. 8A)."""

from __future__ import annotations

import numpy as np


def plot_ghost_toy(report, axes=None):
    """Draw a :class:`bifwatch.studies.toy.ToyReport` on six panels; returns the (2, 3) array of Axes.

    Panels: (a) analytic against simulated loss over r, with r* and the point of no return r*/4;
    (b, c) loss and r over epochs for the two learning rates of ``report.curves``; (d) loss
    against learning rate (mean ± SEM over initialisations, at each checkpoint) and (e) the
    fraction of runs stuck in the no-learning zone, both with the analytic and the empirical
    critical learning rate; (f) normalised |dL/dr| against r for several confidences.

    In (f), for confidences a ≳ 0.5 the output switches on within about one Euler step, so the
    exact gradient of the *discrete* loss oscillates with the step grid to the right of r*/4;
    the point of the panel is left of r*/4, where low confidence keeps a usable gradient.
    Learning rates refer to the un-normalised loss L_u; losses are normalised (L_u/T).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    axes = np.asarray(axes)
    flat = axes.ravel()
    _landscape(report, flat[0])
    _curves(report, flat[1], flat[2])
    _sweep_loss(report, flat[3])
    _sweep_stuck(report, flat[4])
    _gradients(report, flat[5])
    flat[0].figure.suptitle(
        f"saddle-node toy dx/dt = r + x², delayed activation T = {report.toy.T:g}, dt = {report.toy.dt:g}, "
        f"x* = {report.toy.threshold:g}"
    )
    return axes


def _landmarks(report, ax) -> None:
    ax.axvline(1.0, color="tab:green", ls=":", lw=1, label="r*")
    ax.axvline(0.25, color="tab:red", ls=":", lw=1, label="r*/4 (point of no return)")


def _landscape(report, ax) -> None:
    x = report.r / report.r_star
    ax.plot(x, report.loss_analytic, "k-", lw=2, label="analytic (sharp limit)")
    for a, loss in zip(report.landscape_confidences, report.loss_simulated, strict=True):
        ax.plot(x, loss, "--", lw=1.3, label=f"Euler, a = {a:g}")
    _landmarks(report, ax)
    ax.set_xlabel("r / r*")
    ax.set_ylabel("loss L = L_u / T")
    ax.set_title("(a) loss landscape")
    ax.legend(fontsize=8)


def _curves(report, ax_loss, ax_r) -> None:
    for curve in report.curves:
        epochs = np.arange(curve.epochs + 1)
        label = f"lr = {curve.lr:.2g}" + (" (stuck)" if curve.stuck[0] else "")
        ax_loss.plot(epochs, curve.loss[:, 0], lw=1.2, label=label)
        floor = 1e-3 * report.point_of_no_return  # r <= 0 cannot be drawn on the log axis
        ax_r.semilogy(epochs, np.maximum(curve.r[:, 0], floor), lw=1.2, label=label)
    ax_r.axhline(report.r_star, color="tab:green", ls=":", lw=1, label="r*")
    ax_r.axhline(report.point_of_no_return, color="tab:red", ls=":", lw=1, label="r*/4")
    ax_loss.set(xlabel="epoch", ylabel="loss L", title="(b) learning curves: loss")
    ax_r.set(xlabel="epoch", ylabel="r", title="(c) learning curves: r")
    ax_loss.legend(fontsize=8)
    ax_r.legend(fontsize=8)


def _critical_lines(report, ax) -> None:
    label = f"α_c = 3π⁴/32T⁵ = {report.critical_lr:.3g}"
    ax.axvline(report.critical_lr, color="k", ls="--", lw=1, label=label)
    ax.axvline(report.critical_lr_empirical, color="tab:orange", ls=":", lw=1.5,
               label=f"empirical = {report.critical_lr_empirical:.3g}")


def _sweep_loss(report, ax) -> None:
    sweep = report.sweep
    for epoch, mean, sem in zip(sweep.checkpoints, sweep.loss_mean, sweep.loss_sem, strict=True):
        ax.errorbar(sweep.rates, mean, yerr=sem, lw=1, ms=2, marker="o", capsize=0, label=f"epoch {epoch}")
    _critical_lines(report, ax)
    ax.set_xscale("log")
    ax.set(xlabel="learning rate (un-normalised loss)", ylabel="loss L (mean ± SEM)",
           title=f"(d) loss vs learning rate ({sweep.inits} inits)")
    ax.legend(fontsize=7)


def _sweep_stuck(report, ax) -> None:
    sweep = report.sweep
    ax.plot(sweep.rates, sweep.stuck_fraction, "o-", ms=3, lw=1, color="tab:red")
    _critical_lines(report, ax)
    ax.set_xscale("log")
    ax.set(xlabel="learning rate (un-normalised loss)", ylabel="fraction stuck (r ≤ r*/4)",
           title=f"(e) no-learning zone after {sweep.epochs} epochs", ylim=(-0.05, 1.05))
    ax.legend(fontsize=8)


def _gradients(report, ax) -> None:
    x = report.gradient_r / report.r_star
    floor = 1e-16
    for a, g in zip(report.gradient_confidences, report.gradient_simulated, strict=True):
        ax.semilogy(x, np.maximum(g, floor), lw=0.9, alpha=0.8, label=f"a = {a:g}")
    ax.semilogy(x, np.maximum(report.gradient_analytic, floor), "k-", lw=2, label="analytic")
    _landmarks(report, ax)
    ax.set(xlabel="r / r*", ylabel="|dL/dr| / max", title="(f) gradient vs confidence", ylim=(1e-12, 2))
    ax.legend(fontsize=7)
