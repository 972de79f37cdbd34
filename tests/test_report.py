"""The monitor's HTML report: one self-contained page, figures from the record, escaped tables.

Fast checks on the written text (no browser; tests/test_report_browser.py renders it). Truth: the
record the page is drawn from; every row of its lists must appear in the tables, every string
of it escaped, and nothing loaded from the network.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import bifwatch as bw
from bifwatch.monitor import monitor_checkpoints
from bifwatch.plotting import write_report

FIGURES = ("fig-loss", "fig-diagram", "fig-multipliers")
NOTE = "<script>alert('note')</script> & more"


def full_events() -> dict:
    """A record with every key the report draws: the story of a 1-D-like run over 100 epochs.

    A stable fixed point (track 0) loses stability at epoch 20 in a border collision that gives
    birth to a stable 2-cycle (track 1); a degenerate flip at 60 gives a 4-cycle (track 2); a
    ghost appears near 79; the loss drops at 21 and 61, spikes at 80 (the ghost), jumps at 90
    unexplained, and diverges at 100.
    """
    epochs = list(range(1, 101))
    rng = np.random.default_rng(0)
    level = np.select([np.arange(1, 101) <= 20, np.arange(1, 101) <= 60, np.arange(1, 101) < 80,
                       np.arange(1, 101) < 90], [1.0, 0.1, 0.02, 0.2], 0.05)
    loss = (level * np.exp(0.05 * rng.normal(size=100))).tolist()
    loss[-1] = None  # diverged
    grad = (0.5 * np.exp(0.1 * rng.normal(size=100))).tolist()
    grad[60] *= 40
    checkpoints, tracks = [], {0: [], 1: [], 2: []}
    for e in range(0, 101, 5):
        cycles = [{"track": 0, "order": 1, "pc1": [-1 + e / 20], "spectral_radius": 0.5 if e < 20 else 1.2,
                   "stable": e < 20, "classification": "stable node" if e < 20 else "unstable node"}]
        if e >= 20:
            cycles.append({"track": 1, "order": 2, "pc1": [-0.1 - e / 100, 0.3 + e / 50],
                           "spectral_radius": 0.6 + e / 200 if e < 60 else 1.4, "stable": e < 60,
                           "classification": "stable node" if e < 60 else "saddle"})
        if e >= 60:
            cycles.append({"track": 2, "order": 4, "pc1": [0.1, 0.9, -0.4, 1.6 + e / 100],
                           "spectral_radius": 0.8, "stable": True, "classification": "stable focus"})
        for c in cycles:
            tracks[c["track"]].append((e, c["spectral_radius"], c["stable"]))
        checkpoints.append({"epoch": float(e), "path": f"RUN/checkpoints/epoch_{e:06d}.npz",
                            "n_cycles_by_order": {"1": 1, "2": int(e >= 20), "3": 0, "4": int(e >= 60)},
                            "cycles": cycles})
    checkpoints[-1]["failed"] = "ArithmeticError: the search <broke>"
    event = {"fraction": 0.0, "stability_before": None, "stability_after": "stable node", "note": "",
             "spectral_radius": 0.6, "track": None}
    bifurcations = [
        {**event, "epoch": 20.0, "between": [15.0, 25.0], "type": "border-collision", "order": 1,
         "outcome": "persists", "stability_before": "stable node", "stability_after": "unstable node",
         "track": 0, "note": NOTE},
        {**event, "epoch": 20.0, "between": [15.0, 25.0], "type": "border-collision", "order": 2,
         "outcome": "born", "track": 1},
        {**event, "epoch": 59.5, "between": [55.0, 60.0], "type": "degenerate-flip", "order": 4,
         "outcome": "born", "track": 2, "spectral_radius": 1.0},
        {**event, "epoch": 45.2, "between": [45.0, 50.0], "type": "degenerate-transcritical", "order": 3,
         "outcome": "persists", "spectral_radius": None},
        {**event, "epoch": 70.0, "between": [70.0, 75.0], "type": "degenerate-neimark-sacker", "order": 2,
         "outcome": "dies", "stability_before": "stable focus", "stability_after": None},
    ]
    jump = {"index": 0, "z": -30.0, "kind": "jump", "bifurcations": [], "ghosts": []}
    loss_jumps = [
        {**jump, "epoch": 21, "direction": "drop", "size": 10.0, "explanation": "bifurcation",
         "bifurcations": [0, 1]},
        {**jump, "epoch": 61, "direction": "drop", "size": 5.0, "explanation": "bifurcation",
         "bifurcations": [2]},
        {**jump, "epoch": 80, "direction": "spike", "size": 10.0, "z": 25.0, "explanation": "ghost",
         "ghosts": [0]},
        {**jump, "epoch": 90, "direction": "drop", "size": 4.0, "explanation": "unexplained"},
        {**jump, "epoch": 100, "direction": "spike", "size": None, "z": None, "kind": "divergence",
         "explanation": "divergence"},
    ]
    return {
        "checkpoints": checkpoints,
        "bifurcations": bifurcations,
        "loss_jumps": loss_jumps,
        "gradient_spikes": [{"epoch": 61, "index": 60, "direction": "spike", "size": 40.0, "z": 12.0,
                             "kind": "jump"}],
        "ghosts": [{"epoch": 80.0, "since": 75.0, "point": [1.2], "speed": 3e-4, "pc1": 1.3,
                    "kind": "appeared", "factor": None}],
        "ghost_failures": [{"epoch": 100.0, "reason": "ValueError: too many regions"}],
        "tracks": [{"id": t, "order": [1, 2, 4][t], "regions": ["0", "0|1", "0|0|1|1"][t],
                    "epochs": [e for e, _, _ in rows], "spectral_radius": [r for _, r, _ in rows],
                    "stable": [s for _, _, s in rows]} for t, rows in tracks.items()],
        "projection": {"mean": [0.0], "axis": [1.0], "explained": 0.93},
        "gaps": [{"between": [85.0, 90.0], "order": 3, "change": 1, "accounted": 0}],
        "failed_intervals": [{"between": [95.0, 100.0], "reason": "ArithmeticError: singular <path>"}],
        "history": {"epoch": epochs, "loss": loss, "grad_norm": grad, "lr": [1e-3] * 100},
        "settings": {"max_order": 4, "window": 2.0, "seed": 0, "resolution": 100},
    }


def real_events() -> dict:
    """The monitor's record of the border-collision normal form of tests/test_monitor_analysis.py."""
    epochs = (0, 15, 25, 40)
    models = [bw.PLRNN(A=[0.5], W=[[-1.7]], h=[-1 + e / 20]) for e in epochs]
    loss = np.r_[np.full(20, 1.0), np.full(20, 0.1)] * np.exp(0.01 * np.random.default_rng(0).normal(size=40))
    record = monitor_checkpoints(models, epochs, max_order=3, loss=loss, loss_epochs=np.arange(1, 41))
    return record.to_dict()


