"""A client report from start to end in Chromium (issue 13's browser test): the owner brands the
agency, makes last month's report, edits its commentary and highlights a goal, marks it ready,
downloads its PDF (read back with pdftotext; its first page rendered with pdftoppm), makes a
share link to it, and a fresh context with no login opens the link and sees the same report with
its charts. Screenshots: screenshots/report-flow-*.png (and /tmp/screens/ for a look)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import csp_violations, do_login, new_page, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LOOK = Path("/tmp/screens")
COMMENTARY = "Reels carried the month: reach up, and the launch plan is on course for spring."


def _shot(pg, name: str) -> Path:
    path = save_screenshot(pg, name)
    LOOK.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, LOOK / path.name)
    return path


def _wait_for_pdf(pg, timeout_s: float = 60.0) -> None:
    """The PDF is rendered by the job (inline under the test settings); reload until it is current."""
    for _ in range(int(timeout_s)):
        state = pg.get_attribute("[data-testid=pdf-state]", "data-state")
        if state == "current":
            return
        assert state in ("rendering", None), pg.inner_text("[data-testid=pdf-state]")
        pg.wait_for_timeout(1000)
        pg.reload()
    raise AssertionError("the report's PDF was not rendered in time")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext, pdftoppm)")
def test_owner_brands_reports_and_shares_and_a_stranger_opens_the_link(browser, live_server, tmp_path):
    from dashboard_seed import seed_company

    tenant = live_server.build_tenant("Report Flow Agency")
    company = tenant.company_a
    with live_server.acting(tenant):
        seed_company(company.id, days=120)
    context, pg = new_page(browser, live_server)
    try:
        do_login(pg, tenant.emails["owner"])
        # Brand the agency.
        pg.goto("/manage/branding")
        pg.fill("#f-display_name", "Fjordlight Social")
        pg.fill("#f-primary_color", "#7A1F5C")
        pg.click("form[action='/manage/branding'] button[type=submit]")
        pg.wait_for_load_state("load")

        # Make last month's report (the form fills in last month).
        pg.goto(f"/manage/companies/{company.id}/reports")
        pg.click("text=Make the report")
        pg.wait_for_load_state("load")
        assert pg.get_attribute("[data-testid=report-status]", "data-status") == "draft"
        report_url = pg.url

        # Edit the commentary and highlight the first goal while it is a draft.
        pg.fill("#f-commentary", COMMENTARY)
        goal = pg.locator("[data-testid=report-edit] input[name=highlighted_goal_ids]").first
        goal_title = pg.locator(f"label[for='{goal.get_attribute('id')}']").inner_text().strip()
        goal.check()
        pg.click("[data-testid=report-edit] button[type=submit]")
        pg.wait_for_load_state("load")
        body = pg.inner_text("[data-testid=report-body]")
        assert COMMENTARY in body and goal_title in body
        assert "Fjordlight Social" in body

        # Mark it ready; the worker renders the PDF.
        pg.click("[data-testid=mark-ready]")
        pg.wait_for_load_state("load")
        assert pg.get_attribute("[data-testid=report-status]", "data-status") == "ready"
        _wait_for_pdf(pg)
        pg.wait_for_selector("[data-testid=report-body] [data-chart][data-drawn='1'] .main-svg")
        _shot(pg, "report-flow-page")
        # The cover keeps the brand colour with light text inside /manage too (its headings are dark).
        cover = pg.locator("[data-testid=report-body] .rb-cover")
        assert cover.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(122, 31, 92)"
        assert cover.locator(".rb-company").evaluate("el => getComputedStyle(el).color") == "rgb(255, 255, 255)"
        assert not csp_violations(pg), csp_violations(pg)

        # Download the PDF and read it back.
        with pg.expect_download() as download:
            pg.click("[data-testid=download-pdf]")
        pdf = tmp_path / "report.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF-")
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        flat = re.sub(r"\s+", " ", text)
        assert company.name in flat and "Fjordlight Social" in flat
        assert COMMENTARY[:40] in flat and goal_title in flat
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "page")], check=True)
        (page_png,) = tmp_path.glob("page*.png")
        LOOK.mkdir(parents=True, exist_ok=True)
        shutil.copy(page_png, Path("screenshots") / "report-flow-pdf-1.png")
        shutil.copy(page_png, LOOK / "report-flow-pdf-1.png")

        # Make a share link to the report.
        pg.goto(f"/manage/companies/{company.id}/share-links")
        pg.check("#kind-report")
        pg.select_option("#f-report_id", index=1)
        pg.fill("#f-expires_in_days", "7")
        pg.fill("#f-label", "For the board meeting")
        pg.click("text=Make the link")
        pg.wait_for_load_state("load")
        url = pg.input_value("[data-testid=new-share-link-value]")
        assert "/s/" in url
    finally:
        context.close()

    # A stranger opens the link in a fresh context: the same report, no login, no cookie.
    context, pg = new_page(browser, live_server)
    requested: list[str] = []
    pg.on("request", lambda r: requested.append(r.url))
    try:
        pg.goto(url)
        pg.wait_for_selector("[data-chart][data-drawn='1'] .main-svg")
        shared = pg.inner_text("body")
        assert COMMENTARY in shared and company.name in shared and goal_title in shared
        assert tenant.company_b.name not in shared
        _shot(pg, "report-flow-shared")
        assert not pg.rb_console_errors, pg.rb_console_errors
        assert pg.context.cookies() == []
        assert all(r.removeprefix(live_server.url).startswith(("/s/", "/static/", "/vendor/", "data:"))
                   for r in requested), requested
        assert report_url not in pg.content()
    finally:
        context.close()
