"""Bad input ends in a clear 4xx, never a 500, and work is bounded (the hardening issue's findings,
one regression test each): dates outside 2000-01-01..2100-12-31, unbounded pages, NUL characters
in any text, JSON nested too deep or with huge integers, metric reads and exports over 10 years
or 100,000 points, CSV imports over 50 MB, 1,000,000 rows or 1,000 errors, the dashboard's
custom range on a company without data, and the login limit per account."""
from __future__ import annotations

import datetime as dt
import io
import tracemalloc

import pytest
from conftest import PASSWORD, make_app
from metrics_util import add_channels, metrics_url, push

TODAY = dt.date.today()


def _problem(resp, status: int) -> dict:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "application/problem+json"
    return resp.json


@pytest.fixture
def world(app, tenant, client):
    """Company A with channels fb and ig, a goal and a campaign; ``world.h`` is a write key's header."""
    from backend.services import campaigns, goals
    from backend.tenancy import Principal, acting_as

    add_channels(app, tenant)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        goal = goals.create_goal(tenant.company_a.id, {
            "title": "Reach", "category": "other", "kpi": {"metric": "reach", "aggregation": "total", "target": 100,
                                                           "start_date": TODAY, "deadline": TODAY}})
        campaign = campaigns.create_campaign(tenant.company_a.id, {"name": "Spring", "start_date": TODAY,
                                                                   "end_date": TODAY})
        tenant.goal_id, tenant.campaign_id = goal.id, campaign.id
    tenant.h = {"Authorization": f"Bearer {tenant.keys['write']}"}
    return tenant


# --- dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-01", "1999-12-31", "2101-01-01"])
def test_dates_outside_the_bounds_are_422_on_every_date_parameter(client, world, day):
    t, cid = world, world.company_a.id
    for url, field in ((f"{metrics_url(t.company_a)}?metric=reach&from={day}", "from"),
                       (f"{metrics_url(t.company_a)}?metric=reach&to={day}", "to"),
                       (f"{metrics_url(t.company_a)}/summary?from={day}", "from"),
                       (f"{metrics_url(t.company_a)}/export?metric=reach&to={day}", "to"),
                       (f"/api/v1/companies/{cid}/goals?as_of={day}", "as_of"),
                       (f"/api/v1/companies/{cid}/goals/{t.goal_id}?as_of={day}", "as_of"),
                       (f"/api/v1/companies/{cid}/campaigns?from={day}", "from")):
        body = _problem(client.get(url, headers=t.h), 422)
        assert body["errors"][0]["field"] == field and "2000-01-01 to 2100-12-31" in body["errors"][0]["message"], url
    kpi = {"metric": "reach", "aggregation": "total", "target": 10, "start_date": day, "deadline": "2030-01-01"}
    body = _problem(client.post(f"/api/v1/companies/{cid}/goals", json={"title": "x", "kpi": kpi}, headers=t.h), 422)
    assert body["errors"][0]["field"] == "kpi.start_date"
    body = _problem(client.post(f"/api/v1/companies/{cid}/campaigns", headers=t.h,
                                json={"name": "x", "start_date": day, "end_date": "2030-01-01"}), 422)
    assert body["errors"][0]["field"] == "start_date"


def test_the_bounds_themselves_are_accepted(client, world):
    resp = client.get(f"{metrics_url(world.company_a)}?metric=reach&from=2100-12-01&to=2100-12-31", headers=world.h)
    assert resp.status_code == 200


def test_admin_forms_refuse_dates_outside_the_bounds_next_to_the_field(app, world, login_as):
    owner = login_as(world, "owner")
    form = {"name": "Far away", "start_date": "9999-01-01", "end_date": "9999-12-31"}
    resp = owner.post(f"/manage/companies/{world.company_a.id}/campaigns", data=form)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'data-field="start_date"' in html and "2000-01-01 to 2100-12-31" in html


# --- pages ------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["9223372036854775807", "100001", "0", "-1"])
def test_page_numbers_are_bounded_on_every_list(client, world, page):
    cid = world.company_a.id
    admin = {"Authorization": f"Bearer {world.keys['admin']}"}
    for url in ("/api/v1/companies", "/api/v1/users", "/api/v1/api-keys", f"/api/v1/companies/{cid}/channels",
                f"/api/v1/companies/{cid}/goals", f"/api/v1/companies/{cid}/campaigns",
                f"/api/v1/companies/{cid}/strategy/revisions"):
        body = _problem(client.get(f"{url}?page={page}", headers=admin), 422)
        assert body["errors"][0]["field"] == "page", url
    body = _problem(client.get("/api/v1/companies?page_size=1001", headers=admin), 422)
    assert body["errors"][0]["field"] == "page_size"