def empty_events() -> dict:
    return {"checkpoints": [], "settings": {}}


class Tables(HTMLParser):
    """The text of every table cell, by table id, and every tag seen."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.tags: list[tuple[str, dict]] = []
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _page(events, tmp_path, **kw) -> tuple[str, Tables]:
    path = write_report(events, tmp_path / "report.html", **kw)
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    parser = Tables()
    parser.feed(page)
    return page, parser


def _figure_ids(parser: Tables) -> list[str]:
    return [a["id"] for t, a in parser.tags if t == "div" and "figure" in (a.get("class") or "").split()]


def test_one_self_contained_file_with_plotly_inline_once(tmp_path):
    page, parser = _page(full_events(), tmp_path)
    assert list(tmp_path.iterdir()) == [tmp_path / "report.html"]  # no tmp file, no assets folder
    assert page.count("plotly.js v") == 1 and len(page) > 3_000_000
    scripts = [a for t, a in parser.tags if t == "script"]
    assert all("src" not in a for a in scripts)  # everything inline
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?://", page)
    assert _figure_ids(parser) == list(FIGURES)
    assert all(page.count(f'Plotly.newPlot("{ident}"') == 1 for ident in FIGURES)


def test_the_tables_hold_every_jump_event_and_failure(tmp_path):
    events = full_events()
    _, parser = _page(events, tmp_path)
    jumps = parser.tables["table-jumps"]
    assert jumps[0] == ["epoch", "direction", "size", "z", "explanation", "explaining events"]
    assert [row[0] for row in jumps[1:]] == ["21", "61", "80", "90", "100"]
    assert [row[4] for row in jumps[1:]] == ["bifurcation", "bifurcation", "ghost", "unexplained",
                                             "divergence"]
    assert jumps[1][2] == "×10" and jumps[5][2] == "divergence"
    assert jumps[1][5] == "BCB order 1 at epoch 20; BCB order 2 at epoch 20"
    assert jumps[2][5] == "DFB order 4 at epoch 59.5"
    assert jumps[3][5].startswith("ghost appeared at epoch 80")
    events_table = parser.tables["table-bifurcations"]
    assert len(events_table) == 1 + len(events["bifurcations"])
    assert events_table[0][6] == "changes attractors" and events_table[1][6] == "–"  # no key: unknown
    assert events_table[1][3:8] == ["border collision (BCB)", "1", "persists", "–",
                                    "stable node → unstable node"]
    assert events_table[2][7] == "– → stable node"
    assert [row[3] for row in events_table[1:]].count("degenerate flip (DFB)") == 1
    assert parser.tables["table-spikes"][1][:3] == ["61", "spike", "×40"]
    assert parser.tables["table-gaps"][1] == ["85 – 90", "3", "1", "0"]
    failures = parser.tables["table-failures"]
    assert [row[0] for row in failures[1:]] == ["interval", "checkpoint", "ghost search"]
    assert failures[2][2] == "ArithmeticError: the search <broke> (RUN/checkpoints/epoch_000100.npz)"
    assert parser.tables["table-settings"][1:] == [["max_order", "4"], ["window", "2"], ["seed", "0"],
                                                   ["resolution", "100"]]
    assert len(parser.tables["table-checkpoints"]) == 1 + 21


def test_the_summary_counts_checkpoints_events_and_jumps(tmp_path):
    page, _ = _page(full_events(), tmp_path)
    summary = re.search(r'<ul class="summary">(.*?)</ul>', page).group(1)
    assert "21 checkpoints, epochs 0 to 100 (1 failed)" in summary
    assert ("5 bifurcations: 2 border collision (BCB), 1 degenerate flip (DFB), 1 degenerate Neimark-Sacker "
            "(DNS), 1 degenerate transcritical (DTB)") in summary
    assert "5 loss jumps explained by: 2 bifurcation, 1 divergence, 1 ghost, 1 unexplained" in summary
    assert "1 gradient-norm spike</li>" in summary and "1 ghost (slow points" in summary
    assert "1 gap, 1 failed interval</li>" in summary and "run: RUN/checkpoints" in summary


def test_every_string_of_the_record_is_escaped(tmp_path):
    events = full_events()
    page, parser = _page(events, tmp_path, title="<b>my</b> run")
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;note&#x27;)&lt;/script&gt;" in page
    assert "<b>my</b>" not in page and page.count("&lt;b&gt;my&lt;/b&gt; run") == 2  # title and h1
    notes = [row[-1] for row in parser.tables["table-bifurcations"]]
    assert NOTE in notes  # the parser unescapes: the text is the note, not markup
    assert [t for t, _ in parser.tags].count("script") == 1 + len(FIGURES)
    # in the figures' JSON too: no closing tag can end a script early
    for script in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)[1:]:
        assert "</" not in script and "<script" not in script


def test_non_finite_numbers_never_reach_javascript(tmp_path):
    events = full_events()
    events["history"]["loss"][5] = float("nan")
    events["history"]["grad_norm"][6] = float("inf")
    events["tracks"][0]["spectral_radius"][0] = float("nan")
    page, _ = _page(events, tmp_path)
    for script in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)[1:]:
        assert not re.search(r"\b(NaN|Infinity)\b", script)
        spec = re.search(r"var f = (\{.*\}); Plotly", script, flags=re.S).group(1)
        json.loads(spec, parse_constant=pytest.fail)  # strict JSON: no NaN, Infinity


def test_a_real_monitor_record(tmp_path):
    events = real_events()
    _, parser = _page(events, tmp_path)
    drawn = _figure_ids(parser)
    assert ("fig-diagram" if "cycles" in events["checkpoints"][0] else "fig-counts") in drawn
    assert ("fig-multipliers" in drawn) == bool(events.get("tracks"))
    assert [row[4] for row in parser.tables["table-jumps"][1:]] == ["bifurcation"]
    assert parser.tables["table-jumps"][1][5] == "BCB order 1 at epoch 20; BCB order 2 at epoch 20"
    assert len(parser.tables["table-bifurcations"]) == 3


def test_a_record_with_counts_only_draws_the_counts(tmp_path):
    events = full_events()
    for c in events["checkpoints"]:
        del c["cycles"]
    for key in ("tracks", "ghosts", "projection", "history", "gradient_spikes"):
        del events[key]
    page, parser = _page(events, tmp_path)
    assert _figure_ids(parser) == ["fig-counts"]
    assert "No loss history in this record" in page and "No tracked cycles in this record" in page


def test_an_empty_record_is_a_valid_page_that_says_so(tmp_path):
    page, parser = _page(empty_events(), tmp_path)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert _figure_ids(parser) == []
    for said in ("No loss history in this record", "No cycles with projected points", "No tracked cycles",
                 "No loss jumps in this record.", "No bifurcations between the checkpoints.", "0 checkpoints",
                 "No settings recorded."):
        assert said in page
    assert page.count("plotly.js v") == 1


def test_nulls_and_missing_optional_keys_are_tolerated(tmp_path):
    events = full_events()
    events["history"] = {"epoch": [1, 2, 3], "loss": [None, None, None]}  # nothing to draw
    events["loss_jumps"][0].pop("bifurcations")
    events["loss_jumps"][1]["bifurcations"] = [99]
    events["bifurcations"][0]["epoch"] = None
    events["projection"] = None
    events["gaps"] = None
    _, parser = _page(events, tmp_path)
    assert "fig-loss" not in _figure_ids(parser)
    assert parser.tables["table-jumps"][2][5] == "bifurcation #99 (not in the record)"
    assert parser.tables["table-bifurcations"][1][1] == "–"


def test_the_page_is_replaced_atomically_and_the_path_returned(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")
    assert write_report(empty_events(), str(target)) == target
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_plotly_is_not_imported_with_bifwatch():
    import subprocess
    import sys

    code = "import sys, bifwatch, bifwatch.plotting; print('plotly' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("events", "match"),
    [
        ([], r"`events` must be a dict, the monitor's record as in events.json; got list"),
        ({"settings": {}}, r"`events` has no 'checkpoints' key"),
        ({"checkpoints": []}, r"`events` has no 'settings' key: .* its keys are \['checkpoints'\]"),
        ({"checkpoints": [], "settings": [1]}, r"`events\['settings'\]` must be a dict; got list"),
        ({"checkpoints": [1], "settings": {}}, r"`events\['checkpoints'\]` must be a list of objects .* int"),
        ({"checkpoints": [], "settings": {}, "loss_jumps": {"a": 1}},
         r"`events\['loss_jumps'\]` must be a list of objects \(dicts\); got dict"),
        ({"checkpoints": [], "settings": {}, "history": [1.0]}, r"`events\['history'\]` must be a dict"),
    ],
)
def test_bad_records(events, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        write_report(events, tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []


def test_a_record_object_is_told_to_pass_its_dict(tmp_path):
    class Record:
        def to_dict(self):
            return {}

    with pytest.raises(ValueError, match=r"pass record.to_dict\(\)"):
        write_report(Record(), tmp_path / "report.html")


def test_bad_paths(tmp_path):
    with pytest.raises(ValueError, match=r"is in a folder that does not exist .*create it first"):
        write_report(empty_events(), tmp_path / "missing" / "report.html")
    with pytest.raises(ValueError, match=r"is a folder; give the file to write, e.g. .*report.html"):
        write_report(empty_events(), tmp_path)


def test_the_fixture_is_strict_json():
    assert all(math.isfinite(x) for x in full_events()["history"]["grad_norm"])
    json.dumps(full_events(), allow_nan=False)
