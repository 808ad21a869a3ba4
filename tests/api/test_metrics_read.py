"""Reading metrics back: week and month buckets across month and year ends (expectations
computed by hand below), channel=all with carried-forward gauges, summary, the service
functions used by goal progress and the dashboard, export."""
from __future__ import annotations

import datetime as dt

import pytest
from metrics_util import add_channels, metrics_url, pt, push, with_points

D = dt.date.fromisoformat

# 2023-12-25 and 2024-01-01 are Mondays; 2023-12-31 a Sunday; 2024-02-01 a Thursday.
POINTS = [
    pt("fb", "followers", "2023-12-28", 100), pt("fb", "followers", "2023-12-31", 110),
    pt("fb", "followers", "2024-01-01", 120), pt("fb", "followers", "2024-01-03", 130),
    pt("fb", "followers", "2024-01-31", 150), pt("fb", "followers", "2024-02-01", 160),
    pt("ig", "followers", "2023-12-30", 50), pt("ig", "followers", "2024-01-02", 55),
    pt("fb", "reach", "2023-12-31", 10), pt("fb", "reach", "2024-01-01", 20), pt("fb", "reach", "2024-01-07", 30),
    pt("fb", "reach", "2024-01-08", 40), pt("fb", "reach", "2024-02-01", 50), pt("ig", "reach", "2024-01-01", 100),
    pt("fb", "engagements", "2023-12-31", 1), pt("fb", "engagements", "2024-01-01", 4),
    pt("fb", "engagements", "2024-01-08", 2), pt("fb", "engagements", "2024-02-01", 5),
    pt("ig", "engagements", "2024-01-01", 10),
]


@pytest.fixture
def data(app, client, tenant):
    return with_points(app, client, tenant, POINTS)


def read(client, t, **params):
    params.setdefault("channel", "all")
    query = "&".join(f"{k}={v}" for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs]))
    r = client.get(f"{metrics_url(t.company_a)}?{query}", headers={"Authorization": f"Bearer {t.keys['read']}"})
    assert r.status_code == 200, r.json
    return r.json


def series(body, channel, metric):
    (s,) = [s for s in body["series"] if s["channel"] == channel and s["metric"] == metric]
    return [(p["date"], p["value"]) for p in s["points"]]


def test_week_buckets_across_the_year_end(client, data):
    body = read(client, data, metric=["followers", "reach", "engagement_rate", "follower_growth"],
                granularity="week", **{"from": "2023-12-25", "to": "2024-02-04"})
    assert body["granularity"] == "week" and body["from"] == "2023-12-25" and body["to"] == "2024-02-04"
    assert series(body, "all", "reach") == [("2023-12-25", 10), ("2024-01-01", 150), ("2024-01-08", 40),
                                            ("2024-01-29", 50)]
    # Gauges: each channel's last value in the week; ig carries 55 into the week of Jan 29.
    # The week of Jan 8 has no followers point on any channel: left out.
    assert series(body, "all", "followers") == [("2023-12-25", 160), ("2024-01-01", 185), ("2024-01-29", 215)]
    rate = series(body, "all", "engagement_rate")
    assert [d for d, _ in rate] == ["2023-12-25", "2024-01-01", "2024-01-08", "2024-01-29"]
    # Over the (channel, day) pairs with both engagements and reach: fb's reach of Jan 7 has no
    # engagements beside it, so the week of Jan 1 is (4 + 10) / (20 + 100), not 14 / 150.
    assert [v for _, v in rate] == pytest.approx([0.1, 14 / 120, 0.05, 0.1])
    # fb: 110-100 (first week: from its first value), 130-110, 160-130; ig: 50-50, 55-50.
    assert series(body, "all", "follower_growth") == [("2023-12-25", 10), ("2024-01-01", 25), ("2024-01-29", 30)]


def test_month_buckets_across_the_year_end(client, data):
    body = read(client, data, metric=["followers", "reach", "engagements", "engagement_rate", "follower_growth"],
                granularity="month", **{"from": "2023-12-01", "to": "2024-02-29"})
    assert series(body, "all", "reach") == [("2023-12-01", 10), ("2024-01-01", 190), ("2024-02-01", 50)]
    assert series(body, "all", "engagements") == [("2023-12-01", 1), ("2024-01-01", 16), ("2024-02-01", 5)]
    assert series(body, "all", "followers") == [("2023-12-01", 160), ("2024-01-01", 205), ("2024-02-01", 215)]
    # January's rate: fb Jan 1 (4 / 20), fb Jan 8 (2 / 40), ig Jan 1 (10 / 100): 16 / 160.
    assert [v for _, v in series(body, "all", "engagement_rate")] == pytest.approx([0.1, 16 / 160, 0.1])
    assert series(body, "all", "follower_growth") == [("2023-12-01", 10), ("2024-01-01", 45), ("2024-02-01", 10)]


