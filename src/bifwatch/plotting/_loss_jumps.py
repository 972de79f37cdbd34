"""Figures of the loss-jumps study (Eisenmann et al. 2023): Fig. 3, Fig. 5 and the gradient theorem.

Each draws a result of :mod:`bifwatch.studies.loss_jumps` as it is given; nothing is computed here
beyond picking what to show.
"""

from __future__ import annotations

import numpy as np

from ._checks import require

_EVENTS = {  # type -> colour, marker, legend name
    "border-collision": ("white", "o", "border collision"),
    "degenerate-transcritical": ("tab:red", "x", "degenerate transcritical"),
    "degenerate-flip": ("tab:purple", "+", "degenerate flip"),
    "degenerate-neimark-sacker": ("tab:orange", "*", "degenerate Neimark-Sacker"),
}
_PATHS = ("tab:red", "magenta")


#: Colour ranges of the landscapes (the data's variance is 0.07): values outside are clipped.
LOSS_RANGE = (1e-4, 10.0)
GRAD_RANGE = (1e-2, 1e4)


def plot_loss_jumps(result, axes=None):
    """Draw a ``LossJumpsResult`` on six panels; returns the (2, 3) array of Axes.

    (a) the GTF loss landscape at the training α over (Δa11, Δa22), the exact bifurcation
    curves of :func:`bifwatch.parameter_map` on top and the two runs with the most jumps as paths
    (their (a11, a22) projected: the other four parameters move too), jumps marked;
    (b) |∇L| there; (c) the free-running (α = 0) loss; (d) the loss of the two runs with their
    jumps; (e) a zoom on the first run's densest stretch of jumps with the bifurcations found;
    (f) the share of jumps and of random control epochs with a bifurcation in the window.
    Colours of the landscapes are clipped to :data:`LOSS_RANGE` and :data:`GRAD_RANGE`; grey
    cells overflowed (the trajectory left every float).
    """
    import matplotlib.pyplot as plt

    require(result, "result", "LossJumpsResult", ("landscape", "curves", "runs", "jumps", "shown"))
    if axes is None:
        _, axes = plt.subplots(2, 3, figsize=(20, 12.5))
    flat = np.asarray(axes).ravel()
    fig = flat[0].figure
    land, alpha = result.landscape, result.settings["alpha"]
    k_train = land.alphas.index(alpha)
    k_free = land.alphas.index(0.0) if 0.0 in land.alphas else k_train
    panels = ((land.loss[k_train], "loss", LOSS_RANGE, f"(a) loss, GTF α = {alpha:g}"),
              (land.grad_norm[k_train], "|∇L|", GRAD_RANGE, f"(b) gradient norm |∇L|, α = {alpha:g}"),
              (land.loss[k_free], "loss", LOSS_RANGE,
               f"(c) loss, α = {land.alphas[k_free]:g} (free running)"))
    legend = []
    for ax, (values, label, limits, title) in zip(flat[:3], panels, strict=True):
        teacher = _landscape(ax, land, values, label, limits, title)
        curves = _curves(ax, result)
        paths = _paths(ax, result) if ax is not flat[2] else []
        legend = legend or [teacher, *curves, *paths]
    fig.legend(handles=legend, loc="center", bbox_to_anchor=(0.45, 0.515),
               ncol=5, fontsize=9, frameon=False,
               title=f"exact bifurcation curves (parameter_map, orders 1..{result.curves.max_order}) and "
                     "training paths ((a11, a22) of all-parameter runs, projected; o: start, x: loss jumps)",
               title_fontsize=9)
    _loss_curves(flat[3], result)
    _zoom(flat[4], result)
    _fractions(flat[5], result)
    fig.suptitle(f"Loss jumps and bifurcations: 2-D PLRNN students of the 16-cycle teacher, "
                 f"{len(result.jumps)} seeds, {result.settings['epochs']} epochs "
                 "(Eisenmann et al. 2023, Fig. 3)",
                 fontsize=13)
    fig.subplots_adjust(left=0.05, right=0.97, top=0.94, bottom=0.06, hspace=0.42, wspace=0.28)
    return axes


def _landscape(ax, land, values, label, limits, title):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    d = land.deltas
    cmap = plt.get_cmap("viridis").with_extremes(bad=(0.8, 0.8, 0.8))
    step = (d[-1] - d[0]) / max(len(d) - 1, 1)
    shown = np.ma.masked_invalid(np.clip(values, *limits))
    image = ax.imshow(shown.T, origin="lower", cmap=cmap, norm=LogNorm(*limits),
                      extent=(d[0] - step / 2, d[-1] + step / 2, d[0] - step / 2, d[-1] + step / 2),
                      aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label=f"{label} (clipped to [{limits[0]:g}, {limits[1]:g}])",
                       fraction=0.046, extend="both")
    teacher, = ax.plot([0], [0], marker="*", color="gold", ms=14, mec="k", ls="none", label="teacher")
    ax.set_xlim(d[0], d[-1])
    ax.set_ylim(d[0], d[-1])
    ax.set_xlabel("Δa11")
    ax.set_ylabel("Δa22")
    ax.set_title(title)
    return teacher


