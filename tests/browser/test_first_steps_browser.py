"""What a new agency trips over (issue 12), in Chromium with the demo data: the portfolio opens a
company from anywhere on its row, fits a 1440 px screen, filters dates in ISO; the company page,
the portfolio and /manage/goals at 1440×900 and on a 390×844 phone, with nothing cut or
overlapping. Screenshots: screenshots/first-steps-*.png."""
from __future__ import annotations

import re

import pytest

from .conftest import do_login, new_page
from .test_dashboard_browser import wait_for_charts

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def desktop(browser, live_server, demo):
    context, pg = new_page(browser, live_server, viewport=DESKTOP)
    do_login(pg, demo["email"], demo["password"])
    yield pg
    context.close()


def _grid_overflow(page) -> int:
    """How many pixels the portfolio grid's columns are wider than the grid (0: no scrollbar)."""
    return page.evaluate("""() => {
        const v = document.querySelector('#rb-portfolio-grid .ag-center-cols-viewport');
        const c = document.querySelector('#rb-portfolio-grid .ag-center-cols-container');
        return Math.max(0, Math.round(c.getBoundingClientRect().width - v.getBoundingClientRect().width));
    }""")


def _page_overflow(page) -> list[str]:
    """The elements that reach past the window's right edge (a horizontal scrollbar), if any."""
    return page.evaluate("""() => {
        // Cut by an ancestor that clips or scrolls sideways within the window: not the page's width.
        const clipped = e => {
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
                if (getComputedStyle(a).overflowX !== 'visible'
                    && a.getBoundingClientRect().right <= window.innerWidth + 1) return true;
            }
            return false;
        };
        return [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(e))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
    }""")


def test_portfolio_rows_open_their_company_and_fit_1440(desktop, demo, screenshot):
    page = desktop
    page.wait_for_selector(".ag-row .rb-spark")
    assert _grid_overflow(page) == 0
    assert _page_overflow(page) == [], "wider than the window"
    screenshot(page, "first-steps-portfolio-1440", full_page=False)

    northwind = demo["companies"]["Northwind Coffee"]
    # The sparkline, then a number cell: each opens the company, in the page.
    for selector in (f".ag-row[row-id='{northwind}'] .rb-spark",
                     f".ag-row[row-id='{northwind}'] .ag-cell[col-id=reach]"):
        page.locator(selector).click()
        page.wait_for_url(f"**/dashboard/company/{northwind}*")
        page.wait_for_selector("#rb-company-name")
        assert page.inner_text("#rb-company-name") == "Northwind Coffee"
        page.go_back()
        page.wait_for_selector(f".ag-row[row-id='{northwind}'] .rb-spark")


def test_the_portfolio_fits_a_1366_laptop(browser, live_server, demo, screenshot):
    """1366×768 is a common laptop screen: every column, the sparkline too, without a sideways
    scroll."""
    context, page = new_page(browser, live_server, viewport={"width": 1366, "height": 768})
    try:
        do_login(page, demo["email"], demo["password"])
        page.wait_for_selector(".ag-row .rb-spark")
        assert _grid_overflow(page) == 0
        assert _page_overflow(page) == [], "wider than the window"
        right = page.evaluate("""() => document.querySelector('#rb-portfolio-grid .ag-header-cell[col-id=spark]')
                                     .getBoundingClientRect().right""")
        assert right <= 1366
        screenshot(page, "first-steps-portfolio-1366", full_page=False)
    finally:
        context.close()


def test_portfolio_filters_latest_data_by_iso_date(desktop, demo):
    page = desktop
    page.wait_for_selector(".ag-row .rb-spark")
    latest = page.locator(f".ag-row[row-id='{demo['companies']['Northwind Coffee']}'] .ag-cell[col-id=last_data_date]")
    day = re.match(r"\d{4}-\d{2}-\d{2}", latest.inner_text()).group(0)
    box = page.get_by_label("Latest data Filter Input")
    assert box.get_attribute("type") == "text"  # not the browser's mm/dd/yyyy picker
    before = page.locator(".ag-row").count()
    box.fill("2099-01-01")  # equals a day nobody has data for
    page.wait_for_function("document.querySelectorAll('.ag-row').length === 0")
    box.fill(day)
    page.wait_for_function(f"document.querySelectorAll('.ag-row').length >= 1 && "
                           f"document.querySelectorAll('.ag-row').length <= {before}")
    days = page.locator(".ag-row .ag-cell[col-id=last_data_date]").all_inner_texts()
    assert days and all(d.startswith(day) for d in days), days


