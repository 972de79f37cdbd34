"""The monitor's report: one self-contained HTML page drawn from the record (``events.json``).

The page draws what the record holds and runs no analysis. Its figures are plotly figures, with
plotly.js embedded once inline (no network needed); its text and tables (``_report_tables``) are
plain HTML, readable without JavaScript. plotly is imported only when a report is written.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from .._format import fmt
from .._json import finite_or_none
from ._report_tables import CSS, event_label, explaining, number, summary_html, tables_html, text, type_name

#: Colour and marker of each bifurcation type (the markers of ``plot_diagram``).
_TYPE_STYLE = {
    "border-collision": ("#1f77b4", "circle"),
    "degenerate-transcritical": ("#d62728", "triangle-up"),
    "degenerate-flip": ("#2ca02c", "square"),
    "degenerate-neimark-sacker": ("#9467bd", "diamond"),
}
#: Colour of each explanation of a loss jump.
_WHY_COLOURS = {"bifurcation": "#ff7f0e", "ghost": "#17becf", "divergence": "#8c564b",
                "unexplained": "#7f7f7f"}
#: Colours of the cycle orders and of the tracks (ColorBrewer Dark2).
_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
_SYMBOLS = {"stable": "circle", "unstable": "circle-open", "stability unknown": "diamond-open"}
#: The lists of the record the report reads (each optional but ``checkpoints``; null is empty).
_LISTS = ("checkpoints", "bifurcations", "loss_jumps", "gradient_spikes", "ghosts", "ghost_failures",
          "tracks", "gaps", "failed_intervals")
#: Jumps are labelled with their explanation above the loss only when there are at most this many.
_MAX_LABELS = 15
#: One legend entry per track up to this many tracks (hover names each one).
_MAX_TRACK_LEGEND = 20
_LAYOUT = dict(template="plotly_white", margin=dict(l=70, r=20, t=60, b=50), hovermode="closest",
               font=dict(size=13), legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
_CONFIG = json.dumps({"responsive": True, "displaylogo": False})


def write_report(events: dict, path: str | os.PathLike, *, title: str | None = None) -> Path:
    """Write the monitor's report: one self-contained HTML page with its figures and tables.

    Parameters
    ----------
    events : dict
        The monitor's record as written to ``events.json`` (``MonitorRecord.to_dict()``; see
        docs/monitor.md). ``checkpoints`` and ``settings`` are required; every other key is
        drawn when present (``history``, ``tracks``, ``ghosts``, ``gradient_spikes``, ...).
    path : str or os.PathLike
        The HTML file to write; its folder must exist. Replaced atomically.
    title : str, optional
        The page title (default "bifwatch training report").

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        ``events`` not a dict, without ``checkpoints`` or ``settings``, or one of its lists not
        a list of objects; ``path`` a folder, or in a folder that does not exist.

    Notes
    -----
    The page shows: the loss and the gradient norm over epochs (log scales, one epoch axis),
    each bifurcation a dotted line and a marker coloured by its type, each loss jump at epoch e
    shaded over [e - 1, e] in the colour of its explanation, gradient-norm spikes marked; the
    bifurcation diagram over training (every cycle point projected on the run's first principal
    component, against its checkpoint's epoch: stable filled, unstable open, colour by order;
    ghosts as stars); the largest multiplier modulus of every tracked cycle against epoch with
    the unit line; and tables of the jumps, spikes, bifurcations, ghosts, gaps, failures, cycle
    counts and settings. A figure whose data the record lacks is replaced by a sentence saying
    so; a record with cycle counts but no cycles draws the counts instead of the diagram.

    plotly.js (about 4.8 MB) is embedded once, so the page works offline; drag to zoom,
    double-click to reset. Every string of the record is escaped, and NaN or infinite numbers
    become gaps (null), never JavaScript's NaN.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> events = {"checkpoints": [{"epoch": 0.0, "n_cycles_by_order": {"1": 1}}], "settings": {}}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = write_report(events, pathlib.Path(folder) / "report.html")
    ...     "bifwatch training report" in page.read_text()
    True
    """
    _lists(events)
    target = _target(path)
    events = finite_or_none(events)
    page = _page(title or "bifwatch training report", events, _lists(events))
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _lists(events) -> dict[str, list[dict]]:
    """The record's lists (missing or null ones empty), after checking what the report needs."""
    if not isinstance(events, dict):
        hint = " (pass record.to_dict())" if hasattr(events, "to_dict") else ""
        raise ValueError(f"`events` must be a dict, the monitor's record as in events.json{hint}; "
                         f"got {type(events).__name__}")
    for key in ("checkpoints", "settings"):
        if key not in events:
            raise ValueError(f"`events` has no {key!r} key: it must be the monitor's record "
                             f"(MonitorRecord.to_dict() or events.json); its keys are {sorted(events)}")
    for key, kind in (("settings", "a dict"), ("history", "a dict of columns")):
        if events.get(key) is not None and not isinstance(events[key], dict):
            raise ValueError(f"`events[{key!r}]` must be {kind}; got {type(events[key]).__name__}")
    lists = {}
    for key in _LISTS:
        value = [] if events.get(key) is None else events[key]
        bad = [type(v).__name__ for v in value if not isinstance(v, dict)] if isinstance(value, list) else []
        if not isinstance(value, list) or bad:
            got = f"a list holding a {bad[0]}" if bad else type(value).__name__
            raise ValueError(f"`events[{key!r}]` must be a list of objects (dicts); got {got}")
        lists[key] = value
    return lists


