"""The agreement test (issue 18, "numbers that agree"): mentions pushed through the API, then the
mention list's counts checked against every read of the daily metrics — ``GET …/metrics`` (per
channel and day), ``GET …/metrics/summary``, a goal's progress on ``mentions`` and the dashboard's
read model — on both engines. The company is in Stockholm, so a mention at 23:30 UTC counts on
the next local day, in the list's date filter and in the metrics alike. A channel-day with pushed
counts and no records keeps them; one with records ignores a push (records win)."""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest

from listening.rollup_world import add_channels, as_system

ZONE = ZoneInfo("Europe/Stockholm")
FIRST, LAST = dt.date(2024, 3, 1), dt.date(2024, 3, 7)
SENTIMENTS = ("positive", "neutral", "negative")


@pytest.fixture
def world(app, tenant, api):
    from backend.extensions import db
    from backend.models import Company

    add_channels(app, tenant)
    with as_system(app, tenant):
        db.session.get(Company, tenant.company_a.id).timezone = "Europe/Stockholm"
        db.session.commit()
    return tenant, api(tenant.keys["write"])


def _mentions() -> list[dict]:
    """37 mentions over the week on fb and ig, some late in the UTC evening (the next local day),
    some answered (by a help desk, pushed with answered_at), in three offsets."""
    out = []
    base = dt.datetime(2024, 3, 1, 6, 0, tzinfo=dt.UTC)
    offsets = [dt.timezone(dt.timedelta(hours=2)), dt.UTC, dt.timezone(dt.timedelta(hours=-5))]
    for i in range(37):
        at = base + dt.timedelta(hours=4 * i + (17 if i % 7 == 0 else 0), minutes=13 * i % 60)
        item = {"source": "brandwatch", "external_id": f"bw-{i}", "channel": "fb" if i % 3 else "ig",
                "published_at": at.astimezone(offsets[i % 3]).isoformat(), "sentiment": SENTIMENTS[i % 3],
                "text": f"Mention number {i} about the product", "author": {"handle": f"@user{i % 5}",
                                                                            "followers": 100 * i}}
        if i % 4 == 0:
            item["answered_at"] = (at + dt.timedelta(minutes=5 + 7 * i)).astimezone(offsets[(i + 1) % 3]).isoformat()
        out.append(item)
    return out


def _local_day(stamp: str) -> dt.date:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(ZONE).date()


def _list_all(w, url: str) -> list[dict]:
    """Every mention of the list, following its cursor (the ``X-Next-Cursor`` header)."""
    items: list[dict] = []
    cursor = None
    for _ in range(100):
        r = w.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.json
        items += r.json
        cursor = r.headers.get("X-Next-Cursor")
        if not cursor:
            return items
    raise AssertionError("the cursor never ended")


def _channel_of(item: dict) -> str:
    return item["channel"]


