"""The alert-rules API (backend/api/alert_rules/, backend/services/alert_rules.py): the defaults of a
new company, each kind's params and their 422s naming the field, another company's or agency's
goal, versions, pausing, deleting, who may."""
from __future__ import annotations

import uuid

from sqlalchemy import select


def url(tenant, suffix="", company=None):
    return f"/api/v1/companies/{(company or tenant.company_a).id}/alert-rules{suffix}"


def _errors(resp):
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    return {e["field"]: e["message"] for e in resp.json["errors"]}


def _system(tenant):
    from backend.tenancy import Principal, acting_as

    return acting_as(Principal.system(tenant.agency_id, "test"))


def _goal(app, tenant, company):
    from backend.services.goals import create_goal

    with app.app_context(), _system(tenant):
        return str(create_goal(company.id, {"title": "Reach", "kpi": {
            "metric": "reach", "target": 1000, "start_date": "2026-01-01", "deadline": "2026-12-31"}}).id)


def test_a_new_company_has_the_default_rules_and_the_stale_days_agree_with_the_portfolio(app, tenant, api):
    from backend.read_models.portfolio import STALE_AFTER_DAYS

    rules = api(tenant.keys["read"]).get(url(tenant)).json
    assert [(r["kind"], r["params"], r["active"], r["severity"]) for r in rules] == [
        ("goal_status", {"statuses": ["achieved", "missed", "at_risk", "off_track"], "goal_id": None}, True,
         "warning"),
        ("stale_data", {"days": STALE_AFTER_DAYS}, True, "warning")]
    made = api(tenant.keys["admin"]).post("/api/v1/companies", json={"name": "Brand new"}).json
    assert {r["kind"] for r in api(tenant.keys["read"]).get(f"/api/v1/companies/{made['id']}/alert-rules").json} == {
        "goal_status", "stale_data"}


def test_each_kind_is_added_read_changed_paused_and_deleted(app, tenant, api):
    from backend.services.channels import create_channel

    with app.app_context(), _system(tenant):
        create_channel(tenant.company_a.id, {"key": "fb", "platform": "facebook"})
    client = api(tenant.keys["write"])
    crisis = client.post(url(tenant), json={"kind": "spike", "name": "Crisis watch", "severity": "critical",
                                            "params": {"metric": "mentions_negative", "factor": 3, "minimum": 20}},
                         headers={"Idempotency-Key": "crisis-1"})
    assert crisis.status_code == 201, crisis.json
    body = crisis.json
    assert body["params"] == {"metric": "mentions_negative", "channel": "all", "factor": 3.0, "minimum": 20.0}
    assert body["description"] == "When mentions_negative on all channels is ≥ 3× its 28-day median and ≥ 20"
    again = client.post(url(tenant), json={"kind": "spike", "name": "Crisis watch", "severity": "critical",
                                           "params": {"metric": "mentions_negative", "factor": 3, "minimum": 20}},
                        headers={"Idempotency-Key": "crisis-1"})
    assert again.json["id"] == body["id"]
    threshold = client.post(url(tenant), json={"kind": "threshold", "params": {
        "metric": "engagement_rate", "channel": "fb", "direction": "below", "value": 0.5, "period": "week"}}).json
    assert threshold["name"] == "Threshold" and threshold["params"]["period"] == "week"
    rid = body["id"]
    assert client.get(url(tenant, f"/{rid}")).json["name"] == "Crisis watch"
    paused = client.patch(url(tenant, f"/{rid}"), json={"active": False, "params": {"factor": 4}, "version": 1})
    assert paused.status_code == 200, paused.json
    assert paused.json["active"] is False and paused.json["params"]["factor"] == 4.0
    assert paused.json["params"]["metric"] == "mentions_negative" and paused.json["version"] == 2
    stale = client.patch(url(tenant, f"/{rid}"), json={"active": True, "version": 1})
    assert stale.status_code == 409 and stale.mimetype == "application/problem+json"
    assert client.delete(url(tenant, f"/{rid}"), query_string={"version": 1}).status_code == 409
    assert client.delete(url(tenant, f"/{rid}")).status_code == 204
    assert client.get(url(tenant, f"/{rid}")).status_code == 404