def test_one_series_per_channel_and_one_channel(client, data):
    r = client.get(f"{metrics_url(data.company_a)}?metric=followers&metric=reach&granularity=month"
                   "&from=2023-12-01&to=2024-02-29", headers={"Authorization": f"Bearer {data.keys['read']}"})
    body = r.json
    assert [(s["channel"], s["metric"]) for s in body["series"]] == [
        ("fb", "followers"), ("fb", "reach"), ("ig", "followers"), ("ig", "reach")]
    assert series(body, "fb", "followers") == [("2023-12-01", 110), ("2024-01-01", 150), ("2024-02-01", 160)]
    assert series(body, "ig", "followers") == [("2023-12-01", 50), ("2024-01-01", 55)]
    assert series(body, "fb", "reach") == [("2023-12-01", 10), ("2024-01-01", 90), ("2024-02-01", 50)]
    assert series(body, "ig", "reach") == [("2024-01-01", 100)]
    one = read(client, data, metric="reach", channel="ig", granularity="week",
               **{"from": "2023-12-25", "to": "2024-01-31"})
    assert one["series"] == [{"channel": "ig", "metric": "reach", "points": [{"date": "2024-01-01", "value": 100}]}]


def test_gauges_carried_forward_from_before_the_range(client, data):
    body = read(client, data, metric=["followers", "follower_growth"], granularity="month",
                **{"from": "2024-02-01", "to": "2024-02-29"})
    # fb 160 in February; ig has nothing since Jan 2 and contributes its 55.
    assert series(body, "all", "followers") == [("2024-02-01", 215)]
    assert series(body, "all", "follower_growth") == [("2024-02-01", 10)]
    days = read(client, data, metric="followers", granularity="day", **{"from": "2024-01-01", "to": "2024-01-03"})
    assert series(days, "all", "followers") == [("2024-01-01", 170), ("2024-01-02", 175), ("2024-01-03", 185)]


def test_summary_against_the_previous_period(client, data):
    r = client.get(f"{metrics_url(data.company_a)}/summary?from=2024-01-01&to=2024-01-31"
                   "&metric=followers&metric=reach&metric=engagement_rate&metric=follower_growth",
                   headers={"Authorization": f"Bearer {data.keys['read']}"})
    assert r.status_code == 200, r.json
    body = r.json
    assert (body["previous_from"], body["previous_to"]) == ("2023-12-01", "2023-12-31")
    rows = {m["metric"]: m for m in body["metrics"]}
    assert rows["followers"] == {"metric": "followers", "value": 205, "previous": 160, "change": 45,
                                 "change_percent": pytest.approx(28.125)}
    assert rows["reach"]["value"] == 190 and rows["reach"]["previous"] == 10
    assert rows["reach"]["change_percent"] == pytest.approx(1800)
    assert rows["engagement_rate"]["value"] == pytest.approx(16 / 160)
    assert rows["follower_growth"]["value"] == 45 and rows["follower_growth"]["previous"] == 10
    one = client.get(f"{metrics_url(data.company_a)}/summary?from=2024-01-01&to=2024-01-31&channel=ig&metric=reach",
                     headers={"Authorization": f"Bearer {data.keys['read']}"}).json
    assert one["metrics"] == [{"metric": "reach", "value": 100, "previous": None, "change": None,
                               "change_percent": None}]


def test_service_functions_for_progress_and_dashboard(app, data):
    from backend.services import metrics as svc
    from backend.tenancy import Principal, acting_as

    t = data
    with app.app_context(), acting_as(Principal.system(t.agency_id)):
        assert svc.data_range(t.company_a.id) == (D("2023-12-28"), D("2024-02-01"))
        assert svc.data_range(t.company_b.id) is None
        reader = svc.CompanyReader(t.company_a.id)
        assert reader.daily(["followers"], "all", D("2024-01-01"), D("2024-01-03"))["followers"] == [
            (D("2024-01-01"), 170), (D("2024-01-02"), 175), (D("2024-01-03"), 185)]
        assert reader.daily(["reach"], "fb", D("2024-01-06"), D("2024-01-09"))["reach"] == [
            (D("2024-01-07"), 30), (D("2024-01-08"), 40)]
        rows = {r["company_id"]: r for r in svc.portfolio(D("2024-01-01"), D("2024-01-31"))}
    a, b = rows[t.company_a.id], rows[t.company_b.id]
    assert a["followers"] == 205 and a["followers_change"] == 45
    assert a["reach"] == 190 and a["engagement_rate"] == pytest.approx(16 / 160)
    assert a["last_data_date"] == D("2024-02-01")
    assert a["followers_spark"] == [(D("2024-01-01"), 185), (D("2024-01-29"), 205)]
    assert b["followers"] is None and b["reach"] is None and b["followers_spark"] == []


