"""The progress engine on series with known answers (pure: no database)."""
import datetime as dt

import pytest

from backend.services.progress import compute_progress

D = dt.date
JAN_1, MAR_31 = D(2024, 1, 1), D(2024, 3, 31)
pytestmark = pytest.mark.no_db


def days(start: dt.date, values):
    """[(start, v0), (start+1, v1), ...] skipping None (a gap)."""
    return [(start + dt.timedelta(days=i), v) for i, v in enumerate(values) if v is not None]


def kpi(aggregation="latest", target=200.0, baseline=None, start=JAN_1, deadline=MAR_31, **kw):
    return {"aggregation": aggregation, "target": target, "baseline": baseline, "start_date": start,
            "deadline": deadline, **kw}


# --- latest ------------------------------------------------------------------------------------

def test_linear_growth_reaching_target_before_deadline_is_on_track():
    # 100 on Jan 1, +2 a day: 160 on Jan 31; reaches 200 on Feb 20 (day 50), deadline Mar 31.
    series = days(D(2024, 1, 1), [100 + 2 * i for i in range(31)])
    p = compute_progress(kpi(), series, D(2024, 1, 31))
    assert p["current"] == 160
    assert p["baseline"] == 100
    assert p["percent"] == 60.0
    assert p["forecast_date"] == D(2024, 2, 20)
    assert p["status"] == "on_track"
    assert p["as_of"] == D(2024, 1, 31)
    assert p["target"] == 200


def test_linear_growth_reaching_target_after_deadline():
    # +1 a day from 100: reaches 200 on day 100 = Apr 10. Deadline Mar 31, duration 90 days:
    # 10% slack = 9 days -> up to Apr 9 is at risk; Apr 10 is off track.
    series = days(D(2024, 1, 1), [100 + i for i in range(31)])
    p = compute_progress(kpi(), series, D(2024, 1, 31))
    assert p["forecast_date"] == D(2024, 4, 10)
    assert p["status"] == "off_track"
    # Same growth, a target 2 lower: reached Apr 8, within the slack -> at risk.
    p = compute_progress(kpi(target=198.0), series, D(2024, 1, 31))
    assert p["forecast_date"] == D(2024, 4, 8)
    assert p["status"] == "at_risk"


def test_forecast_uses_only_the_last_28_days():
    # Flat for a month, then +5 a day for the last 28 days: the old flat part must not dilute it.
    values = [100] * 31 + [100 + 5 * (i + 1) for i in range(28)]
    series = days(D(2024, 1, 1), values)
    as_of = series[-1][0]  # Feb 28, value 240
    p = compute_progress(kpi(target=300.0), series, as_of)
    assert p["current"] == 240
    assert p["forecast_date"] == as_of + dt.timedelta(days=12)


def test_falling_target():
    # Response time from 60 minutes down 1 a day; target 30 (lower is better).
    series = days(D(2024, 1, 1), [60 - i for i in range(11)])  # Jan 11: 50
    p = compute_progress(kpi(target=30.0, better="lower"), series, D(2024, 1, 11))
    assert p["baseline"] == 60
    assert p["current"] == 50
    assert p["percent"] == pytest.approx(33.3)
    assert p["forecast_date"] == D(2024, 1, 31)
    assert p["status"] == "on_track"
    # Going below the target counts as reached.
    series = days(D(2024, 1, 1), [60 - 3 * i for i in range(12)])  # Jan 12: 27
    assert compute_progress(kpi(target=30.0), series, D(2024, 1, 12))["status"] == "achieved"


def test_flat_data_has_no_forecast_and_is_off_track():
    series = days(D(2024, 1, 1), [150] * 40)
    p = compute_progress(kpi(), series, D(2024, 2, 9))
    assert p["percent"] == 0.0
    assert p["forecast_date"] is None
    assert p["status"] == "off_track"


def test_trend_away_from_target_has_no_forecast():
    series = days(D(2024, 1, 1), [150 - i for i in range(30)])
    p = compute_progress(kpi(), series, D(2024, 1, 30))
    assert p["percent"] < 0
    assert p["forecast_date"] is None
    assert p["status"] == "off_track"


def test_no_data_is_not_started():
    p = compute_progress(kpi(), [], D(2024, 2, 1))
    assert p == {"current": None, "baseline": None, "target": 200.0, "direction": "up", "percent": None,
                 "status": "not_started", "forecast_date": None, "as_of": D(2024, 2, 1)}
    # Before the start date, even with data.
    p = compute_progress(kpi(), days(D(2023, 12, 1), [100] * 20), D(2023, 12, 20))
    assert p["status"] == "not_started"
    assert p["forecast_date"] is None


def test_gaps_use_the_values_that_exist():
    # Values only every third day, still +2 a day: same forecast as without gaps.
    values = [100 + 2 * i if i % 3 == 0 else None for i in range(31)]
    series = days(D(2024, 1, 1), values)
    p = compute_progress(kpi(), series, D(2024, 2, 5))  # last value Jan 31 (160)
    assert p["current"] == 160
    # line through the window: value 170 at Feb 5 -> 15 more days
    assert p["forecast_date"] == D(2024, 2, 20)
    assert p["status"] == "on_track"


def test_a_single_recent_value_gives_no_forecast():
    series = [(D(2023, 11, 1), 100.0), (D(2024, 1, 20), 120.0)]
    p = compute_progress(kpi(), series, D(2024, 1, 25))
    assert p["baseline"] == 100  # the value on or before the start date
    assert p["current"] == 120
    assert p["forecast_date"] is None
    assert p["status"] == "off_track"


