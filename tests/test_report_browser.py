"""The monitor's HTML report in a real headless Chromium: it loads without errors and its figures render.

Uses Debian's ``/usr/bin/chromium`` through the Python ``playwright`` package (no downloaded
browser); skipped, saying why, when either is missing. One browser per module; each page is
loaded from ``file://`` with the network unused (the page is self-contained).
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs the playwright package "
                                                            "(pip install -e '.[test]')")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from test_report import FIGURES, empty_events, full_events, real_events  # noqa: E402

from bifwatch.plotting import write_report  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:  # a fresh temporary profile of its own
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        yield context
        context.close()
        chromium.close()


def _load(browser, events, tmp_path):
    """The page of ``events`` loaded, with the console errors and page errors it produced."""
    path = write_report(events, tmp_path / "report.html")
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("() => [...document.querySelectorAll('div.figure')].every(d => d._fullLayout)")
    return page, errors, requests


def _drawn(page, ident: str) -> dict:
    """What plotly drew in figure ``ident``: its svg, its traces and the paths with geometry."""
    return page.evaluate("""(id) => {
        const div = document.getElementById(id);
        const d = (p) => (p.getAttribute('d') || '').length > 2;
        return {svg: div.querySelectorAll('.main-svg').length,
                traces: div.querySelectorAll('.scatterlayer .trace').length,
                points: [...div.querySelectorAll('.scatterlayer .trace path')].filter(d).length,
                legend: div.querySelectorAll('.legend .traces').length,
                xtitle: [...div.querySelectorAll('text[class^="x"][class$="title"]')]
                    .map(t => t.textContent)};
    }""", ident)


def _tables_visible(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('table')]
        .filter(t => t.offsetHeight > 0 && getComputedStyle(t).visibility !== 'hidden').map(t => t.id)""")


def test_the_full_record_renders_every_figure(browser, tmp_path):
    page, errors, requests = _load(browser, full_events(), tmp_path)
    assert errors == []
    assert all(url.startswith("file://") for url in requests)
    for ident in FIGURES:
        drawn = _drawn(page, ident)
        assert drawn["svg"] > 0 and drawn["traces"] > 0 and drawn["points"] > 0, (ident, drawn)
        assert drawn["legend"] > 0 and "epoch" in drawn["xtitle"], (ident, drawn)
    assert _drawn(page, "fig-loss")["traces"] >= 2 + 4 + 4 + 1  # loss, grad; 4 types; 4 explanations; spikes
    assert {"table-jumps", "table-bifurcations", "table-gaps", "table-failures", "table-settings"} <= set(
        _tables_visible(page))
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    page.close()


def test_a_real_monitor_record_renders(browser, tmp_path):
    page, errors, _ = _load(browser, real_events(), tmp_path)
    assert errors == []
    idents = page.evaluate("() => [...document.querySelectorAll('div.figure')].map(d => d.id)")
    assert {"fig-diagram", "fig-counts"} & set(idents)
    for ident in idents:
        drawn = _drawn(page, ident)
        assert drawn["svg"] > 0 and drawn["traces"] > 0 and drawn["points"] > 0, (ident, drawn)
    assert "table-jumps" in _tables_visible(page)
    page.close()


def test_an_empty_record_loads_without_errors(browser, tmp_path):
    page, errors, _ = _load(browser, empty_events(), tmp_path)
    assert errors == []
    assert page.evaluate("() => document.querySelectorAll('div.figure').length") == 0
    assert page.evaluate("() => typeof Plotly.newPlot") == "function"
    assert "No loss jumps in this record." in page.inner_text("body")
    page.close()
