"""Sub-goals: CRUD with the nested kpi, the Bad-input list, rights, audit, progress via the API."""
import datetime as dt

import pytest
from sqlalchemy import select

D = dt.date


def url(company, goal_id=None):
    base = f"/api/v1/companies/{company.id}/goals"
    return f"{base}/{goal_id}" if goal_id else base


def audit_actions(app, agency_id):
    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test reads the audit trail"):
        return [r.action for r in db.session.scalars(
            select(AuditEntry).where(AuditEntry.agency_id == agency_id, AuditEntry.action.like("goal.%"))
            .order_by(AuditEntry.created_at))]


def add_points(app, tenant, company_id, channel_key, metric, values, start):
    """Insert MetricPoint rows directly; None leaves a gap."""
    from backend.extensions import db
    from backend.models import Channel, MetricPoint
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        channel = db.session.scalars(select(Channel).where(Channel.company_id == company_id,
                                                           Channel.key == channel_key)).one()
        for i, v in enumerate(values):
            if v is not None:
                db.session.add(MetricPoint(company_id=company_id, channel_id=channel.id, metric=metric,
                                           date=start + dt.timedelta(days=i), value=v))
        db.session.commit()


@pytest.fixture
def setup(tenant, api):
    w = api(tenant.keys["write"])
    for key, platform in (("fb", "facebook"), ("ig", "instagram")):
        assert w.post(f"/api/v1/companies/{tenant.company_a.id}/channels",
                      json={"key": key, "platform": platform}).status_code == 201
    return tenant, w


def goal_body(**kpi):
    return {"title": "Reach critical mass on Facebook", "description": "2,000 followers by summer",
            "category": "position_in_field", "owner": "Anna",
            "kpi": {"metric": "followers", "channel": "fb", "target": 2000,
                    "start_date": "2024-01-01", "deadline": "2024-06-30", **kpi}}


def test_crud(setup, app):
    tenant, w = setup
    a = tenant.company_a
    r = w.post(url(a), json=goal_body(baseline=500))
    assert r.status_code == 201, r.json
    goal = r.json
    assert goal["kpi"] == {"metric": "followers", "channel": "fb", "aggregation": "latest", "baseline": 500.0,
                           "target": 2000.0, "start_date": "2024-01-01", "deadline": "2024-06-30"}
    assert goal["progress"]["status"] == "missed"  # today is after the deadline and no data
    assert set(goal["progress"]) == {"current", "baseline", "target", "direction", "percent", "status", "forecast_date",
                                    "as_of"}
    r = w.post(url(a), json={"title": "Posts", "kpi": {"metric": "posts", "target": 100,
                                                       "start_date": "2024-01-01", "deadline": "2024-03-31"}})
    assert r.status_code == 201, r.json
    assert r.json["kpi"]["aggregation"] == "total"  # what fits a flow
    assert r.json["kpi"]["channel"] == "all"
    assert r.json["category"] == "other"
    r = w.get(url(a))
    assert [g["title"] for g in r.json] == ["Posts", "Reach critical mass on Facebook"]  # soonest deadline first
    assert [g["title"] for g in w.get(url(a) + "?category=position_in_field").json] == [goal["title"]]
    # PATCH merges kpi fields one by one.
    r = w.patch(url(a, goal["id"]), json={"kpi": {"target": 3000}, "owner": "Bo", "version": 1})
    assert r.status_code == 200, r.json
    assert r.json["kpi"]["target"] == 3000 and r.json["kpi"]["baseline"] == 500
    assert r.json["owner"] == "Bo" and r.json["version"] == 2
    r = w.patch(url(a, goal["id"]), json={"title": "Stale", "version": 1})
    assert r.status_code == 409
    assert w.get(url(a, goal["id"])).json["title"] == goal["title"]
    assert w.delete(url(a, goal["id"])).status_code == 204
    assert w.get(url(a, goal["id"])).status_code == 404
    assert audit_actions(app, tenant.agency_id) == ["goal.create", "goal.create", "goal.update", "goal.delete"]


BAD = [
    ({"metric": "followerz"}, "kpi.metric"),
    ({"channel": "tiktok"}, "kpi.channel"),
    ({"deadline": "2023-12-31"}, "kpi.deadline"),
    ({"baseline": 2000}, "kpi.target"),
    ({"aggregation": "total"}, "kpi.aggregation"),  # total on a gauge
    ({"metric": "engagement_rate", "aggregation": "total", "target": 0.05}, "kpi.aggregation"),  # on a ratio
    ({"metric": "reach", "aggregation": "latest"}, "kpi.aggregation"),
    ({"aggregation": "sum"}, "kpi.aggregation"),
    ({"target": None}, "kpi.target"),
    ({"start_date": "yesterday"}, "kpi.start_date"),
    ({"colour": "red"}, "kpi.colour"),
]


