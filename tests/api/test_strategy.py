"""The strategy: GET always answers, PUT validates and makes revisions, history reconstructs."""
from sqlalchemy import select


def url(company, suffix=""):
    return f"/api/v1/companies/{company.id}/strategy{suffix}"


def audit_actions(app, agency_id):
    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test reads the audit trail"):
        return [r.action for r in db.session.scalars(
            select(AuditEntry).where(AuditEntry.agency_id == agency_id, AuditEntry.action.like("strategy.%")))]


def add_channels(w, company, *keys):
    for key in keys:
        assert w.post(f"/api/v1/companies/{company.id}/channels",
                      json={"key": key, "platform": "other"}).status_code == 201


FULL = {
    "objective": "Be the bakery people think of first in Uppsala.",
    "business_alignment": "Supports the plan to open two new shops.",
    "audiences": [{"name": "Parents", "description": "Families nearby", "channels": ["fb"]},
                  {"name": "Students", "description": "", "channels": ["fb", "ig"]}],
    "engagement_approach": "Daily photos, answer every question within an hour.",
    "personality": "Warm, a little cheeky.",
    "channel_plan": [{"channel": "fb", "purpose": "Community"}, {"channel": "ig", "purpose": "Showcase"}],
    "launch_plan": {"followers_target": 2000, "target_date": "2024-06-30"},
    "review_cadence": "weekly",
    "status": "active",
}


def test_new_company_has_an_empty_draft(tenant, api):
    r = api(tenant.keys["read"]).get(url(tenant.company_a))
    assert r.status_code == 200, r.json
    assert r.json["revision"] == 0
    assert r.json["status"] == "draft"
    assert r.json["objective"] == ""
    assert r.json["audiences"] == [] and r.json["launch_plan"] == {}
    assert r.headers["ETag"] == '"0"'
    r = api(tenant.keys["read"]).get(url(tenant.company_a, "/revisions/0"))
    assert r.status_code == 200
    assert r.json["revision"] == 0 and r.json["objective"] == ""
    assert api(tenant.keys["read"]).get(url(tenant.company_a, "/revisions")).json == []


def test_put_saves_a_revision_with_changes(tenant, api, app):
    w = api(tenant.keys["write"])
    a = tenant.company_a
    add_channels(w, a, "fb", "ig")
    r = w.put(url(a), json=FULL)
    assert r.status_code == 200, r.json
    assert r.json["revision"] == 1
    assert r.json["updated_by"] == "api-key:write key"
    assert r.json["launch_plan"] == {"followers_target": 2000, "target_date": "2024-06-30"}
    assert r.json["audiences"][1]["channels"] == ["fb", "ig"]
    assert r.headers["ETag"] == '"1"'
    # The same body again changes nothing: no revision, no audit entry.
    r = w.put(url(a), json=FULL)
    assert r.json["revision"] == 1
    # PUT replaces: what is left out goes back to its default.
    r = w.put(url(a), json={**{k: v for k, v in FULL.items() if k != "personality"}, "objective": "Be first."})
    assert r.json["revision"] == 2
    assert r.json["personality"] == ""
    revs = w.get(url(a, "/revisions")).json
    assert [x["revision"] for x in revs] == [2, 1]
    assert sorted(revs[0]["changed_fields"]) == ["objective", "personality"]
    assert revs[0]["changes"]["objective"] == {"old": FULL["objective"], "new": "Be first."}
    assert revs[0]["changes"]["personality"] == {"old": FULL["personality"], "new": ""}
    assert revs[0]["created_by"] == "api-key:write key"
    assert sorted(revs[1]["changed_fields"]) == sorted(FULL)
    assert revs[1]["changes"]["status"] == {"old": "draft", "new": "active"}
    assert audit_actions(app, tenant.agency_id) == ["strategy.update", "strategy.update"]


def test_revisions_reconstruct_every_version(tenant, api):
    w = api(tenant.keys["write"])
    a = tenant.company_a
    add_channels(w, a, "fb", "ig")
    versions = [
        {"objective": "One"},
        {**FULL},
        {**FULL, "audiences": [], "channel_plan": [{"channel": "ig", "purpose": "Only this"}]},
        {**FULL, "status": "archived", "launch_plan": None},
    ]
    for body in versions:
        assert w.put(url(a), json=body).status_code == 200
    current = w.get(url(a)).json
    assert current["revision"] == 4
    for n, body in enumerate(versions, start=1):
        r = w.get(url(a, f"/revisions/{n}"))
        assert r.status_code == 200
        old = r.json
        assert old["revision"] == n
        assert old["objective"] == body.get("objective", "")
        assert old["audiences"] == body.get("audiences", [])
        assert old["channel_plan"] == body.get("channel_plan", [])
        assert old["launch_plan"] == (body.get("launch_plan") or {})
        assert old["status"] == body.get("status", "draft")
    latest = w.get(url(a, "/revisions/4")).json
    assert {k: latest[k] for k in FULL} == {k: current[k] for k in FULL}
    assert w.get(url(a, "/revisions/5")).status_code == 404
    r = w.get(url(a, "/revisions") + "?page_size=2&page=2")
    assert [x["revision"] for x in r.json] == [2, 1]


