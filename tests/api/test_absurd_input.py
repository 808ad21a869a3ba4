"""Absurd values a new agency typed, refused with a message on the field and nothing stored
(issue 12, item 6): targets and budgets finite and below 10^12, no negative target for a
built-in count or level, dates 2000-01-01 … 2100-12-31, web addresses only for a channel."""
from __future__ import annotations

import datetime as dt

import pytest
from admin_world import fingerprint

TODAY = dt.date.today()


@pytest.fixture
def company(app, tenant):
    from backend.services.channels import create_channel
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        create_channel(tenant.company_a.id, {"key": "instagram", "platform": "instagram"})
    return tenant


def _goal(**kpi):
    base = {"metric": "followers", "channel": "instagram", "aggregation": "latest", "target": 1000,
            "start_date": TODAY.isoformat(), "deadline": (TODAY + dt.timedelta(days=90)).isoformat()}
    return {"title": "Grow", "kpi": {**base, **kpi}}


CASES = [
    ("goals", _goal(target=1e308), "kpi.target", "less than 1,000,000,000,000"),
    ("goals", _goal(target=-100), "kpi.target", "0 or more"),
    ("goals", _goal(baseline=-5, target=100), "kpi.baseline", "0 or more"),
    ("goals", _goal(deadline="9999-12-31"), "kpi.deadline", "2000-01-01 to 2100-12-31"),
    ("campaigns", {"name": "Forever", "start_date": "2030-01-01", "end_date": "2031-01-01", "budget": 1e300},
     "budget", "less than 1,000,000,000,000"),
    ("campaigns", {"name": "Old", "start_date": "1000-01-01", "end_date": "2031-01-01"}, "start_date",
     "2000-01-01 to 2100-12-31"),
    ("channels", {"key": "blog", "platform": "blog", "url": "javascript:alert(3)"}, "url", "http"),
    ("channels", {"key": "blog", "platform": "blog", "followers_target": 5e12}, "followers_target",
     "less than 1,000,000,000,000"),
]


@pytest.mark.parametrize(("resource", "body", "field", "words"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_absurd_values_are_refused_through_the_api(app, api, company, resource, body, field, words):
    writer = api(company.keys["write"])
    assert writer.get("/api/v1/me").status_code == 200  # the key's last use is recorded before the fingerprint
    before = fingerprint(app)
    resp = writer.post(f"/api/v1/companies/{company.company_a.id}/{resource}", json=body)
    assert resp.status_code == 422, resp.json
    problem = next(e for e in resp.json["errors"] if e["field"] == field)
    assert words in problem["message"], problem
    assert fingerprint(app) == before


def test_signed_metrics_may_aim_below_zero(api, company):
    """Growth, ROI and sentiment can be negative; a goal may start below 0."""
    body = _goal(metric="sentiment_score", aggregation="latest", baseline=-0.4, target=0.2, channel="all")
    resp = api(company.keys["write"]).post(f"/api/v1/companies/{company.company_a.id}/goals", json=body)
    assert resp.status_code == 201, resp.json


def test_the_forms_say_it_next_to_the_field(app, company, login_as):
    owner = login_as(company, "owner")
    cid = company.company_a.id
    before = fingerprint(app)
    resp = owner.post(f"/manage/companies/{cid}/channels",
                      data={"key": "blog", "platform": "blog", "url": "javascript:alert(3)"})
    assert resp.status_code == 422 and 'data-field="url"' in resp.get_data(as_text=True)
    resp = owner.post(f"/manage/companies/{cid}/campaigns",
                      data={"name": "Huge", "start_date": TODAY.isoformat(), "end_date": TODAY.isoformat(),
                            "budget": "1e300"})
    assert resp.status_code == 422 and 'data-field="budget"' in resp.get_data(as_text=True)
    resp = owner.post(f"/manage/companies/{cid}/goals", data={
        "title": "Lose followers", "category": "other", "kpi.metric": "followers", "kpi.channel": "instagram",
        "kpi.aggregation": "latest", "kpi.target": "-100", "kpi.start_date": TODAY.isoformat(),
        "kpi.deadline": (TODAY + dt.timedelta(days=30)).isoformat()})
    assert resp.status_code == 422 and 'data-field="kpi.target"' in resp.get_data(as_text=True)
    assert fingerprint(app) == before
