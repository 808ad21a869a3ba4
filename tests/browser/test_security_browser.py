"""Security headers in a real browser: every kind of page works under the Content-Security-Policy
with no violation (the ``page`` fixture fails a test on any), no page renders inside a frame, and
logging out is a form post that ends the session."""
from __future__ import annotations

import pytest

from .conftest import csp_violations, new_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def agency(live_server):
    from dashboard_seed import seed_company

    tenant = live_server.build_tenant("Cirrus Agency")
    with live_server.acting(tenant):
        tenant.seed = seed_company(tenant.company_a.id, days=60)
    return tenant


def _set_password_link(live_server, tenant) -> str:
    from backend.services.accounts import create_user

    with live_server.acting(tenant):
        _, token = create_user({"email": "fresh-csp@cirrus.test", "role": "member"})
    return f"/set-password/{token}"


def test_every_kind_of_page_runs_under_the_policy(page, login, live_server, agency, screenshot):
    link = _set_password_link(live_server, agency)
    page.goto(link)
    page.wait_for_selector("input[name=password]")
    page.goto("/login")
    page.wait_for_selector("input[name=email]")
    login(page, agency.emails["owner"])
    # The portfolio grid (dash-ag-grid), the company page (Plotly), the strategy page.
    page.goto("/dashboard/")
    page.wait_for_selector(".ag-row .ag-cell a")
    page.goto(f"/dashboard/company/{agency.company_a.id}")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg .trace').length >= 4",
                           timeout=45_000)
    page.goto(f"/dashboard/company/{agency.company_a.id}/strategy")
    page.wait_for_selector("#rb-strategy-document")
    # Server-rendered admin pages with their script (confirmations, the goal preview).
    for path in ("/manage/companies", f"/manage/companies/{agency.company_a.id}",
                 f"/manage/companies/{agency.company_a.id}/goals/new", "/manage/people", "/account"):
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
    page.goto(f"/manage/companies/{agency.company_a.id}/goals/new")
    page.fill("#f-title", "Previewed under the policy")
    # The API docs: Swagger UI starts from a script file, not an inline one.
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    screenshot(page, "api-docs-under-csp")
    assert not csp_violations(page)


def test_no_page_renders_in_a_frame(browser, live_server, agency, login):
    context, framing = new_page(browser, live_server)
    try:
        login(framing, agency.emails["owner"])
        for path in ("/manage/companies", "/dashboard/", "/login", "/api/v1/docs"):
            framing.set_content(f'<iframe id="victim" src="{live_server.url}{path}" width="800" height="600"></iframe>')
            framing.wait_for_timeout(500)
            frame = framing.frame_locator("#victim")
            # Blocked by frame-ancestors 'none' (and X-Frame-Options: DENY): nothing of the page is drawn.
            assert frame.locator("body *").count() == 0 or "chrome-error" in framing.frames[-1].url, path
            assert any("frame-ancestors" in e for e in csp_violations(framing)), path
            framing.rb_console_errors.clear()
    finally:
        context.close()


def test_logout_is_a_form_post_and_ends_the_session(page, login, live_server, agency):
    login(page, agency.emails["member"])
    page.goto(f"/dashboard/company/{agency.company_a.id}")
    page.wait_for_selector("#rb-logout")
    cookies = page.context.cookies()
    page.click("#rb-logout")
    page.wait_for_url("**/login")
    assert "You are logged out." in page.inner_text("body")
    # The cookie copied before logging out no longer opens anything.
    context, thief = new_page(page.context.browser, live_server)
    try:
        context.add_cookies(cookies)
        thief.goto("/dashboard/")
        assert "/login" in thief.url
    finally:
        context.close()
