"""The dashboard in a real browser (Chromium via Playwright): what owners and client viewers see."""
from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def agencies(live_server):
    """Two agencies on the live server (module scope: built once for these tests)."""
    from dashboard_seed import seed_company

    mine, other = live_server.build_tenant("Aurora Agency"), live_server.build_tenant("Borealis Agency")
    with live_server.acting(mine):
        mine.seed = seed_company(mine.company_a.id)
    with live_server.acting(other):
        other.seed = seed_company(other.company_a.id, days=30)
    return mine, other


def api_summary(live_server, key, company_id, date_from, date_to) -> dict:
    req = urllib.request.Request(
        f"{live_server.url}/api/v1/companies/{company_id}/metrics/summary?from={date_from}&to={date_to}",
        headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return {m["metric"]: m for m in json.load(resp)["metrics"]}


def wait_for_charts(page, count=4):
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg .scatterlayer .trace, "
        f".js-plotly-plot .main-svg .barlayer .trace').length >= {count}", timeout=45_000)


def test_logged_out_dashboard_redirects_to_login(page, live_server, screenshot):
    page.goto("/dashboard/")
    assert page.url.startswith(live_server.url + "/login?next=")
    assert "/dashboard/" in page.url
    screenshot(page, "login")


def test_viewer_sees_not_found_for_another_company(page, login, agencies, screenshot):
    mine, other = agencies
    login(page, mine.emails["viewer"])
    page.goto(f"/dashboard/company/{mine.company_b.id}")
    page.wait_for_selector("#rb-not-found")
    assert mine.company_b.name not in page.content()
    screenshot(page, "not-found-viewer")
    page.goto(f"/dashboard/company/{other.company_a.id}")
    page.wait_for_selector("#rb-not-found")
    assert other.company_a.name not in page.content()


def test_strategy_page_renders(page, login, agencies, screenshot):
    mine, _ = agencies
    login(page, mine.emails["owner"])
    page.goto(f"/dashboard/company/{mine.company_a.id}/strategy")
    page.wait_for_selector("#rb-strategy-document")
    assert page.locator("h1").first.inner_text().startswith(mine.company_a.name)
    screenshot(page, "strategy-empty")