def test_bad_params_are_422_naming_the_field(app, tenant, api):
    client = api(tenant.keys["write"])
    cases = [
        ({"kind": "stale_data", "params": {"days": 0}}, "params.days"),
        ({"kind": "stale_data", "params": {"days": 91}}, "params.days"),
        ({"kind": "goal_status", "params": {"statuses": ["late"]}}, "params.statuses.0"),
        ({"kind": "goal_status", "params": {"statuses": []}}, "params.statuses"),
        ({"kind": "threshold", "params": {"metric": "nope", "direction": "above", "value": 1}}, "params.metric"),
        ({"kind": "threshold", "params": {"metric": "reach", "channel": "tiktok", "direction": "above", "value": 1}},
         "params.channel"),
        ({"kind": "threshold", "params": {"metric": "reach", "direction": "sideways", "value": 1}},
         "params.direction"),
        ({"kind": "threshold", "params": {"metric": "reach", "direction": "above"}}, "params.value"),
        ({"kind": "spike", "params": {"metric": "followers", "factor": 3}}, "params.metric"),  # a gauge
        ({"kind": "spike", "params": {"metric": "mentions_negative", "factor": 1}}, "params.factor"),
        ({"kind": "spike", "params": {"metric": "mentions_negative", "factor": 2, "minimum": 0}}, "params.minimum"),
        ({"kind": "spike", "params": {"metric": "mentions_negative", "factor": 2, "days": 3}}, "params.days"),
        ({"kind": "weather", "params": {}}, "kind"),
    ]
    for body, field in cases:
        assert field in _errors(client.post(url(tenant), json=body)), (body, field)
    # Not finite: refused before the service (the JSON itself has no NaN).
    resp = client.post(url(tenant), data='{"kind": "threshold", "params": {"metric": "reach", "direction": '
                                         '"above", "value": NaN}}', headers={"Content-Type": "application/json"})
    assert resp.status_code in (400, 422) and resp.mimetype == "application/problem+json"
    rid = client.get(url(tenant)).json[0]["id"]
    assert "params.days" in _errors(client.patch(url(tenant, f"/{rid}"), json={"kind": "stale_data",
                                                                              "params": {"days": "many"}}))


def test_a_goal_of_another_company_is_422_and_of_another_agency_404(app, tenants, api):
    acme, globex = tenants
    own = _goal(app, acme, acme.company_a)
    sibling = _goal(app, acme, acme.company_b)
    foreign = _goal(app, globex, globex.company_a)
    client = api(acme.keys["write"])
    made = client.post(url(acme), json={"kind": "goal_status", "params": {"goal_id": own, "statuses": ["missed"]}})
    assert made.status_code == 201 and made.json["params"] == {"statuses": ["missed"], "goal_id": own}
    assert _errors(client.post(url(acme), json={"kind": "goal_status", "params": {"goal_id": sibling}})) == {
        "params.goal_id": "This goal belongs to another company."}
    resp = client.post(url(acme), json={"kind": "goal_status", "params": {"goal_id": foreign}})
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert client.get(url(acme, f"/{uuid.uuid4()}")).status_code == 404
    # Another agency's rule, through its own company or ours: 404.
    theirs = api(globex.keys["read"]).get(url(globex)).json[0]["id"]
    assert client.get(url(acme, f"/{theirs}")).status_code == 404
    assert client.get(url(globex, f"/{theirs}")).status_code == 404


def test_who_may_read_and_change_rules(app, tenant, api, login_as):
    rid = api(tenant.keys["read"]).get(url(tenant)).json[0]["id"]
    assert api(tenant.keys["read"]).patch(url(tenant, f"/{rid}"), json={"active": False}).status_code == 403
    assert api(tenant.keys["company_a:write"]).get(url(tenant)).status_code == 403
    viewer = login_as(tenant, "viewer")
    assert viewer.get(url(tenant)).status_code == 403
    member = login_as(tenant, "member")
    assert member.patch(url(tenant, f"/{rid}"), json={"active": False}).status_code == 200


def test_changes_are_audited(app, tenant, api):
    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    client = api(tenant.keys["write"])
    rid = client.post(url(tenant), json={"kind": "stale_data", "params": {"days": 7}}).json["id"]
    client.patch(url(tenant, f"/{rid}"), json={"params": {"days": 8}})
    client.delete(url(tenant, f"/{rid}"))
    with app.app_context(), cross_tenant("test reads the audit trail"):
        actions = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.agency_id == tenant.agency_id, AuditEntry.action.like("alert_rule.%"))
            .order_by(AuditEntry.created_at)))
    assert actions == ["alert_rule.create", "alert_rule.update", "alert_rule.delete"]


def test_a_rule_whose_goal_was_deleted_asks_for_another_goal(app, tenant, api):
    gid = _goal(app, tenant, tenant.company_a)
    client = api(tenant.keys["write"])
    rid = client.post(url(tenant), json={"kind": "goal_status", "params": {"goal_id": gid}}).json["id"]
    assert client.delete(f"/api/v1/companies/{tenant.company_a.id}/goals/{gid}").status_code == 204
    assert _errors(client.patch(url(tenant, f"/{rid}"), json={"name": "Renamed"})) == {
        "params.goal_id": "This goal was deleted; choose another goal, or every goal."}
    fixed = client.patch(url(tenant, f"/{rid}"), json={"name": "Renamed", "params": {"goal_id": None}})
    assert fixed.status_code == 200 and fixed.json["params"]["goal_id"] is None