def test_optimistic_concurrency(tenant, api):
    w = api(tenant.keys["write"])
    a = tenant.company_a
    assert w.put(url(a), json={"objective": "First", "revision": 0}).status_code == 200
    r = w.put(url(a), json={"objective": "Second", "revision": 0})
    assert r.status_code == 409
    assert r.json["current_revision"] == 1
    r = w.put(url(a), json={"objective": "Third"}, headers={"If-Match": '"0"'})
    assert r.status_code == 409
    r = w.put(url(a), json={"objective": "Third"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json["revision"] == 2
    assert w.get(url(a)).json["objective"] == "Third"


def test_bad_input_names_the_field_and_saves_nothing(tenant, api, app):
    w = api(tenant.keys["write"])
    a = tenant.company_a
    add_channels(w, a, "fb")
    add_channels(w, tenant.company_b, "yt")
    cases = [
        ({"audiences": [{"name": "X", "channels": ["yt"]}]}, "audiences.0.channels.0"),
        ({"audiences": [{"name": "", "channels": []}]}, "audiences.0.name"),
        ({"audiences": [{"name": "X", "size": 3}]}, "audiences.0.size"),
        ({"channel_plan": [{"channel": "nope", "purpose": ""}]}, "channel_plan.0.channel"),
        ({"channel_plan": [{"channel": "fb"}, {"channel": "fb"}]}, "channel_plan.1.channel"),
        ({"launch_plan": {"followers_target": 0, "target_date": "2024-06-30"}}, "launch_plan.followers_target"),
        ({"launch_plan": {"followers_target": 100}}, "launch_plan.target_date"),
        ({"launch_plan": {"followers_target": 100, "target_date": "soon"}}, "launch_plan.target_date"),
        ({"review_cadence": "daily"}, "review_cadence"),
        ({"status": "done"}, "status"),
        ({"objective": "x" * 10_001}, "objective"),
        ({"personality": 5}, "personality"),
        ({"revision": "abc"}, "revision"),
        ({"company_id": str(tenant.company_b.id)}, "company_id"),
    ]
    for body, field in cases:
        r = w.put(url(a), json={"objective": "Keep me", **body})
        assert r.status_code == 422, (body, r.json)
        assert field in [e["field"] for e in r.json["errors"]], (body, r.json)
    s = w.get(url(a)).json
    assert s["revision"] == 0 and s["objective"] == ""
    assert audit_actions(app, tenant.agency_id) == []


def test_service_partial_update_keeps_other_fields(tenant, app):
    from backend.services import strategy as svc
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "form")):
        svc.update_strategy(tenant.company_a.id, {"objective": "A", "personality": "B"})
        s = svc.update_strategy(tenant.company_a.id, {"status": "active"}, expected_revision=1)
        assert (s.objective, s.personality, s.status, s.revision) == ("A", "B", "active", 2)
        assert s.updated_by == "form"


def test_rights(tenant, api, login_as):
    a = tenant.company_a
    assert api(tenant.keys["read"]).put(url(a), json={"objective": "x"}).status_code == 403
    assert api(tenant.keys["metrics:write"]).get(url(a)).status_code == 403
    viewer = login_as(tenant, "viewer")
    assert viewer.get(url(a)).status_code == 200
    assert viewer.get(url(a, "/revisions")).status_code == 200
    assert viewer.put(url(a), json={"objective": "x"}).status_code == 403
    assert viewer.get(url(tenant.company_b)).status_code == 404
    member = login_as(tenant, "member")
    assert member.put(url(a), json={"objective": "x"}).status_code == 200
    assert member.get(url(a)).json["updated_by"] == tenant.emails["member"]


def test_other_agency_gets_404(tenants, api):
    acme, globex = tenants
    api(acme.keys["write"]).put(url(acme.company_a), json={"objective": "secret"})
    other = api(globex.keys["admin"])
    assert other.get(url(acme.company_a)).status_code == 404
    assert other.get(url(acme.company_a, "/revisions")).status_code == 404
    assert other.get(url(acme.company_a, "/revisions/1")).status_code == 404
    assert other.put(url(acme.company_a), json={"objective": "x"}).status_code == 404


def test_simultaneous_saves_of_one_revision_keep_the_first(tenant, app):
    """Two saves both based on revision 0: the unique revision number makes the second one stale."""
    from backend.extensions import db
    from backend.models import AuditEntry, Strategy, StrategyRevision
    from backend.services import strategy as svc
    from backend.services.errors import StaleObject
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "first")):
        # The "other" save committed revision 1 between our read and our write.
        db.session.add(StrategyRevision(company_id=tenant.company_a.id, revision=1,
                                        snapshot={**svc.DEFAULTS, "objective": "Theirs"},
                                        changes={"objective": {"old": "", "new": "Theirs"}}))
        db.session.commit()
        try:
            svc.update_strategy(tenant.company_a.id, {"objective": "Ours"}, expected_revision=0)
        except StaleObject:
            pass
        else:
            raise AssertionError("the second save should be refused")
        strategy = db.session.scalars(select(Strategy).where(Strategy.company_id == tenant.company_a.id)).one()
        assert (strategy.revision, strategy.objective) == (0, "")
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "strategy.update")).all() == []
