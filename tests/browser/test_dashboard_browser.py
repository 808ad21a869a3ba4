"""The dashboard in a real browser (Chromium via Playwright): what owners and client viewers see."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def agencies(live_server):
    """Two agencies on the live server (module scope: built once for these tests)."""
    return live_server.build_tenant("Aurora Agency"), live_server.build_tenant("Borealis Agency")


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
