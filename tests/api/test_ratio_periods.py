"""Ratio cards agree with their charts (issue 12, item 4): a ratio over a period, a week or every
channel together is computed from the (channel, day) points where its denominator and a numerator
were both reported — a weighted average of the daily values the chart shows."""
from __future__ import annotations

import datetime as dt

import pytest
from metrics_util import metrics_url, pt, with_points

D = dt.date.fromisoformat
DAYS = [f"2024-03-{d:02d}" for d in range(1, 31)]

POINTS = (
    # Reach every day on fb, engagements on two days only (the 0.43 % against 5–6 %).
    [pt("fb", "reach", d, 1000) for d in DAYS]
    + [pt("fb", "engagements", "2024-03-10", 50), pt("fb", "engagements", "2024-03-11", 60)]
    # Spend on three days, reach every day: cost per 1k reach over the spending days.
    + [pt("fb", "spend", d, 30) for d in ("2024-03-05", "2024-03-06", "2024-03-07")]
    # Revenue every day on ig, spend on one day there: ROI over that day.
    + [pt("ig", "revenue", d, 10) for d in DAYS] + [pt("ig", "spend", "2024-03-20", 5)]
    # Mentions every day on ig, the breakdown on two days.
    + [pt("ig", "mentions", d, 10) for d in DAYS]
    + [pt("ig", "mentions_positive", "2024-03-01", 8), pt("ig", "mentions_negative", "2024-03-02", 4)]
    # ig has reach on one day with no engagements: it must not dilute the combined daily rate.
    + [pt("ig", "reach", "2024-03-10", 5000)]
)

RATIOS = ["engagement_rate", "cost_per_1k_reach", "roi", "sentiment_score"]


@pytest.fixture
def data(app, client, tenant):
    return with_points(app, client, tenant, POINTS)


def _get(client, t, path):
    r = client.get(f"{metrics_url(t.company_a)}{path}", headers={"Authorization": f"Bearer {t.keys['read']}"})
    assert r.status_code == 200, r.json
    return r.json


def test_period_ratios_use_the_days_where_both_inputs_were_reported(client, data):
    query = "&".join(f"metric={m}" for m in RATIOS)
    card = {m["metric"]: m["value"] for m in
            _get(client, data, f"/summary?from=2024-03-01&to=2024-03-30&{query}")["metrics"]}
    assert card["engagement_rate"] == pytest.approx(110 / 2000)  # 5.5 %, not 110 / 35000
    assert card["cost_per_1k_reach"] == pytest.approx(90 / 3000 * 1000)  # 30 per 1k, not 90 / 35 000
    assert card["roi"] == pytest.approx((10 - 5) / 5)  # the spending day, not 300 of revenue over 5
    assert card["sentiment_score"] == pytest.approx((8 - 4) / 20)  # two days with a breakdown

    daily = _get(client, data, f"?channel=all&granularity=day&from=2024-03-01&to=2024-03-30&{query}")
    series = {s["metric"]: {p["date"]: p["value"] for p in s["points"]} for s in daily["series"]}
    # The combined daily rate of Mar 10 is fb's alone: ig's reach that day has no engagements.
    assert series["engagement_rate"] == {"2024-03-10": pytest.approx(0.05), "2024-03-11": pytest.approx(0.06)}
    for metric in RATIOS:
        values = list(series[metric].values())
        assert min(values) - 1e-9 <= card[metric] <= max(values) + 1e-9, (metric, card[metric], values)

    # Mar 10 is a Sunday: the week of Mar 4 holds fb's 50 / 1000 (ig's 5000 reach left out), the
    # week of Mar 11 fb's 60 / 1000, and the month both days.
    for granularity, expected in (("week", [0.05, 0.06]), ("month", [0.055])):
        read = _get(client, data, f"?channel=all&granularity={granularity}&from=2024-03-01&to=2024-03-31"
                                  "&metric=engagement_rate")
        (rates,) = [[p["value"] for p in s["points"]] for s in read["series"]]
        assert rates == pytest.approx(expected)


def test_the_portfolio_rate_is_the_company_pages_rate(app, data):
    from backend.services import metrics as svc
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(data.agency_id)):
        (row,) = [r for r in svc.portfolio(D("2024-03-01"), D("2024-03-30")) if r["company_id"] == data.company_a.id]
    assert row["engagement_rate"] == pytest.approx(110 / 2000)
    assert row["reach"] == 35000  # reach itself is every reported day
