"""/manage/companies/<id>/report-schedules: the company's schedules with their next run in its time
zone, a form that adds and edits one with each error under its field, pausing and deleting."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select


@pytest.fixture
def clock(monkeypatch):
    from backend.services import report_schedules

    monkeypatch.setitem(report_schedules._clock, "now", lambda: dt.datetime(2026, 11, 20, 10, 0))


@pytest.fixture
def oslo(app, tenants):
    from backend.services.companies import update_company
    from backend.tenancy import Principal, acting_as

    acme, _ = tenants
    with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
        update_company(acme.company_a.id, {"timezone": "Europe/Oslo"})
    return acme


def page_url(tenant, suffix=""):
    return f"/manage/companies/{tenant.company_a.id}/report-schedules{suffix}"


FORM = {"cadence": "monthly", "day_of_month": "1", "weekday": "0", "hour": "8", "period": "previous_month",
        "recipients": "client@example.com\nboss@example.org", "require_review": "on"}


def _schedules(app, tenant):
    from backend.extensions import db
    from backend.models import ReportSchedule
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        return list(db.session.scalars(select(ReportSchedule)))


def _error_under(html: str, field: str) -> str:
    m = re.search(rf'<div class="invalid-feedback d-block" data-field="{re.escape(field)}">([^<]*)</div>', html)
    assert m, f"no error under {field}"
    return m.group(1)


def test_the_company_pages_link_to_the_schedules(app, oslo, login_as):
    owner = login_as(oslo, "owner")
    page = owner.get(f"/manage/companies/{oslo.company_a.id}").get_data(as_text=True)
    assert f'href="{page_url(oslo)}"' in page and "Report schedules" in page


def test_add_a_schedule_and_see_its_next_run_in_the_companys_time(app, clock, oslo, login_as):
    owner = login_as(oslo, "owner")
    resp = owner.post(page_url(oslo), data=FORM)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    (schedule,) = _schedules(app, oslo)
    assert schedule.recipients == ["client@example.com", "boss@example.org"] and schedule.require_review is True
    assert schedule.weekday is None and schedule.day_of_month == 1
    html = owner.get(page_url(oslo)).get_data(as_text=True)
    assert "Monthly on day 1 at 08:00" in html and "2026-12-01 08:00" in html and "2026-12-01 07:00 UTC" in html
    assert "Europe/Oslo" in html


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"recipients": "client@example.com\nnot-an-address"}, "recipients", "not-an-address"),
    ({"recipients": ""}, "recipients", "at least one"),
    ({"day_of_month": "31"}, "day_of_month", "1 to 28"),
    ({"starts_on": "2026-11-01"}, "starts_on", "in the past"),
])
def test_a_bad_form_shows_the_error_under_its_field_and_stores_nothing(app, clock, oslo, login_as, change, field,
                                                                        words):
    owner = login_as(oslo, "owner")
    resp = owner.post(page_url(oslo), data={**FORM, **change})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert words in _error_under(html, field)
    assert _schedules(app, oslo) == []
    if field != "recipients":
        assert "client@example.com" in html  # what was typed is shown again


def test_edit_pause_and_delete(app, clock, oslo, login_as):
    owner = login_as(oslo, "member")
    owner.post(page_url(oslo), data=FORM)
    (schedule,) = _schedules(app, oslo)
    edit = page_url(oslo, f"/{schedule.id}")
    form = owner.get(edit).get_data(as_text=True)
    assert "client@example.com\nboss@example.org" in form and 'name="version" value="1"' in form
    resp = owner.post(edit, data={**FORM, "cadence": "weekly", "weekday": "4", "hour": "16", "version": "1"})
    assert resp.status_code == 302
    (changed,) = _schedules(app, oslo)
    assert (changed.cadence, changed.weekday, changed.day_of_month, changed.active) == ("weekly", 4, None, False)
    assert changed.next_run_at is None  # the active box was not ticked: paused
    assert "paused" in owner.get(page_url(oslo)).get_data(as_text=True)
    stale = owner.post(edit, data={**FORM, "active": "on", "version": "1"})
    assert stale.status_code == 409 and 'data-testid="form-error"' in stale.get_data(as_text=True)
    assert owner.post(edit, data={**FORM, "active": "on", "version": "2"}).status_code == 302
    assert _schedules(app, oslo)[0].next_run_at == dt.datetime(2026, 12, 1, 7)
    assert owner.post(edit + "/delete", data={"version": "3"}).status_code == 302
    assert _schedules(app, oslo) == []


def test_viewers_cannot_open_the_page(app, oslo, login_as):
    assert login_as(oslo, "viewer").get(page_url(oslo)).status_code == 403