# --- NUL characters -----------------------------------------------------------------------------
def _json_operations(client):
    """(method, path, [string fields]) of every operation with a JSON body, from the spec."""
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            content = (op.get("requestBody") or {}).get("content", {})
            schema = (content.get("application/json") or {}).get("schema")
            if not schema:
                continue
            if "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
            strings = [n for n, p in schema.get("properties", {}).items() if p.get("type") == "string"]
            out.append((method.upper(), path, strings))
    return out


def test_nul_in_any_json_text_field_is_422_naming_it(client, world):
    cid, admin = world.company_a.id, {"Authorization": f"Bearer {world.keys['admin']}"}
    ids = {"company_id": cid, "channel_key": "fb", "goal_id": world.goal_id, "campaign_id": world.campaign_id,
           "user_id": world.users["member"].id, "key_id": world.key_ids["read"], "revision": 0}
    base = f"/api/v1/companies/{cid}"
    ids["report_id"] = client.post(f"{base}/reports", json={"period_kind": "month"}, headers=admin).json["id"]
    ids["schedule_id"] = client.post(f"{base}/report-schedules", headers=admin, json={
        "cadence": "monthly", "day_of_month": 1, "recipients": ["client@example.com"]}).json["id"]
    ids["rule_id"] = client.post(f"{base}/alert-rules", headers=admin, json={
        "kind": "stale_data", "params": {"days": 5}}).json["id"]
    ids["webhook_id"] = client.post("/api/v1/webhooks", headers=admin, json={
        "url": "http://127.0.0.1:9/hook", "events": ["report.sent"]}).json["id"]
    mention = {"source": "test", "external_id": "m-1", "channel": "fb", "published_at": "2024-05-01T10:00:00Z",
               "sentiment": "neutral"}
    assert client.post(f"{base}/mentions", json={"mentions": [mention]}, headers=admin).status_code == 200
    ids["mention_id"] = client.get(f"{base}/mentions", headers=admin).json[0]["id"]
    ids["topic_id"] = client.post(f"{base}/topics", json={"name": "Recall"}, headers=admin).json["id"]
    operations = _json_operations(client)
    assert len(operations) >= 10
    checked = 0
    for method, path, fields in operations:
        url = path.format(**{k: v for k, v in ids.items() if "{" + k + "}" in path})
        for name in fields:
            resp = client.open(url, method=method, json={name: "before\u0000after"}, headers=admin)
            body = _problem(resp, 422)
            assert body["errors"][0]["field"] == name and "NUL" in body["errors"][0]["message"], (method, url)
            checked += 1
    assert checked >= 20
    # Nested and in keys as well; nothing was written by any of them.
    body = _problem(client.put(f"/api/v1/companies/{cid}/strategy", headers=admin,
                               json={"audiences": [{"name": "a\u0000"}]}), 422)
    assert body["errors"][0]["field"] == "audiences.0.name"
    body = _problem(client.post(metrics_url(world.company_a), headers=admin,
                                json={"points": [{"channel\u0000": "fb"}]}), 422)
    assert body["errors"][0]["field"] == "points.0.channel\\u0000"
    assert client.get(f"/api/v1/companies/{cid}", headers=admin).json["name"] == world.company_a.name


def test_nul_in_query_strings_forms_and_paths(client, world, login_as):
    admin = {"Authorization": f"Bearer {world.keys['admin']}"}
    body = _problem(client.get("/api/v1/companies?q=a%00b", headers=admin), 422)
    assert body["errors"][0]["field"] == "q"
    resp = client.get(f"/api/v1/companies/{world.company_a.id}/channels/f%00b", headers=admin)
    assert resp.status_code == 404
    # The login form on PostgreSQL used to answer 500 for a NUL in the e-mail.
    resp = client.post("/login", data={"email": "owner\x00@acme.test", "password": PASSWORD})
    assert resp.status_code == 422 and "NUL" in resp.get_data(as_text=True)
    owner = login_as(world, "owner")
    resp = owner.post("/manage/companies", data={"name": "Nul\x00Co"})
    assert resp.status_code == 422 and "name" in resp.get_data(as_text=True)
    assert "Nul" not in owner.get("/manage/companies").get_data(as_text=True)


def test_services_refuse_nul_in_text_too(app, world):
    """Below the request guard (CLI, imports): the services' own text check."""
    from backend.services import channels
    from backend.services.errors import ValidationFailed
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(world.agency_id, "test")):
        with pytest.raises(ValidationFailed) as err:
            channels.create_channel(world.company_a.id, {"key": "blog", "platform": "blog", "name": "a\x00b"})
    assert err.value.errors[0]["field"] == "name"


