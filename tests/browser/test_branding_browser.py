"""Agency branding in Chromium: the owner saves a colour and uploads an SVG logo on
/manage/branding (a malicious one is refused under its field first); the client viewer's
dashboard then shows the logo (loaded, not broken) in a navbar of that colour, with no CSP
violation. Screenshots: screenshots/branding-*.png."""
from __future__ import annotations

import pytest

from .conftest import csp_violations, do_login, new_page, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 32" width="64" height="32">'
        '<rect width="64" height="32" rx="6" fill="#ffffff"/><circle cx="16" cy="16" r="10" fill="#0B5394"/>'
        '<text x="30" y="22" font-family="sans-serif" font-size="14" fill="#0B5394">NW</text></svg>')
EVIL = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'


def test_owner_brands_the_agency_and_the_viewer_sees_it(browser, live_server, tmp_path):
    tenant = live_server.build_tenant("Brand Agency")
    (tmp_path / "evil.svg").write_text(EVIL)
    (tmp_path / "logo.svg").write_text(LOGO)
    context, pg = new_page(browser, live_server)
    try:
        do_login(pg, tenant.emails["owner"])
        pg.goto("/manage/branding")
        pg.fill("#f-display_name", "Northwind Social")
        pg.fill("#f-primary_color", "#0B5394")
        pg.click("form[action='/manage/branding'] button[type=submit]")
        pg.wait_for_load_state("load")
        pg.set_input_files("#f-logo", str(tmp_path / "evil.svg"))
        pg.click("text=Upload logo")
        pg.wait_for_load_state("load")
        assert "onload" in pg.inner_text("[data-field=logo]")
        pg.set_input_files("#f-logo", str(tmp_path / "logo.svg"))
        pg.click("text=Upload logo")
        pg.wait_for_load_state("load")
        assert pg.locator("[data-testid=branding-logo]").evaluate("img => img.naturalWidth") > 0
        save_screenshot(pg, "branding-manage")
        assert not csp_violations(pg), csp_violations(pg)
    finally:
        context.close()
    context, pg = new_page(browser, live_server)
    try:
        do_login(pg, tenant.emails["viewer"])
        pg.wait_for_selector("#rb-agency-logo")
        assert pg.locator("#rb-agency-logo").evaluate("img => img.complete && img.naturalWidth > 0")
        color = pg.locator("#rb-navbar").evaluate("el => getComputedStyle(el).backgroundColor")
        assert color == "rgb(11, 83, 148)", color
        assert "Northwind Social" in pg.inner_text("#rb-navbar")
        save_screenshot(pg, "branding-viewer-dashboard", full_page=False)
        assert not csp_violations(pg), csp_violations(pg)
    finally:
        context.close()
