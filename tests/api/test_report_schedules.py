"""Report schedules through the API (/api/v1/companies/{id}/report-schedules): the next run in the
company's time zone, the 422s naming the bad field (no recipients, an invalid address, a start in
the past, a day that does not fit the cadence), versions, audit entries and who may do what (the
README's privilege table has the cells; tests/platform/test_privileges.py tries them all)."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

NOW = dt.datetime(2026, 11, 20, 10, 0)  # a Friday; UTC


@pytest.fixture
def clock(monkeypatch):
    """The schedules' clock, frozen at NOW (``clock.set(...)`` moves it)."""
    from backend.services import report_schedules

    class Clock:
        now = NOW

        def set(self, value):
            self.now = value

    c = Clock()
    monkeypatch.setitem(report_schedules._clock, "now", lambda: c.now)
    return c


@pytest.fixture
def oslo(app, tenants):
    """Acme's company A lives in Europe/Oslo (UTC+1 in November)."""
    from backend.services.companies import update_company
    from backend.tenancy import Principal, acting_as

    acme, _ = tenants
    with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
        update_company(acme.company_a.id, {"timezone": "Europe/Oslo"})
    return acme


def url(tenant, suffix=""):
    return f"/api/v1/companies/{tenant.company_a.id}/report-schedules{suffix}"


MONTHLY = {"cadence": "monthly", "day_of_month": 1, "hour": 8, "recipients": ["client@example.com"]}


def _errors(resp):
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    return {e["field"]: e["message"] for e in resp.json["errors"]}


def _audit(app, agency_id):
    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test reads the audit trail"):
        return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.agency_id == agency_id,
                                                                       AuditEntry.action.like("report_schedule.%"))
                                       .order_by(AuditEntry.created_at)))


def test_create_computes_the_first_run_in_the_companys_time_zone(app, clock, oslo, api):
    client = api(oslo.keys["write"])
    resp = client.post(url(oslo), json=MONTHLY)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["next_run_at"] == "2026-12-01T07:00:00Z"  # 08:00 in Oslo
    assert body["period"] == "previous_month" and body["require_review"] is True and body["active"] is True
    assert body["timezone"] == "Europe/Oslo" and body["description"] == "Monthly on day 1 at 08:00"
    assert body["weekday"] is None and body["version"] == 1 and body["last_run_at"] is None
    weekly = client.post(url(oslo), json={"cadence": "weekly", "weekday": 0, "hour": 9,
                                          "recipients": ["Boss@Example.org"], "require_review": False}).json
    assert weekly["next_run_at"] == "2026-11-23T08:00:00Z" and weekly["period"] == "previous_week"
    assert weekly["recipients"] == ["Boss@example.org"]  # the domain normalised
    listed = client.get(url(oslo)).json
    assert [s["id"] for s in listed] == [weekly["id"], body["id"]]  # the soonest run first
    assert client.get(url(oslo, f"/{body['id']}")).json == body


def test_a_bad_schedule_gets_422_naming_what_is_wrong_and_nothing_is_stored(app, clock, oslo, api):
    client = api(oslo.keys["write"])
    cases = [
        ({**MONTHLY, "recipients": []}, "recipients", "at least one"),
        ({**MONTHLY, "recipients": ["ok@example.com", "not-an-address"]}, "recipients.1", "not-an-address"),
        ({**MONTHLY, "starts_on": "2026-11-19"}, "starts_on", "in the past"),
        ({**MONTHLY, "day_of_month": 31}, "day_of_month", "1 to 28"),
        ({**MONTHLY, "day_of_month": None}, "day_of_month", "needs a day of the month"),
        ({**MONTHLY, "weekday": 2}, "weekday", "Only a weekly schedule"),
        ({"cadence": "weekly", "recipients": ["a@example.com"]}, "weekday", "needs a weekday"),
        ({"cadence": "weekly", "weekday": 7, "recipients": ["a@example.com"]}, "weekday", "0 to 6"),
        ({**MONTHLY, "hour": 24}, "hour", "0 to 23"),
        ({**MONTHLY, "period": "last_month"}, "period", "previous_month"),
        ({**MONTHLY, "cadence": "daily"}, "cadence", "weekly, monthly"),
    ]
    for body, field, words in cases:
        errors = _errors(client.post(url(oslo), json=body))
        assert field in errors, (body, errors)
        assert words in errors[field], (body, errors)
    missing = _errors(client.post(url(oslo), json={"cadence": "monthly", "day_of_month": 1}))
    assert "recipients" in missing
    assert client.get(url(oslo)).json == []
    # Today in Oslo is a start that is not in the past.
    today = client.post(url(oslo), json={**MONTHLY, "day_of_month": 20, "starts_on": "2026-11-20"})
    assert today.status_code == 201 and today.json["next_run_at"] == "2026-12-20T07:00:00Z"


