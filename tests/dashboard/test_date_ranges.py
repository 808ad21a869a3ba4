"""Date ranges that make sense (issue 12, item 12): a custom range wholly in the future keeps its
length, year to date compares with the same days last year, the last 12 months keep their
comparison when the 12 months before are stored, and the cards and follower chart can compare
with the same period last year."""
from __future__ import annotations

import datetime as dt

import pytest

from backend.read_models import controls as ctl

TODAY = dt.date(2026, 11, 30)


def test_a_range_wholly_in_the_future_keeps_its_length_and_says_what_was_asked():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2030, 1, 1), dt.date(2030, 1, 31)), TODAY, None)
    assert (r.date_from, r.date_to) == (TODAY - dt.timedelta(days=30), TODAY)  # 31 days, not one
    (message,) = r.messages
    assert "1 Jan 2030 – 31 Jan 2030" in message and "31 Oct 2026 – 30 Nov 2026" in message
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2026, 11, 1), dt.date(2027, 3, 1)), TODAY, None)
    assert (r.date_from, r.date_to) == (dt.date(2026, 11, 1), TODAY)
    assert r.messages == ("The range ended in the future (1 Mar 2027); it now ends today (30 Nov 2026).",)


def test_the_comparison_is_in_the_url_only_when_it_is_not_the_periods_own():
    assert ctl.Controls("ytd").comparison == "year" and ctl.Controls("30d").comparison == "previous"
    assert ctl.Controls("ytd").query_string() == "?range=ytd"
    assert ctl.Controls("30d", compare="year").query_string() == "?range=30d&compare=year"
    assert ctl.Controls("ytd", compare="previous").query_string() == "?range=ytd&compare=previous"
    assert ctl.parse_query("?range=90d&compare=year").comparison == "year"
    assert ctl.parse_query("?range=90d&compare=decade").comparison == "previous"


@pytest.fixture
def history(app, tenant):
    """Company A with 800 days of followers and reach up to TODAY (more than two years)."""
    from metrics_util import add_channels

    from backend.extensions import db
    from backend.models import Channel, MetricPoint
    from backend.tenancy import Principal, acting_as

    add_channels(app, tenant, ("fb",))
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        channel = db.session.scalars(db.select(Channel).where(Channel.company_id == tenant.company_a.id)).one()
        start = TODAY - dt.timedelta(days=799)
        for i in range(800):
            day = start + dt.timedelta(days=i)
            for metric, value in (("followers", 1000 + i), ("reach", 100)):
                db.session.add(MetricPoint(company_id=tenant.company_a.id, channel_id=channel.id, metric=metric,
                                           date=day, value=value))
        db.session.commit()
    return tenant


def view_of(app, tenant, controls):
    from backend import read_models as rm
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        company = rm.company(tenant.company_a.id)
        return rm.company_view(company, controls, today=TODAY)


def test_year_to_date_compares_with_the_same_days_last_year(app, history):
    view = view_of(app, history, ctl.Controls("ytd"))
    assert (view.date_from, view.date_to) == (dt.date(2026, 1, 1), TODAY)
    assert view.compare == "year"
    assert (view.previous_from, view.previous_to) == (dt.date(2025, 1, 1), dt.date(2025, 11, 30))
    reach = view.kpis["reach"]
    assert reach["value"] == reach["previous"] == 100 * 334 and reach["change"] == 0
    followers = view.kpis["followers"]
    assert followers["change"] == 365  # a gauge: its value on the last day, a year apart
    # The follower chart overlays last year's line, moved a year on.
    assert view.followers_year_earlier[0] == (dt.date(2026, 1, 1), followers["previous"] - 333)
    assert view.followers_year_earlier[-1] == (TODAY, followers["previous"])


def test_the_last_12_months_keep_their_comparison_when_it_is_stored(app, history):
    from dashboard.pages.company import kpi_cards

    view = view_of(app, history, ctl.Controls("12m"))
    assert view.compare == "previous" and view.previous_from >= view.data_start
    texts = " ".join(str(card) for card in kpi_cards(view.kpis, view.previous_from, view.data_start, view.compare))
    assert "partly covered" not in texts and "vs previous period" in texts
    year = view_of(app, history, ctl.Controls("30d", compare="year"))
    assert year.compare == "year" and year.previous_to == dt.date(2025, 11, 30)
    texts = " ".join(str(card) for card in kpi_cards(year.kpis, year.previous_from, year.data_start, year.compare))
    assert "vs same period last year" in texts


def test_a_range_longer_than_a_year_is_compared_with_the_previous_period(app, history):
    view = view_of(app, history, ctl.Controls("custom", dt.date(2025, 1, 1), TODAY, compare="year"))
    assert view.compare == "previous" and view.followers_year_earlier is None
    assert any("longer than a year" in m for m in view.messages)


def test_the_api_summary_compares_with_a_year_earlier(client, history):
    url = f"/api/v1/companies/{history.company_a.id}/metrics/summary?metric=reach&from=2026-01-01&to=2026-11-30"
    auth = {"Authorization": f"Bearer {history.keys['read']}"}
    body = client.get(url + "&compare=year", headers=auth).json
    assert (body["previous_from"], body["previous_to"], body["compare"]) == ("2025-01-01", "2025-11-30", "year")
    assert body["metrics"][0]["previous"] == 100 * 334
    default = client.get(url, headers=auth).json
    assert (default["previous_from"], default["compare"]) == ("2025-02-01", "previous")
    too_long = client.get(url.replace("from=2026-01-01", "from=2024-11-01") + "&compare=year", headers=auth)
    assert too_long.status_code == 422 and too_long.json["errors"][0]["field"] == "compare"
    wrong = client.get(url + "&compare=decade", headers=auth)
    assert wrong.status_code == 422 and "compare" in wrong.json["errors"][0]["field"]
