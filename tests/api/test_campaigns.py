"""Campaigns: CRUD, date and budget rules, channels of the company, rights, audit."""
import pytest
from sqlalchemy import select


def url(company, campaign_id=None):
    base = f"/api/v1/companies/{company.id}/campaigns"
    return f"{base}/{campaign_id}" if campaign_id else base


def audit_actions(app, agency_id):
    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test reads the audit trail"):
        return [r.action for r in db.session.scalars(
            select(AuditEntry).where(AuditEntry.agency_id == agency_id, AuditEntry.action.like("campaign.%"))
            .order_by(AuditEntry.created_at))]


@pytest.fixture
def setup(tenant, api):
    w = api(tenant.keys["write"])
    for key in ("fb", "ig"):
        assert w.post(f"/api/v1/companies/{tenant.company_a.id}/channels",
                      json={"key": key, "platform": "other"}).status_code == 201
    return tenant, w


SPRING = {"name": "Spring sale", "start_date": "2024-03-01", "end_date": "2024-03-14",
          "channels": ["fb", "ig"], "budget": 1500.5, "notes": "Boosted posts"}


def test_crud(setup, app):
    tenant, w = setup
    a = tenant.company_a
    r = w.post(url(a), json=SPRING)
    assert r.status_code == 201, r.json
    c = r.json
    assert {k: c[k] for k in SPRING} == SPRING
    assert c["version"] == 1
    w.post(url(a), json={"name": "Autumn", "start_date": "2024-10-01", "end_date": "2024-10-01"})
    assert [x["name"] for x in w.get(url(a)).json] == ["Autumn", "Spring sale"]
    # Date filters return the campaigns overlapping the period (dashboard annotations).
    assert [x["name"] for x in w.get(url(a) + "?from=2024-03-10&to=2024-04-30").json] == ["Spring sale"]
    assert [x["name"] for x in w.get(url(a) + "?from=2024-03-15").json] == ["Autumn"]
    r = w.patch(url(a, c["id"]), json={"budget": None, "channels": ["ig"], "version": 1})
    assert r.status_code == 200, r.json
    assert r.json["budget"] is None and r.json["channels"] == ["ig"] and r.json["version"] == 2
    assert w.patch(url(a, c["id"]), json={"name": "x", "version": 1}).status_code == 409
    assert w.delete(url(a, c["id"])).status_code == 204
    assert w.get(url(a, c["id"])).status_code == 404
    assert audit_actions(app, tenant.agency_id) == ["campaign.create", "campaign.create", "campaign.update",
                                                    "campaign.delete"]


@pytest.mark.parametrize("change, field", [
    ({"end_date": "2024-02-28"}, "end_date"),
    ({"budget": -1}, "budget"),
    ({"channels": ["tiktok"]}, "channels.0"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"notes": "x" * 10_001}, "notes"),
    ({"start_date": "March"}, "start_date"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_names_the_field_and_writes_nothing(setup, app, change, field):
    tenant, w = setup
    r = w.post(url(tenant.company_a), json={**SPRING, **change})
    assert r.status_code == 422, r.json
    assert field in [e["field"] for e in r.json["errors"]]
    assert w.get(url(tenant.company_a)).json == []
    assert audit_actions(app, tenant.agency_id) == []


def test_non_finite_budget(setup):
    tenant, w = setup
    body = '{"name": "x", "start_date": "2024-01-01", "end_date": "2024-01-02", "budget": NaN}'
    r = w.post(url(tenant.company_a), data=body, content_type="application/json")
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "budget"


def test_patch_checks_the_result_as_a_whole(setup):
    tenant, w = setup
    cid = w.post(url(tenant.company_a), json=SPRING).json["id"]
    r = w.patch(url(tenant.company_a, cid), json={"start_date": "2024-04-01"})
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "end_date"


def test_rights_and_tenancy(setup, api, login_as, app):
    from conftest import build_tenant

    tenant, w = setup
    a = tenant.company_a
    cid = w.post(url(a), json=SPRING).json["id"]
    read = api(tenant.keys["read"])
    assert read.get(url(a, cid)).status_code == 200
    assert read.post(url(a), json=SPRING).status_code == 403
    assert read.delete(url(a, cid)).status_code == 403
    viewer = login_as(tenant, "viewer")
    assert viewer.get(url(a)).status_code == 200
    assert viewer.patch(url(a, cid), json={"name": "x"}).status_code == 403
    assert w.get(url(tenant.company_b, cid)).status_code == 404
    other = build_tenant(app, "Globex Agency")
    assert api(other.keys["admin"]).get(url(a, cid)).status_code == 404
    assert api(other.keys["admin"]).delete(url(a, cid)).status_code == 404