def _curves(ax, result) -> list:
    events, (c11, c22) = result.curves.events, result.landscape.centre
    handles = []
    for kind, (colour, marker, name) in _EVENTS.items():
        mask = np.asarray(events["type"]) == kind
        if mask.any():
            handles.append(ax.scatter(events["x"][mask] - c11, events["y"][mask] - c22, s=9, c=colour,
                                      marker=marker, linewidths=0.4 if marker == "o" else 0.9, label=name,
                                      edgecolors="k" if marker == "o" else None))
    return handles


def _paths(ax, result) -> list:
    c11, c22 = result.landscape.centre
    handles = []
    for colour, b in zip(_PATHS, result.shown, strict=False):
        run = result.jumps[b]
        theta = result.runs.theta[: run.last_epoch + 1, b]
        line, = ax.plot(theta[:, 0] - c11, theta[:, 1] - c22, "-", color=colour, lw=1.2,
                        label=f"run seed {run.seed} ({len(run.jumps)} jumps)")
        ax.plot(theta[0, 0] - c11, theta[0, 1] - c22, "o", color=colour, ms=7, mec="k")
        at = np.array([int(j.epoch) for j in run.jumps], dtype=int)
        if at.size:
            ax.plot(theta[at, 0] - c11, theta[at, 1] - c22, "x", color=colour, ms=7, mew=1.6)
        handles.append(line)
    return handles


def _loss_curves(ax, result) -> None:
    for colour, b in zip(_PATHS, result.shown, strict=False):
        run = result.jumps[b]
        loss = result.runs.loss[: run.last_epoch + 1, b]
        hits = int(run.jump_signature.sum())
        ax.semilogy(loss, color=colour, lw=0.8, label=f"seed {run.seed}: {len(run.jumps)} jumps; of "
                    f"{len(run.sampled)} searched, {hits} with a signature event in the window")
        at = np.array([int(j.epoch) for j in run.jumps], dtype=int)
        if at.size:
            ax.plot(at, loss[at], "x", color=colour, ms=5)
    ax.set_xlabel("epoch")
    ax.set_ylabel("GTF loss")
    ax.set_title("(d) loss of the two runs drawn as paths (x: loss jumps)")
    ax.legend(fontsize=8)


