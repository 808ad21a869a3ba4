"""Screenshots of the dashboard with the demo data (backend/demo/), for a person to look at:
portfolio, a company page over 90 days and 12 months, one channel, the strategy page, at
1366×768, into screenshots/demo-*.png. Checks only what a reader would notice on them."""
from __future__ import annotations

import pytest

from dashboard import theme

from .test_dashboard_browser import wait_for_charts

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _hex(css_rgb: str) -> str:
    """'rgb(24, 119, 242)' → '#1877f2'."""
    return "#" + "".join(f"{int(c):02x}" for c in css_rgb[css_rgb.index("(") + 1:-1].split(",")[:3])


def test_demo_screens(page, login, demo, screenshot):
    login(page, demo["email"], demo["password"])
    page.wait_for_selector(".ag-row .ag-cell a")
    page.wait_for_selector(".rb-spark")
    screenshot(page, "demo-portfolio", full_page=False)

    for name in ("Northwind Coffee", "Vistula Software"):
        cid = demo["companies"][name]
        slug = name.split()[0].lower()
        for rng in ("90d", "12m"):
            page.goto(f"/dashboard/company/{cid}?range={rng}")
            page.wait_for_selector("#rb-kpi-followers .rb-kpi-value")
            wait_for_charts(page)
            page.wait_for_function("document.querySelectorAll('#rb-goal-path-graph .scatterlayer .trace').length >= 1")
            screenshot(page, f"demo-{slug}-{rng}")
            lines = page.eval_on_selector_all(
                "#rb-followers-graph .scatterlayer .trace path.js-line",
                "els => els.map(e => [e.style.stroke, e.style.strokeDasharray || ''])")
            assert len(lines) >= 3
            for i, (a, dash_a) in enumerate(lines):  # no two lines as drawn look alike
                for b, dash_b in lines[i + 1:]:
                    assert dash_a != dash_b or theme.colour_distance(_hex(a), _hex(b)) >= theme.DISTINCT, (a, b)
            cards = page.locator("#rb-kpi-cards").inner_text()
            assert "–" not in cards.replace(" – ", ""), cards  # no dash salad on any card
        page.goto(f"/dashboard/company/{cid}/strategy")
        page.wait_for_selector("#rb-strategy-history")
        screenshot(page, f"demo-{slug}-strategy")
        assert " – of " not in page.inner_text("#rb-strategy-goals")  # a goal without numbers says so
        overflow = page.evaluate(
            "(() => { const s = document.querySelector('#rb-strategy-history');"
            " return s.scrollWidth - s.clientWidth; })()")
        assert overflow <= 0, "the revision history runs outside its card"


def test_missed_goals_are_visible_as_missed(page, login, demo, screenshot):
    """A missed goal has its own colour on the company page's bars and its own portfolio column."""
    login(page, demo["email"], demo["password"])
    page.wait_for_selector(".ag-row .ag-cell a")
    # (soft hyphens let narrow headers break at a syllable: backend/i18n.py hyphenate)
    headers = [h.replace("\u00ad", "") for h in page.locator(".ag-header-cell-text").all_inner_texts()]
    assert "Missed" in headers and "Not started" in headers
    missed_counts = page.locator(".ag-row .ag-cell[col-id=missed]").all_inner_texts()
    assert any(int(c or 0) > 0 for c in missed_counts), missed_counts
    screenshot(page, "demo-portfolio-missed", full_page=False)

    page.goto(f"/dashboard/company/{demo['companies']['Northwind Coffee']}?range=90d")
    wait_for_charts(page)
    bars = page.locator("#rb-goals-graph .barlayer .trace:last-child .point path")
    texts = page.locator("#rb-goals-graph .annotation-text").all_text_contents()
    assert any(t.endswith("· missed") for t in texts), texts
    fills = {_hex(c) for c in bars.evaluate_all("els => els.map(e => e.style.fill)")}
    assert theme.status_colour("missed").lower() in fills
    assert theme.status_colour("missed") != theme.status_colour("not_started")
    page.locator("#rb-goals-graph").scroll_into_view_if_needed()
    screenshot(page, "demo-northwind-goals-missed", full_page=False)
