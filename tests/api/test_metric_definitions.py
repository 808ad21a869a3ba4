"""The metric catalog API: built-ins, custom gauges and flows, clashes, rights."""
import pytest
from sqlalchemy import select

URL = "/api/v1/metric-definitions"


def test_lists_builtins_for_every_key(tenant, api):
    for scope in ("metrics:write", "read", "write", "admin"):
        r = api(tenant.keys[scope]).get(URL)
        assert r.status_code == 200, (scope, r.json)
    by_key = {m["key"]: m for m in r.json}
    assert by_key["followers"]["kind"] == "gauge"
    assert by_key["response_time_minutes"]["better"] == "lower"
    assert by_key["reach"]["kind"] == "flow" and by_key["reach"]["aggregations"] == ["total"]
    assert by_key["engagement_rate"]["kind"] == "derived"
    assert by_key["engagement_rate"]["aggregations"] == ["latest"]
    assert by_key["follower_growth"]["aggregations"] == ["total"]
    assert {"roi", "sentiment_score", "cost_per_1k_reach", "mentions_negative", "revenue"} <= set(by_key)
    for m in r.json:
        assert set(m) >= {"key", "label", "unit", "kind", "better"}


def test_custom_metric(tenants, api, app):
    acme, globex = tenants
    w = api(acme.keys["write"])
    r = w.post(URL, json={"key": "newsletter_signups", "label": "Newsletter sign-ups", "unit": "people",
                          "kind": "flow"})
    assert r.status_code == 201, r.json
    assert r.json["builtin"] is False and r.json["better"] == "higher"
    keys = [m["key"] for m in w.get(URL).json]
    assert "newsletter_signups" in keys
    # Another agency does not see it, and may use the same key.
    assert "newsletter_signups" not in [m["key"] for m in api(globex.keys["read"]).get(URL).json]
    assert api(globex.keys["write"]).post(URL, json={"key": "newsletter_signups", "kind": "gauge"}).status_code == 201
    r = w.post(URL, json={"key": "newsletter_signups", "kind": "gauge"})
    assert r.status_code == 409
    assert r.json["errors"][0]["field"] == "key"
    # A goal can use it.
    a = acme.company_a
    r = w.post(f"/api/v1/companies/{a.id}/goals", json={"title": "Sign-ups", "kpi": {
        "metric": "newsletter_signups", "target": 500, "start_date": "2024-01-01", "deadline": "2024-12-31"}})
    assert r.status_code == 201, r.json
    assert r.json["kpi"]["aggregation"] == "total"

    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test reads the audit trail"):
        actions = [e.action for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.agency_id == acme.agency_id,
                                     AuditEntry.action.like("metric_definition.%")))]
    assert actions == ["metric_definition.create"]


@pytest.mark.parametrize("body, field, status", [
    ({"key": "followers", "kind": "gauge"}, "key", 422),
    ({"key": "engagement_rate", "kind": "flow"}, "key", 422),
    ({"key": "Bad Key", "kind": "flow"}, "key", 422),
    ({"key": "ok", "kind": "derived"}, "kind", 422),
    ({"key": "ok", "kind": "flow", "better": "more"}, "better", 422),
    ({"key": "ok", "kind": "flow", "label": "x" * 201}, "label", 422),
    ({"key": "ok", "kind": "flow", "agency_id": "x"}, "agency_id", 422),
])
def test_bad_input(tenant, api, body, field, status):
    r = api(tenant.keys["write"]).post(URL, json=body)
    assert r.status_code == status, r.json
    assert field in [e["field"] for e in r.json["errors"]]
    assert "ok" not in [m["key"] for m in api(tenant.keys["read"]).get(URL).json]


def test_rights(tenant, api, login_as):
    body = {"key": "custom", "kind": "flow"}
    assert api(tenant.keys["read"]).post(URL, json=body).status_code == 403
    assert api(tenant.keys["metrics:write"]).post(URL, json=body).status_code == 403
    viewer = login_as(tenant, "viewer")  # company-restricted: agency-level data is out of bounds
    assert viewer.get(URL).status_code == 403
    assert viewer.post(URL, json=body).status_code == 403
    assert api(tenant.keys["company_a:write"]).get(URL).status_code == 403
    assert api(tenant.keys["company_a:write"]).post(URL, json=body).status_code == 403
    assert api(tenant.keys["admin"]).post(URL, json=body).status_code == 201


def test_the_catalog_is_remembered_per_request_and_forgotten_on_a_new_metric(app, tenants, statements):
    from backend.services import catalog
    from backend.tenancy import Principal, acting_as

    mine, other = tenants
    with statements("FROM metric_definition") as queries, app.test_request_context():
        with acting_as(Principal.system(mine.agency_id, "test")):
            first = catalog.definitions()
            assert catalog.definitions() == first and len(queries) == 1
            catalog.create_definition({"key": "podcast_plays", "kind": "flow", "label": "Podcast plays"})
            assert "podcast_plays" in catalog.definitions()
        with acting_as(Principal.system(other.agency_id, "test")):
            assert "podcast_plays" not in catalog.definitions()  # never another principal's answer
