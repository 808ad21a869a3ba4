"""Correcting a wrong day in Chromium (issue 12, item 16): someone pushed 1,200 followers for a
blog that has about 8,200; the owner opens the company's Stored data tab, deletes that day, reads
the confirmation (how many points, which channel, metric and day) and then the flash, and the
point is gone. Also on a 390×844 phone: nothing wider than the window. Screenshots:
screenshots/stored-data-*.png."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from .conftest import do_login, new_page
from .test_first_steps_browser import PHONE, _page_overflow

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WRONG_DAY = dt.date.today() - dt.timedelta(days=3)


@pytest.fixture(scope="module")
def blog(live_server):
    """An agency whose company A has a blog with 30 days of followers, one of them wrong."""
    from backend.services import channels, metrics

    tenant = live_server.build_tenant("Stored Data Agency")
    company = tenant.company_a
    days = [dt.date.today() - dt.timedelta(days=n) for n in range(29, -1, -1)]
    with live_server.acting(tenant):
        channels.create_channel(company.id, {"key": "blog", "platform": "blog", "name": "Company blog"})
        channels.create_channel(company.id, {"key": "instagram", "platform": "instagram"})
        metrics.push_points(company.id, [
            {"channel": "blog", "metric": "followers", "date": day.isoformat(),
             "value": 1200 if day == WRONG_DAY else 8060 + 6 * n} for n, day in enumerate(days)]
            + [{"channel": "instagram", "metric": "followers", "date": day.isoformat(), "value": 500 + n}
               for n, day in enumerate(days)])
    return tenant


def _blog_days(live_server, tenant) -> set[dt.date]:
    from backend.extensions import db
    from backend.models import Channel, MetricPoint

    with live_server.acting(tenant):
        return set(db.session.scalars(
            select(MetricPoint.date).join(Channel, Channel.id == MetricPoint.channel_id)
            .where(Channel.key == "blog", MetricPoint.metric == "followers")))


def test_delete_a_wrong_day_through_the_page(page, live_server, blog, screenshot):
    company = blog.company_a
    do_login(page, blog.emails["owner"])
    page.goto(f"/manage/companies/{company.id}/channels")
    page.get_by_role("link", name="Stored data", exact=True).click()
    page.wait_for_url(f"**/manage/companies/{company.id}/points")
    # The first channel by key (blog) and followers are shown, newest first.
    assert page.locator("#f-channel").input_value() == "blog"
    assert page.locator("#f-metric").input_value() == "followers"
    rows = page.locator("[data-testid=points] tbody tr")
    assert rows.count() == 30
    wrong = page.locator(f"tr[data-date='{WRONG_DAY.isoformat()}']")
    assert wrong.locator("td").nth(1).inner_text() == "1.2k"
    assert wrong.locator("td span").get_attribute("title") == "1,200"
    screenshot(page, "stored-data-list", full_page=False)

    wrong.get_by_role("button", name="Delete").click()
    confirm = page.locator("[data-testid=confirm-delete]")
    confirm.wait_for()
    assert confirm.locator("h2").inner_text() == "Delete 1 stored point?"
    summary = confirm.locator("[data-testid=confirm-summary]").inner_text()
    assert summary == f"Followers on the channel blog, on {WRONG_DAY.isoformat()}: 1 point."
    assert confirm.locator("[data-testid=confirm-points]").inner_text() == f"{WRONG_DAY.isoformat()}: 1.2k"
    assert WRONG_DAY in _blog_days(live_server, blog)  # nothing gone yet
    screenshot(page, "stored-data-confirm", full_page=False)

    confirm.get_by_role("button", name="Delete 1 point").click()
    flash = page.locator(".rb-flash")
    flash.wait_for()
    assert flash.inner_text() == f"Deleted 1 stored point of Followers on blog on {WRONG_DAY.isoformat()}."
    assert rows.count() == 29
    assert page.locator(f"tr[data-date='{WRONG_DAY.isoformat()}']").count() == 0
    assert WRONG_DAY not in _blog_days(live_server, blog)
    assert len(_blog_days(live_server, blog)) == 29
    screenshot(page, "stored-data-deleted", full_page=False)


def test_the_page_fits_a_phone(browser, live_server, blog, screenshot):
    context, pg = new_page(browser, live_server, viewport=PHONE)
    try:
        do_login(pg, blog.emails["owner"])
        pg.goto(f"/manage/companies/{blog.company_a.id}/points?channel=instagram&metric=followers")
        pg.locator("[data-testid=points]").wait_for()
        assert _page_overflow(pg) == [], "wider than the window"
        pg.locator("[data-testid=delete-series] button").click()
        pg.locator("[data-testid=confirm-delete]").wait_for()
        assert _page_overflow(pg) == [], "the confirmation is wider than the window"
        assert "Delete 30 stored points?" in pg.inner_text("[data-testid=confirm-delete] h2")
        screenshot(pg, "stored-data-phone-confirm", full_page=True)
    finally:
        context.close()
