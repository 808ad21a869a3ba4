"""Correcting stored data (issue 12, item 16): listing the stored points of one channel and metric
and deleting a day, a range or the whole series — through the API (listMetricPoints,
deleteMetrics) and the service (backend/services/metrics/correct.py). Nothing outside the named
company, channel and metric is touched, a refused request deletes nothing, every deletion is
audited, and the reads that follow no longer see the points."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from admin_world import audit_actions
from metrics_util import add_channels, count_points, metrics_url, pt, push, stored

D = dt.date.fromisoformat
# The blog has about 8,200 followers; someone pushed 1,200 on 2024-05-03 (the chart's cliff).
BLOG = [pt("blog", "followers", f"2024-05-0{d}", v) for d, v in ((1, 8200), (2, 8210), (3, 1200), (4, 8228),
                                                                 (5, 8235))]
OTHERS = [pt("blog", "reach", "2024-05-03", 900), pt("fb", "followers", "2024-05-03", 500),
          pt("fb", "followers", "2024-05-04", 510)]


def _push(app, client, tenant, company, points, channels=("blog", "fb")):
    add_channels(app, tenant, channels, company=company)
    resp = push(client, company, points, Authorization=f"Bearer {tenant.keys['write']}")
    assert resp.status_code == 200, resp.json


@pytest.fixture
def world(app, client, tenants):
    """Both agencies, each with the same channels and points on both companies: a deletion must
    find only its own."""
    for tenant in tenants:
        for company in tenant.companies:
            _push(app, client, tenant, company, BLOG + OTHERS)
    return tenants


def delete(client, company, channel="blog", metric="followers", date_from=None, date_to=None):
    """deleteMetrics with the parameters given (a date left as None is not sent)."""
    params = {"channel": channel, "metric": metric, "from": date_from, "to": date_to}
    return client.delete(metrics_url(company), query_string={k: v for k, v in params.items() if v is not None})


def blog_days(app, tenant, company=None) -> list[str]:
    return sorted(d for (c, m, d) in stored(app, tenant, company) if (c, m) == ("blog", "followers"))


def everything_else(app, tenants) -> dict:
    """Every stored point but the blog's followers of acme's company A."""
    acme = tenants[0]
    out = {}
    for tenant in tenants:
        for company in tenant.companies:
            for key, value in stored(app, tenant, company).items():
                if not (tenant is acme and company is acme.company_a and key[:2] == ("blog", "followers")):
                    out[(tenant.name, company.name, *key)] = value
    return out


# --- deleting: a day, a range, a series ------------------------------------------------------
def test_delete_one_wrong_day(app, world, api):
    acme = world[0]
    before = everything_else(app, world)
    resp = delete(api(acme.keys["write"]), acme.company_a, date_from="2024-05-03", date_to="2024-05-03")
    assert resp.status_code == 200, resp.json
    assert resp.json == {"deleted": 1, "channel": "blog", "metric": "followers", "from": "2024-05-03",
                         "to": "2024-05-03"}
    assert blog_days(app, acme) == ["2024-05-01", "2024-05-02", "2024-05-04", "2024-05-05"]
    # Nothing else: not the blog's reach that day, not fb's followers, not company B, not Globex.
    assert everything_else(app, world) == before


def test_delete_a_range_and_an_open_range(app, world, api):
    acme = world[0]
    writer = api(acme.keys["write"])
    resp = delete(writer, acme.company_a, date_from="2024-05-02", date_to="2024-05-03")
    assert resp.json["deleted"] == 2
    assert blog_days(app, acme) == ["2024-05-01", "2024-05-04", "2024-05-05"]
    resp = delete(writer, acme.company_a, date_from="2024-05-05")
    assert resp.json == {"deleted": 1, "channel": "blog", "metric": "followers", "from": "2024-05-05", "to": None}
    resp = delete(writer, acme.company_a, date_to="2024-05-01")
    assert resp.json["deleted"] == 1 and resp.json["from"] is None
    assert blog_days(app, acme) == ["2024-05-04"]
    # A range with nothing in it: 0, and nothing recorded.
    actions = audit_actions(app, acme.agency_id)
    resp = delete(writer, acme.company_a, date_from="2020-01-01", date_to="2020-12-31")
    assert resp.status_code == 200 and resp.json["deleted"] == 0
    assert audit_actions(app, acme.agency_id) == actions


def test_delete_the_whole_series(app, world, api):
    acme = world[0]
    before = everything_else(app, world)
    resp = delete(api(acme.keys["admin"]), acme.company_a, channel="blog", metric="followers")
    assert resp.status_code == 200
    assert resp.json == {"deleted": 5, "channel": "blog", "metric": "followers", "from": None, "to": None}
    assert blog_days(app, acme) == []
    assert everything_else(app, world) == before


def test_a_deletion_is_audited_with_channel_metric_range_and_count(app, world, api):
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    acme = world[0]
    delete(api(acme.keys["write"]), acme.company_a, date_from="2024-05-02", date_to="2024-05-04")
    delete(api(acme.keys["write"]), acme.company_a, channel="fb")
    with app.app_context(), cross_tenant("test reads the audit trail"):
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "metrics.delete")
                                     .order_by(AuditEntry.created_at)).all()
        got = [(e.agency_id, e.company_id, e.actor, e.summary) for e in entries]
    assert got == [
        (acme.agency_id, acme.company_a.id, "api-key:write key",
         "Deleted 3 points of followers on blog from 2024-05-02 to 2024-05-04"),
        (acme.agency_id, acme.company_a.id, "api-key:write key",
         "Deleted 2 points of followers on fb in the whole series"),
    ]


def test_a_staff_session_deletes_too(app, world, login_as):
    acme = world[0]
    member = login_as(acme, "member")
    resp = delete(member, acme.company_a, date_from="2024-05-03", date_to="2024-05-03")
    assert resp.status_code == 200 and resp.json["deleted"] == 1


# --- refusals: nothing deleted ----------------------------------------------------------------
@pytest.mark.parametrize("who", ["key:read", "key:metrics:write", "session:viewer"])
def test_without_write_it_is_403_and_nothing_is_deleted(app, world, api, login_as, who):
    acme = world[0]
    client = login_as(acme, "viewer") if who == "session:viewer" else api(acme.keys[who.removeprefix("key:")])
    total = count_points(app, acme)
    resp = delete(client, acme.company_a)
    assert resp.status_code == 403, resp.json
    assert resp.mimetype == "application/problem+json"
    if who == "key:metrics:write":
        assert "may push, not delete" in resp.json["detail"]
    assert count_points(app, acme) == total
    assert "metrics.delete" not in audit_actions(app, acme.agency_id)


def test_out_of_reach_is_404_and_nothing_is_deleted(app, world, api, login_as):
    acme, globex = world
    total = count_points(app, globex), count_points(app, acme)
    for client, company in ((api(acme.keys["admin"]), globex.company_a),  # another agency
                            (api(acme.keys["company_a:write"]), acme.company_b),  # a key for company A
                            (login_as(acme, "viewer"), acme.company_b)):  # a viewer of company A
        resp = delete(client, company)
        assert resp.status_code == 404, resp.json
        resp = client.get(f"{metrics_url(company)}/points?channel=blog&metric=followers")
        assert resp.status_code == 404, resp.json
    assert (count_points(app, globex), count_points(app, acme)) == total
    # The company key does reach its own company.
    resp = delete(api(acme.keys["company_a:write"]), acme.company_a, channel="blog", metric="followers")
    assert resp.status_code == 200 and resp.json["deleted"] == 5


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"metric": "followers"}, "channel", "Missing data"),
    ({"channel": "blog"}, "metric", "Missing data"),
    ({"channel": "instagram", "metric": "followers"}, "channel", "No channel 'instagram'"),
    ({"channel": "all", "metric": "followers"}, "channel", "No channel 'all'"),
    ({"channel": "blog", "metric": "engagement_rate"}, "metric", "computed from engagements, reach"),
    ({"channel": "blog", "metric": "follower_growth"}, "metric", "not stored"),
    ({"channel": "blog", "metric": "likes_per_day"}, "metric", "Unknown metric"),
    ({"channel": "blog", "metric": "followers", "from": "2024-05-31", "to": "2024-05-01"}, "from", "on or before"),
    ({"channel": "blog", "metric": "followers", "from": "2024-02-30"}, "from", "Not a valid date"),
    ({"channel": "blog", "metric": "followers", "to": "1999-12-31"}, "to", "2000-01-01 to 2100-12-31"),
    ({"channel": "blog", "metric": "followers", "from": "2101-01-01"}, "from", "2000-01-01 to 2100-12-31"),
    ({"channel": "blog", "metric": "followers", "date": "2024-05-03"}, "date", "Unknown field"),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_deleted(app, world, api, params, field, words):
    acme = world[0]
    total = count_points(app, acme)
    for method in ("delete", "get"):
        url = metrics_url(acme.company_a) + ("/points" if method == "get" else "")
        resp = getattr(api(acme.keys["admin"]), method)(url, query_string=params)
        assert resp.status_code == 422, (method, resp.json)
        errors = resp.json["errors"]
        assert [e["field"] for e in errors] == [field], (method, errors)
        assert words in errors[0]["message"], (method, errors)
    assert count_points(app, acme) == total


def test_the_service_refuses_the_same_way(app, world):
    """The service itself checks what the API's schema checked first (the admin pages call it
    with form text): missing fields, dates as text, out of bounds."""
    from backend.services import metrics
    from backend.services.errors import ValidationFailed
    from backend.tenancy import Principal, acting_as

    acme = world[0]
    cases = [((None, None), {"channel", "metric"}), (("blog", "followers", "03/05/2024"), {"from"}),
             (("blog", "followers", "2024-05-03", "2101-01-01"), {"to"}), (("blog", "reach ", " 2024-05-03 "), None)]
    with app.app_context(), acting_as(Principal.system(acme.agency_id)):
        for args, fields in cases:
            if fields is None:
                assert metrics.delete_points(acme.company_a.id, *args) == 1  # text is trimmed
                continue
            with pytest.raises(ValidationFailed) as err:
                metrics.delete_points(acme.company_a.id, *args)
            assert {e["field"] for e in err.value.errors} == fields


# --- what the next reads see ------------------------------------------------------------------
def test_the_dashboard_reads_no_longer_see_a_deleted_point(app, world, api):
    acme = world[0]
    reader = api(acme.keys["read"])
    url = f"{metrics_url(acme.company_a)}?metric=followers&channel=blog&from=2024-05-01&to=2024-05-05"
    assert [p["value"] for p in reader.get(url).json["series"][0]["points"]] == [8200, 8210, 1200, 8228, 8235]
    delete(api(acme.keys["write"]), acme.company_a, date_from="2024-05-03", date_to="2024-05-03")
    points = reader.get(url).json["series"][0]["points"]
    assert [(p["date"], p["value"]) for p in points] == [("2024-05-01", 8200), ("2024-05-02", 8210),
                                                          ("2024-05-04", 8228), ("2024-05-05", 8235)]
    summary = reader.get(f"{metrics_url(acme.company_a)}/summary?metric=follower_growth&channel=blog"
                         "&from=2024-05-03&to=2024-05-03").json
    assert summary["metrics"][0]["value"] is None  # no followers point that day any more


def test_no_read_in_the_same_request_serves_the_point_after_it_is_deleted(app, world):
    """Inside one request (the request memos live on flask.g): a summary, the deletion, the
    summary again and the goal progress reader."""
    from backend.services import metrics
    from backend.tenancy import Principal, acting_as

    acme = world[0]
    day = D("2024-05-03")
    with app.test_request_context("/"), acting_as(Principal.system(acme.agency_id)):
        first = metrics.summary(acme.company_a.id, day, day, channel="blog", metrics=["followers"])
        assert first["metrics"][0]["value"] == 1200
        assert metrics.delete_points(acme.company_a.id, "blog", "followers", day, day) == 1
        again = metrics.summary(acme.company_a.id, day, day, channel="blog", metrics=["followers"])
        assert again["metrics"][0]["value"] is None  # the blog has no followers point that day any more
        reader = metrics.CompanyReader(acme.company_a.id)
        assert reader.daily(["followers"], "blog", day, day)["followers"] == []
        assert metrics.stored_points(acme.company_a.id, "blog", "followers", day, day).total == 0


def test_the_scoping_hook_filters_the_delete_statement_too(app, world):
    """Below the service: an ORM DELETE naming no tenant at all still only reaches the principal's
    agency and companies (here a client viewer of acme's company A)."""
    from types import SimpleNamespace

    from sqlalchemy import delete as sql_delete

    from backend.extensions import db
    from backend.models import MetricPoint
    from backend.tenancy import Principal, acting_as

    acme, globex = world
    globex_total = count_points(app, globex)
    viewer = SimpleNamespace(id=acme.users["viewer"].id, agency_id=acme.agency_id, email=acme.emails["viewer"])
    with app.app_context(), acting_as(Principal.for_user(viewer, "viewer", [acme.company_a.id])):
        db.session.execute(sql_delete(MetricPoint).execution_options(synchronize_session=False))
        db.session.commit()
    assert stored(app, acme, acme.company_a) == {}
    assert len(stored(app, acme, acme.company_b)) == len(BLOG + OTHERS)
    assert count_points(app, globex) == globex_total


def test_one_transaction_a_failure_deletes_nothing(app, world, api, monkeypatch):
    from backend.services import audit

    acme = world[0]
    total = count_points(app, acme)

    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail is full")

    monkeypatch.setattr(audit, "record", broken)
    resp = delete(api(acme.keys["write"]), acme.company_a, channel="blog", metric="followers")
    assert resp.status_code == 500
    assert count_points(app, acme) == total


def test_expected_count_guards_against_data_that_changed_meanwhile(app, world):
    from backend.services import metrics
    from backend.services.errors import Conflict
    from backend.tenancy import Principal, acting_as

    acme = world[0]
    with app.app_context(), acting_as(Principal.system(acme.agency_id)):
        with pytest.raises(Conflict) as err:
            metrics.delete_points(acme.company_a.id, "blog", "followers", expected=4)
        assert "now holds 5 points, not 4" in err.value.detail
        assert metrics.stored_points(acme.company_a.id, "blog", "followers").total == 5
        assert metrics.delete_points(acme.company_a.id, "blog", "followers", expected=5) == 5


# --- listing what would be deleted ------------------------------------------------------------
def test_list_the_stored_points_newest_first_with_pagination(app, world, api):
    acme = world[0]
    reader = api(acme.keys["read"])
    url = f"{metrics_url(acme.company_a)}/points?channel=blog&metric=followers"
    resp = reader.get(url + "&page_size=2")
    assert resp.status_code == 200
    assert [(p["date"], p["value"]) for p in resp.json] == [("2024-05-05", 8235), ("2024-05-04", 8228)]
    assert resp.json[0]["updated_at"].endswith("Z")
    assert json.loads(resp.headers["X-Pagination"]) == {"total": 5, "total_pages": 3, "page": 1, "page_size": 2,
                                                        "next_page": 2}
    last = reader.get(url + "&page_size=2&page=3")
    assert [p["date"] for p in last.json] == ["2024-05-01"]
    assert json.loads(last.headers["X-Pagination"])["previous_page"] == 2
    ranged = reader.get(url + "&from=2024-05-02&to=2024-05-03")
    assert [(p["date"], p["value"]) for p in ranged.json] == [("2024-05-03", 1200), ("2024-05-02", 8210)]
    # The same parameters delete exactly those.
    gone = delete(api(acme.keys["write"]), acme.company_a, date_from="2024-05-02", date_to="2024-05-03")
    assert gone.json["deleted"] == len(ranged.json)
    empty = reader.get(url + "&from=2024-05-02&to=2024-05-03")
    assert empty.json == [] and json.loads(empty.headers["X-Pagination"])["total"] == 0
    # metrics:write keys push but do not read.
    assert api(acme.keys["metrics:write"]).get(url).status_code == 403


def test_a_long_series_is_paged_not_sent_whole(app, client, tenant, api):
    add_channels(app, tenant, ("blog",))
    start = D("2020-01-01")
    points = [pt("blog", "followers", (start + dt.timedelta(days=i)).isoformat(), i) for i in range(1500)]
    assert push(client, tenant.company_a, points, Authorization=f"Bearer {tenant.keys['write']}").status_code == 200
    url = f"{metrics_url(tenant.company_a)}/points?channel=blog&metric=followers"
    resp = api(tenant.keys["read"]).get(url)
    assert len(resp.json) == 50 and json.loads(resp.headers["X-Pagination"])["total"] == 1500
    assert len(api(tenant.keys["read"]).get(url + "&page_size=1000").json) == 1000
    assert api(tenant.keys["read"]).get(url + "&page_size=1001").status_code == 422
