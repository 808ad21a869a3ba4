"""Share links in Chromium: the owner makes a board link with a PIN on /manage; a fresh context
(no login, no cookie) enters a wrong PIN, then the right one, and sees the board's charts drawn
by the app's own Plotly build; a report link opens the report with its charts. No console error,
no failed request, no CSP violation, and the page asks nothing of the app but static files.
Screenshots: screenshots/share-*.png (and /tmp/screens/ for a look)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from .conftest import csp_violations, do_login, new_page, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LOOK = Path("/tmp/screens")


def _shot(pg, name: str) -> None:
    path = save_screenshot(pg, name)
    LOOK.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, LOOK / path.name)


def _open_as_stranger(browser, live_server, url: str):
    context, pg = new_page(browser, live_server)
    requested: list[str] = []
    pg.on("request", lambda r: requested.append(r.url))
    pg.goto(url)
    return context, pg, requested


def _assert_clean(pg, requested, live_server):
    assert not pg.rb_console_errors, pg.rb_console_errors
    assert not csp_violations(pg), csp_violations(pg)
    assert pg.context.cookies() == []
    for url in requested:
        path = url.removeprefix(live_server.url)
        assert path.startswith(("/s/", "/static/", "/vendor/", "data:")), url


def test_a_board_link_with_a_pin_opens_in_a_fresh_context(browser, live_server):
    from dashboard_seed import seed_company

    tenant = live_server.build_tenant("Share Agency")
    with live_server.acting(tenant):
        seed_company(tenant.company_a.id, days=120)
    today = dt.datetime.now(dt.UTC).date()
    context, pg = new_page(browser, live_server)
    try:
        do_login(pg, tenant.emails["owner"])
        pg.goto(f"/manage/companies/{tenant.company_a.id}/share-links")
        pg.check("#kind-board")
        pg.fill("#f-board_from", (today - dt.timedelta(days=90)).isoformat())
        pg.fill("#f-board_to", (today - dt.timedelta(days=1)).isoformat())
        pg.fill("#f-expires_in_days", "14")
        pg.fill("#f-pin", "2468")
        pg.fill("#f-label", "Quarterly review")
        pg.click("text=Make the link")
        pg.wait_for_load_state("load")
        url = pg.input_value("[data-testid=new-share-link-value]")
        assert "/s/" in url
        _shot(pg, "share-manage")
        assert not csp_violations(pg), csp_violations(pg)
    finally:
        context.close()

    context, pg, requested = _open_as_stranger(browser, live_server, url)
    try:
        pg.fill("#pin", "1111")
        pg.click("button[type=submit]")
        pg.wait_for_load_state("load")
        assert "That PIN is not right" in pg.inner_text("[data-testid=pin-error]")
        pg.fill("#pin", "2468")
        pg.click("button[type=submit]")
        pg.wait_for_selector("[data-chart=followers][data-drawn='1']")
        for chart in ("followers", "reach", "engagement", "goals"):
            pg.wait_for_selector(f"[data-chart={chart}][data-drawn='1'] .main-svg")
        assert tenant.company_a.name in pg.inner_text("h1")
        assert pg.locator(".rb-card").count() == 5
        _shot(pg, "share-board")
        failed = [r for r in pg.rb_failed_requests if "/s/" not in r]  # the wrong PIN's 403 is expected
        assert not failed, failed
        errors = [e for e in pg.rb_console_errors if "403" not in e]
        pg.rb_console_errors[:] = errors
        _assert_clean(pg, requested, live_server)
    finally:
        context.close()


def test_a_report_link_opens_the_report_with_its_charts(browser, live_server):
    from dashboard_seed import seed_company

    from backend.extensions import db
    from backend.models import Report
    from backend.services.share_links import create_share_link

    tenant = live_server.build_tenant("Report Share Agency")
    today = dt.datetime.now(dt.UTC).date()
    end = today.replace(day=1) - dt.timedelta(days=1)
    with live_server.acting(tenant):
        seed_company(tenant.company_a.id, days=120)
        report = Report(company_id=tenant.company_a.id, period_kind="month", period_start=end.replace(day=1),
                        period_end=end, status="ready", commentary="A strong month for the spring range.")
        db.session.add(report)
        db.session.commit()
        _link, token = create_share_link(tenant.company_a.id, kind="report", report_id=report.id)
    context, pg, requested = _open_as_stranger(browser, live_server, f"/s/{token}")
    try:
        pg.wait_for_selector("[data-chart=followers][data-drawn='1'] .main-svg")
        assert "A strong month for the spring range." in pg.content()
        _shot(pg, "share-report")
        assert not pg.rb_failed_requests, pg.rb_failed_requests
        _assert_clean(pg, requested, live_server)
    finally:
        context.close()
    # The same link once revoked: the friendly 404.
    from backend.services.share_links import list_share_links, revoke_share_link

    with live_server.acting(tenant):
        revoke_share_link(tenant.company_a.id, list_share_links(tenant.company_a.id)[0].id)
    context, pg, _requested = _open_as_stranger(browser, live_server, f"/s/{token}")
    try:
        assert "This link does not work" in pg.inner_text("h1")
        _shot(pg, "share-revoked")
    finally:
        context.close()
