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


ALIGNED = [pt(ch, m, d, v) for ch in ("fb", "ig") for d in DAYS[:10]
           for m, v in (("reach", 1000), ("engagements", 40), ("spend", 3))]


@pytest.mark.parametrize("gap", [False, True], ids=["every-day-export", "a-missing-day"])
def test_the_quick_ways_and_the_paired_statement_agree(app, client, tenant, gap):
    """Inputs on every day of one stretch take the plain sums (seen from their coverage, or from a
    count and two seeks per channel); a day without engagements on one channel forces the paired
    statement. Every way gives what the paired statement gives."""
    from backend.services.metrics import pairing
    from backend.services.metrics.statements import Scope, flow_sums
    from backend.tenancy import Principal, acting_as

    points = [p for p in ALIGNED if not (gap and p["metric"] == "engagements" and p["date"] == DAYS[3]
                                         and p["channel"] == "ig")]
    t = with_points(app, client, tenant, points)
    ratios = ["engagement_rate", "cost_per_1k_reach"]
    inputs = pairing.ratio_inputs(ratios)
    periods = [(D(DAYS[0]), D(DAYS[4])), (D(DAYS[5]), D(DAYS[29]))]
    with app.app_context(), acting_as(Principal.system(t.agency_id)):
        scope = Scope(company_id=t.company_a.id)
        ways = pairing._ways(scope, ratios, periods)
        assert ways[1] == {r: pairing.PLAIN for r in ratios}  # days 6–10 complete, then nothing
        expected_first = pairing.PAIR if gap else pairing.PLAIN
        assert ways[0] == {"engagement_rate": expected_first, "cost_per_1k_reach": pairing.PLAIN}
        for granularity, spans in (("period", periods), ("day", [(periods[0][0], periods[1][1])]),
                                   ("week", [(periods[0][0], periods[1][1])])):
            for by_channel in (False, True):
                coverage = [{} for _ in spans]
                plain = [flow_sums(scope, inputs, *span, granularity, by_channel, coverage=coverage[i])
                         for i, span in enumerate(spans)]
                quick = [pairing._way_from_coverage(r, coverage[0], {None: 2}) for r in ratios]
                # Combined, the coverage tells a complete export at once; a gap takes the closer look.
                assert quick == [None if gap else pairing.PLAIN, pairing.PLAIN], (granularity, by_channel)
                answered = pairing.paired_sums(scope, ratios, spans, granularity, by_channel, False, plain, coverage)
                statement = pairing._paired_statement(scope, ratios, spans, granularity, by_channel)
                assert [dict(a) for a in answered] == [dict(s) for s in statement], (granularity, by_channel)
    key = pairing.paired_key("engagement_rate", "reach")
    paired_reach = [sum(v.values()) for k, v in answered[0].items() if k[2] == key]
    assert sum(paired_reach) == (19000 if gap else 20000)  # ig's reach of the day with no engagements left out
