"""The report's text: the summary at the top, the plain HTML tables (readable without JavaScript),
and the page's style.

Every string taken from the record is escaped here (:func:`html.escape`), once, in :func:`table`
and :func:`_li`; callers pass plain text.
"""

from __future__ import annotations

import html
import math
import os
from collections import Counter

import numpy as np

from .._format import fmt
from ._diagram import _NAMES, _TAGS


def number(value) -> float | None:
    """``value`` as a finite float, or None (null, NaN, infinite, a bool, text)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    return float(value) if math.isfinite(value) else None


def text(value, spec: str = ".6g") -> str:
    """A cell's text: numbers formatted with ``spec``, None as an en dash, the rest as str."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(value)
    if isinstance(value, float):
        return fmt(value, spec) if math.isfinite(value) else "–"
    if isinstance(value, list | tuple):
        return " – ".join(text(v, spec) for v in value)
    return str(value)


def event_label(event: dict) -> str:
    """E.g. ``BCB order 2 at epoch 20`` for a bifurcation of the record."""
    kind = event.get("type")
    tag = _TAGS.get(kind, str(kind))
    return f"{tag} order {text(event.get('order'))} at epoch {text(event.get('epoch'))}"


def type_name(kind) -> str:
    return f"{_NAMES[kind]} ({_TAGS[kind]})" if kind in _NAMES else str(kind)


def explaining(jump: dict, bifurcations: list[dict], ghosts: list[dict]) -> str:
    """The events a jump's explanation names, by type, order and epoch."""
    parts = []
    for i in jump.get("bifurcations") or []:
        ok = isinstance(i, int) and 0 <= i < len(bifurcations)
        parts.append(event_label(bifurcations[i]) if ok else f"bifurcation #{i} (not in the record)")
    for i in jump.get("ghosts") or []:
        if isinstance(i, int) and 0 <= i < len(ghosts):
            g = ghosts[i]
            parts.append(f"ghost {text(g.get('kind'))} at epoch {text(g.get('epoch'))} "
                         f"(speed {text(g.get('speed'), '.2e')})")
        else:
            parts.append(f"ghost #{i} (not in the record)")
    return "; ".join(parts) or "–"


