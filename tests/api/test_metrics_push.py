"""Pushing metrics: counts, upsert, all or nothing, every validation rule, limits, rights,
Idempotency-Key and rate limits."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from metrics_util import add_channels, count_points, metrics_url, pt, push, stored


@pytest.fixture
def setup(app, tenant):
    add_channels(app, tenant)
    return tenant


def auth(tenant, scope="write"):
    return {"Authorization": f"Bearer {tenant.keys[scope]}"}


def test_counts_replay_and_last_write_wins(app, client, setup):
    t = setup
    batch = [pt("fb", "followers", "2024-01-01", 10), pt("fb", "reach", "2024-01-01", 5),
             pt("ig", "followers", "2024-01-01", 7)]
    r = push(client, t.company_a, batch, **auth(t))
    assert r.status_code == 200, r.json
    assert r.json == {"received": 3, "created": 3, "updated": 0, "unchanged": 0}

    # The whole batch again: nothing changes.
    r = push(client, t.company_a, batch, **auth(t))
    assert r.json == {"received": 3, "created": 0, "updated": 0, "unchanged": 3}
    assert count_points(app, t) == 3

    # One changed value, one new point: last write wins, no duplicate row.
    r = push(client, t.company_a, [pt("fb", "followers", "2024-01-01", 12), pt("fb", "reach", "2024-01-01", 5),
                                   pt("fb", "reach", "2024-01-02", 6)], **auth(t))
    assert r.json == {"received": 3, "created": 1, "updated": 1, "unchanged": 1}
    assert stored(app, t) == {
        ("fb", "followers", "2024-01-01"): 12.0, ("fb", "reach", "2024-01-01"): 5.0,
        ("ig", "followers", "2024-01-01"): 7.0, ("fb", "reach", "2024-01-02"): 6.0,
    }


def test_a_backfill_with_the_latest_days_counts_exactly_and_reads_only_its_days(app, client, setup):
    """A push of old days and the latest ones (the soak's shape): exact counts, the days between
    untouched, and the stored values it compares with are read for its own days only (not every
    point between its first and last date: issue 19's soak, 35,040 rows read for 208 points)."""
    t = setup
    between = [pt("fb", "reach", f"2024-02-{d:02d}", d) for d in range(1, 29)]
    assert push(client, t.company_a, between, **auth(t)).json["created"] == 28
    assert push(client, t.company_a, [pt("fb", "reach", "2024-03-01", 1)], **auth(t)).json["created"] == 1
    batch = [pt("fb", "reach", "2023-12-30", 1), pt("fb", "reach", "2023-12-31", 2),  # new, a backfill
             pt("fb", "reach", "2024-03-01", 1), pt("fb", "reach", "2024-03-03", 5),  # unchanged, new
             pt("ig", "reach", "2024-03-01", 4)]
    r = push(client, t.company_a, batch, **auth(t))
    assert r.json == {"received": 5, "created": 4, "updated": 0, "unchanged": 1}
    r = push(client, t.company_a, [{**p, "value": p["value"] + 1} for p in batch], **auth(t))
    assert r.json == {"received": 5, "created": 0, "updated": 5, "unchanged": 0}
    points = stored(app, t)
    assert {k: v for k, v in points.items() if k[2].startswith("2024-02")} == {
        ("fb", "reach", p["date"]): p["value"] for p in between}

    from backend.extensions import db
    from backend.services.metrics.validation import PointValidator
    from backend.services.metrics.write import existing_values
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(t.agency_id, "test")):
        validator = PointValidator(t.company_a.id)
        validator.check(batch)
        read = existing_values(t.company_a.id, validator.rows)
        db.session.rollback()
    assert {d.isoformat() for _, _, d in read} == {"2023-12-30", "2023-12-31", "2024-03-01", "2024-03-03"}


def test_one_bad_point_among_10000_writes_nothing(app, client, setup):
    t = setup
    start = dt.date(2000, 1, 1)
    points = [pt("fb" if i % 2 else "ig", "reach", (start + dt.timedelta(days=i // 2)).isoformat(), i)
              for i in range(10_000)]
    points[7777] = pt("nope", "reach", "2010-01-01", 1)
    r = push(client, t.company_a, points, **auth(t))
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert r.json["errors"] == [{"index": 7777, "field": "channel", "message": "No channel 'nope' in this company."}]
    assert r.json["error_count"] == 1
    assert count_points(app, t) == 0

    points[7777] = pt("fb", "reach", (start + dt.timedelta(days=7777 // 2)).isoformat(), 1)  # fixed
    r = push(client, t.company_a, points, **auth(t))
    assert r.status_code == 200, r.json
    assert r.json["created"] == 10_000
    assert count_points(app, t) == 10_000


def test_errors_are_capped_with_the_total(app, client, setup):
    t = setup
    points = [pt("nope", "reach", "2020-01-01", i) for i in range(300)]
    r = push(client, t.company_a, points, **auth(t))
    assert r.status_code == 422
    assert len(r.json["errors"]) == 100
    assert r.json["error_count"] == 300
    assert "300 invalid points" in r.json["detail"]


TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
IN_TWO_DAYS = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()


@pytest.mark.parametrize("point, field, message", [
    (pt(channel="nope"), "channel", "No channel 'nope' in this company."),
    (pt(channel="b-only"), "channel", "No channel 'b-only' in this company."),
    (pt(channel=5), "channel", "Must be a string (a channel key)."),
    (pt(metric="nope"), "metric", "Unknown metric 'nope'."),
    (pt(metric="engagement_rate"), "metric", "'engagement_rate' is derived (computed from engagements, reach); "
                                             "push its inputs instead."),
    (pt(metric="follower_growth"), "metric", "'follower_growth' is derived (computed from followers); "
                                             "push its inputs instead."),
    (pt(date="2024/01/01"), "date", "Must be a date as YYYY-MM-DD."),
    (pt(date="20240101"), "date", "Must be a date as YYYY-MM-DD."),
    (pt(date=20240101), "date", "Must be a date as YYYY-MM-DD."),
    (pt(date="2023-02-29"), "date", "Not a real date; use YYYY-MM-DD."),
    (pt(date="1999-12-31"), "date", "Must be between 2000-01-01 and"),
    (pt(date=IN_TWO_DAYS), "date", "Must be between 2000-01-01 and"),
    (pt(value="12"), "value", "Must be a number."),
    (pt(value=None), "value", "Must be a number."),
    (pt(value=True), "value", "Must be a number."),
    (pt(value=-1), "value", "Must be 0 or more for the built-in metric 'followers'."),
    ({"channel": "fb", "metric": "followers", "date": "2024-01-01"}, "value", "Missing data for required field."),
    ({**pt(), "note": "x"}, "note", "Unknown field."),
    ("not an object", "point", "Must be an object with channel, metric, date and value."),
])
def test_each_validation_rule(app, client, setup, point, field, message):
    t = setup
    add_channels(app, t, keys=("b-only",), company=t.company_b)
    r = push(client, t.company_a, [pt(date="2024-03-01"), point], **auth(t))
    assert r.status_code == 422, r.json
    assert r.json["errors"][0]["index"] == 1
    assert r.json["errors"][0]["field"] == field
    assert r.json["errors"][0]["message"].startswith(message)
    assert count_points(app, t) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e999"])
def test_value_must_be_finite(app, client, setup, literal):
    t = setup
    body = '{"points": [{"channel": "fb", "metric": "reach", "date": "2024-01-01", "value": ' + literal + "}]}"
    r = client.post(metrics_url(t.company_a), data=body, headers={"Content-Type": "application/json", **auth(t)})
    assert r.status_code == 422
    assert r.json["errors"] == [{"index": 0, "field": "value", "message": "Must be a finite number."}]


def test_duplicate_key_in_one_batch(app, client, setup):
    t = setup
    r = push(client, t.company_a, [pt(value=1), pt("ig"), pt(value=2)], **auth(t))
    assert r.status_code == 422
    assert r.json["errors"] == [{"index": 2, "field": "date", "message":
                                 "Duplicate of point 0: the same channel, metric and date appear twice in this batch."}]


def test_tomorrow_and_custom_negative_values_are_accepted(app, client, setup):
    t = setup
    from backend.services import catalog
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(t.agency_id)):
        catalog.create_definition({"key": "net_sentiment", "label": "Net", "kind": "flow"})
    r = push(client, t.company_a, [pt(date=TOMORROW), pt(metric="net_sentiment", value=-3.5),
                                   pt(date="2000-01-01", value=0)], **auth(t))
    assert r.status_code == 200, r.json
    assert stored(app, t)[("fb", "net_sentiment", "2024-01-01")] == -3.5


@pytest.mark.parametrize("scope", ["metrics:write", "write", "admin", "company_a:write"])
def test_keys_that_may_push(client, setup, scope):
    r = push(client, setup.company_a, [pt()], **auth(setup, scope))
    assert r.status_code == 200, r.json


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_staff_sessions_may_push(login_as, setup, role):
    r = push(login_as(setup, role), setup.company_a, [pt()])
    assert r.status_code == 200, r.json


def test_read_key_and_viewer_get_403_and_write_nothing(app, client, login_as, setup):
    t = setup
    r = push(client, t.company_a, [pt()], **auth(t, "read"))
    assert r.status_code == 403
    r = push(login_as(t, "viewer"), t.company_a, [pt()])
    assert r.status_code == 403
    assert count_points(app, t) == 0


def test_company_out_of_reach_is_404(app, client, tenants):
    t, other = tenants
    add_channels(app, t)
    add_channels(app, other)
    assert push(client, other.company_a, [pt()], **auth(t)).status_code == 404
    assert push(client, t.company_b, [pt()], **auth(t, "company_a:write")).status_code == 404
    assert count_points(app, t) == 0 and count_points(app, other) == 0


def test_bad_bodies(app, client, setup):
    t = setup
    url = metrics_url(t.company_a)
    r = client.post(url, data="{not json", headers={"Content-Type": "application/json", **auth(t)})
    assert r.status_code in (400, 422)
    r = client.post(url, data=json.dumps({"points": [pt()]}), headers={"Content-Type": "text/plain", **auth(t)})
    assert r.status_code == 415
    r = client.post(url, data=json.dumps({"points": {"a": 1}}), headers={"Content-Type": "application/json", **auth(t)})
    assert r.status_code == 422
    r = client.post(url, data=json.dumps({"points": [], "extra": 1}),
                    headers={"Content-Type": "application/json", **auth(t)})
    assert r.status_code == 422
    assert count_points(app, t) == 0


def test_limits_answer_413_with_the_limit(app, client, setup):
    t = setup
    points = [pt(date=(dt.date(2001, 1, 1) + dt.timedelta(days=i)).isoformat()) for i in range(10_001)]
    r = push(client, t.company_a, points, **auth(t))
    assert r.status_code == 413
    assert "10,000" in r.json["detail"]
    big = json.dumps({"points": [pt()], "pad": "x" * (5 * 1024 * 1024)})
    r = client.post(metrics_url(t.company_a), data=big, headers={"Content-Type": "application/json", **auth(t)})
    assert r.status_code == 413
    assert "5242880" in r.json["detail"] or "5 MiB" in r.json["detail"]
    assert count_points(app, t) == 0


# --- Idempotency-Key ------------------------------------------------------------------------
def test_idempotent_replay_returns_the_first_response_without_writing(app, client, setup):
    t = setup
    key = {"Idempotency-Key": "batch-1", **auth(t)}
    first = push(client, t.company_a, [pt(value=10), pt("ig", value=3)], **key)
    assert first.status_code == 200
    assert first.json["created"] == 2
    # Someone changes a value meanwhile; a replay must not put the old one back.
    push(client, t.company_a, [pt(value=99)], **auth(t))
    again = push(client, t.company_a, [pt(value=10), pt("ig", value=3)], **key)
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert stored(app, t)[("fb", "followers", "2024-01-01")] == 99.0


def test_same_key_with_another_body_is_422(client, setup):
    t = setup
    key = {"Idempotency-Key": "batch-2", **auth(t)}
    assert push(client, t.company_a, [pt(value=1)], **key).status_code == 200
    r = push(client, t.company_a, [pt(value=2)], **key)
    assert r.status_code == 422
    assert r.json["errors"][0]["field"] == "Idempotency-Key"


def test_twin_still_running_is_409(app, client, setup):
    t = setup
    from backend.extensions import db
    from backend.models import IdempotencyRecord
    from backend.tenancy import Principal, acting_as

    body = json.dumps({"points": [pt()]}).encode()
    path = metrics_url(t.company_a)
    digest = hashlib.sha256(f"POST {path}?\n".encode() + body).hexdigest()
    with app.app_context(), acting_as(Principal.system(t.agency_id)):
        db.session.add(IdempotencyRecord(credential=str(t.key_ids["write"]), key="busy", request_hash=digest,
                                         state="running"))
        db.session.commit()
    r = client.post(path, data=body, headers={"Content-Type": "application/json", "Idempotency-Key": "busy", **auth(t)})
    assert r.status_code == 409
    assert count_points(app, t) == 0
    # Another credential's key of the same name is independent.
    r = client.post(path, data=body, headers={"Content-Type": "application/json", "Idempotency-Key": "busy",
                                              **auth(t, "metrics:write")})
    assert r.status_code == 200


def test_failed_request_frees_its_key(app, client, setup):
    t = setup
    key = {"Idempotency-Key": "retry-me", **auth(t)}
    assert push(client, t.company_a, [pt(channel="nope")], **key).status_code == 422
    r = push(client, t.company_a, [pt(channel="fb")], **key)
    assert r.status_code == 200
    assert r.json["created"] == 1


# --- Rate limits ----------------------------------------------------------------------------
def test_push_rate_limit_per_key_and_per_company(database_url, app, setup):
    from conftest import make_app

    t = setup
    limited = make_app(database_url, PUSH_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    assert push(client, t.company_a, [pt(value=1)], **auth(t)).status_code == 200
    ok = push(client, t.company_a, [pt(value=2)], **auth(t))
    assert ok.status_code == 200
    assert ok.headers["RateLimit-Limit"] == "2"
    assert ok.headers["RateLimit-Remaining"] == "0"
    r = push(client, t.company_a, [pt(value=3)], **auth(t))
    assert r.status_code == 429
    assert r.mimetype == "application/problem+json"
    assert r.json["status"] == 429
    assert int(r.headers["Retry-After"]) > 0
    assert "RateLimit-Reset" in r.headers
    # Another key of the agency is held by the company's budget.
    r = push(client, t.company_a, [pt(value=4)], **auth(t, "metrics:write"))
    assert r.status_code == 429
    # ... but it may push to another company.
    add_channels(app, t, keys=("fb",), company=t.company_b)
    assert push(client, t.company_b, [pt(value=5)], **auth(t, "metrics:write")).status_code == 200
    assert stored(app, t)[("fb", "followers", "2024-01-01")] == 2.0


def test_general_api_rate_limit(database_url, app, tenant):
    from conftest import make_app

    limited = make_app(database_url, API_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    headers = {"Authorization": f"Bearer {tenant.keys['read']}"}
    codes = [client.get("/api/v1/companies", headers=headers).status_code for _ in range(3)]
    codes.append(client.get(f"{metrics_url(tenant.company_a)}?metric=reach", headers=headers).status_code)
    assert codes == [200, 200, 200, 429]
    other = {"Authorization": f"Bearer {tenant.keys['admin']}"}
    assert client.get("/api/v1/companies", headers=other).status_code == 200