@pytest.mark.parametrize("kpi, field", BAD)
def test_bad_kpi_names_the_field_and_writes_nothing(setup, app, kpi, field):
    tenant, w = setup
    r = w.post(url(tenant.company_a), json=goal_body(**kpi))
    assert r.status_code == 422, r.json
    assert field in [e["field"] for e in r.json["errors"]], r.json
    assert w.get(url(tenant.company_a)).json == []
    assert audit_actions(app, tenant.agency_id) == []


@pytest.mark.parametrize("body, field", [
    ({"category": "fame"}, "category"),
    ({"title": ""}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"description": "x" * 10_001}, "description"),
    ({"company_id": "x"}, "company_id"),
])
def test_bad_goal_fields(setup, body, field):
    tenant, w = setup
    r = w.post(url(tenant.company_a), json={**goal_body(), **body})
    assert r.status_code == 422, r.json
    assert field in [e["field"] for e in r.json["errors"]]


def test_non_finite_target(setup):
    tenant, w = setup
    body = '{"title": "x", "kpi": {"metric": "followers", "target": Infinity, ' \
           '"start_date": "2024-01-01", "deadline": "2024-02-01"}}'
    r = w.post(url(tenant.company_a), data=body, content_type="application/json")
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "kpi.target"


def test_total_allowed_on_follower_growth_and_latest_on_ratios(setup):
    tenant, w = setup
    r = w.post(url(tenant.company_a), json=goal_body(metric="follower_growth", aggregation="total", target=500))
    assert r.status_code == 201, r.json
    r = w.post(url(tenant.company_a), json=goal_body(metric="engagement_rate", target=0.05))
    assert r.status_code == 201, r.json
    assert r.json["kpi"]["aggregation"] == "latest"


def test_patch_revalidates_the_whole_goal(setup):
    tenant, w = setup
    gid = w.post(url(tenant.company_a), json=goal_body()).json["id"]
    r = w.patch(url(tenant.company_a, gid), json={"kpi": {"deadline": "2023-06-30"}})
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "kpi.deadline"
    assert w.get(url(tenant.company_a, gid)).json["kpi"]["deadline"] == "2024-06-30"


def test_goal_of_another_company_is_404(setup, api):
    tenant, w = setup
    gid = w.post(url(tenant.company_a), json=goal_body()).json["id"]
    assert w.get(url(tenant.company_b, gid)).status_code == 404
    assert w.patch(url(tenant.company_b, gid), json={"title": "x"}).status_code == 404
    assert w.delete(url(tenant.company_b, gid)).status_code == 404


def test_rights(setup, api, login_as):
    tenant, w = setup
    a = tenant.company_a
    gid = w.post(url(a), json=goal_body()).json["id"]
    read = api(tenant.keys["read"])
    assert read.get(url(a, gid)).status_code == 200
    assert read.post(url(a), json=goal_body()).status_code == 403
    assert read.patch(url(a, gid), json={"title": "x"}).status_code == 403
    assert read.delete(url(a, gid)).status_code == 403
    assert api(tenant.keys["metrics:write"]).get(url(a)).status_code == 403
    viewer = login_as(tenant, "viewer")
    assert viewer.get(url(a)).status_code == 200
    assert viewer.patch(url(a, gid), json={"title": "x"}).status_code == 403


def test_other_agency_gets_404(tenants, api):
    acme, globex = tenants
    w = api(acme.keys["write"])
    gid = w.post(url(acme.company_a), json={"title": "x", "kpi": {
        "metric": "posts", "target": 10, "start_date": "2024-01-01", "deadline": "2024-02-01"}}).json["id"]
    other = api(globex.keys["admin"])
    assert other.get(url(acme.company_a, gid)).status_code == 404
    assert other.patch(url(acme.company_a, gid), json={"title": "y"}).status_code == 404
    assert other.get(url(globex.company_a, gid)).status_code == 404


# --- progress through the API, from points in the database -------------------------------------