def _target(path) -> Path:
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"`path` {str(target)!r} is a folder; give the file to write, e.g. "
                         f"{str(target / 'report.html')!r}")
    if not target.parent.is_dir():
        raise ValueError(f"`path` {str(target)!r} is in a folder that does not exist "
                         f"({str(target.parent)!r}); create it first")
    return target


# -- the page ----------------------------------------------------------------------------------------


def _page(title: str, events: dict, lists: dict) -> str:
    from plotly import __version__ as plotly_version
    from plotly.offline import get_plotlyjs

    title = html.escape(title)
    sections = "".join(_section(*s) for s in _figures(events, lists))
    head = ('<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{title}</title><style>{CSS}</style>'
            f'<script type="text/javascript">{get_plotlyjs()}</script>')
    body = (f"<header><h1>{title}</h1>{summary_html(events, lists)}</header>"
            '<noscript><p class="empty">The figures need JavaScript; the tables do not.</p></noscript>'
            f'{sections}<section id="tables"><h2>Tables</h2>'
            f'{tables_html(lists, events["settings"])}</section>'
            "<footer>Drawn by bifwatch.plotting.write_report from the monitor's record; figures by "
            f"plotly {html.escape(plotly_version)} (embedded: the page works offline).</footer>")
    return f'<!DOCTYPE html>\n<html lang="en"><head>{head}</head><body>{body}</body></html>\n'


def _section(ident: str, heading: str, caption: str, figure, height: int, empty: str) -> str:
    """A figure's section: its heading, caption and div (or the sentence ``empty`` without a figure)."""
    if figure is None:
        content = f'<p class="empty">{html.escape(empty)}</p>'
    else:  # plotly's JSON escapes '<' already (no '</script>' can end the script); this is belt and braces
        spec = figure.to_json().replace("</", "<\\/")
        content = (f'<div id="{ident}" class="figure" style="height:{height}px"></div>'
                   f'<script type="text/javascript">(function () {{ var f = {spec}; '
                   f'Plotly.newPlot("{ident}", f.data, f.layout, {_CONFIG}); }})();</script>')
    return (f'<section id="{ident}-section"><h2>{html.escape(heading)}</h2>'
            f'<p class="caption">{html.escape(caption)}</p>{content}</section>')


