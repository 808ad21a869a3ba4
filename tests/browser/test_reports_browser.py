"""Report pages in Chromium: the owner makes last month's report on /manage, sees it with its charts
drawn, edits the commentary, marks it ready, downloads the PDF and sends it; the client viewer then
finds it under Reports from the dashboard and reads it. No console error and no CSP violation.
Screenshots: screenshots/reports-*.png (and /tmp/screens/ for a look)."""
from __future__ import annotations

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


def _clean(pg) -> None:
    assert not pg.rb_console_errors, pg.rb_console_errors
    assert not csp_violations(pg), csp_violations(pg)


def test_owner_reviews_and_sends_then_the_viewer_reads(browser, live_server, tmp_path):
    from dashboard_seed import seed_company

    tenant = live_server.build_tenant("Report Agency")
    with live_server.acting(tenant):
        seed_company(tenant.company_a.id, days=120)
    live_server.app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    context, pg = new_page(browser, live_server)
    try:
        do_login(pg, tenant.emails["owner"])
        pg.goto(f"/manage/companies/{tenant.company_a.id}/reports")
        pg.click("text=Make the report")
        pg.wait_for_load_state("load")
        pg.wait_for_selector("[data-chart][data-drawn='1'] .main-svg")
        assert pg.get_attribute("[data-testid=report-status]", "data-status") == "draft"
        pg.fill("#f-commentary", "A strong month: reach doubled after the spring campaign.")
        pg.click("[data-testid=report-edit] button[type=submit]")
        pg.wait_for_load_state("load")
        assert "reach doubled" in pg.inner_text("[data-testid=report-body]")
        _shot(pg, "reports-manage-draft")
        pg.click("[data-testid=mark-ready]")
        pg.wait_for_load_state("load")
        assert pg.get_attribute("[data-testid=report-status]", "data-status") == "ready"
        with pg.expect_download() as download:
            pg.click("[data-testid=download-pdf]")
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        pg.fill("#f-recipients", "client@example.com")
        pg.click("[data-testid=send]")
        pg.wait_for_load_state("load")
        assert pg.get_attribute("[data-testid=report-status]", "data-status") == "sent"
        assert pg.locator("[data-delivery-status=sent]").count() == 1
        _shot(pg, "reports-manage-sent")
        _clean(pg)
    finally:
        context.close()

    context, pg = new_page(browser, live_server)
    try:
        do_login(pg, tenant.emails["viewer"])
        pg.goto(f"/dashboard/company/{tenant.company_a.id}")
        pg.click("#rb-reports-link")
        pg.wait_for_load_state("load")
        pg.click("[data-testid=client-report-list] a")
        pg.wait_for_selector("[data-chart][data-drawn='1'] .main-svg")
        assert "reach doubled" in pg.inner_text("[data-testid=report-body]")
        assert pg.get_attribute("[data-testid=pdf-state]", "data-state") == "current"
        _shot(pg, "reports-viewer")
        _clean(pg)
    finally:
        context.close()