def table(caption: str, headers: list[str], rows: list[list], *, ident: str, empty: str) -> str:
    """A plain HTML table (every cell escaped), or a paragraph saying ``empty`` when no rows."""
    head = f'<h3 id="{ident}-title">{html.escape(caption)}</h3>'
    if not rows:
        return f'{head}<p class="empty" id="{ident}">{html.escape(empty)}</p>'
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(text(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f'{head}<table id="{ident}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def _many(n: int, what: str) -> str:
    """``1 gap``, ``2 gaps``; ``2 ghosts (slow ...)``: the plural on the first word group."""
    head, _, tail = what.partition(" (")
    return f"{n} {head}{'' if n == 1 else 's'}" + (f" ({tail}" if tail else "")


def _li(item: str) -> str:
    return f"<li>{html.escape(item)}</li>"


def _counted(counts: Counter, name=str) -> str:
    return ", ".join(f"{n} {name(k)}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def summary_html(events: dict, lists: dict[str, list[dict]]) -> str:
    """The short list under the title: checkpoints, epochs, events by type, jumps by explanation."""
    checkpoints = lists["checkpoints"]
    epochs = [e for e in (number(c.get("epoch")) for c in checkpoints) if e is not None]
    span = f", epochs {text(min(epochs))} to {text(max(epochs))}" if epochs else ""
    failed = sum(1 for c in checkpoints if c.get("failed"))
    items = [f"{_many(len(checkpoints), 'checkpoint')}{span}" + (f" ({failed} failed)" if failed else "")]
    events_by_type = Counter(b.get("type") for b in lists["bifurcations"])
    items.append(_many(len(lists["bifurcations"]), "bifurcation")
                 + (f": {_counted(events_by_type, type_name)}" if events_by_type else ""))
    why = Counter(j.get("explanation") for j in lists["loss_jumps"])
    items.append(_many(len(lists["loss_jumps"]), "loss jump")
                 + (f" explained by: {_counted(why)}" if why else "")
                 + ("" if "history" in events else " (the record holds no loss history)"))
    for key, what in (("gradient_spikes", "gradient-norm spike"), ("tracks", "tracked cycle"),
                      ("ghosts", "ghost (slow points that appeared or deepened)")):
        if key in events:
            items.append(_many(len(lists[key]), what))
    items.append(f"{_many(len(lists['gaps']), 'gap')}, "
                 f"{_many(len(lists['failed_intervals']), 'failed interval')}")
    paths = [c.get("path") for c in checkpoints if isinstance(c.get("path"), str)]
    if paths:
        try:
            items.append(f"run: {os.path.commonpath(paths) if len(paths) > 1 else os.path.dirname(paths[0])}")
        except ValueError:  # absolute and relative paths mixed
            pass
    return '<ul class="summary">' + "".join(_li(i) for i in items) + "</ul>"


def tables_html(lists: dict[str, list[dict]], settings: dict) -> str:
    """Every table of the report, in reading order."""
    bifurcations, ghosts = lists["bifurcations"], lists["ghosts"]
    jumps = [[j.get("epoch"), j.get("direction"), _factor(j), text(j.get("z"), ".3g"), j.get("explanation"),
              explaining(j, bifurcations, ghosts)] for j in lists["loss_jumps"]]
    spikes = [[s.get("epoch"), s.get("direction"), _factor(s), text(s.get("z"), ".3g")]
              for s in lists["gradient_spikes"]]
    events = [[n, b.get("epoch"), b.get("between"), type_name(b.get("type")), b.get("order"),
               b.get("outcome"), {True: "yes", False: "no"}.get(b.get("signature"), "–"),
               f"{text(b.get('stability_before'))} → {text(b.get('stability_after'))}",
               text(b.get("spectral_radius"), ".4g"), b.get("track"), b.get("note")]
              for n, b in enumerate(bifurcations)]
    slow = [[n, g.get("epoch"), g.get("since"), g.get("kind"), text(g.get("speed"), ".2e"), g.get("factor"),
             g.get("pc1")] for n, g in enumerate(ghosts)]
    gaps = [[g.get("between"), g.get("order"), g.get("change"), g.get("accounted")] for g in lists["gaps"]]
    failures = ([["interval", f.get("between"), f.get("reason")] for f in lists["failed_intervals"]]
                + [["checkpoint", c.get("epoch"), f"{c.get('failed')} ({text(c.get('path'))})"]
                   for c in lists["checkpoints"] if c.get("failed")]
                + [["ghost search", f.get("epoch"), f.get("reason")] for f in lists["ghost_failures"]])
    return "".join([
        table("Loss jumps", ["epoch", "direction", "size", "z", "explanation", "explaining events"], jumps,
              ident="table-jumps", empty="No loss jumps in this record."),
        table("Gradient-norm spikes", ["epoch", "direction", "size", "z"], spikes, ident="table-spikes",
              empty="No gradient-norm spikes in this record."),
        table("Bifurcations", ["#", "epoch", "between", "type", "order", "outcome", "changes attractors",
                               "stability before → after", "|λ|max", "track", "note"], events,
              ident="table-bifurcations", empty="No bifurcations between the checkpoints."),
        table("Ghosts", ["#", "epoch", "since", "kind", "speed", "deepened by", "pc1"], slow,
              ident="table-ghosts", empty="No ghosts in this record."),
        table("Gaps (cycle counts the events do not account for)",
              ["between", "order", "change", "accounted"], gaps, ident="table-gaps",
              empty="No gaps: every change in the cycle counts is accounted for."),
        table("Failures", ["what", "epoch(s)", "reason"], failures, ident="table-failures",
              empty="No failed checkpoints, intervals or ghost searches."),
        _checkpoint_table(lists["checkpoints"]),
        table("Settings", ["setting", "value"], [[k, v] for k, v in settings.items()], ident="table-settings",
              empty="No settings recorded."),
    ])


def _factor(jump: dict) -> str:
    """A jump's size as a factor (``×10``), or ``divergence``."""
    if jump.get("kind") == "divergence":
        return "divergence"
    return "–" if number(jump.get("size")) is None else f"×{fmt(jump['size'], '.3g')}"


def _checkpoint_table(checkpoints: list[dict]) -> str:
    """The cycle counts of every checkpoint, folded (it has one row per checkpoint)."""
    orders = sorted({k for c in checkpoints for k in (c.get("n_cycles_by_order") or {})},
                    key=lambda k: (len(k), k))
    rows = [[c.get("epoch"), *[(c.get("n_cycles_by_order") or {}).get(k) for k in orders],
             "failed" if c.get("failed") else ""] for c in checkpoints]
    inner = table("Cycles at each checkpoint", ["epoch", *[f"order {k}" for k in orders], ""], rows,
                  ident="table-checkpoints", empty="No checkpoints.")
    summary = f"Cycle counts at each of the {len(checkpoints)} checkpoints"
    return f"<details><summary>{summary}</summary>{inner}</details>"


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0 auto;
       max-width: 1200px; padding: 1em 2em 3em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.3em; }
h2 { font-size: 1.3em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin: 1.4em 0 0.4em; }
ul.summary { margin: 0.3em 0 0; padding-left: 1.2em; }
p.caption { color: #555; margin: 0.2em 0 0.6em; font-size: 0.95em; }
p.empty { color: #777; font-style: italic; }
div.figure { width: 100%; }
table { border-collapse: collapse; font-size: 0.9em; margin-bottom: 0.5em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
details summary { cursor: pointer; margin-top: 1.2em; font-weight: 600; }
footer { margin-top: 3em; color: #888; font-size: 0.85em; }
"""