def _figures(events: dict, lists: dict) -> list[tuple]:
    """(id, heading, caption, figure or None, height, what to say without it) of each figure."""
    grad = _column(events, "grad_norm") is not None
    out = [("fig-loss", "Loss and gradient norm",
            "Each bifurcation is a dotted line and a marker in the colour of its type; each loss jump at "
            "epoch e is shaded over [e - 1, e] in the colour of its explanation. Drag to zoom, "
            "double-click to reset.", _loss_figure(events, lists), 600 if grad else 420,
            "No loss history in this record, so no loss curve; the jumps, if any, are in the tables.")]
    if any("cycles" in c for c in lists["checkpoints"]) or not lists["checkpoints"]:
        out.append(("fig-diagram", "Bifurcation diagram over training",
                    "Every point of every cycle at each checkpoint, projected on the first principal "
                    "component of all cycle points, against the checkpoint's epoch: filled markers stable, "
                    "open unstable, colour by order. Grey dotted lines: the bifurcations' epochs.",
                    _diagram_figure(events, lists), 480, "No cycles with projected points in this record."))
    else:
        out.append(("fig-counts", "Cycles at each checkpoint",
                    "The number of cycles of each order found at each checkpoint (this record holds the "
                    "counts, not the cycles). Grey dotted lines: the bifurcations' epochs.",
                    _counts_figure(lists), 420, "No checkpoints."))
    out.append(("fig-multipliers", "Largest multiplier modulus of each tracked cycle",
                "The spectral radius of each tracked cycle (one identity over training, matched by region "
                "sequence) against epoch: filled markers stable, open unstable. Above the dashed unit line "
                "|λ| = 1 a cycle is unstable.", _multiplier_figure(lists), 460,
                "No tracked cycles in this record."))
    return out


# -- helpers of the figures --------------------------------------------------------------------------


def _column(events: dict, name: str) -> np.ndarray | None:
    """A column of the history as floats (NaN for null), or None when absent or all missing."""
    values = (events.get("history") or {}).get(name)
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if not isinstance(values, list | tuple) or not values:
        return None
    out = np.array([np.nan if number(v) is None else number(v) for v in values], dtype=float)
    return out if np.isfinite(out).any() else None


def _positive(values) -> list[float | None]:
    """For a log axis: non-positive and missing values are gaps."""
    return [float(v) if number(v) is not None and v > 0 else None for v in values]


def _log_axis(values) -> dict:
    """A log axis with ticks at 1, 2, 5 per decade (more within one, powers of ten over many).

    Over a few decades plotly's own log ticks label 20 and 0.5 as "2" and "5", which reads wrong;
    these are labelled in full. Within a fraction of a decade plotly's own ticks are kept.
    """
    v = np.array([x for x in _positive(values) if x is not None])
    if len(v) == 0 or np.log10(v.max() / v.min()) < 0.4:
        return dict(type="log")
    lo, hi = int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))
    span = np.log10(v.max() / v.min())
    mantissas = (1, 1.5, 2, 3, 4, 5, 7) if span < 1.2 else (1, 2, 5) if span <= 3.5 else (1,)
    step = 1 if span <= 3.5 else max(1, (hi - lo) // 8)
    ticks = [m * 10.0**k for k in range(lo, hi + 1, step) for m in mantissas]
    return dict(type="log", tickvals=ticks, ticktext=[fmt(t, ".3g") for t in ticks])


def _at(x: np.ndarray, y: np.ndarray, where: float) -> float | None:
    """The curve (x, y) at ``where``, interpolated in log y (None when it has no positive value)."""
    ok = np.isfinite(x) & np.isfinite(y) & (y > 0)
    if not ok.any():
        return None
    return float(np.exp(np.interp(where, x[ok], np.log(y[ok]))))


def _markers(x, y, name: str, hover: list[str], **marker):
    """A scatter of markers whose hover text is ``hover`` (already escaped: it may hold <br>)."""
    import plotly.graph_objects as go

    return go.Scatter(x=list(x), y=list(y), mode="markers", name=html.escape(name), hovertext=hover,
                      hoverinfo="text", marker=marker)


def _stability(stable) -> str:
    return {True: "stable", False: "unstable"}.get(stable, "stability unknown")


def _span(x0: float, x1: float | None = None, *, rows: int = 1, **style) -> list[dict]:
    """A vertical line at x0 (or a band from x0 to x1) through the full height of each of ``rows``.

    Shapes are built as plain dicts and set once per figure: plotly's ``add_vline`` re-validates
    every shape so far at each call, which takes minutes for a few hundred events.
    """
    kind = dict(type="line", x0=x0, x1=x0) if x1 is None else dict(type="rect", x0=x0, x1=x1)
    return [dict(kind, xref="x" if r == 1 else f"x{r}", yref=("y" if r == 1 else f"y{r}") + " domain",
                 y0=0, y1=1, **style) for r in range(1, rows + 1)]


def _event_lines(bifurcations: list[dict]) -> list[dict]:
    """The bifurcations' epochs as thin grey dotted lines (figures other than the loss)."""
    line = dict(color="#999999", width=1, dash="dot")
    return [shape for b in bifurcations if number(b.get("epoch")) is not None
            for shape in _span(b["epoch"], line=line)]


# -- the loss and gradient norm ----------------------------------------------------------------------


def _loss_figure(events: dict, lists: dict):
    epochs, loss, grad = (_column(events, name) for name in ("epoch", "loss", "grad_norm"))
    if epochs is None or loss is None or len(epochs) != len(loss):
        return None
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    grad = grad if grad is not None and len(grad) == len(epochs) else None
    rows = 1 if grad is None else 2
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        row_heights=[0.6, 0.4] if rows == 2 else None)
    curves = [("loss", loss, "#222222", 1.6)]
    if grad is not None:
        curves.append(("gradient norm", grad, "#555599", 1.2))
    for row, (name, values, colour, width) in enumerate(curves, start=1):
        fig.add_trace(go.Scatter(x=epochs.tolist(), y=_positive(values), mode="lines", name=name,
                                 line=dict(color=colour, width=width),
                                 hovertemplate=f"epoch %{{x}}<br>{name} %{{y:.4g}}<extra></extra>"),
                      row=row, col=1)
        fig.update_yaxes(title_text=name, row=row, col=1, **_log_axis(values))
    bands, labels = _mark_jumps(fig, lists, epochs, loss, rows)
    lines = _mark_events(fig, lists["bifurcations"], epochs, loss, rows)
    if grad is not None:
        _mark_spikes(fig, lists["gradient_spikes"], epochs, grad)
    fig.update_xaxes(title_text="epoch", row=rows, col=1)
    fig.update_layout(**_LAYOUT, shapes=bands + lines, annotations=labels)
    return fig