def test_the_company_page_compares_with_the_same_days_last_year(desktop, demo, screenshot):
    page = desktop
    northwind = demo["companies"]["Northwind Coffee"]
    page.goto(f"/dashboard/company/{northwind}?range=ytd")
    wait_for_charts(page)
    assert page.locator("#rb-compare").inner_text().strip().startswith("Same period last year")
    page.goto(f"/dashboard/company/{northwind}?range=30d&compare=year")
    wait_for_charts(page)
    page.wait_for_selector("#rb-kpi-followers [data-testid=kpi-change]")
    assert "vs same period last year" in page.locator("#rb-kpi-followers").inner_text()
    assert "the same days a year earlier" in page.inner_text("#rb-period-label")
    names = page.locator("#rb-followers-graph .legendtext").all_text_contents()
    assert "A year earlier" in names, names
    screenshot(page, "first-steps-company-year-1440", full_page=False)
    # One channel's followers: the axis fits its line (from 0 its growth would look flat).
    page.goto(f"/dashboard/company/{northwind}?range=30d&channel=instagram")
    wait_for_charts(page)
    ticks = page.locator("#rb-followers-graph .ytick text").all_text_contents()
    assert ticks and ticks[0] not in ("0", ""), ticks
    page.goto(f"/dashboard/company/{northwind}?range=30d&compare=year")
    wait_for_charts(page)

    # Back to the previous period from the chooser; the URL follows.
    page.locator("#rb-compare").click()
    page.get_by_role("option", name="Previous period").click()
    page.wait_for_url(lambda url: "compare=" not in url)
    page.wait_for_function("document.querySelector('#rb-kpi-followers').innerText.includes('vs previous period')")


def test_the_date_picker_is_in_the_themes_blue(desktop, demo):
    page = desktop
    page.goto(f"/dashboard/company/{demo['companies']['Vistula Software']}?range=30d")
    wait_for_charts(page)
    page.locator("#rb-date-range").click()  # the start date's input carries the id
    selected = page.locator(".dash-datepicker-calendar td.dash-datepicker-calendar-date-selected").first
    selected.wait_for()
    assert selected.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(13, 110, 253)"


def _boxes_overlap(page, a: str, b: str) -> list[str]:
    """Charts whose elements ``a`` and ``b`` (e.g. legend and title) overlap on screen."""
    return page.evaluate("""([a, b]) => [...document.querySelectorAll('.js-plotly-plot')].filter(plot => {
        const x = plot.querySelector(a), y = plot.querySelector(b);
        if (!x || !y) return false;
        const p = x.getBoundingClientRect(), q = y.getBoundingClientRect();
        return p.width && q.width && p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom;
    }).map(plot => plot.parentElement.id || plot.id)""", [a, b])


def _clipped_annotations(page, graph: str) -> list[str]:
    """Annotation texts of a chart that reach past its right edge (cut off)."""
    return page.evaluate("""(graph) => {
        const box = document.querySelector(graph).getBoundingClientRect();
        return [...document.querySelectorAll(graph + ' .annotation-text')]
            .filter(t => t.getBoundingClientRect().right > box.right + 1).map(t => t.textContent);
    }""", graph)


def test_a_phone_gets_a_folded_menu_stacked_charts_and_scrolling_tables(browser, live_server, demo, screenshot):
    context, page = new_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        do_login(page, demo["email"], demo["password"])
        page.wait_for_selector(".ag-row .ag-cell a")
        # The portfolio: pinned to the company name, the other columns scroll inside the grid.
        assert page.locator(".ag-pinned-left-cols-container .ag-cell[col-id=company]").count() == 3
        assert page.evaluate("(() => { const v = document.querySelector('.ag-center-cols-viewport');"
                             " return v.scrollWidth > v.clientWidth; })()")
        assert _page_overflow(page) == []
        # The navigation is folded under the menu button.
        assert not page.locator("#rb-nav-collapse a", has_text="Manage").is_visible()
        screenshot(page, "first-steps-portfolio-390", full_page=False)
        page.locator("#rb-nav-toggle").click()
        page.locator("#rb-nav-collapse a", has_text="Manage").wait_for(state="visible")
        page.locator("#rb-nav-toggle").click()

        northwind = demo["companies"]["Northwind Coffee"]
        page.goto(f"/dashboard/company/{northwind}?range=90d")
        wait_for_charts(page)
        page.wait_for_function("document.querySelectorAll('#rb-goals-graph .annotation-text').length >= 8")
        assert _page_overflow(page) == []
        # Stacked: every card and chart panel as wide as the others, one under the other.
        lefts = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')].map(e => "
                              "Math.round(e.getBoundingClientRect().left))")
        assert len(set(lefts)) == 1, lefts
        assert page.evaluate("[...document.querySelectorAll('.modebar-container')]"
                             ".every(e => getComputedStyle(e).display === 'none')")
        assert _boxes_overlap(page, ".legend", ".gtitle") == []
        assert _clipped_annotations(page, "#rb-goals-graph") == []
        screenshot(page, "first-steps-company-390")

        page.goto(f"/manage/companies/{northwind}/goals")
        page.wait_for_selector("[data-testid=goal-list]")
        assert _page_overflow(page) == []
        scroller = page.locator(".rb-scroll-x").first
        assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # the table scrolls in its box
        first_cell = page.locator("[data-testid=goal-list] tbody td").first
        assert first_cell.evaluate("e => getComputedStyle(e).position") == "sticky"
        assert page.locator("[data-testid=kpi]").first.inner_text().split(" on ")[0] in {
            "Comments", "Response time", "Mentions", "Clicks", "Followers", "Shares"}  # words, not keys
        assert not page.locator(".rb-admin-nav").is_visible()
        screenshot(page, "first-steps-manage-goals-390")
        page.locator("label.rb-menu-button").click()
        assert page.locator(".rb-admin-nav a", has_text="People").is_visible()
    finally:
        context.close()