def test_progress_latest_on_one_channel(setup, app):
    tenant, w = setup
    a = tenant.company_a
    add_points(app, tenant, a.id, "fb", "followers", [1000 + 10 * i for i in range(60)], D(2023, 12, 2))
    gid = w.post(url(a), json=goal_body()).json["id"]  # start Jan 1 (value 1300), target 2000, deadline Jun 30
    r = w.get(url(a, gid) + "?as_of=2024-01-30")  # value 1590
    assert r.status_code == 200, r.json
    p = r.json["progress"]
    assert p["as_of"] == "2024-01-30"
    assert (p["current"], p["baseline"], p["target"]) == (1590, 1300, 2000)
    assert p["percent"] == pytest.approx(41.4)
    assert p["forecast_date"] == "2024-03-11"  # 410 more at 10 a day = 41 days
    assert p["status"] == "on_track"
    listed = w.get(url(a) + "?as_of=2024-01-30").json
    assert listed[0]["progress"] == p


def test_progress_all_channels_with_one_missing_recent_days(setup, app):
    tenant, w = setup
    a = tenant.company_a
    start = D(2024, 1, 1)
    add_points(app, tenant, a.id, "fb", "followers", [1000 + 10 * i for i in range(31)], start)  # Jan 31: 1300
    add_points(app, tenant, a.id, "ig", "followers", [500 + 5 * i for i in range(21)], start)  # stops Jan 21: 600
    r = w.post(url(a), json=goal_body(channel="all", target=3000))
    p = w.get(url(a, r.json["id"]) + "?as_of=2024-01-31").json["progress"]
    # Instagram's last value (600) is carried forward, not dropped: 1300 + 600.
    assert p["current"] == 1900
    assert p["baseline"] == 1500
    # The whole carried-forward series feeds the forecast, the same as computed by hand:
    from backend.services.progress import compute_progress

    combined = [(start + dt.timedelta(days=i), 1000 + 10 * i + (500 + 5 * min(i, 20))) for i in range(31)]
    kpi = {"aggregation": "latest", "target": 3000, "baseline": None, "start_date": start,
           "deadline": D(2024, 6, 30)}
    expected = compute_progress(kpi, combined, D(2024, 1, 31))
    assert expected["forecast_date"] is not None
    assert p["forecast_date"] == expected["forecast_date"].isoformat()
    assert p["status"] == expected["status"]
    # Dropping Instagram's silent days instead would have said 1300 and a different trend.


def test_progress_total_over_a_flow_with_gaps(setup, app):
    tenant, w = setup
    a = tenant.company_a
    add_points(app, tenant, a.id, "fb", "posts", [2 if i % 2 == 0 else None for i in range(28)], D(2024, 1, 1))
    add_points(app, tenant, a.id, "ig", "posts", [1] * 28, D(2024, 1, 1))
    r = w.post(url(a), json={"title": "Publish", "category": "knowledge_base", "kpi": {
        "metric": "posts", "target": 100, "start_date": "2024-01-01", "deadline": "2024-03-31"}})
    p = w.get(url(a, r.json["id"]) + "?as_of=2024-01-28").json["progress"]
    assert p["current"] == 56  # 28 from Facebook, 28 from Instagram
    assert p["baseline"] == 0
    assert p["forecast_date"] == "2024-02-19"  # 44 left at 2 a day = 22 days
    assert p["status"] == "on_track"


def test_progress_statuses(setup, app):
    tenant, w = setup
    a = tenant.company_a
    add_points(app, tenant, a.id, "fb", "followers", [1000 + 10 * i for i in range(31)], D(2024, 1, 1))
    gid = w.post(url(a), json=goal_body(target=1200)).json["id"]
    assert w.get(url(a, gid) + "?as_of=2024-01-31").json["progress"]["status"] == "achieved"
    assert w.get(url(a, gid) + "?as_of=2023-12-01").json["progress"]["status"] == "not_started"
    gid = w.post(url(a), json=goal_body(target=5000, deadline="2024-01-31")).json["id"]
    assert w.get(url(a, gid) + "?as_of=2024-02-10").json["progress"]["status"] == "missed"
    assert w.get(url(a) + "?as_of=not-a-date").status_code == 422


def test_company_goals_progress_service(setup, app):
    from backend.services.progress import company_goals_progress
    from backend.tenancy import Principal, acting_as

    tenant, w = setup
    a = tenant.company_a
    add_points(app, tenant, a.id, "fb", "followers", [1000 + 10 * i for i in range(31)], D(2024, 1, 1))
    w.post(url(a), json=goal_body(target=1200))
    w.post(url(a), json=goal_body(target=5000))
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "dash")):
        rows = company_goals_progress(a.id, D(2024, 1, 31))
        assert sorted((g.kpi_target, p["status"]) for g, p in rows) == [(1200, "achieved"), (5000, "off_track")]