def _mark_jumps(fig, lists: dict, epochs: np.ndarray, loss: np.ndarray, rows: int) -> tuple[list, list]:
    """Each jump at epoch e: a marker on the loss, and (returned) its band over [e - 1, e] in its
    explanation's colour and its label."""
    jumps = [j for j in lists["loss_jumps"] if number(j.get("epoch")) is not None]
    by_why, bands, labels = defaultdict(list), [], []
    for j in jumps:
        why = j.get("explanation") if j.get("explanation") in _WHY_COLOURS else "unexplained"
        colour, e = _WHY_COLOURS[why], j["epoch"]
        bands += _span(e - 1, e, rows=rows, fillcolor=colour, opacity=0.25, line=dict(width=0), layer="below")
        if len(jumps) <= _MAX_LABELS:
            labels.append(dict(x=e - 0.5, y=1, xref="x", yref="y domain", text=html.escape(why),
                               showarrow=False, yanchor="bottom", font=dict(size=11, color=colour)))
        by_why[why].append(j)
    for why, found in by_why.items():
        hover = [html.escape(f"loss {j.get('direction', 'jump')} {_size(j)} at epoch {text(j['epoch'])}; "
                             f"explained: {why}") + "<br>"
                 + html.escape(explaining(j, lists["bifurcations"], lists["ghosts"])) for j in found]
        fig.add_trace(_markers([j["epoch"] for j in found], [_at(epochs, loss, j["epoch"]) for j in found],
                               f"jump: {why}", hover, symbol="square-open", size=12, color=_WHY_COLOURS[why],
                               line=dict(width=2.5)), row=1, col=1)
    return bands, labels


def _size(jump: dict) -> str:
    size = number(jump.get("size"))
    return "(divergence)" if size is None else f"×{text(size, '.3g')}"


def _mark_events(fig, bifurcations: list[dict], epochs: np.ndarray, loss: np.ndarray, rows: int) -> list:
    """Each bifurcation a marker on the loss and (returned) a dotted line through the panels, by type."""
    by_type, lines = defaultdict(list), []
    for b in bifurcations:
        if number(b.get("epoch")) is not None:
            by_type[b.get("type")].append(b)
    for kind, found in by_type.items():
        colour, symbol = _TYPE_STYLE.get(kind, ("#444444", "x"))
        for b in found:
            lines += _span(b["epoch"], rows=rows, line=dict(color=colour, width=1, dash="dot"))
        hover = [html.escape(f"{event_label(b)}: {text(b.get('outcome'))}, {text(b.get('stability_before'))}"
                             f" → {text(b.get('stability_after'))}; |λ|max "
                             f"{text(b.get('spectral_radius'), '.4g')}") for b in found]
        fig.add_trace(_markers([b["epoch"] for b in found], [_at(epochs, loss, b["epoch"]) for b in found],
                               type_name(kind), hover, symbol=symbol, size=10, color=colour,
                               line=dict(width=1, color="white")), row=1, col=1)
    return lines