def _zoom(ax, result) -> None:
    zoom = result.zoom
    if zoom is None:
        ax.set_axis_off()
        ax.set_title("(e) no loss jumps to zoom on")
        return
    run = result.jumps[zoom.run]
    epochs = np.arange(zoom.lo, zoom.hi + 1)
    loss = result.runs.loss[epochs, zoom.run]
    ax.semilogy(epochs, loss, "k.-", lw=0.8, ms=3, label="loss")
    events = [t for t in zoom.found.events if zoom.lo - 3 <= t.epoch <= zoom.hi]
    orders = sorted({t.event.order for t in events})
    colours = {k: f"C{i % 10}" for i, k in enumerate(orders)}
    for t in events:
        ax.axvline(t.epoch, color=colours[t.event.order], lw=1.0, alpha=0.8,
                   ls="-" if t.event.outcome in ("born", "dies") else ":")
    for k in orders:
        ax.plot([], [], color=colours[k], label=f"bifurcation, order {k}")
    marks = ((2, "tab:green", "jump: a signature event in its window"),
             (1, "tab:orange", "jump: another event only"), (0, "tab:red", "jump: no event"))
    flags = np.where(zoom.jump_signature, 2, np.where(zoom.jump_any, 1, 0))
    for code, colour, label in marks:
        at = zoom.jump_epochs[flags == code]
        ax.plot(at, result.runs.loss[at, zoom.run], "o", color=colour, ms=8, mfc="none", mew=2,
                label=f"{label} ({at.size})")
    ax.set_xlim(zoom.lo - 3.5, zoom.hi + 0.5)
    finite = loss[np.isfinite(loss)]
    if finite.size:  # room above the curve for the legend
        ax.set_ylim(finite.min() / 1.3, finite.max() * (finite.max() / finite.min()) ** 0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("GTF loss")
    ax.set_title(f"(e) seed {run.seed}, epochs {zoom.lo}-{zoom.hi}, every interval continued\n"
                 "(lines: bifurcations, solid born/dies, dotted persists)", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper center", ncol=2, framealpha=0.9)


def _fractions(ax, result) -> None:
    names = (("jumps_any", "jumps:\nany event"), ("jumps_signature", "jumps:\nsignature"),
             ("control_any", "random epochs:\nany event"), ("control_signature", "random epochs:\nsignature"))
    f = result.fractions()
    rng = np.random.default_rng(0)  # jitter of the dots only
    for i, (key, _) in enumerate(names):
        entry = f[key]
        colour = "tab:blue" if key.startswith("jumps") else "tab:grey"
        pooled = entry["hits"] / entry["total"] if entry["total"] else np.nan
        ax.bar(i, 100 * pooled, width=0.7, color=colour, alpha=0.25)
        values = np.array([v for v in entry["per_run"] if np.isfinite(v)])
        jitter = rng.uniform(-0.12, 0.12, values.size)
        ax.scatter(i - 0.1 + jitter, 100 * values, s=18, color=colour, alpha=0.7)
        if values.size:
            sd = entry["sd"] if np.isfinite(entry["sd"]) else 0.0
            ax.errorbar(i + 0.18, 100 * entry["mean"], yerr=100 * sd, fmt="s", color="k", capsize=4)
        ax.annotate(f"pooled\n{entry['hits']}/{entry['total']}", (i, 0), xytext=(0, 4),
                    textcoords="offset points", ha="center", fontsize=8)
    ax.set_xticks(range(len(names)), [n for _, n in names], fontsize=8)
    ax.set_ylim(-5, 110)
    ax.set_ylabel("% with a bifurcation in [e - 1 - window, e]")
    ax.set_title(f"(f) bars: pooled; dots: per run; squares: mean ± sd over runs (orders "
                 f"1..{result.settings['max_order']})", fontsize=10)


def plot_gtf(result, axes=None):
    """Draw a ``GTFResult``: the loss of every run at each α (jumps marked) and the counts per run.

    Returns the (2, 2) array of Axes: (a, b) loss curves at the first two α; (c) loss jumps per
    run and those with a bifurcation in the window; (d) bifurcations per run (all, signature).
    """
    import matplotlib.pyplot as plt

    require(result, "result", "GTFResult", ("alphas", "trained", "runs", "statistics"))
    if axes is None:
        _, axes = plt.subplots(2, 2, figsize=(14, 9.5))
    flat = np.asarray(axes).ravel()
    stats = result.statistics()
    for ax, alpha, trained in zip(flat[:2], result.alphas, result.trained, strict=False):
        _gtf_curves(ax, result, alpha, trained, stats[f"{alpha:g}"])
    _gtf_counts(flat[2], result, stats,
                (("jumps", "loss jumps"), ("explained", "... with a bifurcation in the window")),
                "(c) loss jumps per run")
    _gtf_counts(flat[3], result, stats, (("bifurcations", "bifurcations"), ("signature", "... signature")),
                "(d) bifurcations per run (orders 1.." f"{result.settings['max_order']})")
    flat[0].figure.suptitle("Generalized teacher forcing: the same students at each α, plain gradient "
                            "descent (Eisenmann et al. 2023, Fig. 5)")
    flat[0].figure.tight_layout()
    return axes


def _gtf_curves(ax, result, alpha, trained, stats) -> None:
    for run in result.per_alpha(alpha):
        if run.last_epoch < 1:
            continue
        loss = trained.loss[: run.last_epoch + 1, run.run]
        line, = ax.semilogy(loss, lw=0.7, alpha=0.85)
        if run.record is not None:
            at = np.array([int(j.epoch) for j in run.record.jumps if j.kind == "jump"], dtype=int)
            ax.plot(at, loss[at], "x", color=line.get_color(), ms=4)
    ax.set_xlabel("epoch")
    ax.set_ylabel("GTF loss")
    letter = "ab"[result.alphas.index(alpha)]
    ax.set_title(f"({letter}) α = {alpha:g}: {stats['diverged']} of {stats['runs']} diverged (not drawn "
                 "past it); x: loss jumps")


def _gtf_counts(ax, result, stats, keys, title) -> None:
    rng = np.random.default_rng(0)  # jitter of the dots only
    width = 0.35
    for i, alpha in enumerate(result.alphas):
        st = stats[f"{alpha:g}"]
        for j, (key, label) in enumerate(keys):
            x = i + (j - 0.5) * width
            values = np.asarray(st[key]["per_run"], dtype=float)
            ax.scatter(x + rng.uniform(-0.06, 0.06, values.size), values, s=14, color=f"C{j}", alpha=0.6,
                       label=label if i == 0 else None)
            if values.size:
                sd = st[key]["sd"] if np.isfinite(st[key]["sd"]) else 0.0
                ax.errorbar(x + 0.1, st[key]["mean"], yerr=sd, fmt="s", color="k", capsize=4)
                ax.annotate(f"{st[key]['mean']:.1f} ± {sd:.1f}", (x + 0.12, st[key]["mean"]), fontsize=8)
    ax.set_xticks(range(len(result.alphas)), [f"α = {a:g}\n({stats[f'{a:g}']['completed']} runs)"
                                              for a in result.alphas])
    ax.set_ylabel("per run (dots); mean ± sd (squares)")
    ax.set_title(title)
    ax.legend(fontsize=8)


def plot_gradient_theorem(result, axes=None):
    """Draw a ``GradientTheoremResult`` on two panels; returns the array of Axes.

    (a) |dL/da| against 1 - a on log-log axes at the degenerate transcritical bifurcation: the
    fixed point's gradient, the closed form 2h²/(1-a)³ and the T-step trajectories (which level off
    below 1 - a ≈ 1/T); (b) the gradients of the stationary loss across the border collision.
    """
    import matplotlib.pyplot as plt

    require(result, "result", "GradientTheoremResult",
            ("distance", "dtb_gradient", "h_values", "bcb_gradient"))
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(14, 5.5))
    ax, bx = np.asarray(axes).ravel()[:2]
    s, slopes = result.settings, result.slopes()
    ax.loglog(result.distance, np.abs(result.dtb_gradient), "k-", lw=2,
              label=f"fixed point (implicit differentiation): slope {slopes['fixed_point']:.3f}")
    ax.loglog(result.distance, result.dtb_closed_form, "--", color="tab:orange", lw=1.5,
              label="2h²/(1-a)³ (slope -3)")
    colours = ("tab:blue", "tab:purple", "tab:green", "tab:brown")
    for i, (T, grad) in enumerate(result.dtb_trajectory.items()):
        colour = colours[i % len(colours)]
        ax.loglog(result.distance, np.abs(grad), ":", color=colour, lw=1.8,
                  label=f"T = {T} trajectory from z0 = 0 (slope {slopes[f'trajectory_T{T}_below_1/T']:.2f} "
                        "below 1/T)")
        ax.axvline(1.0 / T, color=colour, lw=0.8, alpha=0.7, ls="--")
        ax.annotate(f"1/T = {1.0 / T:g}", (1.0 / T, ax.get_ylim()[0]), xytext=(3, 8),
                    textcoords="offset points", fontsize=8, color=colour, rotation=90)
    ax.axvspan(1e-4, 1e-3, color="grey", alpha=0.12, lw=0, label="fit range")
    ax.set_xlabel("1 - a (distance to the DTB at a = 1)")
    ax.set_ylabel("|dL/da|")
    ax.set_title(f"(a) degenerate transcritical: z' = a z + {s['dtb_h']:g}, L = (z* - {s['dtb_target']:g})²")
    ax.legend(fontsize=8)
    h, border = result.h_values, result.events["bcb"]
    sides = (h < border, h > border)  # drawn apart: the jump is not a steep stretch of curve
    styles = (("h", "tab:blue", 2.2, "dL/dh"), ("A", "tab:green", 5.0, "dL/da (= dL/dw for h > 0)"),
              ("W", "tab:red", 2.2, "dL/dw"))
    for key, colour, width, name in styles:
        for i, side in enumerate(sides):
            bx.plot(h[side], result.bcb_gradient[key][side], "-", color=colour, lw=width,
                    alpha=0.5 if key == "A" else 1.0, label=f"{name} at the fixed point" if i == 0 else None)
    for i, side in enumerate(sides):
        bx.plot(h[side], result.bcb_trajectory[side], "--", color="k", lw=0.9,
                label=f"dL/dh, T = {s['steps'][0]} trajectory from z0 = 0" if i == 0 else None)
    bx.axvline(border, color="grey", lw=0.8, ls="--", label="border collision (exact)")
    bx.annotate("dL/dw = 0 exactly: the unit is off", (h[0], 0.0), xytext=(6, 6), textcoords="offset points",
                fontsize=8, color="tab:red")
    jump = result.bcb_jump()
    bx.annotate(f"jump {jump['left']:.2f} → {jump['right']:.2f}", (0.0, 0.5 * (jump["left"] + jump["right"])),
                xytext=(12, 0), textcoords="offset points", fontsize=9)
    bx.set_xlabel("h")
    bx.set_ylabel("gradient")
    bx.set_title(f"(b) border collision: z' = {s['bcb_a']:g} z + ({s['bcb_w']:g}) relu(z) + h")
    bx.legend(fontsize=8)
    ax.figure.tight_layout()
    return np.asarray(axes)