def test_desktop_screens_of_the_company_page_and_manage_goals(desktop, demo, screenshot):
    page = desktop
    northwind = demo["companies"]["Northwind Coffee"]
    page.goto(f"/dashboard/company/{northwind}?range=90d")
    wait_for_charts(page)
    assert _page_overflow(page) == []
    assert _boxes_overlap(page, ".legend", ".gtitle") == []
    assert _clipped_annotations(page, "#rb-goals-graph") == []
    assert page.locator("#rb-nav-toggle").is_hidden()
    assert page.locator("#rb-nav-collapse a", has_text="Manage").is_visible()
    screenshot(page, "first-steps-company-1440")
    page.goto(f"/manage/companies/{northwind}/goals")
    page.wait_for_selector("[data-testid=goal-list]")
    assert _page_overflow(page) == []
    assert page.locator("label.rb-menu-button").is_hidden() and page.locator(".rb-admin-nav").is_visible()
    screenshot(page, "first-steps-manage-goals-1440")


def test_a_csv_is_checked_before_it_is_imported_and_the_result_is_in_view(desktop, demo, screenshot):
    """Issue 12, items 2 and 13: choosing a file shows what it holds and which stored numbers it
    would replace; Import is on only after a good check; the result shows at the top."""
    page = desktop
    vistula = demo["companies"]["Vistula Software"]
    page.goto(f"/manage/companies/{vistula}/data")
    import_button = page.locator("[data-csv-import]")
    assert import_button.is_disabled()
    bad = b"date,channel,metric,value\n2026-02-30,nowhere,followers,x\n"
    page.set_input_files("#csv-form input[type=file]", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                                                 "buffer": bad}])
    page.wait_for_selector("[data-testid=csv-check] [data-testid=csv-errors]")
    assert import_button.is_disabled()
    errors = page.inner_text("[data-testid=csv-errors]")
    assert "Row 2" in errors and "Not a valid" not in errors
    channel = page.locator("[data-testid=curl-example]").inner_text().split('"channel": "')[1].split('"')[0]
    good = f"date,channel,metric,value\n2026-01-05,{channel},reach,123\n".encode()
    page.set_input_files("#csv-form input[type=file]", files=[{"name": "reach.csv", "mimeType": "text/csv",
                                                                 "buffer": good}])
    page.wait_for_selector("[data-testid=csv-check][data-ok='1']")
    summary = page.inner_text("[data-testid=csv-summary]")
    assert "Ready to import 1 value" in summary and "replacing a stored value" in summary
    assert page.locator("[data-testid=csv-replaced] li").count() == 1  # the demo has reach on that day
    screenshot(page, "first-steps-csv-check", full_page=False)
    import_button.click()
    page.wait_for_selector("#csv-result [data-testid=csv-summary]")
    assert "1 updated" in page.inner_text("#csv-result")
    box = page.locator("#csv-result").bounding_box()
    assert box is not None and box["y"] < DESKTOP["height"]  # in view, not below the fold


def test_a_blank_goal_form_complains_only_about_what_was_typed(desktop, demo):
    page = desktop
    page.goto(f"/manage/companies/{demo['companies']['Fjord Outdoor']}/goals/new")
    page.wait_for_selector("[data-testid=goal-preview]")
    page.wait_for_timeout(800)  # the preview has asked the server once
    assert page.locator("[data-preview-errors] li").count() == 0
    assert page.locator(".is-invalid").count() == 0
    page.fill("#f-kpi-target", "lots")
    page.wait_for_selector("[data-preview-errors] li")
    errors = page.locator("[data-preview-errors] li").all_inner_texts()
    assert errors == ["Target: Enter a number, such as 1200 or 12.5."]


def test_leaving_the_strategy_with_unsaved_answers_asks_first(desktop, demo):
    """Issue 12, item 8: answers typed into the strategy are not lost without a warning."""
    page = desktop
    page.goto(f"/manage/companies/{demo['companies']['Fjord Outdoor']}/strategy")
    page.wait_for_selector("#f-objective:visible")
    page.locator("#f-objective").press_sequentially(" And more.")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.click("ul.nav-tabs a:has-text('Channels')")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"] and page.url.endswith("/strategy")
    assert "And more." in page.input_value("#f-objective")  # what was typed is still there