def _mark_spikes(fig, spikes: list[dict], epochs: np.ndarray, grad: np.ndarray) -> None:
    spikes = [s for s in spikes if number(s.get("epoch")) is not None]
    if spikes:
        hover = [html.escape(f"gradient-norm {s.get('direction', 'spike')} {_size(s)} at epoch "
                             f"{text(s['epoch'])}") for s in spikes]
        symbols = ["triangle-down" if s.get("direction") == "drop" else "triangle-up" for s in spikes]
        fig.add_trace(_markers([s["epoch"] for s in spikes], [_at(epochs, grad, s["epoch"]) for s in spikes],
                               "gradient spike", hover, symbol=symbols, size=11, color="#d62728"),
                      row=2, col=1)


# -- the bifurcation diagram over training -----------------------------------------------------------


def _diagram_points(checkpoints: list[dict]) -> dict[tuple, tuple[list, list, list]]:
    """(order, stability) -> the epochs, pc1 values and hover texts of every cycle point."""
    groups: dict[tuple, tuple[list, list, list]] = defaultdict(lambda: ([], [], []))
    for checkpoint in checkpoints:
        epoch = number(checkpoint.get("epoch"))
        for cycle in checkpoint.get("cycles") or []:
            values = [v for v in (cycle.get("pc1") or []) if number(v) is not None]
            if epoch is None or not values:
                continue
            x, y, hover = groups[(cycle.get("order"), _stability(cycle.get("stable")))]
            label = html.escape(f"order {text(cycle.get('order'))}, track {text(cycle.get('track'))}, "
                                f"{text(cycle.get('classification'))}; |λ|max "
                                f"{text(cycle.get('spectral_radius'), '.4g')}; epoch {text(epoch)}")
            x.extend([epoch] * len(values))
            y.extend(values)
            hover.extend(f"{label}<br>pc1 {text(v, '.4g')}" for v in values)
    return groups


def _by_order(item) -> tuple:
    (order, stability), _ = item
    return (order if isinstance(order, int) else 1 << 30, stability)


def _diagram_figure(events: dict, lists: dict):
    groups = _diagram_points(lists["checkpoints"])
    ghosts = [g for g in lists["ghosts"] if None not in (number(g.get("epoch")), number(g.get("pc1")))]
    if not groups and not ghosts:
        return None
    import plotly.graph_objects as go

    fig = go.Figure()
    for (order, stability), (x, y, hover) in sorted(groups.items(), key=_by_order):
        colour = _COLOURS[(order - 1) % len(_COLOURS)] if isinstance(order, int) else "#444444"
        trace = _markers(x, y, f"order {text(order)}, {stability}", hover, symbol=_SYMBOLS[stability], size=8,
                         color=colour, line=dict(width=1.5, color=colour))
        fig.add_trace(trace.update(legendgroup=f"order {order}"))
    if ghosts:
        hover = [html.escape(f"ghost {text(g.get('kind'))} at epoch {text(g['epoch'])}, speed "
                             f"{text(g.get('speed'), '.2e')}") for g in ghosts]
        fig.add_trace(_markers([g["epoch"] for g in ghosts], [g["pc1"] for g in ghosts], "ghost (slow point)",
                               hover, symbol="star", size=12, color=_WHY_COLOURS["ghost"],
                               line=dict(width=1, color="#0b5d66")))
    explained = number((events.get("projection") or {}).get("explained"))
    share = f" ({explained:.0%} of the variance)" if explained is not None else ""
    fig.update_layout(**_LAYOUT, xaxis_title="epoch", yaxis_title=f"pc1 of the cycle points{share}",
                      shapes=_event_lines(lists["bifurcations"]))
    return fig