def test_a_start_in_the_past_is_judged_in_the_companys_time_zone(app, clock, oslo, api):
    """At 23:30 UTC on the 20th it is already the 21st in Oslo: the 20th is in the past there."""
    clock.set(dt.datetime(2026, 11, 20, 23, 30))
    errors = _errors(api(oslo.keys["write"]).post(url(oslo), json={**MONTHLY, "starts_on": "2026-11-20"}))
    assert "2026-11-21" in errors["starts_on"] and "Europe/Oslo" in errors["starts_on"]


def test_update_recomputes_the_next_run_and_checks_the_version(app, clock, oslo, api):
    client = api(oslo.keys["write"])
    created = client.post(url(oslo), json=MONTHLY).json
    item = url(oslo, f"/{created['id']}")
    weekly = client.patch(item, json={"cadence": "weekly", "weekday": 4, "hour": 16, "version": 1})
    assert weekly.status_code == 200, weekly.json
    assert weekly.json["day_of_month"] is None and weekly.json["period"] == "previous_week"
    assert weekly.json["next_run_at"] == "2026-11-20T15:00:00Z" and weekly.json["version"] == 2  # today, 16:00 in Oslo
    stale = client.patch(item, json={"hour": 7, "version": 1})
    assert stale.status_code == 409 and stale.json["current_version"] == 2
    paused = client.patch(item, json={"active": False}).json
    assert paused["next_run_at"] is None and paused["active"] is False
    clock.set(dt.datetime(2026, 11, 21, 12))
    resumed = client.patch(item, json={"active": True}).json
    assert resumed["next_run_at"] == "2026-11-27T15:00:00Z"  # the next Friday after now
    assert _errors(client.patch(item, json={"recipients": []})) == {"recipients": "Give at least one recipient."}
    # An unchanged start day that is now in the past is not refused; a new one in the past is.
    assert client.patch(item, json={"starts_on": "2026-11-21"}).status_code == 200
    clock.set(dt.datetime(2026, 11, 25, 12))
    assert client.patch(item, json={"starts_on": "2026-11-21", "hour": 17}).status_code == 200
    assert "starts_on" in _errors(client.patch(item, json={"starts_on": "2026-11-22"}))
    assert client.delete(item + "?version=1").status_code == 409
    assert client.delete(item).status_code == 204
    assert client.get(item).status_code == 404
    assert _audit(app, oslo.agency_id) == ["report_schedule.create"] + ["report_schedule.update"] * 5 + [
        "report_schedule.delete"]


def test_changing_the_companys_time_zone_moves_the_next_run(app, clock, oslo, api):
    client = api(oslo.keys["admin"])
    created = client.post(url(oslo), json=MONTHLY).json
    assert client.patch(f"/api/v1/companies/{oslo.company_a.id}", json={"timezone": "America/New_York"}).status_code \
        == 200
    moved = client.get(url(oslo, f"/{created['id']}")).json
    assert moved["next_run_at"] == "2026-12-01T13:00:00Z" and moved["timezone"] == "America/New_York"


def test_idempotency_key_makes_one_schedule(app, clock, oslo, api):
    client = api(oslo.keys["write"])
    key = {"Idempotency-Key": "schedule-" + uuid.uuid4().hex}
    first = client.post(url(oslo), json=MONTHLY, headers=key)
    again = client.post(url(oslo), json=MONTHLY, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json["id"] == first.json["id"]
    assert len(client.get(url(oslo)).json) == 1


def test_who_may_read_and_change_schedules(app, clock, oslo, api, login_as, tenants):
    _, globex = tenants
    created = api(oslo.keys["write"]).post(url(oslo), json=MONTHLY).json
    item = url(oslo, f"/{created['id']}")
    assert api(oslo.keys["read"]).get(item).status_code == 200
    assert api(oslo.keys["read"]).post(url(oslo), json=MONTHLY).status_code == 403
    assert api(oslo.keys["read"]).patch(item, json={"hour": 9}).status_code == 403
    assert api(oslo.keys["metrics:write"]).get(item).status_code == 403
    assert login_as(oslo, "member").patch(item, json={"hour": 9}).status_code == 200
    # Who receives the company's reports is the agency's call: not a client login's, not a company key's.
    viewer, company_key = login_as(oslo, "viewer"), api(oslo.keys["company_a:write"])
    for client in (viewer, company_key):
        assert client.get(url(oslo)).status_code == 403
        assert client.get(item).status_code == 403
        assert client.post(url(oslo), json=MONTHLY).status_code == 403
        assert client.delete(item).status_code == 403
    assert "agency" in viewer.get(item).json["detail"]
    # Another agency, and the sibling company's URL, answer 404.
    assert api(globex.keys["admin"]).get(item).status_code == 404
    sibling = f"/api/v1/companies/{oslo.company_b.id}/report-schedules/{created['id']}"
    assert api(oslo.keys["admin"]).get(sibling).status_code == 404