def test_baseline_defaults_to_first_value_after_start_when_none_before():
    series = days(D(2024, 1, 10), [110, 112, 114])
    p = compute_progress(kpi(), series, D(2024, 1, 12))
    assert p["baseline"] == 110
    assert p["percent"] == pytest.approx(4 / 90 * 100, abs=0.05)


def test_explicit_baseline_wins():
    series = days(D(2024, 1, 1), [100 + 2 * i for i in range(31)])
    p = compute_progress(kpi(baseline=0.0), series, D(2024, 1, 31))
    assert p["baseline"] == 0
    assert p["percent"] == 80.0


def test_reached_then_lost_follows_the_current_value():
    # Up to 210 (past the 200 target) by Jan 11, then down 0.75 a day to 180 by Feb 20.
    values = [100 + 11 * i for i in range(11)] + [210 - 0.75 * (i + 1) for i in range(40)]
    series = days(D(2024, 1, 1), values)
    assert compute_progress(kpi(), series, D(2024, 1, 11))["status"] == "achieved"
    assert compute_progress(kpi(), series, D(2024, 1, 20))["status"] == "achieved"  # 203.25
    p = compute_progress(kpi(), series, D(2024, 2, 20))
    assert p["current"] == 180
    assert p["percent"] == 80.0
    assert p["status"] == "off_track"  # falling now: no forecast
    assert p["forecast_date"] is None


def test_after_the_deadline_the_goal_is_judged_on_its_deadline():
    series = days(D(2024, 1, 1), [100 + i for i in range(150)])  # reaches 200 on Apr 10
    p = compute_progress(kpi(), series, D(2024, 5, 30))
    assert p["status"] == "missed"
    assert p["current"] == 190  # the value on Mar 31
    assert p["forecast_date"] is None
    fast = days(D(2024, 1, 1), [100 + 5 * i for i in range(150)])
    assert compute_progress(kpi(), fast, D(2024, 5, 30))["status"] == "achieved"


def test_target_equal_to_derived_baseline():
    series = days(D(2024, 1, 1), [200] * 5)
    p = compute_progress(kpi(), series, D(2024, 1, 5))
    assert p["status"] == "achieved"
    assert p["percent"] == 100.0


def test_data_after_as_of_is_ignored():
    series = days(D(2024, 1, 1), [100 + 2 * i for i in range(60)])
    p = compute_progress(kpi(), series, D(2024, 1, 31))
    assert p["current"] == 160


def test_non_finite_values_are_skipped():
    series = days(D(2024, 1, 1), [100.0, float("nan"), 104.0])
    assert compute_progress(kpi(), series, D(2024, 1, 3))["current"] == 104.0


# --- total -------------------------------------------------------------------------------------

def test_total_over_a_flow():
    # 10 posts a day from Jan 1; target 600 in Q1. Values before the start do not count.
    series = days(D(2023, 12, 25), [50] * 7 + [10] * 31)
    p = compute_progress(kpi("total", target=600.0), series, D(2024, 1, 31))
    assert p["baseline"] == 0
    assert p["current"] == 310
    assert p["percent"] == pytest.approx(51.7)
    # mean of the last 28 days = 10 a day; 290 left -> 29 days
    assert p["forecast_date"] == D(2024, 2, 29)
    assert p["status"] == "on_track"


def test_total_gaps_count_as_zero_days():
    # 20 on every other day for 28 days: 10 a day on average.
    series = days(D(2024, 1, 1), [20 if i % 2 == 0 else None for i in range(28)])
    p = compute_progress(kpi("total", target=1000.0), series, D(2024, 1, 28))
    assert p["current"] == 280
    assert p["forecast_date"] == D(2024, 1, 28) + dt.timedelta(days=72)
    assert p["status"] == "at_risk"  # Apr 9 <= Mar 31 + 9 days


def test_total_rate_counts_only_days_since_data_began():
    series = days(D(2024, 1, 1), [10] * 7)
    p = compute_progress(kpi("total", target=100.0), series, D(2024, 1, 7))
    assert p["current"] == 70
    assert p["forecast_date"] == D(2024, 1, 10)


def test_total_reached():
    series = days(D(2024, 1, 1), [100] * 10)
    p = compute_progress(kpi("total", target=1000.0), series, D(2024, 1, 10))
    assert p["status"] == "achieved"
    assert p["percent"] == 100.0


def test_total_with_no_activity_in_the_period_is_not_started():
    series = days(D(2023, 11, 1), [5] * 10)  # long before the start
    p = compute_progress(kpi("total", target=100.0), series, D(2024, 1, 20))
    assert p["current"] is None
    assert p["status"] == "not_started"


def test_total_follower_growth_negative_has_no_forecast():
    series = days(D(2024, 1, 1), [-3] * 20)
    p = compute_progress(kpi("total", target=500.0), series, D(2024, 1, 20))
    assert p["current"] == -60
    assert p["forecast_date"] is None
    assert p["status"] == "off_track"


def test_total_is_counted_to_the_deadline_only():
    series = days(D(2024, 1, 1), [10] * 120)  # 910 by Mar 31, 1000 on Apr 9
    p = compute_progress(kpi("total", target=1000.0), series, D(2024, 4, 29))
    assert p["current"] == 910
    assert p["status"] == "missed"
