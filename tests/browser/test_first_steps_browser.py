"""What a new agency trips over (issue 12), in Chromium with the demo data: the portfolio opens a
company from anywhere on its row, fits a 1440 px screen, filters dates in ISO; the company page,
the portfolio and /manage/goals at 1440×900 and on a 390×844 phone, with nothing cut or
overlapping. Screenshots: screenshots/first-steps-*.png."""
from __future__ import annotations

import re

import pytest

from .conftest import do_login, new_page

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
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                     && !e.closest('.ag-center-cols-viewport, .rb-scroll-x, .js-plotly-plot .modebar'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")


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