def test_portfolio_shows_only_companies_in_reach(app, client, data):
    from conftest import build_tenant

    from backend.services import metrics as svc
    from backend.tenancy import Principal, acting_as

    t = data
    other = build_tenant(app, "Other Agency")
    add_channels(app, other)
    assert push(client, other.company_a, [pt("fb", "reach", "2024-01-05", 7)],
                Authorization=f"Bearer {other.keys['write']}").status_code == 200
    with app.app_context(), acting_as(Principal.system(t.agency_id)):
        ids = {r["company_id"] for r in svc.portfolio(D("2024-01-01"), D("2024-01-31"))}
    assert ids == {t.company_a.id, t.company_b.id}
    viewer = Principal(kind="user", agency_id=t.agency_id, label="viewer", grants=frozenset({"read"}),
                       role="viewer", company_ids=frozenset({t.company_b.id}))
    with app.app_context(), acting_as(viewer):
        rows = svc.portfolio(D("2024-01-01"), D("2024-01-31"))
    assert [(r["company_id"], r["reach"]) for r in rows] == [(t.company_b.id, None)]


def test_export_csv_uses_the_same_filters(client, data):
    r = client.get(f"{metrics_url(data.company_a)}/export?metric=reach&channel=all&granularity=month"
                   "&from=2023-12-01&to=2024-02-29", headers={"Authorization": f"Bearer {data.keys['read']}"})
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert r.get_data(as_text=True).splitlines() == [
        "date,channel,metric,value", "2023-12-01,all,reach,10.0", "2024-01-01,all,reach,190.0",
        "2024-02-01,all,reach,50.0"]


def test_bad_queries_and_rights(client, login_as, data):
    t = data
    url = metrics_url(t.company_a)
    read_key = {"Authorization": f"Bearer {t.keys['read']}"}
    assert client.get(f"{url}?metric=nope", headers=read_key).status_code == 422
    assert client.get(f"{url}", headers=read_key).status_code == 422  # metric is required
    assert client.get(f"{url}?metric=reach&granularity=year", headers=read_key).status_code == 422
    assert client.get(f"{url}?metric=reach&from=2024-02-01&to=2024-01-01", headers=read_key).status_code == 422
    assert client.get(f"{url}?metric=reach&channel=nope", headers=read_key).status_code == 422
    assert client.get(f"{url}?metric=reach", headers={
        "Authorization": f"Bearer {t.keys['metrics:write']}"}).status_code == 403
    viewer = login_as(t, "viewer")
    assert viewer.get(f"{url}?metric=reach&channel=all").status_code == 200
    assert viewer.get(f"{metrics_url(t.company_b)}?metric=reach").status_code == 404


def test_default_period_ends_at_the_latest_data(client, data):
    body = read(client, data, metric="followers", granularity="week")
    assert body["to"] == "2024-02-01"
    assert body["from"] == (D("2024-02-01") - dt.timedelta(days=181)).isoformat()


@pytest.mark.parametrize("channel", [None, "fb", "ig"])
def test_summary_reads_both_periods_at_once_with_the_values_of_one_read_each(app, data, channel):
    """The summary reads the period and the one before in one pass; each must equal a read of that
    period alone, for windows that start before the data, split it, and see a channel go quiet
    (its seed then comes from the period before, or from before both)."""
    from backend.services import catalog
    from backend.services import metrics as svc
    from backend.services.metrics.assembly import compute
    from backend.services.metrics.reads import resolve
    from backend.tenancy import Principal, acting_as

    keys = ["followers", "reach", "engagements", "engagement_rate", "follower_growth"]
    windows = [("2023-12-01", "2023-12-31"), ("2024-01-01", "2024-01-31"), ("2024-01-02", "2024-01-06"),
               ("2024-01-04", "2024-01-30"), ("2024-02-01", "2024-02-10"), ("2024-01-20", "2024-02-20")]
    t = data
    with app.app_context(), acting_as(Principal.system(t.agency_id)):
        defs = catalog.definitions()
        ids = {key: cid for cid, key in resolve(t.company_a.id, [], None)[3].items()}
        channel_ids = None if channel is None else {ids[channel]: channel}
        label = channel or "all"
        for start, end in windows:
            date_from, date_to = D(start), D(end)
            got = svc.summary(t.company_a.id, date_from, date_to, channel=channel, metrics=keys)
            prev_from, prev_to = svc.previous_period(date_from, date_to)
            now = compute(t.company_a.id, keys, channel_ids, date_from, date_to, "period", defs)
            before = compute(t.company_a.id, keys, channel_ids, prev_from, prev_to, "period", defs)
            for row in got["metrics"]:
                m = row["metric"]
                assert row["value"] == now.get((label, m), {}).get(date_from), (start, m)
                assert row["previous"] == before.get((label, m), {}).get(prev_from), (start, m)