# --- JSON shape ---------------------------------------------------------------------------------
def test_json_nested_too_deep_is_400(client, world):
    for depth in (33, 1000, 100_000):
        body = "[" * depth + "]" * depth
        resp = client.post(metrics_url(world.company_a), data=body, content_type="application/json", headers=world.h)
        assert _problem(resp, 400)["detail"].startswith("The JSON is nested"), depth
    ok = {"points": [{"channel": "fb", "metric": "reach", "date": "2024-01-01", "value": 1}]}
    assert push(world_client(client), world.company_a, ok["points"], **world.h).status_code == 200


def world_client(client):
    return client


def test_integers_longer_than_30_digits_are_400(client, world):
    for digits in (31, 5000):
        body = '{"points": [{"channel": "fb", "metric": "reach", "date": "2024-01-01", "value": %s}]}' % ("9" * digits)
        resp = client.post(metrics_url(world.company_a), data=body, content_type="application/json", headers=world.h)
        assert "digits" in _problem(resp, 400)["detail"], digits
    body = '{"name": "X", "industry": "", "timezone": "UTC", "archived": false, "version": -%s}' % ("9" * 40)
    resp = client.patch(f"/api/v1/companies/{world.company_a.id}", data=body, content_type="application/json",
                        headers={"Authorization": f"Bearer {world.keys['admin']}"})
    assert resp.status_code == 400
    # 30 digits parse, and the validators then judge the value (a day's value is at most 1e15).
    body = '{"points": [{"channel": "fb", "metric": "reach", "date": "2024-01-01", "value": %s}]}' % ("9" * 30)
    resp = client.post(metrics_url(world.company_a), data=body, content_type="application/json", headers=world.h)
    assert _problem(resp, 422)["errors"][0]["field"] == "value"


def test_dash_callbacks_get_the_same_json_limits(world, login_as):
    owner = login_as(world, "owner")
    resp = owner.post("/dashboard/_dash-update-component", data="[" * 1000 + "]" * 1000,
                      content_type="application/json")
    assert resp.status_code == 400


# --- reads and exports --------------------------------------------------------------------------
ALL_METRICS = ["followers", "reach", "impressions", "engagements", "likes", "comments", "shares", "clicks", "posts",
               "mentions", "mentions_positive", "mentions_neutral", "mentions_negative", "spend", "revenue"]


@pytest.mark.parametrize("route", ["", "/export"])
def test_reads_over_ten_years_are_422_naming_the_limit(client, world, route):
    query = "&".join(f"metric={m}" for m in ALL_METRICS)
    url = f"{metrics_url(world.company_a)}{route}?{query}&from=2000-01-01&to=2024-12-31&granularity=day"
    body = _problem(client.get(url, headers=world.h), 422)
    assert body["limit"] == 3653 and "10 years" in body["detail"]
    url = f"{metrics_url(world.company_a)}/summary?from=2000-01-01&to=2024-12-31"
    assert _problem(client.get(url, headers=world.h), 422)["limit"] == 3653


@pytest.mark.parametrize("route", ["", "/export"])
def test_reads_over_100000_points_are_422_and_name_a_granularity_that_fits(client, world, route):
    query = "&".join(f"metric={m}" for m in ALL_METRICS)
    # 15 metrics x 2 channels x 3,653 days = 109,590 points by day; by week it fits.
    url = f"{metrics_url(world.company_a)}{route}?{query}&from=2015-01-01&to=2024-12-31&granularity=day"
    body = _problem(client.get(url, headers=world.h), 422)
    assert body["limit"] == 100_000 and "granularity=week" in body["detail"]
    assert body["errors"][0]["field"] == "granularity"
    ok = client.get(url.replace("granularity=day", "granularity=week"), headers=world.h)
    assert ok.status_code == 200


def test_export_streams_window_by_window_with_flat_memory(app, client, world, monkeypatch):
    from backend.services.metrics import csvio

    start = dt.date(2012, 1, 1)
    days = 8 * 365
    points = [{"channel": ch, "metric": m, "date": (start + dt.timedelta(days=i)).isoformat(), "value": i % 97 + 1}
              for ch in ("fb", "ig") for m in ("followers", "reach") for i in range(days)]
    for chunk in range(0, len(points), 10_000):
        assert push(client, world.company_a, points[chunk:chunk + 10_000], **world.h).status_code == 200
    # Windows of 200 days for 3 series: a year is two windows, eight years fifteen.
    monkeypatch.setattr(csvio, "EXPORT_WINDOW_POINTS", 600)

    def export(years: int, granularity: str = "day", channel: str = "", keep: bool = True):
        """(lines or their count, peak bytes allocated while the body streamed)."""
        to = start + dt.timedelta(days=365 * years - 1)
        url = (f"{metrics_url(world.company_a)}/export?metric=followers&metric=reach&metric=engagement_rate"
               f"&from={start}&to={to}&granularity={granularity}{channel}")
        resp = client.get(url, headers=world.h, buffered=False)
        assert resp.status_code == 200 and resp.is_streamed
        lines, count = [], 0
        tracemalloc.start()
        for chunk in resp.response:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            count += text.count("\n")
            if keep:
                lines.extend(text.splitlines())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        resp.close()
        return (lines if keep else count), peak

    one, peak_one = export(1, keep=False)
    eight, peak_eight = export(8, keep=False)
    assert eight > 7 * one
    assert peak_eight < 1.5 * peak_one, (peak_one, peak_eight)  # flat, not eight times as much
    # The windows add up to exactly the whole read, in date order.
    for granularity, channel in (("day", ""), ("week", "&channel=all"), ("month", "")):
        lines, _ = export(8, granularity, channel)
        to = start + dt.timedelta(days=365 * 8 - 1)
        read = client.get(f"{metrics_url(world.company_a)}?metric=followers&metric=reach&metric=engagement_rate"
                          f"&from={start}&to={to}&granularity={granularity}{channel}", headers=world.h).json
        expected = sorted((p["date"], i, s["channel"], s["metric"], p["value"]) for i, s in enumerate(read["series"])
                          for p in s["points"])
        assert lines[0] == "date,channel,metric,value"
        assert lines[1:] == [f"{d},{c},{m},{v!r}" for d, _, c, m, v in expected], granularity


