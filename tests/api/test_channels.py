"""Channels: CRUD, field rules, duplicate keys, deleting with data, rights, audit."""
import datetime as dt

import pytest
from sqlalchemy import func, select


def url(company, key=None):
    base = f"/api/v1/companies/{company.id}/channels"
    return f"{base}/{key}" if key else base


def audit_actions(app, agency_id):
    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test reads the audit trail"):
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.agency_id == agency_id)
                                  .order_by(AuditEntry.created_at)).all()
        return [r.action for r in rows if not r.action.startswith(("agency.", "user.", "company.", "api_key."))]


def metric_point_count(app, company_id):
    from backend.extensions import db
    from backend.models import MetricPoint
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test counts points"):
        return db.session.scalar(select(func.count()).select_from(MetricPoint)
                                 .where(MetricPoint.company_id == company_id))


def add_points(app, tenant, company_id, channel_key, metric, values, start=dt.date(2024, 1, 1)):
    """Insert MetricPoint rows directly (no metrics service)."""
    from backend.extensions import db
    from backend.models import Channel, MetricPoint
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        channel = db.session.scalars(select(Channel).where(Channel.company_id == company_id,
                                                           Channel.key == channel_key)).one()
        for i, v in enumerate(values):
            db.session.add(MetricPoint(company_id=company_id, channel_id=channel.id, metric=metric,
                                       date=start + dt.timedelta(days=i), value=v))
        db.session.commit()


def test_create_list_read_update(tenant, api):
    w = api(tenant.keys["write"])
    a = tenant.company_a
    r = w.post(url(a), json={"key": "x-support", "platform": "x", "handle": "@acme_help",
                             "url": "https://x.com/acme_help", "purpose": "Answer customers fast",
                             "followers_target": 5000})
    assert r.status_code == 201, r.json
    assert r.json["key"] == "x-support"
    assert r.json["name"] == "x-support"  # defaults to the key
    assert r.json["active"] is True
    assert r.json["version"] == 1
    assert w.post(url(a), json={"key": "facebook", "platform": "facebook"}).status_code == 201
    r = w.get(url(a))
    assert [c["key"] for c in r.json] == ["facebook", "x-support"]
    assert "X-Pagination" in r.headers
    r = w.patch(url(a, "facebook"), json={"name": "Facebook page", "active": False, "followers_target": None})
    assert r.status_code == 200, r.json
    assert r.json["name"] == "Facebook page"
    assert r.json["version"] == 2
    assert [c["key"] for c in w.get(url(a) + "?active=true").json] == ["x-support"]
    r = w.get(url(a, "facebook"))
    assert r.json["active"] is False
    # The same key in another company is fine.
    assert w.post(url(tenant.company_b), json={"key": "facebook", "platform": "facebook"}).status_code == 201


@pytest.mark.parametrize("body, field", [
    ({"key": "Face Book", "platform": "facebook"}, "key"),
    ({"key": "all", "platform": "facebook"}, "key"),
    ({"key": "-x", "platform": "x"}, "key"),
    ({"key": "x" * 65, "platform": "x"}, "key"),
    ({"key": "myspace", "platform": "myspace"}, "platform"),
    ({"key": "fb"}, "platform"),
    ({"platform": "facebook"}, "key"),
    ({"key": "fb", "platform": "facebook", "followers_target": -1}, "followers_target"),
    ({"key": "fb", "platform": "facebook", "purpose": "x" * 10_001}, "purpose"),
    ({"key": "fb", "platform": "facebook", "agency_id": "x"}, "agency_id"),
])
def test_bad_input_names_the_field_and_writes_nothing(tenant, api, app, body, field):
    w = api(tenant.keys["write"])
    r = w.post(url(tenant.company_a), json=body)
    assert r.status_code == 422, r.json
    assert field in [e["field"] for e in r.json["errors"]]
    assert w.get(url(tenant.company_a)).json == []
    assert audit_actions(app, tenant.agency_id) == []


def test_non_finite_followers_target(tenant, api):
    w = api(tenant.keys["write"])
    r = w.post(url(tenant.company_a), data='{"key": "fb", "platform": "facebook", "followers_target": NaN}',
               content_type="application/json")
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "followers_target"


def test_duplicate_key_is_409(tenant, api):
    w = api(tenant.keys["write"])
    assert w.post(url(tenant.company_a), json={"key": "fb", "platform": "facebook"}).status_code == 201
    r = w.post(url(tenant.company_a), json={"key": "fb", "platform": "instagram"})
    assert r.status_code == 409
    assert r.json["errors"][0]["field"] == "key"
    assert w.get(url(tenant.company_a, "fb")).json["platform"] == "facebook"