def _counts_figure(lists: dict):
    """Without the cycles themselves: the number of cycles of each order against epoch."""
    checkpoints = [c for c in lists["checkpoints"] if number(c.get("epoch")) is not None]
    orders = sorted({k for c in checkpoints for k in (c.get("n_cycles_by_order") or {})},
                    key=lambda k: (len(k), k))
    if not orders:
        return None
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, k in enumerate(orders):
        counts = [number((c.get("n_cycles_by_order") or {}).get(k)) for c in checkpoints]
        fig.add_trace(go.Scatter(x=[c["epoch"] for c in checkpoints], y=counts, mode="lines+markers",
                                 name=html.escape(f"order {k}"), marker=dict(size=5),
                                 line=dict(shape="hv", width=1.5, color=_COLOURS[i % len(_COLOURS)]),
                                 hovertemplate="%{y} cycles<br>epoch %{x}<extra>" + html.escape(f"order {k}")
                                 + "</extra>"))
    fig.update_layout(**_LAYOUT, xaxis_title="epoch", yaxis_title="number of cycles",
                      shapes=_event_lines(lists["bifurcations"]))
    return fig


# -- the multipliers of the tracked cycles -----------------------------------------------------------


def _tracks(lists: dict) -> list[dict]:
    """The record's tracks, or else tracks gathered from the checkpoints' cycles by their track id."""
    found: dict[int, dict] = {}
    for checkpoint in [] if lists["tracks"] else lists["checkpoints"]:
        for cycle in checkpoint.get("cycles") or []:
            t = cycle.get("track")
            if isinstance(t, int) and not isinstance(t, bool):
                row = found.setdefault(t, {"id": t, "order": cycle.get("order"), "epochs": [],
                                           "spectral_radius": [], "stable": []})
                row["epochs"].append(checkpoint.get("epoch"))
                row["spectral_radius"].append(cycle.get("spectral_radius"))
                row["stable"].append(cycle.get("stable"))
    tracks = lists["tracks"] or [found[t] for t in sorted(found)]
    return [t for t in tracks if isinstance(t.get("epochs"), list) and t["epochs"]
            and isinstance(t.get("spectral_radius"), list) and len(t["spectral_radius"]) == len(t["epochs"])]


def _multiplier_figure(lists: dict):
    tracks = _tracks(lists)
    if not tracks:
        return None
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, t in enumerate(tracks):
        colour, n = _COLOURS[i % len(_COLOURS)], len(t["epochs"])
        stable = (t.get("stable") if isinstance(t.get("stable"), list) else [])[:n]
        stable = [*stable, *[None] * (n - len(stable))]
        radius = _positive(t["spectral_radius"])
        name = f"track {text(t.get('id'))}, order {text(t.get('order'))}"
        regions = f" (regions {t['regions']})" if t.get("regions") else ""
        hover = [html.escape(f"{name}{regions}, {_stability(s)}") + f"<br>epoch {text(e)}, |λ|max "
                 f"{text(r, '.4g')}" for e, r, s in zip(t["epochs"], radius, stable, strict=True)]
        fig.add_trace(go.Scatter(x=t["epochs"], y=radius, mode="lines+markers", name=html.escape(name),
                                 hovertext=hover, hoverinfo="text", line=dict(color=colour, width=1.5),
                                 showlegend=len(tracks) <= _MAX_TRACK_LEGEND,
                                 marker=dict(symbol=[_SYMBOLS[_stability(s)] for s in stable], size=7,
                                             color=colour, line=dict(width=1.5, color=colour))))
    unit = dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=1, y1=1,
                line=dict(color="black", width=1.5, dash="dash"))
    # on a log axis an annotation's y is log10 of the value (add_hline's own label would land at 10)
    label = dict(x=0.005, xref="x domain", y=0, yref="y", text="|λ| = 1", showarrow=False, xanchor="left",
                 yanchor="bottom", font=dict(size=12))
    fig.update_layout(**_LAYOUT, xaxis_title="epoch", yaxis_title="largest multiplier modulus |λ|max",
                      shapes=[unit, *_event_lines(lists["bifurcations"])], annotations=[label])
    fig.update_yaxes(**_log_axis([*[r for t in tracks for r in t["spectral_radius"]], 1.0]))
    return fig