# --- CSV import ---------------------------------------------------------------------------------
def _import(client, world, content: bytes):
    return client.post(f"{metrics_url(world.company_a)}/import", data=content, content_type="text/csv",
                       headers=world.h)


def test_csv_over_50_mb_is_413_naming_the_limit(client, world):
    body = _problem(_import(client, world, b"date,channel,metric,value\n" + b"x" * 50_000_000), 413)
    assert body["limit"] == 50_000_000 and "50 MB" in body["detail"]


def test_csv_over_a_million_rows_is_413_and_writes_nothing(app, client, world):
    from metrics_util import count_points

    row = b"2024-01-01,fb,reach,1\n"
    body = _problem(_import(client, world, b"date,channel,metric,value\n" + row * 1_000_001), 413)
    assert body["limit"] == 1_000_000 and "at most 1,000,000" in body["detail"]
    assert count_points(app, world) == 0


def test_csv_checking_stops_after_1000_errors_and_says_how_many_rows_were_not_checked(app, client, world):
    rows = "".join(f"2024-01-{1 + i % 28:02d},nope,reach,{i}\n" for i in range(5000))
    body = _problem(_import(client, world, ("date,channel,metric,value\n" + rows).encode()), 422)
    assert body["error_count"] == 1000 and body["rows_not_checked"] == 4000
    assert "4,000 of 5,000 rows were not checked" in body["detail"]
    assert len(body["errors"]) == 100


def test_admin_csv_upload_over_50_mb_is_refused_next_to_the_field(world, login_as):
    owner = login_as(world, "owner")
    big = io.BytesIO(b"date,channel,metric,value\n" + b"x" * 50_000_001)
    resp = owner.post(f"/manage/companies/{world.company_a.id}/data/csv", data={"file": (big, "big.csv")},
                      content_type="multipart/form-data")
    assert resp.status_code == 413
    assert 'data-field="file"' in resp.get_data(as_text=True)


# --- the dashboard's custom range on a company without data -----------------------------------
@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "9999-12-01"), ("2020-01-01", "2020-02-01"),
                                            ("2099-01-01", "2099-02-01")])
def test_dashboard_custom_range_on_a_company_without_data(world, login_as, start, end):
    from dash_calls import call, company_inputs

    owner = login_as(world, "owner")
    for granularity in ("day", "week", "month"):
        out = call(owner, "rb-kpi-cards.children",
                   company_inputs(world.company_b.id, "custom", start, end, granularity))
        assert out, granularity


# --- login limit per account ----------------------------------------------------------------------
def test_failed_logins_are_limited_per_account_whatever_the_address(database_url, tenant):
    limited = make_app(database_url, LOGIN_ACCOUNT_RATE_LIMIT="3 per minute", LOGIN_RATE_LIMIT="100 per minute")
    client = limited.test_client()
    email = tenant.emails["member"]
    for i in range(3):
        resp = client.post("/login", data={"email": email, "password": "wrong-password"},
                           environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        assert resp.status_code == 401
    resp = client.post("/login", data={"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert resp.status_code == 429  # even with the right password, from a new address
    other = client.post("/login", data={"email": tenant.emails["admin"], "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302  # another account is not held by it


def test_successful_logins_do_not_count_against_the_account(database_url, tenant):
    limited = make_app(database_url, LOGIN_ACCOUNT_RATE_LIMIT="2 per minute", LOGIN_RATE_LIMIT="100 per minute")
    for _ in range(4):
        assert limited.test_client().post("/login", data={"email": tenant.emails["member"],
                                                          "password": PASSWORD}).status_code == 302