def test_owner_portfolio_company_kpis_and_charts(page, login, live_server, agencies, screenshot):
    from dashboard import theme
    from dashboard.pages.company import KPI_SPECS, format_kpi

    mine, other = agencies
    login(page, mine.emails["owner"])
    assert page.url.split("?")[0].endswith("/dashboard/")
    page.wait_for_selector(".ag-row .ag-cell a")
    page.wait_for_selector(".rb-spark")
    links = sorted(page.locator(".ag-row [col-id='company'] a").all_inner_texts())
    assert links == sorted([mine.company_a.name, mine.company_b.name])
    assert other.company_a.name not in page.content()
    assert "no data" in " ".join(page.locator(".ag-row").all_inner_texts())  # company B
    screenshot(page, "portfolio")

    page.click(f"text={mine.company_a.name}")
    page.wait_for_url(f"**/dashboard/company/{mine.company_a.id}")
    try:
        page.wait_for_selector("#rb-kpi-followers .rb-kpi-value")
    except Exception:
        screenshot(page, "debug-company")
        print("CONSOLE", page.rb_console_errors, page.rb_failed_requests)
        raise
    wait_for_charts(page)
    # The default period (90 days ending today in the company's time zone, UTC here).
    end = dt.datetime.now(dt.UTC).date()
    start = end - dt.timedelta(days=89)
    summary = api_summary(live_server, mine.keys["read"], mine.company_a.id, start, end)
    for key, _title, unit in KPI_SPECS:
        shown = page.locator(f"#rb-kpi-{key} .rb-kpi-value").inner_text()
        assert shown == format_kpi(summary[key]["value"], unit), key
        exact = float(page.locator(f"#rb-kpi-{key} .rb-kpi-value").get_attribute("data-value"))
        assert exact == pytest.approx(summary[key]["value"]), key
    assert theme.compact(summary["followers"]["value"]) in page.locator("#rb-kpi-followers").inner_text()
    assert page.locator("#rb-followers-graph .scatterlayer .trace").count() == 3
    assert page.locator("#rb-reach-graph .barlayer .trace").count() == 1
    assert page.locator("#rb-goals-graph .barlayer .trace:last-child .point").count() == 2
    assert page.locator("#rb-goals-graph .annotation-text").count() == 2  # the words above each bar
    page.wait_for_function("document.querySelectorAll('#rb-goal-path-graph .scatterlayer .trace').length == 2")
    errors = [e for e in page.rb_console_errors if "/favicon.ico]" not in e]  # the login page has no icon
    assert not errors, (errors, page.rb_failed_requests)
    screenshot(page, "company")

    # Controls go into the URL; the URL restores them.
    page.click("#rb-preset")
    page.click("text=Last 30 days")
    page.wait_for_url("**range=30d**")
    page.click("label:has-text('Week')")
    page.wait_for_url("**granularity=week**")
    bookmark = page.url
    page.goto(bookmark)
    page.wait_for_selector("#rb-kpi-followers .rb-kpi-value")
    wait_for_charts(page)
    assert "Last 30 days" in page.locator("#rb-preset").inner_text()
    assert page.locator(f"#{'rb-granularity'} input[value=week]").is_checked()
    summary = api_summary(live_server, mine.keys["read"], mine.company_a.id, end - dt.timedelta(days=29), end)
    assert page.locator("#rb-kpi-reach .rb-kpi-value").inner_text() == format_kpi(summary["reach"]["value"], "number")
    screenshot(page, "company-30d-weekly")

    # The channel goes into the URL too (written in the browser, no request).
    page.goto(f"/dashboard/company/{mine.company_a.id}?range=12m")
    page.wait_for_selector("#rb-kpi-followers .rb-kpi-value")
    page.click("#rb-channel")
    page.get_by_role("option", name="Instagram").click()
    page.wait_for_url("**channel=instagram**")
    page.wait_for_function("document.querySelectorAll('#rb-followers-graph .scatterlayer .trace').length == 1")

    page.goto(f"/dashboard/company/{mine.company_a.id}?range=custom&from=2030-02-01&to=2030-01-01")
    page.wait_for_selector("#rb-range-message .alert")
    assert "swapped" in page.locator("#rb-range-message").inner_text()
    # The page came drawn for the nearest sensible range, and the URL says which.
    page.wait_for_url(lambda url: "from=2030" not in url and "range=custom" in url)
    screenshot(page, "company-bad-range")

    page.goto(f"/dashboard/company/{mine.company_a.id}/strategy")
    page.wait_for_selector("#rb-strategy-document")
    assert "first choice" in page.inner_text("#rb-strategy-document")
    screenshot(page, "strategy")

    # Company B has no channels yet: the page leads to adding them (the push example, built from
    # a company's own channels, is pasted into a shell in test_onboarding.py).
    page.goto(f"/dashboard/company/{mine.company_b.id}")
    page.wait_for_selector("#rb-first-data")
    assert page.locator("#rb-first-data a", has_text="Add its channels").get_attribute("href") == \
        f"/manage/companies/{mine.company_b.id}/channels"
    assert page.locator("#rb-push-example").count() == 0
    screenshot(page, "company-no-data")


def test_viewer_lands_on_the_company_and_never_sees_the_portfolio(page, login, live_server, agencies, screenshot):
    mine, other = agencies
    login(page, mine.emails["viewer"])
    page.wait_for_url(f"**/dashboard/company/{mine.company_a.id}")
    page.wait_for_selector("#rb-kpi-followers .rb-kpi-value")
    wait_for_charts(page)
    assert "Portfolio" not in page.inner_text("header")
    screenshot(page, "company-viewer")
    page.goto(f"/dashboard/company/{other.company_a.id}")
    page.wait_for_selector("#rb-not-found")
    assert other.company_a.name not in page.content()
