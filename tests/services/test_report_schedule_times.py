"""When a report schedule runs and what a run covers (backend/services/report_schedules.py): pure
functions, no database. Europe/Oslo's clocks go forward at 02:00 on 2026-03-29 and back at 03:00
on 2026-10-25."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backend.services.report_schedules import next_run_after, period_for

pytestmark = pytest.mark.no_db

OSLO = ZoneInfo("Europe/Oslo")
D = dt.datetime


def runs(after, count, **schedule):
    out = []
    for _ in range(count):
        after = next_run_after(after, **schedule)
        out.append(after)
    return out


def weekly(weekday, hour, tz=OSLO, **extra):
    return {"cadence": "weekly", "weekday": weekday, "day_of_month": None, "hour": hour, "tz": tz, **extra}


def monthly(day, hour, tz=OSLO, **extra):
    return {"cadence": "monthly", "weekday": None, "day_of_month": day, "hour": hour, "tz": tz, **extra}


def test_weekly_keeps_the_local_hour_across_both_dst_changes():
    # Monday 08:00 in Oslo: 07:00 UTC in winter, 06:00 UTC in summer.
    assert runs(D(2026, 3, 20), 3, **weekly(0, 8)) == [D(2026, 3, 23, 7), D(2026, 3, 30, 6), D(2026, 4, 6, 6)]
    assert runs(D(2026, 10, 13), 3, **weekly(0, 8)) == [D(2026, 10, 19, 6), D(2026, 10, 26, 7), D(2026, 11, 2, 7)]


def test_an_hour_that_does_not_exist_runs_once_just_after_the_gap():
    # Sunday 02:00 on 2026-03-29 does not exist in Oslo (02:00 -> 03:00): the run is at 03:00 CEST.
    assert runs(D(2026, 3, 22, 2), 2, **weekly(6, 2)) == [D(2026, 3, 29, 1), D(2026, 4, 5, 0)]
    assert D(2026, 3, 29, 1).replace(tzinfo=dt.UTC).astimezone(OSLO).hour == 3


def test_an_hour_that_happens_twice_runs_only_the_first_time():
    # Sunday 02:00 on 2026-10-25 happens at 00:00 UTC (CEST) and again at 01:00 UTC (CET).
    first = next_run_after(D(2026, 10, 24), **weekly(6, 2))
    assert first == D(2026, 10, 25, 0)
    assert next_run_after(first, **weekly(6, 2)) == D(2026, 11, 1, 1)  # not 01:00 UTC the same night


def test_monthly_runs_on_its_day_whatever_the_months_length():
    assert runs(D(2027, 1, 28, 12), 4, **monthly(28, 8)) == [
        D(2027, 2, 28, 7), D(2027, 3, 28, 6), D(2027, 4, 28, 6), D(2027, 5, 28, 6)]  # CEST from 2027-03-28 02:00
    assert runs(D(2028, 1, 31), 2, **monthly(28, 9, tz=ZoneInfo("UTC"))) == [D(2028, 2, 28, 9), D(2028, 3, 28, 9)]


def test_the_run_is_strictly_after_the_given_time():
    assert next_run_after(D(2026, 12, 1, 7), **monthly(1, 8)) == D(2027, 1, 1, 7)
    assert next_run_after(D(2026, 12, 1, 6, 59), **monthly(1, 8)) == D(2026, 12, 1, 7)


def test_time_zones_far_from_utc_land_on_the_right_utc_day():
    # Midnight on the 1st in Auckland (UTC+13 in summer) is still the 31st in UTC.
    auckland = ZoneInfo("Pacific/Auckland")
    assert next_run_after(D(2026, 12, 31, 10), **monthly(1, 0, tz=auckland)) == D(2026, 12, 31, 11)
    # 23:00 on the 1st in Los Angeles (UTC-8) is the 2nd in UTC.
    la = ZoneInfo("America/Los_Angeles")
    assert next_run_after(D(2026, 12, 2, 6), **monthly(1, 23, tz=la)) == D(2026, 12, 2, 7)
    assert next_run_after(D(2026, 12, 2, 7), **monthly(1, 23, tz=la)) == D(2027, 1, 2, 7)


def test_no_run_before_the_start_day():
    assert next_run_after(D(2026, 11, 30), **weekly(0, 8, starts_on=dt.date(2026, 12, 15))) == D(2026, 12, 21, 7)
    assert next_run_after(D(2026, 11, 30), **monthly(15, 8, starts_on=dt.date(2026, 12, 15))) == D(2026, 12, 15, 7)


@pytest.mark.parametrize(("period", "run_day", "expected"), [
    ("previous_month", dt.date(2026, 3, 1), ("month", dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    ("previous_month", dt.date(2028, 3, 28), ("month", dt.date(2028, 2, 1), dt.date(2028, 2, 29))),
    ("previous_month", dt.date(2027, 1, 1), ("month", dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
    ("previous_week", dt.date(2026, 3, 2), ("custom", dt.date(2026, 2, 23), dt.date(2026, 3, 1))),  # a Monday
    ("previous_week", dt.date(2026, 3, 8), ("custom", dt.date(2026, 2, 23), dt.date(2026, 3, 1))),  # a Sunday
    ("previous_quarter", dt.date(2026, 1, 5), ("quarter", dt.date(2025, 10, 1), dt.date(2025, 12, 31))),
    ("previous_quarter", dt.date(2026, 6, 30), ("quarter", dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
])
def test_what_a_run_covers(period, run_day, expected):
    assert period_for(period, run_day) == expected