def test_every_read_agrees_with_the_mention_list(app, world, tenant):
    tenant, w = world
    cid = tenant.company_a.id
    base = f"/api/v1/companies/{cid}"
    # Pushed counts: a day without records (kept), and a day that will have records (records win).
    r = w.post(f"{base}/metrics", json={"points": [
        {"channel": "fb", "metric": "mentions", "date": "2024-02-29", "value": 11},
        {"channel": "fb", "metric": "mentions", "date": "2024-03-02", "value": 99}]})
    assert r.status_code == 200, r.json
    r = w.post(f"{base}/mentions", json={"mentions": _mentions()})
    assert r.status_code == 200, r.json
    assert r.json["created"] == 37
    # A push after the records: its mention counts for covered days are not stored.
    r = w.post(f"{base}/metrics", json={"points": [
        {"channel": "fb", "metric": "mentions", "date": "2024-03-02", "value": 98},
        {"channel": "fb", "metric": "mentions_negative", "date": "2024-03-03", "value": 40}]})
    assert r.json["kept_from_mentions"] == 2, r.json

    listed = [m for m in _list_all(w, f"{base}/mentions?limit=10") if FIRST <= _local_day(m["published_at"]) <= LAST]
    assert len(listed) == 37
    days = {m["id"]: _local_day(m["published_at"]) for m in listed}
    assert all(m["day"] == days[m["id"]].isoformat() for m in listed)  # the day it counts on: Stockholm's
    assert any(_local_day(m["published_at"]) != dt.date.fromisoformat(m["published_at"][:10]) for m in listed)
    # The list's own date filter (company days) agrees with the local days.
    filtered = _list_all(w, f"{base}/mentions?limit=50&from=2024-03-02&to=2024-03-02")
    assert sorted(m["id"] for m in filtered) == sorted(i for i, d in days.items() if d == dt.date(2024, 3, 2))

    per_day: dict[tuple[str, str, str], int] = Counter()
    answered: dict[tuple[str, str], list[float]] = defaultdict(list)
    for m in listed:
        key = (_channel_of(m), days[m["id"]].isoformat())
        per_day[(*key, "mentions")] += 1
        per_day[(*key, f"mentions_{m['sentiment']}")] += 1
        if m.get("answered_at"):
            minutes = (dt.datetime.fromisoformat(m["answered_at"].replace("Z", "+00:00"))
                       - dt.datetime.fromisoformat(m["published_at"].replace("Z", "+00:00"))).total_seconds() / 60
            answered[key].append(minutes)

    # GET /metrics, one series per channel, by day.
    metric_q = "&".join(f"metric={m}" for m in ("mentions", "mentions_positive", "mentions_neutral",
                                                 "mentions_negative", "response_time_minutes"))
    r = w.get(f"{base}/metrics?{metric_q}&from=2024-02-29&to=2024-03-07")
    assert r.status_code == 200, r.json
    series = {(s["channel"], p["date"], s["metric"]): p["value"] for s in r.json["series"] for p in s["points"]}
    counts = {k: v for k, v in series.items() if k[2] != "response_time_minutes" and k[1] != "2024-02-29"}
    expected = {k: float(v) for k, v in per_day.items()}
    assert {k: v for k, v in counts.items() if v} == expected
    assert series[("fb", "2024-02-29", "mentions")] == 11  # pushed, no records that day
    times = {(k[0], k[1]): v for k, v in series.items() if k[2] == "response_time_minutes"}
    for key, minutes in answered.items():
        assert times[key] == pytest.approx(statistics.median(minutes), abs=0.01), key

    # GET /metrics/summary over the week, channels combined and one channel.
    r = w.get(f"{base}/metrics/summary?from=2024-03-01&to=2024-03-07&metric=mentions&metric=mentions_negative")
    summary = {m["metric"]: m["value"] for m in r.json["metrics"]}
    assert summary["mentions"] == len(listed) == 37
    negative = _list_all(w, f"{base}/mentions?limit=50&sentiment=negative&from=2024-03-01&to=2024-03-07")
    assert summary["mentions_negative"] == len(negative) == sum(1 for m in listed if m["sentiment"] == "negative")
    r = w.get(f"{base}/metrics/summary?from=2024-03-01&to=2024-03-07&metric=mentions&channel=ig")
    ig = _list_all(w, f"{base}/mentions?limit=50&channel=ig&from=2024-03-01&to=2024-03-07")
    assert r.json["metrics"][0]["value"] == len(ig) == sum(1 for m in listed if _channel_of(m) == "ig")

    # A goal's progress on mentions (a total over the week).
    r = w.post(f"{base}/goals", json={"title": "Be talked about", "kpi": {
        "metric": "mentions", "target": 100, "start_date": "2024-03-01", "deadline": "2024-03-07"}})
    assert r.status_code == 201, r.json
    goal = w.get(f"{base}/goals/{r.json['id']}?as_of=2024-03-07").json
    assert goal["progress"]["current"] == 37

    # The dashboard's read model (the KPI cards of the company page).
    from backend import read_models as rm
    from backend.read_models import controls as ctl
    from backend.services.companies import get_company

    with as_system(app, tenant):
        view = rm.company_view(get_company(cid), ctl.Controls(preset="custom", date_from=FIRST, date_to=LAST),
                               today=LAST)
        assert view.kpis["mentions"]["value"] == 37
        assert view.kpis["mentions_negative"]["value"] == len(negative)
        assert view.kpis["mentions_positive"]["value"] == sum(1 for m in listed if m["sentiment"] == "positive")

    # Answering one through PATCH moves its day's response time, and every read follows.
    target = next(m for m in listed if not m.get("answered_at") and _channel_of(m) == "fb")
    r = w.patch(f"{base}/mentions/{target['id']}", json={"answered": True})
    assert r.status_code == 200, r.json
    day = days[target["id"]].isoformat()
    r = w.get(f"{base}/metrics?metric=response_time_minutes&channel=fb&from={day}&to={day}")
    assert r.json["series"][0]["points"], r.json
    # Deleting one lowers every count by one.
    r = w.delete(f"{base}/mentions/{target['id']}")
    assert r.status_code in (200, 204), r.json
    r = w.get(f"{base}/metrics/summary?from=2024-03-01&to=2024-03-07&metric=mentions")
    assert r.json["metrics"][0]["value"] == 36