def test_key_cannot_be_renamed_and_stale_version(tenant, api):
    w = api(tenant.keys["write"])
    w.post(url(tenant.company_a), json={"key": "fb", "platform": "facebook"})
    r = w.patch(url(tenant.company_a, "fb"), json={"key": "facebook"})
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "key"
    assert w.patch(url(tenant.company_a, "fb"), json={"name": "A", "version": 1}).status_code == 200
    r = w.patch(url(tenant.company_a, "fb"), json={"name": "B", "version": 1})
    assert r.status_code == 409
    assert w.get(url(tenant.company_a, "fb")).json["name"] == "A"


def test_delete_with_metrics_needs_force(tenant, api, app):
    w = api(tenant.keys["write"])
    a = tenant.company_a
    w.post(url(a), json={"key": "fb", "platform": "facebook"})
    w.post(url(a), json={"key": "li", "platform": "linkedin"})
    add_points(app, tenant, a.id, "fb", "followers", [100, 110, 120])
    add_points(app, tenant, a.id, "li", "followers", [10, 11])
    r = w.delete(url(a, "fb"))
    assert r.status_code == 409
    assert "force" in r.json["detail"]
    assert metric_point_count(app, a.id) == 5
    assert w.get(url(a, "fb")).status_code == 200
    r = w.delete(url(a, "fb") + "?force=true")
    assert r.status_code == 204
    assert w.get(url(a, "fb")).status_code == 404
    assert metric_point_count(app, a.id) == 2  # only the other channel's data is left
    # Without data, no force is needed.
    w.post(url(a), json={"key": "blog", "platform": "blog"})
    assert w.delete(url(a, "blog")).status_code == 204
    assert audit_actions(app, tenant.agency_id).count("channel.delete") == 2


def test_delete_refused_while_goals_or_strategy_use_it(tenant, api):
    w = api(tenant.keys["write"])
    a = tenant.company_a
    w.post(url(a), json={"key": "fb", "platform": "facebook"})
    r = w.post(f"/api/v1/companies/{a.id}/goals", json={
        "title": "Grow", "category": "position_in_field",
        "kpi": {"metric": "followers", "channel": "fb", "target": 1000,
                "start_date": "2024-01-01", "deadline": "2024-06-30"}})
    assert r.status_code == 201, r.json
    r = w.delete(url(a, "fb") + "?force=true")
    assert r.status_code == 409
    assert [e["field"] for e in r.json["errors"]] == ["goals"]
    assert w.get(url(a, "fb")).status_code == 200


def test_rights(tenant, api, login_as):
    a = tenant.company_a
    api(tenant.keys["write"]).post(url(a), json={"key": "fb", "platform": "facebook"})
    push = api(tenant.keys["metrics:write"])
    assert [c["key"] for c in push.get(url(a)).json] == ["fb"]  # pushers may list channels
    assert push.get(url(a, "fb")).status_code == 403
    assert push.post(url(a), json={"key": "x", "platform": "x"}).status_code == 403
    read = api(tenant.keys["read"])
    assert read.get(url(a, "fb")).status_code == 200
    # 403 before the body is even looked at
    assert read.post(url(a), json={"nonsense": True}).status_code == 403
    assert read.patch(url(a, "fb"), json={"name": "x"}).status_code == 403
    assert read.delete(url(a, "fb")).status_code == 403
    viewer = login_as(tenant, "viewer")
    assert viewer.get(url(a)).status_code == 200
    assert viewer.post(url(a), json={"key": "x", "platform": "x"}).status_code == 403
    assert viewer.get(url(tenant.company_b)).status_code == 404
    # A key for company A cannot reach company B.
    assert api(tenant.keys["company_a:write"]).get(url(tenant.company_b)).status_code == 404
    member = login_as(tenant, "member")
    assert member.post(url(a), json={"key": "x", "platform": "x"}).status_code == 201


def test_other_agency_gets_404(tenants, api):
    acme, globex = tenants
    api(acme.keys["write"]).post(url(acme.company_a), json={"key": "fb", "platform": "facebook"})
    other = api(globex.keys["admin"])
    assert other.get(url(acme.company_a)).status_code == 404
    assert other.get(url(acme.company_a, "fb")).status_code == 404
    assert other.delete(url(acme.company_a, "fb") + "?force=true").status_code == 404


def test_one_audit_entry_per_action(tenant, api, app):
    w = api(tenant.keys["write"])
    a = tenant.company_a
    w.post(url(a), json={"key": "fb", "platform": "facebook"})
    w.patch(url(a, "fb"), json={"name": "Facebook"})
    w.patch(url(a, "fb"), json={"name": "Facebook"})  # no change, no entry
    w.delete(url(a, "fb"))
    assert audit_actions(app, tenant.agency_id) == ["channel.create", "channel.update", "channel.delete"]
